"""The exposure check of an opening trade: the net delta and vega of the vault's book as the
trade leaves it, computed in the pricing call (`tradePriceWithBook`), equal the full book pass
(`valueBook`, what `portfolio` and the vault's NAV use), and the market applies them."""

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


def _book_after(m, option: Option, vault_sells: bool, amount: int) -> list[tuple]:
    """The market's book for ``option``'s vault, ``option`` moved by the trade (as `_bookAfter`)."""
    book = []
    for oid in call(m, "liveOptions", option.is_call):
        short_oi, long_oi, _, _, settled, _, payoff = call(m, "optionState", oid)
        book.append([oid, short_oi, long_oi, payoff, settled])
    if option.id not in [e[0] for e in book]:
        book.append([option.id, 0, 0, 0, False])
    entry = next(e for e in book if e[0] == option.id)
    entry[1 if vault_sells else 2] += amount
    return [tuple(e) for e in book]


@pytest.mark.parametrize("strike,board,vault_sells", [
    ("2000", 1, True),   # not yet live: appended to the book
    ("1800", 1, True),   # live, first entry
    ("2400", 2, False),  # the vault buys, second board
])
def test_fused_greeks_equal_the_full_book_pass(live, two_boards, strike, board, vault_sells):
    m = live.market
    pricer = Client(live.w3, live.protocol.deployment.address("OptionPricer"), artifact_name="OptionPricer")
    expiry = live.expiry if board == 1 else two_boards
    option = Option(expiry, Decimal(strike), True)
    amount = 4 * WAD
    book = _book_after(m, option, vault_sells, amount)
    spot, _ = call(live.protocol.spot_oracle, "latestPrice")
    params, _ = call(live.protocol.vol_oracle, "getParams", expiry)
    fees = call(m, "fees")
    inventory, utilisation = WAD // 10, WAD // 5
    trade = (option.id, vault_sells, spot, params, inventory, utilisation, amount, 2**96 - 1, 2**96 - 1, 2**96 - 1)
    fused = call(pricer, "tradePriceWithBook", trade, fees, book)
    _, delta, vega, fresh = call(pricer, "valueBook", True, book)
    assert fresh
    assert (fused[4], fused[5]) == (delta, vega)
    alone = call(
        pricer, "tradePrice", True, vault_sells, spot, option.strike_wad, expiry - now(live.w3),
        params, inventory, utilisation, fees,
    )
    assert tuple(fused[:4]) == tuple(alone)
    # The traded option moved the Greeks: the check is not the book before the trade.
    _, delta_before, vega_before, _ = call(pricer, "valueBook", True, _book_after(m, option, vault_sells, 0))
    assert delta != delta_before and vega != vega_before


def test_limits_apply_to_the_book_after_the_trade(live, trader, two_boards, deployer):
    """A delta limit between the book's delta before and after a buy stops it; the same limit
    with room for the trade lets it through. Likewise for vega."""
    m = live.market
    m.base.approve_units(trader, m.address, 2**255)
    option = live.option("2000")  # not yet live
    _, delta_before, vega_before, _ = call(m, "portfolio", True)
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
    _, delta_after, vega_after, _ = call(m, "portfolio", True)
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
