"""The chain-free model: its rules on hand-made positions, determinism, and input checks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optio.pricing.smile_model import skewed_slice
from optio.sdk.errors import InvalidInput
from optio.sdk.market import Option, TradeKind
from optio.sim.backtest.driver import Rejected
from optio.sim.backtest.market_path import build_path
from optio.sim.backtest.model import ModelProtocol
from optio.sim.backtest.run import run_backtest
from optio.sim.backtest.scenario import DAY, Scenario, scenario_from

T0 = 1_798_761_600
EXPIRY = T0 + 7 * DAY
STRIKES = [Decimal(2700), Decimal(3000), Decimal(3300)]
LP, BUYER, SELLER = 1, 2, 3


def board(**overrides) -> ModelProtocol:
    """A model with one board, spot 3000, 70% ATM vol, and 100 WETH / 300k USDC in the vaults."""
    m = ModelProtocol(Scenario(**overrides))
    m.set_time(T0)
    m.post_spot(3000.0)
    m.list_board(EXPIRY, STRIKES)
    m.post_surface(EXPIRY, skewed_slice(0.7, 7 / 365))
    m.deposit(LP, "call", 100.0)
    m.deposit(LP, "put", 300_000.0)
    return m


def test_buy_locks_collateral_and_pays_the_ask_over_the_mid():
    m = board()
    fill = m.trade(BUYER, Option(EXPIRY, Decimal(3000), False), TradeKind.BUY, Decimal(2))
    assert fill.premium > fill.mid_value > 0 and fill.edge == pytest.approx(fill.premium - fill.mid_value)
    put = m.vaults()["put"]
    assert put.locked == pytest.approx(6000.0)  # K per put
    assert put.idle == pytest.approx(300_000.0 + fill.premium)
    # The vault now owes the option's mid: NAV = idle − 2 × mid, a little above the deposit (the edge).
    assert put.nav == pytest.approx(300_000.0 + fill.edge, rel=1e-12)


def test_settlement_pays_intrinsic_and_unlocks():
    m = board()
    m.trade(BUYER, Option(EXPIRY, Decimal(3000), True), TradeKind.BUY, Decimal(4))
    m.trade(BUYER, Option(EXPIRY, Decimal(3000), False), TradeKind.BUY, Decimal(3))
    before = {vault: v.idle for vault, v in m.vaults().items()}
    m.set_time(EXPIRY)
    m.post_spot(3300.0)  # the first post at expiry is the settlement price
    done = m.settle(EXPIRY, [BUYER], [])
    assert done.price == 3300.0
    assert done.to_holders["call"] == pytest.approx(4 * 300 / 3300)  # base units per call
    assert done.to_holders["put"] == 0.0
    after = m.vaults()
    assert after["call"].locked == pytest.approx(0.0) and after["put"].locked == pytest.approx(0.0)
    assert after["call"].idle == pytest.approx(before["call"] - 4 * 300 / 3300)
    assert after["put"].idle == before["put"]


def test_refusals_change_nothing():
    m = board(max_utilisation=0.5)
    snapshot = m.vaults()
    with pytest.raises(Rejected) as err:
        m.trade(BUYER, Option(EXPIRY, Decimal(3000), True), TradeKind.BUY, Decimal(60))  # 60 of 100 WETH
    assert err.value.reason == "UtilisationLimit"
    with pytest.raises(Rejected) as err:
        m.trade(BUYER, Option(EXPIRY, Decimal(3000), True), TradeKind.CLOSE_LONG, Decimal(1))
    assert err.value.reason == "InsufficientOptions"
    with pytest.raises(Rejected) as err:
        m.trade(SELLER, Option(EXPIRY, Decimal(2700), False), TradeKind.SELL, Decimal(5))  # no margin
    assert err.value.reason == "BelowRequirement"
    m.set_time(EXPIRY - 100)
    with pytest.raises(Rejected) as err:
        m.trade(BUYER, Option(EXPIRY, Decimal(3000), True), TradeKind.BUY, Decimal(1))
    assert err.value.reason == "TradingClosed"
    assert m.vaults() == snapshot


def test_a_spot_drop_makes_a_put_seller_liquidatable_and_pays_the_vault_a_penalty():
    m = board()
    put = Option(EXPIRY, Decimal(2700), False)
    m.margin_deposit(SELLER, "put", 1000.0)
    m.trade(SELLER, put, TradeKind.SELL, Decimal(3))
    assert m.liquidatable([SELLER]) == []
    m.set_time(T0 + 3600)
    m.post_spot(2500.0)
    (who, option, amount), *_ = m.liquidatable([SELLER])
    assert (who, option) == (SELLER, put) and 0 < amount <= 3
    idle = m.vaults()["put"].idle
    done = m.liquidate(SELLER, option, amount)
    assert done.to_vault == pytest.approx(done.mid_value * (1 + 0.1) - done.bonus)  # penalty 10%, bonus 5%
    assert done.bonus == pytest.approx(0.05 * done.mid_value)
    assert m.vaults()["put"].idle == pytest.approx(idle + done.to_vault)
    with pytest.raises(Rejected):
        m.liquidate(SELLER, option, Decimal(10))  # more than the position or the close factor


def test_runs_are_deterministic_per_seed():
    s = Scenario(days=3)
    a, b = run_backtest(s, "model"), run_backtest(s, "model")
    assert a.summary() | {"elapsed_s": 0} == b.summary() | {"elapsed_s": 0}
    c = run_backtest(Scenario(days=3, seed=2), "model")
    assert c.nav != a.nav


def test_the_lp_pnl_parts_add_up_and_more_spread_earns_more_fees():
    narrow = run_backtest(Scenario(days=5, half_spread=0.01), "model")
    wide = run_backtest(Scenario(days=5, half_spread=0.05), "model")
    for r in (narrow, wide):
        for vault in ("call", "put"):
            parts = r.pnl_breakdown(vault)
            assert sum(v for k, v in parts.items() if k != "total") == pytest.approx(parts["total"])
    assert wide.ledger["put"].fees > narrow.ledger["put"].fees


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31), s0=st.floats(500, 10_000), vol=st.floats(0.1, 2.0))
def test_generated_paths_are_positive_and_reproducible(seed, s0, vol):
    s = Scenario(days=2, seed=seed, s0=s0, spot_vol=vol, shock_day=None)
    a, b = build_path(s), build_path(s)
    assert (a.spots > 0).all() and (a.atm_vols > 0).all()
    assert (a.spots == b.spots).all() and a.spots[0] == round(s0, 6)


def test_replayed_prices_hold_between_rows(tmp_path):
    csv = tmp_path / "p.csv"
    csv.write_text(f"timestamp,price\n{T0 - 60},2000\n{T0 + 5400},2100.5\n")
    path = build_path(Scenario(days=0.25, prices=csv, shock_day=None))
    assert list(path.spots[:4]) == [2000, 2000, 2100.5, 2100.5]


@pytest.mark.parametrize("values, message", [
    ({"days": -1}, "days: Input should be greater than 0"),
    ({"sellers": 30, "traders": 5}, "sellers (30) cannot exceed traders (5)"),
    ({"liquidator_bonus": 0.2, "liquidation_penalty": 0.1}, "liquidator_bonus cannot exceed"),
    ({"shock": 0.5}, "shock: Input should be less than or equal to 0.2"),
    ({"prices": "/nonexistent.csv"}, "prices file /nonexistent.csv does not exist"),
])
def test_bad_scenarios_are_one_line(values, message):
    with pytest.raises(InvalidInput) as err:
        scenario_from(values)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_malformed_price_rows_name_their_line(tmp_path):
    csv = tmp_path / "p.csv"
    csv.write_text(f"{T0},2000\n{T0 + 10},abc\n")
    with pytest.raises(InvalidInput, match=r"p.csv:2: expected `timestamp,price`"):
        build_path(Scenario(days=1, prices=csv))
