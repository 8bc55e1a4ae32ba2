"""Finding M through the keepers (docs/security.md): after a −25% post a margin seller of puts is
insolvent, and the put vault marks the puts it bought from him at mid until he is liquidated. An
LP (carol, half the vault) who requested her exit before the post is filled by the oracle keeper
right after its post; the bad debt the liquidation books later falls on the LP who stayed.

The fix is the keepers': the oracle keeper (and the settler) hold a vault's fill while an
account on its side is below a fresh requirement, the liquidator liquidates it even without a
paying bonus (an insolvent account pays none: the vault is paid first), and the next cycle
fills at the mark after the liquidation. A hold lasts at most ``fill_hold_max_s``."""

from __future__ import annotations

from decimal import Decimal

from optio.keepers.runtime.accounts import scan_health
from optio.pricing.svi import SviParams
from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.errors import ContractRevert
from optio.sdk.market import Option, TradeKind
from tests.helpers import call, request_id_of, send
from tests.keepers.conftest import mine, runner
from tests.keepers.scenario import DAY, SURFACE_WEEK, build, now, post_spot, post_surfaces

USDC = 10**6
REFUSED = ("NetDeltaLimit", "BelowRequirement", "UtilisationLimit", "UtilisationTooHigh",
           "InsufficientFreeLiquidity", "LiveAmountTooSmall")


def _m_market(protocol, keeper):
    """M's market: spot 2000, a board a week out; alice and carol 1,000,000 USDC each in the put
    vault; a seller at his requirement (200,000 USDC, puts at K 2000 sold until refused); carol's
    redeem request of all her shares, made before the keepers' next posts (the vol keeper's
    surface at its held vols here, the oracle keeper's spot in the tests)."""
    w3, m = protocol.w3, protocol.market
    post_spot(protocol, keeper, "2000")
    expiry = now(w3) + 7 * DAY
    m.list_strikes(keeper, expiry, ["1800", "2000", "2200"])
    f = (expiry - now(w3)) / (7 * DAY)
    s = SURFACE_WEEK
    protocol.vol_oracle.post(keeper, expiry, SviParams(a=s.a * f, b=s.b * f, rho=s.rho, m=s.m, sigma=s.sigma))
    vault = protocol.vault("put")
    alice, carol, seller = LocalSigner(dev_account(1)), LocalSigner(dev_account(4)), LocalSigner(dev_account(20))
    for lp in (alice, carol):
        vault.asset.faucet(lp, "1000000")
        vault.deposit(lp, "1000000")
    w3.provider.make_request("anvil_setBalance", [seller.address, hex(10**20)])
    m.quote_token.faucet(seller, "400000")
    protocol.margin.deposit(seller, False, "200000")
    put = Option(expiry, Decimal("2000"), False)
    sold = Decimal(0)
    while sold < 10_000:
        try:
            m.trade(seller, put, TradeKind.SELL, "25")
        except ContractRevert as err:
            assert err.name in REFUSED, err
            break
        sold += 25
    shares = call(vault, "balanceOf", carol.address)
    rid = request_id_of(vault, vault.request_redeem_shares(carol, shares))
    post_surfaces(protocol, keeper)
    return vault, carol, seller, put, sold, shares, rid


def _oracle(tmp_path, chain, deployed, w3, price: str, extra: str = ""):
    """An oracle keeper whose one source says ``price`` from now on."""
    csv = tmp_path / "spot.csv"
    csv.write_text(f"timestamp,price\n{now(w3) - 5},{price}\n")
    table = (f'deviation = 0.005\nheartbeat_s = 100000\n'
             f'sources = [{{kind = "replay", path = "{csv}", max_age_s = 100000}}]\n{extra}')
    return runner(tmp_path, chain, deployed, "oracle", table)


def _step(w3, r) -> None:
    w3.provider.make_request("evm_increaseTime", [2])
    mine(w3)  # a new head, later than anything before: the keeper's observation time
    assert r.cycle()
    r.txs.wait(5)


def _claim(vault, carol, rid) -> int:
    before = vault.asset.balance_units(carol.address)
    send(vault, carol, "claim", rid, carol.address)
    return vault.asset.balance_units(carol.address) - before


