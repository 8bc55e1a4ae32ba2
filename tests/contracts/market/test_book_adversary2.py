"""Second adversary round on the OptionBook (issue 25): free options around LP flows, marks that
went stale after their crank, exposure limits the stored totals let through, and who may write
the book. Not redone here: tests/contracts/market/test_book_adversary.py (sweep exactness, the
opening gates' edges, a vol post before a fill, board settle gas).
"""

from __future__ import annotations

import pytest

from optio.pricing.svi import SviParams
from tests.contracts.market.conftest import SURFACE, warp
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
FOREVER = 2**255
HIGH_VOL = SviParams(a=0.018, b=SURFACE.b, rho=SURFACE.rho, m=SURFACE.m, sigma=SURFACE.sigma)


def _buy(live, signer, oid: int, amount: int) -> None:
    send(live.market, signer, "buy", oid, amount, FOREVER, deadline(live.w3))


def _mark(live, vault) -> tuple[int, bool]:
    return tuple(call(live.market.book, "optionsLiability", vault.address))


def _write_calls(live, trader) -> None:
    """The call vault writes 10 calls at 2000 and 10 at 2200 (a ~100 WETH vault)."""
    m = live.market
    m.base.approve_units(trader, m.address, FOREVER)
    _buy(live, trader, live.option("2000").id, 10 * WAD)
    _buy(live, trader, live.option("2200").id, 10 * WAD)


def _assert_stale_and_unfilled(live, vault, keeper, case: str) -> None:
    """The pricer's own pass is not fresh (a surface stale by the oracle's rule, or an expiry
    without its price), the stored mark is not fresh either, and the keeper's fill fills nothing."""
    mark, fresh = _mark(live, vault)
    full, _, _, full_fresh = call(live.market.book, "portfolio", True)
    filled = fill_claimable(vault, keeper)
    print(f"{case}: stored mark {mark} fresh={fresh}; pricer's pass {full} fresh={full_fresh}; filled {filled}")
    assert not full_fresh
    assert not fresh and filled == 0, (mark, fresh, full, filled)


def test_only_the_market_writes_the_book(live, trader, keeper):
    """Every writer of the book but `crank` is the market's: a trader (or the keeper, lister or
    guardian roles, which hold nothing on the book) cannot add, remove, settle, invalidate or move
    an open-interest copy. The crank is permissionless and only ever stores the full pass."""
    book = live.market.book
    m = live.market
    m.base.approve_units(trader, m.address, FOREVER)
    oid = live.option("2000").id
    _buy(live, trader, oid, WAD)
    inputs = next(f for f in book.contract.abi if f.get("name") == "trade")["inputs"]

    def zero(component):
        if component["type"] == "tuple":
            return tuple(zero(c) for c in component["components"])
        return False if component["type"] == "bool" else 0

    trade_args = [zero(inputs[0]), zero(inputs[1]), True, True]
    for signer in (trader, keeper):
        for fn, args in (
            ("trade", trade_args),
            ("remove", [oid, True]),
            ("settleBoard", [live.expiry]),
            ("onLongRemoved", [oid, WAD, True]),
        ):
            with reverts("NotMarket", caller=signer.address):
                send(book, signer, fn, *args)
    assert call(book, "liveOptions", True) == [oid]
    entries = call(book, "bookEntries", True)
    assert entries[0][1] == WAD  # the copy of the short OI untouched
    # An outsider's crank: totals are the pricer's full pass at the latest post.
    warp(live.w3, 1)
    live.post_spot("2010")
    send(book, trader, "crank", True, 1)
    totals = call(book, "bookTotals", True)
    full = call(book, "portfolio", True)
    assert totals[11] and totals[6] == 2010 * WAD
    assert abs(totals[1] - full[1]) <= abs(full[1]) // 10**5 + 10, (totals[1], full[1])


