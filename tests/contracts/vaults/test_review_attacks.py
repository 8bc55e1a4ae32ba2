"""Vault attacks from the outside review of 6507dee, each on a live market (tests/contracts/market/conftest.py)
and each asserting that it no longer works; ``[naive]`` runs the same attack against a vault
that keeps 6507dee's behaviour (contracts/mocks/NaiveQueueVaults.sol), where it must still work:

1. cancelled redeem requests freeze settlement: a spammer fills the queue with cancelled entries
   that every release used to walk (naive: cancelled requests stay in the queue and are walked);
2. queued LPs forced out at the stale-oracle mark (serveQueue, settle or closeLong by anyone; naive:
   exits are paid at any mark);
3+5. an LP front-running the keeper's spot post, and just-in-time liquidity around a trade: the
   exit fee (naive = the fee set to zero, where both attacks pay);
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
from tests.helpers import admin_send, call, now, request_id_of, reverts, send

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
    if version == "naive":  # cancelled requests stay in the queue, walked by every serve
        live = naive_live(w3, deployer, keeper, guardian, alice, trader, CallVault="NaiveCancelQueueCallVault")
    m = live.market
    vault = live.protocol.vault("call")
    spammer = Client(w3, deploy_contract(w3, deployer, "QueueSpammer", vault.address), artifact_name="QueueSpammer")
    vault.asset.faucet(attacker, "1")
    vault.deposit(attacker, "1")
    send(vault, attacker, "transfer", spammer.address, 10)
    itm = live.option("1800", "call")  # ITM at spot 2000
    m.trade(trader, itm, TradeKind.BUY, "10")
    shares = call(vault, "convertToShares", 10 * WAD)

    def serve_gas_behind_the_spam() -> int | None:
        """Gas of serveQueue(16) once alice's request queues behind what is spammed so far."""
        snap = _snapshot(w3)
        send(vault, alice, "requestRedeem", shares, alice.address, alice.address)
        gas = _gas(vault, attacker, "serveQueue", 16)
        _revert(w3, snap)
        return gas

    per_entry = _gas(spammer, attacker, "spam", 20) / 20
    batch = int(25_000_000 / per_entry)
    made = 0

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
    assert call(vault, "queueLength") == SPAM_ENTRIES
    rid = request_id_of(vault, send(vault, alice, "requestRedeem", shares, alice.address, alice.address))

    gas: dict[str, int | None] = {}
    served: dict[str, bool] = {}

    def measure(name, client, signer, fn, *args):
        snap = _snapshot(w3)
        gas[name] = _gas(client, signer, fn, *args)
        if gas[name] is not None:
            send(client, signer, fn, *args)
            served[name] = call(vault, "redeemRequest", rid)[1] == CLAIMABLE
        _revert(w3, snap)

    measure("serveQueue(16)", vault, attacker, "serveQueue", 16)
    measure("closeLong", m, trader, "closeLong", itm.id, 10 * WAD, 0, _deadline(live))
    warp(w3, live.expiry - now(w3) + 60)
    live.post_spot("2000")
    measure("settle", m, keeper, "settle", live.expiry)
    print(
        f"{version}: gas behind 20,000 cancelled requests:",
        {k: f"{v:,}" if v else "> 30M (fails)" for k, v in gas.items()},
    )
    if version == "naive":  # each release walks every cancelled entry: none fits in a block
        assert walk_per_entry > 1_000, f"naive: the walk costs only {walk_per_entry} gas per cancelled entry"
        print(f"naive: a 30M block walks at most ~{BLOCK_GAS / walk_per_entry:,.0f} cancelled entries")
        assert gas == dict.fromkeys(gas), f"naive: a release still fits behind {SPAM_ENTRIES} cancelled: {gas}"
        return
    assert walk_per_entry < 1, f"a serve walks {walk_per_entry} gas per cancelled entry"
    assert all(g is not None and g < BLOCK_GAS for g in gas.values()), f"gas behind {SPAM_ENTRIES} cancelled: {gas}"
    assert all(g < 1_000_000 for g in gas.values()), f"the walk still grows with cancelled entries: {gas}"
    assert served == dict.fromkeys(gas, True), f"the real request was not served: {served}"


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
    assert call(lv.market, "optionsLiability", vault.address)[1] is True
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
    assert call(m, "optionsLiability", vault.address)[1] is False, "the mark must be stale here"
    fair = _fresh_preview(live, vault, call(vault, "redeemRequest", rid)[2], expiry2)

    if trigger == "serveQueue":
        send(vault, attacker, "serveQueue", 16)
    elif trigger == "closeLong":
        m.trade(trader, live.option("2000", "call"), TradeKind.CLOSE_LONG, "1")
    else:
        m.settle(attacker, live.expiry)
    r = call(vault, "redeemRequest", rid)
    if version == "naive":  # filled at the bound: board 2's calls counted at full collateral
        print(
            f"\nnaive: {trigger} filled carol's request at the stale mark for {r[3] / WAD:.2f} WETH against "
            f"{fair / WAD:.2f} at the next fresh mark ({r[3] / fair - 1:+.1%})"
        )
        assert r[1] == CLAIMABLE and r[3] < fair * 9 // 10, (r, fair)
        return
    assert r[1] == PENDING, f"{trigger} filled the request at the stale mark: {r[3] / (100 * WAD) - 1:+.1%}"
    assert call(vault, "claimableAssets") == 0

    # The next fresh mark fills it at the fair price.
    warp(w3, 2)
    live.post_spot("2000")
    _post_surface(live, expiry2)
    if live.expiry > now(w3):
        live.post_surface()
    assert call(m, "optionsLiability", vault.address)[1] is True
    fair = call(vault, "previewRedeem", r[2])
    send(vault, attacker, "serveQueue", 16)
    r = call(vault, "redeemRequest", rid)
    # The fill lands a block after the preview: a second of theta on the book, no more.
    assert r[1] == CLAIMABLE and abs(r[3] - fair) <= fair // 10**6, (r[3], fair)
    assert fair >= 99 * WAD, f"carol's 100 WETH filled at {fair / WAD}"


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_no_instant_exit_at_a_stale_mark(w3, live, trader, deployer, keeper, guardian, alice, version):  # noqa: F811
    if version == "naive":  # exits paid at any mark
        live = naive_live(w3, deployer, keeper, guardian, alice, trader, CallVault="NaiveStaleFillCallVault")
    vault, carol, rid, expiry2 = _two_boards_and_a_queued_lp(live, trader)
    send(vault, carol, "cancelRedeemRequest", rid)
    warp(live.w3, 3 * 3600 + 60)
    live.refresh()
    shares = call(vault, "balanceOf", carol.address)
    if version == "naive":  # she may leave now, at the bound
        exit_shares = call(vault, "maxRedeem", carol.address)
        fair = _fresh_preview(live, vault, exit_shares, expiry2)
        before = vault.asset.balance_units(carol.address)
        send(vault, carol, "redeem", exit_shares, carol.address, carol.address)
        paid = vault.asset.balance_units(carol.address) - before
        print(
            f"\nnaive: carol redeemed {exit_shares / shares:.0%} of her shares at the stale mark for "
            f"{paid / WAD:.2f} WETH against {fair / WAD:.2f} at the next fresh mark ({paid / fair - 1:+.1%})"
        )
        assert exit_shares > 0 and paid < fair * 9 // 10, (exit_shares, paid, fair)
        return
    assert call(vault, "maxWithdraw", carol.address) == 0
    assert call(vault, "maxRedeem", carol.address) == 0
    with reverts("MarkNotFresh"):
        send(vault, carol, "redeem", shares, carol.address, carol.address)
    with reverts("MarkNotFresh"):
        send(vault, carol, "withdraw", WAD, carol.address, carol.address)


