"""One option in pure Python (``math`` only): Black-76 and Black-Scholes-Merton price and Greeks,
and implied volatility, for callers that price one option and should not wait for numpy, numba
and scipy to load (``optio price`` and ``optio iv`` start in a tenth of the time).

Why a second implementation: the vectorised engine (:mod:`optio.pricing.black_scholes`,
:mod:`optio.pricing.implied_vol`) is compiled with numba and loads scipy's special functions;
importing it costs about a second, against microseconds for the work on one option. This module
is the same mathematics in scalar form, and nothing else: the normalised Black ``b(x, s)`` by the
regions and series of :func:`optio.pricing.normalised_black.otm_call_scalar`, the Greeks by the
formulas of :mod:`optio.pricing._black_kernels`, and implied vol by the same "Let's Be Rational"
steps as :mod:`optio.pricing._implied_vol_blocks` (rational-cubic initial guess, Householder
steps of order 4, a third where the second still moved). Batches belong to the engine.

What differs, and why it costs no accuracy:

- scipy's ``erfcx`` is ``erfc(z)·e^{z²}`` of one rounded ``z`` with ``z²`` carried exactly as a
  pair (the engine's lanes do the same, :func:`optio.pricing._normalised_black_blocks.mills_ys`),
  and its asymptotic series beyond ``z = 26``, where ``erfc`` nears underflow;
- scipy's ``erfinv`` (implied vol at the money) is Halley's iteration on ``erf`` (on ``erfc``
  above 1/2, where ``1 − y`` is exact), converged to the last bit of its residual;
- implied vol evaluates ``b`` exactly at every step, where the blocks save time with a ~1e-11
  evaluation in the first ones (an error the last step removes either way);
- the inversions Householder's steps do not settle (:func:`bracketed_total_vol`,
  :func:`underflowed_vol`) are written here once: the engine runs this code compiled
  (:mod:`optio.pricing._compiled_twins`);
- ``math``'s exceptions are IEEE results here: ``exp`` overflows to inf, ``log(0)`` is −inf, a
  division by zero is ±inf or NaN, as in the compiled code.

``tests/pricing/test_scalar.py`` holds both paths together on a hypothesis domain: prices and
Greeks within 1e-12 relative, implied vol to the conditioning of the input price, every status.
Units are those of :mod:`optio.pricing.black_scholes`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from optio.pricing._errors import PricingInputError

DAYS_PER_YEAR = 365.0

SQRT_PI = math.sqrt(math.pi)
SQRT_2PI = math.sqrt(2.0 * math.pi)
INV_SQRT_2PI = 1.0 / SQRT_2PI
SQRT_PI_OVER_2 = math.sqrt(math.pi / 2.0)
INV_SQRT2 = 1.0 / math.sqrt(2.0)

# The regions of the normalised Black: the values of optio.pricing.normalised_black (the tests
# check that they are the same).
ASYMPTOTIC_Z = 10.0
ASYMPTOTIC_TERMS = 30
SMALL_T = 0.21
TAYLOR_ORDER = 15
INVERSE_ODD_FACTORIALS = tuple(1.0 / math.factorial(2 * k + 1) for k in range(TAYLOR_ORDER // 2 + 1))
NAIVE_ERROR_ULPS = 32.0
PHI_NORMAL_FROM = -37.0

#: Implied-vol status codes: the values of :class:`optio.pricing.implied_vol.IVStatus`.
OK, BELOW_INTRINSIC, ABOVE_MAXIMUM, EXPIRED, INVALID_INPUT, NO_INFORMATION = range(6)
STATUS_NAMES = ("OK", "BELOW_INTRINSIC", "ABOVE_MAXIMUM", "EXPIRED", "INVALID_INPUT", "NO_INFORMATION")
#: Internal, never returned: an option the vectorised engine leaves to this module (a time
#: value that is a normal double whose β = time value/√(F·K) is not, or steps that did not
#: settle), which :func:`bracketed_total_vol` inverts, or NO_INFORMATION.
DEFERRED = 6
#: The objective each inversion iterates on (optio.pricing._implied_vol_blocks).
LOWEST, MIDDLE, HIGHEST = range(3)
THIRD_STEP_ABOVE = 1e-5
MAX_STEPS = 3

_SQRT3 = math.sqrt(3.0)
_TWO_PI = 2.0 * math.pi
_TWO_PI_OVER_SQRT27 = _TWO_PI / math.sqrt(27.0)
_PI_OVER_6 = math.pi / 6.0
_TINY = 2.2250738585072014e-308
_BELOW_ONE = 1.0 - 2.0**-53
_AS_C0, _AS_C1, _AS_C2 = 2.515517, 0.802853, 0.010328
_AS_D1, _AS_D2, _AS_D3 = 1.432788, 0.189269, 0.001308
_LN_HALF = math.log(0.5)
_LN_SMALLEST = math.log(5e-324)
_EPS = 2.0**-52
#: The rational cubic's control parameter bounds (optio.pricing._rational_cubic).
R_MIN = -(1.0 - math.sqrt(_EPS))
R_MAX = 2.0 / (_EPS * _EPS)
#: ``ln 2`` in two parts (optio.pricing.moneyness).
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
#: Veltkamp's splitting constant 2^27 + 1.
_SPLIT = 134217729.0
#: erfcx by ``erfc(z)·e^{z²}`` below this, by its asymptotic series from here (erfc(26) = 5.7e-296).
_ERFCX_SERIES_FROM = 26.0


# --- IEEE arithmetic where math raises ------------------------------------------------------------


def _exp(v: float) -> float:
    """``math.exp``, inf where it overflows (as libm and numba give)."""
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


def _log(v: float) -> float:
    """``math.log``, −inf at 0 and NaN below (as libm and numba give)."""
    if v > 0.0:
        return math.log(v)
    return -math.inf if v == 0.0 else math.nan


def _div(a: float, b: float) -> float:
    """``a / b`` with IEEE's answer at ``b = 0`` (±inf, or NaN for 0/0) instead of an exception."""
    if b != 0.0:
        return a / b
    if a == 0.0 or a != a:
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


