"""SVI fits recover known parameters (also from noisy bid/ask); arbitrage checks catch violations."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optio.pricing.oracle_units import MAX_PARAM_WAD, WAD, min_variance_wad, svi_from_wad, svi_to_wad, wing_slope_wad
from optio.pricing.surface import SsviParams, butterfly_violations, calendar_violations, fit_surface
from optio.pricing.svi import SviParams, fit_arbitrage_free, fit_slices

params = st.builds(
    SviParams,
    a=st.floats(0.0, 0.05), b=st.floats(0.01, 0.5), rho=st.floats(-0.8, 0.8), m=st.floats(-0.2, 0.2),
    # σ up to the data's half-width: a wider σ makes the smile a parabola on the data, where
    # (a, b, σ) are no longer identifiable and only the curve, not the parameters, is defined.
    sigma=st.floats(0.02, 0.3),
)


@settings(max_examples=60, deadline=None)
@given(params, st.floats(1 / 365, 2.0))
def test_fit_recovers_known_slice(true, t):
    k = np.linspace(-1.0, 1.0, 50) * max(np.sqrt(t), 0.3)
    true = SviParams(true.a, true.b, true.rho, true.m, min(true.sigma, 0.5 * k[-1]))
    fit = fit_slices([k], [true.total_variance(k)], [np.ones_like(k)], np.array([t]))[0]
    assert np.max(np.abs(fit.params.total_variance(k) - true.total_variance(k))) < 1e-7 * max(1.0, true.a + true.b)


def test_fit_from_noisy_bid_ask_stays_inside_the_spread():
    rng = np.random.default_rng(4)
    ts = np.array([7, 30, 90, 180]) / 365
    true = [SviParams(0.03 * t, 0.12 * np.sqrt(t) + 0.02, -0.4, 0.03, 0.1 + 0.2 * t) for t in ts]
    ks = [np.linspace(-0.6, 0.6, 40) * max(np.sqrt(t), 0.2) for t in ts]
    vols = [p.implied_vol(k, t) for p, k, t in zip(true, ks, ts, strict=True)]
    noise = [0.003 * rng.standard_normal(len(v)) for v in vols]
    fit = fit_surface(ts, ks, [v + e - 0.01 for v, e in zip(vols, noise, strict=True)],
                      [v + e + 0.01 for v, e in zip(vols, noise, strict=True)])
    assert fit.method == "svi"
    for p, k, t, v in zip(fit.slices, ks, ts, vols, strict=True):
        assert np.max(np.abs(p.implied_vol(k, t) - v)) < 0.006  # within the 1-vol-point half spread


def test_butterfly_violation_is_caught():
    bad = SviParams(a=-0.02, b=0.9, rho=0.0, m=0.0, sigma=0.03)  # a deep, narrow dip: negative density
    assert bad.shape_problems() == []
    found = butterfly_violations(bad, 0.5)
    assert found and found[0].kind == "butterfly"
    assert butterfly_violations(SviParams(0.02, 0.1, -0.3, 0.0, 0.2), 0.5) == []


def test_calendar_violation_is_caught_and_ssvi_is_arbitrage_free():
    early, late = SviParams(0.04, 0.1, -0.3, 0.0, 0.2), SviParams(0.01, 0.1, -0.3, 0.0, 0.2)
    found = calendar_violations([0.1, 0.2], [early, late])
    assert found and found[0].kind == "calendar" and found[0].amount == pytest.approx(0.03)
    ssvi = SsviParams(rho=-0.5, eta=1.3, gamma=0.4)
    thetas = [0.01, 0.03, 0.08, 0.2]
    slices = [ssvi.slice(th) for th in thetas]
    assert calendar_violations([0.05, 0.2, 0.5, 1.0], slices) == []
    assert all(butterfly_violations(s, t) == [] for s, t in zip(slices, [0.05, 0.2, 0.5, 1.0], strict=True))
    assert slices[1].total_variance(0.0) == pytest.approx(0.03)


def test_calendar_check_covers_k_to_10_not_only_6_sqrt_t():
    # Total variance rises with T at the money and on the left; the shorter slice's steeper right
    # wing crosses the longer one's at k = 8, far beyond ±6√T (±2.7 here).
    early, late = SviParams(0.01, 0.02, 0.5, 0.0, 0.1), SviParams(0.09, 0.02, 0.0, 0.0, 0.1)
    found = calendar_violations([0.1, 0.2], [early, late])
    assert found and 8.0 < found[0].log_moneyness <= 10.0


def test_violating_quotes_are_rejected_or_fitted_arbitrage_free():
    ts = np.array([0.1, 0.2])
    ks = [np.linspace(-0.5, 0.5, 30)] * 2
    high, low = SviParams(0.04, 0.1, -0.3, 0.0, 0.2), SviParams(0.01, 0.05, -0.3, 0.0, 0.2)
    vols = [high.implied_vol(ks[0], ts[0]), low.implied_vol(ks[1], ts[1])]
    bid, ask = [v - 0.005 for v in vols], [v + 0.005 for v in vols]
    fit = fit_surface(ts, ks, bid, ask)
    assert fit.method == "rejected" and any("misses the quotes of T = 0.2000y" in r for r in fit.reasons)
    assert calendar_violations(fit.expiry_years, fit.slices) == []
    loose = fit_surface(ts, ks, bid, ask, max_rmse_vol=1.0)
    assert loose.method == "svi" and calendar_violations(loose.expiry_years, loose.slices) == []
    assert loose.slices[1].total_variance(0.0) >= loose.slices[0].total_variance(0.0) - 1e-12  # pinned to it
    # The older pipeline: check, then reject or repair as SSVI.
    old = fit_surface(ts, ks, bid, ask, constrained=False, repair=False)
    assert old.method == "rejected" and any("total variance falls" in r for r in old.reasons)
    repaired = fit_surface(ts, ks, bid, ask, constrained=False, max_rmse_vol=1.0)
    assert repaired.method == "ssvi-repair"
    assert calendar_violations(repaired.expiry_years, repaired.slices) == []


@settings(max_examples=30, deadline=None)
@given(st.floats(-0.7, 0.5), st.floats(0.3, 1.0), st.floats(0.1, 0.5), st.floats(0.2, 1.5))
def test_constrained_fit_recovers_an_arbitrage_free_surface(rho, eta_share, gamma, atm):
    """SSVI slices are free of arbitrage: the constrained fit must find them, not a neighbour the
    constraints push it to. Mostly to 1e-15; within 5e-4 in vol (0.05 vol points) where σ is
    several times the quotes' span: the smile is a parabola there, (a, b, σ) are barely
    identifiable and the polish creeps along a valley (the unconstrained fit_slices misses these
    by up to 4e-3)."""
    ssvi = SsviParams(rho=rho, eta=eta_share * 2.0 / (1.0 + abs(rho)), gamma=gamma)
    ts = np.array([2, 7, 30, 90, 365]) / 365
    ks = [np.linspace(-2.0, 3.0, 40) * atm * np.sqrt(t) for t in ts]
    slices = [ssvi.slice(atm * atm * t) for t in ts]
    total = [p.total_variance(k) for p, k in zip(slices, ks, strict=True)]
    fits, notes = fit_arbitrage_free(ks, total, [np.ones_like(k) for k in ks], ts)
    assert notes == []
    for f, p, k, t in zip(fits, slices, ks, ts, strict=True):
        assert np.max(np.abs(f.params.implied_vol(k, t) - p.implied_vol(k, t))) < 5e-4


def _noisy_crypto(seed):
    from benchmarks.pricing import noisy_crypto_surface

    return noisy_crypto_surface(np.random.default_rng(seed))


@pytest.mark.parametrize("seed", [[1, 0], [2, 1], [3, 2], [11, 0], [12, 0]])
def test_noisy_crypto_surface_is_arbitrage_free_on_k_within_10_and_fits_like_free_slices(seed):
    t, ks, bid, ask, _true, _atm = _noisy_crypto(seed)
    fit = fit_surface(t, ks, bid, ask)
    assert fit.method == "svi" and fit.reasons == []
    assert calendar_violations(fit.expiry_years, fit.slices) == []
    assert all(butterfly_violations(p, ti) == [] for p, ti in zip(fit.slices, t, strict=True))
    k = np.linspace(-10.0, 10.0, 20001)  # a grid of its own, finer than the check's at the ends
    w = np.array([p.total_variance(k) for p in fit.slices])
    assert np.all(np.diff(w, axis=0) >= -1e-10)
    assert all(np.all(p.density(k) >= -1e-10) for p in fit.slices)
    assert all(p.shape_problems() == [] for p in fit.slices)
    weights = [np.where(np.isfinite(b), 1.0 / np.maximum(a - b, 0.005), 0.0) for b, a in zip(bid, ask, strict=True)]
    total = [np.where(np.isfinite(b), 0.5 * (b + a), 0.0) ** 2 * ti for b, a, ti in zip(bid, ask, t, strict=True)]
    free = fit_slices(ks, total, weights, t)
    ratio = np.sqrt(np.mean(fit.rmse_vol ** 2)) / np.sqrt(np.mean([f.rmse_vol ** 2 for f in free]))
    assert ratio < 1.1


@settings(max_examples=200, deadline=None)
@given(st.floats(-0.5, 0.5), st.floats(0, 1.0), st.floats(-0.999, 0.999), st.floats(-1, 1), st.floats(1e-4, 2))
def test_wad_conversion_is_bounded_and_accepted(a, b, rho, m, sigma):
    p = SviParams(a, min(b, 2 / (1 + abs(rho))), rho, m, sigma)
    if p.shape_problems():
        return
    wad = svi_to_wad(p)
    back = svi_from_wad(wad)
    for got, want in zip((back.a, back.b, back.rho, back.m, back.sigma), (p.a, p.b, p.rho, p.m, p.sigma), strict=True):
        assert abs(got - want) <= 4e-18 + 1e-15 * abs(want)
    a_w, b_w, rho_w, _, sigma_w = wad
    assert wing_slope_wad(b_w, rho_w) <= 2 * WAD
    assert min_variance_wad(a_w, b_w, rho_w, sigma_w) >= 0
    assert abs(rho_w) < WAD and sigma_w > 0 and b_w >= 0 and abs(a_w) <= MAX_PARAM_WAD
