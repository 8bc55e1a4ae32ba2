"""Adversary tests on the OptionBook (issue 25): its stored totals, the paged crank and the marks
the vaults fill at, attacked from outside (any trader, any cranker).

- A sweep in pages of every size, with options closed (flat: removed), bought more of, or newly
  opened between its pages at every cursor, equals the full pass at its snapshot spot; the live
  list, its positions and the book's open-interest copy stay the market's.
- A spot post, a settlement or a liquidation in the middle of a sweep restarts it; the sweep that
  follows is still the full pass.
- An attacker adding an option before every page of a sweep cannot keep it from finishing.
- The opening gates hold at their edges (2% spot move, 1 h age).
- A fill right after a crank and a trade uses the crank's mark plus the trade's contribution.
- A vol surface posted after the crank: the fill's mark (see the FINDING there).
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from optio.pricing.svi import SviParams
from optio.sdk.market import Option, TradeKind
from tests.contracts.market.conftest import (
    SURFACE,
    WEEK,
    close_to,
    full_pass,
    stored_totals,
    warp,
)
from tests.helpers import (
    call,
    deadline,
    now,
    redeem_tenth,
    revert_to,
    reverts,
    send,
    set_next_timestamp,
    snapshot,
    warp_to,
)

WAD = 10**18
FOREVER = 2**255
STRIKES = [str(1500 + 50 * i) for i in range(20)]  # 20 listed: 12 bought first, 8 left to open


def _check_lists(live, is_call: bool) -> None:
    """Every live option listed once at its recorded position; the book's OI copy is the market's;
    a sweep's cursor within the list."""
    m, book = live.market, live.market.book
    ids = call(book, "liveOptions", is_call)
    assert len(set(ids)) == len(ids), "an option listed twice"
    for i, oid in enumerate(ids):
        assert call(book, "livePosition", oid) == i + 1, (oid, i)
    for e in call(book, "bookEntries", is_call):
        state = call(m, "optionState", e[0])
        assert (e[1], e[2]) == (state[0], state[1]), f"OI copy drifted on {e[0]}"
        assert state[0] != 0 or state[1] != 0, "a flat option left in the book"
    sweep = call(book, "bookSweep", is_call)
    if sweep[11]:
        assert sweep[9] <= len(ids)
    for expiry in {Option.from_id(oid).expiry for oid in ids}:
        board = [oid for oid in call(book, "boardLive", expiry) if Option.from_id(oid).is_call == is_call]
        assert sorted(board) == sorted(oid for oid in ids if Option.from_id(oid).expiry == expiry), expiry


def _buy(live, signer, oid: int, amount: int = WAD) -> None:
    """A raw buy (the SDK's trade would crank the whole side on BookTotalsStale)."""
    send(live.market, signer, "buy", oid, amount, FOREVER, deadline(live.w3))


def _close_long(live, signer, oid: int, amount: int = WAD) -> None:
    send(live.market, signer, "closeLong", oid, amount, 0, deadline(live.w3))


@pytest.fixture
def book12(live, trader):
    """Twelve live calls (1 each, bought by the trader), eight more strikes listed but not live."""
    m = live.market
    m.list_strikes(live.keeper, live.expiry, [s for s in STRIKES if s not in ("1800", "2000", "2200")])
    m.base.faucet(trader, "40")
    m.base.approve_units(trader, m.address, FOREVER)
    for strike in STRIKES[:12]:
        _buy(live, trader, live.option(strike).id)
    assert call(m.book, "liveCount", True) == 12
    return live


def test_pages_of_every_size_equal_the_full_pass(book12, keeper):
    live, book = book12, book12.market.book
    for i, page in enumerate([1, 2, 3, 4, 5, 7, 11, 12, 13, 512]):
        warp(live.w3, 1)
        live.post_spot(str(2000 + i))
        book.crank(keeper, True, page=page)
        sweep, totals = call(book, "bookSweep", True), call(book, "bookTotals", True)
        assert not sweep[11] and totals[11] and totals[6] == (2000 + i) * WAD, page
        assert close_to(stored_totals(live, True), full_pass(live, True)), page


