"""`ape run deposit|status|withdraw` as an ape user runs them (ape-foundry attached to Anvil)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.scripts


@pytest.fixture(scope="module")
def deployed(user_chain):
    assert user_chain.optio("deploy", account="dev:0").code == 0
    assert user_chain.optio("faucet", "--token", "usdc", "--amount", "2000", account="dev:2").code == 0
    return user_chain


def test_ape_deposit_status_withdraw(deployed):
    dep = deployed.ape("deposit", "--vault", "put", "--amount", "750", account="TEST::2")
    assert dep.code == 0, dep.err + dep.out
    assert "deposited 750 USDC into the put vault" in dep.out

    status = deployed.ape("status", "--vault", "put", account="TEST::2")
    assert status.code == 0, status.err
    # What an exit pays: 750 less the 0.5% exit fee.
    assert "746.250000" in next(line for line in status.out.splitlines() if "your position" in line)

    out = deployed.ape("withdraw", "--vault", "put", "--all", account="TEST::2")
    assert out.code == 0, out.err + out.out
    status = deployed.ape("status", "--vault", "put", account="TEST::2").out
    # Everything back but the 0.5% exit fee on the 750 (3.75 USDC, the protocol's).
    assert "1,996.250000" in next(line for line in status.splitlines() if "wallet balance" in line)


def test_ape_scripts_take_the_market_from_optio_market(deployed):
    """OPTIO_MARKET picks the deployment's market for the ape scripts too."""
    import dataclasses

    btc = dataclasses.replace(deployed, env=deployed.env | {"OPTIO_MARKET": "WBTC/USDC"})
    status = btc.ape("status", "--vault", "call", account="TEST::2")
    assert status.code == 0, status.err + status.out
    assert "WBTC" in status.out and "WETH" not in status.out, status.out
    bad = dataclasses.replace(deployed, env=deployed.env | {"OPTIO_MARKET": "DOGE/USDC"}).ape("status")
    assert bad.code != 0 and "no market 'DOGE/USDC'" in bad.err + bad.out


def test_ape_bad_input_sends_nothing(deployed):
    before = deployed.nonce(2)
    run = deployed.ape("deposit", "--vault", "put", "--amount", "-3", account="TEST::2")
    assert run.code == 1
    assert "Error: amount must be positive, got -3" in run.err + run.out
    run = deployed.ape("withdraw", "--vault", "put", account="TEST::2")
    assert run.code != 0 and "exactly one of --amount or --all" in run.err + run.out
    assert deployed.nonce(2) == before
