"""Portfolio risk: aggregate Greeks and a scenario P&L grid, vectorised over positions × scenarios.

Units: ``quantity`` in options (+ long, − short); ``strike`` and ``spot`` in the quote currency;
``expiry_years`` in years; ``vol`` annualised; spot shocks are relative (+0.1 = spot up 10%),
vol shocks absolute in vol (+0.1 = ten vol points, floored at zero). Greeks follow
:mod:`optio.pricing.black_scholes` (vega per 1.00 of vol, theta per year).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optio.pricing.black_scholes import bsm_greeks, bsm_price


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


@dataclass(frozen=True)
class VaR:
    """Value at risk and expected shortfall of each book (positive numbers are losses, in the
    quote currency), and how they were computed."""

    var: np.ndarray
    expected_shortfall: np.ndarray
    confidence: float
    horizon_days: float
    scenarios: int
    method: str


def monte_carlo_var(spot: float, positions: Positions, books, *, atm_vol: float, horizon_days: float = 1.0,
                    confidence: float = 0.99, scenarios: int = 2000, vol_of_vol: float = 1.5,
                    spot_vol_corr: float = -0.5, seed: int = 0, rate: float = 0.0) -> VaR:
    """VaR and expected shortfall of each book by full revaluation over seeded joint scenarios.

    ``books`` is a (k, n) matrix of weights: book j holds ``books[j, i] × quantity[i]`` of option
    i. Each scenario moves spot lognormally at ``atm_vol`` (annualised) over ``horizon_days``,
    scales every option's vol by a lognormal factor at ``vol_of_vol`` (annualised, correlated
    ``spot_vol_corr`` with spot) and ages every option by the horizon (an option expiring within
    it pays intrinsic), then reprices the whole book. The scenarios depend only on ``seed``, so
    the same book gives the same figure every time.
    """
    h = horizon_days / 365.0
    rng = np.random.default_rng(seed)
    z_spot, z_other = rng.standard_normal((2, scenarios))
    z_vol = spot_vol_corr * z_spot + np.sqrt(1.0 - spot_vol_corr**2) * z_other
    spot_after = spot * np.exp(atm_vol * np.sqrt(h) * z_spot - 0.5 * atm_vol**2 * h)
    vol_factor = np.exp(vol_of_vol * np.sqrt(h) * z_vol - 0.5 * vol_of_vol**2 * h)
    base = bsm_price(spot, positions.strike, positions.expiry_years, positions.vol, is_call=positions.is_call,
                     rate=rate)
    after = bsm_price(spot_after[:, None], positions.strike, np.maximum(positions.expiry_years - h, 0.0),
                      positions.vol * vol_factor[:, None], is_call=positions.is_call, rate=rate)
    pnl = ((after - base) * positions.quantity) @ np.atleast_2d(np.asarray(books, float)).T  # (scenarios, k)
    cut = np.quantile(pnl, 1.0 - confidence, axis=0, method="lower")
    tail = np.where(pnl <= cut, pnl, np.nan)
    method = (f"{confidence:.0%} {horizon_days:g}-day, full revaluation over {scenarios} seeded scenarios: spot "
              f"lognormal at the ATM vol ({atm_vol:.0%}), vols scaled by a lognormal factor at {vol_of_vol:.0%} "
              f"vol-of-vol, correlation {spot_vol_corr:+.1f} with spot, options aged by the horizon")
    return VaR(np.maximum(-cut, 0.0), np.maximum(-np.nanmean(tail, axis=0), 0.0), confidence, horizon_days,
               scenarios, method)
