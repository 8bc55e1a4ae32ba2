"""Ninth adversarial round, on a4061c7 (forward-priced LP flows: no instant flows while a vault's
side of the book is live; deposit and redeem requests filled by the FILLER_ROLE keeper, or by
anyone once `fillDelay` old; deposits fill first, then redeems FIFO). The WORKS findings were
fixed at 5ecdb1f; their tests now perform the same attacks and assert the defence, with the
figures measured at a4061c7 kept as "was".

F1 (medium; FIXED at 5ecdb1f, was: R +0.62 WETH, attacker net +0.36, alice -0.37; F1b +1.38 /
alice -1.39): a self-made blocker kept the keeper from filling, so the requester timed her own
fill. Redeem B (larger than free liquidity) heads the queue, R (fits) behind it; the keeper can
fill neither for `fillDelay`; then, in front of a post she sees coming, she cancels B and fills R
herself at the pre-post mark. The fallback meant for a keeper "that stopped filling" opened while
the keeper filled every cycle. F1b: no second request needed: far-OTM calls of her own (a whole
unit of collateral each, ~no delta, 0.021 WETH for 60) lock the liquidity; she closes them in
front of the post. Fix: anyone but the filler fills only while the filler has not called
serveQueue for `fillDelay` (`lastFillerServe`): her own serveQueue fills nothing, R fills after
the post as forward.
F7 (low; FIXED at 5ecdb1f, was: +19.9 bp on the stake after the 50 bp exit fee, the lags gave
68.5 bp): in-line fills were at a mark the requester saw coming. The keeper filled in every cycle
whose on-chain spot was within its 0.5% deviation of its sources, i.e. at the posted mark while
the true price was up to 0.5% away; entering when the lag made the vault cheap and leaving when it
made it rich, with a flat true exposure, paid. Fix: a fill serves only requests made strictly
before the latest spot post (while the vault holds live options): the in-line fill fills nothing,
a request waits for a post, made at the sources' price.
F2 (low; FIXED at 5ecdb1f, was: 50 one-wei deposit requests, 8.1M gas, used the keeper's whole
serveQueue(50): a 1 WETH redeem waited): deposits-first starved redeems. Fix: deposits and redeems
each get `maxRequests`: the same dust leaves the redeem filled in the same call.
F3 (HELD): emptying the book (closing the only option) opens instant flows, but only at a mark
that is idle assets: the post the attacker saw coming no longer moves it.
F4 (HELD): expiry: nothing fills between expiry and the settlement price; settle takes the option
out of liveOptions and pays its reserve in the same transaction (the mark does not jump).
F5 (HELD): escrow accounting: the empty-vault sweep leaves a pending deposit's escrow alone; a
donation while a deposit is pending goes to the LPs of record, the depositor gets fewer shares.
F6 (info; FIXED at 5ecdb1f, was: a 4e26-unit fill recorded 4e38 shares mod 2^128, and the pause
NatSpec said requests stay open while requestDeposit is whenNotPaused): a deposit fill recorded
its shares as uint128(shares). Fix: the record saturates at 2^128 - 1 (the mint and events are
exact; a fill below 2^128 shares records exactly; a checked cast, tried first at 5ecdb1f, made
every fill revert behind such a request) and the pause NatSpec now says deposit requests stop
while paused.
"""

from __future__ import annotations

from decimal import Decimal

from optio.sdk.market import TradeKind
from tests.contracts.market.conftest import live, trader, warp  # noqa: F401 (fixtures)
from tests.contracts.test_adversary import FILLER, _fill, _revert, _signer, _snapshot
from tests.helpers import call, crank, now, request_id_of, reverts, send, serve, warp_to

WAD = 10**18
USDC = 10**6
PENDING, CLAIMABLE, CLAIMED, CANCELLED = 1, 2, 3, 4
#: What a second or two of anvil's wall clock between two paths moves the figures compared (units).
TIME_NOISE = 10**13


