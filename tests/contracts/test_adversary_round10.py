"""Tenth adversarial round, on a5d7ed5/02d7430 (deposit requests O(1): refused at once only when
the deposits queued pass the cap on their own; the cap checked at the fill against the carried
mark, a deposit past it refunded: Claimable, its assets claimable, `DepositRefunded`; requests
taken at a stale mark and waiting for a fresh fill). Each attack prints its figures; WORKS tests
assert the damage, HELD tests the defence.

Fixed since (each test below runs the attack and asserts the defence; figures at a5d7ed5 in the
test's docstring): a deposit past the cap at its fill is filled in part and the rest refunded to
`depositRefunds` (pulled by `claimDepositRefund`; refunded whole: Cancelled) instead of refunded
whole as a claimable request (a request of the whole cap is then a deposit of the room); instant
deposits count the queue too.

R1 (HELD): refund accounting: a refund is claimed once, is outside totalAssets (share price
unchanged by the refund and by its claim), and the empty-vault sweep leaves it alone.
R2 (Low; fixed): a refunded deposit was misreported by the views (at a5d7ed5: invisible to every
ERC-7540 view while claimable, and once claimed `redeemRequest` showed the refunded assets as
shares minted). Now a request refunded whole is Cancelled with nothing minted, and the refund is
`depositRefunds(controller)`.
R3 (Medium; fixed): cap squatting (at a5d7ed5: one request of the whole cap, refunded at every
fill, refused every honest request for gas only: 3 of 3 over 3 fills, 550,494 gas, 0 wei lost).
Now such a request is a deposit of the room at the fill: squatting again means leaving first.
R4 (Low; fixed): a donation just under the honest depositor's margin refunded her whole and let a
later request take the room (FIFO jumped). Now she fills in part, the later one is refunded.
R5 (HELD): a deposit request made at a stale mark waits, and fills at the mark after the next
posts (spot and surface since round B3: forward priced), not at anything the requester saw.
R6 (HELD): refunds spend the deposit list's budget only: 50 dust requests are served in one
call and the redeem behind fills in the same call.
R7 (Low; fixed): instant deposits (no live option) ignored the deposits queued in their cap: one
in front of the fill took the room a queued request counted on. Now it is refused.
"""

from __future__ import annotations

from tests.contracts.market.conftest import live, trader, warp  # noqa: F401 (fixtures)
from tests.contracts.test_adversary import FILLER, _fill, _signer
from tests.contracts.vaults.test_forward_flows import _approve, _live_call
from tests.contracts.vaults.test_forward_flows import _request_deposit as _req_deposit
from tests.helpers import admin_send, call, crank, request_id_of, reverts, send, serve

WAD = 10**18
USDC = 10**6
PENDING, CLAIMABLE, CLAIMED, CANCELLED = 1, 2, 3, 4


def _status(vault, rid) -> int:
    return call(vault, "redeemRequest", rid)[1]


# --- R1. Refund accounting -------------------------------------------------------------------