# --- special functions ------------------------------------------------------------------------------


def norm_cdf(u: float) -> float:
    """Standard normal CDF ``Φ(u)`` via erfc (relative accuracy in both tails)."""
    return 0.5 * math.erfc(-u * INV_SQRT2)


def erfcx(z: float) -> float:
    """Scaled complementary error function ``e^{z²}·erfc(z)``, to a few ulp.

    Below ``z = 26``: ``erfc(z)·e^{z²}`` of the one rounded ``z``, with ``z² = hi + lo`` exact
    (Veltkamp's split) and ``e^{z²} = e^{hi}·(1 + lo)``: erfc and the exponential are steep in
    opposite directions, so their product is well conditioned. From 26 on, erfc nears underflow,
    and the asymptotic series ``Σ (−1)^k (2k−1)!!/(2z²)^k / (z√π)`` converges within 8 terms.
    """
    if z != z:
        return math.nan
    if z < _ERFCX_SERIES_FROM:
        scaled = _SPLIT * z
        high = scaled - (scaled - z)
        low = z - high
        square = z * z
        square_low = ((high * high - square) + 2.0 * high * low) + low * low
        return math.erfc(z) * (_exp(square) * (1.0 + square_low))
    inverse = 0.5 / (z * z)
    term = 1.0
    total = 1.0
    for k in range(1, 30):
        term *= -(2 * k - 1) * inverse
        total += term
        if abs(term) <= 1e-17 * total:
            break
    return total / (z * SQRT_PI)


def _erfinv_guess(y: float) -> float:
    """Giles (2010), "Approximating the erfinv function", single-precision coefficients: within
    about 1e-7 relative, a start for :func:`erfinv`'s Halley steps."""
    w = -math.log((1.0 - y) * (1.0 + y))
    if w < 5.0:
        w -= 2.5
        p = 2.81022636e-08
        for c in (
            3.43273939e-07,
            -3.5233877e-06,
            -4.39150654e-06,
            0.00021858087,
            -0.00125372503,
            -0.00417768164,
            0.246640727,
            1.50140941,
        ):
            p = c + p * w
    else:
        w = math.sqrt(w) - 3.0
        p = -0.000200214257
        for c in (
            0.000100950558,
            0.00134934322,
            -0.00367342844,
            0.00573950773,
            -0.0076224613,
            0.00943887047,
            1.00167406,
            2.83297682,
        ):
            p = c + p * w
    return p * y


def erfinv(y: float) -> float:
    """Inverse error function on ``[−1, 1]`` (±inf at ±1, NaN outside), to an ulp or two.

    Halley's iteration from :func:`_erfinv_guess` on ``erf(z) = y`` below 1/2 and on
    ``erfc(z) = 1 − y`` above (``1 − y`` is exact there, and erfc keeps its relative accuracy
    where erf rounds to 1), stopped when a step no longer moves ``z`` by more than an ulp.
    """
    if not -1.0 <= y <= 1.0:
        return math.nan
    if abs(y) == 1.0:
        return math.copysign(math.inf, y)
    if y == 0.0:
        return y
    a = abs(y)
    z = _erfinv_guess(a)
    tail = a > 0.5
    complement = 1.0 - a
    for _ in range(50):  # 1 to 3 steps; 7 from the guess's worst, 12% off at y = 1 − 2⁻⁵³
        residual = complement - math.erfc(z) if tail else math.erf(z) - a
        ratio = residual / (2.0 / SQRT_PI * math.exp(-z * z))  # f/f'; f''/f' = −2z
        step = ratio / (1.0 + z * ratio)
        z -= step
        if abs(step) <= 2e-16 * z:
            break
    return math.copysign(z, y)


# --- F and K through ln(F/K) and √(FK) (optio.pricing.moneyness) ---------------------------------------


def _exponent(value: float) -> int:
    """The binary exponent of a positive finite double, clamped to [−1022, 1022]."""
    return min(max(math.frexp(value)[1] - 1, -1022), 1022)


def sqrt_product(forward: float, strike: float) -> float:
    """``√(F·K)`` without over- or underflow: bitwise ``math.sqrt(F*K)`` wherever that is normal."""
    a = _exponent(forward) >> 1
    c = _exponent(strike) >> 1
    root = math.sqrt((forward * math.ldexp(1.0, -2 * a)) * (strike * math.ldexp(1.0, -2 * c)))
    return root * math.ldexp(1.0, a + c)


def ratio_and_octaves(forward: float, strike: float) -> tuple[float, float]:
    """``(r, n)`` with ``F/K = r·2ⁿ`` and ``r`` a normal double (``(F/K, 0)`` wherever it is one)."""
    q = forward / strike
    if _TINY <= q < math.inf:
        return q, 0.0
    a = _exponent(forward)
    c = _exponent(strike)
    return (forward * math.ldexp(1.0, -a)) / (strike * math.ldexp(1.0, -c)), float(a - c)


def add_octaves(log_r: float, octaves: float) -> float:
    """``ln r + n·ln 2`` with ``ln 2`` in two parts (exactly ``ln r`` where ``n = 0``)."""
    return (octaves * LN2_HI + log_r) + octaves * LN2_LO


