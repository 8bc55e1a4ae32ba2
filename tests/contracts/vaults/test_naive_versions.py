"""Vault attacks, each run against the real vault and against a naive version that lacks one
defence: the attack must fail on ours and succeed on the naive one (else the test proves nothing).

- first-depositor inflation: naive = the same CallVault with no decimals offset (no virtual shares);
- rounding extraction (deposit/redeem in a loop): naive = an ERC-4626 rounding in the user's favour;
- pause trapping funds: naive = an ERC-4626 whose pause stops withdrawals too.
"""

from __future__ import annotations

import pytest

from optio.sdk.contracts import Client
from optio.sdk.deploy import deploy_contract
from optio.sdk.errors import ContractRevert
from tests.helpers import call, send

MAX_UINT96 = 2**96 - 1


def _inflation(vault: Client, asset, attacker, victim, one: int) -> tuple[int, int]:
    """The classic attack; returns (attacker's P&L, victim's loss) in asset units."""
    start = asset.balance_units(attacker.address)
    send(asset, attacker, "approve", vault.address, 2**256 - 1)
    send(vault, attacker, "deposit", 1, attacker.address)
    send(asset, attacker, "transfer", vault.address, 100_000 * one)
    deposit = 50_000 * one
    send(asset, victim, "approve", vault.address, deposit)
    send(vault, victim, "deposit", deposit, victim.address)
    send(vault, attacker, "redeem", call(vault, "balanceOf", attacker.address), attacker.address, attacker.address)
    victim_value = call(vault, "convertToAssets", call(vault, "balanceOf", victim.address))  # before any exit fee
    return asset.balance_units(attacker.address) - start, deposit - victim_value


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_inflation_attack(w3, protocol, deployer, attacker, alice, version):
    ours = protocol.vault("call")
    weth = ours.asset
    one = 10**18
    weth.faucet(attacker, 200_000)
    weth.faucet(alice, 100_000)
    if version == "ours":
        vault = ours
    else:
        address = deploy_contract(w3, deployer, "CallVault", weth.address, 0, MAX_UINT96, deployer.address, 0)
        vault = Client(w3, address, artifact_name="CallVault")
    attacker_pnl, victim_loss = _inflation(vault, weth, attacker, alice, one)
    if version == "ours":
        assert attacker_pnl <= 0 and victim_loss <= 50_000 * one // 10**6
    else:  # the victim's deposit bought no shares: all of it went to the vault
        assert victim_loss >= 50_000 * one // 10, f"naive vault: victim lost only {victim_loss}"


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_rounding_extraction_loop(w3, protocol, deployer, attacker, alice, version):
    ours = protocol.vault("put")  # USDC: 6 decimals, where a unit of rounding is the largest
    usdc = ours.asset
    vault = ours if version == "ours" else Client(
        w3, deploy_contract(w3, deployer, "NaiveRoundingVault", usdc.address), artifact_name="NaiveRoundingVault")
    usdc.faucet(alice, 1_010)
    usdc.faucet(attacker, 10)
    send(usdc, alice, "approve", vault.address, 2**256 - 1)
    send(vault, alice, "deposit", 1_000 * 10**6, alice.address)
    send(usdc, alice, "transfer", vault.address, 7 * 10**6 // 3)  # an uneven share price
    send(usdc, attacker, "approve", vault.address, 2**256 - 1)
    start = usdc.balance_units(attacker.address)
    for _ in range(30):  # deposit 1 unit, redeem every share, again and again
        send(vault, attacker, "deposit", 1, attacker.address)
        shares = call(vault, "balanceOf", attacker.address)
        if shares:
            send(vault, attacker, "redeem", shares, attacker.address, attacker.address)
    gained = usdc.balance_units(attacker.address) - start
    if version == "ours":
        assert gained <= 0, f"the loop extracted {gained} units"
    else:
        assert gained >= 30, f"naive vault: the loop extracted only {gained} units"


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_pause_does_not_trap_funds(w3, protocol, deployer, guardian, alice, version):
    """A guardian's pause (an oracle incident, say) must stop new deposits, never the way out."""
    ours = protocol.vault("call")
    weth = ours.asset
    if version == "ours":
        vault, pauser = ours, guardian
    else:
        vault = Client(w3, deploy_contract(w3, deployer, "NaivePausableVault", weth.address),
                       artifact_name="NaivePausableVault")
        pauser = deployer
    weth.faucet(alice, 10)
    send(weth, alice, "approve", vault.address, 2**256 - 1)
    send(vault, alice, "deposit", 10 * 10**18, alice.address)
    send(vault, pauser, "pause")
    shares = call(vault, "balanceOf", alice.address)
    if version == "ours":
        send(vault, alice, "redeem", shares, alice.address, alice.address)
        assert weth.balance_units(alice.address) == 10 * 10**18 * 995 // 1000  # less the exit fee
    else:
        with pytest.raises(ContractRevert, match="EnforcedPause"):
            send(vault, alice, "redeem", shares, alice.address, alice.address)
