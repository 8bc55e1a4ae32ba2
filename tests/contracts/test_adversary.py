"""Adversarial review of the fixes for the outside review (docs/security.md), on a real Anvil.

Each test performs one attack on today's contracts. Attacks that WORK assert the damage (the
test passes while the hole is open: flip the assertion once it is fixed); attacks that FAIL
assert the defence (regression tests). The numbers each test prints are the report's.

Works (holes): A exit-fee sniping (the "every share" waiver), B LP round trips around a 0.5%
post when the vault is long, D front-running a post beyond the keeper threshold, E live slots
held by closing to dust, E a liquidation leaving a short below the dust minimum, F spot jumps
compounding across the jump window's edge.
Held (regressions): C queue cancel/re-request games, expiry boundary, many live requests;
D near-expiry gamma within 0.5%; E net delta limit across trade kinds.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from optio.pricing.svi import SviParams
from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.errors import ContractRevert
from optio.sdk.market import TradeKind
from tests.contracts.market.conftest import SURFACE, live, trader, warp  # noqa: F401 (fixtures)
from tests.helpers import (
    call,
    crank,
    now,
    request_id_of,
    reverts,
    send,
    serve,
    set_next_timestamp,
    set_risk_limits,
    warp_to,
)

WAD = 10**18
USDC = 10**6
FOREVER = 2**255
PENDING, CLAIMABLE = 1, 2


def _signer(i: int) -> LocalSigner:
    return LocalSigner(dev_account(i))


def _snapshot(w3):
    return w3.provider.make_request("evm_snapshot", [])["result"]


def _revert(w3, snap):
    assert w3.provider.make_request("evm_revert", [snap])["result"] is True


def _deadline(lv) -> int:
    return now(lv.w3) + 600


def _set_limits(lv, **changes):
    set_risk_limits(lv.protocol, lv.market, **changes)


#: The keeper, which holds FILLER_ROLE on both vaults (optio.sdk.deploy).
FILLER = LocalSigner(dev_account(9))


def _fill(vault) -> None:
    """The keepers' cycle: they post spot (at the price held, a second later) and re-post the
    surface of every board the vault's side holds live options on (at the held vols: round B3)
    while the vault holds live options, since a fill serves only requests made before the
    mark's spot post and every surface post it used; then the vault's side of the OptionBook is
    cranked to its mark at those posts and every pending request filled at the mark. At a stale
    spot nothing is posted and the crank has no mark to make (it reverts: ``crank`` returns
    nothing), so the fill fills nothing (likewise a stale surface is not re-posted)."""
    from optio.sdk import option_id
    from optio.sdk.contracts import Client, VolOracle, held_surface

    if not call(vault, "instantFlowsOpen"):
        book = Client(vault.w3, call(vault, "optionsMark"), artifact_name="OptionBook")
        spot = Client(vault.w3, call(book, "spotOracle"), artifact_name="SpotOracle")
        try:
            price = call(spot, "latestRoundData")[1]
        except ContractRevert:  # stale: the mark is not fresh and nothing fills anyway
            price = None
        if price is not None:
            warp(vault.w3, 1)
            send(spot, FILLER, "post", price, now(vault.w3))
            vol = VolOracle(vault.w3, call(book, "volOracle"))
            is_call = call(book, "callVault") == vault.address
            for expiry in sorted({option_id.expiry_of(i) for i in call(book, "liveOptions", is_call)}):
                held = vol.surface(expiry)
                t = now(vault.w3) + 1  # the post's block (automine: a second later at least)
                if held.fresh and expiry > t:
                    set_next_timestamp(vault.w3, t)
                    vol.post(FILLER, expiry, held_surface(held.value, now(vault.w3), expiry, t))
    serve(vault, FILLER, 1_000)


def _deposit_units(vault, signer, units: int, *, fill: bool = True) -> None:
    """Deposit ``units``: at once while the vault's instant flows are open (cranking the book first
    when its mark is not usable: a naive vault with instant flows and live options), else a request
    that the keeper fills now (``fill``) or at the caller's next ``_fill`` (after the keepers'
    posts: forward pricing)."""
    vault.asset.faucet(signer, str(Decimal(units) / 10**vault.asset.decimals))
    send(vault.asset, signer, "approve", vault.address, 2**256 - 1)
    if call(vault, "instantFlowsOpen"):
        crank(vault, signer)  # a vault with instant flows and a live book (naive) needs a usable mark
        send(vault, signer, "deposit", units, signer.address)
        return
    send(vault, signer, "requestDeposit", units, signer.address, signer.address)
    if fill:
        _fill(vault)


def _redeem_shares(vault, signer, shares: int, before_fill=None) -> int:
    """Redeem ``shares`` at once while instant flows are open, else request, have the keeper fill
    (after ``before_fill()``, when given: a post the request was made in front of) and claim; the
    assets received (units)."""
    before = vault.asset.balance_units(signer.address)
    if call(vault, "instantFlowsOpen"):
        crank(vault, signer)  # as in _deposit_units: anyone may crank the book to a usable mark
        send(vault, signer, "redeem", shares, signer.address, signer.address)
        if before_fill:
            before_fill()
    else:
        rid = request_id_of(vault, send(vault, signer, "requestRedeem", shares, signer.address, signer.address))
        if before_fill:
            before_fill()
        _fill(vault)
        send(vault, signer, "claim", rid, signer.address)
    return vault.asset.balance_units(signer.address) - before


def _redeem_all(vault, signer) -> int:
    """Redeem every share ``signer`` holds (see ``_redeem_shares``); the assets received (units)."""
    return _redeem_shares(vault, signer, call(vault, "balanceOf", signer.address))


def _round_trip_around(vault, signer, units: int, post) -> int:
    """An LP round trip around ``post()``: deposit ``units`` in front of it (at once on a naive
    vault; on ours a request, which the keeper fills after its posts), redeem everything after.
    The profit (units)."""
    _deposit_units(vault, signer, units, fill=False)
    post()
    _fill(vault)
    return _redeem_all(vault, signer) - units


# --- A. Exit fee sniping (fixed): the fee no longer depends on who stays -----------------------


@pytest.mark.parametrize("kind", ["put", "call"])
def test_exit_fee_not_sniped_by_a_deposit_before_the_last_lp_leaves(live, kind):  # noqa: F811
    """alice is the vault's only LP (the fixture's deposit) and redeems all her shares. The
    attacker deposits one unit in front of her transaction, to be the LP who stays and receives
    her 0.5% fee. At 3b651b6 (the "every share" waiver) this took 4,999.99 USDC. Now every exit
    pays the fee, to the protocol, whoever stays: her exit pays the same, his stake loses its own
    exit fee."""
    w3 = live.w3
    vault, alice, attacker = live.protocol.vault(kind), _signer(1), _signer(3)
    unit = 10**vault.asset.decimals
    shares = call(vault, "balanceOf", alice.address)
    assert shares == call(vault, "totalSupply")

    snap = _snapshot(w3)
    honest = _redeem_all(vault, alice)  # what her transaction pays without the attacker
    _revert(w3, snap)

    stake = unit  # 1 WETH / 1 USDC
    _deposit_units(vault, attacker, stake)
    got = _redeem_all(vault, alice)
    back = _redeem_all(vault, attacker)
    profit, loss = back - stake, honest - got
    print(f"\n{kind} vault: alice's exit {honest / unit:,.4f} -> {got / unit:,.4f} (lost {loss / unit:,.6f}); "
          f"attacker staked {stake / unit} and took back {back / unit:,.6f}: profit {profit / unit:,.6f}")
    assert abs(loss) <= 1, (honest, got)
    assert profit < 0, profit
    assert call(vault, "totalSupply") == 0 and call(vault, "totalAssets") == 0  # nothing left behind


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_exit_fee_sniping_against_a_vault_crediting_the_whole_fee(w3, deployer, version):
    """The same attack on a stand-alone put vault (valued at cash), ours against a naive one that
    credits every exit fee in full to whoever stays (contracts/mocks/NaiveFeeCreditVault.sol):
    the naive vault gives the one-unit stake the whole fee of a 1M exit."""
    from optio.sdk.contracts import Client
    from optio.sdk.deploy import deploy_contract

    usdc_address = deploy_contract(w3, deployer, "MockERC20", "USD Coin", "USDC", 6, 10**16)
    usdc = Client(w3, usdc_address, artifact_name="MockERC20")
    name = "PutVault" if version == "ours" else "NaiveFeeCreditPutVault"
    address = deploy_contract(w3, deployer, name, usdc.address, 6, 2**96 - 1, deployer.address, 5 * 10**15)
    vault = Client(w3, address, artifact_name=name)
    alice, attacker = _signer(1), _signer(3)
    for who, units in ((alice, 1_000_000 * USDC), (attacker, USDC)):
        send(usdc, who, "faucet", units)
        send(usdc, who, "approve", vault.address, 2**256 - 1)
    send(vault, alice, "deposit", 1_000_000 * USDC, alice.address)
    send(vault, attacker, "deposit", USDC, attacker.address)
    got = _redeem_all_raw(vault, usdc, alice)
    profit = _redeem_all_raw(vault, usdc, attacker) - USDC
    print(f"\n{version}: alice got {got / USDC:,.2f} USDC for 1,000,000; attacker's profit on 1 USDC "
          f"{profit / USDC:,.6f}")
    assert got == 995_000 * USDC  # the fee is the same either way
    if version == "ours":
        assert profit < 0 and call(vault, "protocolFees") > 4_999 * USDC
    else:
        assert profit > 4_900 * USDC  # the whole fee, less the stake's own exit fee


def _redeem_all_raw(vault, token, signer) -> int:
    before = call(token, "balanceOf", signer.address)
    send(vault, signer, "redeem", call(vault, "balanceOf", signer.address), signer.address, signer.address)
    return call(token, "balanceOf", signer.address) - before


def test_exit_fee_not_sniped_from_a_large_queued_request(live, trader):  # noqa: F811
    """The queue: alice (sole LP) queues all her shares behind locked collateral. When the
    options close, `closeLong` (or anyone's serveQueue) fills her at the mark. The attacker
    deposits just before the fill and redeems after, to take her exit fee: at 3b651b6 he took
    ~0.5 WETH on a 0.1 WETH stake; now the fee goes to the protocol and his round trip loses
    (his share of the close's spread is less than his own exit fee: finding 5's argument)."""
    w3, m = live.w3, live.market
    vault, alice, attacker = live.protocol.vault("call"), _signer(1), _signer(3)
    opt = live.option("2000")
    m.trade(trader, opt, TradeKind.BUY, "80")  # 80 WETH of alice's 100 locked
    shares = call(vault, "balanceOf", alice.address)
    rid = request_id_of(vault, send(vault, alice, "requestRedeem", shares, alice.address, alice.address))
    assert call(vault, "redeemRequest", rid)[1] == PENDING  # not served: the collateral is locked

    snap = _snapshot(w3)
    m.trade(trader, opt, TradeKind.CLOSE_LONG, "80")  # unlocks; the keeper fills the queue
    _fill(vault)
    honest = call(vault, "redeemRequest", rid)[5]
    _revert(w3, snap)

    stake = WAD // 10  # 0.1 WETH in front of the close
    _deposit_units(vault, attacker, stake)
    m.trade(trader, opt, TradeKind.CLOSE_LONG, "80")
    _fill(vault)
    r = call(vault, "redeemRequest", rid)
    assert r[1] == CLAIMABLE
    back = _redeem_all(vault, attacker)
    profit, loss = back - stake, honest - r[5]
    print(f"\nqueued exit: alice {honest / WAD:.6f} -> {r[5] / WAD:.6f} WETH (lost {loss / WAD:.9f}); "
          f"attacker staked 0.1, profit {profit / WAD:.9f} WETH")
    # Her fill moves only by the stake's share of the close's spread (he was an LP during it).
    assert loss < honest // 10_000 and profit < 0, (honest, r[5], profit)


# --- B. LP round trips around a post when the vault is long (fixed: delta within the assets) ---


def _vault_long_puts(live, trader) -> Decimal:  # noqa: F811
    """Traders sell ATM puts to the put vault (margin shorts): the vault pays ~105 USDC a put out
    of free liquidity and carries their delta, |Δ|·S ≈ 1,000 USDC a put, 10x the premium. At
    3b651b6 3,000 of them passed (a share price move of ~1.5% on a 0.5% post); now the vault's
    |net delta|·S may not pass maxUtilisation × its idle assets: sell in lots of 100 until
    refused. Returns the puts the vault bought."""
    margin, m = live.protocol.margin, live.market
    m.quote_token.faucet(trader, "2000000")
    margin.deposit(trader, False, "2000000")
    put = live.option("2000", "put")
    with reverts("NetDeltaLimit"):
        m.trade(trader, put, TradeKind.SELL, "3000")
    sold = Decimal(0)
    while True:
        try:
            m.trade(trader, put, TradeKind.SELL, "100")
        except ContractRevert as err:
            assert err.name == "NetDeltaLimit", err
            break
        sold += 100
    return sold


@pytest.mark.parametrize("game", ["deposit-before-down-post", "withdraw-before-up-post"])
def test_lp_games_around_a_half_percent_post_lose_when_the_vault_is_long(live, trader, game):  # noqa: F811
    """The exit-fee argument (docs/security.md, finding 3) bounds the share price move of a 0.5%
    post by maxUtilisation × 0.5%: at 3b651b6 true of the options the vault writes (covered by
    collateral), false of those it buys (3,000 ATM puts: ~1.5% on a 0.5% post, carol's round
    trip made +2,163 USDC on 500k). The market now keeps |net delta|·S within maxUtilisation ×
    the vault's idle assets: with as many puts as that allows, carol's round trip loses."""
    w3 = live.w3
    vault, carol = live.protocol.vault("put"), _signer(4)
    bought = _vault_long_puts(live, trader)
    down = game == "deposit-before-down-post"
    new_spot = Decimal(2000) * (Decimal("0.995") if down else Decimal("1.005"))
    price_before = call(vault, "convertToAssets", 10**18)
    stake = 500_000 * USDC

    def post():
        warp(w3, 2)
        live.post_spot(new_spot)

    if down:  # carol has nothing in the vault: deposit in front of the post, leave after it
        profit = _round_trip_around(vault, carol, stake, post)
        baseline = 0
    else:  # carol holds 500k: leave in front of the post, come back after; against holding
        _deposit_units(vault, carol, stake)
        shares = call(vault, "balanceOf", carol.address)
        snap = _snapshot(w3)
        warp(w3, 2)
        live.post_spot(new_spot)
        crank(vault, carol)  # the book's mark at the post (the keeper's crank, or anyone's)
        held = call(vault, "convertToAssets", shares)  # holding through the post (before any exit)
        _revert(w3, snap)
        out = _redeem_shares(vault, carol, shares, before_fill=post)  # asked in front of the post
        _deposit_units(vault, carol, out)
        now_worth = call(vault, "convertToAssets", call(vault, "balanceOf", carol.address))
        profit, baseline = now_worth - held, held
    price_after = call(vault, "convertToAssets", 10**18)
    print(f"\n{game}: vault bought {bought} puts (3,000 refused); share price {price_before} -> {price_after} "
          f"({price_after / price_before - 1:+.3%}); carol's gain over {'nothing' if down else 'holding'}: "
          f"{profit / USDC:,.2f} USDC on 500,000 (exit fee 0.5%)")
    assert bought >= 100
    assert profit < 0, f"{game}: {profit / USDC:,.2f} USDC (baseline {baseline})"


# --- C. The redeem queue (held) ---------------------------------------------------------------


def _pending_ids(vault) -> list[int]:
    n, i, out = call(vault, "queueLength"), call(vault, "queueHead"), []
    while i < n:
        out.append(i)
        i = call(vault, "nextPendingRequest", i)
    return out


def test_queue_cancel_and_rerequest_games_skip_and_overpay_nothing(live, trader):  # noqa: F811
    """Six LPs from six addresses queue behind locked collateral; the head, a middle one and the
    tail cancel, two re-request (to the tail), one cancels twice, one claims twice, one cancels
    someone else's. A close frees enough for some: they fill strictly in list order, each at the
    mark less the fee, nobody is skipped, nothing filled is paid twice."""
    m = live.market
    vault = live.protocol.vault("call")
    lps = [_signer(i) for i in (3, 4, 5, 6, 0, 8)]
    for lp in lps:
        _deposit_units(vault, lp, 10 * WAD)
    opt = live.option("2000")
    m.trade(trader, opt, TradeKind.BUY, "150")  # 150 of 160 WETH locked
    rid = {}
    for lp in lps:
        rid[lp.address] = request_id_of(vault, send(vault, lp, "requestRedeem", call(vault, "balanceOf", lp.address),
                                                    lp.address, lp.address))
    ids = [rid[lp.address] for lp in lps]
    assert _pending_ids(vault) == ids
    with reverts("NotController"):
        send(vault, lps[0], "cancelRedeemRequest", ids[1])
    for i in (0, 2, 5):  # head, middle, tail
        send(vault, lps[i], "cancelRedeemRequest", ids[i])
    with reverts("WrongRequestStatus"):
        send(vault, lps[2], "cancelRedeemRequest", ids[2])
    again = {}
    for i in (5, 0):  # re-requests go to the tail, in the order made
        again[i] = request_id_of(vault, send(vault, lps[i], "requestRedeem", call(vault, "balanceOf", lps[i].address),
                                             lps[i].address, lps[i].address))
    order = [ids[1], ids[3], ids[4], again[5], again[0]]
    assert _pending_ids(vault) == order
    total_pending = sum(call(vault, "redeemRequest", i)[4] for i in order)
    assert call(vault, "pendingShares") == total_pending

    m.trade(trader, opt, TradeKind.CLOSE_LONG, "30")  # frees ~ 30 WETH minus the premium: not all
    _fill(vault)
    served = [i for i in order if call(vault, "redeemRequest", i)[1] == CLAIMABLE]
    assert served == order[:len(served)] and 0 < len(served) < len(order), served  # a prefix: FIFO
    assert _pending_ids(vault) == order[len(served):]
    # Every fill at one mark less the fee: per share, no more than 99.5% of what a share that
    # stays is worth after the pass (the LPs who stay are never diluted by a fill).
    per_share_after = call(vault, "convertToAssets", 10**30)
    for i in served:
        r = call(vault, "redeemRequest", i)
        assert r[5] * 10**30 // r[4] <= per_share_after * 995 // 1000 + 1, (r, per_share_after)
    lp_of = {ids[1]: lps[1], ids[3]: lps[3], ids[4]: lps[4], again[5]: lps[5], again[0]: lps[0]}
    first = served[0]
    paid = call(vault, "redeemRequest", first)[5]
    got = vault.asset.balance_units(lp_of[first].address)
    send(vault, lp_of[first], "claim", first, lp_of[first].address)
    assert vault.asset.balance_units(lp_of[first].address) - got == paid
    with reverts("WrongRequestStatus"):
        send(vault, lp_of[first], "claim", first, lp_of[first].address)
    with reverts("WrongRequestStatus"):
        send(vault, lp_of[first], "cancelRedeemRequest", first)
    print(f"\nqueue: {len(served)} of {len(order)} served in order after 3 cancels and 2 re-requests; "
          f"claimable {call(vault, 'claimableAssets') / WAD:.4f} WETH reserved")


def test_queue_waits_across_expiry_until_the_settlement_price(live, trader, keeper):  # noqa: F811
    """A request queued behind ITM calls at the epoch boundary: after expiry and before the
    settlement price nothing fills (serveQueue, or a settle attempt); once the price is recorded
    the request fills at the payoff mark, and `settle` afterwards leaves the share price where
    the fill put it (the LPs who stay lost nothing to the leaver)."""
    w3, m = live.w3, live.market
    vault, carol = live.protocol.vault("call"), _signer(4)
    _deposit_units(vault, carol, 10 * WAD)
    m.trade(trader, live.option("1800"), TradeKind.BUY, "95")  # 95 of 110 WETH locked
    rid = request_id_of(vault, send(vault, carol, "requestRedeem", call(vault, "balanceOf", carol.address),
                                    carol.address, carol.address))
    warp_to(w3, live.expiry + 30)
    assert call(m.book, "optionsLiability", vault.address)[1] is False
    _fill(vault)  # the filler itself fills nothing at a mark that is not fresh
    with reverts("SettlementNotRecorded"):
        send(m, keeper, "settle", live.expiry)
    assert call(vault, "redeemRequest", rid)[1] == PENDING
    live.post_spot("2100")  # the settlement price
    assert call(m.book, "optionsLiability", vault.address)[1] is False  # the book's mark waits for a crank
    crank(vault, keeper)  # anyone's: the book marked at the settlement price
    assert call(m.book, "optionsLiability", vault.address)[1] is True
    m.settle(keeper, live.expiry)  # unlocks; the keeper fills right after
    _fill(vault)
    r = call(vault, "redeemRequest", rid)
    assert r[1] == CLAIMABLE
    # alice's shares after: the fill took exactly carol's share less the fee.
    alice_assets = call(vault, "convertToAssets", call(vault, "balanceOf", _signer(1).address))
    total = call(vault, "totalAssets")
    assert alice_assets <= total and total - alice_assets < 10
    print(f"\nboundary: carol filled {r[5] / WAD:.6f} WETH at the settlement mark; "
          f"alice holds {alice_assets / WAD:.6f}")


def test_many_requesters_cannot_stretch_a_serve(live, trader):  # noqa: F811
    """400 live (not cancelled) requests from one LP: a serve is bounded by maxRequests (the
    keeper fills 16 here), and closing serves nothing; the spammer's requests are served at cost
    to it (the exit fee on each) and never skip the real LP's place."""
    m = live.market
    vault, attacker = live.protocol.vault("call"), _signer(3)
    opt = live.option("2000")
    m.trade(trader, opt, TradeKind.BUY, "90")
    _deposit_units(vault, attacker, WAD)
    # Live requests: each needs a transaction's worth of calls; 400 of them stand for any number
    # (the serve's work does not depend on how many wait behind the first 16).
    shares = call(vault, "balanceOf", attacker.address)
    first = call(vault, "queueLength")
    for _ in range(400):
        send(vault, attacker, "requestRedeem", shares // 1000, attacker.address, attacker.address)
    rid = request_id_of(vault, send(vault, _signer(1), "requestRedeem", 10**24, _signer(1).address,
                                    _signer(1).address))
    m.trade(trader, opt, TradeKind.CLOSE_LONG, "90")
    assert call(vault, "queueHead") == first  # closing served nothing
    gas = vault.contract.functions.serveQueue(16).estimate_gas({"from": FILLER.address})
    send(vault, FILLER, "serveQueue", 16)
    assert call(vault, "queueHead") == first + 16 and call(vault, "redeemRequest", rid)[1] == PENDING
    print(f"\n400 live requests queued: the keeper's serveQueue(16) {gas:,} gas, served 16")
    assert gas < 1_500_000


# --- D. Front-running the spot post -------------------------------------------------------------


def _round_trip(live, trader, opt, amount: str, new_spot: Decimal) -> Decimal:  # noqa: F811
    """Buy ``amount`` of ``opt``, the keeper posts ``new_spot``, sell them back: profit in USD."""
    m = live.market
    token = m.token_of(opt)
    before = token.balance_units(trader.address)
    m.trade(trader, opt, TradeKind.BUY, amount)
    warp(live.w3, 2)
    live.post_spot(new_spot)
    m.trade(trader, opt, TradeKind.CLOSE_LONG, amount)
    change = token.balance_units(trader.address) - before
    return Decimal(change) / WAD * new_spot if opt.is_call else Decimal(change) / USDC


@pytest.mark.parametrize("move", ["0.0075", "0.01", "0.02"])
def test_front_running_a_post_beyond_the_keeper_threshold_pays(live, trader, move):  # noqa: F811
    """The move fee covers moves up to `moveWad` = 0.5%, the keeper's deviation threshold. But
    the threshold is the *least* move the keeper posts, not the most: it polls, and whatever the
    market did since its last post lands in one post (the oracle accepts up to 25% a window). A
    1% post — one missed poll in a fast market — is visible in the mempool and pays again."""
    live.market.list_strikes(live.keeper, live.expiry, ["1500"])
    profit = _round_trip(live, trader, live.option("1500"), "40", Decimal(2000) * (1 + Decimal(move)))
    print(f"\nfront-run 40 calls @1500 around a +{move} post: profit {profit:,.2f} USD")
    if move == "0.0075":  # break-even lies near 0.8% for this book
        assert profit < 0
    else:
        assert profit > 100, profit


NEAR = ["2000", "2005", "2010", "2015", "2020", "2030"]


def test_front_running_near_expiry_gamma_within_the_threshold_loses(live, trader):  # noqa: F811
    """The move fee's Γ term is Γ at the pre-post spot (first order). Near the trading cutoff an
    OTM call just above spot has little Γ before the post and a lot after: the tightest case for
    the bound. 6.5 minutes before expiry, calls 0-1.5% OTM, a +0.5% post: every round trip loses."""
    w3 = live.w3
    live.market.list_strikes(live.keeper, live.expiry, [k for k in NEAR if k != "2000"])
    warp_to(w3, live.expiry - 390)
    live.refresh("2000")
    results = {}
    for k in NEAR:
        snap = _snapshot(w3)
        live.post_surface()
        results[k] = _round_trip(live, trader, live.option(k), "40", Decimal("2010"))
        _revert(w3, snap)
    print("\nnear-expiry +0.5% front-runs (USD):", {k: f"{v:,.2f}" for k, v in results.items()})
    assert all(v < 0 for v in results.values()), results


# --- E. Live slots, exposure limits, margin dust ------------------------------------------------

FAR_CALLS = [str(3000 + 50 * i) for i in range(64)]


def test_live_slots_not_held_by_closing_to_dust(live, attacker, trader):  # noqa: F811
    """Finding 4's fix: an opening trade must leave at least `minLiveAmount` (1 option). At
    3b651b6 a close could leave dust: buy 1, close 0.999, and the slot stayed taken by 0.001
    option — all 64 call slots for 38.6 USD. Now every position is zero or at least the minimum
    (OptionToken.minBalance), so the open interest is too: the dust close reverts, so does a
    transfer splitting dust off, and a whole close frees the slot."""
    m = live.market
    oid = live.option("3000").id
    m.list_strikes(live.keeper, live.expiry, ["3000"]) if not call(m, "isListed", oid) else None
    m.base.faucet(attacker, "5")
    send(m.base, attacker, "approve", m.address, FOREVER)
    send(m, attacker, "buy", oid, WAD, FOREVER, _deadline(live))
    with reverts("BalanceBelowMinimum", account=attacker.address, id=oid, balance=WAD // 1000, minimum=WAD):
        send(m, attacker, "closeLong", oid, WAD - WAD // 1000, 0, _deadline(live))
    with reverts("TransferBelowMinimum"):  # split off by a transfer, to be closed whole elsewhere
        send(m.option_token, attacker, "safeTransferFrom", attacker.address, trader.address, oid,
             WAD - WAD // 1000, b"")
    send(m, attacker, "closeLong", oid, WAD, 0, _deadline(live))  # a whole position always closes
    assert oid not in call(m.book, "liveOptions", True)


def test_net_delta_limit_holds_across_trade_kinds(live, trader):  # noqa: F811
    """maxNetDelta 20: buys, margin sells, closes on three strikes in alternation, including a
    sign flip through zero: every trade that would leave |net delta| above 20 while raising it
    reverts, and the vault never ends beyond the limit."""
    _set_limits(live, maxNetDelta=20 * WAD)
    m, margin = live.market, live.protocol.margin
    margin.deposit(trader, True, "40")
    refused, worst = 0, 0
    plan = [("1800", TradeKind.BUY, "12"), ("2200", TradeKind.SELL, "20"), ("1800", TradeKind.BUY, "12"),
            ("2200", TradeKind.CLOSE_SHORT, "20"), ("2000", TradeKind.BUY, "20"),
            ("1800", TradeKind.CLOSE_LONG, "12"),
            ("2000", TradeKind.BUY, "20"), ("2200", TradeKind.SELL, "30"), ("1800", TradeKind.BUY, "30")]
    for strike, kind, amount in plan:
        try:
            m.trade(trader, live.option(strike), kind, amount)
        except ContractRevert as err:
            assert err.name in ("NetDeltaLimit", "BelowRequirement", "InsufficientOpenInterest"), err
            refused += err.name == "NetDeltaLimit"
        delta = call(m.book, "portfolio", True)[1]
        worst = max(worst, abs(delta))
    print(f"\nnet delta limit 20: worst |delta| {worst / WAD:.3f}, {refused} trades refused")
    assert refused and worst <= 20 * WAD


def test_liquidation_cannot_leave_a_short_below_the_dust_minimum(live, trader):  # noqa: F811
    """Finding 13's fix: a short is 0 or at least `dustAmount` (1 option). At 3b651b6
    `liquidate` did not check it: when the close factor would leave dust the whole position may
    go (maxAmount = position), and a liquidator taking position − 1 wei left a 1-wei short (and
    a 1-wei vault long holding a live slot) whose liquidation pays nobody's gas. Now that
    reverts `ShortBelowMinimum`, and the whole position goes."""
    m, margin = live.market, live.protocol.margin
    put = live.option("2200", "put")
    margin.deposit(trader, False, "5000")
    m.trade(trader, put, TradeKind.SELL, "1.5")
    required = call(margin, "required", trader.address, False)
    send(margin, trader, "withdraw", False, call(margin, "putCollateral", trader.address) - required,
         trader.address)
    warp(live.w3, 2)
    live.post_spot("1980")
    assert call(margin, "putCollateral", trader.address) < call(margin, "required", trader.address, False)
    liquidator = _signer(6)
    with reverts("ShortBelowMinimum", account=trader.address, id=put.id, amount=1):
        send(margin, liquidator, "liquidate", trader.address, put.id, 3 * WAD // 2 - 1)
    send(margin, liquidator, "liquidate", trader.address, put.id, 3 * WAD // 2)
    assert call(margin, "shortOf", trader.address, put.id) == 0
    assert call(m, "optionState", put.id)[1] == 0 and put.id not in call(m.book, "liveOptions", False)


# --- F. Oracles ----------------------------------------------------------------------------------


def test_spot_jumps_do_not_compound_across_the_window_edge(live):  # noqa: F811
    """Finding 11's fix: a post moves at most 25% from an anchor. At 3b651b6 the anchor reset to
    the *previous post* once older than the window (1 h): a post at the last second of a window
    moved 25% from the old anchor, and the next second 25% more from that very post: 2000 → 3125
    in two seconds. Now the anchor is a price at least a window old: the second jump reverts,
    and the feed still moves 25% a window (3125 passes once a 2500 is the anchor: within two).
    Since round 8 the anchor climbs a quarter jump a link (one every 15 min): with 2500 posted
    every 15 min, 3125 passes two windows after the 2500 (t + 10800; t + 9000 before)."""
    w3, oracle, keeper = live.w3, live.protocol.spot_oracle, live.keeper
    warp(w3, 3700)  # an outage: the next post is unchecked and becomes the anchor
    t = now(w3)
    oracle.post(keeper, "2000", t)
    warp_to(w3, t + 1)
    oracle.post(keeper, "2000", t + 1)
    warp_to(w3, t + 3599)
    oracle.post(keeper, "2000", t + 3599)
    warp_to(w3, t + 3600)
    oracle.post(keeper, "2500", t + 3600)  # +25% from the anchor, in the window
    warp_to(w3, t + 3601)
    with reverts("PriceJumpTooLarge", priceWad=3125 * WAD, previousPriceWad=2000 * WAD):
        oracle.post(keeper, "3125", t + 3601)
    for at in range(4500, 10800, 900):  # the links 2125, 2258, 2399, 2500 (t + 4500 .. 7200)
        warp_to(w3, t + at)
        if at == 9900:
            with reverts("PriceJumpTooLarge", priceWad=3125 * WAD):
                oracle.post(keeper, "3125", t + at)  # against 2399
        oracle.post(keeper, "2500", t + at)
    warp_to(w3, t + 10800)
    oracle.post(keeper, "3125", t + 10800)  # 2500 (t + 7200) is a window old: +25% from it
    price = call(oracle, "latestPrice")[0]
    print("\nspot 2000 -> 2500 at the window's edge, 3125 a second later refused, accepted 2 hours later")
    assert price == 3125 * WAD


def _surface(vol_scale: str):
    """The fixture's surface with every vol times ``vol_scale`` (total variance times its square)."""
    c2 = float(vol_scale) ** 2
    return SviParams(a=SURFACE.a * c2, b=SURFACE.b * c2, rho=SURFACE.rho, m=SURFACE.m, sigma=SURFACE.sigma)


def test_surface_moves_do_not_compound_across_the_window_edge(live):  # noqa: F811
    """The same rule for the vol oracle: vols move at most 50% a window from an anchor at least a
    window old, so a 40% move at the window's edge cannot be followed by another a second later
    (at 3b651b6 the anchor reset to the previous surface at the edge, as for spot)."""
    w3 = live.w3
    warp(w3, 3 * 3600 + 60)  # an outage of the vol feed (3 h): the next surface is the anchor
    live.post_spot("2000")
    live.post_surface(_surface("1"))
    warp(w3, 1)
    live.post_surface(_surface("1"))
    warp(w3, 3598)
    live.post_surface(_surface("1"))
    warp(w3, 2)
    live.post_surface(_surface("1.4"))  # +40% from the anchor: within 50%
    warp(w3, 2)
    with pytest.raises(ContractRevert) as refused:
        live.post_surface(_surface("1.96"))  # +40% from the last, +96% from the anchor
    assert refused.value.name in ("AtmVolMoveTooLarge", "VolMoveTooLarge"), refused.value
