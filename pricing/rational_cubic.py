"""Delbourgo–Gregory rational cubic interpolation, the shape-preserving interpolant behind the
initial guess of "Let's Be Rational" (Jäckel 2015, section 4).

Why by hand: no numpy/scipy interpolant takes one control parameter ``r`` that trades smoothness
for convexity and monotonicity, which the initial guess needs. All functions are vectorised.
"""

from __future__ import annotations

import numpy as np

_EPS = np.finfo(np.float64).eps
#: Smallest control parameter kept (the denominator stays positive for r > −1).
R_MIN = -(1.0 - np.sqrt(_EPS))
#: Largest control parameter: the interpolant is then the straight line.
R_MAX = 2.0 / (_EPS * _EPS)


def interpolate(x, x_l, x_r, y_l, y_r, d_l, d_r, r):
    """Rational cubic through ``(x_l, y_l)`` and ``(x_r, y_r)`` with end slopes ``d_l``, ``d_r``."""
    h = x_r - x_l
    t = (x - x_l) / h
    omt = 1.0 - t
    t2 = t * t
    omt2 = omt * omt
    numerator = y_r * t2 * t + (r * y_r - h * d_r) * t2 * omt + (r * y_l + h * d_l) * t * omt2 + y_l * omt2 * omt
    value = numerator / (1.0 + (r - 3.0) * t * omt)
    # r = R_MAX means "linear"; the formula above overflows there.
    return np.where(r >= R_MAX, y_r * t + y_l * omt, value)


def _minimum_control(d_l, d_r, slope, prefer_shape: bool):
    """Smallest ``r`` keeping the interpolant monotone and convex (or concave) where the data are."""
    monotonic = (d_l * slope >= 0) & (d_r * slope >= 0)
    convex = (d_l <= slope) & (slope <= d_r)
    concave = (d_l >= slope) & (slope >= d_r)
    big = R_MAX if prefer_shape else -np.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        r1 = np.where(monotonic, np.where(slope != 0, (d_r + d_l) / slope, big), -np.inf)
        d_r_m_d_l = d_r - d_l
        d_r_m_s = d_r - slope
        s_m_d_l = slope - d_l
        degenerate = (s_m_d_l == 0) | (d_r_m_s == 0)
        r2_shape = np.where(
            degenerate, big, np.maximum(np.abs(d_r_m_d_l / d_r_m_s), np.abs(d_r_m_d_l / s_m_d_l))
        )
    r2 = np.where(convex | concave, r2_shape, np.where(monotonic & prefer_shape, R_MAX, -np.inf))
    r = np.maximum(R_MIN, np.maximum(r1, r2))
    return np.where(monotonic | convex | concave, r, R_MIN)


def control_fitting_curvature(x_l, x_r, y_l, y_r, d_l, d_r, second, *, at_left: bool, prefer_shape: bool):
    """``r`` matching the second derivative ``second`` at the left end (``at_left``) or the right
    end, but no less than the shape-preserving minimum."""
    h = x_r - x_l
    slope = (y_r - y_l) / h
    with np.errstate(divide="ignore", invalid="ignore"):
        numerator = 0.5 * h * second + (d_r - d_l)
        denominator = (slope - d_l) if at_left else (d_r - slope)
        r = np.where(denominator != 0, numerator / denominator, np.where(numerator > 0, R_MAX, R_MIN))
    return np.maximum(r, _minimum_control(d_l, d_r, slope, prefer_shape))