def _approve(vault, signer, units: int) -> None:
    vault.asset.faucet(signer, str(Decimal(units) / 10**vault.asset.decimals))
    send(vault.asset, signer, "approve", vault.address, 2**256 - 1)


def _req_redeem(vault, signer, shares: int) -> int:
    return request_id_of(vault, send(vault, signer, "requestRedeem", shares, signer.address, signer.address))


def _next_block_at(w3, timestamp: int) -> None:
    w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])


def _value(vault, who) -> int:
    return call(vault, "convertToAssets", call(vault, "balanceOf", who))


# --- F1. A blocker of one's own: the keeper cannot fill, the requester times her fill ----------


def test_blocker_request_no_longer_lets_the_requester_time_her_own_fill(live, trader):  # noqa: F811
    """The attacker (an LP of 100 WETH, next to alice's 100) requests B = 70% of her shares, more
    than free liquidity with 150 ATM calls written, then R = the rest. The keeper refreshes and
    fills every half hour: nothing fills (FIFO: B does not fit). An hour later she sees the keeper's
    +5% post coming (a jump, a missed poll): in front of it she cancels B and calls serveQueue
    herself (R is fillDelay old). Counterfactual: the forward fill (the same cancel, the keeper's
    fill after its post).

    Was (a4061c7): R filled at the pre-post mark, +0.62 WETH over the forward fill (exit fee ~0.16,
    paid either way), the attacker's net +0.36 WETH, alice (100 WETH LP) -0.37 WETH.
    Now (5ecdb1f): the keeper called serveQueue within `fillDelay`, so hers fills nothing; R
    waits for the keeper's fill after the post, as forward: nothing gained, alice loses nothing."""
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
    delay = call(vault, "fillDelay")
    assert now(w3) - call(vault, "redeemRequest", r)[3] >= delay  # R alone would have let her fill
    assert now(w3) - call(vault, "lastFillerServe") < delay  # but the keeper is there

    snap = _snapshot(w3)
    # Forward (what the design promises): the fill comes after the post.
    start = now(w3) + 1
    _next_block_at(w3, start)  # both paths on the same clock (anvil's runs on across a revert)
    send(vault, attacker, "cancelRedeemRequest", b)
    warp(w3, 0)  # a block, where the attack has her serveQueue
    warp(w3, 2)
    live.post_spot("2100")
    _fill(vault)
    fwd = call(vault, "redeemRequest", r)
    assert fwd[1] == CLAIMABLE
    alice_fwd = _value(vault, alice.address)
    mine_fwd = fwd[5] + _value(vault, attacker.address)
    _revert(w3, snap)

    # The attack: cancel the blocker and fill R herself in front of the post.
    away = now(w3) - call(vault, "lastFillerServe")
    _next_block_at(w3, start)
    send(vault, attacker, "cancelRedeemRequest", b)
    would = vault.requests_to_serve(10, sender=attacker.address)
    serve(vault, attacker, 10)  # not the filler, which called within fillDelay
    # At a usable mark (the keeper's last crank, or hers): refused for who she is, not for the mark.
    assert vault.mark_fresh()
    assert would == 0 and call(vault, "redeemRequest", r)[1] == PENDING
    warp(w3, 2)
    live.post_spot("2100")
    _fill(vault)  # the keeper's fill after its post, as forward
    got = call(vault, "redeemRequest", r)
    assert got[1] == CLAIMABLE
    alice_att = _value(vault, alice.address)
    mine_att = got[5] + _value(vault, attacker.address)
    gain = got[5] - fwd[5]
    loss = alice_fwd - alice_att
    net = mine_att - mine_fwd
    print(f"\nF1: her serveQueue in front of the post fills {would} (the keeper's last serveQueue {away} s "
          f"before, fillDelay {delay} s); R ({r_shares / 1e24:,.2f}M shares) filled after the post at "
          f"{got[5] / WAD:.4f} WETH vs {fwd[5] / WAD:.4f} forward: {gain / WAD:+.6f} WETH "
          f"(was +0.62); alice {-loss / WAD:+.6f} WETH (was -0.37); the attacker's net {net / WAD:+.6f} "
          f"WETH (was +0.36)")
    # The two paths' clocks can still differ by a second (anvil's follows the wall clock), over
    # which the mark moves ~2.5e-6 WETH: 1e-5 WETH is a few seconds, 1/36,000 of the old net.
    assert net <= TIME_NOISE and gain <= TIME_NOISE and loss <= TIME_NOISE


