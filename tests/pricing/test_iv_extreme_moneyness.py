"""Forward and strike far apart (|ln(F/K)| up to ~1400, F and K anywhere from 1e-300 to 1e300):
no silent wrong answers (issue 28).

The options are drawn so that their prices carry a time value — σ√T is taken relative to the
inflection point ``√(2|ln(F/K)|)`` — and priced in mpmath, then rounded once to a double: the
price is what a caller could hold. Both the vectorised engine and the one-option path must then
give either σ to 1e-13 (plus what the double price and the rounding of ``ln(F/K)`` cannot tell
apart), or a status other than OK where σ cannot be told from the price.

What these found, each a σ with status OK that was wrong (the examples below): F/K = 2^-1100
(ratio 1.0 × 2^-1100 once scaled) taken for at the money by the engine's blocks (σ ~ 1e-166);
the two-term b dividing a Φ(h − t) that had underflowed (0.4% at x = −1381); β = time
value/√(F·K) below the normal doubles, inverted from its few digits (7e-5 at F = 1.5e68); a
degenerate Householder step (b(s) underflowed) taken for convergence (18% at x = −761); three
steps and no more where b rounds to b_max at the guess (2.3% and 54% at x = −180 and −183).
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from optio.pricing import scalar
from optio.pricing.black_scholes import black_greeks, black_price
from optio.pricing.implied_vol import IVStatus, implied_vol_black

EPS = 2.0**-52
TINY = 2.2250738585072014e-308
MINUTE = 1 / 525600
LN10 = math.log(10.0)

#: ln F and ln K from ln 1e-300 to ln 1e300.
log_level = st.floats(-300.0 * LN10, 300.0 * LN10)
#: σ√T as a multiple of the inflection point's √(2|x|): deep out of the money to near the bound.
spread = st.floats(math.log(0.02), math.log(8.0))


class Truth:
    """An option priced at 60 digits from its doubles F, K, T and σ."""

    def __init__(self, forward: float, strike: float, t: float, vol: float, is_call: bool) -> None:
        with mp.workdps(60):
            f, k = mp.mpf(forward), mp.mpf(strike)
            s = mp.mpf(vol) * mp.sqrt(mp.mpf(t))
            x = mp.log(f / k)
            d1, d2 = x / s + s / 2, x / s - s / 2
            sign = 1 if is_call else -1
            price = sign * (f * mp.ncdf(sign * d1) - k * mp.ncdf(sign * d2))
            # The out-of-the-money call's terms (put-call symmetry): vega and the moneyness
            # sensitivity of the time value, which is the same for the call and the put.
            lo, hi = min(f, k), max(f, k)
            e1, e2 = -abs(x) / s + s / 2, -abs(x) / s - s / 2
            self.vega = float(lo * mp.npdf(e1) * mp.sqrt(mp.mpf(t)))  # ∂p/∂σ
            self.moneyness = float((lo * mp.ncdf(e1) + hi * mp.ncdf(e2)) / 2)  # |∂p/∂x| at fixed √(FK)
            self.price = float(price)
            self.x = float(x)
            self.intrinsic = float(max(sign * (f - k), 0))

    def resolvable(self, price: float) -> float:
        """What σ the double ``price`` cannot tell apart: four ulps of it, and what a rounding of
        ``ln(F/K)`` of a few ulps moves the price by, both through vega."""
        if self.vega == 0.0:
            return math.inf
        return (4 * max(EPS * price, 2.0**-1074) + 4 * EPS * (abs(self.x) + 1.0) * self.moneyness) / self.vega


def option(log_f: float, log_k: float, log_spread: float, t: float, is_call: bool):
    forward, strike = math.exp(log_f), math.exp(log_k)
    s = math.exp(log_spread) * math.sqrt(2.0 * abs(log_f - log_k) + 1e-3)
    return forward, strike, t, s / math.sqrt(t), is_call


def assert_no_silent_wrong_answer(vol: float, status: int, truth: Truth, price: float, true_vol: float,
                                  what: str) -> None:
    """Status OK only with σ within 1e-13 (plus what the price cannot resolve); OK wherever σ can
    be resolved from the double price (to a thousandth) and its time value is a normal double
    below its bound; otherwise NO_INFORMATION or ABOVE_MAXIMUM, with NaN."""
    resolvable = truth.resolvable(price)
    if status == IVStatus.OK:
        assert abs(vol - true_vol) <= 1e-13 * true_vol + resolvable, (what, vol, true_vol, resolvable)
        return
    assert math.isnan(vol), what
    assert status in (IVStatus.NO_INFORMATION, IVStatus.ABOVE_MAXIMUM), (what, status)
    # The time value must be a normal double too: a subnormal one has lost digits (the engine
    # gives NO_INFORMATION there, as it did for one that underflows to 0).
    identifiable = resolvable < 1e-3 * true_vol and price - truth.intrinsic >= TINY
    assert not identifiable or status == IVStatus.ABOVE_MAXIMUM, (what, IVStatus(status).name, true_vol,
                                                                  resolvable)


def check_both_paths(forward: float, strike: float, t: float, true_vol: float, is_call: bool) -> None:
    truth = Truth(forward, strike, t, true_vol, is_call)
    price = truth.price
    assume(price >= TINY and price > truth.intrinsic)
    check_price(forward, strike, t, true_vol, is_call, truth, price)


def check_price(forward: float, strike: float, t: float, true_vol: float, is_call: bool, truth: Truth,
                price: float) -> None:
    iv = implied_vol_black(price, forward, strike, t, is_call=is_call)
    upper = forward if is_call else strike
    if price >= upper * (1 - 4 * EPS):
        assert iv.status in (IVStatus.OK, IVStatus.ABOVE_MAXIMUM)
    assert_no_silent_wrong_answer(float(iv.vol), int(iv.status), truth, price, true_vol, "vector")
    one = scalar.implied_vol_black(price, forward, strike, t, is_call=is_call)
    assert_no_silent_wrong_answer(one.vol, one.status, truth, price, true_vol, "scalar")


@settings(max_examples=400, deadline=None)
@given(log_level, log_level, spread, st.floats(MINUTE, 5.0), st.booleans())
@example(math.log(math.ldexp(1e300, -1100)), math.log(1e300), math.log(1.0), 1.0, True)
@example(math.log(1e300), math.log(math.ldexp(1e300, -1100)), math.log(0.3), 1.0, False)
@example(-300.0 * LN10, 300.0 * LN10, math.log(1.0), 1.0, True)
@example(300.0 * LN10, -300.0 * LN10, math.log(0.05), 0.5, False)
@example(157.0, 169.0, -2.75, 1.0, True)  # β = 1.5e-323 from a price of 8.4e-253
@example(-104.0, 657.0, -0.59375, 1.0, True)  # a step to where b(s) underflows
@example(-180.0, 0.0, 0.375, 1.0, True)  # 1 − β/b_max = 2.2e-13: steps crawl
@example(-304.0, -121.0, 0.3125, 1.0, True)  # 1 − β/b_max = 8e-10, b(guess) = b_max
def test_implied_vol_far_apart_is_right_or_says_why_not(log_f, log_k, log_spread, t, is_call):
    check_both_paths(*option(log_f, log_k, log_spread, t, is_call))


@pytest.mark.parametrize("octaves", [-1100, 1100, -1080, 1080, -2000, 2000])
@pytest.mark.parametrize("is_call", [True, False])
def test_ratio_that_is_a_power_of_two_beyond_the_doubles_is_not_at_the_money(octaves, is_call):
    """The issue's case: F/K = 2^-1100 is 1.0 × 2^-1100 once scaled (its mantissa ratio is exactly
    1), which the engine's blocks took for at the money (σ ~ 1.8e-181, OK)."""
    strike = 2.0**1000 if octaves < 0 else 2.0**-1000
    forward = math.ldexp(strike, octaves) if abs(octaves) < 2000 else (2.0**-1000 if octaves < 0 else 2.0**1000)
    strike = strike if abs(octaves) < 2000 else (2.0**1000 if octaves < 0 else 2.0**-1000)
    s = math.sqrt(2.0 * abs(math.log(forward) - math.log(strike)))
    for vol in (s, 0.5 * s, 0.2 * s, 3.0 * s):
        truth = Truth(forward, strike, 1.0, vol, is_call)
        check_price(forward, strike, 1.0, vol, is_call, truth, truth.price)


