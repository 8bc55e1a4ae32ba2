"""Third adversary round on the OptionBook (issue 25, rounds B3-B6 and the crank's gas work).

Attacked: the stored totals' surface times (`freshUntil`, `surfacesAt`: minima lowered by each
trade's own surface and by the crank's pages) and the vault's forward rule built on them
(`OptionBook.pricedSince`); the pricer's open-addressed surface cache (16 slots keyed by the
expiry's day mod 16, linear probing, uncached reads once full) and the per-expiry √τ; the book's
settled-flag read only for expired boards. Tried: books over 1, 10, 17 and 20 expiries with
colliding day indices, an expiry exactly at a day boundary, two expiries on one day, an entry
re-read after the cache is full, τ under a minute; a trade in the middle of a multi-page sweep
after a surface re-post; a board inside the vol keeper's `min_tenor_s` (no more surface posts)
until its expiry, with a redeem queued after its last post, and a close on another board while
that surface is stale. Not redone: tests/contracts/market/test_book_adversary.py and
test_book_adversary2.py.
"""

from __future__ import annotations

import pytest

from optio.pricing.svi import SviParams
from optio.sdk.market import Option
from tests.contracts.market.conftest import SURFACE, WEEK, book_pricer, full_pass, warp
from tests.helpers import (
    call,
    deadline,
    fill_claimable,
    now,
    redeem_tenth,
    revert_to,
    reverts,
    send,
    set_risk_limits,
    snapshot,
    warp_to,
)

WAD = 10**18
DAY = 86400
FOREVER = 2**255
# BookTotals fields.
LIAB, DELTA, VEGA, BOUGHT, FRESH, VALID, FRESH_UNTIL, SURFACES_AT = 0, 1, 2, 3, 10, 11, 13, 14


def _post_surface(live, expiry: int) -> None:
    """The conftest's constant-vol surface for ``expiry`` (scaled to the time left)."""
    f = (expiry - now(live.w3)) / WEEK
    live.protocol.vol_oracle.post(live.keeper, expiry, SviParams(
        a=SURFACE.a * f, b=SURFACE.b * f, rho=SURFACE.rho, m=SURFACE.m, sigma=SURFACE.sigma))


def _surface_times(live, expiry: int) -> tuple[int, int]:
    """(updatedAt, freshUntil) of ``expiry``'s surface (reverts when stale)."""
    _, at, until = live.protocol.vol_oracle.contract.functions.getParamsUntil(expiry).call()
    return at, until


def _buy(live, signer, oid: int, amount: int) -> None:
    send(live.market, signer, "buy", oid, amount, FOREVER, deadline(live.w3))


def _per_entry(live, is_call: bool) -> tuple[int, ...]:
    """The side's pass summed one entry at a time (one valuePage call an entry: no surface is
    ever found in the cache): liability, delta, vega, bought delta."""
    book = live.market.book
    fn = book_pricer(live).contract.functions
    spot = live.protocol.spot_oracle.contract.functions.latestPrice().call()[0]
    total = [0, 0, 0, 0]
    for e in book.contract.functions.bookEntries(is_call).call():
        sums = fn.valuePage(is_call, [e], spot).call()
        for i in range(4):
            total[i] += sums[i]
    return tuple(total)


def _expiries(base_day: int, n: int) -> list[int]:
    """``n`` distinct expiries whose day indices collide mod 16: days base, base+16, base+32,
    base+1, base+17, ... plus two on one day; every third exactly at 00:00 UTC (a day boundary),
    the others at 08:00 or one second before midnight."""
    days = [base_day + d for d in (0, 16, 32, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23, 8, 24, 9)]
    out: list[int] = []
    for i, day in enumerate(days[:n]):
        seconds = (0, 8 * 3600, DAY - 1)[i % 3]
        out.append(day * DAY + seconds)
    if n >= 10:  # two boards on one day: one slot, probed past
        out[-1] = out[0] + 8 * 3600
    assert len(set(out)) == n
    return out


