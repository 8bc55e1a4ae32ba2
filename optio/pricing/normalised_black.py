"""Jäckel's normalised Black function and its derivatives in the total volatility ``s``.

With log-moneyness ``x = ln(F/K)`` and total volatility ``s = σ·√T`` (σ annualised, T in years),
the undiscounted Black call is ``√(F·K) · b(x, s)`` where

    b(x, s) = e^{x/2} Φ(x/s + s/2) − e^{−x/2} Φ(x/s − s/2).

Everything here works on the out-of-the-money side, ``x ≤ 0`` (an in-the-money call is its
intrinsic value plus the out-of-the-money put, and the put at ``x`` equals the call at ``−x``).

Why by hand: scipy has Φ and erfcx but no normalised Black; the naive formula above loses
all relative precision far out of the money (two nearly equal terms), where implied volatility
inversion needs it. Following Jäckel ("Let's Be Rational", 2015) we write

    b(x, s) = φ-factor · (Y(h + t) − Y(h − t)),   h = x/s, t = s/2, Y(u) = Φ(u)/φ(u),

and evaluate the bracket without cancellation: an asymptotic series where both arguments are far
in the left tail, a Taylor series in ``t`` where ``t`` is small, and the direct difference of
erfcx values elsewhere. The fast naive formula is used wherever it is accurate (checked per
element), so typical batches pay for the careful paths only where they are needed.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from optio.pricing._scipy_special import erfcx

SQRT_2PI = math.sqrt(2.0 * math.pi)
INV_SQRT_2PI = 1.0 / SQRT_2PI
SQRT_PI_OVER_2 = math.sqrt(math.pi / 2.0)
INV_SQRT2 = 1.0 / math.sqrt(2.0)

#: Both ``h ± t`` below ``-ASYMPTOTIC_Z``: the asymptotic series of the Mills ratio converges to
#: below 1e-17 relative within ``_ASYMPTOTIC_TERMS`` terms.
ASYMPTOTIC_Z = 10.0
_ASYMPTOTIC_TERMS = 30
#: ``t = s/2`` below this: Taylor series of ``Y(h ± t)`` in ``t`` (7 odd terms reach 1e-17).
SMALL_T = 0.21
_TAYLOR_ORDER = 15
#: ``1/(2k+1)!`` for the odd Taylor terms, rounded once.
_INVERSE_ODD_FACTORIALS = tuple(1.0 / math.factorial(2 * k + 1) for k in range(_TAYLOR_ORDER // 2 + 1))
#: ``Φ(u)`` is a normal double, with all its digits, from here up (``Φ(−37) = 5.7e-300``); below,
#: it is subnormal or 0, and ``e^{−x/2}Φ(h − t)`` divided out of it keeps only what is left of
#: its digits. That is reached only with F and K more than about e^{378} apart (``t > 18.5`` and
#: ``h + t ≥ −10``): b(−1381.6, 52.56) = 0.49·e^{x/2} came out 0.4% too large, its second term lost.
PHI_NORMAL_FROM = -37.0
#: The naive two-term formula is kept where its estimated relative error, (larger term / result)
#: × (1 + d1²) ulp, is at most this many ulp (≈ 3.6e-15): Φ(d1) amplifies the rounding of its
#: argument by about d1², and the subtraction by the ratio of the terms; erfcx does neither.
NAIVE_ERROR_ULPS = 32.0


@numba.njit(cache=True)
def norm_cdf(u: float) -> float:
    """Standard normal CDF ``Φ(u)`` via libm's erfc (relative accuracy in both tails)."""
    return 0.5 * math.erfc(-u * INV_SQRT2)


@numba.njit(cache=True)
def mills_y(u: float) -> float:
    """``Y(u) = Φ(u)/φ(u)``, computed as ``√(π/2)·erfcx(−u/√2)`` (no under- or overflow for u ≤ 0)."""
    return SQRT_PI_OVER_2 * erfcx(-INV_SQRT2 * u)


@numba.njit(cache=True)
def asymptotic_bracket(h: float, t: float) -> float:
    """``Y(h+t) − Y(h−t)`` for ``h + t ≤ −ASYMPTOTIC_Z``.

    ``Y(u) ~ Σ_k (−1)^k (2k−1)!! |u|^{−(2k+1)}``; the differences ``A^n − B^n`` with
    ``A = 1/(z−t) > B = 1/(z+t)`` are built by ``D_{n+1} = A·D_n + B^n·(A − B)``, a sum of
    positive terms, so nothing cancels but the alternating series itself (whose second term is
    at most 3% of the first).
    """
    z = -h
    a = 1.0 / (z - t)
    b = 1.0 / (z + t)
    a_minus_b = 2.0 * t * a * b
    d = a_minus_b  # D_1
    b_pow = b  # B^1
    total = d
    coefficient = 1.0
    for k in range(1, _ASYMPTOTIC_TERMS):
        # Two steps of the recurrence: D_{2k} then D_{2k+1}.
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


