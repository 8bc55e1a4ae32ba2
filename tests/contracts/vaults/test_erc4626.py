"""ERC-4626 properties on both vaults (18-decimal WETH, 6-decimal USDC): previews equal the
actual result, rounding favours the vault, max* are honoured."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import admin_send, call, reverts, send

PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def units(vault, human: int) -> int:
    return human * 10**vault.asset.decimals


@pytest.fixture
def seeded(w3, vault, alice, bob, fund):
    """A vault with an uneven share price: alice deposited, then 7/3 of a unit was donated."""
    fund(alice, 1000)
    fund(bob, 1000)
    for who in (alice, bob):
        send(vault.asset, who, "approve", vault.address, 2**256 - 1)
    send(vault, alice, "deposit", units(vault, 300), alice.address)
    send(vault.asset, bob, "transfer", vault.address, units(vault, 7) // 3)
    return vault


def shares_of(vault, who) -> int:
    return call(vault, "balanceOf", who.address)


def assets_of(vault, who) -> int:
    return vault.asset.balance_units(who.address)


def with_snapshot(w3, fn):
    snap = w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        fn()
    finally:
        w3.provider.make_request("evm_revert", [snap])


@PROPERTY
@given(fraction=st.integers(1, 10**6))
def test_deposit_mints_previewed_shares_and_rounds_down(w3, seeded, bob, fraction):
    vault = seeded
    amount = units(vault, 500) * fraction // 10**6

    def check():
        preview = call(vault, "previewDeposit", amount)
        before = shares_of(vault, bob)
        send(vault, bob, "deposit", amount, bob.address)
        minted = shares_of(vault, bob) - before
        assert minted == preview
        # Rounding favours the vault: the minted shares are worth no more than was paid.
        assert call(vault, "previewRedeem", minted) <= amount

    with_snapshot(w3, check)


@PROPERTY
@given(shares=st.integers(1, 10**30))
def test_mint_charges_previewed_assets_and_rounds_up(w3, seeded, bob, shares):
    vault = seeded
    shares = shares % call(vault, "previewDeposit", units(vault, 500)) + 1

    def check():
        preview = call(vault, "previewMint", shares)
        before = assets_of(vault, bob)
        send(vault, bob, "mint", shares, bob.address)
        assert before - assets_of(vault, bob) == preview
        assert preview >= call(vault, "convertToAssets", shares)

    with_snapshot(w3, check)


@PROPERTY
@given(fraction=st.integers(1, 10**6))
def test_withdraw_burns_previewed_shares_and_rounds_up(w3, seeded, alice, fraction):
    vault = seeded
    amount = call(vault, "maxWithdraw", alice.address) * fraction // 10**6 or 1

    def check():
        preview = call(vault, "previewWithdraw", amount)
        before = shares_of(vault, alice)
        send(vault, alice, "withdraw", amount, alice.address, alice.address)
        assert before - shares_of(vault, alice) == preview
        assert preview >= call(vault, "convertToShares", amount)

    with_snapshot(w3, check)


@PROPERTY
@given(fraction=st.integers(1, 10**6))
def test_redeem_pays_previewed_assets_and_rounds_down(w3, seeded, alice, fraction):
    vault = seeded
    shares = shares_of(vault, alice) * fraction // 10**6 or 1

    def check():
        preview = call(vault, "previewRedeem", shares)
        worth = call(vault, "convertToAssets", shares)
        before = assets_of(vault, alice)
        send(vault, alice, "redeem", shares, alice.address, alice.address)
        assert assets_of(vault, alice) - before == preview
        assert preview <= worth

    with_snapshot(w3, check)


def test_round_trips_never_gain(seeded, bob):
    """Deposit then redeem everything, 20 times: the LP never ends with more than it started."""
    vault = seeded
    start = assets_of(vault, bob)
    for i in range(20):
        send(vault, bob, "deposit", units(vault, 1) + i * 7919, bob.address)
        send(vault, bob, "redeem", shares_of(vault, bob), bob.address, bob.address)
    assert assets_of(vault, bob) <= start


def test_max_deposit_honours_cap(protocol, seeded, bob):
    vault = seeded
    total = call(vault, "totalAssets")
    admin_send(protocol, vault, "setDepositCap", total + units(vault, 10))
    assert call(vault, "maxDeposit", bob.address) == units(vault, 10)
    with reverts("ERC4626ExceededMaxDeposit", max=units(vault, 10)):
        send(vault, bob, "deposit", units(vault, 10) + 1, bob.address)
    send(vault, bob, "deposit", units(vault, 10), bob.address)
    assert call(vault, "maxDeposit", bob.address) == 0


def test_max_withdraw_and_redeem_honour_free_liquidity(seeded, market, alice):
    vault = seeded
    free = call(vault, "freeLiquidity")
    send(vault, market, "lockCollateral", free - units(vault, 50))
    # The exit's whole gross must be free (its fee leaves the LPs' assets too): 50 less the fee.
    fifty = units(vault, 50)
    net = fifty - -(-fifty * call(vault, "exitFeeWad") // 10**18)
    assert call(vault, "maxWithdraw", alice.address) == net
    with reverts("ERC4626ExceededMaxWithdraw"):
        send(vault, alice, "withdraw", net + 1, alice.address, alice.address)
    max_redeem = call(vault, "maxRedeem", alice.address)
    assert call(vault, "previewRedeem", max_redeem) <= units(vault, 50)
    with reverts("ERC4626ExceededMaxRedeem"):
        send(vault, alice, "redeem", max_redeem + 1, alice.address, alice.address)
    send(vault, alice, "redeem", max_redeem, alice.address, alice.address)


def test_share_decimals_include_offset(protocol):
    assert call(protocol.vault("call"), "decimals") == 18 + 6
    assert call(protocol.vault("put"), "decimals") == 6 + 12


def test_zero_deposit_for_nothing(seeded, bob):
    """A deposit too small to mint a share reverts nothing but mints nothing: the SDK refuses it."""
    from optio.sdk.errors import InvalidInput

    with pytest.raises(InvalidInput, match="must be positive"):
        seeded.deposit(bob, "0")
    with pytest.raises(InvalidInput, match="must be positive"):
        seeded.deposit(bob, "-5")
