"""The exposure check of a trade, O(1) in the book: the OptionBook's stored totals (net
liability, delta, vega, bought delta) move by the trade's own exact contribution, computed in the
pricing call (`OptionPricer.tradeTotals`); an epoch crank re-bases them to the full book pass
(`valuePage` / `valueBook`, what `portfolio` uses); and the market applies the limits to them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from optio.pricing.svi import SviParams
from optio.sdk.contracts import Client
from optio.sdk.market import Option, TradeKind
from tests.contracts.market.conftest import SURFACE, WEEK
from tests.helpers import admin_send, call, now, reverts, send

WAD = 10**18


@pytest.fixture
def two_boards(live, trader):
    """Live calls on two expiries, interleaved in the live list: 1800 (board 1), 2000 (board 2),
    then 2200 (board 1) — a book pass switches surfaces at every entry."""
    second = live.expiry + WEEK
    live.market.list_strikes(live.keeper, second, ["2000", "2400"])
    live.protocol.vol_oracle.post(live.keeper, second, _scaled(live, second))
    live.market.trade(trader, live.option("1800"), TradeKind.BUY, "2")
    live.market.trade(trader, Option(second, Decimal("2000"), True), TradeKind.BUY, "1")
    live.market.trade(trader, live.option("2200"), TradeKind.BUY, "3")
    return second


def _scaled(live, expiry):
    f = (expiry - now(live.w3)) / WEEK
    return SviParams(a=SURFACE.a * f, b=SURFACE.b * f, rho=SURFACE.rho, m=SURFACE.m, sigma=SURFACE.sigma)


def _sums(fields) -> tuple[int, ...]:
    """(liability, netDelta, netVega, boughtDelta) of a BookTotals or an OptionPricer.Sums."""
    return tuple(int(f) for f in fields[:4])


def _at(client: Client, fn: str, *args, block: int):
    return getattr(client.contract.functions, fn)(*args).call(block_identifier=block)


@pytest.mark.parametrize("strike,board,kind", [
    ("2000", 1, TradeKind.BUY),   # not yet live: appended to the book
    ("1800", 1, TradeKind.BUY),   # live, first entry
    ("2400", 2, TradeKind.SELL),  # the vault buys, second board
])
def test_stored_totals_are_the_full_pass_plus_each_trade(live, trader, two_boards, strike, board, kind):
    m, book = live.market, live.market.book
    pricer = Client(live.w3, live.protocol.deployment.address("OptionPricer"), artifact_name="OptionPricer")
    live.protocol.margin.deposit(trader, True, "10")
    # The crank re-bases the side to the exact full pass at its snapshot spot (same block).
    crank_block = book.crank(live.keeper, True).receipts[-1]["blockNumber"]
    spot = call(live.protocol.spot_oracle, "latestPrice")[0]
    entries = _at(book, "bookEntries", True, block=crank_block)
    full = _at(pricer, "valuePage", True, entries, spot, block=crank_block)
    stored = call(book, "bookTotals", True)
    assert _sums(stored) == _sums(full) and stored[10] and stored[11]  # fresh, valid
    # A trade adds exactly its own contribution: tradeTotals from zero, at the trade's block.
    expiry = live.expiry if board == 1 else two_boards
    option = Option(expiry, Decimal(strike), True)
    receipt = m.trade(trader, option, kind, "4")
    block = receipt["blockNumber"]
    params, posted, fresh_until = _at(live.protocol.vol_oracle, "getParamsUntil", expiry, block=block)
    vault_sells = kind is TradeKind.BUY
    trade = (option.id, vault_sells, not vault_sells, spot, params, 0, 0, 4 * WAD, 2**96, 2**96, 2**96, posted,
             fresh_until)
    zero = (0, 0, 0, 0, 0, 0, True, 2**256 - 1, 2**256 - 1)
    _, own = _at(pricer, "tradeTotals", trade, call(m, "fees"), zero, block=block)
    after = call(book, "bookTotals", True)
    assert _sums(after) == tuple(a + b for a, b in zip(_sums(stored), _sums(own), strict=True))
    assert own[1] != 0 and own[2] != 0  # the trade moved delta and vega: not the book before it
    # Its surface's times enter the totals (minima): the mark is fresh no longer than it is.
    assert (own[7], own[8]) == (fresh_until, posted)
    assert after[13] == min(stored[13], fresh_until) and after[14] == min(stored[14], posted)
    # The others were not re-marked (their time value moved a little since the snapshot), yet
    # the totals are the full pass at the trade's block to a few parts per million.
    entries = _at(book, "bookEntries", True, block=block)
    now_full = _at(pricer, "valuePage", True, entries, spot, block=block)
    for got, want in zip(_sums(after)[:3], _sums(now_full)[:3], strict=True):
        assert abs(got - want) <= abs(want) // 100_000 + 10


def test_limits_apply_to_the_book_after_the_trade(live, trader, two_boards, deployer):
    """A delta limit between the book's delta before and after a buy stops it; the same limit
    with room for the trade lets it through. Likewise for vega."""
    m = live.market
    m.base.approve_units(trader, m.address, 2**255)
    option = live.option("2000")  # not yet live
    _, delta_before, vega_before, _ = call(m.book, "portfolio", True)
    vega = int(m.quote(option, TradeKind.BUY, "5").vega * WAD)  # per option, quote wad
    limits = list(call(m, "riskLimits"))
    # The vault is short calls: each bought call adds about its delta and vega to the short.
    assert delta_before < 0 and vega_before < 0
    admin_send(live.protocol, m, "setRiskLimits", (*limits[:3], abs(delta_before) + WAD, *limits[4:]))
    with reverts("NetDeltaLimit"):
        send(m, trader, "buy", option.id, 5 * WAD, 2**255, now(live.w3) + 600)
    admin_send(live.protocol, m, "setRiskLimits", (*limits[:4], abs(vega_before) + 5 * vega // 2, *limits[5:]))
    with reverts("NetVegaLimit"):
        send(m, trader, "buy", option.id, 5 * WAD, 2**255, now(live.w3) + 600)
    room = (*limits[:3], abs(delta_before) + 4 * WAD, abs(vega_before) + 6 * vega, *limits[5:])
    admin_send(live.protocol, m, "setRiskLimits", room)
    send(m, trader, "buy", option.id, 5 * WAD, 2**255, now(live.w3) + 600)
    _, delta_after, vega_after, _ = call(m.book, "portfolio", True)
    assert abs(delta_before) + WAD < abs(delta_after) <= abs(delta_before) + 4 * WAD
    assert abs(vega_before) + 5 * vega // 2 < abs(vega_after)


def test_only_the_market_mints_and_burns(live, trader):
    m = live.market
    token = m.option_token
    assert token.call("market") == m.address
    opt = live.option("2000")
    with reverts("NotMarket", caller=trader.address):
        send(token, trader, "mint", trader.address, opt.id, WAD)
    with reverts("NotMarket", caller=trader.address):
        send(token, trader, "burn", trader.address, opt.id, 0)


def test_a_sell_checks_utilisation_after_paying_its_premium(live, trader, two_boards, deployer):
    """The vault pays a sell's premium out of its idle assets, which raises its utilisation."""
    m, margin = live.market, live.protocol.margin
    margin.deposit(trader, True, "5")
    vault = live.protocol.vault("call")
    now_util = call(vault, "utilisation")
    limits = list(call(m, "riskLimits"))
    admin_send(live.protocol, m, "setRiskLimits", (*limits[:5], now_util, *limits[6:]))
    option = live.option("1800")
    with reverts("UtilisationLimit", maxUtilisation=now_util):
        send(m, trader, "sell", option.id, WAD, 0, now(live.w3) + 600)
    admin_send(live.protocol, m, "setRiskLimits", (*limits[:5], now_util + WAD // 100, *limits[6:]))
    send(m, trader, "sell", option.id, WAD, 0, now(live.w3) + 600)
    assert now_util < call(vault, "utilisation") <= now_util + WAD // 100
