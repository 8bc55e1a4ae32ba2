"""A realistic equity-style smile as one SVI slice: the shape simulators and backtests post,
and :class:`SmileSimulator`, option chains quoted around it.

Given the ATM vol (per year) and the tenor (years), the slice has a put skew (``rho`` < 0), wings
that steepen as the tenor shortens (``b ∝ atm·√T``), and ``w(0) = atm²·T`` exactly, so its ATM
vol is the one asked for.
"""

from __future__ import annotations

import math

import numpy as np

from optio.pricing.black_scholes import SECONDS_PER_YEAR, black_price
from optio.pricing.chains.schema import OptionQuote
from optio.pricing.svi import SviParams


def skewed_slice(atm_vol: float, tenor_years: float, *, rho: float = -0.35, sigma: float = 0.2,
                 wing: float = 0.1) -> SviParams:
    """The slice of ATM vol ``atm_vol`` at ``tenor_years`` (module docstring)."""
    if not (atm_vol > 0 and tenor_years > 0):
        raise ValueError("skewed_slice needs atm_vol > 0 and tenor_years > 0")
    b = wing * atm_vol * math.sqrt(tenor_years)
    return SviParams(a=atm_vol * atm_vol * tenor_years - b * sigma, b=b, rho=rho, m=0.0, sigma=sigma)


class SmileSimulator:
    """Option chains with realistic smiles: a skewed SVI whose ATM vol follows a seeded
    mean-reverting path, quoted bid/ask ±0.5 vol points around it on five tenors."""

    TENORS_DAYS = (3, 7, 14, 30, 60)

    def __init__(self, *, seed: int, atm_vol: float, vol_of_vol: float):
        self.seed, self.level, self.vov = seed, atm_vol, vol_of_vol

    def atm_vol(self, t: int) -> float:
        """A deterministic path in ``t`` (hourly steps of an OU process in log vol)."""
        hour = t // 3600
        rng = np.random.default_rng([self.seed, hour])
        return self.level * math.exp(self.vov * 0.05 * rng.standard_normal())

    def chain(self, t: int, spot: float) -> list[OptionQuote]:
        quotes = []
        for days in self.TENORS_DAYS:
            tau = days * 86400 / SECONDS_PER_YEAR
            atm = self.atm_vol(t)
            smile = skewed_slice(atm, tau)
            for k in np.linspace(-0.5, 0.5, 21) * math.sqrt(max(tau, 0.02)):
                strike = spot * math.exp(k)
                vol = float(smile.implied_vol(k, tau))
                is_call = strike >= spot
                bid, ask = (float(black_price(spot, strike, tau, v, is_call=is_call)) for v in (vol - 0.005,
                                                                                               vol + 0.005))
                quotes.append(OptionQuote("ETH", t + days * 86400, strike, "call" if is_call else "put", bid, ask,
                                          0.5 * (bid + ask), vol, spot, t, "sim"))
        return quotes
