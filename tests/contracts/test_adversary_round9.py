"""Ninth adversarial round, on a4061c7 (forward-priced LP flows: no instant flows while a vault's
side of the book is live; deposit and redeem requests filled by the FILLER_ROLE keeper, or by
anyone once `fillDelay` old; deposits fill first, then redeems FIFO).

F1 (WORKS, medium): a self-made blocker keeps the keeper from filling, so the requester times her
own fill. Redeem B (larger than free liquidity) heads the queue, R (fits) behind it; the keeper can
fill neither for `fillDelay`; then, in front of a post she sees coming, she cancels B and fills R
herself at the pre-post mark. The fallback meant for a keeper "that stopped filling" opens while
the keeper fills every cycle. Before a +5% post: R (30 WETH) +0.62 WETH over the forward fill,
attacker net +0.36, alice (100 WETH LP) -0.37. F1b: no second request needed: far-OTM calls of
her own (a whole unit of collateral each, ~no delta, 0.021 WETH for 60) lock the liquidity; she
closes them in front of the post: her whole 100 WETH +1.38 WETH, alice -1.39 WETH.
F7 (WORKS, low): in-line fills are at a mark the requester sees coming. The keeper fills in every
cycle whose on-chain spot is within its 0.5% deviation of its sources, i.e. at the posted mark
while the true price is up to 0.5% away. Entering when the lag makes the vault cheap and leaving
when it makes it rich, with a flat true exposure: +19.9 bp on the stake after the 50 bp exit fee
(the lags gave 68.5 bp) on a call vault short ITM calls.
F2 (WORKS, low): deposits-first starves redeems. 50 one-wei deposit requests in front of the
keeper's serveQueue(50) (its fill_max_requests) use its whole budget: a redeem waits (and, kept up
for `fillDelay`, ages into F1's self-timed fill). No minimum request size. 8.1M gas for the 50
requests against the keeper's 1.05M per cycle.
F3 (HELD): emptying the book (closing the only option) opens instant flows, but only at a mark
that is idle assets: the post the attacker saw coming no longer moves it.
F4 (HELD): expiry: nothing fills between expiry and the settlement price; settle takes the option
out of liveOptions and pays its reserve in the same transaction (the mark does not jump).
F5 (HELD): escrow accounting: the empty-vault sweep leaves a pending deposit's escrow alone; a
donation while a deposit is pending goes to the LPs of record, the depositor gets fewer shares.
F6 (WORKS, info): NatSpec vs code: a deposit fill records its shares as uint128(shares), "below
2^128 for any real supply and offset": with the put vault's offset 12 a fill above 3.4e26 units
records shares mod 2^128 (the mint is right); and the pause NatSpec ("requests ... stay open")
vs requestDeposit's whenNotPaused.
"""

from __future__ import annotations

from decimal import Decimal

from optio.sdk.market import TradeKind
from tests.contracts.market.conftest import live, trader, warp  # noqa: F401 (fixtures)
from tests.contracts.test_adversary import FILLER, _fill, _revert, _signer, _snapshot
from tests.helpers import call, now, request_id_of, reverts, send, warp_to

WAD = 10**18
USDC = 10**6
PENDING, CLAIMABLE, CLAIMED, CANCELLED = 1, 2, 3, 4


def _approve(vault, signer, units: int) -> None:
    vault.asset.faucet(signer, str(Decimal(units) / 10**vault.asset.decimals))
    send(vault.asset, signer, "approve", vault.address, 2**256 - 1)


def _req_redeem(vault, signer, shares: int) -> int:
    return request_id_of(vault, send(vault, signer, "requestRedeem", shares, signer.address, signer.address))


def _value(vault, who) -> int:
    return call(vault, "convertToAssets", call(vault, "balanceOf", who))


# --- F1. A blocker of one's own: the keeper cannot fill, the requester times her fill ----------


