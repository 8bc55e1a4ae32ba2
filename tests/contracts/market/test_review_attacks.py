"""The outside review's market attacks (findings 3, 4, 5, 6, 7, 10 and 12 of the review of 6507dee),
each asserting that the attack no longer works. Where cheap, a "naive" variant configures the
defence away (a zero move fee, a zero live minimum) and the attack succeeds again."""

from __future__ import annotations

from decimal import Decimal

import pytest

from optio.sdk.errors import ContractRevert
from optio.sdk.market import Option, TradeKind
from tests.contracts.market.conftest import SURFACE, WEEK, warp
from tests.helpers import admin_send, call, now, reverts, send, set_risk_limits

WAD = 10**18
USDC = 10**6
FOREVER = 2**255


def _set_limits(live, **changes):
    set_risk_limits(live.protocol, live.market, **changes)


def _set_move_fee(live, move_wad: int) -> None:
    fees = list(call(live.market, "fees"))
    fees[4] = move_wad
    admin_send(live.protocol, live.market, "setFees", tuple(fees))


# --- 3. Front-running the spot post -----------------------------------------------------------

#: (strike, kind, direction of the post the attacker front-runs): deep ITM, ATM and OTM.
ROUND_TRIPS = [
    ("1500", "call", 1), ("2000", "call", 1), ("2500", "call", 1),
    ("2500", "put", -1), ("2000", "put", -1), ("1500", "put", -1),
]


def _front_run(live, trader, strike: str, kind: str, direction: int, move: str) -> Decimal:
    """Buy 40 options, the keeper posts spot moved by ``move``, sell them back: the attacker's
    profit in USD (his collateral-token balance change valued at the new spot)."""
    m = live.market
    live.market.list_strikes(live.keeper, live.expiry, ["1500", "2500"])
    opt = live.option(strike, kind)
    token = m.token_of(opt)
    before = token.balance_units(trader.address)
    m.trade(trader, opt, TradeKind.BUY, "40")
    new_spot = Decimal(2000) * (1 + direction * Decimal(move))
    warp(live.w3, 2)
    live.post_spot(new_spot)
    m.trade(trader, opt, TradeKind.CLOSE_LONG, "40")
    change = token.balance_units(trader.address) - before
    return Decimal(change) / WAD * new_spot if opt.is_call else Decimal(change) / USDC


@pytest.mark.parametrize("move", ["0.001", "0.0025", "0.005"])
@pytest.mark.parametrize("strike,kind,direction", ROUND_TRIPS)
def test_front_running_the_spot_post_loses(live, trader, strike, kind, direction, move):
    profit = _front_run(live, trader, strike, kind, direction, move)
    print(f"\nfront-run {kind} {strike} {'+' if direction > 0 else '-'}{move}: profit {profit:.2f} USD")
    assert profit < 0, f"front-running a {move} post with 40 {kind}s @ {strike}: profit {profit:.2f} USD"


def test_front_running_pays_without_the_move_fee(live, trader):
    """Naive: the move fee configured to zero, the deep ITM round trip profits again."""
    _set_move_fee(live, 0)
    profit = _front_run(live, trader, "1500", "call", 1, "0.005")
    print(f"\nnaive front-run call 1500 +0.5%: profit {profit:.2f} USD")
    assert profit > 0


# --- 4. Dust in the live-option slots ---------------------------------------------------------

FAR_CALLS = [str(3000 + 50 * i) for i in range(64)]
#: One far call per live slot of the call vault (OptionBook.MAX_LIVE_OPTIONS = 512), on two
#: boards: a board holds at most MAX_BOARD_LIVE = 256 live options (settle walks it whole).
ALL_SLOTS = [str(3000 + 25 * i) for i in range(256)]


def _list_far_calls(live, strikes=FAR_CALLS, expiry=None):
    for i in range(0, len(strikes), 64):
        live.market.list_strikes(live.keeper, expiry or live.expiry, strikes[i:i + 64])


def _second_board(live) -> int:
    """A board a week after ``live.expiry``, listed with ALL_SLOTS and its surface posted."""
    second = live.expiry + WEEK
    _list_far_calls(live, ALL_SLOTS, second)
    f = (second - now(live.w3)) / WEEK
    scaled = type(SURFACE)(a=SURFACE.a * f, b=SURFACE.b * f, rho=SURFACE.rho, m=SURFACE.m, sigma=SURFACE.sigma)
    live.protocol.vol_oracle.post(live.keeper, second, scaled)
    return second


