"""Tenth adversarial round, on a5d7ed5/02d7430 (deposit requests O(1): refused at once only when
the deposits queued pass the cap on their own; the cap checked at the fill against the carried
mark, a deposit past it refunded: Claimable, its assets claimable, `DepositRefunded`; requests
taken at a stale mark and waiting for a fresh fill). Each attack prints its figures; WORKS tests
assert the damage, HELD tests the defence.

R1 (HELD): refund accounting: a refund is claimed once, cannot be cancelled, is outside
totalAssets (share price unchanged by the refund and by its claim), and the empty-vault sweep
leaves it alone.
R2 (WORKS, low): a refunded deposit is misreported by the views: while claimable it is invisible
to every ERC-7540 view (`pendingDepositRequest` 0, `claimableRedeemRequest` 0: it is a deposit),
and once claimed `redeemRequest` reports the refunded assets as the shares minted (`shares` =
`result`, which `claim` leaves holding the assets); the SDK shows a "claimed" deposit with shares.
R3 (WORKS, medium): cap squatting: one request of the whole cap (which the fill will refund) is
accepted at no cost, and every other deposit request is refused until the next fill; re-requested
after each fill, the vault takes no deposit at all, for gas only (at 7f6c126 the room at the
request was cap - total - queued, and blocking it meant depositing it).
R4 (WORKS, low): a donation of the honest depositor's margin under the cap refunds her deposit at
the fill and lets a later request of the attacker's take the room (FIFO jumped).
R5 (HELD): a deposit request made at a stale mark waits, and fills at the mark after the next
post (forward priced), not at anything the requester saw.
R6 (HELD, low cost noted): refunds spend the deposit list's budget only: 50 dust requests at a full
vault are refunded in one serve and the redeem behind fills in the same call.
R7 (WORKS, low): instant deposits (no live option) ignore the deposits queued in their cap: one
in front of the fill takes the room a queued request counted on, and the fill refunds it.
"""

from __future__ import annotations

from decimal import Decimal

from optio.sdk.market import TradeKind
from tests.contracts.market.conftest import live, trader, warp  # noqa: F401 (fixtures)
from tests.contracts.test_adversary import FILLER, _fill, _revert, _signer, _snapshot
from tests.helpers import admin_send, call, request_id_of, reverts, send

WAD = 10**18
USDC = 10**6
PENDING, CLAIMABLE, CLAIMED, CANCELLED = 1, 2, 3, 4


def _approve(vault, signer, units: int) -> None:
    vault.asset.faucet(signer, str(Decimal(units) / 10**vault.asset.decimals))
    send(vault.asset, signer, "approve", vault.address, 2**256 - 1)


def _req_deposit(vault, signer, units: int) -> int:
    return request_id_of(vault, send(vault, signer, "requestDeposit", units, signer.address, signer.address))


def _live_call(live, trader):  # noqa: F811
    """The call vault with one live option (trader long 2 ATM calls): requests only."""
    live.market.trade(trader, live.option("2000"), TradeKind.BUY, "2")
    return live.protocol.vault("call")


def _status(vault, rid) -> int:
    return call(vault, "redeemRequest", rid)[1]


# --- R1. Refund accounting -------------------------------------------------------------------


def test_refund_is_claimed_once_never_cancelled_and_stays_out_of_the_lps_assets(live, trader):  # noqa: F811
    vault = _live_call(live, trader)
    mallory, honest = _signer(5), _signer(6)
    cap = call(vault, "totalAssets") + 5 * WAD
    admin_send(live.protocol, vault, "setDepositCap", cap)
    _approve(vault, honest, 3 * WAD)
    _approve(vault, mallory, 3 * WAD)
    first = _req_deposit(vault, honest, 3 * WAD)
    refunded = _req_deposit(vault, mallory, 3 * WAD)  # fits alone, not after the first
    _fill(vault)
    assert _status(vault, first) == CLAIMED and _status(vault, refunded) == CLAIMABLE
    price = call(vault, "convertToAssets", WAD)
    total = call(vault, "totalAssets")
    assert call(vault, "claimableAssets") == 3 * WAD
    with reverts("WrongRequestStatus"):
        send(vault, mallory, "cancelDepositRequest", refunded)
    with reverts("WrongRequestStatus"):
        send(vault, mallory, "cancelRedeemRequest", refunded)
    before = vault.asset.balance_units(mallory.address)
    send(vault, mallory, "claim", refunded, mallory.address)
    got = vault.asset.balance_units(mallory.address) - before
    with reverts("WrongRequestStatus"):
        send(vault, mallory, "claim", refunded, mallory.address)
    price_after, total_after = call(vault, "convertToAssets", WAD), call(vault, "totalAssets")
    print(f"\nR1: refund claimed {got / WAD} WETH once (second claim and cancels refused); totalAssets "
          f"{total / WAD:.6f} -> {total_after / WAD:.6f}, share price {price} -> {price_after}")
    assert got == 3 * WAD
    assert call(vault, "claimableAssets") == 0
    assert abs(total_after - total) <= 10**12 and abs(price_after - price) <= 10**3  # theta over a block


