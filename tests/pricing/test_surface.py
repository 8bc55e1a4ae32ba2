"""SVI fits recover known parameters (also from noisy bid/ask); arbitrage checks catch violations."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optio.pricing.oracle_units import MAX_PARAM_WAD, WAD, min_variance_wad, svi_from_wad, svi_to_wad, wing_slope_wad
from optio.pricing.surface import SsviParams, butterfly_violations, calendar_violations, fit_surface
from optio.pricing.svi import SviParams, fit_slices

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


def test_violating_quotes_are_repaired_or_rejected_with_reasons():
    ts = np.array([0.1, 0.2])
    ks = [np.linspace(-0.5, 0.5, 30)] * 2
    high, low = SviParams(0.04, 0.1, -0.3, 0.0, 0.2), SviParams(0.01, 0.05, -0.3, 0.0, 0.2)
    vols = [high.implied_vol(ks[0], ts[0]), low.implied_vol(ks[1], ts[1])]
    fit = fit_surface(ts, ks, [v - 0.005 for v in vols], [v + 0.005 for v in vols], repair=False)
    assert fit.method == "rejected" and any("total variance falls" in r for r in fit.reasons)
    repaired = fit_surface(ts, ks, [v - 0.005 for v in vols], [v + 0.005 for v in vols], max_rmse_vol=1.0)
    assert repaired.method == "ssvi-repair"
    assert calendar_violations(repaired.expiry_years, repaired.slices) == []


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
