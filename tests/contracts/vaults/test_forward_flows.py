"""Forward-priced LP flows (docs/security.md, B1, B4 and V): while a vault's side of the book holds
a live option, LPs enter and leave through requests that fill at a mark nobody with a stake in it
times — the filler's (the oracle keeper's, right after its posts), or anyone's once a request is
`fillDelay` old. Instant flows stay open while the book holds nothing a price moves."""

from __future__ import annotations

from decimal import Decimal

from optio.sdk.market import TradeKind
from tests.contracts.market.conftest import live, trader, warp  # noqa: F401 (fixtures)
from tests.helpers import admin_send, call, crank, now, request_id_of, reverts, send, serve

WAD = 10**18
PENDING, CLAIMABLE, CLAIMED, CANCELLED = 1, 2, 3, 4


def _approve(vault, signer, units: int) -> None:
    vault.asset.faucet(signer, str(Decimal(units) / 10**vault.asset.decimals))
    send(vault.asset, signer, "approve", vault.address, 2**256 - 1)


def _request_deposit(vault, signer, units: int) -> int:
    return request_id_of(vault, send(vault, signer, "requestDeposit", units, signer.address, signer.address))


def _live_call(live, trader):  # noqa: F811
    """The call vault with one live option (trader long 2 ATM calls)."""
    live.market.trade(trader, live.option("2000"), TradeKind.BUY, "2")
    return live.protocol.vault("call")


def test_instant_flows_close_while_the_book_is_live_and_reopen_when_it_empties(live, trader, alice):  # noqa: F811
    call_vault, put_vault = live.protocol.vault("call"), live.protocol.vault("put")
    assert call(call_vault, "instantFlowsOpen")
    _live_call(live, trader)
    assert not call(call_vault, "instantFlowsOpen")
    assert call(put_vault, "instantFlowsOpen")  # the put side holds nothing: its mark has no price input
    for fn in ("maxDeposit", "maxMint", "maxWithdraw", "maxRedeem"):
        assert call(call_vault, fn, alice.address) == 0, fn
    _approve(call_vault, alice, WAD)
    for fn, args in (
        ("deposit", (WAD, alice.address)),
        ("mint", (WAD, alice.address)),
        ("withdraw", (WAD, alice.address, alice.address)),
        ("redeem", (WAD, alice.address, alice.address)),
    ):
        with reverts("InstantFlowClosed"):
            send(call_vault, alice, fn, *args)
    send(put_vault.asset, alice, "approve", put_vault.address, 2**256 - 1)
    put_vault.asset.faucet(alice, "10")
    send(put_vault, alice, "deposit", 10**6, alice.address)  # the other side stays instant

    live.market.trade(trader, live.option("2000"), TradeKind.CLOSE_LONG, "2")
    assert call(call_vault, "instantFlowsOpen")
    send(call_vault, alice, "deposit", WAD, alice.address)


def test_deposit_request_fills_at_the_mark_after_the_keepers_post(live, trader, alice, bob, keeper):  # noqa: F811
    """alice asks to deposit 10 WETH in front of a +2% post (which lowers the call vault's share
    price: it is short calls). Nobody but the filler may fill her request yet; the keeper posts,
    then fills: her shares are priced at the mark after the post, not the one she saw."""
    vault = _live_call(live, trader)
    total_before = call(vault, "totalAssets")
    _approve(vault, alice, 10 * WAD)
    seen = call(vault, "convertToShares", 10 * WAD)
    rid = _request_deposit(vault, alice, 10 * WAD)
    assert call(vault, "pendingDepositAssets") == 10 * WAD
    assert call(vault, "pendingDepositRequest", rid, alice.address) == 10 * WAD
    # Escrowed, not the LPs' (the mark decays a little from one block to the next).
    assert abs(call(vault, "totalAssets") - total_before) < WAD // 10**6
    assert call(vault, "depositQueueHead") == rid
    req = call(vault, "redeemRequest", rid)
    assert req[1:5] == (PENDING, True, now(live.w3), 0) and req[5] == 10 * WAD

    warp(live.w3, 2)
    live.refresh("2040")  # the keepers post spot and surfaces
    # bob cranks the mark to the post (anyone may): his fill still fills nothing, the request is
    # too young for anyone but the filler (not merely refused for want of a fresh mark).
    serve(vault, bob, 10)
    assert vault.mark_fresh() and call(vault, "redeemRequest", rid)[1] == PENDING
    expected = call(vault, "convertToShares", 10 * WAD)  # the mark after the post (cranked)
    shares_before = call(vault, "balanceOf", alice.address)
    serve(vault, keeper, 10)
    minted = call(vault, "balanceOf", alice.address) - shares_before
    assert abs(minted - expected) <= expected // 10**6  # the mark moves with time between the blocks
    assert minted > seen  # the post lowered the share price: more shares, at the new price
    req = call(vault, "redeemRequest", rid)
    assert req[1:4] == (CLAIMED, True, 0) and req[4] == minted and req[5] == 10 * WAD
    assert call(vault, "pendingDepositAssets") == 0
    assert call(vault, "depositQueueHead") == call(vault, "queueLength")


