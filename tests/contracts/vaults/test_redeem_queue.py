"""The redeem queue: FIFO fills by the filler (the keeper) as collateral unlocks, no jumping the
queue, claims, cancels."""

from __future__ import annotations

import pytest

from tests.helpers import call, request_id_of, reverts, send

PENDING, CLAIMABLE, CLAIMED, CANCELLED = 1, 2, 3, 4
EXIT_FEE_PER_MILLE = 5  # the deployment's default exit fee, 0.5%, withheld from every fill


def net(units: int) -> int:
    return units * (1000 - EXIT_FEE_PER_MILLE) // 1000


@pytest.fixture
def busy(vault, alice, bob, market, fund):
    """Alice 600 and Bob 400 deposited; the market locked 90%: 100 free."""
    one = 10**vault.asset.decimals
    for who, amount in ((alice, 600), (bob, 400)):
        fund(who, amount)
        send(vault.asset, who, "approve", vault.address, amount * one)
        send(vault, who, "deposit", amount * one, who.address)
    send(vault, market, "lockCollateral", 900 * one)
    vault.one = one
    return vault


def request(vault, who, shares):
    receipt = send(vault, who, "requestRedeem", shares, who.address, who.address)
    return request_id_of(vault, receipt)


def status(vault, rid):
    return call(vault, "redeemRequest", rid)[1]


def test_queue_is_served_in_order_as_collateral_unlocks(busy, alice, bob, market, keeper):
    v, one = busy, busy.one
    a = request(v, alice, call(v, "balanceOf", alice.address))  # 600 worth, first
    b = request(v, bob, call(v, "convertToShares", 50 * one))  # 50 worth, second
    # 100 is free but Alice's 600 is first in line: nothing is served, Bob does not jump ahead.
    send(v, keeper, "serveQueue", 10)
    assert (status(v, a), status(v, b)) == (PENDING, PENDING)
    # Instant withdrawals cannot take the liquidity the queue is owed.
    assert call(v, "freeLiquidity") == 0
    assert call(v, "maxWithdraw", bob.address) == 0

    send(v, market, "unlockCollateral", 500 * one)  # 600 unlocked: Alice's request (597 net) fits
    assert (status(v, a), status(v, b)) == (PENDING, PENDING)  # an unlock fills nothing itself
    send(v, keeper, "serveQueue", 10)
    assert (status(v, a), status(v, b)) == (CLAIMABLE, PENDING)
    send(v, market, "unlockCollateral", 50 * one)
    send(v, keeper, "serveQueue", 10)
    assert status(v, b) == CLAIMABLE
    assert call(v, "claimableRedeemRequest", a, alice.address) > 0
    assert call(v, "pendingRedeemRequest", b, bob.address) == 0

    before = v.asset.balance_units(alice.address)
    send(v, alice, "claim", a, alice.address)
    assert v.asset.balance_units(alice.address) - before == net(600 * one)
    assert status(v, a) == CLAIMED


def test_fulfilment_leaves_other_holders_share_price_unchanged(busy, alice, bob, market, keeper):
    v, one = busy, busy.one
    a = request(v, alice, call(v, "balanceOf", alice.address))
    price_before = call(v, "convertToAssets", 10**30)
    send(v, market, "unlockCollateral", 900 * one)
    send(v, keeper, "serveQueue", 10)
    assert status(v, a) == CLAIMABLE
    assert call(v, "convertToAssets", 10**30) >= price_before  # rounding only ever helps stayers
    # Alice's reserved assets are no longer the vault's; her exit fee is the protocol's.
    assert call(v, "totalAssets") == 400 * one
    assert call(v, "protocolFees") == 600 * one - net(600 * one)
    assert call(v, "claimableAssets") == net(600 * one)


def test_claim_and_cancel_rules(busy, alice, bob, market, keeper):
    v, one = busy, busy.one
    a = request(v, alice, call(v, "convertToShares", 300 * one))
    with reverts("NotController", requestId=a, caller=bob.address, controller=alice.address):
        send(v, bob, "claim", a, bob.address)
    with reverts("WrongRequestStatus", requestId=a, status=PENDING, expected=CLAIMABLE):
        send(v, alice, "claim", a, alice.address)
    with reverts("NotController"):
        send(v, bob, "cancelRedeemRequest", a)

    shares_before = call(v, "balanceOf", alice.address)
    send(v, alice, "cancelRedeemRequest", a)
    assert status(v, a) == CANCELLED
    assert call(v, "balanceOf", alice.address) - shares_before == call(v, "convertToShares", 300 * one)
    assert call(v, "pendingShares") == 0
    with reverts("WrongRequestStatus"):
        send(v, alice, "cancelRedeemRequest", a)

    b = request(v, alice, call(v, "convertToShares", 50 * one))
    send(v, keeper, "serveQueue", 10)  # skips the cancelled request, serves the next
    assert status(v, b) == CLAIMABLE
    with reverts("WrongRequestStatus"):
        send(v, alice, "cancelRedeemRequest", b)
    send(v, alice, "claim", b, alice.address)
    with reverts("WrongRequestStatus", status=CLAIMED):
        send(v, alice, "claim", b, alice.address)
    with reverts("UnknownRequest", requestId=99):
        send(v, alice, "claim", 99, alice.address)