def test_m_replayed_through_the_keepers_naive_fill_vs_held_fill(w3, protocol, chain, deployed, keeper, tmp_path):
    """Three runs from the same state (carol's request pending, the keeper about to post 1500):
    - staying: carol cancels her request; the post, then the liquidation (both LPs share the bad
      debt); what her shares are worth then is what staying pays;
    - naive (``fill_hold = false``): the keeper posts and fills carol at once, at the mark
      counting the insolvent seller's puts in full; the liquidation after books the bad debt on
      alice: carol's exit beats staying;
    - held (the default): the keeper posts and holds the put vault's fill, the liquidator
      liquidates (no bonus: ``release_fills``), the next cycle fills: carol gets what staying
      pays, within rounding."""
    vault, carol, seller, put, sold, shares, rid = _m_market(protocol, keeper)
    margin, liq = protocol.margin, LocalSigner(dev_account(8))

    def liquidate_by_hand() -> None:
        send(margin, liq, "liquidate", seller.address, put.id, call(margin, "shortOf", seller.address, put.id))

    def branch(name: str):
        (tmp_path / name).mkdir()
        return w3.provider.make_request("evm_snapshot", [])["result"]

    # Staying: no request; the post, the liquidation.
    snap = branch("stay")
    vault.cancel_request(carol, rid)
    _step(w3, _oracle(tmp_path / "stay", chain, deployed, w3, "1500", "fill = false"))
    coll, req = call(margin, "healthOf", [seller.address])[0][1]
    assert coll < req
    price_marked = call(vault, "convertToAssets", 10**18)
    liquidate_by_hand()
    stays = call(vault, "previewRedeem", shares)
    price_after_liq = call(vault, "convertToAssets", 10**18)
    w3.provider.make_request("evm_revert", [snap])

    # Naive: post and fill in one cycle, the liquidation after (by anyone).
    snap = branch("naive")
    _step(w3, _oracle(tmp_path / "naive", chain, deployed, w3, "1500", "fill_hold = false"))
    assert protocol.spot_oracle.latest_price()[0] == 1500
    assert call(vault, "redeemRequest", rid)[1] == 2  # claimable: filled before the liquidation
    naive_out = _claim(vault, carol, rid)
    alice = LocalSigner(dev_account(1))
    alice_before = call(vault, "convertToAssets", call(vault, "balanceOf", alice.address))
    liquidate_by_hand()
    alice_after = call(vault, "convertToAssets", call(vault, "balanceOf", alice.address))
    w3.provider.make_request("evm_revert", [snap])

    # Held: the keeper holds, the liquidator liquidates, the keeper fills.
    branch("held")
    oracle = _oracle(tmp_path / "held", chain, deployed, w3, "1500")
    liquidator = runner(tmp_path / "held", chain, deployed, "liquidator", "")
    _step(w3, oracle)
    assert protocol.spot_oracle.latest_price()[0] == 1500
    assert call(vault, "redeemRequest", rid)[1] == 1  # still pending: held
    assert oracle.metrics.registry.get_sample_value("oracle_fill_held", {"vault": "put"}) == 1
    for _ in range(5):  # the close factor may take several liquidations
        _step(w3, liquidator)
        if not scan_health(margin, [seller.address], 10):
            break
    events = margin.contract.events.Liquidated.get_logs(from_block=0)
    assert events and all(e["args"]["bonus"] == 0 for e in events)  # insolvent: nothing for the liquidator
    assert liquidator.metrics.value("liquidator_unpaid_total") == len(events)
    bad_debt = sum(e["args"]["badDebt"] for e in events)
    _step(w3, oracle)
    assert oracle.metrics.registry.get_sample_value("oracle_fill_held", {"vault": "put"}) == 0
    assert call(vault, "redeemRequest", rid)[1] == 2
    held_out = _claim(vault, carol, rid)
    print(f"\nM through the keepers: {sold} puts sold at the requirement; at 1500 collateral {coll / USDC:,.0f} vs "
          f"requirement {req / USDC:,.0f}; share price {price_marked} at the mark, {price_after_liq} once liquidated; "
          f"bad debt {bad_debt / USDC:,.2f}. Carol staying {stays / USDC:,.2f}; naive fill {naive_out / USDC:,.2f} "
          f"({(naive_out - stays) / USDC:+,.2f}; alice's stake {alice_before / USDC:,.2f} -> {alice_after / USDC:,.2f} "
          f"at the liquidation); held fill {held_out / USDC:,.2f} ({(held_out - stays) / USDC:+,.6f})")
    assert price_after_liq < price_marked
    assert naive_out - stays > 0
    assert abs(held_out - stays) <= 10  # units (1e-6 USDC): rounding


