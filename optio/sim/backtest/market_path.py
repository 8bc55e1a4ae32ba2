"""The market a backtest sees at each step: spot (as the oracle will record it) and ATM vol.

Spot comes from a CSV replay (``timestamp,price`` rows, held between rows) or a seeded GBM with
jumps (``optio.pricing.paths``); ATM vol from a seeded mean-reverting path. Prices are rounded to 6
decimals here, once, so the chain and the model see the very same numbers.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optio.pricing.black_scholes import SECONDS_PER_YEAR
from optio.pricing.paths import gbm_jump_path, ou_vol_path
from optio.sdk.errors import InvalidInput
from optio.sim.backtest.scenario import DAY, Scenario


@dataclass(frozen=True)
class MarketPath:
    times: np.ndarray  # unix seconds, one per step
    spots: np.ndarray  # quote per base (USDC per WETH), 6 decimals
    atm_vols: np.ndarray  # per year


def build_path(s: Scenario) -> MarketPath:
    n = s.steps
    times = s.start + np.arange(n + 1, dtype=np.int64) * s.step_s
    dt = s.step_s / SECONDS_PER_YEAR
    if s.prices is not None:
        spots = replay_prices(s.prices, times)
    else:
        spots = gbm_jump_path(n, dt, s0=s.s0, vol=s.spot_vol, jumps_per_day=s.jumps_per_day, jump_size=s.jump_size,
                              seed=s.seed)
    if s.shock_day is not None and s.shock:
        spots = np.where(times >= s.start + s.shock_day * DAY, spots * (1.0 + s.shock), spots)
    vols = ou_vol_path(n, dt, level=s.atm_vol, vol_of_vol=s.vol_of_vol, seed=s.seed)
    return MarketPath(times=times, spots=np.round(spots, 6), atm_vols=vols)


def replay_prices(path: Path, times: np.ndarray) -> np.ndarray:
    """Each step's price: the last row at or before it (``InvalidInput`` if the file starts after
    the first step or a row is malformed, with its line number)."""
    stamps, prices = [], []
    with open(path, newline="") as f:
        for line, row in enumerate(csv.reader(f), start=1):
            if not row or row[0].strip().lower() in ("timestamp", "time", "#"):
                continue
            try:
                stamp, price = int(float(row[0])), float(row[1])
            except (ValueError, IndexError):
                raise InvalidInput(f"{path}:{line}: expected `timestamp,price`, got {','.join(row)!r}") from None
            if not price > 0:
                raise InvalidInput(f"{path}:{line}: price must be positive, got {row[1]!r}")
            if stamps and stamp <= stamps[-1]:
                raise InvalidInput(f"{path}:{line}: timestamps must increase")
            stamps.append(stamp)
            prices.append(price)
    if not stamps:
        raise InvalidInput(f"{path} holds no `timestamp,price` rows")
    if stamps[0] > times[0]:
        raise InvalidInput(f"{path} starts at {stamps[0]}, after the backtest's first step {int(times[0])}: "
                           "give --start at or after it")
    idx = np.searchsorted(np.asarray(stamps), times, side="right") - 1
    return np.asarray(prices)[idx]