def test_releasable_lock_no_longer_lets_a_lone_request_time_its_fill(live, trader):  # noqa: F811
    """F1 without a second request: the attacker's own far-OTM calls (strike 3000, listed by the
    keeper as any strike; ~zero delta, yet a whole WETH of collateral each) lock the liquidity her
    redeem needs. The keeper cannot fill her for an hour; in front of the +5% post she closes them
    (closeLong serves no request) and calls serveQueue herself.

    Was (a4061c7): her whole stake filled at the pre-post mark, +1.38 WETH over the forward fill;
    alice -1.39 WETH (the 60 calls cost her 0.021 WETH).
    Now (5ecdb1f): her serveQueue fills nothing while the keeper fills every cycle; the request
    fills after the post, as forward."""
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
    start = now(w3) + 1
    _next_block_at(w3, start)  # both paths on the same clock
    close_otm()
    warp(w3, 0)  # a block, where the attack has her serveQueue
    warp(w3, 2)
    live.post_spot("2100")
    _fill(vault)
    fwd = call(vault, "redeemRequest", r)
    alice_fwd = _value(vault, alice.address)
    _revert(w3, snap)
    _next_block_at(w3, start)
    back = close_otm()
    serve(vault, attacker, 10)
    assert vault.mark_fresh()  # a usable mark: refused for who she is, not for the mark
    assert call(vault, "redeemRequest", r)[1] == PENDING  # the keeper is there: she fills nothing
    warp(w3, 2)
    live.post_spot("2100")
    _fill(vault)
    got = call(vault, "redeemRequest", r)
    assert fwd[1] == got[1] == CLAIMABLE
    loss = alice_fwd - _value(vault, alice.address)
    print(f"\nF1b: 60 calls at 3000 bought for {paid / WAD:.6f}, closed for {back / WAD:.6f} WETH; "
          f"her own serveQueue filled nothing; her whole stake filled after the post at "
          f"{got[5] / WAD:.4f} WETH vs {fwd[5] / WAD:.4f} forward: {(got[5] - fwd[5]) / WAD:+.6f} WETH "
          f"(was +1.38); alice {-loss / WAD:+.6f} WETH (was -1.39)")
    assert got[5] - fwd[5] <= TIME_NOISE and loss <= TIME_NOISE


