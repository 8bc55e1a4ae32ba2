"""Sixth adversary round on the OptionBook (issue 25) and the forward-priced LP flows built on it.

Not redone: test_book_adversary{,2,3,4}.py, test_markets_adversary.py, rounds 9-12 (the queue's
gas, dust fills, cap squatting, the capacity after an LP leaves).

WORKED (each test asserts the safe outcome, so it failed on the code it attacked; P1 and P3 to
P6 are fixed and their tests now pass; P2 is a strict xfail):

- P1, cancel after the mark (Low-Medium): a request made before the keeper's post can be
  cancelled once the post and its crank are mined and before the fill, so the forward rule binds
  nobody: the requester lets the fill go at the mark she sees when it suits her and cancels and
  re-requests (filled at the next post) when it does not. A feeless deposit: at a 0.5% move it
  saves her 0.0773 WETH a 100 WETH deposit (2%: 0.327), taken from the LP who stays. Fixed: a
  request made before the latest spot post is committed (`RequestCommitted`) until the filler has
  served a mark that could fill it, or for `fillDelay`.
- P2, gamma drift past the delta limit (Low): the limits hold the stored totals, and the drift a
  2% move puts on a book near expiry is as large as its open interest. A calendar (the vault
  short 48 calls 40 minutes from expiry, long 48 a week out) cranked at net delta +0.98 is at
  -19.45 after a +1.99% post, against a limit of 10; trades before the next crank add 18 more
  written calls, to -30.12 (3.0x the limit). After a crank the same trade reverts NetDeltaLimit.
- P3, a filler that serves nothing (Low, keeper key): `serveQueue(0)` by the filler fills nothing
  but resets `lastFillerServe`, so the fall-back fill by anyone never opens; alice's redeem
  waits 3 h 20 min and counting, while posts, cranks and trades go on. Fixed: a filler's call
  counts only with a budget and a fresh mark (a `maxRequests != 0` rule alone still held her
  redeem when the filler called between each post and its crank: the test runs that filler too).
- P4, dust requests force epochs (Low-Medium, keeper gas): a 1-wei deposit request makes the oracle
  keeper's next cycle post (`_due` reason "requests"), and the keepers re-post every surface and
  crank both sides for it: 127k gas of the attacker's buys 0.76M of the keepers' on a 24-option
  book, ~15M (~119x) at 512 options a side and 10 boards, every cycle. Fixed in the keepers:
  requests worth under `request_min_fraction` (0.1%) of the vault wait until the latest post is
  `request_batch_s` (300 s) old, and the vol keeper re-posts surfaces only after that spot post.
- P5, 16 cancelled requests hide a waiting one from the keepers (Low, a delay): their scan reads
  the last 16 requests; alice's redeem waits for the heartbeats (10-30 min) instead of a cycle.
  Fixed: the vault's `newestPendingRequest()` (the newer of its two lists' tails).
- P6, `setFillDelay(0)` (Low, timelocked admin): no floor; at 0 anyone fills at once, undoing the
  filler-only rule (round 9 F1) and the keepers' fill hold (M). Fixed: `MIN_FILL_DELAY`, 10 min.

HELD (the test asserts the safe outcome and passes):

- a deposit and a redeem of the same LP filled at one epoch: she pays the exit fee, alice's share
  price does not move;
- an expiry inside a sweep (either order of the expired board and a live one across the pages):
  no fill and no trade at the straddling totals; the next post and crank fill at the full pass
  (on `NaiveStaleFillCallVault` the fill goes through at the bound: alice's redeem -5.00%);
- a request mined in the second the keeper's spot post names as its observation time waits;
- splitting a trade, or closing and re-opening, passes the net delta limit no further than one
  trade does.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest

from optio.keepers import oracle as oracle_keeper
from optio.keepers import vol as vol_keeper
from optio.keepers.runtime.daemon import Head
from optio.pricing.svi import SviParams
from optio.sdk.errors import ContractRevert
from optio.sdk.market import Option
from tests.contracts.market.conftest import SURFACE, WEEK, naive_live, warp
from tests.helpers import (
    admin_send,
    call,
    deadline,
    fill_claimable,
    now,
    redeem_tenth,
    request_id_of,
    revert_to,
    reverts,
    send,
    set_next_timestamp,
    set_risk_limits,
    snapshot,
    warp_to,
)

WAD = 10**18
FOREVER = 2**255
# BookTotals fields.
DELTA, FRESH, VALID, FRESH_UNTIL = 1, 10, 11, 13


def _buy(live, signer, oid: int, amount: int) -> None:
    send(live.market, signer, "buy", oid, amount, FOREVER, deadline(live.w3))


def _post_surface(live, expiry: int) -> None:
    """The conftest's constant-vol surface for ``expiry`` (scaled to the time left)."""
    f = (expiry - now(live.w3)) / WEEK
    live.protocol.vol_oracle.post(live.keeper, expiry, SviParams(
        a=SURFACE.a * f, b=SURFACE.b * f, rho=SURFACE.rho, m=SURFACE.m, sigma=SURFACE.sigma))