def test_empty_vault_sweep_leaves_a_refund_alone(live, alice):  # noqa: F811
    """Put vault, no live option (instant flows): alice is its only LP; a deposit request past the
    cap is refunded at the fill; alice then redeems everything, which sweeps the empty vault's
    idle assets to the protocol. The refund survives it."""
    vault = live.protocol.vault("put")
    mallory = _signer(5)
    cap = call(vault, "totalAssets") + 5 * USDC
    admin_send(live.protocol, vault, "setDepositCap", cap)
    _approve(vault, mallory, 10 * USDC)
    rid = _req_deposit(vault, mallory, 10 * USDC)
    send(vault, FILLER, "serveQueue", 10)
    assert _status(vault, rid) == CLAIMABLE
    send(vault, alice, "redeem", call(vault, "balanceOf", alice.address), alice.address, alice.address)
    assert call(vault, "totalSupply") == 0
    fees = call(vault, "protocolFees")
    before = vault.asset.balance_units(mallory.address)
    send(vault, mallory, "claim", rid, mallory.address)
    got = vault.asset.balance_units(mallory.address) - before
    left = vault.asset.balance_units(vault.address)
    print(f"\nR1b: after the last LP's exit the protocol holds {fees / USDC:,.6f} USDC of fees; the refund "
          f"claims {got / USDC} USDC; vault balance after {left / USDC:,.6f} (= the fees)")
    assert got == 10 * USDC and left == fees


# --- R2. Views: a refund invisible while claimable, a claimed refund reported as shares ------


def test_refunded_deposit_is_misreported_by_the_request_views(live, trader):  # noqa: F811
    vault = _live_call(live, trader)
    mallory = _signer(5)
    cap = call(vault, "totalAssets") + WAD
    admin_send(live.protocol, vault, "setDepositCap", cap)
    _approve(vault, mallory, 3 * WAD)
    rid = _req_deposit(vault, mallory, 3 * WAD)  # past the cap at any mark near this one: refunded
    _fill(vault)
    assert _status(vault, rid) == CLAIMABLE
    pending = call(vault, "pendingDepositRequest", rid, mallory.address)
    claimable = call(vault, "claimableRedeemRequest", rid, mallory.address)
    q_before = call(vault, "redeemRequest", rid)
    send(vault, mallory, "claim", rid, mallory.address)
    q = call(vault, "redeemRequest", rid)
    sdk = vault.request(rid)
    minted = call(vault, "balanceOf", mallory.address)
    print(f"\nR2: refunded 3 WETH: pendingDepositRequest {pending}, claimableRedeemRequest {claimable} "
          f"(while 3e18 are claimable); redeemRequest before the claim: shares {q_before[4]}, assets "
          f"{q_before[5]}; after it: status {q[1]} (Claimed), shares {q[4]} (none minted: balance {minted}); "
          f"SDK: {sdk.kind} {sdk.status}, shares {sdk.shares}")
    assert pending == 0 and claimable == 0  # invisible to ERC-7540's views while claimable
    assert q[1] == CLAIMED and minted == 0
    assert q[4] == 3 * WAD  # WORKS: the refunded assets reported as the shares minted
    assert sdk.status == "claimed" and sdk.shares > 0