@pytest.mark.parametrize(("price", "is_call"), [(0.5, True), (1e-40, True), (1e-300, True), (0.5, False)])
def test_issue_example_is_never_the_at_the_money_vol(price, is_call):
    """F/K = 2^-1100 (F = 2^-100, K = 2^1000) and a price that is a normal double: σ is far from
    the at-the-money inverse's 1e-166, or there is no σ to give."""
    forward, strike = 2.0**-100, 2.0**1000
    price = price * forward if is_call else strike - forward + price * forward
    for vol, status in ((float(implied_vol_black(price, forward, strike, 1.0, is_call=is_call).vol),
                         int(implied_vol_black(price, forward, strike, 1.0, is_call=is_call).status)),
                        tuple(scalar.implied_vol_black(price, forward, strike, 1.0, is_call=is_call))):
        assert (status == IVStatus.OK and vol > 1.0) or (status != IVStatus.OK and math.isnan(vol)), (vol, status)
        if status == IVStatus.OK:
            back = float(black_price(forward, strike, 1.0, vol, is_call=is_call))
            assert back == pytest.approx(price, rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(log_level, log_level, spread, st.floats(MINUTE, 5.0), st.booleans())
@example(math.log(math.ldexp(1e300, -1100)), math.log(1e300), math.log(1.0), 1.0, True)
@example(-300.0 * LN10, 300.0 * LN10, math.log(1.0), 1.0, True)
def test_black_price_far_apart_is_the_price(log_f, log_k, log_spread, t, is_call):
    """black_price and the one-option price with F and K far apart: the mpmath price to 1e-13 of
    the time value, plus what a rounding of ln(F/K) or of σ√T moves it by (never inf, never a
    wrong 0). Far out of the money one ulp of σ√T moves the price by ``(x/s)²`` ulps, ~1400."""
    forward, strike, t, vol, is_call = option(log_f, log_k, log_spread, t, is_call)
    truth = Truth(forward, strike, t, vol, is_call)
    tolerance = (1e-13 * (truth.price - truth.intrinsic) + 4 * EPS * (abs(truth.x) + 1.0) * truth.moneyness
                 + 4 * EPS * truth.price + 4 * EPS * vol * truth.vega + 1e-320)
    for price in (float(black_price(forward, strike, t, vol, is_call=is_call)),
                  scalar.black_greeks(forward, strike, t, vol, is_call=is_call).price):
        assert math.isfinite(price)
        assert abs(price - truth.price) <= tolerance, (price, truth.price, tolerance)


def test_a_batch_settles_its_underflowed_options_in_place():
    """Options whose β is below the normal doubles (time value/√(F·K) < 2^-1022) among ordinary
    ones, with a broadcast forward and a per-option strike: each gets the one-option path's
    answer at its own place, its neighbours theirs."""
    forward = 1e200
    strikes = np.array([1e200, 1e-100, 1.2e200, 1e-150, 1e200])
    vols = np.array([0.3, 18.0, 0.4, 21.8, 0.25])
    calls = np.array([True, False, False, False, True])
    prices = np.array([Truth(forward, k, 1.0, v, c).price for k, v, c in zip(strikes, vols, calls, strict=True)])
    beta = prices / np.sqrt(forward * strikes)  # the puts at 1e-100 and 1e-150 are out of the money
    assert (beta[[1, 3]] < TINY).all() and (prices[[1, 3]] > 1e-300).all()
    iv = implied_vol_black(prices, forward, strikes, 1.0, is_call=calls)
    for j in range(strikes.size):
        one = scalar.implied_vol_black(prices[j], forward, strikes[j], 1.0, is_call=bool(calls[j]))
        assert int(iv.status[j]) == one.status == IVStatus.OK, j
        assert float(iv.vol[j]) == pytest.approx(vols[j], rel=1e-12), j
    assert iv.status.dtype == np.int8 and set(iv.reasons()) == {"OK"}


GREEK_NAMES = ("price", "delta", "gamma", "vega", "theta", "rho", "vanna", "volga")


@settings(max_examples=400, deadline=None)
@given(log_level, log_level, st.one_of(spread, st.floats(math.log(0.5), math.log(30.0))), st.floats(MINUTE, 5.0),
       st.booleans(), st.sampled_from([1.0, 0.97]))
@example(math.log(2.363620494812557e298), math.log(5.097388474743425e-37), math.log(0.9738), 2.08, False, 1.0)
@example(math.log(5.6334705933464535e256), math.log(2.7891791039147936e-49), math.log(0.8503), 4.06, True, 1.0)
@example(math.log(8.752633503700888e60), math.log(1.0673009981420755e62), math.log(0.031), 1.12, True, 1.0)
@example(math.log(1.029109471271011e169), math.log(1.5275510581299967e173), math.log(0.074), 0.0068, True, 0.97)
@example(306.0, 1.1139180885430915, 1.0, 1.0, False, 1.0)  # SCALAR region: the price was the scalar x's
def test_black_greeks_far_apart_are_the_one_option_path(log_f, log_k, log_spread, t, is_call, discount):
    """black_greeks (the blocks) where ``b`` or the Gaussian factor ``e^{−(h²+t²)/2}`` is below the
    normal doubles and √(F·K) lifts the price or ``F·φ(d1)`` back into them: the one-option path's
    Greeks (which form both from logs) to 1e-12 relative plus what an ulp of the Gaussian's
    exponent moves them by (1e-290 absolutely below that), alone and among desk options; the
    price and vega also against mpmath, and the price is black_price's to the bit. Before, the
    blocks gave the product of a subnormal ``b`` (the price of F = 8.8e60, K = 1.1e62 off by
    1.6e-10 relative, or 0 for 2e-183) and of a subnormal Gaussian factor (vega 0 for 2.1e-37)."""
    forward, strike, t, vol, is_call = option(log_f, log_k, log_spread, t, is_call)
    one = scalar.black_greeks(forward, strike, t, vol, is_call=is_call, discount=discount)
    alone = black_greeks(forward, strike, t, vol, is_call=is_call, discount=discount)
    batch = black_greeks(np.array([3000.0, forward, 3000.0]), np.array([2900.0, strike, 3100.0]),
                         np.array([0.1, t, 0.5]), np.array([0.5, vol, 0.8]), is_call=np.array([True, is_call, False]),
                         discount=discount)
    s = vol * math.sqrt(t)
    x = -abs(math.log(forward) - math.log(strike))
    q = 0.5 * ((x / s) ** 2 + s * s / 4)
    rel = 1e-12 + 8 * (q + abs(x)) * EPS
    # A Greek that is a difference is compared against the size of its terms (d1 = x/s + s/2 and
    # d2 = d1 − s cancel near the money; theta adds the discount's carry r·price).
    vega, d1_size = abs(one.vega), abs(x / s) + s / 2
    rate = -math.log(discount) / t
    scales = {"theta": vega * vol / (2 * t) + abs(rate * one.price), "vanna": vega * (d1_size + s) / (forward * s),
              "volga": vega * d1_size * (d1_size + s) / vol}
    for name in GREEK_NAMES:
        a, in_batch, b = float(getattr(alone, name)), float(getattr(batch, name)[1]), getattr(one, name)
        assert a == in_batch or (math.isnan(a) and math.isnan(in_batch)), name
        assert abs(a - b) <= rel * max(abs(a), abs(b), scales.get(name, 0.0)) + 1e-290, (name, a, b)
    # The Greeks' price is black_price's to the bit (implied vol inverts the latter).
    assert float(alone.price) == float(black_price(forward, strike, t, vol, is_call=is_call, discount=discount))
    truth = Truth(forward, strike, t, vol, is_call)
    price = float(alone.price)
    tolerance = (1e-13 * (truth.price - truth.intrinsic) + 4 * EPS * (abs(truth.x) + 1.0) * truth.moneyness
                 + 4 * EPS * truth.price + 4 * EPS * vol * truth.vega + 1e-300)
    assert abs(price - discount * truth.price) <= discount * tolerance, (price, truth.price)
    assert abs(float(alone.vega) - discount * truth.vega) <= rel * discount * truth.vega + 1e-290, (
        float(alone.vega), truth.vega)
