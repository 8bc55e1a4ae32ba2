"""Listing, quotes and trades on a real Anvil: what moves, what is locked, every revert path."""

from __future__ import annotations

from decimal import Decimal

import pytest

from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.errors import InvalidInput
from optio.sdk.market import TradeKind
from tests.contracts.market.conftest import WEEK, warp
from tests.helpers import admin_send, call, now, request_id_of, reverts, send, serve

WAD = 10**18


def _raw_buy(live, signer, option, amount_wad=WAD, max_premium=2**255, deadline=None):
    deadline = deadline if deadline is not None else now(live.w3) + 600
    return send(live.market, signer, "buy", option.id, amount_wad, max_premium, deadline)


def _approve(live, signer):
    for token in (live.market.base, live.market.quote_token):
        token.approve_units(signer, live.market.address, 2**255)


# --- listing ---------------------------------------------------------------------------------


def test_listing_registers_expiry_and_ids(live):
    m = live.market
    assert m.expiries() == [live.expiry]
    assert [o.strike for o in m.options(live.expiry)][::2] == [Decimal(s) for s in ("1800", "2000", "2200")]
    assert live.expiry in call(live.protocol.spot_oracle, "pendingExpiries")
    opt = live.option("2000", "put")
    assert call(m, "optionId", live.expiry, opt.strike_wad, False) == opt.id


def test_listing_reverts(live, keeper, bob):
    m = live.market
    with reverts("AccessControlUnauthorizedAccount"):
        send(m, bob, "listStrikes", live.expiry, [WAD])
    with reverts("StrikeAlreadyListed"):
        send(m, keeper, "listStrikes", live.expiry, [2000 * WAD])
    with reverts("StrikeOutOfRange", strike=0):
        send(m, keeper, "listStrikes", live.expiry, [0])
    with reverts("ExpiryTooSoon"):
        send(m, keeper, "listStrikes", now(live.w3) + 300, [WAD])


# --- quotes ----------------------------------------------------------------------------------


def test_chain_quote_equals_engine_and_spread_brackets_mid(live):
    for strike in ("1800", "2000", "2200"):
        for kind in ("call", "put"):
            opt = live.option(strike, kind)
            ask = live.market.quote(opt, TradeKind.BUY, "2")
            bid = live.market.quote(opt, TradeKind.SELL, "2")
            assert bid.per_option < bid.mid < ask.per_option
            # One second of chain time between the quote's block and the engine's: theta·1 s.
            for q in (ask, bid):
                assert abs(q.engine_gap) < Decimal("1e-7"), (strike, kind, q)


def test_quote_reverts_for_unlisted_and_dust(live):
    with pytest.raises(InvalidInput, match="not listed"):
        live.market.quote(live.option("1900"), TradeKind.BUY, "1")
    with reverts("AmountTooSmall"):
        call(live.market, "quote", live.option("2000").id, 0, 10**14)


# --- buying and closing ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["call", "put"])
def test_buy_pays_vault_locks_collateral_mints_token(live, trader, kind):
    m = live.market
    opt = live.option("2000", kind)
    vault = live.protocol.vault(kind)
    token = m.token_of(opt)
    before = (token.balance_units(trader.address), token.balance_units(vault.address), call(vault, "lockedAssets"))
    q = m.quote(opt, TradeKind.BUY, "3")
    m.trade(trader, opt, TradeKind.BUY, "3")
    paid = before[0] - token.balance_units(trader.address)
    # The quote's block or the next: time value decays between surface posts, so a second of
    # chain time between the two may lower the premium by theta·1 s (1e-5 of it at most here).
    assert q.premium_units - q.premium_units // 10**5 <= paid <= q.premium_units
    assert token.balance_units(vault.address) - before[1] == paid
    locked = call(vault, "lockedAssets") - before[2]
    assert locked == (3 * 10**18 if kind == "call" else 6000 * 10**6)
    assert m.long_balance_wad(trader.address, opt) == 3 * WAD
    state = call(m, "optionState", opt.id)
    assert state[0] == 3 * WAD and state[1] == 0


def test_close_long_pays_bid_and_unlocks(live, trader):
    m = live.market
    opt = live.option("2200", "call")
    vault = live.protocol.vault("call")
    m.trade(trader, opt, TradeKind.BUY, "2")
    bid = m.quote(opt, TradeKind.CLOSE_LONG, "2")
    before = m.base.balance_units(trader.address)
    m.close(trader, opt)
    paid = m.base.balance_units(trader.address) - before
    # The bid decays by theta between the quote's block and the trade's (a second or two).
    assert bid.premium_units - bid.premium_units // 1000 <= paid <= bid.premium_units
    assert call(vault, "lockedAssets") == 0
    assert m.long_balance_wad(trader.address, opt) == 0
    assert call(m.book, "liveOptions", True) == []