# 3+5. Exit fee: dodging a spot post, and just-in-time liquidity.


@pytest.mark.parametrize("version", ["ours", "naive"])
@pytest.mark.parametrize("move", ["0.001", "0.0025", "0.005", "-0.001", "-0.0025", "-0.005"])
def test_lp_cannot_dodge_a_spot_post(live, trader, protocol, version, move):  # noqa: F811
    """carol owns half the vault and sees the keeper's post coming that will lower the share
    price (spot up for the call vault, down for the put vault): she exits before it and comes
    back after. Holding through it must have been better."""
    w3, m = live.w3, live.market
    kind = "call" if Decimal(move) > 0 else "put"
    vault, carol = live.protocol.vault(kind), _carol()
    half = "100" if kind == "call" else "1000000"
    vault.asset.faucet(carol, half)
    vault.deposit(carol, half)
    m.trade(trader, live.option("2000", kind), TradeKind.BUY, "80" if kind == "call" else "400")
    if version == "naive":
        admin_send(protocol, vault, "setExitFee", 0)
    new_spot = Decimal(2000) * (1 + Decimal(move))
    shares = call(vault, "balanceOf", carol.address)

    snap = _snapshot(w3)
    warp(w3, 2)
    live.post_spot(new_spot)
    held = call(vault, "convertToAssets", shares)
    _revert(w3, snap)

    send(vault, carol, "redeem", shares, carol.address, carol.address)
    warp(w3, 2)
    live.post_spot(new_spot)
    send(vault.asset, carol, "approve", vault.address, 2**256 - 1)
    send(vault, carol, "deposit", vault.asset.balance_units(carol.address), carol.address)
    dodged = call(vault, "convertToAssets", call(vault, "balanceOf", carol.address))
    gain = dodged - held
    if version == "ours":
        assert gain < 0, f"dodging a {move} spot post gained {gain} units over holding {held}"
    else:
        assert gain > 0, f"naive (no exit fee): dodging gained only {gain}"


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_jit_liquidity_around_a_trade_does_not_pay(live, trader, protocol, attacker, version):  # noqa: F811
    """The attacker deposits 99 times the vault just before a trade and leaves just after,
    taking 99% of the trade's spread from the LPs who carry the risk."""
    m, vault = live.market, live.protocol.vault("call")
    if version == "naive":
        admin_send(protocol, vault, "setExitFee", 0)
    size = 99 * call(vault, "totalAssets")
    vault.asset.faucet(attacker, str(Decimal(size) / WAD))
    start = vault.asset.balance_units(attacker.address)
    send(vault.asset, attacker, "approve", vault.address, 2**256 - 1)
    send(vault, attacker, "deposit", size, attacker.address)
    m.trade(trader, live.option("2000", "call"), TradeKind.BUY, "10")
    shares = call(vault, "balanceOf", attacker.address)
    assert call(vault, "maxRedeem", attacker.address) == shares
    send(vault, attacker, "redeem", shares, attacker.address, attacker.address)
    profit = vault.asset.balance_units(attacker.address) - start
    if version == "ours":
        assert profit < 0, f"JIT liquidity around a 10-call trade made {profit / WAD} WETH"
    else:
        assert profit > 0, f"naive (no exit fee): JIT made only {profit}"


# 10. The options mark is wired once.


def test_options_mark_is_set_once(protocol):
    for kind in ("call", "put"):
        vault = protocol.vault(kind)
        mark = call(vault, "optionsMark")
        with reverts("OptionsMarkAlreadySet", current=mark):
            admin_send(protocol, vault, "setOptionsMark", ZERO)
