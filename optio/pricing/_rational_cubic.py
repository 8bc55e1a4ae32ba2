"""Delbourgo–Gregory rational cubic interpolation, the shape-preserving interpolant behind the
initial guess of "Let's Be Rational" (Jäckel 2015, section 4).

Why by hand: no numpy/scipy interpolant takes one control parameter ``r`` that trades smoothness
for convexity and monotonicity, which the initial guess needs. Scalar functions, compiled
(numba) and inlined into the implied-vol kernel's loops.
"""

from __future__ import annotations

import math

import numba
import numpy as np

_EPS = float(np.finfo(np.float64).eps)
#: Smallest control parameter kept (the denominator stays positive for r > −1).
R_MIN = -(1.0 - math.sqrt(_EPS))
#: Largest control parameter: the interpolant is then the straight line.
R_MAX = 2.0 / (_EPS * _EPS)


@numba.njit(inline="always")
def interpolate(x: float, x_l: float, x_r: float, y_l: float, y_r: float, d_l: float, d_r: float,
                r: float) -> float:
    """Rational cubic through ``(x_l, y_l)`` and ``(x_r, y_r)`` with end slopes ``d_l``, ``d_r``."""
    h = x_r - x_l
    t = (x - x_l) / h
    omt = 1.0 - t
    if r >= R_MAX:  # "linear": the formula below overflows there
        return y_r * t + y_l * omt
    t2 = t * t
    omt2 = omt * omt
    numerator = y_r * t2 * t + (r * y_r - h * d_r) * t2 * omt + (r * y_l + h * d_l) * t * omt2 + y_l * omt2 * omt
    return numerator / (1.0 + (r - 3.0) * t * omt)


@numba.njit(inline="always")
def _minimum_control(d_l: float, d_r: float, slope: float, prefer_shape: bool) -> float:
    """Smallest ``r`` keeping the interpolant monotone and convex (or concave) where the data are."""
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


@numba.njit(inline="always")
def control_fitting_curvature(x_l: float, x_r: float, y_l: float, y_r: float, d_l: float, d_r: float,
                              second: float, at_left: bool, prefer_shape: bool) -> float:
    """``r`` matching the second derivative ``second`` at the left end (``at_left``) or the right
    end, but no less than the shape-preserving minimum."""
    h = x_r - x_l
    slope = (y_r - y_l) / h
    numerator = 0.5 * h * second + (d_r - d_l)
    denominator = (slope - d_l) if at_left else (d_r - slope)
    flat = R_MAX if numerator > 0.0 else R_MIN
    r = numerator / denominator if denominator != 0.0 else flat
    return max(r, _minimum_control(d_l, d_r, slope, prefer_shape))
