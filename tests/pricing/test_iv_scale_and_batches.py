"""Forward and strike anywhere from 1e-300 to 1e300: prices, Greeks and implied vols that are right
or say why not (never inf, never σ = 0 with status OK); the issue's own examples."""

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from pricing.black_scholes import black_greeks, black_price
from pricing.implied_vol import IVStatus, implied_vol_black
from pricing.moneyness import log_moneyness, sqrt_product

EPS = np.finfo(float).eps
MINUTE = 1 / 525600
TINY = np.finfo(float).tiny

log_scale = st.floats(-300.0, 300.0)
#: Forward or strike from 1e-300 to 1e300, any mantissa.
level = log_scale.map(lambda e: 10.0**e)


def mp_price(forward, strike, t, vol, is_call) -> tuple[float, float]:
    """Undiscounted Black-76 price at 50 digits, from the doubles given, and ``F·|∂p/∂F| +
    K·|∂p/∂K|``: what a relative rounding of F/K (of one ulp, in any formula) moves it by."""
    with mp.workdps(50):
        f, k = mp.mpf(forward), mp.mpf(strike)
        s = mp.mpf(vol) * mp.sqrt(mp.mpf(t))
        d1 = mp.log(f / k) / s + s / 2
        d2 = d1 - s
        sign = 1 if is_call else -1
        forward_part, strike_part = f * mp.ncdf(sign * d1), k * mp.ncdf(sign * d2)
        return float(sign * (forward_part - strike_part)), float(forward_part + strike_part)


# --- the examples of the issue ---------------------------------------------------------------


def test_price_at_1e200_is_finite_and_scaled():
    price = float(black_price(1e200, 1.1e200, 0.5, 0.3, is_call=True))
    assert math.isfinite(price)
    assert price == pytest.approx(mp_price(1e200, 1.1e200, 0.5, 0.3, True)[0], rel=1e-14)
    assert price == pytest.approx(1e200 * float(black_price(1.0, 1.1, 0.5, 0.3, is_call=True)), rel=1e-14)


@pytest.mark.parametrize("level", [1e160, 1e-200, 1e300, 1e-300])
def test_at_the_money_vol_at_any_level(level):
    # The issue's 8.447e158 at F = K = 1e160 was 0.0 OK (√(F·K) overflowed); at 1e-200 23.47 OK.
    price = 8.447002662322806e-2 * level
    iv = implied_vol_black(price, level, level, 0.5, is_call=True)
    assert iv.status == IVStatus.OK
    assert float(iv.vol) == pytest.approx(0.3, rel=1e-9)
    assert float(black_price(level, level, 0.5, float(iv.vol), is_call=True)) == pytest.approx(price, rel=1e-14)


def test_issue_example_1e160_exact():
    iv = implied_vol_black(8.447002662322806e158, 1e160, 1e160, 0.5, is_call=True)
    assert iv.status == IVStatus.OK and abs(float(iv.vol) - 0.3) < 1e-9


@pytest.mark.parametrize(("price", "forward", "strike", "t", "is_call"), [
    (4e-323, 3000.0, 2970.15, 3.085, False),  # underflows once normalised (was σ = 0, OK)
    (0.0, 3000.0, 3500.0, 0.25, True),  # zero price out of the money
    (0.0, 3000.0, 3000.0, 0.25, True),  # zero price at the money
    (500.0, 3000.0, 2500.0, 0.25, True),  # exactly the intrinsic value
    (500.0, 3000.0, 3500.0, 0.25, False),
    (500.0, 3000.0, 3500.0, 0.0, False),  # expired, at intrinsic
])
def test_no_information(price, forward, strike, t, is_call):
    iv = implied_vol_black(price, forward, strike, t, is_call=is_call)
    assert iv.status == IVStatus.NO_INFORMATION and np.isnan(iv.vol)
    assert iv.reasons() == ["NO_INFORMATION"]


def test_no_information_in_a_batch_keeps_its_neighbours():
    prices = np.array([4e-323, 100.0, 0.0, 500.0])
    strikes = np.array([2970.15, 3000.0, 3500.0, 2500.0])
    expiries = np.array([3.085, 0.5, 0.25, 0.25])
    iv = implied_vol_black(prices, 3000.0, strikes, expiries, is_call=[False, True, True, True])
    assert iv.reasons() == ["NO_INFORMATION", "OK", "NO_INFORMATION", "NO_INFORMATION"]
    assert np.isfinite(iv.vol[1]) and np.isnan(iv.vol[[0, 2, 3]]).all()


# --- the scale-free pieces ----------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(level, level)
@example(1e300, 1e-300)
@example(1e-300, 1e300)
@example(5e-324, 1.7976931348623157e308)
@example(1.7976931348623157e308, 1.7976931348623157e308)
def test_moneyness_pieces_are_exact_where_direct_ones_are(forward, strike):
    assume(forward > 0 and strike > 0)
    root = sqrt_product(forward, strike)
    with mp.workdps(40):
        true_root = float(mp.sqrt(mp.mpf(forward) * mp.mpf(strike)))
        true_log = float(mp.log(mp.mpf(forward) / mp.mpf(strike)))
    assert root == pytest.approx(true_root, rel=2 * EPS)
    assert log_moneyness(forward, strike) == pytest.approx(true_log, rel=4 * EPS, abs=4 * EPS)
    product = forward * strike
    if TINY <= product < math.inf:
        assert root == math.sqrt(product)  # bitwise the direct formula where it is representable
    ratio = forward / strike
    if TINY <= ratio < math.inf:
        assert log_moneyness(forward, strike) == math.log(ratio)


