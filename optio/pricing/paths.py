"""Seeded market paths on a fixed time grid: spot as a GBM with Poisson jumps, ATM vol as a
mean-reverting process in log vol. The same seed gives the same path on any machine.

Units: ``dt_years`` per step (an hour is ``1 / 8760``); vols per year (1.00 = 100%); the jump
rate per day; a jump's size is the standard deviation of its log-return.
"""

from __future__ import annotations

import math

import numpy as np

from optio.pricing.black_scholes import DAYS_PER_YEAR


def gbm_jump_path(n: int, dt_years: float, *, s0: float, vol: float, jumps_per_day: float, jump_size: float,
                  seed: int) -> np.ndarray:
    """``n + 1`` spot prices from ``s0`` (martingale drift: the jump part is compensated too)."""
    if n < 0 or not dt_years > 0 or not s0 > 0 or vol < 0 or jumps_per_day < 0 or jump_size < 0:
        raise ValueError("gbm_jump_path: n ≥ 0, dt_years > 0, s0 > 0 and non-negative vol and jumps")
    rng = np.random.default_rng([seed, 1])
    rate = jumps_per_day * DAYS_PER_YEAR * dt_years
    compensator = rate * (math.exp(0.5 * jump_size**2) - 1.0)
    diffusion = -0.5 * vol**2 * dt_years + vol * math.sqrt(dt_years) * rng.standard_normal(n)
    counts = rng.poisson(rate, n)
    jumps = rng.standard_normal(n) * jump_size * np.sqrt(counts)  # a sum of `counts` normal jumps
    log_path = np.concatenate(([0.0], np.cumsum(diffusion + jumps - compensator)))
    return s0 * np.exp(log_path)


def ou_vol_path(n: int, dt_years: float, *, level: float, vol_of_vol: float, reversion: float = 12.0,
                seed: int) -> np.ndarray:
    """``n + 1`` ATM vols from ``level``: log vol mean-reverts to ``log(level)`` at ``reversion`` per
    year with ``vol_of_vol`` per √year (exact discretisation of the Ornstein-Uhlenbeck step)."""
    if n < 0 or not dt_years > 0 or not level > 0 or vol_of_vol < 0 or not reversion > 0:
        raise ValueError("ou_vol_path: n ≥ 0, dt_years > 0, level > 0, vol_of_vol ≥ 0, reversion > 0")
    rng = np.random.default_rng([seed, 2])
    decay = math.exp(-reversion * dt_years)
    step_sd = vol_of_vol * math.sqrt((1.0 - decay * decay) / (2.0 * reversion))
    shocks = rng.standard_normal(n) * step_sd
    x = np.empty(n + 1)
    x[0] = 0.0
    for i in range(n):  # a linear recursion: n is at most a year of hours, well under a millisecond
        x[i + 1] = x[i] * decay + shocks[i]
    return level * np.exp(x)