def _value(vault, owner) -> int:
    """``owner``'s shares at the vault's mark, before the exit fee (units)."""
    return call(vault, "convertToAssets", call(vault, "balanceOf", owner.address))


def _fresh(live, vault) -> bool:
    return call(live.market.book, "optionsLiability", vault.address)[1]


def _write_calls(live, trader, amount: int = 10) -> None:
    m = live.market
    m.base.approve_units(trader, m.address, FOREVER)
    _buy(live, trader, live.option("2000").id, amount * WAD)
    _buy(live, trader, live.option("2200").id, amount * WAD)


# --- P1: cancel after the mark ------------------------------------------------------------------


def test_a_request_cannot_escape_the_mark_it_sees(live, trader, attacker, alice, keeper):
    """P1 (WORKED, Low-Medium). The call vault writes 45 calls at 2000 and 45 at 2200
    (utilisation 0.875). The attacker requests a 100 WETH deposit; the keeper posts spot and
    surface (2000) and cranks: the mark M1 is on chain, her request is before its posts, and the
    keeper's fill follows in a later block (post, wait mined, crank, wait mined, fill; longer under
    a fill hold). She sees where the market went since (its next post P2, a source, the mempool):

    - P2 below: the vault's written calls lost value, M1 is cheap: she lets the fill go;
    - P2 above: M1 is dear: she cancels (free, at once) and requests again, filled after P2.

    Her shares at the mark after P2, less her 100 WETH (the exit fee is the same in every branch):

    | move | up, kept | up, cancelled and re-requested | down, kept |
    | 0.5% | -0.0773 | -0.0000 | +0.0745 |
    | 2%   | -0.3268 | -0.0000 | +0.2804 |

    The forward rule makes her expectation nil (she did not know the mark when she requested); the
    cancel keeps the good branch and drops the bad one: +0.037 WETH a round at ±0.5% (+0.14 at
    ±2%), no deposit fee, repeatable at every entry; alice (the LP who stays) loses what she
    would have had from the up branch. Fix direction: a request made before the mark's posts is
    committed to the fill at that mark (a cancel then reverts, or is itself forward: it takes
    effect at the first fill after a post made after it, which fills the request first when it
    can), so cancelling stays possible but never after the price is known.
    Asserted: the cancel branch ends no better for her than keeping the request."""
    m, book = live.market, live.market.book
    vault = live.protocol.vault("call")
    m.base.approve_units(trader, m.address, FOREVER)
    _buy(live, trader, live.option("2000").id, 45 * WAD)
    _buy(live, trader, live.option("2200").id, 45 * WAD)
    vault.asset.faucet(attacker, "200")
    vault.asset.approve_units(attacker, vault.address, FOREVER)
    stake, wallet = 100 * WAD, vault.asset.balance_units(attacker.address)
    warp(live.w3, 60)
    rid = request_id_of(vault, send(vault, attacker, "requestDeposit", stake, attacker.address, attacker.address))
    warp(live.w3, 60)
    live.refresh("2000")
    book.crank(keeper, True)
    assert _fresh(live, vault) and call(book, "pricedSince", True) > call(vault, "redeemRequest", rid)[3]

    pnl = {}
    for move in (Decimal("0.005"), Decimal("0.02")):
        for branch in ("up_keep", "up_cancel", "down_keep"):
            snap = snapshot(live.w3)
            up = branch.startswith("up")
            if branch == "up_cancel":
                try:  # the attack: walk away from the mark she can see, and ask for the next one
                    send(vault, attacker, "cancelDepositRequest", rid)
                    send(vault, attacker, "requestDeposit", stake, attacker.address, attacker.address)
                except ContractRevert as err:  # the fix: a priced request is committed
                    assert err.name == "RequestCommitted", err
            send(vault, keeper, "serveQueue", 16)  # the keeper's fill at M1
            warp(live.w3, 30)
            live.refresh(Decimal(2000) * (1 + move if up else 1 - move))  # P2
            book.crank(keeper, True)
            send(vault, keeper, "serveQueue", 16)  # a re-request fills here, at P2's mark
            assert _fresh(live, vault)
            # Her shares at the mark, plus what she still holds or has waiting (a request not
            # filled, a refund), less what she had: whatever the cancel does on a fixed vault.
            held = call(vault, "balanceOf", attacker.address)
            pnl[move, branch] = (call(vault, "convertToAssets", held) + vault.asset.balance_units(attacker.address)
                                 + call(vault, "pendingDepositAssets") + call(vault, "depositRefunds", attacker.address)
                                 - wallet)
            revert_to(live.w3, snap)
        print(f"move {move}: " + ", ".join(f"{b} {pnl[move, b] / WAD:+.4f}" for b in
                                           ("up_keep", "up_cancel", "down_keep")) + " WETH")
    for move in (Decimal("0.005"), Decimal("0.02")):
        assert pnl[move, "down_keep"] > 0 > pnl[move, "up_keep"]  # the mark moved as expected
        # The safe outcome: cancelling after seeing the mark is worth nothing. Each branch runs on
        # the test's own clock (Anvil's time is the wall's plus the warps): a few seconds more of
        # theta on 90 written calls is ~1e-6 WETH a second, so 1e-4 (0.1% of the 0.077 the
        # attack took) allows 100 s.
        assert pnl[move, "up_cancel"] <= pnl[move, "up_keep"] + 10**14, (move, pnl)


