"""Vault attacks from the outside review of 6507dee, each on a live market (tests/contracts/market/conftest.py)
and each asserting that it no longer works; ``[naive]`` runs the same attack against a vault
that lacks the defence (contracts/mocks/NaiveQueueVaults.sol, NaiveInstantFlowVaults.sol), where
it must still work:

1. cancelled redeem requests freeze settlement: a spammer fills the queue with cancelled entries
   that every release used to walk (naive: cancelled requests stay in the queue and are walked).
   Since forward-priced LP flows settle and closeLong serve no request on either version, so
   the spam can freeze only the fills themselves (serveQueue);
2. queued LPs forced out at the stale-oracle mark (serveQueue by anyone, or settle or closeLong,
   which no longer serve the queue, followed by the keeper's fill; naive: exits are paid at any
   mark);
3+5. an LP front-running the keeper's spot post, and just-in-time liquidity around a trade: the
   exit fee and, since forward-priced LP flows, requests the keeper fills after its post (naive =
   instant flows whatever the book and the fee set to zero, where both attacks pay);
10. the options mark rewired after deployment.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from optio.pricing.svi import SviParams
from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.contracts import Client
from optio.sdk.deploy import deploy_contract
from optio.sdk.market import TradeKind
from tests.contracts.market.conftest import (  # noqa: F401 (fixtures)
    STRIKES,
    SURFACE,
    WEEK,
    live,
    naive_live,
    trader,
    warp,
)
from tests.contracts.test_adversary import _deposit_units, _redeem_shares
from tests.helpers import admin_send, call, crank, now, request_id_of, reverts, send, serve

WAD = 10**18
BLOCK_GAS = 30_000_000  # Anvil's default block gas limit
PENDING, CLAIMABLE = 1, 2
ZERO = "0x" + "00" * 20


def _carol():
    return LocalSigner(dev_account(4))


def _snapshot(w3):
    return w3.provider.make_request("evm_snapshot", [])["result"]


def _revert(w3, snap):
    assert w3.provider.make_request("evm_revert", [snap])["result"] is True


def _gas(client: Client, signer, fn: str, *args) -> int | None:
    """Gas ``fn(*args)`` needs, or None when it does not fit in a 30M block (or reverts)."""
    try:
        return getattr(client.contract.functions, fn)(*args).estimate_gas({"from": signer.address, "gas": BLOCK_GAS})
    except Exception:  # out of gas and reverts alike: the call cannot be mined
        return None


def _post_surface(lv, expiry: int, params: SviParams = SURFACE) -> None:
    f = (expiry - now(lv.w3)) / WEEK
    scaled = SviParams(a=params.a * f, b=params.b * f, rho=params.rho, m=params.m, sigma=params.sigma)
    lv.protocol.vol_oracle.post(lv.keeper, expiry, scaled)


def _deadline(lv) -> int:
    return now(lv.w3) + 600


# 1. Cancelled requests must not freeze settlement.

SPAM_ENTRIES = 20_000
#: Cancelled entries behind which a serve's gas is sampled: the walk's cost per cancelled entry.
SAMPLE_ENTRIES = 1_000


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_cancelled_requests_do_not_freeze_settlement(
    w3,
    live,  # noqa: F811
    trader,  # noqa: F811
    deployer,
    attacker,
    alice,
    keeper,
    guardian,
    version,
):
    """20,000 cancelled requests queue ahead of alice's real one. On 6507dee none of serveQueue,
    closeLong and settle fitted in a 30M block behind them (each walked the queue). Since
    forward-priced LP flows closeLong and settle serve no request at all (on either version: they
    fit and fill nothing); the fills are serveQueue's, the keeper's after the next spot and surface
    posts and anyone's once the keeper has been away fillDelay (and the request is that old). On
    ours each fits and fills alice's request; on the naive queue (cancelled entries stay and are
    walked) neither fits."""
    if version == "naive":  # cancelled requests stay in the queue, walked by every serve
        live = naive_live(w3, deployer, keeper, guardian, alice, trader, CallVault="NaiveCancelQueueCallVault")
    m = live.market
    vault = live.protocol.vault("call")
    spammer = Client(w3, deploy_contract(w3, deployer, "QueueSpammer", vault.address), artifact_name="QueueSpammer")
    vault.asset.faucet(attacker, "1")
    vault.deposit(attacker, "1")  # the book holds nothing yet: instant flows are open
    send(vault, attacker, "transfer", spammer.address, 10)
    itm = live.option("1800", "call")  # ITM at spot 2000
    m.trade(trader, itm, TradeKind.BUY, "10")
    shares = call(vault, "convertToShares", 10 * WAD)

    def serve_gas_behind_the_spam() -> int | None:
        """Gas of the keeper's serveQueue(16) once alice's request queues behind what is spammed so
        far (after the next spot and surface posts, as the keeper fills: the fill reaches her
        request)."""
        snap = _snapshot(w3)
        send(vault, alice, "requestRedeem", shares, alice.address, alice.address)
        warp(w3, 1)
        live.refresh("2000")
        crank(vault, keeper)  # the keepers' cycle: posts, crank (the mark at the posts), fill
        gas = _gas(vault, keeper, "serveQueue", 16)
        _revert(w3, snap)
        return gas

    per_entry = _gas(spammer, attacker, "spam", 20) / 20
    batch = int(25_000_000 / per_entry)
    made = 0
    first = call(vault, "queueLength")  # the ids before the spam's (none: the attacker deposited at once)

    def spam_to(entries: int) -> None:
        nonlocal made
        while made < entries:
            k = min(batch, entries - made)
            send(spammer, attacker, "spam", k)
            made += k

    walk = [serve_gas_behind_the_spam()]
    spam_to(SAMPLE_ENTRIES)
    walk.append(serve_gas_behind_the_spam())
    walk_per_entry = (walk[1] - walk[0]) / SAMPLE_ENTRIES
    spam_to(SPAM_ENTRIES)
    print(
        f"\n{version}: spam {per_entry:,.0f} gas per cancelled entry, {batch} per tx; a serve walks "
        f"{walk_per_entry:,.1f} gas per cancelled entry ({walk[0]:,} gas behind none, {walk[1]:,} behind "
        f"{SAMPLE_ENTRIES:,})"
    )
    assert call(vault, "queueLength") == first + SPAM_ENTRIES
    rid = request_id_of(vault, send(vault, alice, "requestRedeem", shares, alice.address, alice.address))
    warp(w3, 1)  # the keepers' cycle: posts after alice's request (spot, surface), a crank, the fill (measured below)
    live.refresh("2000")
    crank(vault, keeper)

    gas: dict[str, int | None] = {}
    served: dict[str, bool] = {}

    def measure(name, client, signer, fn, *args):
        snap = _snapshot(w3)
        gas[name] = _gas(client, signer, fn, *args)
        if gas[name] is not None:
            send(client, signer, fn, *args)
            served[name] = call(vault, "redeemRequest", rid)[1] == CLAIMABLE
        _revert(w3, snap)

    measure("keeper's serveQueue(16)", vault, keeper, "serveQueue", 16)
    measure("closeLong", m, trader, "closeLong", itm.id, 10 * WAD, 0, _deadline(live))
    warp(w3, call(vault, "fillDelay") + 1)  # a keeper that stopped filling: anyone may fill now
    live.refresh()
    crank(vault, attacker)  # anyone may crank the mark to the post before filling
    # Its measured fill was reverted: the filler has been away fillDelay, the request is that old.
    assert now(w3) - call(vault, "lastFillerServe") > call(vault, "fillDelay")
    measure("anyone's serveQueue(16)", vault, attacker, "serveQueue", 16)
    warp(w3, live.expiry - now(w3) + 60)
    live.post_spot("2000")
    measure("settle", m, keeper, "settle", live.expiry)
    print(
        f"{version}: gas behind 20,000 cancelled requests:",
        {k: f"{v:,}" if v else "> 30M (fails)" for k, v in gas.items()},
        "; alice's request filled:",
        served,
    )
    serves = ("keeper's serveQueue(16)", "anyone's serveQueue(16)")
    releases = ("closeLong", "settle")
    # closeLong and settle serve no request (forward-priced LP flows): they fit and fill nothing.
    assert all(gas[k] is not None and gas[k] < 1_000_000 for k in releases), gas
    assert {k: served[k] for k in releases} == dict.fromkeys(releases, False), served
    if version == "naive":  # each serve walks every cancelled entry: none fits in a block
        assert walk_per_entry > 1_000, f"naive: the walk costs only {walk_per_entry} gas per cancelled entry"
        print(f"naive: a 30M block walks at most ~{BLOCK_GAS / walk_per_entry:,.0f} cancelled entries")
        assert all(gas[k] is None for k in serves), f"naive: a serve still fits behind {SPAM_ENTRIES} cancelled: {gas}"
        return
    assert walk_per_entry < 1, f"a serve walks {walk_per_entry} gas per cancelled entry"
    assert all(gas[k] is not None and gas[k] < 1_000_000 for k in serves), f"the walk grows: {gas}"
    assert {k: served[k] for k in serves} == dict.fromkeys(serves, True), f"the real request was not filled: {served}"


# 2. No request is filled, and no instant exit paid, at a mark that is not fresh.


def _two_boards_and_a_queued_lp(lv, trader):  # noqa: F811
    """Board 1 (the fixture's) and board 2 a week later; carol deposits 100 WETH and queues all
    of it; the trader buys 5 calls on board 1 and 80 OTM calls on board 2 (the stale mark counts
    those at full collateral). Returns (vault, carol, request id, board-2 expiry)."""
    m, vault, carol = lv.market, lv.protocol.vault("call"), _carol()
    expiry2 = lv.expiry + WEEK
    m.list_strikes(lv.keeper, expiry2, list(STRIKES))
    _post_surface(lv, expiry2)
    vault.asset.faucet(carol, "100")
    vault.deposit(carol, "100")
    shares = call(vault, "balanceOf", carol.address)
    rid = request_id_of(vault, send(vault, carol, "requestRedeem", shares, carol.address, carol.address))
    m.trade(trader, lv.option("2000", "call"), TradeKind.BUY, "5")
    m.trade(trader, type(lv.option("2000"))(expiry2, Decimal("2200"), True), TradeKind.BUY, "80")
    return vault, carol, rid, expiry2


def _fresh_preview(lv, vault, shares: int, expiry2: int) -> int:
    """What ``shares`` redeem for at the next fresh mark (spot and both boards posted again),
    read in a snapshot that is reverted: the fair price of an exit now."""
    snap = _snapshot(lv.w3)
    warp(lv.w3, 2)
    lv.refresh()
    _post_surface(lv, expiry2)
    crank(vault, lv.keeper)  # the book's mark at the post (the keeper's, or anyone's)
    assert call(lv.market.book, "optionsLiability", vault.address)[1] is True
    fair = call(vault, "previewRedeem", shares)
    _revert(lv.w3, snap)
    return fair


@pytest.mark.parametrize("version", ["ours", "naive"])
@pytest.mark.parametrize("trigger", ["serveQueue", "closeLong", "settle"])
def test_queued_lp_is_not_forced_out_at_a_stale_mark(
    w3,
    live,  # noqa: F811
    trader,  # noqa: F811
    deployer,
    attacker,
    alice,
    keeper,
    guardian,
    trigger,
    version,
):
    """carol's request waits while the mark is stale (board 2's surface not posted). On 6507dee
    anyone's serveQueue, closeLong or settle filled it at the stale mark's bound (-38.8%). Since
    forward-priced LP flows closeLong and settle serve no request at all (on either version); the
    fills left are anyone's serveQueue (carol's request is older than fillDelay, and the keeper
    has been away that long) and the keeper's (the filler, after its spot post), which on the
    naive vault (exits at any mark) pay her at the bound, and on ours fill nothing until the next
    fresh mark, where the keeper's fill after its post pays her the fair price."""
    if version == "naive":  # exits paid at any mark
        live = naive_live(w3, deployer, keeper, guardian, alice, trader, CallVault="NaiveStaleFillCallVault")
    m = live.market
    vault, _, rid, expiry2 = _two_boards_and_a_queued_lp(live, trader)
    if trigger == "settle":  # board 1 expires; board 2's surface is a week old
        warp(w3, live.expiry - now(w3) + 60)
        live.post_spot("2000")
    else:  # both oracles age past their limits; spot and board 1 are posted again, board 2 is not
        warp(w3, 3 * 3600 + 60)
        live.refresh()
    # Cranked at the latest post (anyone may): the mark is still stale, for board 2's surface (the
    # crank marks its shorts at the bound, full collateral), not for want of a crank.
    crank(vault, attacker)
    assert call(m.book, "optionsLiability", vault.address)[1] is False, "the mark must be stale here"
    # Anyone may fill it: the request and the filler's latest serveQueue are older than fillDelay.
    assert now(w3) - call(vault, "redeemRequest", rid)[3] > call(vault, "fillDelay")
    assert now(w3) - call(vault, "lastFillerServe") > call(vault, "fillDelay")
    fair = _fresh_preview(live, vault, call(vault, "redeemRequest", rid)[4], expiry2)

    if trigger == "serveQueue":
        serve(vault, attacker, 16)
        filler = "anyone's serveQueue"
    else:
        if trigger == "closeLong":
            m.trade(trader, live.option("2000", "call"), TradeKind.CLOSE_LONG, "1")
        else:
            m.settle(attacker, live.expiry)
        # Serves no request since forward-priced LP flows, on either version.
        assert call(vault, "redeemRequest", rid)[1] == PENDING, f"{trigger} served the queue"
        serve(vault, keeper, 16)  # the filler's crank and fill at the stale mark
        filler = f"the keeper's serveQueue after {trigger}"
    r = call(vault, "redeemRequest", rid)
    if version == "naive":  # filled at the bound: board 2's calls counted at full collateral
        print(
            f"\nnaive: {filler} filled carol's request at the stale mark for {r[5] / WAD:.2f} WETH against "
            f"{fair / WAD:.2f} at the next fresh mark ({r[5] / fair - 1:+.1%})"
        )
        assert r[1] == CLAIMABLE and r[5] < fair * 9 // 10, (r, fair)
        return
    assert r[1] == PENDING, f"{filler} filled the request at the stale mark"
    if trigger == "serveQueue":  # nor does the keeper's
        serve(vault, keeper, 16)
        assert call(vault, "redeemRequest", rid)[1] == PENDING, "the keeper filled the request at the stale mark"
    assert call(vault, "claimableAssets") == 0

    # The next fresh mark fills it at the fair price.
    warp(w3, 2)
    live.post_spot("2000")
    _post_surface(live, expiry2)
    if live.expiry > now(w3):
        live.post_surface()
    crank(vault, keeper)
    assert call(m.book, "optionsLiability", vault.address)[1] is True
    fair = call(vault, "previewRedeem", r[4])
    # The keeper's fill (its post above came after the request). It filled just now, at the stale
    # mark: anyone else waits fillDelay from that, however old the request.
    serve(vault, keeper, 16)
    r = call(vault, "redeemRequest", rid)
    # The fill lands a block after the preview: a second of theta on the book, no more.
    assert r[1] == CLAIMABLE and abs(r[5] - fair) <= fair // 10**6, (r[5], fair)
    assert fair >= 99 * WAD, f"carol's 100 WETH filled at {fair / WAD}"