def test_anyone_fills_once_a_request_is_fill_delay_old(live, trader, alice, bob):  # noqa: F811
    vault = _live_call(live, trader)
    delay = call(vault, "fillDelay")
    assert delay == 3600
    _approve(vault, alice, WAD)
    rid = _request_deposit(vault, alice, WAD)
    rid2 = request_id_of(vault, send(vault, alice, "requestRedeem", 10**20, alice.address, alice.address))
    warp(live.w3, delay - 30)  # the filler never called: only the requests' age counts
    live.refresh("2000")
    serve(vault, bob, 10)  # at a fresh mark (bob cranks): too young, not unmarked
    assert vault.mark_fresh() and call(vault, "redeemRequest", rid)[1] == PENDING
    warp(live.w3, 31)
    serve(vault, bob, 10)
    assert call(vault, "redeemRequest", rid)[1] == CLAIMED
    assert call(vault, "redeemRequest", rid2)[1] == CLAIMABLE


def test_the_fill_delay_is_the_admins_and_bounded(live):  # noqa: F811
    vault = live.protocol.vault("put")
    with reverts("FillDelayTooLong", fillDelay=86_401, maxFillDelay=86_400):
        admin_send(live.protocol, vault, "setFillDelay", 86_401)
    # A floor (round 6, P6): at 0 anyone filled at once, past the filler-only rule and the fill hold.
    for short in (0, 599):
        with reverts("FillDelayTooShort", fillDelay=short, minFillDelay=600):
            admin_send(live.protocol, vault, "setFillDelay", short)
    assert call(vault, "fillDelay") == 3600  # unchanged
    admin_send(live.protocol, vault, "setFillDelay", 600)
    assert call(vault, "fillDelay") == 600


def test_the_newest_pending_request_is_read_from_the_lists_not_a_window(live, trader, alice, bob):  # noqa: F811
    """Round 6, P5: the keepers read the newest pending request to know a post is due; it comes
    from the two lists' tails, so cancelled requests after it hide nothing."""
    vault = _live_call(live, trader)
    assert call(vault, "newestPendingRequest") == call(vault, "queueLength")  # none
    _approve(vault, alice, 3 * WAD)
    _approve(vault, bob, 40)
    first = _request_deposit(vault, alice, WAD)
    redeem = request_id_of(vault, send(vault, alice, "requestRedeem", 10**20, alice.address, alice.address))
    assert call(vault, "newestPendingRequest") == redeem
    for _ in range(20):  # more than any window a keeper would read
        send(vault, bob, "cancelDepositRequest", _request_deposit(vault, bob, 1))
    assert call(vault, "newestPendingRequest") == redeem
    assert vault.newest_pending_request_time() == call(vault, "redeemRequest", redeem)[3]
    last = _request_deposit(vault, alice, WAD)
    assert call(vault, "newestPendingRequest") == last
    send(vault, alice, "cancelDepositRequest", last)
    send(vault, alice, "cancelRedeemRequest", redeem)
    assert call(vault, "newestPendingRequest") == first  # the deposit list's tail is now the newer
    send(vault, alice, "cancelDepositRequest", first)
    assert call(vault, "newestPendingRequest") == call(vault, "queueLength")
    assert vault.newest_pending_request_time() is None


