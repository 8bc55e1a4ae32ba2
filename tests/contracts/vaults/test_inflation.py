"""First-depositor inflation attack: the attacker gains at most dust and the victim loses at most
dust, thanks to the decimals offset (virtual shares)."""

from __future__ import annotations

from tests.helpers import call, send


def test_inflation_attack_gains_at_most_dust(vault, attacker, alice, fund):
    one = 10**vault.asset.decimals
    fund(attacker, 200_000)
    fund(alice, 100_000)
    attacker_start = vault.asset.balance_units(attacker.address)

    # Attacker: smallest deposit, then a large donation to inflate the share price.
    send(vault.asset, attacker, "approve", vault.address, 2**256 - 1)
    send(vault, attacker, "deposit", 1, attacker.address)
    send(vault.asset, attacker, "transfer", vault.address, 100_000 * one)

    # Victim deposits; attacker exits.
    victim_deposit = 50_000 * one
    send(vault.asset, alice, "approve", vault.address, victim_deposit)
    send(vault, alice, "deposit", victim_deposit, alice.address)
    assert call(vault, "balanceOf", alice.address) > 0, "victim must get shares"
    send(vault, attacker, "redeem", call(vault, "balanceOf", attacker.address), attacker.address, attacker.address)

    attacker_pnl = vault.asset.balance_units(attacker.address) - attacker_start
    # Share value, before the exit fee (the fee is not the attacker's doing).
    victim_value = call(vault, "convertToAssets", call(vault, "balanceOf", alice.address))
    victim_loss = victim_deposit - victim_value
    assert attacker_pnl <= 0, f"attacker gained {attacker_pnl} units"
    # The victim loses at most a millionth of the deposit (the donation mostly stays with the vault).
    assert victim_loss <= victim_deposit // 10**6, f"victim lost {victim_loss} of {victim_deposit}"