def test_in_line_fills_no_longer_at_a_stale_mark(live, trader):  # noqa: F811
    """The keeper posts when its sources are 0.5% (its deviation) from the on-chain spot and fills
    every cycle. The attacker asks to deposit when the true price is 0.49% below the posted 2000
    (the call vault looks cheap), to be filled in line at 2000; spot falls, the keeper posts 1980;
    the true price is back up 0.49% when she asks to redeem, to be filled in line at 1980. Her
    true exposure is ~flat (1990.2 in, 1989.8 out): at a4061c7 she made the two lags (~1% of the
    vault's delta) less the exit fee.

    Was (a4061c7): +0.009946 WETH on 5 (+19.9 bp after the 50 bp exit fee); at the true prices
    -48.6 bp: the lags gave 68.5 bp.
    Now (5ecdb1f): a fill serves only requests made before the latest post (round B3: and the
    surface posts, which the vol keeper makes, at the same vols here, when a request waits). (a)
    The keeper's in-line cycle (no spot post) fills nothing: her deposit waits for the 1980 post.
    (b) The keeper posting when a request waits (the oracle keeper's reason `requests`, db6f57d), at its sources'
    price, fills both legs at the true prices: the round trip makes what it makes at the true
    prices, the lags give nothing."""
    from optio.keepers.oracle import Settings

    deviation = Decimal(repr(Settings.model_fields["deviation"].default))
    w3, m = live.w3, live.market
    vault, attacker = live.protocol.vault("call"), _signer(3)
    m.base.faucet(trader, "50")
    m.trade(trader, live.option("1800"), TradeKind.BUY, "100")
    stake = 5 * WAD

    def keeper_cycle(true_price: Decimal, honest_oracle: bool, post_for_requests: bool = True) -> bool:
        """Posts when due (or every cycle if ``honest_oracle``, or, if ``post_for_requests``, when
        a pending request was made since the latest post: the keeper's `requests`), then fills.
        Whether it posted spot. The vol keeper (round B3) re-posts the surface, at the same vols,
        whenever a pending request was made since its latest post (its `serve_requests`): a
        fill serves only requests made before the mark's spot and surface posts."""
        warp(w3, 2)
        onchain, updated_at = call(live.protocol.spot_oracle, "latestPrice")
        onchain = Decimal(onchain) / WAD
        due = honest_oracle or abs(true_price - onchain) >= deviation * onchain
        made = vault.newest_pending_request_time()
        posted = due or (post_for_requests and made is not None and made >= updated_at)
        if posted:
            live.post_spot(true_price)
        if made is not None and made >= live.protocol.vol_oracle.surface(live.expiry).updated_at:
            live.post_surface()
        serve(vault, FILLER, 1_000)  # crank (the mark at the post, when it posted), then fill
        assert vault.mark_fresh()  # what fills nothing below does so at a usable mark
        return posted

    # (a) The keeper of a4061c7's attack: no post for a request, the in-line fill.
    snap = _snapshot(w3)
    _approve(vault, attacker, stake)
    keeper_cycle(Decimal("2000"), False, False)
    rid = request_id_of(vault, send(vault, attacker, "requestDeposit", stake, attacker.address, attacker.address))
    assert not keeper_cycle(Decimal("1990.2"), False, False)  # in line: no post
    assert call(vault, "redeemRequest", rid)[1] == PENDING  # was: filled at the 2000 mark
    assert keeper_cycle(Decimal("1980"), False, False)  # due: posted
    assert call(vault, "redeemRequest", rid)[1] == CLAIMED  # at the mark of the 1980 post
    _revert(w3, snap)

    def run(exact: bool) -> int:
        """The round trip's result (units); ``exact``: a post every cycle."""
        _approve(vault, attacker, stake)
        keeper_cycle(Decimal("2000"), exact)
        send(vault, attacker, "requestDeposit", stake, attacker.address, attacker.address)
        keeper_cycle(Decimal("1990.2"), exact)  # requests wait: posted, filled at 1990.2
        keeper_cycle(Decimal("1980"), exact)  # due: posted
        assert call(live.protocol.spot_oracle, "latestPrice")[0] == 1980 * WAD
        rid = _req_redeem(vault, attacker, call(vault, "balanceOf", attacker.address))
        keeper_cycle(Decimal("1989.8"), exact)  # requests wait: posted, filled at 1989.8
        got = call(vault, "redeemRequest", rid)
        assert got[1] == CLAIMABLE
        return got[5] - stake

    snap = _snapshot(w3)
    fair = run(exact=True)
    _revert(w3, snap)
    profit = run(exact=False)
    print(f"\nF7: (a) the in-line cycle filled nothing, her deposit waited for the 1980 post; (b) {stake / WAD} "
          f"WETH in at true 1990.2, out at true 1989.8, the keeper posting when requests wait: "
          f"{profit / WAD:+.6f} WETH ({profit * 10_000 / stake:+.1f} bp, was +19.9); every cycle posted: "
          f"{fair / WAD:+.6f} ({fair * 10_000 / stake:+.1f} bp): the lags gave "
          f"{(profit - fair) * 10_000 / stake:+.2f} bp (was 68.5)")
    assert profit < 0 and profit - fair <= stake // 10**5  # under 0.1 bp


