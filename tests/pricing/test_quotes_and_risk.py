"""Quotes bracket the mid and move with inventory; portfolio Greeks and scenarios add up."""

import numpy as np
import pytest

from optio.pricing.black_scholes import bsm_greeks, bsm_price
from optio.pricing.quotes import QuoteParams, quote
from optio.pricing.risk import Positions, portfolio_greeks, scenario_pnl
from optio.pricing.svi import SviParams

SURFACE = SviParams(0.004, 0.05, -0.3, 0.0, 0.1)


def test_quote_brackets_mid_and_skews_with_inventory():
    strikes = np.array([80.0, 100.0, 120.0])
    flat = quote(100.0, strikes, 30 / 365, SURFACE, is_call=True)
    assert np.all(flat.bid < flat.mid) and np.all(flat.mid < flat.ask)
    short = quote(100.0, strikes, 30 / 365, SURFACE, is_call=True, inventory=1.0)
    assert np.all(short.ask > flat.ask) and np.all(short.bid > flat.bid)
    busy = quote(100.0, strikes, 30 / 365, SURFACE, is_call=True, utilisation=1.0)
    assert np.all(busy.ask > flat.ask)
    p = QuoteParams()
    # The move fee: half the value change of an unposted spot move m, ½·S·m·min(1, |Δ| + Γ·S·m).
    gamma_s = flat.vega / (100.0 * flat.vol * (30 / 365))
    move = 0.5 * 100.0 * p.move * np.minimum(1.0, np.abs(flat.delta) + gamma_s * p.move)
    expected_ask = flat.mid + flat.vega * flat.vol * p.half_spread + p.base_fee * 100.0 + move
    assert flat.ask == pytest.approx(expected_ask)


def test_quote_rejects_bad_state():
    with pytest.raises(ValueError, match="inventory"):
        quote(100.0, 100.0, 0.1, SURFACE, is_call=True, inventory=2.0)
    with pytest.raises(ValueError, match=r"QuoteParams\.half_spread"):
        QuoteParams(half_spread=-0.1)


def test_portfolio_is_the_sum_of_its_positions():
    book = Positions.of([2.0, -1.0], [True, False], [100.0, 90.0], [0.5, 0.25], [0.6, 0.7])
    total = portfolio_greeks(100.0, book)
    one = bsm_greeks(100.0, 100.0, 0.5, 0.6, is_call=True)
    two = bsm_greeks(100.0, 90.0, 0.25, 0.7, is_call=False)
    assert total["delta"] == pytest.approx(2 * float(one.delta) - float(two.delta))
    assert total["vega"] == pytest.approx(2 * float(one.vega) - float(two.vega))


def test_scenario_grid_revalues_fully():
    book = Positions.of([1.0, -3.0], [True, True], [100.0, 120.0], [0.5, 0.5], [0.5, 0.5])
    grid = scenario_pnl(100.0, book, [-0.2, 0.0, 0.3], [-0.1, 0.0, 0.2])
    assert grid.shape == (3, 3) and grid[1, 1] == 0.0
    base = bsm_price(100.0, [100.0, 120.0], 0.5, 0.5, is_call=True)
    up = bsm_price(130.0, [100.0, 120.0], 0.5, 0.7, is_call=True)
    assert grid[2, 2] == pytest.approx(np.sum(np.array([1.0, -3.0]) * (up - base)))