def test_a_removal_at_every_cursor_and_position_keeps_the_sweep_exact(book12, trader, keeper):
    """Crank c options, close option r to flat (it leaves the book by swap-and-pop), finish: the
    totals are the full pass, every option still listed was marked once (none skipped behind the
    cursor, none counted twice)."""
    live, book = book12, book12.market.book
    warp(live.w3, 1)
    live.post_spot("2005")
    for cursor in (1, 5, 10, 11):
        for r in range(12):
            snap = snapshot(live.w3)
            send(book, keeper, "crank", True, cursor)
            ids = call(book, "liveOptions", True)
            _close_long(live, trader, ids[r])
            _check_lists(live, True)
            sweep = call(book, "bookSweep", True)
            expected_cursor = cursor - 1 if r < cursor else cursor
            assert sweep[11] and sweep[9] == expected_cursor, (cursor, r, sweep[9])
            marked_after = set(call(book, "liveOptions", True)[: sweep[9]])
            assert marked_after == set(ids[:cursor]) - {ids[r]}, (cursor, r)
            book.crank(keeper, True, page=3)
            assert close_to(stored_totals(live, True), full_pass(live, True)), (cursor, r)
            revert_to(live.w3, snap)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_trades_between_pages_keep_the_sweep_exact(book12, trader, keeper, seed):
    """Between pages of 1..4, random closes to flat, more bought, new options opened, margin
    sells and short closes: each sweep equals the full pass, the lists and OI copy stay exact."""
    live, m, book = book12, book12.market, book12.market.book
    rng = random.Random(seed)
    live.protocol.margin.deposit(trader, True, "20")
    for sweep_no in range(3):
        warp(live.w3, 1)
        live.post_spot(str(2000 + sweep_no))
        done = False
        while not done:
            send(book, keeper, "crank", True, rng.randint(1, 4))
            done = not call(book, "bookSweep", True)[11]
            if done:
                break
            ids = call(book, "liveOptions", True)
            op = rng.choice(["close", "more", "new", "sell", "closeshort"])
            oid = rng.choice(ids)
            state = call(m, "optionState", oid)
            if op == "close" and state[1] == 0 and state[0] > 0:
                _close_long(live, trader, oid, state[0])  # flat: removed mid-sweep
            elif op == "more":
                _buy(live, trader, oid, rng.choice([WAD // 2, WAD, 2 * WAD]))
            elif op == "new":
                fresh = [live.option(s).id for s in STRIKES if live.option(s).id not in ids]
                if fresh:
                    _buy(live, trader, rng.choice(fresh))
            elif op == "sell":
                m.trade(trader, Option.from_id(oid), TradeKind.SELL, "1")
            elif op == "closeshort" and state[1] >= WAD:
                m.trade(trader, Option.from_id(oid), TradeKind.CLOSE_SHORT, "1")  # may leave it flat
            _check_lists(live, True)
        assert close_to(stored_totals(live, True), full_pass(live, True)), (seed, sweep_no)
        _check_lists(live, True)


def test_a_close_and_reopen_mid_sweep_is_counted_once(book12, trader, keeper):
    """An option marked, closed to flat (its value shifted out of the sweep), bought again
    (appended unmarked): the crank reads it once; likewise one not yet marked."""
    live, book = book12, book12.market.book
    warp(live.w3, 1)
    live.post_spot("2005")
    send(book, keeper, "crank", True, 6)
    ids = call(book, "liveOptions", True)
    for oid in (ids[2], ids[9]):
        _close_long(live, trader, oid)
        _buy(live, trader, oid, 2 * WAD)
        _check_lists(live, True)
    assert call(book, "bookSweep", True)[9] == 5
    book.crank(keeper, True, page=2)
    assert close_to(stored_totals(live, True), full_pass(live, True))


def test_a_put_removal_at_every_position_keeps_the_sweep_exact(live, trader, keeper):
    m, book = live.market, live.market.book
    strikes = ["1700", "1750", "1850", "1900"]
    m.list_strikes(keeper, live.expiry, strikes)
    m.quote_token.approve_units(trader, m.address, FOREVER)
    for strike in [*strikes, "1800", "2000"]:
        _buy(live, trader, live.option(strike, "put").id)
    warp(live.w3, 1)
    live.post_spot("1995")
    for cursor in (2, 5):
        for r in range(6):
            snap = snapshot(live.w3)
            send(book, keeper, "crank", False, cursor)
            _close_long(live, trader, call(book, "liveOptions", False)[r])
            _check_lists(live, False)
            book.crank(keeper, False, page=2)
            assert close_to(stored_totals(live, False), full_pass(live, False)), (cursor, r)
            revert_to(live.w3, snap)


def test_emptying_and_refilling_the_side_mid_sweep(book12, trader, keeper):
    """Every option closed mid-sweep (marked and unmarked), then one opened: the sweep carries no
    stale sums into the new book."""
    live, book = book12, book12.market.book
    warp(live.w3, 1)
    live.post_spot("2005")
    send(book, keeper, "crank", True, 7)
    for oid in list(call(book, "liveOptions", True)):
        _close_long(live, trader, oid)
    assert call(book, "liveCount", True) == 0
    assert call(book, "bookSweep", True)[9] == 0
    _buy(live, trader, live.option("2000").id, 3 * WAD)
    book.crank(keeper, True, page=1)
    assert close_to(stored_totals(live, True), full_pass(live, True))
    _check_lists(live, True)


def test_a_post_mid_sweep_restarts_it_without_the_old_trades(book12, trader, keeper):
    live, book = book12, book12.market.book
    warp(live.w3, 1)
    live.post_spot("2005")
    send(book, keeper, "crank", True, 6)
    ids = call(book, "liveOptions", True)
    _buy(live, trader, ids[0], 4 * WAD)  # marked: shifted into the old sweep's sums
    warp(live.w3, 1)
    live.post_spot("2030")  # the old sweep is at a price no longer the latest
    _buy(live, trader, ids[1], 2 * WAD)  # shifted into the old sweep too: it restarts anyway
    send(book, keeper, "crank", True, 3)
    sweep = call(book, "bookSweep", True)
    assert sweep[11] and sweep[9] == 3 and sweep[6] == 2030 * WAD
    book.crank(keeper, True, page=4)
    assert close_to(stored_totals(live, True), full_pass(live, True))


def test_an_attacker_opening_an_option_before_every_page_cannot_stall_the_sweep(book12, trader, keeper):
    live, book = book12, book12.market.book
    warp(live.w3, 1)
    live.post_spot("2005")
    unlisted = [live.option(s).id for s in STRIKES[12:]]
    for oid in unlisted:
        send(book, keeper, "crank", True, 1)
        _buy(live, trader, oid)  # appended behind the cursor: the sweep grows by one a page
    assert call(book, "liveCount", True) == 20
    assert call(book, "bookSweep", True)[9] == 8
    book.crank(keeper, True, page=64)  # one page of the rest
    assert close_to(stored_totals(live, True), full_pass(live, True))


def test_a_settlement_mid_sweep_restarts_both_sides(live, trader, keeper):
    m, book = live.market, live.market.book
    second = live.expiry + WEEK
    m.list_strikes(keeper, second, ["1900", "2000", "2100"])
    live.protocol.vol_oracle.post(keeper, second, _surface(live, second))
    m.base.approve_units(trader, m.address, FOREVER)
    for strike in ("1800", "2000", "2200"):
        _buy(live, trader, live.option(strike).id)
    for strike in ("1900", "2000", "2100"):
        _buy(live, trader, Option(second, Decimal(strike), True).id)
    warp(live.w3, 1)
    live.post_spot("2000")
    send(book, keeper, "crank", True, 4)
    set_next_timestamp(live.w3, live.expiry + 1)
    live.w3.provider.make_request("evm_mine", [])
    warp(live.w3, 1)
    live.post_spot("2100")
    live.protocol.vol_oracle.post(keeper, second, _surface(live, second))
    m.settle(keeper, live.expiry)
    assert not call(book, "bookSweep", True)[11] and not call(book, "bookTotals", True)[11]
    assert call(book, "liveCount", True) == 3
    with reverts("BookTotalsStale"):
        _buy(live, trader, Option(second, Decimal("2000"), True).id)
    book.crank(keeper, True, page=2)
    assert call(book, "bookTotals", True)[11]
    assert close_to(stored_totals(live, True), full_pass(live, True))
    _buy(live, trader, Option(second, Decimal("2000"), True).id)
    _check_lists(live, True)


def _surface(live, expiry) -> SviParams:
    f = (expiry - now(live.w3)) / WEEK
    return SviParams(a=SURFACE.a * f, b=SURFACE.b * f, rho=SURFACE.rho, m=SURFACE.m, sigma=SURFACE.sigma)


def test_a_liquidation_mid_sweep_restarts_it_and_the_copy_follows(live, trader, keeper):
    m, book, margin = live.market, live.market.book, live.protocol.margin
    margin.deposit(trader, False, "1000")
    put = live.option("2000", "put")
    for strike in ("1800", "2200"):
        m.trade(trader, live.option(strike, "put"), TradeKind.BUY, "1")
    m.trade(trader, put, TradeKind.SELL, "2")  # the put vault is long 2
    health = margin.call_struct("healthOf", [trader.address])[0].puts
    send(margin, trader, "withdraw", False, health.collateral - health.required * 1001 // 1000, trader.address)
    warp(live.w3, 2)
    live.post_spot("1800")
    send(book, keeper, "crank", False, 2)
    assert call(book, "bookSweep", False)[11]
    send(margin, keeper, "liquidate", trader.address, put.id, WAD)
    assert not call(book, "bookSweep", False)[11] and not call(book, "bookTotals", False)[11]
    _check_lists(live, False)
    m.trade(trader, live.option("1800", "put"), TradeKind.CLOSE_LONG, "1")  # a close passes
    book.crank(keeper, False, page=1)
    assert call(book, "bookTotals", False)[11]
    assert close_to(stored_totals(live, False), full_pass(live, False))
    _check_lists(live, False)


def test_the_opening_gates_hold_at_their_edges(book12, trader, keeper):
    live, book = book12, book12.market.book
    oid = live.option("2000").id
    warp(live.w3, 1)
    live.post_spot("2000")
    book.crank(keeper, True)
    as_of = call(book, "bookTotals", True)[7]
    # Exactly 2% up passes; a wei more does not.
    warp(live.w3, 1)
    live.protocol.spot_oracle.transact(keeper, "post", 2040 * WAD, now(live.w3))
    snap = snapshot(live.w3)
    _buy(live, trader, oid)
    revert_to(live.w3, snap)
    warp(live.w3, 1)
    live.protocol.spot_oracle.transact(keeper, "post", 2040 * WAD + 1, now(live.w3))
    with reverts("BookTotalsStale", totalsSpot=2000 * WAD, spot=2040 * WAD + 1):
        _buy(live, trader, oid)
    # Exactly an hour old passes; a second more does not (spot kept fresh by a post at 2000).
    warp_to(live.w3, as_of + 3590)
    live.protocol.spot_oracle.transact(keeper, "post", 2000 * WAD, as_of + 3590)
    live.post_surface()
    snap = snapshot(live.w3)
    set_next_timestamp(live.w3, as_of + 3600)
    _buy(live, trader, oid)
    revert_to(live.w3, snap)
    warp_to(live.w3, as_of + 3601)
    with reverts("BookTotalsStale"):
        _buy(live, trader, oid)


def _liability_wad(live, vault) -> tuple[int, bool]:
    assets, fresh = call(live.market.book, "optionsLiability", vault.address)
    return assets, fresh


def _redeem_queued_then_epoch(live, trader, alice, keeper, buys: dict[str, str], spot: str):
    """The call vault writes ``buys`` (strike → options), alice queues a redeem of 10% of her
    shares, then an epoch turns: spot posted at ``spot`` and the surface re-posted (a fill serves
    only requests made before both: round B3), the call side cranked. The vault."""
    vault = live.protocol.vault("call")
    for strike, amount in buys.items():
        live.market.trade(trader, live.option(strike), TradeKind.BUY, amount)
    redeem_tenth(vault, alice)
    warp(live.w3, 1)
    live.refresh(spot)
    live.market.book.crank(keeper, True)
    return vault


def test_a_fill_after_a_crank_and_a_trade_is_at_the_full_pass(live, trader, alice, keeper):
    m, book = live.market, live.market.book
    vault = _redeem_queued_then_epoch(live, trader, alice, keeper, {"2000": "4"}, "2010")
    m.trade(trader, live.option("2200"), TradeKind.BUY, "6")  # between the crank and the fill
    m.trade(trader, live.option("2000"), TradeKind.CLOSE_LONG, "1")
    mark, fresh = _liability_wad(live, vault)
    full = call(book, "portfolio", True)[0]
    assert fresh and abs(mark - full) <= abs(full) * 1e-5 + 10, (mark, full)
    send(vault, keeper, "serveQueue", 16)
    assert call(vault, "pendingShares") == 0


def test_a_vol_post_after_the_crank_and_the_fill_mark(live, trader, alice, keeper):
    """The keeper posts spot and cranks; the vol keeper then posts a higher surface (within the
    VolOracle's 50% move bound); the keeper's fill must not use the mark of the old surface.

    Found on 28f5979 (helper review): `optionsLiability` freshness ignored the VolOracle, so after
    a surface post the stored totals (cranked at the old surface) stayed fresh for fills until the
    next spot post. Measured (10 calls at 2000 and 10 at 2200 written by a ~100 WETH call vault,
    ATM vol ~79% -> ~102%): the mark's liability 0.5610 WETH against 0.7870 at the new surface;
    alice's redeem of 10% of the shares filled at 9.9547 WETH, ~0.0225 WETH more than at the full
    pass, taken from the LPs who stay. Fixed: the totals record the VolOracle's `postCount`; a
    surface posted since leaves them not fresh (and restarts a sweep), and the next crank marks
    the book at the new surface, which the fill then uses.
    """
    book = live.market.book
    vault = _redeem_queued_then_epoch(live, trader, alice, keeper, {"2000": "10", "2200": "10"}, "2000")
    before, fresh = _liability_wad(live, vault)
    assert fresh
    warp(live.w3, 60)
    live.post_surface(SviParams(a=0.018, b=SURFACE.b, rho=SURFACE.rho, m=SURFACE.m, sigma=SURFACE.sigma))
    mark, fresh = _liability_wad(live, vault)
    full = call(book, "portfolio", True)[0]
    assert mark == before and full > mark * 1.2 and not fresh, (before, mark, full, fresh)
    claimable = call(vault, "claimableAssets")
    send(vault, keeper, "serveQueue", 16)
    assert call(vault, "claimableAssets") == claimable  # nothing filled at the old surface's mark
    book.crank(keeper, True)  # the epoch mark at the new surface
    mark, fresh = _liability_wad(live, vault)
    full = call(book, "portfolio", True)[0]
    assert fresh and abs(mark - full) <= abs(full) * 1e-5 + 10, (mark, full, full - mark)
    send(vault, keeper, "serveQueue", 16)
    assert call(vault, "claimableAssets") > claimable  # filled, at the new surface's mark


def test_a_surface_posted_mid_sweep_restarts_it(live, trader, keeper):
    """A sweep is at one spot and one set of surfaces: a surface posted between two of its pages
    starts it over, and the totals it ends with are the full pass at the new surface."""
    m, book = live.market, live.market.book
    for strike in ("1800", "2000", "2200"):
        m.trade(trader, live.option(strike), TradeKind.BUY, "2")
    warp(live.w3, 1)
    live.post_spot("2000")
    send(book, keeper, "crank", True, 2)
    assert call(book, "bookSweep", True)[9] == 2  # cursor: two of three marked
    warp(live.w3, 30)
    live.post_surface(SviParams(a=0.018, b=SURFACE.b, rho=SURFACE.rho, m=SURFACE.m, sigma=SURFACE.sigma))
    send(book, keeper, "crank", True, 2)
    assert call(book, "bookSweep", True)[9] == 2  # started over: two marked again, not three
    send(book, keeper, "crank", True, 2)
    totals = call(book, "bookTotals", True)
    full = call(book, "portfolio", True)
    vault = live.protocol.vault("call")
    mark, fresh = _liability_wad(live, vault)
    assert fresh and totals[11] and abs(mark - full[0]) <= abs(full[0]) * 1e-5 + 10, (mark, full)


def test_a_full_board_settles_in_one_block(book12, trader, keeper):
    """`OptionMarket.settle` walks the board's live options in one transaction (not paged).

    Found on 28f5979 (helper review, Low): a side could hold MAX_LIVE_OPTIONS (512) live options
    on one board, 1024 with both sides; settle measured 372,081 gas at 6 options and 902,688 at
    24 (~29.5k an option), so such a board needed ~30.4M gas, over a 30M block: it could never
    settle. Fixed: at most MAX_BOARD_LIVE (256) live options a board (`BoardFull`). Asserted:
    settle at that bound, extrapolated from 6 and 24, stays under half the block gas limit.
    """

    live, m = book12, book12.market
    m.quote_token.approve_units(trader, m.address, FOREVER)
    for strike in STRIKES[:12]:
        _buy(live, trader, live.option(strike, "put").id)
    gas = {}
    for n in (6, 24):
        snap = snapshot(live.w3)
        ids = call(m.book, "boardLive", live.expiry)
        for oid in ids[n:]:
            _close_long(live, trader, oid)  # n live options left on the board
        assert len(call(m.book, "boardLive", live.expiry)) == n
        set_next_timestamp(live.w3, live.expiry + 1)
        live.w3.provider.make_request("evm_mine", [])
        warp(live.w3, 1)
        live.post_spot("2100")
        gas[n] = m.transact(keeper, "settle", live.expiry)["gasUsed"]
        revert_to(live.w3, snap)
    per_option = (gas[24] - gas[6]) / 18
    at_bound = gas[6] + per_option * (call(m.book, "MAX_BOARD_LIVE") - 6)
    limit = live.w3.eth.get_block("latest")["gasLimit"]
    print(f"settle gas {gas}, {per_option:.0f} an option, {at_bound:.0f} at the book's bound; block {limit}")
    assert at_bound <= limit // 2, (gas, per_option, at_bound, limit)