def test_a_redeem_requested_after_a_vol_post_fills_at_a_surface_the_requester_saw(live, trader, alice, keeper):
    """Round 9 F7's rule (a request waits for the next spot post, so its fill is at a price made
    after it) has no vol counterpart: a request made after the latest surface post is filled at
    that surface as soon as spot is posted again and the book cranked.

    Attack: alice sees implied vol rising off-chain (the vol keeper has not posted yet). She
    requests a redeem of 10% of her shares; the keeper posts spot (2000, unchanged), cranks and
    fills: at the old surface (ATM ~79%). Had the fill waited for the surface she knew was coming
    (a = 0.018: ATM ~102%), she would have received less. Measured (10 calls at 2000 and 10 at
    2200 written by the ~100 WETH call vault): filled 9.954725 WETH at the surface she saw against
    9.932238 at the new one: 0.022488 WETH (0.23%) taken from the LPs who stay, on an option the
    queue gives her for free (she may cancel while the fill waits). Fixed: a fill serves only
    requests made before the mark's spot post and every surface post it used
    (`OptionBook.pricedSince`). Asserted: no fill at a surface posted before the request.
    """
    book = live.market.book
    vault = live.protocol.vault("call")
    _write_calls(live, trader)
    warp(live.w3, 60)
    live.post_spot("2000")
    live.post_surface()  # the surface alice sees
    warp(live.w3, 60)
    redeem_tenth(vault, alice)
    warp(live.w3, 60)
    live.post_spot("2000")  # the keeper's next post: her request is now before it

    snap = snapshot(live.w3)
    live.post_surface(HIGH_VOL)
    book.crank(keeper, True)
    at_new = fill_claimable(vault, keeper)
    revert_to(live.w3, snap)

    book.crank(keeper, True)
    assert _mark(live, vault)[1]
    at_old = fill_claimable(vault, keeper)
    print(f"alice's 10% redeem: {at_old} at the surface she saw, {at_new} at the one she expected; "
          f"gain {at_old - at_new} wei of WETH")
    assert at_new > 0
    # Was: filled at the pre-request surface (at_old > at_new by the vol move's value).
    assert at_old == 0, (at_old, at_new, at_old - at_new)


def test_a_mark_whose_surface_went_stale_by_age_is_not_fresh(live, trader, alice, keeper):
    """`optionsLiability` checks the totals' age (1 h), the spot post and the vol post count, not
    the age of the surfaces they were marked at. Near expiry a surface is stale after half its
    tenor (vol_max_age_tau_fraction 0.5): posted an hour before expiry it is stale 30 minutes
    later, while the spot post (max age 1 h) and the totals (1 h) are still fresh.

    Attack: the book cranked 20 min after the surface post; 11 min later the surface is stale
    (the pricer's own view, `portfolio`, is not fresh: it bounds the shorts at full collateral),
    but the stored mark is still fresh and a queued redeem fills at the stale surface's value.
    Measured (10 calls at 2000 and 10 at 2200, spot 2000): the stored mark 0.027530 WETH of
    liability, fresh; the pricer's pass 20.000000 WETH (shorts at full collateral), not fresh;
    alice's queued 10% redeem filled 10.007798 WETH at the stale mark (at the bound it would not
    fill at all). In practice the filler fills right after its post and crank, so the window is
    a fill that lands after the surface's max age while the crank's totals are still under an
    hour (the keeper's fills, or anyone's after the fill delay). Severity low.
    Fixed: the totals keep the last second their surfaces stay fresh (`freshUntil`), and are
    not fresh past it. Asserted: the mark is not fresh, and nothing fills.
    """
    book = live.market.book
    vault = live.protocol.vault("call")
    _write_calls(live, trader)
    redeem_tenth(vault, alice)
    warp_to(live.w3, live.expiry - 3600)
    live.post_spot("2000")
    live.post_surface()  # stale 1800 s later (half its tenor)
    warp(live.w3, 20 * 60)
    live.post_spot("2000")
    book.crank(keeper, True)
    _, fresh = _mark(live, vault)
    assert fresh
    warp(live.w3, 11 * 60)  # surface 31 min old: stale; spot 11 min, totals 11 min
    # Was: the stored mark still fresh, and the queued redeem filled at the stale surface.
    _assert_stale_and_unfilled(live, vault, keeper, "surface stale by age")


