"""Prices and Greeks: textbook values, parity, monotonicity, finite differences, exact limits."""

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optio.pricing._inputs import PricingInputError
from optio.pricing.black_scholes import black_price, bsm_greeks, bsm_price

spots = st.floats(1.0, 1e5)
moneyness = st.floats(0.2, 5.0)
years = st.floats(1 / 525600, 5.0)
vols = st.floats(0.01, 10.0)
rates = st.floats(-0.05, 0.2)


def mp_call(f, k, t, v):
    mp.mp.dps = 50
    f, k, t, v = map(mp.mpf, (f, k, t, v))
    s = v * mp.sqrt(t)
    d1 = mp.log(f / k) / s + s / 2
    return f * mp.ncdf(d1) - k * mp.ncdf(d1 - s)


@settings(max_examples=300, deadline=None)
@given(spots, moneyness, years, vols, rates, st.floats(0, 0.1))
def test_put_call_parity(spot, m, t, vol, r, q):
    k = spot * m
    call = bsm_price(spot, k, t, vol, is_call=True, rate=r, dividend=q)
    put = bsm_price(spot, k, t, vol, is_call=False, rate=r, dividend=q)
    parity = spot * np.exp(-q * t) - k * np.exp(-r * t)
    assert call - put == pytest.approx(parity, abs=1e-11 * max(spot, k))


@settings(max_examples=300, deadline=None)
@given(st.floats(0.01, 20), years, vols)
def test_black_matches_mpmath(m, t, vol):
    price = float(black_price(1.0, m, t, vol, is_call=True))
    assert price == pytest.approx(float(mp_call(1.0, m, t, vol)), rel=1e-12, abs=1e-15)


@settings(max_examples=200, deadline=None)
@given(spots, years, vols)
def test_monotone_in_strike_and_vol(spot, t, vol):
    strikes = spot * np.linspace(0.3, 3, 40)
    calls = bsm_price(spot, strikes, t, vol, is_call=True)
    puts = bsm_price(spot, strikes, t, vol, is_call=False)
    assert np.all(np.diff(calls) <= 1e-12 * spot)
    assert np.all(np.diff(puts) >= -1e-12 * spot)
    more_vol = bsm_price(spot, strikes, t, vol * 1.1, is_call=True)
    assert np.all(more_vol >= calls - 1e-12 * spot)


@settings(max_examples=200, deadline=None)
@given(st.floats(0.5, 2.0), st.floats(0.05, 3.0), st.floats(0.05, 2.0), rates, st.booleans())
def test_greeks_match_finite_differences(m, t, vol, r, is_call):
    s, k = 100.0, 100.0 * m
    g = bsm_greeks(s, k, t, vol, is_call=is_call, rate=r, dividend=0.01)

    def p(**kw):
        args = {"spot": s, "strike": k, "expiry_years": t, "vol": vol, "rate": r, "dividend": 0.01} | kw
        return float(bsm_price(args.pop("spot"), args.pop("strike"), args.pop("expiry_years"), args.pop("vol"),
                               is_call=is_call, **args))

    h = 1e-4
    assert g.delta == pytest.approx((p(spot=s + h) - p(spot=s - h)) / (2 * h), abs=1e-6)
    assert g.gamma == pytest.approx((p(spot=s + 1e-2) - 2 * p() + p(spot=s - 1e-2)) / 1e-4, abs=1e-5)
    hv = 1e-4 * vol  # relative step: low vols curve fast
    assert g.vega == pytest.approx((p(vol=vol + hv) - p(vol=vol - hv)) / (2 * hv), rel=1e-5, abs=1e-6)
    assert g.theta == pytest.approx(-(p(expiry_years=t + h) - p(expiry_years=t - h)) / (2 * h), rel=1e-4, abs=1e-5)
    hr = 1e-5  # rate moves the forward by e^{hT}: a smaller step keeps long, low-vol FD truncation down
    assert g.rho == pytest.approx((p(rate=r + hr) - p(rate=r - hr)) / (2 * hr), rel=1e-5, abs=1e-5)
    dvega = (bsm_greeks(s + h, k, t, vol, is_call=is_call, rate=r, dividend=0.01).vega
             - bsm_greeks(s - h, k, t, vol, is_call=is_call, rate=r, dividend=0.01).vega) / (2 * h)
    assert g.vanna == pytest.approx(dvega, rel=1e-4, abs=1e-6)
    dvol = (bsm_greeks(s, k, t, vol + hv, is_call=is_call, rate=r, dividend=0.01).vega
            - bsm_greeks(s, k, t, vol - hv, is_call=is_call, rate=r, dividend=0.01).vega) / (2 * hv)
    assert g.volga == pytest.approx(dvol, rel=1e-4, abs=1e-5)


def test_expiry_and_zero_vol_limits_are_intrinsic_on_the_forward():
    strikes = np.array([90.0, 100.0, 110.0])
    for t, vol in ((0.0, 0.5), (1.0, 0.0)):
        g = bsm_greeks(100.0, strikes, t, vol, is_call=True, rate=0.05)
        forward = 100.0 * np.exp(0.05 * t)
        assert np.allclose(g.price, np.exp(-0.05 * t) * np.maximum(forward - strikes, 0))
        for name in ("price", "delta", "vega", "rho", "vanna", "volga"):
            assert not np.isnan(getattr(g, name)).any(), name
    at_expiry = bsm_greeks(100.0, strikes, 0.0, 0.5, is_call=True)
    assert list(at_expiry.delta) == [1.0, 0.5, 0.0]
    assert at_expiry.gamma[1] == np.inf and at_expiry.gamma[0] == 0.0  # the Dirac limit, never NaN


def test_hull_values():
    g = bsm_greeks(49, 50, 0.3846, 0.2, is_call=True, rate=0.05)
    assert (round(float(g.delta), 3), round(float(g.gamma), 3), round(float(g.vega), 1)) == (0.522, 0.066, 12.1)
    assert round(float(g.theta), 2) == -4.31 and round(float(g.rho), 2) == 8.91


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"spot": -1.0}, "forward/spot must be positive"),
    ({"strike": 0.0}, "strike must be positive"),
    ({"expiry_years": -0.1}, "expiry_years must be ≥ 0"),
    ({"vol": float("nan")}, "vol must be ≥ 0"),
    ({"is_call": "x"}, "'x' is not one of c, p, call, put"),
])
def test_bad_input_names_the_parameter(kwargs, message):
    args = {"spot": 100.0, "strike": 100.0, "expiry_years": 1.0, "vol": 0.2, "is_call": True} | kwargs
    with pytest.raises(PricingInputError, match=message):
        bsm_price(args.pop("spot"), args.pop("strike"), args.pop("expiry_years"), args.pop("vol"), **args)