def log_moneyness(forward: float, strike: float) -> float:
    """``ln(F/K)`` for any positive finite F and K."""
    r, n = ratio_and_octaves(forward, strike)
    return add_octaves(math.log(r), n)


# --- the normalised Black b(x, s) (optio.pricing.normalised_black) ----------------------------------


def mills_y(u: float) -> float:
    """``Y(u) = Φ(u)/φ(u) = √(π/2)·erfcx(−u/√2)``."""
    return SQRT_PI_OVER_2 * erfcx(-INV_SQRT2 * u)


def asymptotic_bracket(h: float, t: float) -> float:
    """``Y(h+t) − Y(h−t)`` for ``h + t ≤ −ASYMPTOTIC_Z`` by the asymptotic series of the Mills
    ratio, its differences built by a recurrence of positive terms (nothing cancels)."""
    z = -h
    a = 1.0 / (z - t)
    b = 1.0 / (z + t)
    a_minus_b = 2.0 * t * a * b
    d = a_minus_b
    b_pow = b
    total = d
    coefficient = 1.0
    for k in range(1, ASYMPTOTIC_TERMS):
        d = a * d + b_pow * a_minus_b
        b_pow = b_pow * b
        d = a * d + b_pow * a_minus_b
        b_pow = b_pow * b
        coefficient *= -(2 * k - 1)
        term = coefficient * d
        total += term
        if abs(term) <= 1e-17 * abs(total):
            break
    return total