# --- prices, Greeks and implied vols from 1e-300 to 1e300 ------------------------------------


@settings(max_examples=250, deadline=None)
@given(log_scale, st.floats(math.log(0.05), math.log(20.0)), st.floats(MINUTE, 5.0), st.floats(0.01, 10.0),
       st.booleans())
@example(200.0, math.log(1.1), 0.5, 0.3, True)
@example(-200.0, 0.0, 0.5, 0.3, True)
@example(300.0, math.log(20.0), 5.0, 10.0, False)
@example(-300.0, math.log(0.05), MINUTE, 0.01, True)
def test_price_greeks_and_iv_at_any_level(exponent, log_m, t, vol, is_call):
    forward = 10.0**exponent
    strike = forward * math.exp(log_m)
    assume(TINY < strike < 1e300)
    price = float(black_price(forward, strike, t, vol, is_call=is_call))
    truth, moneyness_sensitivity = mp_price(forward, strike, t, vol, is_call)
    assert math.isfinite(price)
    intrinsic = max(forward - strike, 0.0) if is_call else max(strike - forward, 0.0)
    scale = math.sqrt(forward) * math.sqrt(strike)
    # The time value to 1e-13 (the out-of-the-money side's accuracy), plus what the rounding of
    # F/K to a double moves the price by (no formula in doubles avoids it), plus the subnormals.
    assert abs(price - truth) <= (1e-13 * max(truth - intrinsic, 0.0) + 4 * EPS * moneyness_sensitivity
                                  + 1e-300 * scale)
    g = black_greeks(forward, strike, t, vol, is_call=is_call)
    for name in ("price", "delta", "gamma", "vega", "theta", "rho", "vanna", "volga"):
        assert not np.isnan(getattr(g, name)), name
    assert float(g.price) == pytest.approx(price, rel=1e-12, abs=1e-300 * scale)
    iv = implied_vol_black(price, forward, strike, t, is_call=is_call)
    beta = (price - intrinsic) / scale
    if beta == 0.0:
        assert iv.status == IVStatus.NO_INFORMATION and np.isnan(iv.vol)
        return
    upper = forward if is_call else strike
    if price >= upper * (1 - 4 * EPS):
        assert iv.status in (IVStatus.OK, IVStatus.ABOVE_MAXIMUM)
        return
    assert iv.status == IVStatus.OK and math.isfinite(float(iv.vol))
    # What the double price can tell about σ: its rounding, seen through vega.
    resolvable = 4 * EPS * price / float(g.vega) if g.vega > 0 else math.inf
    if price > 1e-290 * scale and resolvable < 1e-3 * vol:
        assert abs(float(iv.vol) - vol) <= 1e-12 * vol + resolvable


@settings(max_examples=200, deadline=None)
@given(level, level, st.floats(MINUTE, 5.0), st.floats(0.01, 10.0), st.booleans())
@example(1e300, 1e-300, 1.0, 30.0, False)
@example(1e-300, 1e300, 1.0, 30.0, True)
@example(1e300, 1e-300, 5.0, 10.0, True)
def test_forward_and_strike_independent(forward, strike, t, vol, is_call):
    """F and K each anywhere: never inf or NaN, never a vol with status OK that does not reprice."""
    price = float(black_price(forward, strike, t, vol, is_call=is_call))
    assert math.isfinite(price) and price >= 0.0
    g = black_greeks(forward, strike, t, vol, is_call=is_call)
    assert not any(np.isnan(getattr(g, name)) for name in ("price", "delta", "vega", "theta", "rho"))
    iv = implied_vol_black(price, forward, strike, t, is_call=is_call)
    assert iv.status in (IVStatus.OK, IVStatus.NO_INFORMATION, IVStatus.ABOVE_MAXIMUM)
    assert np.isnan(iv.vol) == (iv.status != IVStatus.OK)
    if iv.status == IVStatus.OK:
        back = float(black_price(forward, strike, t, float(iv.vol), is_call=is_call))
        # The reprice is the price to its own resolution: a relative 1e-12 of the time value,
        # or an ulp or two of the intrinsic value it sits on.
        intrinsic = max(forward - strike, 0.0) if is_call else max(strike - forward, 0.0)
        assert abs(back - price) <= 1e-12 * (price - intrinsic) + 4 * EPS * price + 1e-300


@settings(max_examples=200, deadline=None)
@given(st.floats(-250.0, 250.0), st.floats(math.log(0.05), math.log(20.0)), st.floats(MINUTE, 5.0),
       st.floats(0.01, 10.0), st.booleans(), st.integers(-150, 150))
def test_power_of_two_scaling_is_exact(exponent, log_m, t, vol, is_call, octaves):
    """(2ⁿF, 2ⁿK) prices to 2ⁿ times the price, to the bit, and inverts to the very same σ."""
    forward = 10.0**exponent
    strike = forward * math.exp(log_m)
    lam = 2.0**octaves
    price = float(black_price(forward, strike, t, vol, is_call=is_call))
    scaled = float(black_price(lam * forward, lam * strike, t, vol, is_call=is_call))
    assume(price > 1e-280 * max(forward, strike) and min(price, scaled) > 1e-290)
    assert scaled == lam * price
    a = implied_vol_black(price, forward, strike, t, is_call=is_call)
    b = implied_vol_black(lam * price, lam * forward, lam * strike, t, is_call=is_call)
    assert a.status == b.status
    assert np.array_equal(a.vol, b.vol, equal_nan=True)