# --- R3. Cap squatting: one refundable request blocks every deposit request --------------------


def test_cap_squatting_blocks_every_deposit_request_for_gas_only(live, trader):  # noqa: F811
    """Room under the cap 5 WETH. Mallory requests the whole cap (~105 WETH: the queue check
    ignores the total, and it can never fill); every honest request is refused. The keeper's fill
    refunds her; she claims and re-requests in the next transaction (back-running the fill), and
    honest requests are refused again. She never holds a share: her cost is gas."""
    vault = _live_call(live, trader)
    mallory, honest = _signer(5), _signer(6)
    cap = call(vault, "totalAssets") + 5 * WAD
    admin_send(live.protocol, vault, "setDepositCap", cap)
    _approve(vault, mallory, cap)
    _approve(vault, honest, WAD)
    start = vault.asset.balance_units(mallory.address)
    refused = 0
    gas = 0
    for round_ in range(3):
        r = send(vault, mallory, "requestDeposit", cap - call(vault, "pendingDepositAssets"), mallory.address,
                 mallory.address)
        gas += r["gasUsed"]
        rid = request_id_of(vault, r)
        with reverts("ERC4626ExceededMaxDeposit", max=0):
            _req_deposit(vault, honest, WAD)  # 1 WETH, with 5 WETH of room under the cap
        refused += 1
        _fill(vault)
        assert _status(vault, rid) == CLAIMABLE
        gas += send(vault, mallory, "claim", rid, mallory.address)["gasUsed"]
    lost = start - vault.asset.balance_units(mallory.address)
    room = cap - call(vault, "totalAssets")
    print(f"\nR3: cap {cap / WAD:.4f} WETH, room {room / WAD:.4f}; mallory's squat of the whole cap refused "
          f"{refused} honest 1-WETH requests over 3 fills; she lost {lost} wei, held {call(vault, 'balanceOf', mallory.address)} "
          f"shares, {gas:,} gas for request + claim x3")
    assert lost == 0 and call(vault, "balanceOf", mallory.address) == 0
    assert refused == 3 and room > WAD


# --- R4. A donation of the honest margin refunds her and lets a later request take the room ---