@numba.njit(cache=True)
def taylor_bracket(h: float, t: float, y: float) -> float:
    """``Y(h+t) − Y(h−t) = 2 Σ_k Y^{(2k+1)}(h) t^{2k+1}/(2k+1)!`` for small ``t``, given ``y = Y(h)``.

    Derivatives from ``Y' = 1 + hY`` and ``Y^{(n+1)} = h·Y^{(n)} + n·Y^{(n−1)}``.
    """
    y_prev = y  # Y
    y_curr = 1.0 + h * y_prev  # Y'
    t2 = t * t
    total = y_curr
    power = 1.0
    for n in range(1, _TAYLOR_ORDER):
        y_prev, y_curr = y_curr, h * y_curr + n * y_prev  # Y^{(n+1)}
        if n % 2 == 0:  # Y^{(n+1)} with n+1 odd
            power = power * t2
            # A multiplication by the rounded 1/(n+1)!, not a division: one rounding more in a
            # term at most t²/6 of the first, and the block pass runs without its dividers.
            total += y_curr * power * _INVERSE_ODD_FACTORIALS[n // 2]
    return 2.0 * t * total


@numba.njit(inline="always")
def two_term_is_accurate(u: float, down: float, first: float, value: float, ulps: float = NAIVE_ERROR_ULPS) -> bool:
    """Whether the two-term ``b = first − e^{−x/2}Φ(h−t)`` (``u = h + t``, ``down = h − t``,
    ``first = e^{x/2}Φ(u)``) is within ``ulps`` of its rounding. Where ``u > 0.85``, Φ(u) > 0.8
    dominates and it is well conditioned (erfcx(−u/√2) would also overflow for large u); nowhere
    where Φ(h − t) has lost digits to underflow (:data:`PHI_NORMAL_FROM`)."""
    return ((u > 0.85) | (first * (1.0 + u * u) <= ulps * value)) & (down >= PHI_NORMAL_FROM)


@numba.njit(inline="always")
def second_term(h: float, t: float, half: float) -> float:
    """``e^{−x/2}Φ(h − t)`` (``half = e^{x/2}``): directly while Φ(h − t) is a normal double, else
    as ``e^{−(h²+t²)/2}·Y(h − t)/√(2π)`` (the same, since ``e^{−x/2}φ(h − t) = e^{−(h²+t²)/2}/√(2π)``),
    which is subnormal only where the term itself is."""
    down = h - t
    if down >= PHI_NORMAL_FROM:
        return norm_cdf(down) / half
    return INV_SQRT_2PI * math.exp(-0.5 * (h * h + t * t)) * mills_y(down)


@numba.njit(cache=True)
def otm_call_scalar(x: float, s: float) -> float:
    """``b(x, s)`` for ``x ≤ 0`` and ``s ≥ 0``, by region (see the module docstring).

    The region is chosen before anything is evaluated, so each option pays for one formula: the
    asymptotic series deep in the left tail, the Taylor series for small ``t``, else the
    two-term formula where its error estimate allows and the erfcx difference where not.
    """
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
    # h − t need not be checked here: second_term keeps its digits below PHI_NORMAL_FROM too (the
    # erfcx difference would overflow for large h + t, with e^{−(h²+t²)/2} subnormal).
    if two_term_is_accurate(h + t, 0.0, first, value):
        return value
    return INV_SQRT_2PI * math.exp(-0.5 * (h * h + t * t)) * (mills_y(h + t) - mills_y(h - t))


@numba.vectorize(["f8(f8, f8)"], cache=True)
def _otm_call_ufunc(x, s):  # pragma: no cover - compiled
    return otm_call_scalar(x, s)


def otm_call(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Normalised out-of-the-money Black call ``b(x, s)`` to about 1e-14 relative.

    Args:
        x: log-moneyness ``ln(F/K)``, must be ≤ 0 (float64 array).
        s: total volatility ``σ·√T`` ≥ 0 (float64 array, same shape as ``x``); ``s = 0`` gives 0
            and ``s = inf`` gives the upper bound ``e^{x/2}``.

    Returns:
        ``b(x, s)`` in units of ``√(F·K)``: multiply by ``√(F·K)`` and the discount factor for money.
    """
    return np.asarray(_otm_call_ufunc(x, s))


def vega(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``∂b/∂s = φ(x/s + s/2)·e^{x/2} = e^{−(x²/s² + s²/4)/2}/√(2π)`` (0 at ``s = 0`` unless x = 0)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        exponent = -0.5 * ((x / s) ** 2 + 0.25 * s * s)
        exponent = np.where(s > 0, exponent, np.where(x == 0, 0.0, -np.inf))
    return INV_SQRT_2PI * np.exp(exponent)


def curvature_ratios(x: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``b''/b'`` and ``b'''/b'`` in ``s`` (for ``s > 0``): ``x²/s³ − s/4`` and its square less ``3x²/s⁴ + 1/4``."""
    x2 = x * x
    s2 = s * s
    second = x2 / (s2 * s) - 0.25 * s
    third = second * second - 3.0 * x2 / (s2 * s2) - 0.25
    return second, third