@pytest.mark.parametrize("path", ["an_hour_old", "spot_moved_over_2pct"])
def test_closing_a_hedge_while_the_totals_are_not_current_lifts_net_delta_past_the_limit(live, trader, keeper, path):
    """Closes skip the exposure limits whenever the totals are not current (older than an hour,
    spot moved over 2%, or invalidated by any settlement or liquidation), though the same close
    reverts NetDeltaLimit when they are current.

    Attack (puts, maxNetDelta = 5 options of base): the trader sells 40 ATM puts to the vault on
    margin and buys 48, in alternating legs of 8 (each leg keeps |net delta| under ~3.7; at the
    end the vault is net short 8 puts, net delta ~ +3.7, and 4 more puts opened break the limit).
    Then either an hour passes without a crank (spot and surface re-posted: the oracles are
    fresh), or the keeper posts spot 2045 (+2.25%) and the trader back-runs the post before the
    crank. He closes his 40 shorts: the vault is left short 48 puts. Measured: net delta 22.955
    (an hour old) / 19.136 (moved) options against a limit of 5 (x4.6 / x3.8); the hedge's size,
    so the overshoot, is bounded only by the trader's margin and the utilisation cap. With the
    totals current (crank first) the same close reverts NetDeltaLimit. The same holds after any
    invalidation by the same `current` flag (a permissionless settle of another board, a
    liquidation): not run here. The book's `trade` is the same at 435dacc.
    Fixed: every trade needs current totals (closes too: no rule on stale totals tells a close
    that lowers the vault's exposure from one that lifts it), so the close reverts
    BookTotalsStale; after anyone's crank it is held to the limit (NetDeltaLimit).
    Asserted: the vault's net delta stays within maxNetDelta.
    """
    m, book, margin = live.market, live.market.book, live.protocol.margin
    limit = 5 * WAD
    set_risk_limits(live.protocol, m, maxNetDelta=limit)
    m.quote_token.approve_units(trader, m.address, FOREVER)
    margin.deposit(trader, False, "150000")
    put = live.option("2000", "put")
    for _ in range(5):  # in legs of 8: every open keeps |net delta| under ~3.7
        send(m, trader, "sell", put.id, 8 * WAD, 0, deadline(live.w3))
        send(m, trader, "buy", put.id, 8 * WAD, FOREVER, deadline(live.w3))
    send(m, trader, "buy", put.id, 8 * WAD, FOREVER, deadline(live.w3))
    with reverts("NetDeltaLimit"):  # four more puts opened break the limit
        send(m, trader, "buy", put.id, 4 * WAD, FOREVER, deadline(live.w3))
    if path == "an_hour_old":
        warp(live.w3, 3601)
        live.refresh("2000")
    else:
        warp(live.w3, 60)
        live.post_spot("2045")

    snap = snapshot(live.w3)
    book.crank(keeper, False)
    with reverts("NetDeltaLimit"):  # current totals: the close is held to the limit
        send(m, trader, "closeShort", put.id, 40 * WAD, FOREVER, deadline(live.w3))
    revert_to(live.w3, snap)

    with reverts("BookTotalsStale"):  # was: passed, net delta 22.955 / 19.136 against 5
        send(m, trader, "closeShort", put.id, 40 * WAD, FOREVER, deadline(live.w3))
    net_delta = call(book, "portfolio", False)[1]
    print(f"{path}: vault net delta after the attempt {net_delta / WAD:.3f} options; limit {limit / WAD}")
    assert abs(net_delta) <= limit, (net_delta, limit)


def test_an_opening_trade_at_a_199_percent_move_is_held_to_the_totals_plus_its_own_greeks(live, trader, keeper):
    """Opening trades are checked against totals up to 2% of spot away (TOTALS_MAX_MOVE_WAD): the
    rest of the book's delta drifts by its gamma in between (documented in docs/book.md). The
    attacker times his opens at a 1.99% move. Asserted: the trade's own delta is counted in
    full at the trade's spot (the totals move by exactly its contribution), the limit holds on
    the totals, and the true overshoot is the book's gamma drift over the move, nothing more.
    Measured (20 written calls cranked at 2000, limit = |net delta| + 2 = 9.3138, spot 2039.8):
    8 more 2200 calls revert NetDeltaLimit, 3 pass; totals -8.1032, true -9.3450 (the untraded
    book drifted -1.2419 over the move): 0.0312 over the limit, the documented gamma tolerance.
    Resisted (by design)."""
    m, book = live.market, live.market.book
    _write_calls(live, trader)  # calls at 2000 and 2200
    warp(live.w3, 1)
    live.post_spot("2000")
    book.crank(keeper, True)
    totals0 = call(book, "bookTotals", True)
    limit = abs(totals0[1]) + 2 * WAD
    set_risk_limits(live.protocol, m, maxNetDelta=limit)
    warp(live.w3, 1)
    live.protocol.spot_oracle.transact(keeper, "post", 2039 * WAD + 8 * 10**17, now(live.w3))  # +1.99%
    drift = call(book, "portfolio", True)[1] - totals0[1]  # the book's delta drift, no trade yet
    oid = live.option("2200").id
    amount = 3 * WAD
    with reverts("NetDeltaLimit"):  # past the limit on the totals
        _buy(live, trader, oid, 8 * WAD)
    _buy(live, trader, oid, amount)
    totals = call(book, "bookTotals", True)
    full = call(book, "portfolio", True)[1]
    assert abs(totals[1]) <= limit
    overshoot = abs(full) - limit
    print(f"limit {limit / WAD:.4f}, totals {totals[1] / WAD:.4f}, true {full / WAD:.4f}, "
          f"drift {drift / WAD:.4f}, overshoot {overshoot / WAD:.4f}")
    # The true net delta is the totals plus the untraded book's drift (to rounding): no more.
    assert abs(full - (totals[1] + drift)) <= abs(full) // 10**4 + 10, (full, totals[1], drift)