def test_refund_is_claimed_once_and_stays_out_of_the_lps_assets(live, trader):  # noqa: F811
    vault = _live_call(live, trader)
    mallory, honest = _signer(5), _signer(6)
    cap = call(vault, "totalAssets") + 5 * WAD
    admin_send(live.protocol, vault, "setDepositCap", cap)
    _approve(vault, honest, 3 * WAD)
    _approve(vault, mallory, 2 * WAD)
    first = _req_deposit(vault, honest, 3 * WAD)
    second = _req_deposit(vault, mallory, 2 * WAD)
    admin_send(live.protocol, vault, "setDepositCap", cap - 2 * WAD)  # no room left for the second
    _fill(vault)
    assert _status(vault, first) == CLAIMED and _status(vault, second) == CANCELLED
    refund = call(vault, "depositRefunds", mallory.address)
    assert refund == 2 * WAD and call(vault, "redeemRequest", second)[4:6] == (0, 0)
    price = call(vault, "convertToAssets", WAD)
    total = call(vault, "totalAssets")
    honest_part = call(vault, "depositRefunds", honest.address)  # the mark drifted: her part past the cap
    assert call(vault, "redeemRequest", first)[5] + honest_part == 3 * WAD
    assert call(vault, "claimableAssets") == refund + honest_part
    with reverts("WrongRequestStatus"):
        send(vault, mallory, "cancelDepositRequest", second)
    with reverts("WrongRequestStatus"):
        send(vault, mallory, "claim", second, mallory.address)
    before = vault.asset.balance_units(mallory.address)
    send(vault, mallory, "claimDepositRefund", mallory.address)
    got = vault.asset.balance_units(mallory.address) - before
    with reverts("ZeroAmount"):
        send(vault, mallory, "claimDepositRefund", mallory.address)
    price_after, total_after = call(vault, "convertToAssets", WAD), call(vault, "totalAssets")
    print(f"\nR1: refund claimed {got / WAD} WETH once (second claim and the cancel refused); totalAssets "
          f"{total / WAD:.6f} -> {total_after / WAD:.6f}, share price {price} -> {price_after}")
    assert got == 2 * WAD
    assert call(vault, "claimableAssets") == honest_part
    assert abs(total_after - total) <= 10**12 and abs(price_after - price) <= 10**3  # theta over a block


def test_empty_vault_sweep_leaves_a_refund_alone(live, alice):  # noqa: F811
    """Put vault, no live option (instant flows): alice is its only LP; a deposit request past the
    cap is refunded whole at the fill; alice then redeems everything, which sweeps the empty vault's
    idle assets to the protocol. The refund survives it."""
    vault = live.protocol.vault("put")
    mallory = _signer(5)
    cap = call(vault, "totalAssets") + 5 * USDC
    admin_send(live.protocol, vault, "setDepositCap", cap)
    _approve(vault, mallory, 10 * USDC)
    rid = _req_deposit(vault, mallory, 5 * USDC)
    admin_send(live.protocol, vault, "setDepositCap", cap - 5 * USDC)  # no room left at the fill
    send(vault, FILLER, "serveQueue", 10)
    assert _status(vault, rid) == CANCELLED and call(vault, "depositRefunds", mallory.address) == 5 * USDC
    send(vault, alice, "redeem", call(vault, "balanceOf", alice.address), alice.address, alice.address)
    assert call(vault, "totalSupply") == 0
    fees = call(vault, "protocolFees")
    before = vault.asset.balance_units(mallory.address)
    send(vault, mallory, "claimDepositRefund", mallory.address)
    got = vault.asset.balance_units(mallory.address) - before
    left = vault.asset.balance_units(vault.address)
    print(f"\nR1b: after the last LP's exit the protocol holds {fees / USDC:,.6f} USDC of fees; the refund "
          f"claims {got / USDC} USDC; vault balance after {left / USDC:,.6f} (= the fees)")
    assert got == 5 * USDC and left == fees


# --- R2. Views: a refund invisible while claimable, a claimed refund reported as shares ------


def test_refunded_deposit_is_reported_as_what_happened(live, trader):  # noqa: F811
    """At a5d7ed5: pendingDepositRequest 0 and claimableRedeemRequest 0 while 3e18 were claimable,
    and after the claim `redeemRequest` reported shares 3e18 (none minted). Now: refunded whole,
    the request is Cancelled with nothing filled, and the refund is `depositRefunds`."""
    vault = _live_call(live, trader)
    mallory = _signer(5)
    cap = call(vault, "totalAssets") + 3 * WAD
    admin_send(live.protocol, vault, "setDepositCap", cap)
    _approve(vault, mallory, 3 * WAD)
    rid = _req_deposit(vault, mallory, 3 * WAD)
    admin_send(live.protocol, vault, "setDepositCap", cap - 3 * WAD)
    _fill(vault)
    q = call(vault, "redeemRequest", rid)
    refund = call(vault, "depositRefunds", mallory.address)
    sdk = vault.request(rid)
    print(f"\nR2: refunded whole: status {q[1]} (4 Cancelled), shares {q[4]}, assets {q[5]}; depositRefunds "
          f"{refund}; SDK: {sdk.kind} {sdk.status}, shares {sdk.shares}")
    assert q[1] == CANCELLED and q[4] == 0 and q[5] == 0
    assert refund == 3 * WAD and call(vault, "pendingDepositRequest", rid, mallory.address) == 0
    assert sdk.status == "cancelled" and sdk.shares == 0
    assert call(vault, "balanceOf", mallory.address) == 0