def test_blocker_request_lets_the_requester_time_her_own_fill(live, trader):  # noqa: F811
    """The attacker (an LP of 100 WETH, next to alice's 100) requests B = 70% of her shares, more
    than free liquidity with 150 ATM calls written, then R = the rest. The keeper refreshes and
    fills every half hour: nothing fills (FIFO: B does not fit). An hour later she sees the keeper's
    +5% post coming (a jump, a missed poll): in front of it she cancels B and calls serveQueue
    herself (R is fillDelay old): R fills at the pre-post mark. Counterfactual: the forward fill
    (the same cancel, the keeper's fill after its post)."""
    w3, m = live.w3, live.market
    vault, alice, attacker = live.protocol.vault("call"), _signer(1), _signer(3)
    _approve(vault, attacker, 100 * WAD)
    send(vault, attacker, "deposit", 100 * WAD, attacker.address)  # the book is empty: instant
    trader_weth = 60
    m.base.faucet(trader, str(trader_weth))
    m.trade(trader, live.option("2000"), TradeKind.BUY, "150")
    assert not call(vault, "instantFlowsOpen")
    free = call(vault, "freeLiquidity")
    shares = call(vault, "balanceOf", attacker.address)
    b_shares = shares * 7 // 10
    r_shares = shares - b_shares
    assert call(vault, "convertToAssets", b_shares) > free >= call(vault, "convertToAssets", r_shares)
    b = _req_redeem(vault, attacker, b_shares)
    r = _req_redeem(vault, attacker, r_shares)
    # The honest keeper: refresh, fill (every cycle, here every half hour): nothing fits.
    for step in (1800, 1801):
        warp(w3, step)
        live.refresh("2000")
        _fill(vault)
        assert call(vault, "redeemRequest", b)[1] == PENDING and call(vault, "redeemRequest", r)[1] == PENDING
    assert now(w3) - call(vault, "redeemRequest", r)[3] >= call(vault, "fillDelay")

    snap = _snapshot(w3)
    # Forward (what the design promises): the fill comes after the post.
    send(vault, attacker, "cancelRedeemRequest", b)
    warp(w3, 2)
    live.post_spot("2100")
    _fill(vault)
    fwd = call(vault, "redeemRequest", r)
    assert fwd[1] == CLAIMABLE
    alice_fwd = _value(vault, alice.address)
    mine_fwd = fwd[5] + _value(vault, attacker.address)
    _revert(w3, snap)

    # The attack: cancel the blocker and fill R herself in front of the post.
    send(vault, attacker, "cancelRedeemRequest", b)
    send(vault, attacker, "serveQueue", 10)  # not the filler: R is fillDelay old
    got = call(vault, "redeemRequest", r)
    assert got[1] == CLAIMABLE
    warp(w3, 2)
    live.post_spot("2100")
    _fill(vault)
    alice_att = _value(vault, alice.address)
    mine_att = got[5] + _value(vault, attacker.address)
    gain = got[5] - fwd[5]
    loss = alice_fwd - alice_att
    fee = call(vault, "exitFeeWad") * got[5] // WAD
    print(f"\nF1: R ({r_shares / 1e24:,.2f}M shares) filled at the pre-post mark {got[5] / WAD:.4f} WETH vs "
          f"{fwd[5] / WAD:.4f} forward: +{gain / WAD:.4f} WETH (exit fee ~{fee / WAD:.4f}, paid either way); "
          f"alice (100 WETH LP) loses {loss / WAD:.4f} WETH; the attacker's net (R's claim + B's shares, "
          f"which bore part of the post) +{(mine_att - mine_fwd) / WAD:.4f} WETH")
    assert mine_att - mine_fwd > 0
    assert gain > 3 * fee  # beyond the fee, which is paid either way
    assert loss > 0


