"""Two markets on one Anvil (issue 25): WETH/USDC and WBTC/USDC in one deployment, each with its
own oracles, vaults, book, market and margin account, named by the MarketRegistry. A stale
oracle or a guardian pause in one leaves the other trading."""

from __future__ import annotations

from decimal import Decimal

import pytest

from optio.sdk.contracts import Client
from optio.sdk.deployment import SHARED_KEYS
from optio.sdk.errors import ContractRevert, NoDeployment
from optio.sdk.market import Option, TradeKind
from optio.sdk.protocol import Protocol
from tests.contracts.market.conftest import BTC, ETH, PRICES, SURFACE, Live, warp
from tests.helpers import admin_send, call

#: A buy in each: the smallest live open interest (1 ETH option; 0.05 BTC, WBTC_MARKET) and more.
SIZES = {ETH: Decimal(1), BTC: Decimal("0.1")}


def _buy(live: Live, bob) -> None:
    spot = PRICES[live.protocol.market_name]
    live.market.base.approve_units(bob, live.market.address, 2**255)
    live.market.trade(bob, Option(live.expiry, spot, True), TradeKind.BUY, SIZES[live.protocol.market_name])


def test_the_registry_names_each_market(w3, deployment):
    registry = Client(w3, deployment.address("MarketRegistry"), artifact_name="MarketRegistry")
    listed = [tuple(entry) for entry in call(registry, "markets")]
    assert listed == [(name, deployment.for_market(name).address("OptionMarket")) for name in (ETH, BTC)]
    assert call(registry, "marketOf", BTC) == deployment.for_market(BTC).address("OptionMarket")
    with pytest.raises(ContractRevert, match="UnknownMarket"):
        call(registry, "marketOf", "DOGE/USDC")
    assert deployment.market_names() == [ETH, BTC]
    with pytest.raises(NoDeployment, match=r"no market .DOGE/USDC.*WETH/USDC, WBTC/USDC"):
        deployment.for_market("DOGE/USDC")


def test_the_registry_refuses_a_taken_name_or_market_and_any_caller_but_its_admin(w3, deployment, attacker):
    protocol = Protocol(w3, deployment)
    registry = Client(w3, deployment.address("MarketRegistry"), artifact_name="MarketRegistry")
    with pytest.raises(ContractRevert, match="NameTaken"):
        admin_send(protocol, registry, "register", ETH, attacker.address)
    with pytest.raises(ContractRevert, match="MarketTaken"):
        admin_send(protocol, registry, "register", "ETH2/USDC", deployment.address("OptionMarket"))
    with pytest.raises(ContractRevert, match="EmptyName"):
        admin_send(protocol, registry, "register", "", attacker.address)
    with pytest.raises(ContractRevert, match="AccessControlUnauthorizedAccount"):
        registry.transact(attacker, "register", "X/USDC", attacker.address)
    assert call(registry, "marketCount") == 2


def test_markets_share_only_the_quote_token_the_timelock_and_the_registry(w3, deployment):
    eth, btc = deployment.for_market(ETH), deployment.for_market(BTC)
    shared = {key for key in eth.contracts if eth.contracts[key].address == btc.contracts.get(key, eth).address}
    assert shared == set(SHARED_KEYS)
    own = {rec.address for key, rec in eth.contracts.items() if key not in SHARED_KEYS}
    assert own.isdisjoint(rec.address for key, rec in btc.contracts.items() if key not in SHARED_KEYS)
    p_eth, p_btc = Protocol(w3, eth), Protocol(w3, btc)
    assert (p_eth.market.base.symbol, p_btc.market.base.symbol) == ("WETH", "WBTC")
    assert p_btc.market.base.decimals == 8
    assert p_eth.market.quote_token.address == p_btc.market.quote_token.address
    # Each market's admin is the shared timelock; the deployer kept none.
    for p in (p_eth, p_btc):
        for client in (p.market, p.spot_oracle, p.vol_oracle, p.vault("call"), p.vault("put"), p.margin):
            assert client.has_role("DEFAULT_ADMIN_ROLE", deployment.address("Timelock"))
            assert not client.has_role("DEFAULT_ADMIN_ROLE", deployment.deployer)


def test_both_markets_trade_and_mark_their_own_book(both, bob):
    for live in both.values():
        _buy(live, bob)
    eth, btc = (both[name] for name in (ETH, BTC))
    assert eth.market.book.live_count(True) == btc.market.book.live_count(True) == 1
    # The call vaults mark in their base token: an at-the-money call on the same surface is the
    # same fraction of its own spot, so one BTC call in WBTC equals one ETH call in WETH (a
    # book marked at the other market's spot would be off by 30 times).
    per_option = {name: live.market.book.portfolio(True).liability / SIZES[name] for name, live in both.items()}
    assert abs(per_option[BTC] / per_option[ETH] - 1) < Decimal("1e-4"), per_option


def test_a_stale_oracle_in_one_market_leaves_the_other_trading(w3, both, keeper, bob):
    eth, btc = both[ETH], both[BTC]
    warp(w3, 2 * 3600)  # past both spot oracles' max age (1 h)
    btc.post_spot(PRICES[BTC])
    btc.post_surface(SURFACE)
    with pytest.raises(ContractRevert, match="StalePrice"):
        _buy(eth, bob)
    _buy(btc, bob)
    assert btc.market.book.live_count(True) == 1 and eth.market.book.live_count(True) == 0


def test_a_guardian_pause_in_one_market_leaves_the_other_trading(both, guardian, bob, alice):
    eth, btc = both[ETH], both[BTC]
    eth.market.transact(guardian, "pause", action="pause")
    assert eth.market.paused() and not btc.market.paused()
    with pytest.raises(ContractRevert, match="EnforcedPause"):
        _buy(eth, bob)
    _buy(btc, bob)
    # LPs of the open market keep their flows: a deposit request (its book holds an option),
    # filled by the keeper at the next mark.
    vault = btc.protocol.vault("call")
    vault.asset.faucet(alice, "1")
    _, request_id = vault.request_deposit(alice, "1")
    warp(btc.w3, 10)
    btc.post_spot(PRICES[BTC])
    btc.post_surface(SURFACE)
    assert vault.fill(btc.keeper).deposits_filled == 1
    assert vault.request(request_id).status == "claimed"