def _redeem(vault, lp, shares: int) -> tuple[int, int]:
    """(request id, its time)."""
    rid = request_id_of(vault, send(vault, lp, "requestRedeem", shares, lp.address, lp.address))
    return rid, call(vault, "redeemRequest", rid)[3]


def test_a_request_is_committed_to_the_fill_at_the_post_after_it(live, trader, alice, bob, keeper):  # noqa: F811
    """Round 6, P1: once a spot post comes after her request, she knows the mark it fills at (the
    post, its crank, the market since) before the keeper's fill: a cancel then would keep the
    fills that suit her and drop the others. It is committed until the filler's serve reaches it."""
    vault = _live_call(live, trader)
    before, _ = _redeem(vault, alice, 10**20)
    send(vault, alice, "cancelRedeemRequest", before)  # no post since: she knows nothing more
    rid, made = _redeem(vault, alice, 10**20)
    warp(live.w3, 60)
    live.refresh("2000")  # the post after it
    with reverts("RequestCommitted", requestId=rid, cancellableAt=made + 3600):
        send(vault, alice, "cancelRedeemRequest", rid)
    crank(vault, bob)  # the mark is on chain, the fill not yet
    with reverts("RequestCommitted", requestId=rid, cancellableAt=made + 3600):
        send(vault, alice, "cancelRedeemRequest", rid)
    serve(vault, keeper, 10)
    assert call(vault, "redeemRequest", rid)[1] == CLAIMABLE


def test_a_committed_request_goes_once_its_fill_was_offered_or_after_the_fill_delay(live, trader, alice, keeper):  # noqa: F811
    """A redeem too big for the free liquidity was offered its fill and did not fit: she may
    cancel (what she walks away from is no fill). With no filler at all, after `fillDelay`."""
    vault = _live_call(live, trader)
    rid, _ = _redeem(vault, alice, call(vault, "balanceOf", alice.address))  # all: 2 WETH are locked
    warp(live.w3, 60)
    live.refresh("2000")
    serve(vault, keeper, 10)
    assert call(vault, "redeemRequest", rid)[1] == PENDING  # it did not fit
    send(vault, alice, "cancelRedeemRequest", rid)
    assert call(vault, "redeemRequest", rid)[1] == CANCELLED
    rid, made = _redeem(vault, alice, 10**20)
    warp(live.w3, 60)
    live.refresh("2000")
    warp(live.w3, made + 3600 - now(live.w3) - 60)  # a minute before (the test's own time runs)
    with reverts("RequestCommitted", requestId=rid, cancellableAt=made + 3600):
        send(vault, alice, "cancelRedeemRequest", rid)
    warp(live.w3, 60)
    send(vault, alice, "cancelRedeemRequest", rid)  # the keepers never served it: it may go
    assert call(vault, "redeemRequest", rid)[1] == CANCELLED


def test_cancel_deposit_request_refunds_and_checks_kind_and_owner(live, trader, alice, bob):  # noqa: F811
    vault = _live_call(live, trader)
    _approve(vault, alice, 3 * WAD)
    balance = vault.asset.balance_units(alice.address)
    rid = _request_deposit(vault, alice, 3 * WAD)
    redeem_id = request_id_of(vault, send(vault, alice, "requestRedeem", 10**20, alice.address, alice.address))
    with reverts("OwnerNotSender", owner=alice.address, sender=bob.address):
        send(vault, bob, "requestDeposit", WAD, bob.address, alice.address)
    with reverts("WrongRequestKind", requestId=rid, isDeposit=True):
        send(vault, alice, "cancelRedeemRequest", rid)
    with reverts("WrongRequestKind", requestId=redeem_id, isDeposit=False):
        send(vault, alice, "cancelDepositRequest", redeem_id)
    with reverts("NotController"):
        send(vault, bob, "cancelDepositRequest", rid)
    send(vault, alice, "cancelDepositRequest", rid)
    assert vault.asset.balance_units(alice.address) == balance
    assert call(vault, "pendingDepositAssets") == 0
    assert call(vault, "redeemRequest", rid)[1] == CANCELLED
    with reverts("ZeroAmount"):
        send(vault, alice, "requestDeposit", 0, alice.address, alice.address)


