"""A realistic equity-style smile as one SVI slice: the shape simulators and backtests post.

Given the ATM vol (per year) and the tenor (years), the slice has a put skew (``rho`` < 0), wings
that steepen as the tenor shortens (``b ∝ atm·√T``), and ``w(0) = atm²·T`` exactly, so its ATM
vol is the one asked for.
"""

from __future__ import annotations

import math

from pricing.svi import SviParams


def skewed_slice(atm_vol: float, tenor_years: float, *, rho: float = -0.35, sigma: float = 0.2,
                 wing: float = 0.1) -> SviParams:
    """The slice of ATM vol ``atm_vol`` at ``tenor_years`` (module docstring)."""
    if not (atm_vol > 0 and tenor_years > 0):
        raise ValueError("skewed_slice needs atm_vol > 0 and tenor_years > 0")
    b = wing * atm_vol * math.sqrt(tenor_years)
    return SviParams(a=atm_vol * atm_vol * tenor_years - b * sigma, b=b, rho=rho, m=0.0, sigma=sigma)