# --- P2: gamma drift past the limit ----------------------------------------------------------------


@pytest.mark.xfail(strict=True, reason="finding P2 (Low, open, open, docs/security.md)")
def test_trades_after_a_move_do_not_add_to_a_book_already_past_the_delta_limit(live, trader, keeper):
    """P2 (WORKED, Low; a tolerance docs/book.md accepts, measured here at its size). The limits
    hold the stored totals, which a 2% move may leave behind by "the drift the totals carry"; the
    fuzzer saw 0.5 and round 2 0.03. Near expiry the drift is as large as the open interest: an
    at-the-money call 40 minutes out goes from delta 0.5 to ~1.0 on +2%.

    maxNetDelta 10 (admin). The trader builds a calendar in legs of 8 (each trade within the
    limit): the vault short 48 calls at 2000 of a board 70 minutes out, long 48 calls at 2000 a
    week out (sold on margin). 40 minutes before the near expiry the keeper posts 2000 and cranks:
    stored = true = +0.98. The keeper posts 2039.8 (+1.99%); before its crank (a block later) the
    true net delta is -19.45 (1.95x the limit) and the stored +0.98. The trader buys far calls
    (the vault writes them) until NetDeltaLimit: 18 pass; stored -9.68, true -30.12 (3.0x the
    limit), each of the 18 raising a true |net delta| already past it. With the crank first, the
    first 2 revert NetDeltaLimit. The drift scales with the near-expiry open interest (bounded by
    the vault's collateral, not by the limit); closes are checked on the same stored totals. Fix
    direction: count the drift in the check: keep a per-side bound on |Σ net·Γ| (or |net OI| of
    boards whose σ√τ is under the move) in the totals and add it × the move since the snapshot to
    `deltaBound`, or require a crank for any move larger than a fraction of the nearest live
    board's σ√τ.
    Asserted: no trade raises the true |net delta| when it is past the limit."""
    m, book, margin = live.market, live.market.book, live.protocol.margin
    limit = 10 * WAD
    set_risk_limits(live.protocol, m, maxNetDelta=limit)
    near = now(live.w3) + 4200
    m.list_strikes(keeper, near, ["2000"])
    _post_surface(live, near)
    m.base.faucet(trader, "200")
    m.base.approve_units(trader, m.address, FOREVER)
    margin.deposit(trader, True, "100")
    near_call, far_call = Option(near, Decimal(2000), True).id, live.option("2000").id
    for _ in range(6):
        _buy(live, trader, near_call, 8 * WAD)
        send(m, trader, "sell", far_call, 8 * WAD, 0, deadline(live.w3))
    warp_to(live.w3, near - 2400)
    live.refresh("2000")
    _post_surface(live, near)
    book.crank(keeper, True)
    stored0 = call(book, "bookTotals", True)[DELTA]
    assert abs(stored0) <= limit
    warp(live.w3, 5)
    live.protocol.spot_oracle.transact(keeper, "post", 2039 * WAD + 8 * 10**17, now(live.w3))  # +1.99%
    true0 = call(book, "portfolio", True)[1]

    snap = snapshot(live.w3)
    book.crank(keeper, True)  # the control: the same trade on current totals
    with reverts("NetDeltaLimit"):
        _buy(live, trader, far_call, 2 * WAD)
    revert_to(live.w3, snap)

    bought = 0
    for _ in range(20):
        try:
            _buy(live, trader, far_call, 2 * WAD)
        except ContractRevert as err:  # NetDeltaLimit on the stored totals
            assert err.name == "NetDeltaLimit", err
            break
        bought += 2
    true1 = call(book, "portfolio", True)[1]
    stored1 = call(book, "bookTotals", True)[DELTA]
    print(f"limit {limit / WAD}: cranked {stored0 / WAD:+.2f}; after +1.99% stored {stored0 / WAD:+.2f}, "
          f"true {true0 / WAD:+.2f}; {bought} written calls later stored {stored1 / WAD:+.2f}, true {true1 / WAD:+.2f}")
    assert abs(true0) > limit  # the move alone put the book past the limit (no trade's doing)
    assert abs(stored1) <= limit  # the check held the stored totals
    # The safe outcome: nothing was added to a book already past its limit.
    assert abs(true1) <= abs(true0) + 10**12, (true0, true1)