def test_round_trip_costs_the_spread(live, trader):
    """Buying and selling back at once never gains: the protocol keeps the spread and fees."""
    m = live.market
    opt = live.option("2000", "put")
    start = m.quote_token.balance_units(trader.address)
    m.trade(trader, opt, TradeKind.BUY, "5")
    m.close(trader, opt)
    assert m.quote_token.balance_units(trader.address) < start


def test_inventory_skews_the_next_ask(live, trader):
    m = live.market
    opt = live.option("2000", "call")
    first = m.quote(opt, TradeKind.BUY, "1")
    m.trade(trader, opt, TradeKind.BUY, "20")
    second = m.quote(opt, TradeKind.BUY, "1")
    assert second.inventory > first.inventory
    assert second.per_option > first.per_option


def test_trade_reverts(live, trader, guardian, keeper, deployer):
    m = live.market
    opt = live.option("2000", "call")
    _approve(live, trader)
    with reverts("PremiumAboveLimit"):
        _raw_buy(live, trader, opt, max_premium=1)
    with reverts("DeadlinePassed"):
        _raw_buy(live, trader, opt, deadline=now(live.w3) - 1)
    with reverts("AmountTooSmall"):
        _raw_buy(live, trader, opt, amount_wad=10**14)
    with reverts("UnknownOption"):
        _raw_buy(live, trader, live.option("1900"))
    with reverts("InsufficientOptions"):
        send(m, trader, "closeLong", opt.id, WAD, 0, now(live.w3) + 600)
    with reverts("InsufficientOpenInterest"):
        send(m, trader, "closeShort", opt.id, WAD, 2**255, now(live.w3) + 600)
    with reverts("ExpectedPause"):
        send(m, guardian, "unpause")
    send(m, guardian, "pause")
    assert call(m, "paused") is True
    with reverts("EnforcedPause"):
        _raw_buy(live, trader, opt)
    with reverts("EnforcedPause"):
        send(m, guardian, "pause")
    send(m, guardian, "unpause")
    assert call(m, "paused") is False
    _raw_buy(live, trader, opt)  # the same trade goes through once unpaused


def test_sdk_refuses_bad_input_before_sending(live, trader):
    m = live.market
    block = live.w3.eth.block_number
    with pytest.raises(InvalidInput, match="amount must be positive"):
        m.trade(trader, live.option("2000"), TradeKind.BUY, "0")
    with pytest.raises(InvalidInput, match="no position"):
        m.close(trader, live.option("2000"))
    with pytest.raises(InvalidInput, match="is not a number"):
        m.trade(trader, live.option("2000"), TradeKind.BUY, "lots")
    assert live.w3.eth.block_number == block


def test_stale_oracles_stop_trades(live, trader):
    _approve(live, trader)
    opt = live.option("2000")
    warp(live.w3, 3601)  # spot max age
    with reverts("StalePrice"):
        _raw_buy(live, trader, opt)
    live.post_spot("2000")
    warp(live.w3, 3 * 3600 - 3601 + 10)  # surface max age
    live.post_spot("2000")
    with reverts("StaleSurface"):
        _raw_buy(live, trader, opt)
    live.post_surface()
    _raw_buy(live, trader, opt)


def test_trading_cutoff_is_exclusive(live, trader):
    """Trading stops at expiry − cutoff exactly: at cutoff − 1 s a trade goes through."""
    _approve(live, trader)
    opt = live.option("2000")
    cutoff = live.expiry - call(live.market, "riskLimits")[0]
    live.w3.provider.make_request("evm_setNextBlockTimestamp", [cutoff - 30])
    live.w3.provider.make_request("evm_mine", [])
    live.post_spot("2000")
    live.post_surface()
    live.w3.provider.make_request("evm_setNextBlockTimestamp", [cutoff - 1])
    _raw_buy(live, trader, opt, deadline=cutoff + 100)
    live.w3.provider.make_request("evm_setNextBlockTimestamp", [cutoff])
    with reverts("TradingClosed", expiry=live.expiry, cutoff=cutoff):
        live.w3.provider.make_request("evm_mine", [])
        _raw_buy(live, trader, opt, deadline=cutoff + 100)