def test_deposit_past_the_cap_at_its_fill_is_filled_in_part_and_the_rest_refunded(live, trader, alice, keeper):  # noqa: F811
    """A request is O(1): it does not mark the book, and is refused only when the deposits queued
    would pass the cap on their own. The fill checks the cap at its own mark, in order: what fits
    fills, the rest is refunded (`depositRefunds`, pulled by `claimDepositRefund`); a request
    refunded whole ends Cancelled."""
    vault = _live_call(live, trader)
    cap = call(vault, "totalAssets") + 5 * WAD
    admin_send(live.protocol, vault, "setDepositCap", cap)
    _approve(vault, alice, 10 * WAD)
    first = _request_deposit(vault, alice, 3 * WAD)
    with reverts("ERC4626ExceededMaxDeposit", receiver=alice.address, assets=cap + 1, max=cap):
        _request_deposit(vault, alice, cap + 1)  # can never fit: refused now
    second = _request_deposit(vault, alice, 2 * WAD)
    admin_send(live.protocol, vault, "setDepositCap", cap - WAD)  # the room shrinks before the fill
    warp(live.w3, 1)
    live.refresh("2000")
    crank(vault, keeper)  # the keeper's sequence: post, crank, fill
    total = call(vault, "totalAssets")
    send(vault, keeper, "serveQueue", 10)
    assert call(vault, "redeemRequest", first)[1] == CLAIMED
    req = call(vault, "redeemRequest", second)
    room = cap - WAD - total - 3 * WAD  # what was left for the second at the fill's mark
    assert 0 < room < 2 * WAD
    assert req[1] == CLAIMED and abs(req[5] - room) <= 10**12  # filled in part (the mark moves a block)
    refund = call(vault, "depositRefunds", alice.address)
    assert refund == 2 * WAD - req[5]
    assert call(vault, "pendingDepositAssets") == 0
    assert call(vault, "claimableAssets") == refund  # reserved, not the LPs'
    with reverts("ZeroAmount"):
        send(vault, keeper, "claimDepositRefund", keeper.address)  # nothing refunded to the keeper
    balance = vault.asset.balance_units(alice.address)
    send(vault, alice, "claimDepositRefund", alice.address)
    assert vault.asset.balance_units(alice.address) == balance + refund
    assert call(vault, "claimableAssets") == 0 and call(vault, "depositRefunds", alice.address) == 0


def test_deposit_request_gas_does_not_grow_with_the_book(live, trader, alice):  # noqa: F811
    """The request marks nothing: its gas is the same with one live option and with six (the
    mark costs ~15k gas an option, so six more would add ~75k to a request that marked)."""
    vault = _live_call(live, trader)
    _approve(vault, alice, 10 * WAD)
    _request_deposit(vault, alice, WAD)  # the first request writes the list's head: warm the slots
    one = send(vault, alice, "requestDeposit", WAD, alice.address, alice.address)["gasUsed"]
    for strike in ("1800", "2200"):
        live.market.trade(trader, live.option(strike), TradeKind.BUY, "2")
    for strike in ("1800", "2000", "2200"):
        live.market.trade(trader, live.option(strike, "put"), TradeKind.BUY, "2")
    assert len(call(live.market.book, "liveOptions", True)) == 3
    many = send(vault, alice, "requestDeposit", WAD, alice.address, alice.address)["gasUsed"]
    print(f"\nrequestDeposit gas: {one:,} at 1 live call, {many:,} at 3 live calls and 3 puts")
    assert abs(many - one) < 2_000


def test_paused_vault_takes_no_deposit_request_and_fills_only_redeems(live, trader, alice, guardian, keeper):  # noqa: F811
    vault = _live_call(live, trader)
    _approve(vault, alice, 2 * WAD)
    dep = _request_deposit(vault, alice, WAD)
    red = request_id_of(vault, send(vault, alice, "requestRedeem", 10**20, alice.address, alice.address))
    send(vault, guardian, "pause")
    with reverts("EnforcedPause"):
        _request_deposit(vault, alice, WAD)
    warp(live.w3, 1)
    live.refresh("2000")
    serve(vault, keeper, 10)
    assert call(vault, "redeemRequest", dep)[1] == PENDING
    assert call(vault, "redeemRequest", red)[1] == CLAIMABLE
    send(vault, guardian, "unpause")
    serve(vault, keeper, 10)
    assert call(vault, "redeemRequest", dep)[1] == CLAIMED