# --- P3: a filler that serves nothing ---------------------------------------------------------------


def test_a_filler_serving_nothing_does_not_hold_anyones_fill(live, trader, alice, attacker, keeper):
    """P3 (WORKED, Low: a compromised or broken filler key). docs/lp-flows.md: anyone may fill
    once the filler has not called `serveQueue` for `fillDelay` (1 h), "a keeper that stopped
    filling cannot trap LPs". `serveQueue` resets `lastFillerServe` before it looks at the queue:
    a filler calling `serveQueue(0)` (or any call at a mark that is not fresh) fills nothing and
    keeps the fall-back shut. Control: the filler silent, anyone (here the attacker address, on
    alice's behalf) fills her redeem at the first epoch once it is 1 h old (6,000 s). Attack:
    the keeper posts, cranks and calls serveQueue(0) every 50 minutes (trades and the market go
    on): after 3 h 20 min nobody has filled her 10% redeem (~10 WETH), and nothing ever will
    while it goes on. Fix direction: a filler's serve counts (`lastFillerServe`) only when it
    fills every request the mark could fill (it ran out of requests, not of `maxRequests`) or
    filled at least one.
    Asserted: her redeem is filled within fillDelay plus an epoch."""
    book = live.market.book
    vault = live.protocol.vault("call")
    _write_calls(live, trader)
    warp(live.w3, 60)
    redeem_tenth(vault, alice)
    requested = now(live.w3)
    assert call(vault, "fillDelay") == 3600

    def epochs(filler: str) -> int | None:
        for _ in range(4):
            warp(live.w3, 50 * 60)
            live.refresh("2000")
            if filler == "before the crank":  # a budget, but the mark is not fresh yet
                send(vault, keeper, "serveQueue", 16)
            book.crank(keeper, True)
            if filler == "serving 0":
                send(vault, keeper, "serveQueue", 0)
            if fill_claimable(vault, attacker) > 0:  # anyone's fill, at the fresh mark
                return now(live.w3) - requested
        return None

    snap = snapshot(live.w3)
    waited = {}
    for filler in ("silent", "serving 0", "before the crank"):
        waited[filler] = epochs(filler)
        revert_to(live.w3, snap)
        snap = snapshot(live.w3)
    print(f"anyone's fill, seconds after the request, by what the filler does: {waited}")
    for filler, seconds in waited.items():
        assert seconds is not None and seconds <= 2 * 3600, (filler, seconds)


# --- P4: dust requests force epochs --------------------------------------------------------------


