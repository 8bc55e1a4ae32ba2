"""The OptionBook (issue 25): stored totals, the paged epoch crank, and what waits on them.

- A sweep in pages equals the full book pass at its snapshot spot; a post restarts it; a stale
  spot refuses it; an empty page is refused.
- Trades during a sweep: one on an option already marked moves the sweep's sums by its own
  contribution; the others are read when the crank reaches them; a removal keeps every unmarked
  option at or past the cursor (a plain swap-and-pop put the last, unmarked, option behind it).
- Trades wait for current totals (age, a surface's freshness, spot move, invalidation), closes
  too (the limits hold on them: round B5); the SDK's trade cranks and retries.
- Fills use only a complete sweep at the latest spot post; a settlement or a liquidation
  invalidates the totals until the next sweep.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from optio.sdk.market import Option, TradeKind
from tests.contracts.market.conftest import WEEK, close_to, full_pass, stored_totals, warp
from tests.helpers import call, now, reverts, send

WAD = 10**18
FOREVER = 2**255
STRIKES = [str(1500 + 50 * i) for i in range(12)]


@pytest.fixture
def book12(live, trader):
    """Twelve live calls (and their vault long-free book), bought one by one."""
    live.market.list_strikes(live.keeper, live.expiry, [s for s in STRIKES if s not in ("1800", "2000", "2200")])
    live.market.base.faucet(trader, "40")
    for strike in STRIKES:
        live.market.trade(trader, live.option(strike), TradeKind.BUY, "1")
    assert call(live.market.book, "liveCount", True) == 12
    # A second on: a test's first spot post lands after the fixture's (a post at the same second
    # reverts TimestampNotIncreasing when the trades above run within one).
    warp(live.w3, 1)
    return live


def test_a_sweep_in_pages_is_the_full_pass_at_its_snapshot(book12, keeper):
    live, book = book12, book12.market.book
    live.post_spot("2010")
    receipts = book.crank(keeper, True, page=5).receipts
    assert len(receipts) == 3  # 5 + 5 + 2
    totals = call(book, "bookTotals", True)
    assert totals[6] == 2010 * WAD and totals[10] and totals[11]  # snapshot spot, fresh, valid
    # Pages are priced at their own blocks' time (seconds apart): to theta, the full pass.
    assert close_to(stored_totals(live, True), full_pass(live, True))
    # One page of everything, in one block: exactly the full pass.
    warp(live.w3, 1)
    live.post_spot("2020")
    block = book.crank(keeper, True, page=64).receipts[-1]["blockNumber"]
    assert stored_totals(live, True) == full_pass(live, True, block)


def test_a_post_restarts_a_sweep_and_a_stale_spot_refuses_one(book12, keeper):
    live, book = book12, book12.market.book
    live.post_spot("2010")
    send(book, keeper, "crank", True, 5)
    sweep = call(book, "bookSweep", True)
    assert sweep[9] == 5 and sweep[11]  # cursor, under way
    warp(live.w3, 1)
    live.post_spot("1990")
    send(book, keeper, "crank", True, 5)  # restarted at the new post: the first 5 again
    sweep = call(book, "bookSweep", True)
    assert sweep[9] == 5 and sweep[6] == 1990 * WAD
    with reverts("ZeroPage"):
        send(book, keeper, "crank", True, 0)
    warp(live.w3, 3601)  # spot stale
    with reverts("StalePrice"):
        send(book, keeper, "crank", True, 64)


def test_trades_during_a_sweep_are_counted_once(book12, trader, keeper):
    live, m, book = book12, book12.market, book12.market.book
    live.post_spot("2005")
    send(book, keeper, "crank", True, 6)  # the first six marked
    ids = call(book, "liveOptions", True)
    marked, unmarked = Option.from_id(ids[0]), Option.from_id(ids[9])
    m.trade(trader, marked, TradeKind.BUY, "2")  # counted in the sweep's sums now
    m.trade(trader, unmarked, TradeKind.BUY, "3")  # read by the crank when it gets there
    book.crank(keeper, True, page=6)
    assert close_to(stored_totals(live, True), full_pass(live, True))


def test_a_removal_in_front_of_the_cursor_keeps_every_option_marked(book12, trader, keeper):
    """Closing an option already marked frees a slot in front of the cursor. A plain swap-and-pop
    moved the last (unmarked) option into it, behind the cursor: the sweep then never marked it,
    and its value was missing from the vault's mark."""
    live, m, book = book12, book12.market, book12.market.book
    live.post_spot("2005")
    send(book, keeper, "crank", True, 6)
    ids = call(book, "liveOptions", True)
    last = ids[-1]
    m.trade(trader, Option.from_id(ids[1]), TradeKind.CLOSE_LONG, "1")  # flat: leaves the book
    cursor = call(book, "bookSweep", True)[9]
    positions = {oid: i for i, oid in enumerate(call(book, "liveOptions", True))}
    assert cursor == 5 and positions[last] >= cursor, "the unmarked last option moved behind the cursor"
    assert call(book, "livePosition", last) == positions[last] + 1
    book.crank(keeper, True, page=6)
    assert close_to(stored_totals(live, True), full_pass(live, True))
    # The naive swap would have left `last` out: its value is far above the tolerance.
    value = call(m, "quote", last, 0, WAD)[2]  # mid per option, quote wad
    assert value * WAD // (2005 * WAD) > abs(full_pass(live, True)[0]) * 1e-5 + 10