def test_releasable_lock_lets_a_lone_request_time_its_fill(live, trader):  # noqa: F811
    """F1 without a second request: the attacker's own far-OTM calls (strike 3000, listed by the
    keeper as any strike; ~zero delta, yet a whole WETH of collateral each) lock the liquidity her
    redeem needs. The keeper cannot fill her for an hour; in front of the +5% post she closes them
    (closeLong serves no request now) and fills her request herself at the pre-post mark."""
    w3, m = live.w3, live.market
    vault, alice, attacker = live.protocol.vault("call"), _signer(1), _signer(3)
    _approve(vault, attacker, 110 * WAD)
    send(vault, attacker, "deposit", 100 * WAD, attacker.address)
    m.base.faucet(trader, "60")
    m.trade(trader, live.option("2000"), TradeKind.BUY, "100")
    m.list_strikes(live.keeper, live.expiry, ["3000"])
    otm = live.option("3000")
    paid = m.base.balance_units(attacker.address)
    m.trade(attacker, otm, TradeKind.BUY, "60")
    paid -= m.base.balance_units(attacker.address)
    shares = call(vault, "balanceOf", attacker.address)
    assert call(vault, "convertToAssets", shares) > call(vault, "freeLiquidity")
    r = _req_redeem(vault, attacker, shares)
    for step in (1800, 1801):
        warp(w3, step)
        live.refresh("2000")
        _fill(vault)
        assert call(vault, "redeemRequest", r)[1] == PENDING

    def close_otm():
        before = m.base.balance_units(attacker.address)
        m.trade(attacker, otm, TradeKind.CLOSE_LONG, "60")
        return m.base.balance_units(attacker.address) - before

    snap = _snapshot(w3)
    close_otm()
    warp(w3, 2)
    live.post_spot("2100")
    _fill(vault)
    fwd = call(vault, "redeemRequest", r)
    alice_fwd = _value(vault, alice.address)
    _revert(w3, snap)
    back = close_otm()
    send(vault, attacker, "serveQueue", 10)
    got = call(vault, "redeemRequest", r)
    warp(w3, 2)
    live.post_spot("2100")
    _fill(vault)
    assert fwd[1] == got[1] == CLAIMABLE
    loss = alice_fwd - _value(vault, alice.address)
    print(f"\nF1b: 60 calls at 3000 bought for {paid / WAD:.6f}, closed for {back / WAD:.6f} WETH; "
          f"her whole stake filled at the pre-post mark "
          f"{got[5] / WAD:.4f} WETH vs {fwd[5] / WAD:.4f} forward: +{(got[5] - fwd[5]) / WAD:.4f} WETH; "
          f"alice loses {loss / WAD:.4f} WETH")
    assert got[5] - fwd[5] > call(vault, "exitFeeWad") * got[5] // WAD and loss > 0


def test_in_line_fills_at_a_stale_mark_on_both_legs(live, trader):  # noqa: F811
    """The keeper fills in every cycle in which the on-chain spot is within its 0.5% deviation of
    its sources, so a fill without a post is at a mark the requester sees coming (the on-chain
    one) while the true price is up to 0.5% away. The attacker asks to deposit when the true price
    is 0.49% below the posted 2000 (the call vault looks cheap), the keeper fills in line at 2000;
    spot falls, the keeper posts 1980; the true price is back up 0.49% when she asks to redeem,
    filled in line at 1980. Her true exposure was ~flat (1990.2 in, 1989.8 out): what she makes is
    the two lags (~1% of the vault's delta) less the exit fee."""
    from optio.keepers.oracle import Settings

    deviation = Decimal(repr(Settings.model_fields["deviation"].default))
    w3, m = live.w3, live.market
    vault, attacker = live.protocol.vault("call"), _signer(3)
    m.base.faucet(trader, "50")
    m.trade(trader, live.option("1800"), TradeKind.BUY, "100")
    stake = 5 * WAD

    def keeper_cycle(true_price: Decimal, honest_oracle: bool) -> None:
        warp(w3, 2)
        onchain = Decimal(call(live.protocol.spot_oracle, "latestPrice")[0]) / WAD
        if honest_oracle or abs(true_price - onchain) >= deviation * onchain:
            live.post_spot(true_price)
        _fill(vault)

    def run(exact: bool) -> int:
        """The round trip's result (units); ``exact``: every fill at the true price (a post each cycle)."""
        _approve(vault, attacker, stake)
        keeper_cycle(Decimal("2000"), exact)
        send(vault, attacker, "requestDeposit", stake, attacker.address, attacker.address)
        keeper_cycle(Decimal("1990.2"), exact)  # in line: filled at 2000
        keeper_cycle(Decimal("1980"), exact)  # due: posted
        assert call(live.protocol.spot_oracle, "latestPrice")[0] == 1980 * WAD
        rid = _req_redeem(vault, attacker, call(vault, "balanceOf", attacker.address))
        keeper_cycle(Decimal("1989.8"), exact)  # in line: filled at 1980
        got = call(vault, "redeemRequest", rid)
        assert got[1] == CLAIMABLE
        return got[5] - stake

    snap = _snapshot(w3)
    fair = run(exact=True)
    _revert(w3, snap)
    profit = run(exact=False)
    assert call(live.protocol.spot_oracle, "latestPrice")[0] == 1980 * WAD  # never posted 1989.8
    print(f"\nF7: {stake / WAD} WETH in at the 2000 mark (true 1990.2), out at the 1980 mark (true 1989.8): "
          f"profit {profit / WAD:+.6f} WETH ({profit * 10_000 / stake:+.1f} bp, exit fee 50 bp paid); "
          f"filled at the true prices {fair / WAD:+.6f} ({fair * 10_000 / stake:+.1f} bp): the lags gave "
          f"{(profit - fair) * 10_000 / stake:.1f} bp")
    assert profit > 0 > fair


