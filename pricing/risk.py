"""Portfolio risk: aggregate Greeks and a scenario P&L grid, vectorised over positions × scenarios.

Units: ``quantity`` in options (+ long, − short); ``strike`` and ``spot`` in the quote currency;
``expiry_years`` in years; ``vol`` annualised; spot shocks are relative (+0.1 = spot up 10%),
vol shocks absolute in vol (+0.1 = ten vol points, floored at zero). Greeks follow
:mod:`pricing.black_scholes` (vega per 1.00 of vol, theta per year).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pricing.black_scholes import bsm_greeks, bsm_price


@dataclass(frozen=True)
class Positions:
    """Column arrays of one length: signed quantity, call flag, strike, expiry (years), vol."""

    quantity: np.ndarray
    is_call: np.ndarray
    strike: np.ndarray
    expiry_years: np.ndarray
    vol: np.ndarray

    @classmethod
    def of(cls, quantity, is_call, strike, expiry_years, vol) -> Positions:
        arrays = np.broadcast_arrays(np.asarray(quantity, float), np.asarray(is_call, bool), np.asarray(strike, float),
                                     np.asarray(expiry_years, float), np.asarray(vol, float))
        return cls(*(np.ravel(a) for a in arrays))


def portfolio_greeks(spot: float, positions: Positions, *, rate: float = 0.0) -> dict[str, float]:
    """Sum of quantity × (price, delta, gamma, vega, theta, rho, vanna, volga)."""
    g = bsm_greeks(spot, positions.strike, positions.expiry_years, positions.vol, is_call=positions.is_call, rate=rate)
    q = positions.quantity
    return {name: float(np.sum(q * getattr(g, name)))
            for name in ("price", "delta", "gamma", "vega", "theta", "rho", "vanna", "volga")}


def scenario_pnl(spot: float, positions: Positions, spot_shocks, vol_shocks, *, rate: float = 0.0) -> np.ndarray:
    """P&L of the book, instantly, for every (spot shock, vol shock): shape (len(spot), len(vol))."""
    spot_shocks = np.asarray(spot_shocks, float)
    vol_shocks = np.asarray(vol_shocks, float)
    base = bsm_price(spot, positions.strike, positions.expiry_years, positions.vol, is_call=positions.is_call,
                     rate=rate)
    shocked_spot = spot * (1.0 + spot_shocks)[:, None, None]
    shocked_vol = np.maximum(positions.vol[None, None, :] + vol_shocks[None, :, None], 0.0)
    prices = bsm_price(shocked_spot, positions.strike, positions.expiry_years, shocked_vol, is_call=positions.is_call,
                       rate=rate)
    return np.sum(positions.quantity * (prices - base), axis=-1)