def test_a_dust_request_does_not_force_a_keeper_epoch(live, trader, attacker, keeper):
    """P4 (WORKED, Low-Medium: keeper gas). The oracle keeper posts whenever a request made since
    its latest post is pending (`_due`, reason "requests"), the vol keeper re-posts every slice
    older than it (`serve_requests`), and after a post the oracle keeper cranks every side whose
    totals are not at it, then fills. Nothing bounds a request from below: a 1-wei deposit
    request (127,239 gas) each cycle buys an epoch every cycle. Measured here on a book of 12
    calls and 12 puts (one board): spot post 63,066, surface post 109,501, cranks 242,132 and
    242,182, fill 107,407: 764,288 gas (6.0x the request). At 512 live options a side and 10
    boards (docs/book.md: 13,462 gas an option crank; ~110k a surface post) ~15.1M gas a cycle,
    ~119x, paid by the keepers; a 12 s cycle is then half of every block. Fix direction: a minimum request (assets or
    shares worth a fraction of an epoch's gas), or a keeper that posts for requests at most every
    so often (and for the heartbeat otherwise).
    Asserted: a 1-wei request does not make a post due."""
    m, book = live.market, live.market.book
    call_vault, put_vault = live.protocol.vault("call"), live.protocol.vault("put")
    strikes = [str(1500 + 50 * i) for i in range(12)]
    m.list_strikes(keeper, live.expiry, [k for k in strikes if k not in ("1800", "2000", "2200")])
    m.base.approve_units(trader, m.address, FOREVER)
    m.quote_token.approve_units(trader, m.address, FOREVER)
    for k in strikes:
        _buy(live, trader, live.option(k).id, WAD)
        _buy(live, trader, live.option(k, "put").id, WAD)
    warp(live.w3, 60)
    live.refresh("2000")
    book.crank(keeper, True)
    book.crank(keeper, False)
    warp(live.w3, 60)
    call_vault.asset.faucet(attacker, "1")
    call_vault.asset.approve_units(attacker, call_vault.address, FOREVER)
    settings = oracle_keeper.Settings(sources=[{"kind": "gbm", "seed": 1, "s0": 2000}])
    try:
        request_gas = send(call_vault, attacker, "requestDeposit", 1, attacker.address, attacker.address)["gasUsed"]
    except ContractRevert:  # a minimum request: the safe outcome, no epoch bought
        request_gas, reason = 0, None
    else:
        head = Head(live.w3.eth.block_number, now(live.w3) + 1)
        reason = oracle_keeper._due(live.protocol.spot_oracle, Decimal(2000), head, settings, [call_vault, put_vault])
        # Batched, not dropped: once the latest post is `request_batch_s` old, the dust is served.
        _, posted_at = live.protocol.spot_oracle.latest_round()
        later = Head(head.number, posted_at + settings.request_batch_s)
        batched = oracle_keeper._due(live.protocol.spot_oracle, Decimal(2000), later, settings, [call_vault])
        assert batched == "requests" and settings.request_batch_s < settings.heartbeat_s, batched
        assert vol_keeper.epoch_request([call_vault], live.protocol.spot_oracle) is None  # no surface re-post

    epoch = [live.protocol.spot_oracle.post(keeper, "2000", now(live.w3))["gasUsed"]]
    f = (live.expiry - now(live.w3)) / WEEK
    epoch.append(live.protocol.vol_oracle.post(keeper, live.expiry, SviParams(
        a=SURFACE.a * f, b=SURFACE.b * f, rho=SURFACE.rho, m=SURFACE.m, sigma=SURFACE.sigma))["gasUsed"])
    epoch += [r["gasUsed"] for side in (True, False) for r in book.crank(keeper, side).receipts]
    epoch.append(send(call_vault, keeper, "serveQueue", 50)["gasUsed"])
    print(f"1-wei request {request_gas:,} gas -> keeper reason {reason!r}; the epoch it buys "
          f"{sum(epoch):,} gas ({sum(epoch) / max(request_gas, 1):.1f}x) on {call(book, 'liveCount', True)} calls "
          f"and {call(book, 'liveCount', False)} puts: {epoch}")
    assert reason is None, reason