# --- R3. Cap squatting: one refundable request blocks every deposit request --------------------


def test_cap_squatting_is_a_deposit_of_the_room(live, trader):  # noqa: F811
    """At a5d7ed5 mallory's request of the whole cap (refunded whole at every fill) refused 3 of 3
    honest 1-WETH requests over 3 fills for 550,494 gas and no loss. Now the fill fills what fits:
    her request of the whole cap holds the room only until the fill, which deposits the room for
    her; doing it again means leaving first, at the exit fee."""
    vault = _live_call(live, trader)
    mallory, honest = _signer(5), _signer(6)
    cap = call(vault, "totalAssets") + 5 * WAD
    admin_send(live.protocol, vault, "setDepositCap", cap)
    _approve(vault, mallory, cap)
    _approve(vault, honest, WAD)
    rid = _req_deposit(vault, mallory, cap)
    late = _req_deposit(vault, honest, WAD)  # taken (the queue may pass the cap), behind hers
    _fill(vault)
    assert _status(vault, late) == CANCELLED and call(vault, "depositRefunds", honest.address) == WAD
    held = call(vault, "balanceOf", mallory.address)
    filled = call(vault, "redeemRequest", rid)[5]
    refund = call(vault, "depositRefunds", mallory.address)
    fee = filled * call(vault, "exitFeeWad") // WAD
    print(f"\nR3: her request of the whole cap ({cap / WAD:.4f} WETH) filled {filled / WAD:.6f} (the room; refund "
          f"{refund / WAD:.4f}): {held} shares held; leaving to squat again costs ~{fee / WAD:.4f} WETH of exit fee")
    assert _status(vault, rid) == CLAIMED and held > 0 and filled + refund == cap
    assert filled > 4 * WAD and fee > 0


# --- R4. A donation of the honest margin refunds her and lets a later request take the room ---