# --- F2. Deposits first: dust deposit requests eat the keeper's budget -------------------------


def test_dust_deposit_requests_starve_the_keepers_redeem_fills(live, trader):  # noqa: F811
    """The keeper fills with serveQueue(50) (oracle keeper's fill_max_requests default). alice
    asks to redeem 1 WETH of shares (fits); the attacker puts 50 one-wei deposit requests in front
    of the keeper's fill: deposits fill first, the keeper's budget is spent on them, alice waits."""
    from optio.keepers.oracle import Settings

    budget = Settings.model_fields["fill_max_requests"].default
    assert budget == 50
    m = live.market
    vault, alice, attacker = live.protocol.vault("call"), _signer(1), _signer(3)
    m.trade(trader, live.option("2000"), TradeKind.BUY, "2")
    rid = _req_redeem(vault, alice, call(vault, "convertToShares", WAD))
    _approve(vault, attacker, 10**6)
    gas_attacker = 0
    for _ in range(budget):
        gas_attacker += send(vault, attacker, "requestDeposit", 1, attacker.address, attacker.address)["gasUsed"]
    receipt = send(vault, FILLER, "serveQueue", budget)
    assert call(vault, "redeemRequest", rid)[1] == PENDING  # starved
    assert call(vault, "pendingDepositAssets") == 0
    minted = call(vault, "balanceOf", attacker.address)
    print(f"\nF2: 50 one-wei deposit requests ({gas_attacker:,} gas, {gas_attacker // budget:,} each) used the "
          f"keeper's serveQueue(50) ({receipt['gasUsed']:,} gas): alice's 1 WETH redeem still pending; the "
          f"attacker got {minted:,} shares for 50 wei; kept up for fillDelay at a 12 s cycle: "
          f"{gas_attacker * 300 / 1e6:,.0f}M gas")
    send(vault, FILLER, "serveQueue", budget)  # the next cycle, without new dust, fills her
    assert call(vault, "redeemRequest", rid)[1] == CLAIMABLE


# --- F3. Emptying the book to open instant flows -------------------------------------------------


