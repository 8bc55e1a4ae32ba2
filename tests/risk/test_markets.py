"""The risk service on a deployment of two markets: one market in full, every market in a line,
and their sum in quote units."""

from __future__ import annotations

import pytest

from optio.risk.service import RiskService
from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.deploy import WBTC_MARKET, DeployConfig, deploy_protocol
from optio.sdk.protocol import Protocol
from tests.helpers import now


def test_one_market_in_full_every_market_in_a_line(w3, keeper):
    config = DeployConfig(keeper=keeper.address, guardian=keeper.address, extra_markets=(WBTC_MARKET,))
    deployment = deploy_protocol(w3, LocalSigner(dev_account(0)), config, save=False)
    markets = Protocol(w3, deployment).markets()
    alice = LocalSigner(dev_account(1))
    for name, spot, base_amount in (("WETH/USDC", "2000", "3"), ("WBTC/USDC", "60000", "0.5")):
        p = markets[name]
        p.spot_oracle.post(keeper, spot, now(w3))
        p.vault("call").asset.faucet(alice, base_amount)
        p.vault("call").deposit(alice, base_amount)
    markets["WETH/USDC"].vault("put").asset.faucet(alice, "1000")
    markets["WETH/USDC"].vault("put").deposit(alice, "1000")
    markets["WETH/USDC"].market.transact(keeper, "pause", action="pause")

    state = RiskService(markets["WBTC/USDC"]).refresh()
    assert state["market"] == "WBTC/USDC" and state["spot"]["price"] == 60000
    lines = {m["market"]: m for m in state["markets"]}
    # The vaults keep an exit's fee and round in their favour: NAV is the deposits to the wei here.
    assert lines["WETH/USDC"]["nav_quote"] == pytest.approx(3 * 2000 + 1000, rel=1e-12)
    assert lines["WBTC/USDC"]["nav_quote"] == pytest.approx(0.5 * 60000, rel=1e-12)
    assert (lines["WETH/USDC"]["paused"], lines["WBTC/USDC"]["paused"]) == (True, False)
    assert state["paused"] is False  # this service's market
    assert state["consolidated"] == {"markets": 2, "nav_quote": pytest.approx(37000, rel=1e-12), "paused": 1,
                                     "stale_spot": 0}
    metrics = RiskService(markets["WBTC/USDC"]).metrics
    metrics.publish(state)
    assert metrics.market_nav.labels("WETH/USDC")._value.get() == pytest.approx(7000)