def test_donation_no_longer_lets_a_later_request_take_the_honest_room(live, trader, alice):  # noqa: F811
    """Room under the cap R. Honest asks R - 0.01 WETH, mallory R - 0.03
    after her. At a5d7ed5 a 0.011 WETH donation just before the keeper's fill refunded honest
    whole and filled mallory (FIFO jumped). Now honest fills in part (the donation's worth less)
    and mallory, behind her, gets the rest of the room or nothing."""
    vault = _live_call(live, trader)
    mallory, honest = _signer(5), _signer(6)
    cap = call(vault, "totalAssets") + 5 * WAD
    admin_send(live.protocol, vault, "setDepositCap", cap)
    room = 5 * WAD
    _approve(vault, honest, 5 * WAD)
    _approve(vault, mallory, 6 * WAD)
    h = _req_deposit(vault, honest, room - WAD // 100)
    m = _req_deposit(vault, mallory, room - 3 * WAD // 100)
    donation = 11 * WAD // 1000
    send(vault.asset, mallory, "transfer", vault.address, donation)
    _fill(vault)
    h_q, m_q = call(vault, "redeemRequest", h), call(vault, "redeemRequest", m)
    print(f"\nR4: donation {donation / WAD} WETH before the fill: honest status {h_q[1]} filled "
          f"{h_q[5] / WAD:.6f} of {(room - WAD // 100) / WAD:.2f} WETH; mallory status {m_q[1]} filled "
          f"{m_q[5] / WAD:.6f}")
    assert h_q[1] == CLAIMED and h_q[5] > room - WAD // 10  # honest first, nearly whole
    assert m_q[5] < WAD // 10  # mallory behind her: the rest of the room at most


# --- R5. A request at a stale mark fills at the next post's mark -------------------------------


def test_request_at_a_stale_mark_fills_forward(live, trader, alice):  # noqa: F811
    vault = _live_call(live, trader)
    mallory = _signer(5)
    _approve(vault, mallory, WAD)
    warp(live.w3, 3601)  # spot stale: the mark is not fresh
    assert call(vault, "maxDeposit", mallory.address) == 0
    rid = _req_deposit(vault, mallory, WAD)  # taken now (O(1), no mark)
    serve(vault, FILLER, 10)  # the crank reverts at a stale spot (no mark to be had)
    assert _status(vault, rid) == PENDING  # nothing fills at a stale mark
    warp(live.w3, 1)
    live.refresh("2040")  # +2%: the call vault's share price falls (and the surface re-posted)
    crank(vault, FILLER)  # the keepers' cycle: post spot and surface, crank, fill
    expected = call(vault, "convertToShares", WAD)
    send(vault, FILLER, "serveQueue", 10)
    got = call(vault, "balanceOf", mallory.address)
    print(f"\nR5: a request at a stale mark waited; filled after the 2040 post: {got} shares, "
          f"convertToShares at that mark {expected}")
    assert _status(vault, rid) == CLAIMED
    assert abs(got - expected) <= expected // 10**9  # a block's theta


# --- R6. Refunds spend only the deposit list's budget -----------------------------------------


def test_refund_dust_spends_only_the_deposit_budget(live, trader, alice):  # noqa: F811
    """At a full vault (the cap lowered to the total after the requests), 50 one-wei deposit
    requests in front of alice's redeem: the keeper's serveQueue(50) serves all 50 (refunded) and
    fills the redeem in the same call."""
    vault = _live_call(live, trader)
    mallory = _signer(5)
    admin_send(live.protocol, vault, "setDepositCap", call(vault, "totalAssets") + 50)
    _approve(vault, mallory, 100)
    gas = 0
    for _ in range(50):
        gas += send(vault, mallory, "requestDeposit", 1, mallory.address, mallory.address)["gasUsed"]
    admin_send(live.protocol, vault, "setDepositCap", 1)
    rid = request_id_of(vault, send(vault, alice, "requestRedeem", 10**18, alice.address, alice.address))
    warp(live.w3, 1)
    live.refresh("2000")  # the keepers' posts: spot and surface (a fill serves requests before both)
    fill_gas = serve(vault, FILLER, 50)["gasUsed"]  # its crank, then serveQueue(50) (measured)
    print(f"\nR6: 50 one-wei requests cost mallory {gas:,} gas; the keeper's serveQueue(50) {fill_gas:,} gas; "
          f"refunds {call(vault, 'depositRefunds', mallory.address)} units; redeem status {_status(vault, rid)}")
    assert _status(vault, rid) == CLAIMABLE
    assert call(vault, "pendingDepositAssets") == 0
    assert call(vault, "depositRefunds", mallory.address) == 50


# --- R7. An instant deposit takes the room a queued request counted on ----------------------


def test_instant_deposit_no_longer_displaces_a_queued_request(live, alice):  # noqa: F811
    """Put vault with no live option: instant flows open. Honest queues the room R; at a5d7ed5
    mallory's instant deposit of R in front of the keeper's fill passed (maxDeposit ignored the
    queue) and the fill refunded honest. Now the queued deposit counts: maxDeposit 0, refused."""
    vault = live.protocol.vault("put")
    mallory, honest = _signer(5), _signer(6)
    cap = call(vault, "totalAssets") + 5_000 * USDC
    admin_send(live.protocol, vault, "setDepositCap", cap)
    room = cap - call(vault, "totalAssets")
    _approve(vault, honest, room)
    _approve(vault, mallory, room)
    h = _req_deposit(vault, honest, room)
    assert call(vault, "maxDeposit", mallory.address) == 0
    with reverts("ERC4626ExceededMaxDeposit", max=0):
        send(vault, mallory, "deposit", room, mallory.address)
    send(vault, FILLER, "serveQueue", 10)
    print(f"\nR7: room {room / USDC:,.0f} USDC queued by honest; mallory's instant deposit refused; honest "
          f"status {_status(vault, h)} (3 = filled)")
    assert _status(vault, h) == CLAIMED and call(vault, "depositRefunds", honest.address) == 0
