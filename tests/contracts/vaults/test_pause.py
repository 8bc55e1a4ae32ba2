"""A pause stops new deposits, never an LP's way out."""

from __future__ import annotations

from tests.helpers import call, request_id_of, reverts, send


def test_pause_stops_deposits_only(vault, guardian, alice, market, keeper, fund):
    one = 10**vault.asset.decimals
    fund(alice, 100)
    send(vault.asset, alice, "approve", vault.address, 2**256 - 1)
    send(vault, alice, "deposit", 60 * one, alice.address)
    send(vault, market, "lockCollateral", 30 * one)
    rid_receipt = send(
        vault, alice, "requestRedeem", call(vault, "convertToShares", 40 * one), alice.address, alice.address
    )
    rid = request_id_of(vault, rid_receipt)

    send(vault, guardian, "pause")
    assert call(vault, "maxDeposit", alice.address) == 0
    assert call(vault, "maxMint", alice.address) == 0
    with reverts("EnforcedPause"):
        send(vault, alice, "deposit", one, alice.address)
    with reverts("EnforcedPause"):
        send(vault, alice, "mint", 10**18, alice.address)

    # Every way out still works while paused: the filler fills redeems, claim, withdraw, request.
    send(vault, market, "unlockCollateral", 30 * one)
    send(vault, keeper, "serveQueue", 5)
    send(vault, alice, "claim", rid, alice.address)
    send(vault, alice, "withdraw", 5 * one, alice.address, alice.address)
    send(vault, alice, "requestRedeem", call(vault, "balanceOf", alice.address), alice.address, alice.address)
    send(vault, keeper, "serveQueue", 5)
    assert call(vault, "balanceOf", alice.address) == 0

    send(vault, guardian, "unpause")
    send(vault, alice, "deposit", one, alice.address)


def test_only_guardian_pauses(vault, alice, guardian):
    with reverts("AccessControlUnauthorizedAccount", account=alice.address):
        send(vault, alice, "pause")
    send(vault, guardian, "pause")
    with reverts("AccessControlUnauthorizedAccount"):
        send(vault, alice, "unpause")


def test_sdk_refuses_deposit_into_paused_vault(vault, guardian, alice, fund):
    import pytest

    from optio.sdk.errors import InvalidInput

    fund(alice, 10)
    send(vault, guardian, "pause")
    with pytest.raises(InvalidInput, match="paused"):
        vault.deposit(alice, "1")
