"""Adversary round on two changes: `VolOracle.setConfig` counting as a surface post (finding A1:
`++postCount`), and several markets per deployment (WETH/USDC beside WBTC/USDC, an 8-decimal
base, sharing the USDC token, the timelock, the registry and the keeper/guardian accounts).

Tried (HELD unless marked WORKED):

1. A setConfig in the middle of a crank sweep, with a trade on an option already marked (`_shift`
   into the old sweep) and a whole close taking an option out of the list (`_removeLive` moving
   the old sweep's cursor) before the next page: the sweep starts over at the new count and the
   stored mark is the full pass. HELD.
2. A setConfig shortening `maxAgeTauFractionWad` so the surface the mark used is stale at once:
   the mark is not fresh, a crank marks it not fresh, no fill until a fresh surface and a crank.
   HELD.
3. Holding LP fills back with the bump: only the timelocked admin (setConfig) and the vol keeper
   (post) move `postCount`; an outsider's calls revert; one crank after a config change restores
   the mark and the fill, and trades are not held up by it. HELD (the admin could hold fills by
   repeated setConfig, as the vol keeper already could by posting: trusted roles).
4. A vol config change in one market ending the other market's mark. HELD (separate oracles).
5. A full cycle on each market (LP deposits, buy a call and a put, sell a call and a put from a
   margin account, close part of a long, expiry, settlement price, settle, exercise, margin
   settlement), every balance change checked to the wei against the contracts' formulas
   (premiums quoted and traded in the same second). WETH and WBTC (8 decimals). HELD.
6. Liquidation of a WBTC call short: the vault's share, the liquidator's bonus and the bad debt to
   the satoshi against the formulas on the pricer's mark. HELD.
7. Every action in the WETH market (trades, margin, crank, LP request and fill, a vol config
   change, a pause, settlement and exercise) leaves every WBTC-market balance and stored total
   as it was. HELD.
8. Option id collision: the same (expiry, strike, call) listed in both markets; the WBTC market
   pays nothing to a holder of the WETH market's token, and its state is its own. HELD.
9. USDC posted in the WETH margin account backing a WBTC put short, or withdrawn from the WBTC
   margin account. HELD.
10. Registry griefing by an outsider (register, grant, renounce tricks) and the deployer keeping
    admin over it. HELD.
11. WBTC_MARKET's inventory skew: `inventory_scale_wad` (100 options per strike at full skew) is
    the WETH default, not scaled to BTC's notional as min_live/min_trade/dust are, so the same
    dollar flow moves the WBTC vault's skew 30 times less: $100k of ATM calls leave inventory
    0.25 on WETH and 0.0083 on WBTC, a skew charge of ~$54.6 against ~$1.8 (full skew takes
    100 BTC ≈ $6M net short a strike against 100 ETH ≈ $200k). WORKED (Low, parameter):
    test_wbtc_inventory_skew_per_dollar_matches_weth. Fixed: WBTC_MARKET counts its
    option-denominated limits at BTC's size (inventory scale 3.33, net delta limit 333 options),
    and the test passes.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from web3.logs import DISCARD

from optio.keepers.runtime.epochs import sides_due
from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.contracts import Client
from optio.sdk.errors import ContractRevert
from optio.sdk.market import Option, TradeKind
from tests.contracts.market.conftest import (
    BTC,
    ETH,
    PRICES,
    Live,
    close_to,
    full_pass,
    stored_totals,
    warp,
)
from tests.helpers import admin_send, call, fill_claimable, now, redeem_tenth, reverts, send, set_next_timestamp

WAD = 10**18
FOREVER = 2**255
#: One "unit" of size per market: the smallest live open interest and dust (1 ETH, 0.05 BTC).
UNIT = {ETH: WAD, BTC: WAD // 20}
FRESH, VALID, VOL_POSTS, CURSOR = 10, 11, 12, 9


# --- fixtures (deployment, both: the two markets of conftest.py) ---------------------------------


@pytest.fixture
def carol():
    return LocalSigner(dev_account(4))


# --- exact arithmetic as the contracts do it (solady FixedPointMathLib) -------------------------


def mul_wad(x: int, y: int) -> int:
    return x * y // WAD


def mul_wad_up(x: int, y: int) -> int:
    return -(-x * y // WAD)


def div_wad(x: int, y: int) -> int:
    return x * WAD // y


def div_wad_up(x: int, y: int) -> int:
    return -(-x * WAD // y)


def div_up(x: int, y: int) -> int:
    return -(-x // y)


def units(scale: int, amount: int, per_option_wad: int, up: bool) -> int:
    """OptionValuation._units: ``amount`` options at ``per_option_wad`` collateral wad, in units."""
    wad = mul_wad_up(amount, per_option_wad) if up else mul_wad(amount, per_option_wad)
    return div_up(wad, scale) if up else wad // scale


def _k(spot: Decimal, factor: str) -> str:
    return str(spot * Decimal(factor))


def _kw(spot: Decimal, factor: str) -> int:
    return int(spot * Decimal(factor) * WAD)


def _scale(token) -> int:
    return 10 ** (18 - token.decimals)


def _bal(token, who) -> int:
    return token.balance_units(who if isinstance(who, str) else who.address)


def _event(client: Client, receipt, name: str):
    found = getattr(client.contract.events, name)().process_receipt(receipt, errors=DISCARD)
    assert len(found) == 1, found
    return found[0]["args"]


def _trade_exact(live: Live, signer, kind: TradeKind, oid: int, amount: int) -> int:
    """Quote at the head's second, trade mined in that same second; the premium must be the
    quote's, and the quote's premium must be its per-option price in units as the contract
    rounds it (up when the trader pays). Returns the premium (units)."""
    m, w3 = live.market, live.w3
    t = now(w3)
    q = m.call_struct("quote", oid, int(kind), amount)
    is_call = oid & 1 == 1
    up = kind.trader_pays
    per = q.perOptionWad
    if is_call:
        per = div_wad_up(per, q.spotWad) if up else div_wad(per, q.spotWad)
    scale = _scale(m.base) if is_call else _scale(m.quote_token)
    assert q.premium == units(scale, amount, per, up), "quote's premium off the unit conversion"
    fn = {TradeKind.BUY: "buy", TradeKind.SELL: "sell", TradeKind.CLOSE_LONG: "closeLong"}.get(kind, "closeShort")
    set_next_timestamp(w3, t)
    receipt = send(m, signer, fn, oid, amount, FOREVER if up else 0, t + 3600)
    assert now(w3) == t
    premium = _event(m, receipt, "Traded")["premium"]
    assert premium == q.premium, (premium, q.premium)
    return premium


def _set_vol_config(live: Live, **changes: int) -> None:
    vo = live.protocol.vol_oracle
    cfg = list(call(vo, "config"))
    names = ("maxAge", "maxAtmMoveWad", "maxAgeTauFractionWad", "jumpWindow")
    for name, value in changes.items():
        cfg[names.index(name)] = value
    cfg[3] = min(cfg[3], cfg[0])
    admin_send(live.protocol, vo, "setConfig", tuple(cfg))


def _fresh(live: Live, kind: str = "call") -> bool:
    return bool(call(live.market.book, "optionsLiability", live.protocol.vault(kind).address)[1])


# --- 1-4: VolOracle.setConfig as a post -----------------------------------------------------------


def test_set_config_mid_sweep_restarts_the_sweep_and_the_mark_is_the_full_pass(live, trader, alice, keeper):
    m, book = live.market, live.market.book
    vault = live.protocol.vault("call")
    vo = live.protocol.vol_oracle
    m.base.approve_units(trader, m.address, FOREVER)
    for strike, amount in (("1800", 2), ("2000", 3), ("2200", 4)):
        send(m, trader, "buy", live.option(strike).id, amount * WAD, FOREVER, now(live.w3) + 3600)
    warp(live.w3, 20)
    redeem_tenth(vault, alice)
    warp(live.w3, 20)
    live.refresh("2000")
    send(book, keeper, "crank", True, 1)
    sweep = call(book, "bookSweep", True)
    assert sweep[VALID] and sweep[CURSOR] == 1
    marked, last = call(book, "liveOptions", True)[0], call(book, "liveOptions", True)[2]
    count = call(vo, "postCount")
    _set_vol_config(live, maxAge=2 * 3600)
    assert call(vo, "postCount") == count + 1
    # Between pages: a trade on the marked option (shifted into the old sweep) and a whole close
    # of the last one (the list and the old sweep's cursor move).
    send(m, trader, "buy", marked, WAD, FOREVER, now(live.w3) + 3600)
    held = call(m.option_token, "balanceOf", trader.address, last)
    send(m, trader, "closeLong", last, held, 0, now(live.w3) + 3600)
    assert call(book, "liveCount", True) == 2
    assert not _fresh(live)
    send(book, keeper, "crank", True, 1)
    sweep = call(book, "bookSweep", True)
    assert sweep[VALID] and sweep[CURSOR] == 1 and sweep[VOL_POSTS] == (count + 1) % 2**32  # started over
    send(book, keeper, "crank", True, 1)
    totals = call(book, "bookTotals", True)
    assert totals[VALID] and totals[FRESH] and totals[VOL_POSTS] == (count + 1) % 2**32
    assert close_to(stored_totals(live, True), full_pass(live, True), rel=1e-9)
    assert _fresh(live)
    assert fill_claimable(vault, keeper) > 0


def test_shortened_tau_fraction_ends_the_mark_and_nothing_fills_at_a_stale_surface(live, trader, alice, keeper):
    m, book = live.market, live.market.book
    vault = live.protocol.vault("call")
    m.base.approve_units(trader, m.address, FOREVER)
    send(m, trader, "buy", live.option("2000").id, 5 * WAD, FOREVER, now(live.w3) + 3600)
    warp(live.w3, 30)
    redeem_tenth(vault, alice)
    warp(live.w3, 30)
    live.refresh("2000")
    posted = now(live.w3)
    send(book, keeper, "crank", True, 512)
    assert _fresh(live)
    warp(live.w3, 200)
    # A surface is now fresh for ~100 s of a week's tenor: the one the mark used is 200 s old.
    fraction = 100 * WAD // (live.expiry - posted)
    _set_vol_config(live, maxAgeTauFractionWad=fraction)
    with pytest.raises(ContractRevert, match="StaleSurface"):
        call(live.protocol.vol_oracle, "getParamsUntil", live.expiry)
    assert not _fresh(live)
    assert fill_claimable(vault, keeper) == 0
    live.post_spot("2000")
    send(book, keeper, "crank", True, 512)  # at the stale surface: a conservative, not fresh mark
    assert not call(book, "bookTotals", True)[FRESH] and not _fresh(live)
    assert fill_claimable(vault, keeper) == 0
    warp(live.w3, 1)
    live.refresh("2000")
    send(book, keeper, "crank", True, 512)
    assert _fresh(live)
    assert fill_claimable(vault, keeper) > 0


def test_only_the_admin_and_the_vol_keeper_move_the_post_count(live, trader, attacker, keeper):
    m, book = live.market, live.market.book
    vo = live.protocol.vol_oracle
    m.base.approve_units(trader, m.address, FOREVER)
    send(m, trader, "buy", live.option("2000").id, 2 * WAD, FOREVER, now(live.w3) + 3600)
    warp(live.w3, 5)
    live.refresh("2000")
    send(book, keeper, "crank", True, 512)
    count = call(vo, "postCount")
    with reverts("AccessControlUnauthorizedAccount"):
        send(vo, attacker, "setConfig", tuple(call(vo, "config")))
    with reverts("AccessControlUnauthorizedAccount"):
        send(vo, attacker, "post", live.expiry, tuple(call(vo, "getParams", live.expiry)[0]))
    # Scheduling on the timelock is the admin's (proposer) role too.
    timelock = Client(live.w3, live.protocol.deployment.address("Timelock"), artifact_name="OptioTimelock")
    data = vo.contract.encode_abi("setConfig", args=[tuple(call(vo, "config"))])
    with pytest.raises(ContractRevert, match="AccessControlUnauthorizedAccount"):
        send(timelock, attacker, "schedule", vo.address, 0, data, b"\x00" * 32, b"\x00" * 32, 0)
    assert call(vo, "postCount") == count and _fresh(live)


def test_a_config_change_holds_fills_only_until_the_next_crank(live, trader, alice, keeper):
    m, book = live.market, live.market.book
    vault = live.protocol.vault("call")
    m.base.approve_units(trader, m.address, FOREVER)
    send(m, trader, "buy", live.option("2000").id, 2 * WAD, FOREVER, now(live.w3) + 3600)
    warp(live.w3, 10)
    redeem_tenth(vault, alice)
    warp(live.w3, 10)
    live.refresh("2000")
    send(book, keeper, "crank", True, 512)
    spot_at = call(live.protocol.spot_oracle, "latestPrice")[1]
    _set_vol_config(live, maxAge=3 * 3600 - 1)  # a no-op for freshness, still a "post"
    assert not _fresh(live)
    assert sides_due(book, spot_at, now(live.w3)) == [True]  # the keeper sees the crank due
    # Trades do not wait for it.
    send(m, trader, "buy", live.option("2200").id, WAD, FOREVER, now(live.w3) + 3600)
    send(book, keeper, "crank", True, 512)  # one crank, no new post needed
    assert _fresh(live)
    assert fill_claimable(vault, keeper) > 0


def test_a_vol_config_change_in_one_market_leaves_the_others_mark(both, bob, keeper):
    for live in both.values():
        send(live.market, bob, "buy", live.option(str(PRICES[live.protocol.market_name])).id,
             UNIT[live.protocol.market_name], FOREVER, now(live.w3) + 3600)
    warp(both[ETH].w3, 5)
    for live in both.values():
        live.refresh(PRICES[live.protocol.market_name])
        send(live.market.book, keeper, "crank", True, 512)
        assert _fresh(live)
    eth_config = call(both[ETH].protocol.vol_oracle, "config")
    eth_count = call(both[ETH].protocol.vol_oracle, "postCount")
    _set_vol_config(both[BTC], maxAge=3600)
    assert not _fresh(both[BTC])
    assert _fresh(both[ETH])
    assert call(both[ETH].protocol.vol_oracle, "config") == eth_config
    assert call(both[ETH].protocol.vol_oracle, "postCount") == eth_count


# --- 5-6: the full cycle and a liquidation to the wei --------------------------------------------


@pytest.mark.parametrize("name", [ETH, BTC])
def test_full_cycle_to_the_wei(both, name, bob, carol, keeper):
    live = both[name]
    p, m, w3 = live.protocol, live.market, live.w3
    base, usdc = m.base, m.quote_token
    sc, sp = _scale(base), _scale(usdc)
    u, spot = UNIT[name], PRICES[name]
    k_lo, k_atm, k_hi = _kw(spot, "0.9"), _kw(spot, "1"), _kw(spot, "1.1")
    call_atm = Option(live.expiry, spot, True).id
    put_hi = Option(live.expiry, spot * Decimal("1.1"), False).id
    put_lo = Option(live.expiry, spot * Decimal("0.9"), False).id
    cv, pv, margin = p.vault("call"), p.vault("put"), p.margin
    who = {"bob": bob.address, "carol": carol.address, "cv": cv.address, "pv": pv.address, "m": m.address,
           "margin": margin.address}
    base.faucet(carol, "10")
    usdc.faucet(carol, "1000000")

    def snap():
        return {k: (_bal(base, a), _bal(usdc, a)) for k, a in who.items()}

    def delta(before, after):
        return {k: (after[k][0] - before[k][0], after[k][1] - before[k][1]) for k in before}

    start = snap()
    # 1. bob buys 2u calls at the money: pays the premium to the call vault, which locks 2u of base.
    s0, lock0 = snap(), call(cv, "lockedAssets")
    prem = _trade_exact(live, bob, TradeKind.BUY, call_atm, 2 * u)
    d = delta(s0, snap())
    assert d["bob"] == (-prem, 0) and d["cv"] == (prem, 0)
    assert call(cv, "lockedAssets") - lock0 == div_up(2 * u, sc)
    # 2. bob buys 4u puts 10% in the money at expiry's price: USDC, K per option locked.
    s0, lock0 = snap(), call(pv, "lockedAssets")
    prem = _trade_exact(live, bob, TradeKind.BUY, put_hi, 4 * u)
    d = delta(s0, snap())
    assert d["bob"] == (0, -prem) and d["pv"] == (0, prem)
    assert call(pv, "lockedAssets") - lock0 == div_up(mul_wad_up(4 * u, k_hi), sp)
    # 3. carol posts full collateral and sells u calls and u puts: the vaults pay her margin.
    send(base, carol, "approve", margin.address, FOREVER)
    send(usdc, carol, "approve", margin.address, FOREVER)
    c_call, c_put = div_up(u, sc), div_up(mul_wad_up(u, k_lo), sp)
    send(margin, carol, "deposit", True, c_call)
    send(margin, carol, "deposit", False, c_put)
    s0 = snap()
    prem_c = _trade_exact(live, carol, TradeKind.SELL, call_atm, u)
    prem_p = _trade_exact(live, carol, TradeKind.SELL, put_lo, u)
    d = delta(s0, snap())
    assert d["cv"] == (-prem_c, 0) and d["pv"] == (0, -prem_p) and d["margin"] == (prem_c, prem_p)
    assert d["carol"] == (0, 0)
    assert call(margin, "callCollateral", carol.address) == c_call + prem_c
    assert call(margin, "putCollateral", carol.address) == c_put + prem_p
    # 4. bob sells half a unit of his calls back: paid (rounded down), half a unit unlocked.
    s0, lock0 = snap(), call(cv, "lockedAssets")
    prem = _trade_exact(live, bob, TradeKind.CLOSE_LONG, call_atm, u // 2)
    d = delta(s0, snap())
    assert d["bob"] == (prem, 0) and d["cv"] == (-prem, 0)
    assert lock0 - call(cv, "lockedAssets") == div_up(2 * u, sc) - div_up(2 * u - u // 2, sc)
    # 5. expiry at spot × 1.05: the call 5% in the money, the 1.1 put 5%, the 0.9 put out.
    warp(w3, live.expiry - now(w3) + 60)
    price = spot * Decimal("1.05")
    live.post_spot(price)
    pw = int(price * WAD)
    pay_call, pay_put = (pw - k_atm) * WAD // pw, k_hi - pw
    short_call, short_put = 2 * u - u // 2, 4 * u
    locked_call, locked_put = div_up(short_call, sc), div_up(mul_wad_up(short_put, k_hi), sp)
    reserve_call = min(units(sc, short_call, pay_call, True), locked_call)
    reserve_put = min(units(sp, short_put, pay_put, True), locked_put)
    assert call(cv, "lockedAssets") == locked_call and call(pv, "lockedAssets") == locked_put
    s0 = snap()
    send(m, keeper, "settle", live.expiry)
    d = delta(s0, snap())
    assert d["cv"] == (-reserve_call, 0) and d["pv"] == (0, -reserve_put) and d["m"] == (reserve_call, reserve_put)
    assert call(cv, "lockedAssets") == 0 and call(pv, "lockedAssets") == 0
    # 6. exercise: bob paid his payoff rounded down; the rounding left goes back to the vaults.
    s0 = snap()
    send(m, keeper, "exerciseFor", call_atm, [bob.address])
    send(m, keeper, "exerciseFor", put_hi, [bob.address])
    out_call, out_put = units(sc, short_call, pay_call, False), units(sp, short_put, pay_put, False)
    d = delta(s0, snap())
    assert d["bob"] == (out_call, out_put)
    assert d["cv"] == (reserve_call - out_call, 0) and d["pv"] == (0, reserve_put - out_put)
    assert snap()["m"] == (0, 0)
    # 7. carol's margin settles: the call short owes its payoff rounded up, the put short nothing.
    owed = units(sc, u, pay_call, True)
    s0 = snap()
    send(margin, keeper, "settleAccounts", live.expiry, [carol.address])
    d = delta(s0, snap())
    assert d["cv"] == (owed, 0) and d["margin"] == (-owed, 0) and d["pv"] == (0, 0)
    assert call(margin, "callCollateral", carol.address) == c_call + prem_c - owed
    assert call(m.book, "liveCount", True) == 0 and call(m.book, "liveCount", False) == 0
    # Conservation: every unit that moved stayed among these accounts.
    end = snap()
    for i in (0, 1):
        assert sum(v[i] for v in end.values()) == sum(v[i] for v in start.values())
    print(f"{name}: call payout {out_call} units of {base.symbol}, put payout {out_put} USDC units, "
          f"carol owed {owed}")


def test_liquidation_of_a_wbtc_call_short_to_the_satoshi(both, carol, attacker, keeper):
    live = both[BTC]
    p, m, w3 = live.protocol, live.market, live.w3
    base, margin, cv = m.base, p.margin, p.vault("call")
    sc, u, spot = _scale(base), UNIT[BTC], PRICES[BTC]
    oid = Option(live.expiry, spot, True).id
    base.faucet(carol, "1")
    send(base, carol, "approve", margin.address, FOREVER)
    send(margin, carol, "deposit", True, 10**7)  # 0.1 WBTC
    _trade_exact(live, carol, TradeKind.SELL, oid, 2 * u)
    # carol takes out all she may: exactly at her requirement.
    excess = call(margin, "callCollateral", carol.address) - call(margin, "required", carol.address, True)
    send(margin, carol, "withdraw", True, excess, carol.address)
    warp(w3, 10)
    live.post_spot(spot * Decimal("1.03"))
    collateral = call(margin, "callCollateral", carol.address)
    assert collateral < call(margin, "required", carol.address, True)
    # The contract's formulas on the pricer's mark, read at the head's second; liquidated in it.
    t = now(w3)
    pricer = Client(w3, p.deployment.address("OptionPricer"), artifact_name="OptionPricer")
    s, _ = call(p.spot_oracle, "latestPrice")
    params = tuple(call(p.vol_oracle, "getParams", live.expiry)[0])
    mid = call(pricer, "mark", True, int(spot * WAD), s, live.expiry - t, params, WAD)[0]
    mid_wad = div_wad_up(mid, s)
    cfg = call(margin, "config")  # spot, vol, floor, penalty, bonus, closeFactor, dust
    penalty, bonus_wad, close_factor, dust = cfg[3], cfg[4], cfg[5], cfg[6]
    position = 2 * u
    amount = mul_wad(position, close_factor)
    if position - amount < dust or collateral < units(sc, position, mul_wad_up(mid_wad, WAD + penalty), True):
        amount = position
    mid_units = units(sc, amount, mid_wad, True)
    cost = units(sc, amount, mul_wad_up(mid_wad, WAD + penalty), True)
    max_bonus = units(sc, amount, mul_wad(mid_wad, bonus_wad), False)
    to_vault = min(cost - max_bonus, collateral)
    bonus = min(max_bonus, collateral - to_vault)
    bad = max(mid_units - to_vault, 0)
    b_att, b_cv, b_margin = _bal(base, attacker), _bal(base, cv.address), _bal(base, margin.address)
    long_before = call(m, "optionState", oid)[1]
    set_next_timestamp(w3, t)
    receipt = send(margin, attacker, "liquidate", carol.address, oid, amount)
    assert now(w3) == t
    ev = _event(margin, receipt, "Liquidated")
    assert (ev["amount"], ev["paidToVault"], ev["bonus"], ev["badDebt"]) == (amount, to_vault, bonus, bad)
    assert _bal(base, attacker) - b_att == bonus and _bal(base, cv.address) - b_cv == to_vault
    assert b_margin - _bal(base, margin.address) == to_vault + bonus
    assert call(margin, "callCollateral", carol.address) == collateral - to_vault - bonus
    assert call(margin, "shortOf", carol.address, oid) == position - amount
    assert call(m, "optionState", oid)[1] == long_before - amount
    assert not call(m.book, "bookTotals", True)[VALID]  # the side waits for a sweep
    print(f"liquidated {amount / WAD} BTC options: vault {to_vault} sat, bonus {bonus} sat, bad debt {bad}")


# --- 7-10: isolation between the markets ----------------------------------------------------------


def _rounds(spot_oracle) -> list[tuple]:
    """Every spot round posted (no freshness check: the read must not depend on the time)."""
    out = []
    while True:
        try:
            out.append(tuple(call(spot_oracle, "getRoundData", len(out) + 1)))
        except ContractRevert:
            return out


def _state(live: Live) -> dict:
    """Every balance and stored figure of a market that an action elsewhere must not move."""
    p, m = live.protocol, live.market
    addrs = [p.vault("call").address, p.vault("put").address, m.address, p.margin.address, m.book.address]
    out = {"balances": [(_bal(m.base, a), _bal(m.quote_token, a)) for a in addrs]}
    for kind in ("call", "put"):
        v = p.vault(kind)
        out[kind] = (call(v, "totalSupply"), call(v, "lockedAssets"), call(v, "claimableAssets"))
    out["totals"] = [tuple(call(m.book, "bookTotals", side)) for side in (True, False)]
    out["live"] = [tuple(call(m.book, "liveOptions", side)) for side in (True, False)]
    out["oracles"] = (_rounds(p.spot_oracle), tuple(call(p.spot_oracle, "pendingExpiries")),
                      call(p.vol_oracle, "postCount"), tuple(call(p.vol_oracle, "config")))
    out["margin"] = (call(p.margin, "callBadDebt"), call(p.margin, "putBadDebt"))
    out["paused"] = m.paused()
    return out


def test_weth_market_actions_leave_the_wbtc_market_untouched(both, bob, carol, alice, keeper, guardian):
    eth, btc = both[ETH], both[BTC]
    m = eth.market
    send(btc.market, bob, "buy", btc.option("60000").id, UNIT[BTC], FOREVER, now(btc.w3) + 3600)
    before = _state(btc)
    # Trades, margin shorts, LP request and fill, a crank, a vol config change, a pause.
    send(m, bob, "buy", eth.option("2000").id, 3 * WAD, FOREVER, now(eth.w3) + 3600)
    send(m, bob, "buy", eth.option("2200", "put").id, 2 * WAD, FOREVER, now(eth.w3) + 3600)
    m.quote_token.faucet(carol, "100000")
    eth.protocol.margin.deposit(carol, False, "5000")
    send(m, carol, "sell", eth.option("1800", "put").id, WAD, 0, now(eth.w3) + 3600)
    vault = eth.protocol.vault("call")
    redeem_tenth(vault, alice)
    warp(eth.w3, 5)
    eth.refresh("2000")
    send(m.book, keeper, "crank", True, 512)
    assert fill_claimable(vault, keeper) > 0
    _set_vol_config(eth, maxAge=2 * 3600)
    m.transact(guardian, "pause", action="pause")
    m.transact(guardian, "unpause", action="unpause")
    assert _state(btc) == before
    # Expiry of the WETH board: its settlement, exercise and margin settlement.
    warp(eth.w3, eth.expiry - now(eth.w3) + 60)
    eth.post_spot("2100")
    before = _state(btc)
    send(m, keeper, "settle", eth.expiry)
    send(m, keeper, "exerciseFor", eth.option("2000").id, [bob.address])
    send(m, keeper, "exerciseFor", eth.option("2200", "put").id, [bob.address])
    send(eth.protocol.margin, keeper, "settleAccounts", eth.expiry, [carol.address])
    assert _state(btc) == before


def test_a_shared_option_id_pays_only_in_its_own_market(both, bob, keeper):
    eth, btc = both[ETH], both[BTC]
    oid = eth.option("2000").id
    # The same (expiry, strike 2000, call) listed on the WBTC market: the same id, another token.
    btc.market.list_strikes(keeper, eth.expiry, ["2000"])
    assert call(btc.market, "optionId", eth.expiry, 2000 * WAD, True) == oid
    send(eth.market, bob, "buy", oid, 2 * WAD, FOREVER, now(eth.w3) + 3600)
    assert call(btc.market.option_token, "balanceOf", bob.address, oid) == 0
    assert call(btc.market, "optionState", oid)[0] == 0
    with reverts("NotSettled"):
        send(btc.market, bob, "exerciseFor", oid, [bob.address])
    warp(eth.w3, max(eth.expiry, btc.expiry) - now(eth.w3) + 60)
    eth.post_spot("2100")
    btc.post_spot("63000")
    send(btc.market, keeper, "settle", eth.expiry)  # the WBTC market's board at that expiry
    b = _bal(btc.market.base, bob)
    receipt = send(btc.market, bob, "exerciseFor", oid, [bob.address])
    assert btc.market.contract.events.Exercised().process_receipt(receipt, errors=DISCARD) == ()
    assert _bal(btc.market.base, bob) == b
    assert call(eth.market.option_token, "balanceOf", bob.address, oid) == 2 * WAD  # still his, unpaid
    send(eth.market, keeper, "settle", eth.expiry)
    w = _bal(eth.market.base, bob)
    send(eth.market, keeper, "exerciseFor", oid, [bob.address])
    assert _bal(eth.market.base, bob) - w == 2 * 100 * WAD // 2100


def test_usdc_in_one_margin_account_backs_nothing_in_the_other(both, carol):
    eth, btc = both[ETH], both[BTC]
    usdc = eth.market.quote_token
    assert usdc.address == btc.market.quote_token.address
    usdc.faucet(carol, "100000")
    eth.protocol.margin.deposit(carol, False, "60000")
    with reverts("BelowRequirement"):
        send(btc.market, carol, "sell", btc.option("54000", "put").id, UNIT[BTC], 0, now(btc.w3) + 3600)
    with reverts("InsufficientCollateral"):
        send(btc.protocol.margin, carol, "withdraw", False, 1, carol.address)
    assert call(btc.protocol.margin, "putCollateral", carol.address) == 0


def test_the_registry_cannot_be_griefed(w3, deployment, attacker, deployer):
    registry = Client(w3, deployment.address("MarketRegistry"), artifact_name="MarketRegistry")
    timelock = deployment.address("Timelock")
    admin = registry.call("DEFAULT_ADMIN_ROLE")
    assert registry.has_role("DEFAULT_ADMIN_ROLE", timelock)
    assert not registry.has_role("DEFAULT_ADMIN_ROLE", deployment.deployer)
    assert not registry.has_role("DEFAULT_ADMIN_ROLE", deployer.address)
    before = [tuple(e) for e in call(registry, "markets")]
    for fn, args in (("register", ("WBTC/USDC ", attacker.address)), ("register", ("X/USDC", attacker.address)),
                     ("grantRole", (admin, attacker.address))):
        with reverts("AccessControlUnauthorizedAccount"):
            send(registry, attacker, fn, *args)
    # renounceRole for another account is refused; for itself it changes nothing.
    with reverts("AccessControlBadConfirmation"):
        send(registry, attacker, "renounceRole", admin, timelock)
    send(registry, attacker, "renounceRole", admin, attacker.address)
    assert [tuple(e) for e in call(registry, "markets")] == before
    assert registry.has_role("DEFAULT_ADMIN_ROLE", timelock)


# --- 11: the WBTC market's parameters against its notional ----------------------------------------


def test_wbtc_inventory_skew_per_dollar_matches_weth(both):
    """The same dollar notional ($100k of at-the-money calls) should move each vault's skew
    (inventory, the fee that protects LPs from one-sided flow) by a comparable amount. WBTC_MARKET
    keeps the WETH default inventory_scale (100 options per strike), so BTC's is ~30× weaker."""
    notional = Decimal(100_000)
    inventory, charge = {}, {}
    for name, live in both.items():
        amount = int(notional / PRICES[name] * WAD)
        q = live.market.call_struct("quote", live.option(str(PRICES[name])).id, int(TradeKind.BUY), amount)
        inventory[name] = Decimal(q.inventoryWad) / WAD
        skew = Decimal(live.market.call_struct("fees").skewWad) / WAD
        # The ask's skew term V·σ·skew·i (quote units per option) times the options bought.
        per_option = Decimal(q.vegaWad) * Decimal(q.volWad) / WAD**2 * skew * inventory[name]
        charge[name] = per_option * amount / WAD
    ratio = inventory[BTC] / inventory[ETH]
    print(f"$100k of ATM calls: inventory WETH {inventory[ETH]:.4f}, WBTC {inventory[BTC]:.5f} (ratio {ratio:.4f});"
          f" skew charged ${charge[ETH]:.2f} vs ${charge[BTC]:.2f}")
    assert ratio > Decimal("0.33"), f"WBTC skew per dollar is {ratio:.3f} of WETH's"