def test_the_hold_releases_after_its_bound(w3, protocol, chain, deployed, keeper, tmp_path):
    """No liquidator runs: the keeper holds the put vault's fill while the seller is insolvent,
    then fills anyway once the hold is ``fill_hold_max_s`` old (chain time), with a warning and
    ``oracle_fill_hold_expired_total``."""
    vault, _carol, seller, put, _sold, _shares, rid = _m_market(protocol, keeper)
    r = _oracle(tmp_path, chain, deployed, w3, "1500", "fill_hold_max_s = 60")
    _step(w3, r)
    assert call(vault, "redeemRequest", rid)[1] == 1
    t = now(w3)
    w3.provider.make_request("evm_setNextBlockTimestamp", [t + 30])
    _step(w3, r)  # 30 s + the post's block: still held
    assert call(vault, "redeemRequest", rid)[1] == 1
    assert r.metrics.registry.get_sample_value("oracle_fill_held", {"vault": "put"}) == 1
    w3.provider.make_request("evm_setNextBlockTimestamp", [t + 61])
    _step(w3, r)
    assert call(vault, "redeemRequest", rid)[1] == 2  # filled at the bound, the seller still insolvent
    assert call(protocol.margin, "shortOf", seller.address, put.id) > 0
    assert r.metrics.registry.get_sample_value("oracle_fill_hold_expired_total", {"vault": "put"}) == 1
    assert r.metrics.registry.get_sample_value("oracle_fill_held", {"vault": "put"}) == 0


def test_a_healthy_account_does_not_hold_the_fill(w3, protocol, chain, deployed, keeper, tmp_path):
    """Sellers near their requirement but above it (spot moves up to 2100): the keeper posts
    and fills the same cycle, nothing held."""
    build(protocol, keeper, sellers=2)
    vault, lp = protocol.vault("put"), LocalSigner(dev_account(1))
    vault.withdraw(lp, "1000", queue_rest=True)
    post_surfaces(protocol, keeper)  # the vol keeper's post after the request
    r = _oracle(tmp_path, chain, deployed, w3, "2100")
    _step(w3, r)
    assert [q.status for q in vault.requests_of(lp.address)] == ["claimable"]
    assert r.metrics.registry.get_sample_value("oracle_fill_held", {"vault": "put"}) == 0


def test_a_stale_requirement_does_not_hold_the_fill(w3, protocol, chain, deployed, keeper, tmp_path):
    """The board's surface is stale: every seller counts full collateral (below it on
    ``healthOf``) but the contract would refuse to liquidate (``RequirementNotFresh``), so the
    keeper does not hold its fill for them: it sends ``serveQueue`` after its post (which fills
    nothing at a mark that is not fresh, by the contract's rule)."""
    sc = build(protocol, keeper, sellers=2)
    vault, lp = protocol.vault("put"), LocalSigner(dev_account(1))
    vault.withdraw(lp, "1000", queue_rest=True)
    w3.provider.make_request("evm_increaseTime", [3 * 3600 + 1])  # the surface's maximum age
    mine(w3)
    sellers = [s.address for s in sc.sellers]
    assert all(puts[0] < puts[1] for _, puts in protocol.margin.call("healthOf", sellers))
    r = _oracle(tmp_path, chain, deployed, w3, "2000")
    _step(w3, r)  # the heartbeat is due (3 h): posts, then the fill goes out
    assert r.metrics.registry.get_sample_value("oracle_fill_held", {"vault": "put"}) == 0
    fills = [o for o in r.txs.outcomes if o.key == "fill:put"]
    assert [o.status for o in fills] == ["mined"]


def test_release_fills_off_the_liquidator_waits_for_a_paying_bonus(w3, protocol, chain, deployed, keeper, tmp_path):
    """The setting off: the insolvent seller pays no bonus, so the liquidator skips him as
    unprofitable although carol's request waits on the put vault (the fill stays held until
    the bound)."""
    vault, _carol, seller, put, _sold, _shares, rid = _m_market(protocol, keeper)
    _step(w3, _oracle(tmp_path, chain, deployed, w3, "1500", "fill = false"))
    off = runner(tmp_path, chain, deployed, "liquidator", "release_fills = false")
    _step(w3, off)
    assert not off.txs.outcomes and off.metrics.value("liquidator_unprofitable_total") == 1
    assert call(protocol.margin, "shortOf", seller.address, put.id) > 0
    assert call(vault, "redeemRequest", rid)[1] == 1


def test_the_settler_holds_its_fills_too(w3, protocol, chain, deployed, keeper, tmp_path):
    """The settler serves the queues too (its key holds FILLER_ROLE here: the deploy's keeper
    key): it holds the put vault's while the seller is liquidatable, and serves it after."""
    vault, _carol, seller, _put, _sold, _shares, rid = _m_market(protocol, keeper)
    _step(w3, _oracle(tmp_path, chain, deployed, w3, "1500", "fill = false"))
    settler = runner(tmp_path, chain, deployed, "settler", "")
    _step(w3, settler)
    assert call(vault, "redeemRequest", rid)[1] == 1
    assert settler.metrics.registry.get_sample_value("settler_fill_held", {"vault": "put"}) == 1
    _step(w3, runner(tmp_path, chain, deployed, "liquidator", ""))
    assert not scan_health(protocol.margin, [seller.address], 10)
    _step(w3, settler)
    assert call(vault, "redeemRequest", rid)[1] == 2