def test_nothing_fills_at_a_stale_mark(live, trader, alice, keeper):  # noqa: F811
    vault = _live_call(live, trader)
    _approve(vault, alice, WAD)
    rid = _request_deposit(vault, alice, WAD)
    warp(live.w3, 3601)  # spot stale
    serve(vault, keeper, 10)  # the crank reverts at a stale spot (no mark to be had): nothing fills
    assert call(vault, "redeemRequest", rid)[1] == PENDING


def test_a_fill_serves_only_requests_made_before_the_latest_spot_post(live, trader, alice, keeper):  # noqa: F811
    """Round 9, F7: a fill between posts was at a mark the requester saw while the market could
    have moved by up to the keeper's threshold. A request waits for the next posts: spot (F7)
    and every surface of the mark (round B3)."""
    vault = _live_call(live, trader)
    _approve(vault, alice, WAD)
    rid = _request_deposit(vault, alice, WAD)
    serve(vault, keeper, 10)  # the mark is fresh (at the latest post): the request is after it
    assert vault.mark_fresh() and call(vault, "redeemRequest", rid)[1] == PENDING
    warp(live.w3, 1)
    live.post_spot("2000")
    serve(vault, keeper, 10)  # a spot post alone: the mark's surface is older than the request
    assert vault.mark_fresh() and call(vault, "redeemRequest", rid)[1] == PENDING
    warp(live.w3, 1)
    live.post_surface()
    serve(vault, keeper, 10)
    assert call(vault, "redeemRequest", rid)[1] == CLAIMED


def test_anyone_fills_only_while_the_filler_is_away(live, trader, alice, bob, keeper):  # noqa: F811
    """Round 9, F1: with request age alone, an LP blocked the head with a request too big to fill,
    and once her other request was `fillDelay` old she cancelled the blocker and filled it herself
    in front of a post she saw coming, while the keeper was filling every cycle. Now anyone else
    fills only after the filler has not called for `fillDelay`."""
    vault = _live_call(live, trader)
    rid = request_id_of(vault, send(vault, alice, "requestRedeem", 10**20, alice.address, alice.address))
    warp(live.w3, 1800)
    serve(vault, keeper, 10)  # the keeper's cycle before the posts: the request is newer than the mark
    assert call(vault, "redeemRequest", rid)[1] == PENDING  # it filled nothing, and counts as there
    assert call(vault, "lastFillerServe") == now(live.w3)
    live.refresh("2000")
    warp(live.w3, 1900)  # the request is over fillDelay old, the filler's call is not
    live.refresh("2000")
    serve(vault, bob, 10)  # at a fresh mark (bob cranks): refused because the filler is not away
    assert vault.mark_fresh() and call(vault, "redeemRequest", rid)[1] == PENDING
    warp(live.w3, 1800)  # the filler away fillDelay
    live.refresh("2000")
    serve(vault, bob, 10)
    assert call(vault, "redeemRequest", rid)[1] == CLAIMABLE


def test_deposits_and_redeems_have_their_own_budget(live, trader, alice, bob, keeper):  # noqa: F811
    """Round 9, F2: dust deposit requests in front used the keeper's whole budget and redeems
    waited. Each list now has `maxRequests` of its own."""
    vault = _live_call(live, trader)
    rid = request_id_of(vault, send(vault, alice, "requestRedeem", 10**20, alice.address, alice.address))
    _approve(vault, bob, 10)
    for _ in range(3):
        _request_deposit(vault, bob, 1)
    warp(live.w3, 1)
    live.refresh("2000")
    serve(vault, keeper, 3)
    assert call(vault, "redeemRequest", rid)[1] == CLAIMABLE
    assert call(vault, "pendingDepositAssets") == 0


def test_closing_and_settling_serve_no_request(live, trader, alice):  # noqa: F811
    """Before forward pricing, closeLong and settle served the queue on the side: a holder could
    time a fill. Now only serveQueue fills."""
    vault = _live_call(live, trader)
    send(vault, alice, "requestRedeem", 10**20, alice.address, alice.address)
    rid = call(vault, "queueHead")
    live.market.trade(trader, live.option("2000"), TradeKind.CLOSE_LONG, "2")
    assert call(vault, "redeemRequest", rid)[1] == PENDING