def test_donation_refunds_an_honest_deposit_and_a_later_request_takes_the_room(live, trader, alice):  # noqa: F811
    """Room under the cap R. Honest asks R - 0.01 WETH (a margin for the mark's drift). Mallory asks
    R - 0.03 after her (FIFO: honest first). Without a donation, honest fills and mallory is
    refunded. With 0.011 WETH donated to the vault just before the keeper's fill, honest is
    refunded and mallory's fills: she jumped the queue for the donation (which goes to alice,
    the LP of record)."""
    vault = _live_call(live, trader)
    mallory, honest = _signer(5), _signer(6)
    w3 = live.w3
    cap = call(vault, "totalAssets") + 5 * WAD
    admin_send(live.protocol, vault, "setDepositCap", cap)
    room = cap - call(vault, "totalAssets")
    _approve(vault, honest, 5 * WAD)
    _approve(vault, mallory, 6 * WAD)
    h = _req_deposit(vault, honest, room - WAD // 100)
    m = _req_deposit(vault, mallory, room - 3 * WAD // 100)
    snap = _snapshot(w3)
    _fill(vault)
    plain = (_status(vault, h), _status(vault, m))
    _revert(w3, snap)
    donation = 11 * WAD // 1000
    send(vault.asset, mallory, "transfer", vault.address, donation)
    _fill(vault)
    attacked = (_status(vault, h), _status(vault, m))
    shares = call(vault, "balanceOf", mallory.address)
    value = call(vault, "convertToAssets", shares)
    print(f"\nR4: room {room / WAD:.6f} WETH; no donation: honest {plain[0]}, mallory {plain[1]} "
          f"(3 Claimed, 2 refunded); donation {donation / WAD} WETH: honest {attacked[0]}, mallory {attacked[1]}, "
          f"her {(room - 3 * WAD // 100) / WAD:.4f} WETH in now worth {value / WAD:.6f}")
    assert plain == (CLAIMED, CLAIMABLE)
    assert attacked == (CLAIMABLE, CLAIMED)  # WORKS: honest refunded, the later request in


# --- R5. A request at a stale mark fills at the next post's mark -------------------------------


def test_request_at_a_stale_mark_fills_forward(live, trader, alice):  # noqa: F811
    vault = _live_call(live, trader)
    mallory = _signer(5)
    _approve(vault, mallory, WAD)
    warp(live.w3, 3601)  # spot stale: the mark is not fresh
    assert call(vault, "maxDeposit", mallory.address) == 0
    rid = _req_deposit(vault, mallory, WAD)  # taken now (O(1), no mark)
    send(vault, FILLER, "serveQueue", 10)
    assert _status(vault, rid) == PENDING  # nothing fills at a stale mark
    warp(live.w3, 1)
    live.post_spot("2040")  # +2%: the call vault's share price falls
    expected = call(vault, "convertToShares", WAD)
    send(vault, FILLER, "serveQueue", 10)
    got = call(vault, "balanceOf", mallory.address)
    print(f"\nR5: a request at a stale mark waited; filled after the 2040 post: {got} shares, "
          f"convertToShares at that mark {expected}")
    assert _status(vault, rid) == CLAIMED
    assert abs(got - expected) <= expected // 10**9  # a block's theta


# --- R6. Refunds spend only the deposit list's budget -----------------------------------------


def test_refund_dust_spends_only_the_deposit_budget(live, trader, alice):  # noqa: F811
    """At a full vault (cap = total), deposit requests are still taken (queued <= cap) and all
    refunded at the fill. 50 one-wei requests in front of alice's redeem: the keeper's
    serveQueue(50) refunds all 50 and fills the redeem in the same call."""
    vault = _live_call(live, trader)
    mallory = _signer(5)
    cap = call(vault, "totalAssets")
    admin_send(live.protocol, vault, "setDepositCap", cap)
    _approve(vault, mallory, 100)
    gas = 0
    for _ in range(50):
        gas += send(vault, mallory, "requestDeposit", 1, mallory.address, mallory.address)["gasUsed"]
    rid = request_id_of(vault, send(vault, alice, "requestRedeem", 10**18, alice.address, alice.address))
    warp(live.w3, 1)
    live.post_spot("2000")
    serve = send(vault, FILLER, "serveQueue", 50)["gasUsed"]
    print(f"\nR6: 50 one-wei requests at a full vault cost mallory {gas:,} gas; the keeper's serveQueue(50) "
          f"{serve:,} gas; claimableAssets {call(vault, 'claimableAssets')} units; redeem status {_status(vault, rid)}")
    assert _status(vault, rid) == CLAIMABLE
    assert call(vault, "pendingDepositAssets") == 0


# --- R7. An instant deposit takes the room a queued request counted on ----------------------


def test_instant_deposit_displaces_a_queued_request(live, alice):  # noqa: F811
    """Put vault with no live option: instant flows open, and their cap ignores the deposits
    queued (`_maxDepositAt(total)`). Honest queues the room R; mallory deposits R at once in front
    of the keeper's fill; the fill refunds honest (at 7f6c126 the fill had no cap check: both were
    in, the cap passed by R)."""
    vault = live.protocol.vault("put")
    mallory, honest = _signer(5), _signer(6)
    cap = call(vault, "totalAssets") + 5_000 * USDC
    admin_send(live.protocol, vault, "setDepositCap", cap)
    room = cap - call(vault, "totalAssets")
    _approve(vault, honest, room)
    _approve(vault, mallory, room)
    h = _req_deposit(vault, honest, room)
    assert call(vault, "maxDeposit", mallory.address) == room  # the queued deposit not counted
    send(vault, mallory, "deposit", room, mallory.address)
    send(vault, FILLER, "serveQueue", 10)
    print(f"\nR7: room {room / USDC:,.0f} USDC queued by honest; mallory's instant deposit of it in front of the "
          f"fill: honest status {_status(vault, h)} (2 = refunded), mallory holds "
          f"{call(vault, 'convertToAssets', call(vault, 'balanceOf', mallory.address)) / USDC:,.2f} USDC of shares")
    assert _status(vault, h) == CLAIMABLE  # WORKS (low): the queued request displaced