def test_emptying_the_book_opens_instant_flows_only_at_a_mark_no_post_moves(live, trader):  # noqa: F811
    """bob (trader and LP) holds the only option on the call side. He sees a +5% post coming:
    he closes the option (the book empties, instant flows open) and redeems at once. The mark he
    leaves at is idle assets: the post does not move it, so leaving in front of it gains nothing."""
    m = live.market
    vault = live.protocol.vault("call")
    bob = trader
    _approve(vault, bob, 10 * WAD)
    send(vault, bob, "deposit", 10 * WAD, bob.address)
    m.trade(bob, live.option("2000"), TradeKind.BUY, "5")
    assert not call(vault, "instantFlowsOpen")
    with reverts("InstantFlowClosed"):
        send(vault, bob, "redeem", 1, bob.address, bob.address)
    m.trade(bob, live.option("2000"), TradeKind.CLOSE_LONG, "5")
    assert call(vault, "instantFlowsOpen")
    before = call(vault, "totalAssets")
    warp(live.w3, 2)
    live.post_spot("2100")
    after = call(vault, "totalAssets")
    assert after == before  # nothing a price moves
    out = call(vault, "previewRedeem", call(vault, "balanceOf", bob.address))
    print(f"\nF3: book emptied; totalAssets {before / WAD:.6f} before the post, {after / WAD:.6f} after; "
          f"bob's instant exit {out / WAD:.6f} WETH for 10 (spread and fee lost)")
    assert out < 10 * WAD


# --- F4. The expiry boundary --------------------------------------------------------------------


def test_settle_leaves_the_mark_where_the_settlement_price_put_it(live, trader, keeper):  # noqa: F811
    """ITM calls expire. Before the settlement price nothing fills (not fresh) and no deposit
    request is taken; once recorded, the mark is the payoff; settle removes the option from
    liveOptions and pays its reserve in one transaction: instant flows open at the same mark."""
    w3, m = live.w3, live.market
    vault, carol = live.protocol.vault("call"), _signer(4)
    m.trade(trader, live.option("1800"), TradeKind.BUY, "20")
    _approve(vault, carol, WAD)
    rid = request_id_of(vault, send(vault, carol, "requestDeposit", WAD, carol.address, carol.address))
    warp_to(w3, live.expiry + 30)
    _fill(vault)
    assert call(vault, "redeemRequest", rid)[1] == PENDING  # no fill at a bound
    with reverts("ERC4626ExceededMaxDeposit"):
        send(vault, carol, "requestDeposit", 1, carol.address, carol.address)
    live.post_spot("2100")  # the settlement price
    assert not call(vault, "instantFlowsOpen")
    before = call(vault, "totalAssets")
    m.settle(keeper, live.expiry)
    assert call(vault, "instantFlowsOpen")
    after = call(vault, "totalAssets")
    print(f"\nF4: totalAssets at the settlement mark {before / WAD:.8f}, after settle {after / WAD:.8f} "
          f"(diff {after - before} wei)")
    assert 0 <= after - before <= 100  # rounding in the LPs' favour only
    _fill(vault)
    assert call(vault, "redeemRequest", rid)[1] == CLAIMED


# --- F5. Escrow accounting ----------------------------------------------------------------------