def test_cancelled_requests_do_not_hide_a_waiting_one_from_the_keepers(live, trader, alice, attacker, keeper):
    """P5 (WORKED, Low: a delay). The keepers find a request waiting for a post with
    `Vault.newest_pending_request_time`, which reads only the last 16 requests made. alice requests
    a redeem after the latest post; the attacker then makes 16 one-wei deposit requests and
    cancels them (32 transactions). The oracle keeper's `_due` sees no waiting request (None: no
    post for 'requests'), nor does the vol keeper (`waiting`), so alice waits for the spot
    heartbeat (600 s) and the surfaces' own re-post (up to 1800 s) instead of the next cycle;
    repeated after each of her requests. Fix direction: find the newest pending request from the
    lists themselves (their tails: a view for the newest pending request's time), not a window
    of request ids. Asserted: a post is due for her request."""
    book = live.market.book
    vault = live.protocol.vault("call")
    _write_calls(live, trader)
    warp(live.w3, 60)
    live.refresh("2000")
    book.crank(keeper, True)
    warp(live.w3, 10)
    redeem_tenth(vault, alice)
    vault.asset.faucet(attacker, "1")
    vault.asset.approve_units(attacker, vault.address, FOREVER)
    settings = oracle_keeper.Settings(sources=[{"kind": "gbm", "seed": 1, "s0": 2000}])
    oracle, vaults = live.protocol.spot_oracle, [vault, live.protocol.vault("put")]
    before = oracle_keeper._due(oracle, Decimal(2000), Head(0, now(live.w3) + 1), settings, vaults)
    for _ in range(16):
        rid = request_id_of(vault, send(vault, attacker, "requestDeposit", 1, attacker.address, attacker.address))
        send(vault, attacker, "cancelDepositRequest", rid)
    after = oracle_keeper._due(oracle, Decimal(2000), Head(0, now(live.w3) + 1), settings, vaults)
    print(f"keeper's reason to post for alice's request: {before!r} before, {after!r} after 16 cancelled "
          f"requests; pending {vault.has_pending_requests()}")
    assert before == "requests" and vault.has_pending_requests()
    assert after == "requests", after


def test_the_admin_cannot_hand_the_fill_to_anyone_at_once(live, trader, alice, attacker, keeper):
    """P6 (WORKED, Low: admin configuration, timelocked). `setFillDelay` has a ceiling (a day)
    and no floor. At 0, anyone fills any request at once whatever the filler does
    (`block.timestamp < lastFillerServe + 0` never holds): the filler-only rule of round 9 (F1:
    an LP timing her own fill) and the keepers' fill hold (M: no fill ahead of a known bad debt,
    docs/lp-flows.md) are both gone; here the attacker fills alice's redeem right after the post
    and crank, a minute after the keeper's own serve. Fix direction: a floor on `fillDelay`
    (at least the keepers' hold bound, `fill_hold_max_s`, and a few cycles).
    Asserted: fillDelay 0 is refused, or nobody but the filler fills while it is there."""
    book = live.market.book
    vault = live.protocol.vault("call")
    _write_calls(live, trader)
    warp(live.w3, 60)
    redeem_tenth(vault, alice)
    send(vault, keeper, "serveQueue", 16)  # the filler is there (nothing it may fill yet)
    with contextlib.suppress(Exception):  # refused: the safe outcome
        admin_send(live.protocol, vault, "setFillDelay", 0)
    warp(live.w3, 60)
    live.refresh("2000")
    book.crank(attacker, True)
    filled = fill_claimable(vault, attacker)
    print(f"fillDelay {call(vault, 'fillDelay')}: the attacker's serveQueue a minute after the filler's "
          f"filled {filled / WAD:.6f} WETH")
    assert filled == 0


# --- held ----------------------------------------------------------------------------------------


