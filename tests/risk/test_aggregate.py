"""The aggregation on made-up books: invariant to how positions split across accounts, totals
that add up, a scenario grid that is zero with no shock, and VaR that behaves like VaR."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optio.pricing.black_scholes import bsm_price
from optio.pricing.risk import Positions, monte_carlo_var
from optio.pricing.svi import SviParams
from optio.risk.aggregate import SPOT_SHOCKS, VOL_SHOCKS, MarketView, aggregate

NOW = 1_800_000_000
DAY = 86400
SURFACE = SviParams(a=0.004, b=0.01, rho=-0.3, m=0.0, sigma=0.1)
MARKET = MarketView(NOW, 2000.0, {NOW + 2 * DAY: SURFACE, NOW + 9 * DAY: SURFACE})


def option_id(expiry: int, strike: float, is_call: bool) -> int:
    return (expiry << 160) | (int(strike * 10**18) << 1) | int(is_call)


OPTIONS = [option_id(e, k, c) for e in MARKET.surfaces for k in (1600, 1800, 2000, 2200, 2600) for c in (True, False)]
positions = st.lists(st.tuples(st.integers(0, 30), st.sampled_from(OPTIONS),
                               st.integers(-50, 50).filter(bool).map(lambda x: x * 10**17)), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None)
@given(positions, st.randoms())
def test_splitting_positions_across_accounts_changes_nothing(book, rnd):
    rows = [(f"0x{a:040x}", i, q) for a, i, q in book]
    split = []
    for account, i, q in rows:  # each position in two pieces under two accounts
        part = rnd.randint(-abs(q), abs(q))
        split += [(account, i, part), (f"{account}-b", i, q - part)]
    one, two = aggregate(rows, MARKET, var_scenarios=500), aggregate(split, MARKET, var_scenarios=500)
    for vault in ("call", "put", "all"):
        for key, value in one.vaults[vault].items():
            assert two.vaults[vault][key] == pytest.approx(value, rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(positions)
def test_totals_add_up_and_the_grid_is_zero_without_a_shock(book):
    report = aggregate([(f"0x{a:040x}", i, q) for a, i, q in book], MARKET, var_scenarios=500)
    for greek in ("value", "delta", "gamma_1pct", "vega_pt", "theta_day"):
        buckets = sum(b[greek] for b in report.buckets)
        assert report.vaults["all"][greek] == pytest.approx(buckets, rel=1e-9, abs=1e-9)
        assert report.vaults["all"][greek] == pytest.approx(
            report.vaults["call"][greek] + report.vaults["put"][greek], rel=1e-9, abs=1e-9)
    centre = np.array(report.grid["all"])[SPOT_SHOCKS.index(0.0), VOL_SHOCKS.index(0.0)]
    assert centre == pytest.approx(0.0, abs=1e-9)
    for vault in ("call", "put", "all"):
        assert 0.0 <= report.vaults[vault]["var"] <= report.vaults[vault]["expected_shortfall"] + 1e-9


def test_the_vault_is_the_counterparty_and_expired_options_wait_for_settlement():
    call = option_id(NOW + 2 * DAY, 2000, True)
    expired = option_id(NOW - DAY, 2000, False)
    report = aggregate([("0xa", call, 10**18), ("0xb", expired, -(10**18))], MARKET)
    (bucket,) = report.buckets
    assert bucket["position"] == -1.0 and bucket["delta"] < 0  # a trader's long is the vault's short
    assert report.awaiting_settlement == 1 and report.accounts == 2


def test_an_expiry_without_a_fresh_surface_is_named_not_priced():
    missing = NOW + 30 * DAY
    report = aggregate([("0xa", option_id(missing, 2000, True), 10**18)], MARKET)
    assert report.buckets == [] and report.unpriced == [missing]
    assert report.vaults["all"]["var"] == 0.0


def test_var_grows_with_confidence_and_size_and_a_long_loses_at_most_its_premium():
    book = Positions.of([1.0, -2.0], [True, False], [2000.0, 1800.0], [7 / 365, 7 / 365], [0.8, 0.9])
    books = np.eye(2)
    v95 = monte_carlo_var(2000.0, book, books, atm_vol=0.8, confidence=0.95)
    v99 = monte_carlo_var(2000.0, book, books, atm_vol=0.8, confidence=0.99)
    assert np.all(v99.var >= v95.var) and np.all(v99.expected_shortfall >= v99.var)
    doubled = monte_carlo_var(2000.0, book, 2 * books, atm_vol=0.8, confidence=0.99)
    np.testing.assert_allclose(doubled.var, 2 * v99.var, rtol=1e-12)
    premium = float(bsm_price(2000.0, 2000.0, 7 / 365, 0.8, is_call=True))
    assert v99.var[0] <= premium  # the long call cannot lose more than it is worth
    assert "99% 1-day" in v99.method and "2000 seeded scenarios" in v99.method