def test_escrow_survives_the_empty_vault_sweep_and_donations_do_not_pay(live, trader):  # noqa: F811
    """(a) bob's deposit request waits (book empty, not yet filled) while alice, the only LP,
    leaves at once: the sweep of an empty vault takes idle assets, not the escrow; bob's deposit
    then fills at the initial price. (b) with the book live, a donation while carol's deposit is
    pending: carol gets shares at the price after it, the donation goes to the LPs of record."""
    w3 = live.w3
    vault, alice, bob = live.protocol.vault("put"), _signer(1), trader
    send(vault.asset, bob, "approve", vault.address, 2**256 - 1)
    rid = request_id_of(vault, send(vault, bob, "requestDeposit", 1000 * USDC, bob.address, bob.address))
    send(vault, alice, "redeem", call(vault, "balanceOf", alice.address), alice.address, alice.address)
    assert call(vault, "totalSupply") == 0
    fees = call(vault, "protocolFees")
    bal = call(vault.asset, "balanceOf", vault.address)
    assert bal - fees == 1000 * USDC == call(vault, "pendingDepositAssets")
    _fill(vault)
    assert call(vault, "redeemRequest", rid)[1] == CLAIMED
    assert call(vault, "balanceOf", bob.address) == 1000 * USDC * 10**12  # the initial price
    print(f"\nF5a: alice left an empty vault; protocolFees {fees / USDC:,.2f} USDC (her exit fee and the sweep), "
          f"bob's 1,000 USDC escrow intact")

    vault_c, carol, attacker = live.protocol.vault("call"), _signer(4), _signer(3)
    live.market.trade(bob, live.option("2000"), TradeKind.BUY, "2")
    _approve(vault_c, carol, 10 * WAD)
    snap = _snapshot(w3)
    send(vault_c, carol, "requestDeposit", 10 * WAD, carol.address, carol.address)
    _fill(vault_c)
    honest = call(vault_c, "balanceOf", carol.address)
    _revert(w3, snap)
    send(vault_c, carol, "requestDeposit", 10 * WAD, carol.address, carol.address)
    alice_before = _value(vault_c, alice.address)
    vault_c.asset.faucet(attacker, "1")
    send(vault_c.asset, attacker, "transfer", vault_c.address, WAD)  # donation
    _fill(vault_c)
    got = call(vault_c, "balanceOf", carol.address)
    gain_alice = _value(vault_c, alice.address) - alice_before
    print(f"F5b: donation of 1 WETH while carol's 10 WETH wait: carol's shares {got / 1e24:.4f}M vs "
          f"{honest / 1e24:.4f}M; alice +{gain_alice / WAD:.4f} WETH (the donor's loss)")
    assert got < honest and gain_alice > 0


# --- F6. NatSpec against the code ---------------------------------------------------------------


def test_deposit_fill_records_its_shares_mod_2_128(w3, deployer):
    """A put vault with the deployment's offset 12 on a 6-decimal token (its faucet raised): a
    deposit request of 4e26 units (4e20 USDC, under the uint96 cap) fills for 4e38 shares, minted
    in full, but the request records uint128(shares): `redeemRequest(id).shares` (and so the SDK)
    reports shares mod 2^128. The cast's comment says 2^112 × 10^offset < 2^128 "for any real
    supply and offset": with offset 12 that holds only below 3.4e26 units."""
    from optio.sdk.contracts import Client
    from optio.sdk.deploy import deploy_contract

    token = Client(w3, deploy_contract(w3, deployer, "MockERC20", "USD Coin", "USDC", 6, 2**96),
                   artifact_name="MockERC20")
    vault = Client(w3, deploy_contract(w3, deployer, "PutVault", token.address, 12, 2**96 - 1,
                                       deployer.address, 5 * 10**15), artifact_name="PutVault")
    whale = _signer(5)
    units = 4 * 10**26
    send(token, whale, "faucet", units)
    send(token, whale, "approve", vault.address, 2**256 - 1)
    rid = request_id_of(vault, send(vault, whale, "requestDeposit", units, whale.address, whale.address))
    warp(w3, 3601)
    send(vault, _signer(6), "serveQueue", 1)  # anyone, fillDelay later
    minted = call(vault, "balanceOf", whale.address)
    recorded = call(vault, "redeemRequest", rid)[4]
    print(f"\nF6: minted {minted:.4e} shares, recorded {recorded:.4e} "
          f"(= minted mod 2^128: {recorded == minted % 2**128})")
    assert minted == units * 10**12 and minted > 2**128
    assert recorded == minted % 2**128 != minted


def test_pause_natspec_says_requests_stay_open_but_deposit_requests_revert(live, guardian):  # noqa: F811
    """OptioVault's header and pause(): "A pause stops deposits and mints only: withdrawals,
    requests, claims and cancels stay open". requestDeposit is whenNotPaused (its own NatSpec says
    so): the two disagree. Redeem requests do stay open."""
    vault, alice = live.protocol.vault("call"), _signer(1)
    _approve(vault, alice, WAD)
    send(vault, guardian, "pause")
    with reverts("EnforcedPause"):
        send(vault, alice, "requestDeposit", WAD, alice.address, alice.address)
    _req_redeem(vault, alice, 10**20)