# --- F2. Deposits first: dust deposit requests eat the keeper's budget -------------------------


def test_dust_deposit_requests_no_longer_starve_the_keepers_redeem_fills(live, trader):  # noqa: F811
    """The keeper fills with serveQueue(50) (oracle keeper's fill_max_requests default). alice
    asks to redeem 1 WETH of shares (fits); the attacker puts 50 one-wei deposit requests in front
    of the keeper's fill.

    Was (a4061c7): deposits filled first and spent the keeper's whole budget: alice's redeem waited
    (8.1M gas of dust against the keeper's 1.05M a cycle).
    Now (5ecdb1f): redeems have a budget of their own: the keeper's cycle (its post, then
    serveQueue(50)) fills the 50 dust deposits and her redeem in the same call."""
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
    warp(live.w3, 1)
    live.refresh("2000")  # the keepers' posts (spot and surface): a fill serves requests made before both
    receipt = serve(vault, FILLER, budget)  # its crank, then serveQueue(50) (the receipt measured)
    assert call(vault, "redeemRequest", rid)[1] == CLAIMABLE  # was: pending, starved
    assert call(vault, "pendingDepositAssets") == 0
    minted = call(vault, "balanceOf", attacker.address)
    print(f"\nF2: 50 one-wei deposit requests ({gas_attacker:,} gas, {gas_attacker // budget:,} each) in front "
          f"of the keeper's serveQueue(50) ({receipt['gasUsed']:,} gas): all 50 filled ({minted:,} shares for "
          f"50 wei) and alice's 1 WETH redeem filled in the same call (was: still pending)")


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
    """ITM calls expire. Before the settlement price nothing fills (not fresh; a deposit
    request is taken and waits); once recorded, the mark is the payoff; settle removes the option from
    liveOptions and pays its reserve in one transaction: instant flows open at the same mark."""
    w3, m = live.w3, live.market
    vault, carol = live.protocol.vault("call"), _signer(4)
    m.trade(trader, live.option("1800"), TradeKind.BUY, "20")
    _approve(vault, carol, WAD)
    rid = request_id_of(vault, send(vault, carol, "requestDeposit", WAD, carol.address, carol.address))
    warp_to(w3, live.expiry + 30)
    _fill(vault)
    assert call(vault, "redeemRequest", rid)[1] == PENDING  # no fill at a bound
    # A request is taken (O(1): it marks nothing) and waits with the first.
    vault.asset.faucet(carol, "1")
    rid2 = request_id_of(vault, send(vault, carol, "requestDeposit", 1, carol.address, carol.address))
    _fill(vault)
    assert call(vault, "redeemRequest", rid2)[1] == PENDING
    live.post_spot("2100")  # the settlement price
    crank(vault, keeper)  # the book's mark at it (anyone's crank): the payoff
    assert call(m.book, "optionsLiability", vault.address)[1] is True
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
    assert call(vault, "redeemRequest", rid2)[1] == CLAIMED


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