def _fill_every_slot(live, attacker, amount: int) -> int:
    """Buys ``amount`` of each far call in ALL_SLOTS on two boards (the vault deepened first, so
    collateral is not what stops it); returns the premiums paid, WETH units."""
    m = live.market
    vault = live.protocol.vault("call")
    vault.asset.faucet(live.keeper, "600")
    vault.deposit(live.keeper, "600")  # instant: no live option yet
    _list_far_calls(live, ALL_SLOTS)
    second = _second_board(live)
    m.base.faucet(attacker, "50")
    m.base.approve_units(attacker, m.address, FOREVER)
    before = m.base.balance_units(attacker.address)
    for expiry in (live.expiry, second):
        for strike in ALL_SLOTS:
            option = Option(expiry, Decimal(strike), True)
            send(m, attacker, "buy", option.id, amount, FOREVER, now(live.w3) + 600)
    assert call(m.book, "liveCount", True) == 512
    assert len(call(m.book, "boardLive", live.expiry)) == 256 == call(m.book, "MAX_BOARD_LIVE")
    return before - m.base.balance_units(attacker.address)


def test_dust_cannot_fill_the_live_slots(live, attacker, trader):
    m = live.market
    _list_far_calls(live)
    m.base.faucet(attacker, "5")
    m.base.approve_units(attacker, m.address, FOREVER)
    refused = []
    for strike in FAR_CALLS:
        try:
            send(m, attacker, "buy", live.option(strike).id, WAD // 1000, FOREVER, now(live.w3) + 600)
        except ContractRevert as err:
            refused.append(err.name)
    # Everyone else can still open a new option.
    m.trade(trader, live.option("2000"), TradeKind.BUY, "1")
    assert refused and set(refused) == {"LiveAmountTooSmall"}, refused
    with reverts("LiveAmountTooSmall", openInterest=WAD // 1000, minLiveAmount=WAD):
        send(m, attacker, "buy", live.option(FAR_CALLS[0]).id, WAD // 1000, FOREVER, now(live.w3) + 600)


def test_filling_the_live_slots_at_the_minimum_costs(live, attacker):
    """What the attack costs now: one option (the minimum) of each of 512 far calls."""
    m = live.market
    paid = _fill_every_slot(live, attacker, WAD)
    locked = call(live.protocol.vault("call"), "lockedAssets")
    print(f"\n512 slots at 1 option each: premiums {paid / WAD:.4f} WETH ({paid / WAD * 2000:.0f} USD), "
          f"vault collateral locked {locked / WAD:.0f} WETH")
    with reverts("TooManyLiveOptions", max=512):
        send(m, attacker, "buy", live.option("2000").id, WAD, FOREVER, now(live.w3) + 600)
    # A full board takes no new option, of either side: its settlement stays within a block.
    m.quote_token.faucet(attacker, "10000")
    m.quote_token.approve_units(attacker, m.address, FOREVER)
    with reverts("BoardFull", expiry=live.expiry, max=256):
        send(m, attacker, "buy", live.option("2000", "put").id, WAD, FOREVER, now(live.w3) + 600)
    assert paid * 2000 > 8 * 30 * WAD  # > 240 USD: eight times the 64-slot book's 30


def test_naive_dust_fills_the_live_slots(live, attacker, trader):
    """Naive: a minimum of one wei (the old behaviour): the dust fills every slot."""
    _set_limits(live, minLiveAmount=1)
    paid = _fill_every_slot(live, attacker, WAD // 1000)
    print(f"\nnaive dust: 512 slots for {paid / WAD * 2000:.2f} USD")
    with reverts("TooManyLiveOptions"):
        live.market.trade(trader, live.option("2000"), TradeKind.BUY, "1")


def test_positions_are_zero_or_the_minimum(live, trader):
    """A close may not leave dust (it held a live slot: docs/security.md, adversary E1), and
    nobody is ever stuck: a whole position always closes."""
    m = live.market
    opt = live.option("2000")
    m.trade(trader, opt, TradeKind.BUY, "1.5")
    with reverts("BalanceBelowMinimum", balance=3 * WAD // 10, minimum=WAD):
        m.trade(trader, opt, TradeKind.CLOSE_LONG, "1.2")
    m.trade(trader, opt, TradeKind.CLOSE_LONG, "0.5")  # leaves the minimum
    m.trade(trader, opt, TradeKind.CLOSE_LONG, "1")  # the whole position
    assert m.state(opt).vault_short == 0
    m.base.approve_units(trader, m.address, FOREVER)
    with reverts("LiveAmountTooSmall"):  # opening below the minimum
        send(m, trader, "buy", opt.id, WAD // 2, FOREVER, now(live.w3) + 600)
    m.trade(trader, opt, TradeKind.BUY, "1")


# --- 5. Utilisation in the quote --------------------------------------------------------------

def test_buy_quote_charges_the_utilisation_the_trade_leaves(live, trader):
    m = live.market
    vault = live.protocol.vault("call")
    m.trade(trader, live.option("1800"), TradeKind.BUY, "20")
    locked, free = call(vault, "lockedAssets"), call(vault, "freeLiquidity")
    q = m.quote(live.option("2000"), TradeKind.BUY, "30")
    expected = -(-(locked + 30 * WAD) * WAD // (free + locked))
    assert int(q.utilisation * WAD) == expected, (q.utilisation, expected / WAD)
    m.trade(trader, live.option("2000"), TradeKind.BUY, "30")
    # The premium came in too: the quote's utilisation bounds the one the trade left.
    assert expected >= call(vault, "utilisation") > expected - WAD // 100


def test_buy_past_the_utilisation_cap_reverts(live, trader):
    m = live.market
    vault = live.protocol.vault("call")
    _set_limits(live, maxUtilisation=WAD // 2)
    m.base.approve_units(trader, m.address, FOREVER)
    with reverts("UtilisationLimit"):
        send(m, trader, "buy", live.option("2000").id, 55 * WAD, FOREVER, now(live.w3) + 600)
    m.trade(trader, live.option("2000"), TradeKind.BUY, "45")
    assert call(vault, "utilisation") <= WAD // 2


# --- 6. Net delta and vega limits on every trade ----------------------------------------------

def _cycle(live, trader, opt, amount: str, deltas: list[int]) -> str | None:
    """Margin sell, buy, close the short: the vault ends short ``amount`` more. Appends the net
    delta after each step to ``deltas``; the revert's name if a step was refused."""
    m = live.market
    for kind in (TradeKind.SELL, TradeKind.BUY, TradeKind.CLOSE_SHORT):
        try:
            m.trade(trader, opt, kind, amount, slippage=Decimal("0.2"))
        except ContractRevert as err:
            return err.name
        deltas.append(call(m.book, "portfolio", True)[1])
    return None


def test_close_short_cycles_cannot_pass_the_delta_limit(live, trader):
    m = live.market
    _set_limits(live, maxNetDelta=20 * WAD)
    m.base.faucet(trader, "100")
    live.protocol.margin.deposit(trader, True, "60")
    opt = live.option("2000")
    deltas: list[int] = []
    refused = None
    for _ in range(3):
        refused = _cycle(live, trader, opt, "30", deltas)
        if refused:
            break
    worst = max(deltas, key=abs)
    print(f"\nclose-short cycles: net delta after each step {[round(d / WAD, 2) for d in deltas]} "
          f"(limit ±20), refused: {refused}")
    assert abs(worst) <= 20 * WAD, f"net delta reached {worst / WAD:.2f} against a limit of ±20"
    assert refused == "NetDeltaLimit"


def test_a_trade_that_reduces_exposure_always_passes(live, trader):
    m = live.market
    opt = live.option("2000")
    m.trade(trader, opt, TradeKind.BUY, "30")
    _, delta, _, _ = call(m.book, "portfolio", True)
    _set_limits(live, maxNetDelta=abs(delta) // 4, maxNetVega=1)  # far below the book
    m.base.approve_units(trader, m.address, FOREVER)
    m.trade(trader, opt, TradeKind.CLOSE_LONG, "10")  # reduces both: passes
    with reverts("NetDeltaLimit"):
        send(m, trader, "buy", opt.id, WAD, FOREVER, now(live.w3) + 600)


def test_stale_board_counts_at_its_bound(live, trader):
    """Calls of a second board whose surface went stale count |net OI| × 1 in the delta check."""
    m = live.market
    second = live.expiry + WEEK
    m.list_strikes(live.keeper, second, ["2000"])
    f = (second - now(live.w3)) / WEEK
    scaled = type(SURFACE)(a=SURFACE.a * f, b=SURFACE.b * f, rho=SURFACE.rho, m=SURFACE.m, sigma=SURFACE.sigma)
    live.protocol.vol_oracle.post(live.keeper, second, scaled)
    m.trade(trader, Option(second, Decimal("2000"), True), TradeKind.BUY, "10")
    warp(live.w3, 4 * 3600)  # past the vol oracle's maximum age: only the first board is refreshed
    live.refresh()
    _, fresh_delta, _, fresh = call(m.book, "portfolio", True)
    assert not fresh and fresh_delta == 0  # the stale board is left out of the Greeks
    m.book.crank(live.keeper, True)  # the epoch crank: the stale board enters at its bound
    assert call(m.book, "bookTotals", True)[4] == 10 * WAD
    _set_limits(live, maxNetDelta=5 * WAD)
    m.base.approve_units(trader, m.address, FOREVER)
    # Fresh delta after the buy ≈ −1; with the stale 10 calls it may be as large as −11.
    with reverts("NetDeltaLimit"):
        send(m, trader, "buy", live.option("2000").id, 2 * WAD, FOREVER, now(live.w3) + 600)


# --- 7. A vault long after expiry is not a sure asset ------------------------------------------

def test_vault_long_after_expiry_is_not_fresh_until_the_accounts_settle(live, trader, keeper):
    m, margin = live.market, live.protocol.margin
    vault = live.protocol.vault("put")
    margin.deposit(trader, False, "30000")
    opt = live.option("2200", "put")
    m.trade(trader, opt, TradeKind.SELL, "10")  # the vault is long 10 puts
    m.trade(trader, live.option("1800", "put"), TradeKind.BUY, "5")  # and short 5
    live.w3.provider.make_request("evm_setNextBlockTimestamp", [live.expiry + 1])
    live.w3.provider.make_request("evm_mine", [])
    assert not call(m.book, "optionsLiability", vault.address)[1], "expired, no settlement price yet"
    live.post_spot("2000")  # the first price at or after expiry: the settlement price
    assert call(live.protocol.spot_oracle, "settlementPrice", live.expiry)[0] == 2000 * WAD
    m.settle(keeper, live.expiry)
    assert not call(m.book, "optionsLiability", vault.address)[1]  # the settle invalidated the totals
    m.book.crank(keeper, False)  # the next epoch mark
    liability, fresh = call(m.book, "optionsLiability", vault.address)
    print(f"\nafter settle, before settleAccounts: liability {liability / USDC} USDC, fresh {fresh}")
    assert not fresh and liability == 0  # the long counts at zero: not yet paid
    send(margin, keeper, "settleAccounts", live.expiry, [trader.address])
    assert tuple(call(m.book, "optionsLiability", vault.address)) == (0, True)


# --- 10. The margin account is wired once ------------------------------------------------------

def test_margin_account_is_set_once(live):
    m = live.market
    with reverts("MarginAccountAlreadySet"):
        admin_send(live.protocol, m, "setMarginAccount", live.protocol.margin.address)


# --- 12. Settlement walks the board's live options only ---------------------------------------

def test_settle_with_a_thousand_listed_strikes(live, trader, keeper):
    m = live.market
    strikes = [f"{500 + 5 * i}.5" for i in range(1000)]
    for i in range(0, len(strikes), 125):
        m.list_strikes(keeper, live.expiry, strikes[i:i + 125])
    assert len(call(m, "strikesOf", live.expiry)) == 1003
    m.trade(trader, live.option("2000"), TradeKind.BUY, "2")
    m.trade(trader, live.option("1800", "put"), TradeKind.BUY, "3")
    m.trade(trader, live.option("2000.5"), TradeKind.BUY, "1")
    live.w3.provider.make_request("evm_setNextBlockTimestamp", [live.expiry + 1])
    live.w3.provider.make_request("evm_mine", [])
    live.post_spot("2100")
    receipt = send(m, keeper, "settle", live.expiry)
    print(f"\nsettle with 1,003 listed strikes, 3 live options: {receipt['gasUsed']:,} gas")
    assert receipt["gasUsed"] < 2_000_000
    # Settled state of a live option, of one that never traded, and payment of the live ones.
    def state(strike):
        return call(m, "optionState", live.option(strike).id)

    payoff = state("2000")[5]
    assert state("2000")[3] and abs(payoff - 100 * WAD * WAD // (2100 * WAD)) <= 1
    assert state("2500.5")[3] and state("2500.5")[5] == 0
    assert abs(state("1000.5")[5] - int(Decimal("1099.5") * WAD) * WAD // (2100 * WAD)) <= 1
    before = m.base.balance_units(trader.address)
    m.exercise_for(keeper, live.option("2000"), [trader.address])
    assert m.base.balance_units(trader.address) - before == 2 * payoff
    m.exercise_for(keeper, live.option("1000.5"), [trader.address])  # nobody holds it: pays nothing
