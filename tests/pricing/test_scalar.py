"""The one-option path (optio.pricing.scalar, pure Python) against the vectorised engine.

Prices and Greeks agree to 1e-12 relative, where the engine's own conditioning allows it: a
Greek that is a difference of larger terms (theta, rho, vanna and volga through d2) is compared
against the size of those terms; far out of the money, where the Gaussian factor is ``e^{-q}``
with ``q`` in the hundreds, one ulp of ``q`` (a different log or exp in each path) is ``q`` ulps
of the result; below 1e-290, where intermediates are subnormal, only absolutely. Implied vol
agrees to 1e-13 wherever the price resolves σ (what one ulp of the price moves σ by is allowed
on top), and with every status code.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
import scipy.special
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from optio.pricing import _implied_vol_blocks, _rational_cubic, moneyness, normalised_black, scalar
from optio.pricing._inputs import PricingInputError
from optio.pricing.black_scholes import black_greeks, black_price, bsm_greeks, bsm_price
from optio.pricing.implied_vol import IVStatus, implied_vol_black, implied_vol_bsm

EPS = 2.0**-52
MINUTE = 1 / 525600
SECOND = MINUTE / 60
NAMES = ("price", "delta", "gamma", "vega", "theta", "rho", "vanna", "volga")
#: Where relative precision ends: results this small came through subnormal intermediates (a
#: vanna of 1.3e-310 differed by 2e-11 relative, 600 of its subnormal ulps).
UNDERFLOW = 1e-290

spots = st.floats(1.0, 1e5)
#: Realistic strikes (K/S), and deep in and out of the money.
moneyness_ = st.floats(0.2, 5.0)
deep = st.one_of(st.floats(0.001, 0.2), st.floats(5.0, 1000.0))
years = st.floats(MINUTE, 5.0)
tiny_years = st.floats(SECOND, MINUTE)
vols = st.floats(0.01, 5.0)
rates = st.floats(-0.05, 0.2)
dividends = st.floats(0.0, 0.1)


def test_constants_are_the_engines():
    """The regions, thresholds and codes the scalar path copies (it cannot import them: numba)."""
    nb = normalised_black
    assert (scalar.ASYMPTOTIC_Z, scalar.ASYMPTOTIC_TERMS, scalar.SMALL_T, scalar.TAYLOR_ORDER) == (
        nb.ASYMPTOTIC_Z,
        nb._ASYMPTOTIC_TERMS,
        nb.SMALL_T,
        nb._TAYLOR_ORDER,
    )
    assert scalar.INVERSE_ODD_FACTORIALS == nb._INVERSE_ODD_FACTORIALS
    assert scalar.NAIVE_ERROR_ULPS == nb.NAIVE_ERROR_ULPS
    assert scalar.PHI_NORMAL_FROM == nb.PHI_NORMAL_FROM
    assert (scalar.INV_SQRT2, scalar.INV_SQRT_2PI, scalar.SQRT_2PI, scalar.SQRT_PI_OVER_2) == (
        nb.INV_SQRT2,
        nb.INV_SQRT_2PI,
        nb.SQRT_2PI,
        nb.SQRT_PI_OVER_2,
    )
    iv = _implied_vol_blocks
    assert scalar.THIRD_STEP_ABOVE == iv.THIRD_STEP_ABOVE
    assert (scalar.MAX_STEPS, scalar.DEFERRED) == (iv.MAX_STEPS, iv.DEFERRED)
    assert (scalar.LOWEST, scalar.MIDDLE, scalar.HIGHEST) == (iv.LOWEST, iv.MIDDLE, iv.HIGHEST)
    assert (scalar._AS_C0, scalar._AS_C1, scalar._AS_C2, scalar._AS_D1, scalar._AS_D2, scalar._AS_D3) == (
        iv._AS_C0,
        iv._AS_C1,
        iv._AS_C2,
        iv._AS_D1,
        iv._AS_D2,
        iv._AS_D3,
    )
    assert (scalar._BELOW_ONE, scalar._TINY, scalar._LN_HALF, scalar._LN_SMALLEST) == (
        iv._BELOW_ONE,
        iv._TINY,
        iv._LN_HALF,
        iv._LN_SMALLEST,
    )
    assert (scalar.R_MIN, scalar.R_MAX) == (_rational_cubic.R_MIN, _rational_cubic.R_MAX)
    assert (scalar.LN2_HI, scalar.LN2_LO) == (moneyness.LN2_HI, moneyness.LN2_LO)
    assert {name: code for code, name in enumerate(scalar.STATUS_NAMES)} == {s.name: s.value for s in IVStatus}


# --- price and Greeks --------------------------------------------------------------------------------


def _scales(spot, strike, t, vol, rate, dividend, is_call) -> dict[str, float]:
    """What each Greek is a sum or difference of, in size (the engine's Black-76 Greeks on the
    forward): the yardstick of a Greek that cancels. The price and delta, gamma and vega do not."""
    forward, discount = spot * math.exp((rate - dividend) * t), math.exp(-rate * t)
    g = black_greeks(forward, strike, t, vol, is_call=is_call, discount=discount)
    growth = forward / spot
    s = vol * math.sqrt(t)
    d1 = abs(math.log(forward / strike)) / s + s / 2 if s > 0 else 0.0
    vega = abs(float(g.vega))
    return {
        "theta": abs(float(g.theta))
        + vega * vol / (2 * t)
        + abs(rate * float(g.price))
        + abs((rate - dividend) * forward * float(g.delta)),
        "rho": t * abs(float(g.price)) + t * forward * abs(float(g.delta)),
        "vanna": vega * (d1 + s) / (forward * s) * growth if s > 0 else 0.0,
        "volga": vega * d1 * (d1 + s) / vol if s > 0 else 0.0,
    }


def _gaussian_exponent(forward, strike, t, vol) -> float:
    """``q`` of the Gaussian factor ``e^{-q}``, ``q = (h² + s²/4)/2``: one ulp of ``q`` is ``q``
    ulps of every result that carries the factor."""
    s = vol * math.sqrt(t)
    if s == 0:
        return 0.0
    h = math.log(forward / strike) / s
    return 0.5 * (h * h + s * s / 4)


def assert_greeks_agree(spot, strike, t, vol, rate, dividend, is_call):
    engine = bsm_greeks(spot, strike, t, vol, is_call=is_call, rate=rate, dividend=dividend)
    one = scalar.bsm_greeks(spot, strike, t, vol, is_call=is_call, rate=rate, dividend=dividend)
    forward = spot * math.exp((rate - dividend) * t)
    rel = 1e-12 + 4 * _gaussian_exponent(forward, strike, t, vol) * EPS
    scales = _scales(spot, strike, t, vol, rate, dividend, is_call)
    # The paths take the forward and the discount from different exps (math.exp here, np.exp
    # there: an ulp apart where numpy has AVX-512 loops). What a few ulps of the forward move
    # each Greek by, measured on the scalar path (d1, d2 and ln F/K near the money at a minute
    # to expiry: an ulp of F is 1e-10 of vanna there); and theta's ``r·price`` takes r back from
    # the discount, ``−ln(e^{−rT})/T``, so an ulp of the discount is EPS/T of r, whatever r is.
    slack = {name: 0.0 for name in NAMES}
    for nudged in (spot * (1 + 4 * EPS), spot * (1 - 4 * EPS)):
        moved = scalar.bsm_greeks(nudged, strike, t, vol, is_call=is_call, rate=rate, dividend=dividend)
        for name in NAMES:
            slack[name] += abs(getattr(moved, name) - getattr(one, name))
    slack["theta"] += 4 * EPS * abs(float(engine.price)) / t if t > 0 else 0.0
    for name in NAMES:
        a, b = float(getattr(engine, name)), getattr(one, name)
        if a == b or (math.isnan(a) and math.isnan(b)):
            continue
        size = max(abs(a), abs(b), scales.get(name, 0.0))
        bound = rel * size + slack[name] + UNDERFLOW
        assert abs(a - b) <= bound, f"{name}: engine {a!r}, scalar {b!r}, rel {abs(a - b) / size:.2e}"
    # The per-day and per-point figures are the per-year and per-unit ones divided: below the
    # normal range (a theta of 6.8e-317 per year, say) the division rounds apart, so the same
    # underflow floor as above.
    assert one.theta_per_day == pytest.approx(float(engine.theta_per_day), rel=rel,
                                              abs=rel * scales["theta"] + slack["theta"] + UNDERFLOW)
    assert one.vega_per_point == pytest.approx(float(engine.vega_per_point), rel=rel, abs=slack["vega"] + UNDERFLOW)


@settings(max_examples=500, deadline=None)
@given(spots, moneyness_, years, vols, rates, dividends, st.booleans())
@example(1801.0, 0.84375, 3.75, 0.01, 0.19999999999999998, 0.04913714531076349, False)  # theta/day subnormal
@example(3000.0, 3200 / 3000, 30 / 365, 0.65, 0.0, 0.0, True)  # the benchmark's `optio price`
@example(100.0, 1.0, 1.0, 0.2, 0.0, 0.0, False)  # at the money, F = K exactly
def test_greeks_agree_with_the_engine(spot, m, t, vol, rate, dividend, is_call):
    assert_greeks_agree(spot, spot * m, t, vol, rate, dividend, is_call)


@settings(max_examples=300, deadline=None)
@given(spots, deep, st.one_of(years, tiny_years), st.floats(0.001, 10.0), rates, dividends, st.booleans())
def test_greeks_agree_deep_in_and_out_of_the_money_and_at_tiny_expiries(spot, m, t, vol, rate, dividend, is_call):
    assert_greeks_agree(spot, spot * m, t, vol, rate, dividend, is_call)


@pytest.mark.parametrize(
    ("forward", "strike", "t", "vol"),
    [
        (100.0, 100.0, 0.0, 0.5),  # expired at the money: Dirac gamma, −inf theta
        (100.0, 90.0, 0.0, 0.5),  # expired in the money
        (100.0, 100.0, 1.0, 0.0),  # no vol
        (100.0, 120.0, 1.0, 0.0),
        (100.0, 100.0, 1.0, 1e200),  # σ√T overflows: the upper bound
        (1e300, 1e-300, 1.0, 0.5),  # F·K and F/K out of range: the scaled forms
        (1e-300, 1e300, 1.0, 0.5),
        (2.0, 1.0, 1e-300, 1e-300),
        (100.0, 100.0, SECOND, 0.01),
    ],
)
@pytest.mark.parametrize("is_call", [True, False])
def test_black_greeks_limits_are_the_engines(forward, strike, t, vol, is_call):
    engine = black_greeks(forward, strike, t, vol, is_call=is_call, discount=0.97)
    one = scalar.black_greeks(forward, strike, t, vol, is_call=is_call, discount=0.97)
    for name in NAMES:
        a, b = float(getattr(engine, name)), getattr(one, name)
        assert a == b or abs(a - b) <= 1e-12 * abs(a), (name, a, b)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"spot": -1.0}, "forward/spot must be positive and finite"),
        ({"strike": 0.0}, "strike must be positive and finite"),
        ({"expiry_years": -0.1}, "expiry_years must be ≥ 0 and finite"),
        ({"vol": float("nan")}, "vol must be ≥ 0 and finite"),
        ({"rate": float("inf")}, "rate must be finite"),
        ({"dividend": float("nan")}, "dividend must be finite"),
        ({"spot": 1e308, "rate": 10.0}, "forward/spot must be positive and finite; got inf"),
        ({"rate": 1000.0, "dividend": 1000.0}, "discount must be positive and finite"),  # e^{-1000} = 0
    ],
)
def test_bad_input_is_refused_as_the_engine_refuses_it(kwargs, message):
    args = {"spot": 100.0, "strike": 100.0, "expiry_years": 1.0, "vol": 0.2, "rate": 0.0, "dividend": 0.0} | kwargs
    for function in (bsm_greeks, scalar.bsm_greeks):
        with pytest.raises(PricingInputError, match=message), np.errstate(over="ignore", invalid="ignore"):
            function(
                args["spot"],
                args["strike"],
                args["expiry_years"],
                args["vol"],
                is_call=True,
                rate=args["rate"],
                dividend=args["dividend"],
            )


def test_hull_values_and_docstrings():
    import doctest

    g = scalar.bsm_greeks(49, 50, 0.3846, 0.2, is_call=True, rate=0.05)
    assert (round(g.delta, 3), round(g.gamma, 3), round(g.vega, 1), round(g.theta, 2), round(g.rho, 2)) == (
        0.522,
        0.066,
        12.1,
        -4.31,
        8.91,
    )
    # To a few ulp, not to the bit: the forward and the discount come from math.exp here and from
    # np.exp there, which differ by an ulp where numpy has AVX-512 loops (4.759422392871536
    # against …532, 3.8 EPS of the price).
    assert scalar.bsm_price(42, 40, 0.5, 0.2, is_call=True, rate=0.1) == pytest.approx(
        float(bsm_price(42, 40, 0.5, 0.2, is_call=True, rate=0.1)), rel=16 * EPS, abs=0
    )
    result = doctest.testmod(scalar)
    assert result.attempted >= 2 and result.failed == 0


# --- implied vol -----------------------------------------------------------------------------------


def assert_iv_agrees(price, forward, strike, t, is_call, discount=1.0):
    engine = implied_vol_black(price, forward, strike, t, is_call=is_call, discount=discount)
    one = scalar.implied_vol_black(price, forward, strike, t, is_call=is_call, discount=discount)
    assert one.status == int(engine.status), (one, engine)
    if one.status != scalar.OK:
        assert math.isnan(one.vol)
        return
    a = float(engine.vol)
    # What the double-precision price can tell of σ: its rounding, through vega (both paths
    # invert the same rounded price, each to within that).
    vega = float(black_greeks(forward, strike, t, a, is_call=is_call, discount=discount).vega)
    resolvable = 4 * max(EPS * price, math.ulp(price)) / vega if vega > 0 else math.inf  # subnormals: an ulp
    assert abs(one.vol - a) <= 1e-13 * a + resolvable, (one.vol, a, resolvable)


@settings(max_examples=500, deadline=None)
@given(st.floats(0.2, 5.0), years, vols, st.floats(0.0, 0.2), st.booleans())
@example(3200 / 3000, 30 / 365, 0.65, 0.0, True)
@example(1.0, 30 / 365, 0.5, 0.0, False)  # at the money: erfinv
def test_implied_vol_agrees_with_the_engine(m, t, vol, rate, is_call):
    discount = math.exp(-rate * t)
    price = float(black_price(1.0, m, t, vol, is_call=is_call, discount=discount))
    assert_iv_agrees(price, 1.0, m, t, is_call, discount)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.floats(0.001, 0.2), st.floats(5.0, 1000.0), st.floats(0.999, 1.001)),
    st.one_of(years, tiny_years),
    st.floats(0.001, 10.0),
    st.booleans(),
)
def test_implied_vol_agrees_deep_in_and_out_of_the_money_and_at_tiny_expiries(m, t, vol, is_call):
    price = float(black_price(1.0, m, t, vol, is_call=is_call))
    assert_iv_agrees(price, 1.0, m, t, is_call)


@settings(max_examples=300, deadline=None)
@given(st.floats(0.2, 5.0), years, st.floats(-0.5, 6.0), st.booleans())
def test_any_price_gets_the_engines_status(m, t, price, is_call):
    """Prices from nothing: below the intrinsic value, above the maximum, anywhere between."""
    assert_iv_agrees(price, 1.0, m, t, is_call)


@settings(max_examples=200, deadline=None)
@given(spots, moneyness_, years, vols, rates, dividends, st.booleans())
def test_bsm_round_trip_matches_the_engine(spot, m, t, vol, rate, dividend, is_call):
    price = scalar.bsm_price(spot, spot * m, t, vol, is_call=is_call, rate=rate, dividend=dividend)
    one = scalar.implied_vol_bsm(price, spot, spot * m, t, is_call=is_call, rate=rate, dividend=dividend)
    engine = implied_vol_bsm(price, spot, spot * m, t, is_call=is_call, rate=rate, dividend=dividend)
    if one.status != int(engine.status):
        # A price whose time value is below its own ulps (deep in the money, short-dated) sits on
        # the intrinsic value: the forward and discount from math.exp and from np.exp (an ulp
        # apart with AVX-512) put it at the intrinsic value in one path and just below it in the
        # other: "no σ", or a σ only its ulps determine.
        forward, discount = scalar.forward_and_discount(spot, t, rate, dividend)
        intrinsic = discount * max((forward - spot * m) * (1 if is_call else -1), 0.0)
        assert {one.status, int(engine.status)} <= {scalar.OK, scalar.NO_INFORMATION, scalar.BELOW_INTRINSIC}
        assert abs(price - intrinsic) <= 8 * EPS * max(price, forward, spot * m) * discount
        return
    if one.status == scalar.OK:
        g = scalar.bsm_greeks(spot, spot * m, t, vol, is_call=is_call, rate=rate, dividend=dividend)
        # An ulp of the price, and of the forward (the paths' exps differ by one), moves σ by
        # that over vega.
        resolvable = 4 * EPS * (price + spot * abs(g.delta)) / g.vega if g.vega > 0 else math.inf
        assert abs(one.vol - float(engine.vol)) <= 1e-13 * vol + resolvable
        assert abs(one.vol - vol) <= 1e-12 * vol + resolvable


@pytest.mark.parametrize(
    ("price", "forward", "strike", "t", "is_call", "status"),
    [
        (9.0, 100.0, 90.0, 0.5, True, "BELOW_INTRINSIC"),
        (101.0, 100.0, 90.0, 0.5, True, "ABOVE_MAXIMUM"),
        (5.0, 100.0, 110.0, 0.5, False, "BELOW_INTRINSIC"),
        (-1.0, 1.0, 2.0, 1.0, True, "BELOW_INTRINSIC"),
        (1.0, 1.0, 2.0, 1.0, True, "ABOVE_MAXIMUM"),
        (3.0, 100.0, 110.0, 0.5, True, "OK"),
        (0.0, 100.0, 100.0, 0.5, True, "NO_INFORMATION"),  # a zero price at the money
        (10.0, 110.0, 100.0, 30 / 365, True, "NO_INFORMATION"),  # the intrinsic value exactly
        (4e-323, 110.0, 120.0, 30 / 365, True, "NO_INFORMATION"),  # time value underflows once normalised
        (0.0, 100.0, 150.0, SECOND, True, "NO_INFORMATION"),
        (4.0, 100.0, 100.0, 0.0, True, "EXPIRED"),
        (float("nan"), 100.0, 100.0, 0.5, True, "INVALID_INPUT"),
        (float("inf"), 1.0, 1.0, 1.0, True, "INVALID_INPUT"),
        (1.0, -100.0, 100.0, 0.5, True, "INVALID_INPUT"),
        (1.0, 100.0, 100.0, float("inf"), True, "INVALID_INPUT"),
        (0.5, 1.0, 1.0, 1.0, True, "OK"),  # at the money: erfinv
        (1.0 - 2.0**-52, 1.0, 1.0, 1.0, True, "OK"),  # at the money, a hair below the maximum
        (1e-300, 1.0, 1.0, 1.0, False, "OK"),
    ],
)
def test_status_codes_and_edges(price, forward, strike, t, is_call, status):
    assert scalar.implied_vol_black(price, forward, strike, t, is_call=is_call).reason == status
    assert_iv_agrees(price, forward, strike, t, is_call)


def test_discount_that_is_not_positive_is_invalid():
    assert scalar.implied_vol_black(1.0, 100.0, 100.0, 1.0, is_call=True, discount=0.0).reason == "INVALID_INPUT"
    assert int(implied_vol_black(1.0, 100.0, 100.0, 1.0, is_call=True, discount=0.0).status) == IVStatus.INVALID_INPUT


def test_forward_and_strike_2_to_the_1100_apart_are_not_at_the_money():
    """F/K = 2^-1100 is 1.0 × 2^-1100 once scaled (optio.pricing.moneyness): both paths check the
    octaves too (the engine's blocks took a ratio of 1.0 for the money, and gave σ ~ 1e-181 with
    status OK), and recover σ."""
    forward, strike = 2.0**-100, 2.0**1000
    price = scalar.black_greeks(forward, strike, 1.0, 30.0, is_call=True).price
    assert price > 0
    one = scalar.implied_vol_black(price, forward, strike, 1.0, is_call=True)
    assert one.status == scalar.OK and one.vol == pytest.approx(30.0, rel=1e-12)
    engine = implied_vol_black(price, forward, strike, 1.0, is_call=True)
    assert engine.status == IVStatus.OK and float(engine.vol) == pytest.approx(30.0, rel=1e-12)


# --- the special functions -------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.floats(-0.7, 40.0), st.floats(40.0, 1e12)))
def test_erfcx_is_scipys(z):
    assert scalar.erfcx(z) == pytest.approx(float(scipy.special.erfcx(z)), rel=8 * EPS)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.floats(0.0, 1.0, exclude_max=True),
        st.floats(5e-324, 1e-10),
        st.floats(-60.0, -1e-300).map(lambda v: -math.expm1(v)),
    )
)
def test_erfinv_is_scipys_and_within_an_ulp_or_two(y):
    assume(y < 1.0)
    got = scalar.erfinv(y)
    # In ulps of the answer (a subnormal one has fewer bits: its ulp is 5e-324, not 2^-52 of it).
    assert abs(got - float(scipy.special.erfinv(y))) <= 4 * math.ulp(got)
    mp.mp.dps = 40
    assert abs(got - float(mp.erfinv(mp.mpf(y)))) <= 2 * math.ulp(got)
    assert scalar.erfinv(-y) == -got


def test_erfinv_ends():
    assert scalar.erfinv(1.0) == math.inf and scalar.erfinv(-1.0) == -math.inf
    assert math.isnan(scalar.erfinv(1.5)) and math.isnan(scalar.erfinv(float("nan")))
    assert scalar.erfinv(0.0) == 0.0


@settings(max_examples=300, deadline=None)
@given(st.floats(-40.0, 0.0), st.floats(1e-6, 50.0))
def test_normalised_black_is_the_engines(x, s):
    assert scalar.otm_call(x, s) == pytest.approx(
        float(normalised_black.otm_call(np.array([x]), np.array([s]))[0]),
        rel=1e-13 + 4 * _gaussian_exponent(math.exp(x), 1.0, 1.0, s) * EPS,
        abs=0,
    )
