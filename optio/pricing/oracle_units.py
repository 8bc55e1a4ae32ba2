"""SVI parameters to and from the VolOracle's 18-decimal signed integers ("wad").

``svi_to_wad`` rounds each parameter to the nearest 1e-18 (half to even), then re-runs the oracle's
own integer checks (wing slope ``b(1+|ρ|) ≤ 2`` with floor division, minimum variance
``a + b·σ·√(1−ρ²) ≥ 0`` with a floored square root) and, if rounding alone broke one, moves the
one parameter that restores it by the fewest wei (b down, or a up). Every parameter therefore
ends within 0.5e-18 of the float, or within a few e-18 for the one nudged; the test suite
checks the bound.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from math import isqrt

from optio.pricing.svi import SviParams

WAD = 10**18
#: VolOracle.MAX_PARAM_WAD: the largest |a|, b, |m|, sigma it accepts.
MAX_PARAM_WAD = 10**27


class OracleRangeError(ValueError):
    """Parameters that no rounding can make acceptable to the VolOracle."""


def _round(value: float) -> int:
    return int((Decimal(repr(value)) * WAD).to_integral_value(rounding=ROUND_HALF_EVEN))


def wing_slope_wad(b: int, rho: int) -> int:
    """``b(1+|ρ|)`` as the oracle computes it (floor)."""
    return b * (WAD + abs(rho)) // WAD


def min_variance_wad(a: int, b: int, rho: int, sigma: int) -> int:
    """``a + b·σ·√(1−ρ²)`` as the oracle computes it (each step floors; all factors ≥ 0)."""
    one_minus_rho2 = WAD - abs(rho) * abs(rho) // WAD
    root = isqrt(one_minus_rho2 * WAD)
    return a + (b * sigma // WAD) * root // WAD


def round_to_wad(params: SviParams) -> tuple[int, int, int, int, int]:
    """Each parameter to its nearest wad, unchecked (for tests of the oracle's own checks)."""
    return tuple(_round(v) for v in (params.a, params.b, params.rho, params.m, params.sigma))


def svi_to_wad(params: SviParams) -> tuple[int, int, int, int, int]:
    """``(a, b, rho, m, sigma)`` as the VolOracle's int256 wads, accepted by its checks."""
    problems = params.shape_problems()
    if problems:
        raise OracleRangeError("; ".join(problems))
    a, b, rho, m, sigma = round_to_wad(params)
    if abs(rho) >= WAD:  # |ρ| < 1 in floats can round to ±1e18
        rho = (WAD - 1) if rho > 0 else -(WAD - 1)
    sigma = max(sigma, 1)
    excess = wing_slope_wad(b, rho) - 2 * WAD
    while excess > 0:
        b -= max(1, excess * WAD // (WAD + abs(rho)))
        excess = wing_slope_wad(b, rho) - 2 * WAD
    shortfall = -min_variance_wad(a, b, rho, sigma)
    if shortfall > 0:
        a += shortfall
    for name, value in (("a", abs(a)), ("b", b), ("m", abs(m)), ("sigma", sigma)):
        if value > MAX_PARAM_WAD:
            raise OracleRangeError(f"{name} = {value / WAD:.6g} exceeds the oracle's bound {MAX_PARAM_WAD // WAD}")
    return a, b, rho, m, sigma


def svi_from_wad(values) -> SviParams:
    """The inverse of :func:`svi_to_wad` (exact to double rounding)."""
    a, b, rho, m, sigma = (int(v) for v in values)
    return SviParams(*(float(Decimal(v) / WAD) for v in (a, b, rho, m, sigma)))