@pytest.mark.parametrize("order", ["crank_then_vol", "vol_then_crank"])
def test_a_crank_and_a_vol_post_in_one_block(live, trader, keeper, order):
    """The keeper's spot post, a crank and the vol keeper's surface post mined in one block: the
    mark is fresh only when the crank came after the surface (same timestamp, different order)."""
    book = live.market.book
    vault = live.protocol.vault("call")
    _write_calls(live, trader)
    w3 = live.w3
    warp(w3, 60)
    live.post_spot("2000")
    w3.provider.make_request("evm_setAutomine", [False])
    try:
        crank_fn = book.contract.functions.crank(True, 64)
        vol = live.protocol.vol_oracle
        f = (live.expiry - now(w3) - 1) / (7 * 24 * 3600)
        params = (int(HIGH_VOL.a * f * WAD), int(HIGH_VOL.b * f * WAD), int(HIGH_VOL.rho * WAD),
                  int(HIGH_VOL.m * WAD), int(HIGH_VOL.sigma * WAD))
        vol_fn = vol.contract.functions.post(live.expiry, params)
        nonce = w3.eth.get_transaction_count(keeper.address)
        txs = [crank_fn, vol_fn] if order == "crank_then_vol" else [vol_fn, crank_fn]
        hashes = []
        for i, fn in enumerate(txs):
            tx = fn.build_transaction({"from": keeper.address, "nonce": nonce + i, "gas": 3_000_000})
            hashes.append(w3.eth.send_transaction(tx))
        w3.provider.make_request("evm_mine", [])
    finally:
        w3.provider.make_request("evm_setAutomine", [True])
    receipts = [w3.eth.get_transaction_receipt(h) for h in hashes]
    assert all(r["status"] == 1 for r in receipts) and receipts[0]["blockNumber"] == receipts[1]["blockNumber"]
    mark, fresh = _mark(live, vault)
    full = call(book, "portfolio", True)[0]
    if order == "crank_then_vol":
        assert not fresh and full > mark, (mark, full)
    else:
        assert fresh and abs(mark - full) <= abs(full) // 10**5 + 10, (mark, full)



def test_a_redeem_requested_between_a_post_and_its_crank_waits_for_the_next_post(live, trader, alice, keeper):
    """A request made after the keeper's spot post, before the crank the keeper sends next (the
    requester saw the post and the crank's mark is the one she could compute): the crank makes
    the mark fresh, but her request is after the latest post and is not filled (round 9 F7's rule
    still holds with the book); after the next post it is. Resisted."""
    book = live.market.book
    vault = live.protocol.vault("call")
    _write_calls(live, trader)
    warp(live.w3, 60)
    live.post_spot("2000")
    warp(live.w3, 5)
    redeem_tenth(vault, alice)
    book.crank(keeper, True)
    assert _mark(live, vault)[1]
    assert fill_claimable(vault, keeper) == 0
    warp(live.w3, 60)
    live.refresh("2000")  # the next spot and surface posts (round B3: surfaces too)
    book.crank(keeper, True)
    assert fill_claimable(vault, keeper) > 0


def test_a_mark_cranked_before_expiry_is_not_fresh_past_it(live, trader, alice, keeper):
    """The totals cranked 10 minutes before the board's expiry (their spot post and surface fresh)
    are under an hour old for 50 minutes after it: `optionsLiability` stays fresh across expiry,
    though the options are then worth their payoff at a settlement price not yet known (the
    pricer's own pass is not fresh), and a queued redeem fills at the pre-expiry mark (time value
    included). Measured (10 calls at 2000 and 10 at 2200, spot 2000, 60 s past expiry): stored
    mark 0.013765 WETH of liability, fresh; the pricer's pass 20.000000 WETH (bound), not fresh;
    alice's queued 10% redeem filled 10.009168 WETH. The payoff is then fixed by a price the
    oracle has not posted (had ETH settled at 2100 the 2000 calls owe 0.476 WETH, 35x the mark).
    Same window as the stale surface (a fill after the keeper's post and crank; severity low).
    Fixed by the same `freshUntil` (a surface is stale before its expiry). Asserted: not fresh
    past expiry until a new post and crank."""
    book = live.market.book
    vault = live.protocol.vault("call")
    _write_calls(live, trader)
    redeem_tenth(vault, alice)
    warp_to(live.w3, live.expiry - 600)
    live.post_spot("2000")
    live.post_surface()
    book.crank(keeper, True)
    assert _mark(live, vault)[1]
    warp_to(live.w3, live.expiry + 60)
    # Was: fresh past expiry at the pre-expiry mark, and the queued redeem filled at it.
    _assert_stale_and_unfilled(live, vault, keeper, "past expiry")