def test_deposit_fill_too_large_for_uint128_fills_and_saturates_its_record(w3, deployer):
    """A put vault with the deployment's offset 12 on a 6-decimal token (its faucet raised): a
    deposit request of 4e26 units (4e20 USDC, under the uint96 cap) fills for 4e38 shares, above
    2^128 (3.4e38).

    Was (a4061c7): the fill minted 4e38 shares but recorded uint128(shares): `redeemRequest(id)`
    (and so the SDK) reported shares mod 2^128.
    Then (5ecdb1f): SafeCast.toUint128: that fill reverted, and while such a request headed the
    deposit list every serveQueue reverted, redeems too, until its requester cancelled it.
    Now: the fill mints the exact shares (and its events carry them); the record saturates at
    2^128 - 1, never a wrong smaller amount; a redeem behind it fills in the same call. A fill of
    3e26 units (3e38 shares) records exactly."""
    from optio.sdk.contracts import Client
    from optio.sdk.deploy import deploy_contract

    token = Client(w3, deploy_contract(w3, deployer, "MockERC20", "USD Coin", "USDC", 6, 2**96),
                   artifact_name="MockERC20")
    vault = Client(w3, deploy_contract(w3, deployer, "PutVault", token.address, 12, 2**96 - 1,
                                       deployer.address, 5 * 10**15), artifact_name="PutVault")
    whale, anyone = _signer(5), _signer(6)
    send(token, anyone, "faucet", 10**6)
    send(token, anyone, "approve", vault.address, 2**256 - 1)
    send(vault, anyone, "deposit", 10**6, anyone.address)
    redeem = request_id_of(vault, send(vault, anyone, "requestRedeem", 10**12, anyone.address, anyone.address))
    units = 4 * 10**26
    send(token, whale, "faucet", units)
    send(token, whale, "approve", vault.address, 2**256 - 1)
    rid = request_id_of(vault, send(vault, whale, "requestDeposit", units, whale.address, whale.address))
    warp(w3, 3601)
    send(vault, anyone, "serveQueue", 1)  # anyone, fillDelay later (no filler ever called)
    minted_big = call(vault, "balanceOf", whale.address)
    assert minted_big > 2**128 and call(vault, "redeemRequest", rid)[4] == 2**128 - 1
    assert call(vault, "redeemRequest", redeem)[1] == 2  # the redeem behind it filled (Claimable)

    smaller = 3 * 10**26
    send(token, whale, "faucet", smaller)
    rid2 = request_id_of(vault, send(vault, whale, "requestDeposit", smaller, whale.address, whale.address))
    warp(w3, 3601)
    send(vault, anyone, "serveQueue", 1)
    minted = call(vault, "balanceOf", whale.address) - minted_big
    recorded = call(vault, "redeemRequest", rid2)[4]
    print(f"\nF6: a fill of {units:.0e} units minted {minted_big:.3e} shares (> 2^128), recorded 2^128 - 1 "
          f"(was: mod 2^128; then a revert that stalled the queue); {smaller:.0e} units: minted {minted:.4e}, "
          f"recorded {recorded:.4e}")
    assert recorded == minted < 2**128


def test_pause_natspec_now_says_deposit_requests_stop(live, guardian):  # noqa: F811
    """Was (a4061c7): OptioVault's header and pause() said "A pause stops deposits and mints only:
    withdrawals, requests, claims and cancels stay open" while requestDeposit is whenNotPaused.
    Now (5ecdb1f): the NatSpec (as compiled, in .build) says deposit requests stop while paused;
    the code agrees: requestDeposit reverts EnforcedPause, redeem requests stay open."""
    import json

    from optio.sdk.artifacts import build_path

    types = json.loads(build_path().read_text())["contractTypes"]
    header = types["OptioVault"]["devdoc"]["details"]
    pause = types["CallVault"]["userdoc"]["methods"]["pause()"]["notice"]
    assert "A pause stops deposits, mints and deposit requests" in header
    assert "requests, claims and cancels stay open" not in header.replace("redeem requests", "")
    assert pause.startswith("Stops deposits, mints and deposit requests")
    vault, alice = live.protocol.vault("call"), _signer(1)
    _approve(vault, alice, WAD)
    send(vault, guardian, "pause")
    with reverts("EnforcedPause"):
        send(vault, alice, "requestDeposit", WAD, alice.address, alice.address)
    _req_redeem(vault, alice, 10**20)
    print(f"\nF6b: pause() NatSpec: {pause!r}")