def test_trades_wait_for_current_totals_closes_too(book12, trader, keeper):
    live, m, book = book12, book12.market, book12.market.book
    opt = live.option("2000")
    m.base.approve_units(trader, m.address, FOREVER)
    warp(live.w3, 3601)
    live.refresh()
    with reverts("BookTotalsStale"):  # an hour old
        send(m, trader, "buy", opt.id, WAD, FOREVER, now(live.w3) + 600)
    with reverts("BookTotalsStale"):  # a close too
        send(m, trader, "closeLong", opt.id, WAD, 0, now(live.w3) + 600)
    m.trade(trader, opt, TradeKind.CLOSE_LONG, "1")  # the SDK cranks, then closes
    assert call(book, "bookTotals", True)[11]  # valid: the SDK's crank
    send(m, trader, "buy", opt.id, WAD, FOREVER, now(live.w3) + 600)
    send(m, trader, "buy", opt.id, WAD, FOREVER, now(live.w3) + 600)
    warp(live.w3, 1)
    live.post_spot("2050")  # 2.5% from the snapshot's 2000
    with reverts("BookTotalsStale", totalsSpot=2000 * WAD, spot=2050 * WAD):
        send(m, trader, "buy", opt.id, WAD, FOREVER, now(live.w3) + 600)
    book.crank(keeper, True)
    send(m, trader, "buy", opt.id, WAD, FOREVER, now(live.w3) + 600)


def test_fills_use_only_a_sweep_at_the_latest_post(live, trader, alice, keeper):
    m, book = live.market, live.market.book
    vault = live.protocol.vault("call")
    m.trade(trader, live.option("2000"), TradeKind.BUY, "2")
    shares = call(vault, "balanceOf", alice.address) // 10
    send(vault, alice, "requestRedeem", shares, alice.address, alice.address)
    warp(live.w3, 1)
    live.refresh("2000")  # spot and surface posted after the request (round B3: both are waited for)
    assert not call(book, "optionsLiability", vault.address)[1]  # the totals are at the old post
    send(vault, keeper, "serveQueue", 16)
    assert call(vault, "pendingShares") == shares  # nothing filled
    book.crank(keeper, True)
    warp(live.w3, 1)
    live.post_spot("2001")  # a newer post: that sweep is no longer the latest price
    send(vault, keeper, "serveQueue", 16)
    assert call(vault, "pendingShares") == shares
    book.crank(keeper, True)
    assert call(book, "optionsLiability", vault.address)[1]
    send(vault, keeper, "serveQueue", 16)
    assert call(vault, "pendingShares") == 0