@pytest.mark.parametrize("version", ["ours", "instant", "naive"])
def test_no_instant_exit_at_a_stale_mark(w3, live, trader, deployer, keeper, guardian, alice, version):  # noqa: F811
    """carol (no request) wants out while the mark is stale. On 6507dee she could redeem at once,
    at the bound (maxWithdraw 61.19 WETH; an instant redeem paid about what the stale fill pays,
    61.01 WETH against 99.74 at the next fresh mark, -38.8%). Two defences refuse that now: ours
    closes instant flows while the book is live (forward-priced LP flows: InstantFlowClosed); on a
    vault that keeps them open whatever the book (``[instant]``, NaiveInstantCallVault) the stale
    mark alone still refuses the exit (MarkNotFresh), maxima zero on both. ``[naive]``
    (NaiveStaleFillCallVault, exits at any mark): its instant flows are closed too, so the old
    instant exit cannot be replayed on the current code; the damage the freshness check guards
    against shows on the exit she has left, a request the keeper fills at the stale mark (after
    the next spot and board-1 surface posts: board 2's surface is still stale)."""
    if version == "naive":  # exits paid at any mark
        live = naive_live(w3, deployer, keeper, guardian, alice, trader, CallVault="NaiveStaleFillCallVault")
    elif version == "instant":  # instant flows whatever the book; the freshness check kept
        live = naive_live(w3, deployer, keeper, guardian, alice, trader, CallVault="NaiveInstantCallVault")
    vault, carol, rid, expiry2 = _two_boards_and_a_queued_lp(live, trader)
    send(vault, carol, "cancelRedeemRequest", rid)
    warp(live.w3, 3 * 3600 + 60)
    live.refresh()
    crank(vault, carol)  # she may crank: still stale, for board 2's surface
    assert call(live.market.book, "optionsLiability", vault.address)[1] is False, "the mark must be stale here"
    shares = call(vault, "balanceOf", carol.address)
    assert call(vault, "maxWithdraw", carol.address) == 0
    assert call(vault, "maxRedeem", carol.address) == 0
    refusal = "MarkNotFresh" if version == "instant" else "InstantFlowClosed"
    with reverts(refusal):
        send(vault, carol, "redeem", shares, carol.address, carol.address)
    with reverts(refusal):
        send(vault, carol, "withdraw", WAD, carol.address, carol.address)
    if version != "naive":
        return
    fair = _fresh_preview(live, vault, shares, expiry2)
    rid = request_id_of(vault, send(vault, carol, "requestRedeem", shares, carol.address, carol.address))
    warp(live.w3, 1)  # the keepers' cycle: spot and board 1's surface posted after the request, then the fill
    live.refresh()  # board 2's surface is not posted: it stays stale
    crank(vault, keeper)  # the keepers' cycle: posts, crank, fill
    assert call(live.market.book, "optionsLiability", vault.address)[1] is False, "the mark must still be stale"
    send(vault, keeper, "serveQueue", 16)
    r = call(vault, "redeemRequest", rid)
    print(
        f"\nnaive: instant exits closed; carol's request filled by the keeper at the stale mark for "
        f"{r[5] / WAD:.2f} WETH against {fair / WAD:.2f} at the next fresh mark ({r[5] / fair - 1:+.1%})"
    )
    assert r[1] == CLAIMABLE and r[5] < fair * 9 // 10, (r, fair)


