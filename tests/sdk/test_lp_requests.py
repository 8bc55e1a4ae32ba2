"""The SDK's LP flows while a vault holds live options (forward pricing, docs/lp-flows.md): an
instant deposit or exit says to use a request; a deposit request (approval included) is filled
by the keeper with a redeem, both read back as ``RequestView``s of their kind; cancel picks the
right contract call by kind; anyone may fill only after the fill delay."""

from __future__ import annotations

from decimal import Decimal

import pytest

from optio.sdk.errors import InvalidInput
from tests.helpers import admin_send, warp
from tests.keepers.scenario import build, post_surfaces


@pytest.fixture
def live(w3, protocol, keeper):
    """A board with a put sold to and a call bought from the vaults: both hold live options."""
    build(protocol, keeper, sellers=1)
    return protocol


def test_instant_flows_close_and_requests_fill(live, keeper, alice, bob):
    v = live.vault("put")
    assert not v.instant_flows_open() and v.fill_delay() == 3600
    v.asset.faucet(bob, "500")
    with pytest.raises(InvalidInput, match="the vault holds live options: LP flows are requests"):
        v.deposit(bob, "100")
    with pytest.raises(InvalidInput, match="the vault holds live options"):
        v.withdraw(alice, "100")
    _, deposit_id = v.request_deposit(bob, "300")
    assert v.pending_deposit_assets() == 300
    v.withdraw(alice, "1000", queue_rest=True)
    (redeem,) = v.requests_of(alice.address)
    (deposit,) = v.requests_of(bob.address)
    assert (deposit.request_id, deposit.kind, deposit.status, deposit.assets, deposit.asset_symbol) == (
        deposit_id, "deposit", "pending", Decimal(300), "USDC")
    assert redeem.kind == "redeem" and redeem.request_id == deposit_id + 1 and redeem.shares > 0
    assert deposit.fillable_by_anyone_at == deposit.requested_at + 3600
    assert v.requests_to_serve(50, sender=keeper.address) == 0  # made after the latest post: wait for the next
    post_surfaces(live, keeper)  # the keepers' next posts: the surface (as the vol keeper), then spot
    warp(live.w3, 5)
    live.spot_oracle.post(keeper, "2000", live.w3.eth.get_block("latest")["timestamp"])
    assert v.requests_to_serve(50, sender=keeper.address) == 0  # no epoch mark at this post yet
    assert v.crank_mark(keeper) and not v.crank_mark(keeper)  # the keeper's crank; then none is due
    assert v.requests_to_serve(50) == 0 and v.requests_to_serve(50, sender=keeper.address) == 2
    filled = v.fill(keeper)
    assert (filled.deposits_filled, filled.redeems_filled, filled.mark_fresh) == (1, 1, True)
    (deposit,) = v.requests_of(bob.address)
    assert deposit.status == "claimed" and deposit.shares == v.shares_of(bob.address) > 0
    assert deposit.requested_at is None and v.pending_deposit_assets() == 0
    assert [r.status for r in v.requests_of(alice.address)] == ["claimable"]
    v.claim_all(alice)


def test_cancel_by_kind_and_anyone_fills_after_the_delay(live, keeper, bob):
    v = live.vault("call")
    v.asset.faucet(bob, "2")
    before = v.asset.balance(bob.address)
    _, first = v.request_deposit(bob, "1")
    v.cancel_request(bob, first)  # cancelDepositRequest: the WETH comes back
    assert v.asset.balance(bob.address) == before
    receipt, second = v.request_deposit(bob, "1")
    assert v.effects([receipt]).deposits_queued == ((second, Decimal(1)),)
    with pytest.raises(InvalidInput, match="only a pending one"):
        v.cancel_request(bob, first)
    assert v.fill(bob).filled == 0  # not the filler, the request younger than the delay
    warp(live.w3, 3601)
    post_surfaces(live, keeper)  # the keepers' next posts: the surface, then spot
    live.spot_oracle.post(keeper, "2000", live.w3.eth.get_block("latest")["timestamp"])
    assert v.requests_to_serve(50) == 0  # no epoch mark at this post: `fill` cranks first (anyone may)
    assert v.fill(bob).deposits_filled == 1


def test_a_deposit_past_the_cap_at_its_fill_is_refunded_in_part_and_claimed(live, keeper, bob):
    """The fill fills what fits under the deposit cap at its mark and refunds the rest; the SDK
    reads both from the events, and ``claim_all`` pays the refund back."""
    v = live.vault("put")
    v.asset.faucet(bob, "500")
    _, rid = v.request_deposit(bob, "300")
    room = v.call("totalAssets") + 100 * 10**6  # 100 USDC of room left at the fill
    admin_send(live, v, "setDepositCap", room)
    post_surfaces(live, keeper)  # the keepers' next posts: the surface, then spot
    warp(live.w3, 5)
    live.spot_oracle.post(keeper, "2000", live.w3.eth.get_block("latest")["timestamp"])
    filled = v.fill(keeper)
    effects = v.effects([filled.receipt])
    ((refunded_id, refunded),) = effects.deposits_refunded
    assert refunded_id == rid and Decimal(199) < refunded < Decimal(201)  # the mark moves a little
    (deposit,) = v.requests_of(bob.address)
    assert deposit.status == "claimed" and deposit.assets == Decimal(300) - refunded
    assert v.deposit_refund(bob.address) == refunded
    before = v.asset.balance(bob.address)
    paid = v.effects(v.claim_all(bob)).refunds_claimed
    assert paid == refunded and v.asset.balance(bob.address) == before + refunded
    assert v.deposit_refund(bob.address) == 0
