"""Seventh adversary round: the round-6 fixes (P1 commit of a request to the fill at the post
after it, P3 filler presence, P6 fill-delay floor) attacked from the LP side.

Each test asserts the safe outcome; a strict xfail marks an attack that works on this code.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from optio.sdk.errors import ContractRevert
from tests.contracts.market.conftest import warp
from tests.helpers import admin_send, call, deadline, request_id_of, revert_to, send, snapshot

WAD = 10**18
FOREVER = 2**255
PENDING, CLAIMABLE = 1, 2


def _write_calls(live, trader, amount: int) -> None:
    m = live.market
    m.base.approve_units(trader, m.address, FOREVER)
    for strike in ("2000", "2200"):
        send(m, trader, "buy", live.option(strike).id, amount * WAD, FOREVER, deadline(live.w3))


def _funded(vault, signer, amount: str = "200") -> None:
    vault.asset.faucet(signer, amount)
    vault.asset.approve_units(signer, vault.address, FOREVER)


def _status(vault, rid: int) -> int:
    return call(vault, "redeemRequest", rid)[1]


def _cancel_error(vault, signer, fn: str, rid: int) -> str | None:
    try:
        send(vault, signer, fn, rid)
    except ContractRevert as err:
        return err.name
    return None


@pytest.mark.xfail(strict=True, reason="finding Q1 (Low-Medium: the reach covers requests the budget never offered)")
def test_dust_deposits_in_front_do_not_uncommit_a_request(live, trader, attacker, keeper):
    """Q1 (WORKED). `serveQueue(n)` sets `_fillerReach` to the mark's `pricedSince - 1` whatever
    the budget reached: requests behind the n-th in a list were never offered their fill, yet
    count as served. The attacker queues 16 deposits of 1e12 wei, then her 100 WETH deposit; the
    post and crank mark M1; the filler's `serveQueue(16)` fills the 16 dust requests only. Her
    request is now cancellable while the next serve (the keeper's next cycle, no new post under
    its thresholds) still fills it at M1: P1's free option is back, for 16 dust requests' gas
    (the oracle keeper's budget is 50: 50 dust requests). Measured: the spot then moves +0.5%
    (under a post threshold she sees first): keeping fills at M1 and loses -0.0773 WETH at the
    next mark; cancelling loses ~0. Fix direction: the reach only up to the last request the
    serve looked at (the lists' heads it stopped at, when the budget ran out), per list."""
    m, book = live.market, live.market.book
    vault = live.protocol.vault("call")
    _write_calls(live, trader, 45)
    _funded(vault, attacker)
    wallet = vault.asset.balance_units(attacker.address)
    warp(live.w3, 60)
    for _ in range(16):
        send(vault, attacker, "requestDeposit", 10**12, attacker.address, attacker.address)
    rid = request_id_of(vault, send(vault, attacker, "requestDeposit", 100 * WAD, attacker.address, attacker.address))
    warp(live.w3, 60)
    live.refresh("2000")
    book.crank(keeper, True)
    send(vault, keeper, "serveQueue", 16)  # the filler's serve at M1: the budget ends at the dust
    assert _status(vault, rid) == PENDING
    pnl, errs = {}, {}
    for branch in ("keep", "cancel"):
        snap = snapshot(live.w3)
        if branch == "cancel":
            errs[branch] = _cancel_error(vault, attacker, "cancelDepositRequest", rid)
        send(vault, keeper, "serveQueue", 16)  # the keeper's next cycle, still at M1
        warp(live.w3, 30)
        live.refresh(Decimal(2000) * Decimal("1.005"))
        book.crank(keeper, True)
        held = call(vault, "balanceOf", attacker.address)
        pnl[branch] = (call(vault, "convertToAssets", held) + vault.asset.balance_units(attacker.address)
                       + call(vault, "depositRefunds", attacker.address) - wallet
                       + (100 * WAD if _status(vault, rid) == PENDING else 0))
        revert_to(live.w3, snap)
    print(f"Q1: cancel {errs.get('cancel')!r}; keep {pnl['keep'] / WAD:+.4f}, cancel {pnl['cancel'] / WAD:+.4f} WETH"
          f" ({m.address[:6]})")
    assert errs["cancel"] == "RequestCommitted"
    assert pnl["cancel"] <= pnl["keep"] + 10**14


def test_a_committed_request_cannot_be_cancelled_by_the_owner_or_the_controller(live, trader, alice, attacker):
    """HELD. alice redeems with the attacker as controller (an ERC-7540 operator set-up): after
    the post, neither can cancel it (the controller: RequestCommitted; the owner: NotController),
    and moving the shares she has left changes nothing. A deposit whose controller is another
    account is as committed. Every cancel goes through `_cancel`, which checks the commit first."""
    vault = live.protocol.vault("call")
    _write_calls(live, trader, 10)
    shares = call(vault, "balanceOf", alice.address) // 10
    rid = request_id_of(vault, send(vault, alice, "requestRedeem", shares, attacker.address, alice.address))
    _funded(vault, alice, "10")
    did = request_id_of(vault, send(vault, alice, "requestDeposit", WAD, attacker.address, alice.address))
    warp(live.w3, 60)
    live.refresh("2000")
    send(vault, alice, "transfer", attacker.address, shares)
    assert _cancel_error(vault, attacker, "cancelRedeemRequest", rid) == "RequestCommitted"
    assert _cancel_error(vault, alice, "cancelRedeemRequest", rid) == "NotController"
    assert _cancel_error(vault, attacker, "cancelDepositRequest", did) == "RequestCommitted"
    assert _status(vault, rid) == PENDING and _status(vault, did) == PENDING


def test_a_filler_serve_that_offers_nothing_does_not_uncommit_or_hold(live, trader, alice, keeper):
    """HELD. After the post and before its crank, the filler's `serveQueue(16)` (stale mark) and
    `serveQueue(0)` offer nothing: alice's redeem stays committed and `lastFillerServe` does not
    move (so anyone's fall-back fill still opens at `fillDelay`). On the pre-fix code (no
    `atMark` rule) both calls renewed `lastFillerServe` (round 6, P3); the reach they would
    have set is 0 here, so the commit would have held either way."""
    m, book = live.market, live.market.book
    vault = live.protocol.vault("call")
    _write_calls(live, trader, 10)
    last = call(vault, "lastFillerServe")
    rid = request_id_of(vault, send(vault, alice, "requestRedeem", call(vault, "balanceOf", alice.address) // 10,
                                    alice.address, alice.address))
    warp(live.w3, 60)
    live.refresh("2000")
    send(vault, keeper, "serveQueue", 0)
    send(vault, keeper, "serveQueue", 16)
    assert call(vault, "lastFillerServe") == last
    assert _cancel_error(vault, alice, "cancelRedeemRequest", rid) == "RequestCommitted"
    book.crank(keeper, True)
    send(vault, keeper, "serveQueue", 16)
    assert _status(vault, rid) == CLAIMABLE, m.address


def test_a_stale_spot_lapses_the_commit_only_when_no_fill_can_use_the_mark(live, trader, alice, keeper, attacker):
    """HELD. With `fillDelay` 2 h, the spot post going stale (maxAge 1 h) makes
    `latestSpotAt()` 0 and lifts the commit an hour early; but the mark M1 that post priced is
    then unusable: neither the filler's nor anyone's serve fills the request (a fill after the
    lapse would have let her cancel or keep at M1 knowing an hour of market). Her next fill is at
    a post after her cancel decision, so cancelling then is as good as never requesting."""
    book = live.market.book
    vault = live.protocol.vault("call")
    _write_calls(live, trader, 10)
    admin_send(live.protocol, vault, "setFillDelay", 7200)
    rid = request_id_of(vault, send(vault, alice, "requestRedeem", call(vault, "balanceOf", alice.address) // 10,
                                    alice.address, alice.address))
    warp(live.w3, 60)
    live.refresh("2000")
    book.crank(keeper, True)
    assert _cancel_error(vault, alice, "cancelRedeemRequest", rid) == "RequestCommitted"
    snap = snapshot(live.w3)
    warp(live.w3, 3601)
    assert call(book, "latestSpotAt") == 0
    send(vault, keeper, "serveQueue", 16)
    send(vault, attacker, "serveQueue", 16)
    assert _status(vault, rid) == PENDING  # no fill at the stale mark
    assert _cancel_error(vault, alice, "cancelRedeemRequest", rid) is None  # the commit lapsed
    revert_to(live.w3, snap)


@pytest.mark.xfail(strict=True, reason="finding Q2 (Low: a paused vault's serve reaches deposits it skips)")
def test_a_serve_while_paused_does_not_uncommit_the_deposits_it_skips(live, trader, attacker, guardian, keeper):
    """Q2 (WORKED). A paused vault fills redeems only (`_fillDeposits` is skipped), but the
    filler's serve still sets `_fillerReach` to the mark's `pricedSince - 1`: a deposit made
    before the post was never offered its fill, yet is cancellable. Once the guardian unpauses,
    the next serve at the same mark fills it: the depositor holds P1's free option over M1 for
    the pause's length (cancel if the market went up since, keep otherwise). Needs a pause
    (guardian), so Low; the fix is the same as Q1's (reach per list, only what was offered)."""
    vault = live.protocol.vault("call")
    _write_calls(live, trader, 10)
    _funded(vault, attacker)
    rid = request_id_of(vault, send(vault, attacker, "requestDeposit", 100 * WAD, attacker.address, attacker.address))
    warp(live.w3, 60)
    live.refresh("2000")
    live.market.book.crank(keeper, True)
    send(vault, guardian, "pause")
    send(vault, keeper, "serveQueue", 16)  # redeems only
    send(vault, guardian, "unpause")
    assert _status(vault, rid) == PENDING
    assert _cancel_error(vault, attacker, "cancelDepositRequest", rid) == "RequestCommitted"