# 3+5. Exit fee: dodging a spot post, and just-in-time liquidity.


def _naive_instant(w3, deployer, keeper, guardian, alice, trader):  # noqa: F811
    """A live market whose vaults keep instant LP flows whatever the book (as before forward
    pricing), the exit fee set to zero: neither defence."""
    lv = naive_live(w3, deployer, keeper, guardian, alice, trader, CallVault="NaiveInstantCallVault",
                    PutVault="NaiveInstantPutVault")
    for kind in ("call", "put"):
        admin_send(lv.protocol, lv.protocol.vault(kind), "setExitFee", 0)
    return lv


@pytest.mark.parametrize("version", ["ours", "naive"])
@pytest.mark.parametrize("move", ["0.001", "0.0025", "0.005", "-0.001", "-0.0025", "-0.005"])
def test_lp_cannot_dodge_a_spot_post(w3, live, trader, deployer, keeper, guardian, alice, version, move):  # noqa: F811
    """carol owns half the vault and sees the keeper's post coming that will lower the share
    price (spot up for the call vault, down for the put vault): she exits before it and comes
    back after. Holding through it must have been better. Until forward-priced LP flows she
    redeemed and deposited at once, and the exit fee alone made that lose. Now, the book being
    live, her exit is a request the keeper fills after its post (and the keepers' spot and surface
    re-posts: round B3) and her return a request too: she gets the mark after the post either way,
    less the fee. On the naive vault (instant flows whatever the book, no exit fee) dodging pays."""
    if version == "naive":
        live = _naive_instant(w3, deployer, keeper, guardian, alice, trader)
    m = live.market
    kind = "call" if Decimal(move) > 0 else "put"
    vault, carol = live.protocol.vault(kind), _carol()
    half = "100" if kind == "call" else "1000000"
    vault.asset.faucet(carol, half)
    vault.deposit(carol, half)  # the book holds nothing yet: instant on both
    m.trade(trader, live.option("2000", kind), TradeKind.BUY, "80" if kind == "call" else "400")
    assert call(vault, "instantFlowsOpen") is (version == "naive")
    new_spot = Decimal(2000) * (1 + Decimal(move))
    shares = call(vault, "balanceOf", carol.address)

    def post():  # the keeper's post, and the crank that marks the book at it (anyone's)
        warp(w3, 2)
        live.post_spot(new_spot)
        crank(vault, carol)

    snap = _snapshot(w3)
    post()
    held = call(vault, "convertToAssets", shares)  # at the mark after the post (cranked)
    _revert(w3, snap)

    _redeem_shares(vault, carol, shares, before_fill=post)  # naive: redeem, then the post
    _deposit_units(vault, carol, vault.asset.balance_units(carol.address))  # naive: at once; ours: the keeper fills
    dodged = call(vault, "convertToAssets", call(vault, "balanceOf", carol.address))
    gain = dodged - held
    if version == "ours":
        assert gain < 0, f"dodging a {move} spot post gained {gain} units over holding {held}"
    else:
        assert gain > 0, f"naive (instant flows, no exit fee): dodging gained only {gain}"


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_jit_liquidity_around_a_trade_does_not_pay(
    w3,
    live,  # noqa: F811
    trader,  # noqa: F811
    deployer,
    keeper,
    guardian,
    alice,
    attacker,
    version,
):
    """The attacker deposits 99 times the vault just before a trade and leaves just after,
    taking 99% of the trade's spread from the LPs who carry the risk. The vault's book is empty
    before the trade, so his deposit is instant on both versions; after it the book is live, and
    on ours his exit is a request the keeper fills after the spot and surface posts (instant exits
    closed: forward-priced LP flows), paying the exit fee, which makes the round trip lose. On the
    naive vault (instant flows whatever the book, no exit fee) he leaves at once and it pays."""
    if version == "naive":
        live = _naive_instant(w3, deployer, keeper, guardian, alice, trader)
    m, vault = live.market, live.protocol.vault("call")
    size = 99 * call(vault, "totalAssets")
    vault.asset.faucet(attacker, str(Decimal(size) / WAD))
    start = vault.asset.balance_units(attacker.address)
    send(vault.asset, attacker, "approve", vault.address, 2**256 - 1)
    send(vault, attacker, "deposit", size, attacker.address)
    m.trade(trader, live.option("2000", "call"), TradeKind.BUY, "10")
    shares = call(vault, "balanceOf", attacker.address)
    if version == "ours":
        assert call(vault, "maxRedeem", attacker.address) == 0
        with reverts("InstantFlowClosed"):
            send(vault, attacker, "redeem", shares, attacker.address, attacker.address)
    else:
        assert call(vault, "maxRedeem", attacker.address) == shares
    _redeem_shares(vault, attacker, shares)  # naive: at once; ours: request, the keeper's fill, claim
    profit = vault.asset.balance_units(attacker.address) - start
    print(f"\n{version}: JIT liquidity around a 10-call trade: {profit / WAD:+.6f} WETH")
    if version == "ours":
        assert profit < 0, f"JIT liquidity around a 10-call trade made {profit / WAD} WETH"
    else:
        assert profit > 0, f"naive (instant flows, no exit fee): JIT made only {profit}"


# 10. The options mark is wired once.


def test_options_mark_is_set_once(protocol):
    for kind in ("call", "put"):
        vault = protocol.vault(kind)
        mark = call(vault, "optionsMark")
        with reverts("OptionsMarkAlreadySet", current=mark):
            admin_send(protocol, vault, "setOptionsMark", ZERO)
