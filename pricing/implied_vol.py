"""Implied volatility to machine precision, vectorised: Jäckel's "Let's Be Rational" (2015).

The price is first reduced to a normalised out-of-the-money call ``β`` at log-moneyness
``x = −|ln(F/K)| ≤ 0`` (subtracting the intrinsic value *on the forward*, and using put-call
symmetry). Then, per element:

1. the four-branch rational initial guess: around the inflection point ``s_c = √(2|x|)`` the
   inverse ``s(β)`` is interpolated by rational cubics; in the two tails the interpolation runs on
   transformed maps ``f_lower`` and ``f_upper`` whose inverses are closed-form;
2. Householder steps of order 4 on the objective that is nearly linear in each branch:
   ``1/ln b(s) − 1/ln β`` in the lowest, ``ln((b_max−β)/(b_max−b(s)))`` in the highest,
   ``b(s) − β`` in between.

Two steps reach machine precision from this guess; a third runs only where the second still
moved ``s`` by more than a few ulps. A batch never raises: every element gets an
:class:`IVStatus`, and the volatility is NaN exactly where the status is not ``OK``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from scipy.special import erfinv, ndtr, ndtri

from pricing import normalised_black as nb
from pricing import rational_cubic as rc
from pricing._inputs import as_arrays, call_flags
from pricing.black_kernels import log_moneyness
from pricing.black_scholes import forward_and_discount, intrinsic_on_forward

_TWO_PI = 2.0 * np.pi
_SQRT3 = float(np.sqrt(3.0))
_TWO_PI_OVER_SQRT27 = _TWO_PI / float(np.sqrt(27.0))
_PI_OVER_6 = np.pi / 6.0
_EPS = np.finfo(np.float64).eps
_STEPS = 2
_EXTRA_STEP_TOLERANCE = 8 * _EPS


class IVStatus(IntEnum):
    """Why an element has (or has no) implied volatility."""

    OK = 0
    #: The price is below the intrinsic value on the forward (no volatility gives it).
    BELOW_INTRINSIC = 1
    #: The price is at or above the model's upper bound (F for a call, K for a put, undiscounted).
    ABOVE_MAXIMUM = 2
    #: Zero time to expiry and a price other than the intrinsic value.
    EXPIRED = 3
    #: A non-finite or out-of-domain input (negative forward, strike, time or discount).
    INVALID_INPUT = 4


@dataclass(frozen=True)
class ImpliedVol:
    """Result of a batch inversion.

    Attributes:
        vol: annualised volatility (1.0 = 100%), NaN exactly where ``status != OK``.
        status: :class:`IVStatus` codes, int8, same shape as ``vol``.
    """

    vol: np.ndarray
    status: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        return self.status == IVStatus.OK

    def reasons(self) -> list[str]:
        """Status names, flattened, for reports."""
        return [IVStatus(int(code)).name for code in self.status.ravel()]


def implied_vol_black(price, forward, strike, expiry_years, *, is_call, discount=1.0) -> ImpliedVol:
    """Black-76 implied volatility.

    Args:
        price: option price in the same currency as ``forward`` and ``strike`` (discounted).
        forward: forward price of the underlying at expiry.
        strike: strike price.
        expiry_years: time to expiry in years (365-day years).
        is_call: True for calls, False for puts (or ``'c'``/``'p'``/``'call'``/``'put'``), broadcast.
        discount: discount factor to expiry, ``e^{−rT}`` (1.0 for undiscounted).

    Returns:
        :class:`ImpliedVol` with annualised vols and per-element status.
    """
    price, forward, strike, expiry_years, discount = as_arrays(price, forward, strike, expiry_years, discount)
    calls = np.broadcast_to(call_flags(is_call), price.shape)
    vol = np.full(price.shape, np.nan)
    status = np.full(price.shape, IVStatus.INVALID_INPUT, dtype=np.int8)
    valid = (
        np.isfinite(price) & np.isfinite(forward) & np.isfinite(strike) & np.isfinite(expiry_years)
        & np.isfinite(discount) & (forward > 0) & (strike > 0) & (expiry_years >= 0) & (discount > 0)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        undiscounted = price / discount
        intrinsic = intrinsic_on_forward(forward, strike, calls)
        upper = np.where(calls, forward, strike)
        root_fk = np.sqrt(forward * strike)
        x = -np.abs(log_moneyness(forward, strike))
        beta = (undiscounted - intrinsic) / root_fk
    below = valid & (beta < 0)
    above = valid & ~below & (undiscounted >= upper)
    expired = valid & ~below & ~above & (expiry_years == 0) & (beta > 0)
    at_intrinsic = valid & ~below & ~above & (beta == 0)
    live = valid & ~below & ~above & ~expired & ~at_intrinsic
    status[below] = IVStatus.BELOW_INTRINSIC
    status[above] = IVStatus.ABOVE_MAXIMUM
    status[expired] = IVStatus.EXPIRED
    status[at_intrinsic | live] = IVStatus.OK
    vol[at_intrinsic] = 0.0
    if live.any():
        # beta can reach b_max through rounding of the intrinsic subtraction: cap below it.
        b_live = np.minimum(beta[live], np.nextafter(np.exp(0.5 * x[live]), 0.0))
        s = normalised_total_vol(b_live, x[live])
        vol[live] = s / np.sqrt(expiry_years[live])
    return ImpliedVol(vol=vol, status=status)


def implied_vol_bsm(price, spot, strike, expiry_years, *, is_call, rate=0.0, dividend=0.0) -> ImpliedVol:
    """Black-Scholes-Merton implied volatility (continuous ``rate`` and ``dividend`` yield, per year).

    The forward is ``spot·e^{(rate−dividend)·T}`` and the discount ``e^{−rate·T}``; see
    :func:`implied_vol_black` for the other arguments.
    """
    spot, expiry_years, rate, dividend = as_arrays(spot, expiry_years, rate, dividend)
    forward, discount = forward_and_discount(spot, expiry_years, rate, dividend)
    return implied_vol_black(price, forward, strike, expiry_years, is_call=is_call, discount=discount)


def normalised_total_vol(beta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Total volatility ``s`` with ``b(x, s) = β``, for ``x ≤ 0`` and ``0 < β < e^{x/2}``."""
    beta = np.asarray(beta, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    s = np.empty_like(beta)
    atm = x == 0
    if atm.any():
        # b(0, s) = erf(s/(2√2)) exactly.
        s[atm] = 2.0 * np.sqrt(2.0) * erfinv(beta[atm])
    rest = ~atm
    if rest.any():
        s[rest] = _lets_be_rational(beta[rest], x[rest])
    return s


# Branch codes: which objective each element iterates on.
_LOWEST, _MIDDLE, _HIGHEST = 0, 1, 2


def _lets_be_rational(beta: np.ndarray, x: np.ndarray) -> np.ndarray:
    s, branch = _initial_guess(beta, x)
    for code, objective in ((_LOWEST, _step_lowest), (_MIDDLE, _step_middle), (_HIGHEST, _step_highest)):
        sel = branch == code
        if not sel.any():
            continue
        sb, bb, xb = s[sel], beta[sel], x[sel]
        for _ in range(_STEPS):
            sb, moved = objective(sb, bb, xb)
        again = np.abs(moved) > _EXTRA_STEP_TOLERANCE * sb
        if again.any():
            sb[again] = objective(sb[again], bb[again], xb[again])[0]
        s[sel] = sb
    return s


def _initial_guess(beta: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = np.empty_like(beta)
    branch = np.full(beta.shape, _MIDDLE, dtype=np.int8)
    s_c = np.sqrt(-2.0 * x)
    b_c = nb.otm_call(x, s_c)
    v_c = nb.vega(x, s_c)
    lower = beta < b_c
    if lower.any():
        s[lower], branch[lower] = _guess_lower(beta[lower], x[lower], s_c[lower], b_c[lower], v_c[lower])
    upper = ~lower
    if upper.any():
        s[upper], branch[upper] = _guess_upper(beta[upper], x[upper], s_c[upper], b_c[upper], v_c[upper])
    return s, branch


def _guess_lower(beta, x, s_c, b_c, v_c):
    s_l = np.maximum(s_c - b_c / v_c, np.finfo(np.float64).tiny)
    b_l = nb.otm_call(x, s_l)
    v_l = nb.vega(x, s_l)
    s = np.empty_like(beta)
    branch = np.full(beta.shape, _MIDDLE, dtype=np.int8)
    lowest = beta < b_l
    mid = ~lowest
    if mid.any():
        s[mid] = _interpolate_to_inflection(beta[mid], b_l[mid], b_c[mid], s_l[mid], s_c[mid], v_l[mid], v_c[mid],
                                            inflection_at_left=False)
    if lowest.any():
        xl, bl, sl, betal = x[lowest], b_l[lowest], s_l[lowest], beta[lowest]
        f_l, df_l, d2f_l = _lower_map(xl, sl)
        r = rc.control_fitting_curvature(0.0, bl, 0.0, f_l, 1.0, df_l, d2f_l, at_left=False, prefer_shape=True)
        f = rc.interpolate(betal, 0.0, bl, 0.0, f_l, 1.0, df_l, r)
        t = betal / bl
        f = np.where(f > 0, f, (f_l * t + bl * (1.0 - t)) * t)
        s[lowest] = _inverse_lower_map(xl, f)
        branch[lowest] = _LOWEST
    return s, branch


def _guess_upper(beta, x, s_c, b_c, v_c):
    b_max = np.exp(0.5 * x)
    s_u = s_c + (b_max - b_c) / v_c
    b_u = nb.otm_call(x, s_u)
    v_u = nb.vega(x, s_u)
    s = np.empty_like(beta)
    branch = np.full(beta.shape, _MIDDLE, dtype=np.int8)
    highest = beta > b_u
    mid = ~highest
    if mid.any():
        s[mid] = _interpolate_to_inflection(beta[mid], b_c[mid], b_u[mid], s_c[mid], s_u[mid], v_c[mid], v_u[mid],
                                            inflection_at_left=True)
    if highest.any():
        xh, bu, su, betah, bm = x[highest], b_u[highest], s_u[highest], beta[highest], b_max[highest]
        f_u, df_u, d2f_u = _upper_map(xh, su)
        r = rc.control_fitting_curvature(bu, bm, f_u, 0.0, df_u, -0.5, d2f_u, at_left=True, prefer_shape=True)
        f = rc.interpolate(betah, bu, bm, f_u, 0.0, df_u, -0.5, r)
        t = (betah - bu) / (bm - bu)
        f = np.where(f > 0, f, (f_u * (1.0 - t) + 0.5 * (bm - bu) * t) * (1.0 - t))
        s[highest] = -2.0 * ndtri(f)
        branch[highest] = _HIGHEST
    return s, branch


def _interpolate_to_inflection(beta, b_l, b_r, s_l, s_r, v_l, v_r, *, inflection_at_left: bool):
    """``s(β)`` between two points, slopes ``1/vega``; s(β) has its inflection at ``b_c``
    (b'' = 0 at s_c), so zero curvature is fitted at that end."""
    args = (b_l, b_r, s_l, s_r, 1.0 / v_l, 1.0 / v_r)
    r = rc.control_fitting_curvature(*args, 0.0, at_left=inflection_at_left, prefer_shape=False)
    return rc.interpolate(beta, *args, r)


def _lower_map(x, s):
    """``f = (2π|x|/√27)·Φ(−|x|/(√3 s))³`` and its first two derivatives in β at ``s``."""
    ax = np.abs(x)
    z = ax / (_SQRT3 * s)
    y = z * z
    s2 = s * s
    phi_cdf = ndtr(-z)
    phi_pdf = nb.INV_SQRT_2PI * np.exp(-0.5 * y)
    f = _TWO_PI_OVER_SQRT27 * ax * phi_cdf**3
    df = _TWO_PI * y * phi_cdf * phi_cdf * np.exp(y + 0.125 * s2)
    d2f = (
        _PI_OVER_6 * y / (s2 * s) * phi_cdf
        * (8.0 * _SQRT3 * s * ax + (3.0 * s2 * (s2 - 8.0) - 8.0 * x * x) * phi_cdf / phi_pdf)
        * np.exp(2.0 * y + 0.25 * s2)
    )
    return f, df, d2f


def _inverse_lower_map(x, f):
    return np.abs(x / (_SQRT3 * ndtri(np.cbrt(f / (_TWO_PI_OVER_SQRT27 * np.abs(x))))))


def _upper_map(x, s):
    """``f = Φ(−s/2)`` and its first two derivatives in β at ``s``."""
    w = (x / s) ** 2
    f = ndtr(-0.5 * s)
    df = -0.5 * np.exp(0.5 * w)
    d2f = nb.SQRT_PI_OVER_2 * np.exp(w + 0.125 * s * s) * w / s
    return f, df, d2f


def _householder(s, newton, halley, third):
    """Fourth-order Householder update from the Newton step and the ratios g''/g', g'''/g'."""
    step = newton * (1.0 + 0.5 * halley * newton) / (1.0 + newton * (halley + third * newton / 6.0))
    step = np.maximum(step, -0.5 * s)  # never jump to or below zero
    step = np.where(np.isfinite(step), step, 0.0)  # a degenerate step keeps the last s
    return s + step, step


def _black_and_derivatives(s, x):
    """b(x, s), its first derivative in s, and the ratios of the 2nd and 3rd derivatives to the 1st."""
    return nb.otm_call(x, s), nb.vega(x, s), *nb.curvature_ratios(x, s)


def _step_middle(s, beta, x):
    b, b1, second, third = _black_and_derivatives(s, x)
    return _householder(s, (beta - b) / b1, second, third)


def _step_lowest(s, beta, x):
    """Objective ``1/ln b(s) − 1/ln β``: nearly linear where b is tiny."""
    b, b1, second, third = _black_and_derivatives(s, x)
    ln_b = np.log(b)
    ln_beta = np.log(beta)
    bx = b1 / b
    newton = ln_b * (ln_beta - ln_b) / (ln_beta * bx)
    g2 = -(2.0 + ln_b) / ln_b
    halley = g2 * bx + second
    g3 = (2.0 * ln_b * ln_b + 6.0 * ln_b + 6.0) / (ln_b * ln_b)
    third_ratio = g3 * bx * bx + 3.0 * g2 * bx * second + third
    return _householder(s, newton, halley, third_ratio)


def _step_highest(s, beta, x):
    """Objective ``ln(b_max − β) − ln(b_max − b(s))``: nearly linear as b approaches its bound."""
    b_max = np.exp(0.5 * x)
    b, b1, second, third = _black_and_derivatives(s, x)
    gap = b_max - b
    gap_beta = b_max - beta
    with np.errstate(divide="ignore", invalid="ignore"):
        newton = gap * np.log(gap / gap_beta) / b1
        ratio = b1 / gap
        halley = ratio + second
        third_ratio = 2.0 * ratio * ratio + 3.0 * ratio * second + third
    # b(s) rounded to b_max itself: fall back to the plain objective b(s) − β there.
    saturated = ~(gap > 0)
    newton = np.where(saturated, (beta - b) / b1, newton)
    halley = np.where(saturated, second, halley)
    third_ratio = np.where(saturated, third, third_ratio)
    return _householder(s, newton, halley, third_ratio)


__all__ = ["IVStatus", "ImpliedVol", "implied_vol_black", "implied_vol_bsm", "normalised_total_vol"]