def test_a_liquidation_invalidates_the_side_until_the_next_sweep(live, trader, keeper):
    m, book, margin = live.market, live.market.book, live.protocol.margin
    margin.deposit(trader, False, "1000")
    put = live.option("2000", "put")
    m.trade(trader, put, TradeKind.SELL, "2")  # the put vault is long 2
    health = margin.call_struct("healthOf", [trader.address])[0].puts
    send(margin, trader, "withdraw", False, health.collateral - health.required * 1001 // 1000, trader.address)
    warp(live.w3, 2)
    live.post_spot("1800")
    book.crank(keeper, False)
    send(margin, keeper, "liquidate", trader.address, put.id, WAD)
    totals = call(book, "bookTotals", False)
    assert not totals[11] and not call(book, "optionsLiability", live.protocol.vault("put").address)[1]
    book.crank(keeper, False)
    assert call(book, "bookTotals", False)[11]


def test_only_the_market_writes_the_book(live, attacker):
    book = live.market.book
    opt = live.option("2000")
    with reverts("NotMarket", caller=attacker.address):
        send(book, attacker, "remove", opt.id, True)
    with reverts("NotMarket", caller=attacker.address):
        send(book, attacker, "settleBoard", live.expiry)
    with reverts("NotMarket", caller=attacker.address):
        send(book, attacker, "onLongRemoved", opt.id, WAD, True)
    assert call(book, "market") == live.market.address


def test_settle_walks_the_boards_live_options_only(live, trader, keeper):
    """Live options of a second board are neither walked nor touched by the first board's settle."""
    m, book = live.market, live.market.book
    second = live.expiry + WEEK
    m.list_strikes(keeper, second, ["2000"])
    live.protocol.vol_oracle.post(keeper, second, live_surface(live, second))
    m.trade(trader, live.option("2000"), TradeKind.BUY, "1")
    m.trade(trader, Option(second, Decimal("2000"), True), TradeKind.BUY, "1")
    assert len(call(book, "boardLive", live.expiry)) == 1 and len(call(book, "boardLive", second)) == 1
    live.w3.provider.make_request("evm_setNextBlockTimestamp", [live.expiry + 1])
    live.w3.provider.make_request("evm_mine", [])
    live.post_spot("2100")
    m.settle(keeper, live.expiry)
    assert call(book, "boardLive", live.expiry) == [] and len(call(book, "boardLive", second)) == 1
    assert call(book, "liveOptions", True) == [Option(second, Decimal("2000"), True).id]


def live_surface(live, expiry):
    from tests.contracts.market.conftest import SURFACE

    f = (expiry - now(live.w3)) / WEEK
    return type(SURFACE)(a=SURFACE.a * f, b=SURFACE.b * f, rho=SURFACE.rho, m=SURFACE.m, sigma=SURFACE.sigma)


def test_the_books_open_interest_is_the_markets(live, trader, keeper):
    """The book's copy of each live option's open interest (what a crank marks) follows every
    way the market's moves: the four trades and a margin short's removal."""
    m, book, margin = live.market, live.market.book, live.protocol.margin
    margin.deposit(trader, True, "20")
    call_2000, call_2200 = live.option("2000"), live.option("2200")
    m.trade(trader, call_2000, TradeKind.BUY, "3")
    m.trade(trader, call_2000, TradeKind.SELL, "2")
    m.trade(trader, call_2200, TradeKind.SELL, "4")
    m.trade(trader, call_2000, TradeKind.CLOSE_LONG, "1")
    m.trade(trader, call_2200, TradeKind.CLOSE_SHORT, "1.5")
    entries = {e[0]: e for e in call(book, "bookEntries", True)}
    assert set(entries) == {call_2000.id, call_2200.id}
    for oid, entry in entries.items():
        state = call(m, "optionState", oid)
        assert (entry[1], entry[2]) == (state[0], state[1]), oid
    health = margin.call_struct("healthOf", [trader.address])[0].calls
    send(margin, trader, "withdraw", True, health.collateral - health.required * 1001 // 1000, trader.address)
    warp(live.w3, 2)
    live.post_spot("2200")  # the 2200 seller is liquidatable
    send(margin, keeper, "liquidate", trader.address, call_2200.id, WAD)
    entry = next(e for e in call(book, "bookEntries", True) if e[0] == call_2200.id)
    assert entry[2] == call(m, "optionState", call_2200.id)[1] == WAD + WAD // 2