@pytest.mark.parametrize("n_expiries", [1, 10, 17, 20])
def test_the_one_page_sweep_equals_the_full_pass_over_colliding_expiries(live, trader, keeper, n_expiries):
    """A call book over ``n_expiries`` boards whose day indices collide mod 16 (with two boards
    on one day and expiries at 00:00:00 UTC), two strikes a board traded board by board then
    again, so that past 16 expiries the second strike of a board is re-read uncached. Swept in
    one page: the stored totals equal the pricer's full pass (`valuePage` over `bookEntries`,
    the one `portfolio` makes) and the sum of one-entry passes (no cache) to the wei, and the
    surface times are exactly the minima of the surfaces' own (`getParamsUntil`). Held."""
    m, book = live.market, live.market.book
    set_risk_limits(live.protocol, m, maxNetDelta=10**27, maxNetVega=10**27)
    base_day = now(live.w3) // DAY + 2
    expiries = _expiries(base_day, n_expiries)
    for e in expiries:
        m.list_strikes(keeper, e, ["2000", "2200"])
        _post_surface(live, e)
    m.base.approve_units(trader, m.address, FOREVER)
    send(book, keeper, "crank", True, 512)  # empty side: a no-op sweep
    for strike in ("2000", "2200"):
        for e in expiries:
            _buy(live, trader, Option(e, strike, True).id, WAD)
    assert call(book, "liveCount", True) == 2 * n_expiries
    warp(live.w3, 30)
    live.post_spot("2010")
    send(book, keeper, "crank", True, 512)
    totals = call(book, "bookTotals", True)
    stored = tuple(totals[:4])
    full = full_pass(live, True)
    single = _per_entry(live, True)
    times = [_surface_times(live, e) for e in expiries]
    print(f"{n_expiries} expiries: stored {stored}, full {full}, per entry {single}")
    assert totals[VALID] and totals[FRESH]
    assert stored == full == single, (stored, full, single)
    assert totals[FRESH_UNTIL] == min(u for _, u in times)
    assert totals[SURFACES_AT] == min(a for a, _ in times)
    assert call(book, "pricedSince", True) == min(totals[8], totals[SURFACES_AT])


def test_under_a_minute_to_expiry_the_sweep_equals_the_full_pass(live, trader, keeper):
    """τ < 1 minute (the pricer's MIN_TAU clamp) with a surface still fresh (posted 100 s before
    expiry: fresh to 50 s before it): the sweep equals the full pass and the one-entry passes,
    and the totals are fresh only up to the surface's last fresh second, before expiry. Held."""
    m, book = live.market, live.market.book
    m.base.approve_units(trader, m.address, FOREVER)
    for strike in ("1800", "2000", "2200"):
        _buy(live, trader, live.option(strike).id, WAD)
    warp_to(live.w3, live.expiry - 101)
    live.refresh("2000")
    warp_to(live.w3, live.expiry - 56)
    live.post_spot("2001")
    send(book, keeper, "crank", True, 512)
    assert live.expiry - now(live.w3) < 60
    totals = call(book, "bookTotals", True)
    full, single = full_pass(live, True), _per_entry(live, True)
    at, until = _surface_times(live, live.expiry)
    assert tuple(totals[:4]) == full == single, (totals[:4], full, single)
    assert totals[FRESH] and totals[FRESH_UNTIL] == until < live.expiry and totals[SURFACES_AT] == at
    vault = live.protocol.vault("call")
    assert call(book, "optionsLiability", vault.address)[1]
    warp_to(live.w3, until + 1)
    assert not call(book, "optionsLiability", vault.address)[1]