def test_exposure_limits(live, trader, deployer):
    m = live.market
    _approve(live, trader)
    opt = live.option("1800")
    limits = list(call(m, "riskLimits"))
    admin_send(live.protocol, m, "setRiskLimits", (*limits[:3], 2 * WAD, *limits[4:]))
    with reverts("NetDeltaLimit"):
        _raw_buy(live, trader, opt, amount_wad=3 * WAD)
    admin_send(live.protocol, m, "setRiskLimits", (*limits[:4], 100 * WAD, *limits[5:]))
    with reverts("NetVegaLimit"):
        _raw_buy(live, trader, opt, amount_wad=2 * WAD)
    # maxUtilisation also bounds the delta of the options the vault buys by that fraction of its
    # idle assets (100 WETH): 1% → 1 option of delta, below the 1.66 two ITM calls carry.
    admin_send(live.protocol, m, "setRiskLimits", (*limits[:5], WAD // 100, *limits[6:]))
    idle = call(live.protocol.vault("call"), "idleAssets")
    live.protocol.margin.deposit(trader, True, "10")
    with reverts("NetDeltaLimit", maxNetDelta=idle // 100):
        m.trade(trader, opt, TradeKind.SELL, "2")
    admin_send(live.protocol, m, "setRiskLimits", (*limits[:5], WAD * 19 // 1000, *limits[6:]))
    with reverts("UtilisationLimit"):  # written options are bounded by their collateral instead
        _raw_buy(live, trader, opt, amount_wad=2 * WAD)
    with reverts("InvalidConfig"):
        admin_send(live.protocol, m, "setRiskLimits", (59, *limits[1:]))


def test_vault_marks_open_options(live, trader):
    """After a buy the vault's NAV carries the option at mid: assets = cash − mid·n (+ spread)."""
    m = live.market
    vault = live.protocol.vault("call")
    opt = live.option("2000")
    nav0 = call(vault, "totalAssets")
    q = m.quote(opt, TradeKind.BUY, "10")
    m.trade(trader, opt, TradeKind.BUY, "10")
    liability, delta, vega, fresh = call(m.book, "portfolio", True)
    assert fresh
    mid_units = int(q.mid * 10 / q.spot * WAD)
    assert abs(liability - mid_units) <= mid_units // 10**6
    gain = call(vault, "totalAssets") - nav0
    assert 0 < gain <= q.premium_units - mid_units + 10**12  # the spread and fee, nothing more
    assert delta < 0 and vega < 0  # the vault is short calls


def test_stale_mark_stops_deposits_and_delays_exits(live, trader, alice, keeper):
    """At a stale mark no share changes hands at a price: instant deposits and exits are refused
    (maxDeposit and maxRedeem are zero), a queued deposit or exit waits, even for the keeper's
    fill, and fills at the next fresh mark. (Until the review of 6507dee, withdrawals
    went on at the bound: that priced LPs out. Until forward-priced LP flows the instant redeem
    reverted MarkNotFresh here; now the live book closes instant flows first: InstantFlowClosed,
    and the fill is the keeper's, after its next spot post: alice's request is younger than
    fillDelay and the keeper is filling, so anyone else's serveQueue fills nothing.)"""
    m = live.market
    vault = live.protocol.vault("call")
    m.trade(trader, live.option("2000"), TradeKind.BUY, "1")
    warp(live.w3, 3601)
    assert call(m.book, "portfolio", True)[3] is False
    assert call(vault, "maxDeposit", alice.address) == 0
    assert call(vault, "maxRedeem", alice.address) == 0
    shares = call(vault, "balanceOf", alice.address)
    with reverts("InstantFlowClosed"):
        send(vault, alice, "redeem", shares // 2, alice.address, alice.address)
    vault.asset.faucet(alice, "1")
    send(vault.asset, alice, "approve", vault.address, 2**256 - 1)
    # A deposit request is taken (it marks nothing) but waits, like the exit: no fill at a bound.
    dep = request_id_of(vault, send(vault, alice, "requestDeposit", WAD, alice.address, alice.address))
    send(vault, alice, "requestRedeem", shares // 2, alice.address, alice.address)
    send(vault, keeper, "serveQueue", 16)
    assert call(vault, "pendingShares") == shares // 2
    assert call(vault, "redeemRequest", dep)[1] == 1  # pending
    warp(live.w3, 1)  # the keeper's next cycle: a post after the request, then its fill
    live.refresh()
    send(vault, alice, "serveQueue", 16)  # no epoch mark at this post yet: nothing fills
    assert call(vault, "pendingShares") == shares // 2
    serve(vault, alice, 16)  # cranked (anyone may), but too young, and the keeper is filling
    assert call(vault, "pendingShares") == shares // 2
    send(vault, keeper, "serveQueue", 16)
    assert call(vault, "pendingShares") == 0 and call(vault, "claimableAssets") > 0
    assert call(vault, "redeemRequest", dep)[1] == 3  # filled (claimed) at the fresh mark


def test_live_options_capped(live):
    assert call(live.market.book, "MAX_LIVE_OPTIONS") == 512


def test_several_traders_share_an_option(live, trader):
    carol = LocalSigner(dev_account(4))
    m = live.market
    m.base.faucet(carol, "5")
    opt = live.option("2000")
    m.trade(trader, opt, TradeKind.BUY, "1")
    m.trade(carol, opt, TradeKind.BUY, "2")
    assert call(m, "optionState", opt.id)[0] == 3 * WAD
    assert set(m.holders(opt)) == {trader.address, carol.address}
    assert WEEK > 0
