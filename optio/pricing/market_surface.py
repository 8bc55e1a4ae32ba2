"""From a normalised chain to a fitted surface: out-of-the-money bid/ask implied vols per expiry.

The forward is taken as the venue's underlying price (zero rates and basis: crypto venues quote
the mark IV on that same convention); premiums are undiscounted. Only out-of-the-money options are
used (calls at K ≥ F, puts below), as every desk does: they carry the time value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optio.pricing.chains.schema import OptionQuote
from optio.pricing.implied_vol import implied_vol_black
from optio.pricing.surface import SurfaceFit, fit_surface


@dataclass(frozen=True)
class SmilePoints:
    """Market points of one expiry: log-moneyness ``ln(K/F)`` and bid/ask/mark vols (NaN if absent)."""

    expiry: int
    expiry_years: float
    forward: float
    log_moneyness: np.ndarray
    bid_vol: np.ndarray
    ask_vol: np.ndarray
    mark_vol: np.ndarray


def smile_points(quotes: list[OptionQuote], underlying: str | None = None) -> list[SmilePoints]:
    """Group by expiry (ascending) and invert bid and ask prices of the out-of-the-money options."""
    chosen = [q for q in quotes if underlying is None or q.underlying == underlying]
    smiles = []
    for expiry in sorted({q.expiry for q in chosen}):
        rows = [q for q in chosen if q.expiry == expiry]
        forward = float(np.median([q.underlying_price for q in rows]))
        otm = sorted((q for q in rows if (q.option_type == "call") == (q.strike >= forward)), key=lambda q: q.strike)
        if len(otm) < 5:
            continue
        strikes = np.array([q.strike for q in otm])
        calls = np.array([q.option_type == "call" for q in otm])
        t = otm[0].expiry_years
        vols = {}
        for side in ("bid", "ask"):
            prices = np.array([getattr(q, side) for q in otm])
            iv = implied_vol_black(np.nan_to_num(prices, nan=-1.0), forward, strikes, t, is_call=calls)
            vols[side] = np.where(iv.ok & (prices > 0), iv.vol, np.nan)
        smiles.append(SmilePoints(expiry, t, forward, np.log(strikes / forward), vols["bid"], vols["ask"],
                                  np.array([q.iv for q in otm])))
    return smiles


def fit_chain(
    quotes: list[OptionQuote], underlying: str | None = None, **options
) -> tuple[SurfaceFit, list[SmilePoints]]:
    """Fit a surface to a chain's out-of-the-money bid/ask vols (options go to :func:`fit_surface`)."""
    smiles = [s for s in smile_points(quotes, underlying) if np.isfinite(s.bid_vol + s.ask_vol).any()]
    if not smiles:
        raise ValueError("no expiry has five or more out-of-the-money quotes")
    fit = fit_surface([s.expiry_years for s in smiles], [s.log_moneyness for s in smiles],
                      [s.bid_vol for s in smiles], [s.ask_vol for s in smiles], **options)
    return fit, smiles