def test_a_trade_mid_sweep_carries_the_old_totals_surface_times_into_the_new_mark(live, trader, alice, keeper):
    """`tradeTotals` returns `a` with `freshUntil`/`surfacesAt` = min(the stored totals', the
    trade's surface), and `_shift` lowers the sweep under way to `a`'s: so a trade on an option
    already marked by a sweep started after a surface re-post pulls the previous totals' (older)
    surface times into the new sweep, though the sweep marked nothing at those surfaces.

    Attack: two boards with calls written; the totals marked at surfaces posted at s0. alice
    queues a redeem; the vol keeper re-posts both surfaces (s1 > her request; what the forward
    rule waits for) and the spot keeper posts; the keeper's sweep runs in pages (here pages of 1:
    the default 128 once the side holds more than 128 options). Between its pages anyone trades
    the option already marked (a 0.01 call): the sweep's `surfacesAt` drops to s0 and its
    `freshUntil` to the old totals'. Measured: the finished mark has surfacesAt = s0 (request -
    60 s) instead of s1, so `pricedSince` is before alice's request and nothing fills (without the
    trade the same sweep fills her 10% redeem); the mark is also held to the old surfaces'
    `freshUntil`. Repeated at each sweep the trader keeps every request made after s0 waiting
    until that old freshUntil passes (≤ the oracle's 3 h max age), after which the totals are not
    current (trades and fills wait for a clean sweep). Conservative (no fill at a stale price):
    a griefing delay of LP fills, severity low. Fixed: `_shift` lowers the sweep's times by the
    trade's own surface times (`t.surfaceFreshUntil`, `t.surfaceAt`), not by `a`'s (this test
    failed as a strict xfail before the fix). Asserted: the request fills, and the mark's
    surfacesAt is the re-posts'."""
    m, book = live.market, live.market.book
    vault = live.protocol.vault("call")
    second = live.expiry + DAY
    m.list_strikes(keeper, second, ["2000"])
    _post_surface(live, second)
    m.base.approve_units(trader, m.address, FOREVER)
    _buy(live, trader, live.option("2000").id, 5 * WAD)
    _buy(live, trader, Option(second, "2000", True).id, 5 * WAD)
    warp(live.w3, 30)
    live.post_spot("2000")
    send(book, keeper, "crank", True, 512)
    s0 = call(book, "bookTotals", True)[SURFACES_AT]
    warp(live.w3, 60)
    redeem_tenth(vault, alice)
    request_at = now(live.w3)
    warp(live.w3, 60)
    live.post_surface()
    _post_surface(live, second)  # the re-posts her fill waits for
    s1 = min(_surface_times(live, e)[0] for e in (live.expiry, second))
    live.post_spot("2000")
    send(book, keeper, "crank", True, 1)  # page 1: the first option marked

    snap = snapshot(live.w3)
    send(book, keeper, "crank", True, 1)
    clean = call(book, "bookTotals", True)
    clean_fill = fill_claimable(vault, keeper)
    revert_to(live.w3, snap)

    first = call(book, "liveOptions", True)[0]
    _buy(live, trader, first, WAD // 100)  # in front of the cursor: _shift
    send(book, keeper, "crank", True, 1)
    totals = call(book, "bookTotals", True)
    filled = fill_claimable(vault, keeper)
    print(f"s0 {s0}, request {request_at}, s1 {s1}; clean sweep surfacesAt {clean[SURFACES_AT]} "
          f"freshUntil {clean[FRESH_UNTIL]} filled {clean_fill}; with the trade surfacesAt "
          f"{totals[SURFACES_AT]} freshUntil {totals[FRESH_UNTIL]} filled {filled}")
    assert clean[SURFACES_AT] == s1 and clean_fill > 0
    assert totals[SURFACES_AT] == s1 and filled > 0, (totals[SURFACES_AT], s0, s1, filled)


def test_a_redeem_behind_a_board_past_its_last_surface_post_waits_for_the_expiry_price(live, trader, alice, keeper):
    """The vol keeper stops posting a board inside `min_tenor_s` (300 s). alice queues a redeem
    after the board's last surface post (401 s before expiry). While the mark uses that surface
    (fresh to half its tenor: 200 s before expiry) her request is after `pricedSince` and waits;
    once it is stale the crank counts the options at the bound and the mark is not fresh (nothing
    fills); after expiry the first spot post records the settlement price, the crank marks the
    expired shorts at their payoff with no surface (pricedSince = that post) and she is filled,
    before anyone settles the board. Not stuck: she waits from her request to the first spot post
    after expiry (here ~7 minutes). Trades meanwhile: the crank leaves the stale board out of
    `freshUntil` (the totals stay current, not fresh). Held."""
    m, book = live.market, live.market.book
    vault = live.protocol.vault("call")
    m.base.approve_units(trader, m.address, FOREVER)
    _buy(live, trader, live.option("2000").id, 10 * WAD)
    _buy(live, trader, live.option("2200").id, 10 * WAD)
    warp_to(live.w3, live.expiry - 401)
    live.refresh("2000")  # the board's last surface post (the keeper stops at 300 s)
    last_post = now(live.w3)
    warp(live.w3, 30)
    redeem_tenth(vault, alice)
    timeline = []
    for t, spot in ((live.expiry - 300, "2000"), (live.expiry - 150, "2000"), (live.expiry + 5, "2100")):
        warp_to(live.w3, t)
        live.post_spot(spot)
        send(book, keeper, "crank", True, 512)
        totals = call(book, "bookTotals", True)
        fresh = call(book, "optionsLiability", vault.address)[1]
        since = call(book, "pricedSince", True)
        filled = fill_claimable(vault, keeper)
        timeline.append((t - live.expiry, fresh, since - last_post, totals[FRESH_UNTIL] - live.expiry, filled))
    print("(t - expiry, mark fresh, pricedSince - last post, freshUntil - expiry, filled):", timeline)
    (_, f1, p1, u1, x1), (_, f2, _, u2, x2), (_, f3, p3, _, x3) = timeline
    assert f1 and p1 == 0 and u1 < 0 and x1 == 0  # fresh at the surface she saw: waits
    assert not f2 and x2 == 0 and u2 > 0  # stale surface: at the bound, left out of freshUntil
    assert f3 and p3 > 30 and x3 > 0  # at the settlement price, after expiry: filled
    assert call(book, "liveCount", True) == 2  # before any settle


def test_a_close_while_another_boards_surface_is_stale_needs_only_a_crank(live, trader, keeper):
    """Closes now need current totals. Board A a week out, board B (the fixture's) inside the vol
    keeper's min tenor with its surface gone stale: the totals' freshUntil (B's) has passed, so a
    close on A reverts BookTotalsStale; anyone's crank leaves B out of freshUntil (B counted at
    the bound, not fresh) and the close passes. Nobody is locked out of closing. Held."""
    m, book = live.market, live.market.book
    other = live.expiry + WEEK
    m.list_strikes(keeper, other, ["2000"])
    m.base.approve_units(trader, m.address, FOREVER)
    _buy(live, trader, live.option("2000").id, WAD)
    warp_to(live.w3, live.expiry - 400)
    live.refresh("2000")
    _post_surface(live, other)
    send(book, keeper, "crank", True, 512)
    a = Option(other, "2000", True).id
    _buy(live, trader, a, 2 * WAD)
    warp_to(live.w3, live.expiry - 150)  # B's surface stale (half of its 400 s tenor)
    live.post_spot("2000")
    with reverts("BookTotalsStale"):
        send(m, trader, "closeLong", a, WAD, 0, deadline(live.w3))
    send(book, trader, "crank", True, 512)
    totals = call(book, "bookTotals", True)
    assert totals[VALID] and not totals[FRESH] and totals[FRESH_UNTIL] == _surface_times(live, other)[1]
    send(m, trader, "closeLong", a, WAD, 0, deadline(live.w3))


def test_a_settlement_then_crank_leaves_only_the_live_boards_surface_times(live, trader, keeper):
    """Two boards of written calls; the fixture's expires, the first post after it records its
    price, anyone settles it (both sides invalidated). Before the crank no trade passes
    (BookTotalsStale); the crank's totals equal the full pass, and their surface times are the
    live board's alone (the expired board contributes none: marked at its settlement price, then
    settled). Held."""
    m, book = live.market, live.market.book
    other = live.expiry + 3 * DAY
    m.list_strikes(keeper, other, ["2000"])
    _post_surface(live, other)
    m.base.approve_units(trader, m.address, FOREVER)
    _buy(live, trader, live.option("2000").id, 2 * WAD)
    _buy(live, trader, Option(other, "2000", True).id, 2 * WAD)
    warp_to(live.w3, live.expiry + 60)
    live.post_spot("2050")  # records the expiry's price
    _post_surface(live, other)
    send(book, keeper, "crank", True, 512)
    before = call(book, "bookTotals", True)
    assert before[FRESH] and before[FRESH_UNTIL] == _surface_times(live, other)[1]
    send(m, trader, "settle", live.expiry)
    assert not call(book, "bookTotals", True)[VALID]
    with reverts("BookTotalsStale"):
        _buy(live, trader, Option(other, "2000", True).id, WAD)
    warp(live.w3, 5)
    live.post_spot("2050")
    send(book, trader, "crank", True, 512)
    totals = call(book, "bookTotals", True)
    at, until = _surface_times(live, other)
    assert totals[VALID] and totals[FRESH]
    assert tuple(totals[:4]) == full_pass(live, True) == _per_entry(live, True)
    assert (totals[FRESH_UNTIL], totals[SURFACES_AT]) == (until, at)
