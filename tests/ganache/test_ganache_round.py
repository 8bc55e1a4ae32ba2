"""The same artifacts on Ganache (its own group, `make test` runs it after the Anvil groups):
deploy, oracle posts, and an LP round on both vaults, including the queue."""

from __future__ import annotations

from decimal import Decimal

import pytest

from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.contracts import SviParams
from optio.sdk.deploy import DeployConfig, deploy_protocol
from optio.sdk.localchain import local_chain
from optio.sdk.protocol import Protocol
from tests.helpers import admin_send, call, now, reverts, send

pytestmark = pytest.mark.ganache


@pytest.fixture(scope="module")
def ganache():
    with local_chain("ganache", startup_timeout=60) as chain:
        yield chain


def test_deploy_and_lp_round_on_ganache(ganache):
    w3 = ganache.w3
    assert w3.eth.chain_id == 1337
    deployer, lp, market = (LocalSigner(dev_account(i)) for i in (0, 1, 7))
    p = Protocol(w3, deploy_protocol(w3, deployer, DeployConfig(timelock_delay=0), save=False))

    ts = now(w3)
    p.spot_oracle.post(deployer, "2950.5", ts)
    assert p.spot_oracle.latest_price()[0] == 2950.5
    p.vol_oracle.post(deployer, ts + 14 * 86400, SviParams(a=0.003, b=0.03, rho=-0.2, m=0.01, sigma=0.15))
    assert 0.1 < p.vol_oracle.atm_vol(ts + 14 * 86400) < 2

    for kind, amount in (("call", "2.5"), ("put", "8000")):
        v = p.vault(kind)
        v.asset.faucet(lp, amount)
        v.deposit(lp, amount)
        assert v.status(lp.address).owner_assets == v.asset.balance(v.address) * Decimal("0.995")  # less the exit fee

    put = p.vault("put")
    admin_send(p, put, "grantRole", call(put, "MARKET_ROLE"), market.address)
    send(put, market, "lockCollateral", 7000 * 10**6)
    put.withdraw(lp, None, queue_rest=True)
    assert [r.status for r in put.requests_of(lp.address)] == ["pending"]
    send(put, market, "unlockCollateral", 7000 * 10**6)  # fills nothing: the keeper (FILLER_ROLE) fills
    assert put.fill(deployer).redeems_filled == 1
    put.claim_all(lp)
    p.vault("call").withdraw(lp, None)
    # An exit in two parts (instant, then the queued rest) pays the 0.5% exit fee and rounds each
    # part in the vault's favour: at most a unit or two less, never more.
    assert 7960 - Decimal("0.000002") <= put.asset.balance(lp.address) <= 7960
    assert Decimal("2.4875") - Decimal("2e-18") <= p.vault("call").asset.balance(lp.address) <= Decimal("2.4875")


def test_custom_errors_decode_on_ganache(ganache):
    w3 = ganache.w3
    deployer = LocalSigner(dev_account(0))
    p = Protocol(w3, deploy_protocol(w3, deployer, DeployConfig(), save=False))
    with reverts("ZeroPrice"):
        send(p.spot_oracle, deployer, "post", 0, now(w3))
    with reverts("NoPrice"):
        call(p.spot_oracle, "latestRoundData")