def test_request_rules(busy, alice, bob):
    v = busy
    with reverts("ZeroAmount"):
        send(v, alice, "requestRedeem", 0, alice.address, alice.address)
    shares = call(v, "balanceOf", alice.address)
    with reverts("ERC20InsufficientAllowance"):
        send(v, bob, "requestRedeem", shares, bob.address, alice.address)
    with reverts("ERC20InsufficientBalance"):
        send(v, alice, "requestRedeem", shares + 1, alice.address, alice.address)
    # With an allowance, an operator may queue on the owner's behalf for another controller.
    send(v, alice, "approve", bob.address, shares)
    rid = request_for(v, bob, shares, controller=bob, owner=alice)
    assert call(v, "redeemRequest", rid)[0] == bob.address


def request_for(vault, sender, shares, *, controller, owner):
    receipt = send(vault, sender, "requestRedeem", shares, controller.address, owner.address)
    return request_id_of(vault, receipt)


def test_market_lock_rules(busy, market, alice):
    v, one = busy, busy.one
    with reverts("InsufficientFreeLiquidity", requested=101 * one, available=100 * one):
        send(v, market, "lockCollateral", 101 * one)
    with reverts("UnlockExceedsLocked", requested=901 * one, locked=900 * one):
        send(v, market, "unlockCollateral", 901 * one)
    with reverts("AccessControlUnauthorizedAccount", account=alice.address):
        send(v, alice, "lockCollateral", one)
    with reverts("AccessControlUnauthorizedAccount"):
        send(v, alice, "unlockCollateral", one)


def test_sdk_withdraw_queues_the_rest_only_when_asked(busy, bob, market, keeper):
    from optio.sdk.errors import InvalidInput

    v, one = busy, busy.one
    with pytest.raises(InvalidInput, match="pass --queue"):
        v.withdraw(bob, "390")
    v.withdraw(bob, "390", queue_rest=True)  # of his 400, 398 after the 0.5% exit fee
    assert v.asset.balance_units(bob.address) == net(100 * one)  # the free part, at once
    [req] = v.requests_of(bob.address)
    assert req.status == "pending"
    send(v, market, "unlockCollateral", 900 * one)
    send(v, keeper, "serveQueue", 10)
    v.claim_all(bob)
    assert v.asset.balance_units(bob.address) >= 390 * one - 2


def pending_list(vault) -> list[int]:
    """The queue's pending requests, walked from queueHead."""
    end, ids = call(vault, "queueLength"), []
    rid = call(vault, "queueHead")
    while rid != end:
        ids.append(rid)
        rid = call(vault, "nextPendingRequest", rid)
    return ids


def test_cancel_unlinks_and_serving_keeps_order(busy, alice, bob, market, keeper):
    """The pending requests form a list: cancels anywhere take theirs out, the rest keep their
    order, and serving visits only them."""
    v, one = busy, busy.one
    small = call(v, "convertToShares", 10 * one)
    ids = [request(v, who, small) for who in (alice, bob, alice, bob, alice)]
    assert pending_list(v) == ids
    send(v, bob, "cancelRedeemRequest", ids[1])  # middle
    send(v, alice, "cancelRedeemRequest", ids[0])  # head
    send(v, alice, "cancelRedeemRequest", ids[4])  # tail
    assert pending_list(v) == [ids[2], ids[3]]
    assert call(v, "nextPendingRequest", ids[0]) == call(v, "queueLength")  # not pending
    later = request(v, alice, small)
    assert pending_list(v) == [ids[2], ids[3], later]
    assert v.contract.functions.serveQueue(2).call({"from": keeper.address}) == 2  # simulated: two, in order
    assert call(v, "serveQueue", 2) == 0  # anyone else: none is fillDelay old yet
    send(v, keeper, "serveQueue", 2)
    assert [status(v, i) for i in (ids[2], ids[3], later)] == [CLAIMABLE, CLAIMABLE, PENDING]
    assert pending_list(v) == [later]
    send(v, keeper, "serveQueue", 5)
    assert pending_list(v) == [] and call(v, "queueHead") == call(v, "queueLength")
    assert call(v, "pendingShares") == 0


def test_exit_fee_admin(busy, protocol, alice):
    from tests.helpers import admin_send

    v = busy
    assert call(v, "exitFeeWad") == 5 * 10**15
    with reverts("ExitFeeTooHigh", exitFeeWad=2 * 10**16 + 1, maxExitFeeWad=2 * 10**16):
        admin_send(protocol, v, "setExitFee", 2 * 10**16 + 1)
    with reverts("AccessControlUnauthorizedAccount", account=alice.address):
        send(v, alice, "setExitFee", 0)
    receipt = admin_send(protocol, v, "setExitFee", 2 * 10**16)
    assert v.contract.events.ExitFeeSet().process_receipt(receipt)[0]["args"]["exitFeeWad"] == 2 * 10**16
    shares = call(v, "balanceOf", alice.address)
    assert call(v, "previewRedeem", shares) == call(v, "convertToAssets", shares) * 98 // 100