def test_a_deposit_and_a_redeem_at_one_epoch_move_nothing_between_lps(live, trader, attacker, alice, keeper):
    """HELD. The attacker holds 50 WETH of shares (deposited while the book was empty), then asks
    in one epoch for a 50 WETH deposit and the redeem of all his old shares: the fill mints his
    deposit's shares first, then pays his redeem at the same mark carried forward. He ends with
    his 100 WETH less the exit fee on 50 (0.25), to rounding; alice's shares are worth what they
    were before the fill (the fee goes to the protocol)."""
    book = live.market.book
    vault = live.protocol.vault("call")
    vault.asset.faucet(attacker, "100")
    vault.asset.approve_units(attacker, vault.address, FOREVER)
    send(vault, attacker, "deposit", 50 * WAD, attacker.address)
    _write_calls(live, trader)
    warp(live.w3, 60)
    old = call(vault, "balanceOf", attacker.address)
    send(vault, attacker, "requestDeposit", 50 * WAD, attacker.address, attacker.address)
    send(vault, attacker, "requestRedeem", old, attacker.address, attacker.address)
    warp(live.w3, 60)
    live.refresh("2000")
    book.crank(keeper, True)
    alice_before, old_value = _value(vault, alice), call(vault, "convertToAssets", old)
    assert fill_claimable(vault, keeper) > 0
    alice_after = _value(vault, alice)
    claimable = call(vault, "claimableAssets")
    total = claimable + _value(vault, attacker)
    fee = old_value - claimable
    print(f"attacker: claimable {claimable / WAD:.6f}, new shares {_value(vault, attacker) / WAD:.6f}, "
          f"fee {fee / WAD:.6f}; alice {alice_before} -> {alice_after}")
    assert abs(alice_after - alice_before) <= 10**3
    assert abs(fee - old_value // 200) <= 10**3
    assert total <= old_value - fee + 50 * WAD


def _straddle(live, trader, alice, keeper, near_first: bool):
    """A sweep in pages of one over [near, far] or [far, near]: page 1 before the near board's
    expiry, page 2 after it, at the same spot post (fresh for an hour)."""
    m, book = live.market, live.market.book
    vault = live.protocol.vault("call")
    near = now(live.w3) + 1800
    m.list_strikes(keeper, near, ["2000"])
    _post_surface(live, near)
    m.base.approve_units(trader, m.address, FOREVER)
    ids = [Option(near, Decimal(2000), True).id, live.option("2000").id]
    for oid in ids if near_first else ids[::-1]:
        _buy(live, trader, oid, 5 * WAD)
    redeem_tenth(vault, alice)
    warp_to(live.w3, near - 400)
    live.refresh("2000")
    _post_surface(live, near)  # fresh until near - 200
    warp(live.w3, 5)
    send(book, keeper, "crank", True, 1)
    warp_to(live.w3, near + 30)
    send(book, keeper, "crank", True, 1)
    return near


def test_an_expiry_inside_a_sweep_gives_no_mark_to_fill_or_trade_at(live, trader, alice, keeper):
    """HELD. The near board expires between the two pages of a sweep, with no post in between
    (the spot post is 430 s old, fresh). Near board on page 2 (after expiry, its price not yet
    recorded): marked at its bound, the totals not fresh, nothing fills. Near board on page 1
    (before expiry, at its surface): the totals' `freshUntil` is that surface's (before the
    expiry), so they are neither fresh nor current: nothing fills and no trade prices at them. The
    keeper's next post records the expiry's price; after its crank the mark is the full pass and
    alice's redeem fills."""
    book = live.market.book
    vault = live.protocol.vault("call")
    for near_first in (False, True):
        snap = snapshot(live.w3)
        near = _straddle(live, trader, alice, keeper, near_first)
        totals = call(book, "bookTotals", True)
        print(f"near first {near_first}: fresh {totals[FRESH]}, freshUntil - expiry {totals[FRESH_UNTIL] - near}, "
              f"mark fresh {_fresh(live, vault)}")
        assert totals[VALID] and not _fresh(live, vault)
        assert fill_claimable(vault, keeper) == 0
        if near_first:
            with reverts("BookTotalsStale"):
                _buy(live, trader, live.option("2200").id, WAD)
        live.refresh("2000")  # records the expiry's price
        book.crank(keeper, True)
        liability, fresh = call(book, "optionsLiability", vault.address)
        assert fresh and abs(liability - call(book, "portfolio", True)[0]) <= 10
        assert fill_claimable(vault, keeper) > 0
        revert_to(live.w3, snap)


def test_an_expiry_inside_a_sweep_naive_vault_fills_at_the_bound(w3, deployer, keeper, guardian, alice, bob):
    """The same straddling sweep (near board on page 2) on `NaiveStaleFillCallVault` (exits at any
    mark, contracts/mocks/NaiveQueueVaults.sol): the keeper's fill goes through at the straddling
    totals, the expired calls at their bound (full collateral), and pays alice's 10% redeem short
    of what the next fresh mark pays. The attack works there; ours fills nothing (above)."""
    live = naive_live(w3, deployer, keeper, guardian, alice, bob, CallVault="NaiveStaleFillCallVault")
    book = live.market.book
    vault = live.protocol.vault("call")
    _straddle(live, bob, alice, keeper, near_first=False)
    assert not _fresh(live, vault)
    snap = snapshot(w3)
    at_bound = fill_claimable(vault, keeper)
    revert_to(w3, snap)
    live.refresh("2000")
    book.crank(keeper, True)
    fair = fill_claimable(vault, keeper)
    print(f"naive: alice's redeem filled {at_bound / WAD:.6f} WETH at the straddling mark, {fair / WAD:.6f} "
          f"at the next fresh one ({at_bound / fair - 1:+.2%})")
    assert 0 < at_bound < fair - WAD // 100


def test_a_request_in_the_second_the_spot_post_observes_waits(live, trader, alice, keeper):
    """HELD. The keeper's spot post names its observation time, the head it read (a block before
    it is mined). alice's redeem is mined in that very second, after seeing the price the keeper
    observed; the surface is posted after her request, so only the spot rule can hold it. The mark
    is priced since the observation (`pricedSince` = its second), her request is not before it,
    and she waits for the next post."""
    book = live.market.book
    vault = live.protocol.vault("call")
    _write_calls(live, trader)
    t = now(live.w3) + 60
    set_next_timestamp(live.w3, t)
    redeem_tenth(vault, alice)
    set_next_timestamp(live.w3, t + 1)
    live.post_surface()
    set_next_timestamp(live.w3, t + 2)
    live.protocol.spot_oracle.post(keeper, "2000", t)  # observed at t, mined at t + 2
    book.crank(keeper, True)
    assert call(book, "pricedSince", True) == t and _fresh(live, vault)
    assert fill_claimable(vault, keeper) == 0
    warp(live.w3, 30)
    live.refresh("2000")
    book.crank(keeper, True)
    assert fill_claimable(vault, keeper) > 0


def test_splitting_or_closing_passes_the_delta_limit_no_further_than_one_trade(live, trader, keeper):
    """HELD. Puts, maxNetDelta 4 (each put the vault writes adds its |delta|, ~0.46). A trade of
    8 passes and one more put reverts NetDeltaLimit; bought one by one, the ninth reverts; after a
    close of 4, a re-open of 5 (past the old level) reverts and of 4 passes; with the vault long 8
    (a margin sale), a buy of 16 crosses zero to the mirror level and passes, 17 reverts. After
    each path, the stored and the true |net delta| are within the limit."""
    m, book, margin = live.market, live.market.book, live.protocol.margin
    limit = 4 * WAD
    set_risk_limits(live.protocol, m, maxNetDelta=limit)
    m.quote_token.approve_units(trader, m.address, FOREVER)
    margin.deposit(trader, False, "100000")
    put = live.option("2000", "put").id

    def within() -> None:
        stored, true = call(book, "bookTotals", False)[DELTA], call(book, "portfolio", False)[1]
        assert abs(stored) <= limit and abs(true) <= limit, (stored, true)

    snap = snapshot(live.w3)
    _buy(live, trader, put, 8 * WAD)
    with reverts("NetDeltaLimit"):
        _buy(live, trader, put, 1 * WAD)
    within()
    revert_to(live.w3, snap)

    snap = snapshot(live.w3)
    for _ in range(8):
        _buy(live, trader, put, WAD)
    with reverts("NetDeltaLimit"):
        _buy(live, trader, put, WAD)
    send(m, trader, "closeLong", put, 4 * WAD, 0, deadline(live.w3))
    with reverts("NetDeltaLimit"):
        _buy(live, trader, put, 5 * WAD)
    _buy(live, trader, put, 4 * WAD)
    within()
    revert_to(live.w3, snap)

    # Crossing zero: the vault long 8 (delta ~ -3.7), a buy of 16 would land at ~ +3.7 (not
    # raised); 17 lands past the limit (raised): refused.
    send(m, trader, "sell", put, 8 * WAD, 0, deadline(live.w3))
    with reverts("NetDeltaLimit"):
        _buy(live, trader, put, 17 * WAD)
    _buy(live, trader, put, 16 * WAD)
    within()