def taylor_bracket(h: float, t: float, y: float) -> float:
    """``Y(h+t) − Y(h−t)`` for small ``t`` by its Taylor series in ``t``, given ``y = Y(h)``."""
    y_prev = y
    y_curr = 1.0 + h * y_prev
    t2 = t * t
    total = y_curr
    power = 1.0
    for n in range(1, TAYLOR_ORDER):
        y_prev, y_curr = y_curr, h * y_curr + n * y_prev
        if n % 2 == 0:
            power = power * t2
            total += y_curr * power * INVERSE_ODD_FACTORIALS[n // 2]
    return 2.0 * t * total


def two_term_is_accurate(u: float, down: float, first: float, value: float, ulps: float = NAIVE_ERROR_ULPS) -> bool:
    """Whether the two-term ``b = first − e^{−x/2}Φ(h−t)`` (``down = h − t``) is within ``ulps`` of
    its rounding (optio.pricing.normalised_black.two_term_is_accurate)."""
    return (u > 0.85 or first * (1.0 + u * u) <= ulps * value) and down >= PHI_NORMAL_FROM


def second_term(h: float, t: float, half: float) -> float:
    """``e^{−x/2}Φ(h − t)`` without the underflow of Φ (optio.pricing.normalised_black.second_term)."""
    down = h - t
    if down >= PHI_NORMAL_FROM:
        return norm_cdf(down) / half
    return INV_SQRT_2PI * math.exp(-0.5 * (h * h + t * t)) * mills_y(down)


def otm_call(x: float, s: float) -> float:
    """``b(x, s)`` for ``x ≤ 0`` and ``s ≥ 0`` (0 at ``s = 0``, ``e^{x/2}`` at ``s = ∞``), to about
    1e-14 relative: the asymptotic series deep in the left tail, the Taylor series for small
    ``t = s/2``, else the two-term formula where its error estimate allows and the difference of
    two Mills ratios where not."""
    if not s > 0.0:
        return 0.0
    if s == math.inf:
        return math.exp(0.5 * x)
    h = x / s
    t = 0.5 * s
    if h + t < -ASYMPTOTIC_Z:
        return INV_SQRT_2PI * math.exp(-0.5 * (h * h + t * t)) * asymptotic_bracket(h, t)
    if t < SMALL_T:
        return INV_SQRT_2PI * math.exp(-0.5 * (h * h + t * t)) * taylor_bracket(h, t, mills_y(h))
    half = math.exp(0.5 * x)
    first = half * norm_cdf(h + t)
    value = first - second_term(h, t, half)
    if two_term_is_accurate(h + t, 0.0, first, value):
        return value
    return INV_SQRT_2PI * math.exp(-0.5 * (h * h + t * t)) * (mills_y(h + t) - mills_y(h - t))


def _value_and_gauss(x: float, s: float) -> tuple[float, float]:
    """``b(x, s)`` and ``e^{−(h²+t²)/2}`` (so that ``∂b/∂s`` is the latter over √(2π))."""
    h = _div(x, s)
    t = 0.5 * s
    return otm_call(x, s), math.exp(-0.5 * (h * h + t * t))


# --- price and Greeks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionGreeks:
    """Price and sensitivities of one option (floats; units as :class:`optio.pricing.black_scholes.Greeks`)."""

    price: float
    delta: float
    gamma: float
    vega: float
    theta: float
    rho: float
    vanna: float
    volga: float

    @property
    def theta_per_day(self) -> float:
        """Theta per calendar day (365 a year)."""
        return self.theta / DAYS_PER_YEAR

    @property
    def vega_per_point(self) -> float:
        """Vega per 1 vol point (0.01 of vol)."""
        return self.vega / 100.0


def _valid(forward: float, strike: float, expiry_years: float, vol: float, discount: float) -> bool:
    return (
        0.0 < forward < math.inf
        and 0.0 < strike < math.inf
        and 0.0 <= expiry_years < math.inf
        and 0.0 <= vol < math.inf
        and 0.0 < discount < math.inf
    )


def _check(forward: float, strike: float, expiry_years: float, vol: float, discount: float) -> None:
    """:class:`PricingInputError` naming the first input outside the domain, in the engine's words."""
    for name, rule, ok, value in (
        ("forward/spot", "positive and finite", 0.0 < forward < math.inf, forward),
        ("strike", "positive and finite", 0.0 < strike < math.inf, strike),
        ("expiry_years", "≥ 0 and finite", 0.0 <= expiry_years < math.inf, expiry_years),
        ("vol", "≥ 0 and finite", 0.0 <= vol < math.inf, vol),
        ("discount", "positive and finite", 0.0 < discount < math.inf, discount),
    ):
        if not ok:
            raise PricingInputError(f"{name} must be {rule}; got {value!r}")


def _sensitivities(
    discount: float,
    forward: float,
    forward_pdf: float,
    s: float,
    sqrt_t: float,
    vol: float,
    d1: float,
    rate: float,
    price: float,
) -> tuple[float, float, float, float, float]:
    """Gamma, vega, theta, vanna and volga from ``F·φ(d1)`` (optio.pricing._black_kernels)."""
    pdf = forward_pdf / forward
    d2 = d1 - s
    vega = discount * forward_pdf * sqrt_t
    return (
        _div(discount * pdf, forward * s),
        vega,
        -discount * forward_pdf * vol / (2.0 * sqrt_t) + rate * price,
        -discount * pdf * d2 / vol,
        vega * d1 * d2 / vol,
    )


def forward_pdf(sqrt_fk: float, h: float, t: float) -> float:
    """``F·φ(d1) = K·φ(d2) = √(F·K)·e^{−(h²+t²)/2}/√(2π)`` (``h = x/s``, ``t = s/2``), in the units
    of F and K: symmetric in F and K, so it does not overflow. Where the Gaussian factor is below
    the normal doubles (it has lost digits there) but √(F·K) > 1 may lift the product back into
    them, as ``e^{ln √(F·K) − (h²+t²)/2}/√(2π)``: F = 2.4e298, K = 5.1e-37, σ√T = 38.4 has a
    Gaussian factor of e^{-771} and a vega of 2.1e-37. The vectorised Greeks run this very code,
    compiled (:mod:`optio.pricing._compiled_twins`), for their options in that range."""
    q = 0.5 * (h * h + t * t)
    gauss = _exp(-q)
    if gauss >= _TINY or not sqrt_fk > 1.0:
        return sqrt_fk * gauss * INV_SQRT_2PI
    return _exp(_log(sqrt_fk) - q) * INV_SQRT_2PI


def black_greeks(
    forward: float, strike: float, expiry_years: float, vol: float, *, is_call: bool, discount: float = 1.0
) -> OptionGreeks:
    """Black-76 price and Greeks of one option with respect to the forward (rho: the discount only).

    The scalar form of :func:`optio.pricing.black_scholes.black_greeks`, limits included (σ√T = 0:
    intrinsic value, step delta, Dirac gamma at the money); raises :class:`PricingInputError`.
    """
    forward, strike, expiry_years, vol, discount = (float(v) for v in (forward, strike, expiry_years, vol, discount))
    if not _valid(forward, strike, expiry_years, vol, discount):
        _check(forward, strike, expiry_years, vol, discount)
    sign = 1.0 if is_call else -1.0
    log_ratio = log_moneyness(forward, strike)
    rate = -math.log(discount) / expiry_years if discount != 1.0 and expiry_years > 0.0 else 0.0
    sqrt_t = math.sqrt(expiry_years)
    s = vol * sqrt_t
    x = -abs(log_ratio)
    sqrt_fk = sqrt_product(forward, strike)
    price = discount * (max(sign * (forward - strike), 0.0) + time_value(sqrt_fk, x, s, otm_call(x, s)))
    rho = -expiry_years * price
    if not 0.0 < s < math.inf:
        at_money = log_ratio == 0.0 and s == 0.0
        in_money = is_call if s == math.inf else sign * log_ratio > 0.0
        return OptionGreeks(
            price=price,
            delta=discount * sign * (0.5 if at_money else (1.0 if in_money else 0.0)),
            gamma=math.inf if at_money else 0.0,
            vega=discount * forward * INV_SQRT_2PI * sqrt_t if at_money else 0.0,
            theta=(-math.inf if at_money and vol > 0.0 else 0.0) + rate * price,
            rho=rho,
            vanna=0.0,
            volga=0.0,
        )
    # Φ(±d1) from erfc of |h + t| and of −(h − t), as the compiled Greeks take them: a put's tiny
    # delta far in the money keeps its digits.
    h = x / s
    half_s = 0.5 * s
    u = h + half_s
    tail_up = 0.5 * math.erfc(abs(u) * INV_SQRT2)
    cdf_down = 0.5 * math.erfc(-(h - half_s) * INV_SQRT2)
    in_the_money = log_ratio > 0.0
    if in_the_money:
        d1, cdf_d1, cdf_minus_d1 = half_s - h, 1.0 - cdf_down, cdf_down
    else:
        d1 = u
        cdf_d1, cdf_minus_d1 = (1.0 - tail_up, tail_up) if u > 0.0 else (tail_up, 1.0 - tail_up)
    gamma, vega, theta, vanna, volga = _sensitivities(discount, forward, forward_pdf(sqrt_fk, h, half_s), s, sqrt_t,
                                                      vol, d1, rate, price)
    return OptionGreeks(
        price=price,
        delta=discount * (cdf_d1 if is_call else -cdf_minus_d1),
        gamma=gamma,
        vega=vega,
        theta=theta,
        rho=rho,
        vanna=vanna,
        volga=volga,
    )


def forward_and_discount(spot: float, expiry_years: float, rate: float, dividend: float) -> tuple[float, float]:
    """``(S·e^{(r−q)T}, e^{−rT})``: BSM on spot as Black-76 on the forward."""
    return spot * _exp((rate - dividend) * expiry_years), _exp(-rate * expiry_years)


def bsm_greeks(
    spot: float,
    strike: float,
    expiry_years: float,
    vol: float,
    *,
    is_call: bool,
    rate: float = 0.0,
    dividend: float = 0.0,
) -> OptionGreeks:
    """BSM price and Greeks of one option with respect to spot: the scalar form of
    :func:`optio.pricing.black_scholes.bsm_greeks` (theta per year, rho per 1.00 of ``rate``).

    >>> round(bsm_greeks(49, 50, 0.3846, 0.2, is_call=True, rate=0.05).delta, 3)
    0.522
    """
    spot, expiry_years, rate, dividend = (float(v) for v in (spot, expiry_years, rate, dividend))
    for name, value in (("rate", rate), ("dividend", dividend)):
        if not math.isfinite(value):
            raise PricingInputError(f"{name} must be finite; got {value!r}")
    forward, discount = forward_and_discount(spot, expiry_years, rate, dividend)
    g = black_greeks(forward, strike, expiry_years, vol, is_call=is_call, discount=discount)
    growth = forward / spot
    return OptionGreeks(
        price=g.price,
        delta=g.delta * growth,
        gamma=g.gamma * growth * growth,
        vega=g.vega,
        theta=g.theta - (rate - dividend) * forward * g.delta,
        rho=-expiry_years * g.price + expiry_years * forward * g.delta,
        vanna=g.vanna * growth,
        volga=g.volga,
    )


def bsm_price(
    spot: float,
    strike: float,
    expiry_years: float,
    vol: float,
    *,
    is_call: bool,
    rate: float = 0.0,
    dividend: float = 0.0,
) -> float:
    """BSM price of one option (Hull example 15.6: S=42, K=40, r=10%, σ=20%, T=0.5 → call 4.76).

    >>> round(bsm_price(42, 40, 0.5, 0.2, is_call=True, rate=0.1), 2)
    4.76
    """
    return bsm_greeks(spot, strike, expiry_years, vol, is_call=is_call, rate=rate, dividend=dividend).price


# --- implied volatility -----------------------------------------------------------------------------


class OneImpliedVol(NamedTuple):
    """Implied vol of one option: ``vol`` (NaN unless ``status == OK``) and its status code."""

    vol: float
    status: int

    @property
    def reason(self) -> str:
        return STATUS_NAMES[self.status]


def verdict(b: float, time_value: float, t: float, at_or_above_maximum: bool) -> int:
    """The status of an option from ``β = time value/√(F·K)``, its undiscounted time value, T and
    whether the price reaches its upper bound; both paths decide so (the engine's blocks call
    this too, compiled). A β below the normal doubles has lost digits: :data:`DEFERRED` where
    the time value itself is a normal double (:func:`bracketed_total_vol` finds σ), else
    :data:`NO_INFORMATION` (a subnormal time value determines σ to a few digits at best, and a
    zero one not at all); so is β = 0 exactly. T = 0 with a price off the intrinsic value is
    :data:`EXPIRED`."""
    small = b < _TINY
    status = (DEFERRED if (time_value >= _TINY) & (t > 0.0) else NO_INFORMATION) if small else OK
    status = EXPIRED if (t == 0.0) & (b != 0.0) else status
    status = ABOVE_MAXIMUM if at_or_above_maximum else status
    return BELOW_INTRINSIC if b < 0.0 else status


def _rational_cubic(
    x: float, x_l: float, x_r: float, y_l: float, y_r: float, d_l: float, d_r: float, r: float
) -> float:
    """Delbourgo–Gregory rational cubic (optio.pricing._rational_cubic.interpolate)."""
    h = x_r - x_l
    t = _div(x - x_l, h)
    omt = 1.0 - t
    if r >= R_MAX:
        return y_r * t + y_l * omt
    t2 = t * t
    omt2 = omt * omt
    numerator = y_r * t2 * t + (r * y_r - h * d_r) * t2 * omt + (r * y_l + h * d_l) * t * omt2 + y_l * omt2 * omt
    return _div(numerator, 1.0 + (r - 3.0) * t * omt)


def _minimum_control(d_l: float, d_r: float, slope: float, prefer_shape: bool) -> float:
    monotonic = d_l * slope >= 0.0 and d_r * slope >= 0.0
    convex = d_l <= slope <= d_r
    concave = d_l >= slope >= d_r
    if not (monotonic or convex or concave):
        return R_MIN
    big = R_MAX if prefer_shape else -math.inf
    r1 = -math.inf
    if monotonic:
        r1 = (d_r + d_l) / slope if slope != 0.0 else big
    r2 = R_MAX if monotonic and prefer_shape else -math.inf
    if convex or concave:
        s_m_d_l = slope - d_l
        d_r_m_s = d_r - slope
        d_r_m_d_l = d_r - d_l
        degenerate = s_m_d_l == 0.0 or d_r_m_s == 0.0
        r2 = big if degenerate else max(abs(d_r_m_d_l / d_r_m_s), abs(d_r_m_d_l / s_m_d_l))
    return max(R_MIN, max(r1, r2))


def _control_fitting_curvature(
    x_l: float,
    x_r: float,
    y_l: float,
    y_r: float,
    d_l: float,
    d_r: float,
    second: float,
    at_left: bool,
    prefer_shape: bool,
) -> float:
    h = x_r - x_l
    slope = _div(y_r - y_l, h)
    numerator = 0.5 * h * second + (d_r - d_l)
    denominator = (slope - d_l) if at_left else (d_r - slope)
    flat = R_MAX if numerator > 0.0 else R_MIN
    r = numerator / denominator if denominator != 0.0 else flat
    return max(r, _minimum_control(d_l, d_r, slope, prefer_shape))


def _initial_guess(beta: float, x: float, half: float) -> tuple[float, int]:
    """Jäckel's four-branch initial guess of ``s`` and the branch whose objective it iterates on
    (optio.pricing._implied_vol_blocks: _centres … _tail_guesses, for one option)."""
    s_c = math.sqrt(-2.0 * x)
    first = 0.5 * half
    b_c = first - 0.5 * math.erfc(math.sqrt(-x)) / half
    gauss_c = half
    if not two_term_is_accurate(0.0, -s_c, first, b_c):
        b_c = otm_call(x, s_c)
    # The far end of the option's side of the inflection point: one Newton step from s_c.
    v_c = INV_SQRT_2PI * gauss_c
    below = beta < b_c
    s_e = max(s_c - b_c / v_c, _TINY) if below else s_c + (half - b_c) / v_c
    b_e, gauss_e = _value_and_gauss(x, s_e)
    if below and beta < b_e:
        branch = LOWEST
    elif not below and beta > b_e:
        branch = HIGHEST
    else:
        branch = MIDDLE
    if branch == MIDDLE:
        inv_v_c = _div(SQRT_2PI, gauss_c)
        inv_v_e = _div(SQRT_2PI, gauss_e)
        nodes = (b_e, b_c, s_e, s_c, inv_v_e, inv_v_c) if below else (b_c, b_e, s_c, s_e, inv_v_c, inv_v_e)
        r = _control_fitting_curvature(*nodes, 0.0, not below, False)
        return _rational_cubic(beta, *nodes, r), branch
    ax = -x
    if branch == LOWEST:
        z = ax / (_SQRT3 * s_e)
        y = z * z
        phi_cdf = 0.5 * math.erfc(INV_SQRT2 * z)
        phi_pdf = INV_SQRT_2PI * math.exp(-0.5 * y)
        exp_b = _exp(y + 0.125 * s_e * s_e)
        s2 = s_e * s_e
        f_l = _TWO_PI_OVER_SQRT27 * ax * phi_cdf * phi_cdf * phi_cdf
        df_l = _TWO_PI * y * phi_cdf * phi_cdf * exp_b
        d2f_l = (
            _div(_PI_OVER_6 * y, s2 * s_e)
            * phi_cdf
            * (8.0 * _SQRT3 * s_e * ax + _div((3.0 * s2 * (s2 - 8.0) - 8.0 * ax * ax) * phi_cdf, phi_pdf))
            * exp_b
            * exp_b
        )
        nodes = (0.0, b_e, 0.0, f_l, 1.0, df_l)
        r = _control_fitting_curvature(*nodes, d2f_l, False, True)
        f = _rational_cubic(beta, *nodes, r)
        u = beta / b_e
        f = f if f > 0.0 else (f_l * u + b_e * (1.0 - u)) * u
        p = f / (_TWO_PI_OVER_SQRT27 * -x)
    else:
        w = (x / s_e) * (x / s_e)
        f_u = 0.5 * math.erfc(INV_SQRT2 * (0.5 * s_e))
        df_u = -0.5 * _exp(0.5 * w)
        h = ax / s_e
        d2f_u = SQRT_PI_OVER_2 * _exp(w + 0.125 * s_e * s_e) * h * h / s_e
        nodes = (b_e, half, f_u, 0.0, df_u, -0.5)
        r = _control_fitting_curvature(*nodes, d2f_u, True, True)
        f = _rational_cubic(beta, *nodes, r)
        u = (beta - b_e) / (half - b_e)
        p = f if f > 0.0 else (f_u * (1.0 - u) + 0.5 * (half - b_e) * u) * (1.0 - u)
    # The tail maps' inverses: z ≈ Φ⁻¹(q) by Abramowitz & Stegun 26.2.23 (q = p^{1/3} lowest).
    lp = max(_log(p), _LN_SMALLEST)
    lq = min(lp / 3.0 if branch == LOWEST else lp, _LN_HALF)
    t = math.sqrt(-2.0 * lq)
    z = -(t - (_AS_C0 + t * (_AS_C1 + t * _AS_C2)) / (1.0 + t * (_AS_D1 + t * (_AS_D2 + t * _AS_D3))))
    return (_div(x, _SQRT3 * z) if branch == LOWEST else -2.0 * z), branch


def _householder(s: float, x: float, beta: float, ln_beta: float, half: float, branch: int) -> float:
    """One fourth-order Householder step's update of ``s`` on the branch's objective
    (optio.pricing._implied_vol_blocks._householder, for one option)."""
    b, gauss = _value_and_gauss(x, s)
    if branch == LOWEST:
        ln_b = _log(b)
    elif branch == HIGHEST:
        ln_b = _log(_div(half - b, half - beta))
    else:
        ln_b = 0.0
    b1 = INV_SQRT_2PI * gauss
    x2 = x * x
    inverse_s = _div(1.0, s)
    inverse_s2 = inverse_s * inverse_s
    second = x2 * inverse_s2 * inverse_s - 0.25 * s
    third = second * second - 3.0 * x2 * inverse_s2 * inverse_s2 - 0.25
    gap = half - b
    lowest = branch == LOWEST
    highest = branch == HIGHEST and gap > 0.0  # b(s) rounded to b_max: the plain objective there
    if lowest:
        ratio = _div(b1, b)
        inverse_ln_b = _div(1.0, ln_b)
        g2 = -(2.0 + ln_b) * inverse_ln_b
        g3 = (2.0 * ln_b * ln_b + 6.0 * ln_b + 6.0) * inverse_ln_b * inverse_ln_b
        newton = _div(ln_b * (ln_beta - ln_b), ln_beta * ratio)
        halley = g2 * ratio + second
        third_ratio = g3 * ratio * ratio + 3.0 * g2 * ratio * second + third
    elif highest:
        ratio = b1 / gap
        newton = _div(gap * ln_b, b1)
        halley = ratio + second
        third_ratio = 2.0 * ratio * ratio + 3.0 * ratio * second + third
    else:
        newton = _div(beta - b, b1)
        halley = second
        third_ratio = third
    update = _div(newton * (1.0 + 0.5 * halley * newton), 1.0 + newton * (halley + third_ratio * newton / 6.0))
    update = max(update, -0.5 * s)  # never jump to or below zero
    return update if abs(update) < math.inf else math.inf  # degenerate: settles nothing


#: ``ln √(2π)``: ``ln b = −(h²+t²)/2 − ln √(2π) + ln(Y(h+t) − Y(h−t))``.
_LN_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
#: Steps of :func:`bracketed_total_vol` before it gives up (it needs a dozen or two).
_BRACKETED_STEPS = 200


def _log_value_and_ratio(x: float, s: float) -> tuple[float, float]:
    """``ln b(x, s)`` and ``b'/b`` (per unit of ``s``) for ``x < 0``, without forming ``b``, which
    may be below the doubles' normal range: ``b = e^{−(h²+t²)/2}/√(2π) · (Y(h+t) − Y(h−t))`` with
    the bracket by :func:`otm_call`'s regions, and where ``h + t > 0.85`` (where ``Y(h+t)`` may
    overflow) ``b = e^{x/2}(Φ(h+t) − φ(h+t)·Y(h−t))``, which has no cancellation there."""
    h = x / s
    t = 0.5 * s
    u = h + t
    ln_gauss = -0.5 * (h * h + t * t) - _LN_SQRT_2PI  # ln b' (b' = ∂b/∂s)
    if u > 0.85:
        ln_b = 0.5 * x + _log(norm_cdf(u) - INV_SQRT_2PI * _exp(-0.5 * u * u) * mills_y(h - t))
        return ln_b, _exp(ln_gauss - ln_b)
    if u < -ASYMPTOTIC_Z:
        bracket = asymptotic_bracket(h, t)
    elif t < SMALL_T:
        bracket = taylor_bracket(h, t, mills_y(h))
    else:
        bracket = mills_y(u) - mills_y(h - t)
    return ln_gauss + _log(bracket), _div(1.0, bracket)


def _objective(x: float, s: float, half: float, upper: bool, target: float) -> tuple[float, float]:
    """An increasing function of ``s`` that is 0 at the implied ``s``, and its derivative:
    ``ln b − ln β`` (lower), or ``ln(b_max − β) − ln(b_max − b)`` (upper) with the gap
    ``b_max − b = e^{x/2}Φ(−h−t) + e^{−x/2}Φ(h−t)`` a sum of two positive terms (as a
    difference, ``b_max − b`` keeps only the gap's digits in ``b_max``'s ulps)."""
    if not upper:
        ln_b, ratio = _log_value_and_ratio(x, s)
        return ln_b - target, ratio
    h = x / s
    t = 0.5 * s
    gap = half * norm_cdf(-(h + t)) + second_term(h, t, half)
    ln_gap = _log(gap)
    return target - ln_gap, _exp(-0.5 * (h * h + t * t) - _LN_SQRT_2PI - ln_gap)


def bracketed_total_vol(x: float, ln_beta: float, half: float, gap: float) -> float:
    """The total vol ``s = σ√T`` with ``b(x, s) = β`` (given ``ln β``, ``half = b_max = e^{x/2}``
    and ``gap = b_max − β``), for the options Householder's steps do not settle:

    - β below the normal doubles (F and K far apart, or a time value far below √(F·K)): F =
      1.5e68, K = 2.5e73 and a price of 8.4e-253 is β = 1.5e-323, three significant digits, and
      σ came out 7e-5 too large with status OK;
    - β so near ``b_max`` that ``b(s)`` rounds to it at the initial guess (``x = −183``,
      ``1 − β/b_max = 8e-10``): the steps crawl or go back and forth, and the third left σ 54%
      too large with status OK.

    Safeguarded Newton (Numerical Recipes' rtsafe) on :func:`_objective`, in ``ln b`` below
    ``b_max/2`` and in ``ln(b_max − b)`` above, neither formed as a difference of nearly equal
    numbers: a bracket from the inflection point ``√(2|x|)`` outwards by doublings, then
    Newton's step where it stays inside the bracket, else a geometric bisection, until a step
    moves ``s`` by at most 4 ulps. NaN where that does not happen or ``s`` is not a normal
    double: the caller reports NO_INFORMATION.

    One implementation for both paths: the vectorised engine runs this code compiled, with the
    compiled helpers in the place of this module's (:mod:`optio.pricing._compiled_twins`).
    """
    upper = gap < 0.5 * half
    # Above b_max/2 only the gap counts: β capped an ulp below b_max has ln β = x/2 to the double.
    if not (x < 0.0 and gap > 0.0 and (upper or ln_beta < 0.5 * x)):
        return math.nan
    target = _log(gap) if upper else ln_beta
    s = math.sqrt(-2.0 * x)
    value, slope = _objective(x, s, half, upper, target)
    low, high = 0.0, math.inf
    factor = 2.0 if value < 0.0 else 0.5
    for _ in range(_BRACKETED_STEPS):  # the bracket: doublings (or halvings) from √(2|x|)
        if not (value == value and _TINY < s < 1e10):
            return math.nan
        if value < 0.0:
            low = s
        else:
            high = s
        if low > 0.0 and high < math.inf:
            break
        s *= factor
        value, slope = _objective(x, s, half, upper, target)
    if not (low > 0.0 and high < math.inf):
        return math.nan
    for _ in range(_BRACKETED_STEPS):
        newton = s - _div(value, slope)
        following = newton if low < newton < high else math.sqrt(low * high)
        step = following - s
        s = following
        if abs(step) <= 4.0 * _EPS * s:
            return s if _TINY < s < math.inf else math.nan
        value, slope = _objective(x, s, half, upper, target)
        if value != value:
            return math.nan
        if value < 0.0:
            low = s
        else:
            high = s
        if high - low <= 4.0 * _EPS * s:
            return s
    return math.nan


def time_value(sqrt_fk: float, x: float, s: float, b: float) -> float:
    """The undiscounted time value ``√(F·K)·b(x, s)`` given ``b`` (``x ≤ 0``): where ``b`` is below
    the normal doubles, as ``e^{ln √(F·K) + ln b}`` with ``ln b`` in log space
    (:func:`_log_value_and_ratio`), since ``b`` has lost digits there while the time value may be
    a normal double (F = 1, K = e^234, σ√T = 6.2: b ~ 1e-314, and the price 2.2e-10 off). The
    engine's price kernel runs this very code, compiled (:mod:`optio.pricing._compiled_twins`)."""
    if b >= _TINY or not (x < 0.0 and 0.0 < s < math.inf):
        return sqrt_fk * b
    ln_b, _ratio = _log_value_and_ratio(x, s)
    return _exp(_log(sqrt_fk) + ln_b)


def underflowed_vol(forward: float, strike: float, t: float, time_value: float) -> tuple[float, int]:
    """σ and its status where β = time value/√(F·K) is below the normal doubles but the
    (undiscounted) time value is not (:data:`DEFERRED`): :func:`bracketed_total_vol` from
    ``ln β = ln(time value) − ln √(F·K)``, which keeps every digit, or NO_INFORMATION. The
    vectorised engine runs this very code, compiled (:mod:`optio.pricing._compiled_twins`)."""
    x = -abs(log_moneyness(forward, strike))
    half = _exp(0.5 * x)
    root = sqrt_product(forward, strike)
    s = bracketed_total_vol(x, _log(time_value) - _log(root), half, half - time_value / root)
    if s == s:
        return s / math.sqrt(t), OK
    return math.nan, NO_INFORMATION


def implied_vol_black(
    price: float, forward: float, strike: float, expiry_years: float, *, is_call: bool, discount: float = 1.0
) -> OneImpliedVol:
    """Black-76 implied vol of one option: the scalar form of
    :func:`optio.pricing.implied_vol.implied_vol_black`, same statuses (never raises on a price)."""
    p, f, k, t, d = (float(v) for v in (price, forward, strike, expiry_years, discount))
    if not _valid(f, k, t, abs(p), d):
        return OneImpliedVol(math.nan, INVALID_INPUT)
    ratio, octaves = ratio_and_octaves(f, k)
    undiscounted = p / d
    intrinsic = max(f - k, 0.0) if is_call else max(k - f, 0.0)
    time_value = undiscounted - intrinsic
    root = sqrt_product(f, k)
    b = time_value / root
    status = verdict(b, time_value, t, undiscounted >= (f if is_call else k))
    if status == DEFERRED:  # β below the normal doubles
        return OneImpliedVol(*underflowed_vol(f, k, t, time_value))
    if status != OK:
        return OneImpliedVol(math.nan, status)
    if ratio == 1.0 and octaves == 0.0:  # at the money: b(0, s) = erf(s/(2√2)) exactly
        return OneImpliedVol(2.0 * math.sqrt(2.0) * erfinv(b) / math.sqrt(t), OK)
    x = -abs(add_octaves(math.log(ratio), octaves))
    half = math.exp(0.5 * x)
    beta = min(b, _BELOW_ONE * half)
    ln_beta = _log(beta)
    s, branch = _initial_guess(beta, x, half)
    # Two steps for all, a third where the second still moved s by more than THIRD_STEP_ABOVE,
    # and the bracketed inversion where the last still did (optio.pricing._implied_vol_blocks._invert).
    step = math.inf
    for attempt in range(MAX_STEPS):
        if attempt >= 2 and not abs(step) > THIRD_STEP_ABOVE * s:
            break
        step = _householder(s, x, beta, ln_beta, half, branch)
        if step == math.inf:  # a degenerate step keeps the last s (b(s) underflowed, say)
            break
        s += step
    if not abs(step) <= THIRD_STEP_ABOVE * s:  # still moving: not settled (bracketed_total_vol)
        s = bracketed_total_vol(x, ln_beta, half, half - beta)
        if s != s:
            return OneImpliedVol(math.nan, NO_INFORMATION)
    return OneImpliedVol(s / math.sqrt(t), OK)


def implied_vol_bsm(
    price: float,
    spot: float,
    strike: float,
    expiry_years: float,
    *,
    is_call: bool,
    rate: float = 0.0,
    dividend: float = 0.0,
) -> OneImpliedVol:
    """BSM implied vol of one option (forward ``S·e^{(r−q)T}``, discount ``e^{−rT}``)."""
    spot, expiry_years = float(spot), float(expiry_years)
    forward, discount = forward_and_discount(spot, expiry_years, float(rate), float(dividend))
    return implied_vol_black(price, forward, strike, expiry_years, is_call=is_call, discount=discount)


__all__ = [
    "STATUS_NAMES",
    "OneImpliedVol",
    "OptionGreeks",
    "PricingInputError",
    "black_greeks",
    "bsm_greeks",
    "bsm_price",
    "erfcx",
    "erfinv",
    "implied_vol_black",
    "implied_vol_bsm",
    "norm_cdf",
    "otm_call",
]
