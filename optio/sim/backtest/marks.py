"""Black-Scholes marks of listed options on the posted surfaces: ``marks`` for any list of
options, and ``StepMarks``, which prices a step's options once.

Why ``StepMarks``: within one step of the backtest, time, spot and the posted surfaces do not
change (the keeper moves them first), yet the model asks for marks several times a step — each
vault's NAV, every account's stressed requirement, each liquidation — over a handful of options
each time. ``optio.pricing.black_price`` costs tens of microseconds a call whatever the size (its
inputs are laid out flat and checked on every call), so those small calls were most of a model
year. ``StepMarks`` prices every live option of the step in one call per (spot, vol scale) and
answers the rest from that table. Each option's mark is the same float either way: the
pricing is element by element (tests/sim/test_marks.py checks it bitwise).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from optio.pricing.black_scholes import SECONDS_PER_YEAR, black_price
from optio.pricing.svi import SviParams
from optio.sdk.contracts import held_surface
from optio.sdk.market import Option

Surfaces = dict[int, tuple[SviParams, int]]  # expiry: (slice as posted, when)


def marks(options: list[Option], spot: float | np.ndarray, t: int, surfaces: Surfaces,
          vol_scale: float | np.ndarray = 1.0) -> np.ndarray:
    """Black-Scholes mids at time ``t`` on the posted ``surfaces`` ((slice, posted at) by expiry;
    the oracle holds the posted vols until the next post), vols × ``vol_scale``, in collateral
    tokens per option: quote for puts, base (÷ spot) for calls. Vectorised; ``spot`` and
    ``vol_scale`` may be one per option."""
    if not options:
        return np.zeros(0)
    spot = np.broadcast_to(np.asarray(spot, dtype=float), (len(options),))
    strikes = np.array([float(o.strike) for o in options])
    tau = np.array([(o.expiry - t) / SECONDS_PER_YEAR for o in options])
    vols = np.empty(len(options))
    for expiry in {o.expiry for o in options}:
        sel = np.array([o.expiry == expiry for o in options])
        posted, posted_at = surfaces[expiry]
        held = held_surface(posted, posted_at, expiry, t)
        vols[sel] = held.implied_vol(np.log(strikes[sel] / spot[sel]), tau[sel])
    calls = np.array([o.is_call for o in options])
    prices = black_price(spot, strikes, tau, vols * vol_scale, is_call=calls)
    return np.where(calls, prices / spot, prices)


class OptionTable:
    """What a list of options' marks need that does not change from step to step: strikes,
    expiries and call flags as arrays, laid out for the expiries that are live. Make one when
    the book changes."""

    def __init__(self, options: Iterable[Option]):
        self.options = list(options)
        self.index = {o: i for i, o in enumerate(self.options)}
        self.strikes = np.array([float(o.strike) for o in self.options])
        self.expiries = np.array([o.expiry for o in self.options], dtype=np.int64)
        self.calls = np.array([o.is_call for o in self.options], dtype=np.bool_)
        self.rows = {e: np.flatnonzero(self.expiries == e) for e in dict.fromkeys(o.expiry for o in self.options)}
        self._layouts: dict[tuple[tuple[int, ...], int], _Layout] = {}

    def layout(self, expiries: tuple[int, ...], copies: int) -> _Layout:
        """The options of ``expiries``, ``copies`` times over (one copy per scenario)."""
        key = (expiries, copies)
        if key not in self._layouts:
            self._layouts[key] = _Layout(self, expiries, copies)
        return self._layouts[key]


class _Layout:
    """Options of some expiries, repeated ``copies`` times: their arrays, each expiry's elements,
    and for each row of the table its column in one copy (−1: not in the layout)."""

    def __init__(self, table: OptionTable, expiries: tuple[int, ...], copies: int):
        live = np.concatenate([table.rows[e] for e in expiries]) if expiries else np.zeros(0, dtype=np.intp)
        n = self.n = len(live)
        self.column = np.full(len(table.options), -1, dtype=np.intp)
        self.column[live] = np.arange(n)
        self.strikes = np.concatenate((table.strikes[live],) * copies) if copies else np.zeros(0)
        self.expiries = np.concatenate((table.expiries[live],) * copies) if copies else np.zeros(0, dtype=np.int64)
        self.calls = np.concatenate((table.calls[live],) * copies) if copies else np.zeros(0, dtype=np.bool_)
        self.groups = []
        start = 0
        for e in expiries:
            size = len(table.rows[e])
            self.groups.append((e, (np.arange(copies)[:, None] * n + np.arange(start, start + size)).ravel()))
            start += size


class StepMarks:
    """The marks of one step (time ``t``, the ``surfaces`` as posted) for the live options of
    ``table``: at each (spot, vol scale) of ``scenarios`` (the step's spot and its stressed
    spots), all priced by one ``black_price`` call on first use; any other (spot, vol scale), or
    an option that is not live, goes through :func:`marks`. Each mark is the float ``marks``
    gives for it. Make a new one when time, spot, a surface or the table changes."""

    def __init__(self, t: int, surfaces: Surfaces, table: OptionTable, scenarios: Iterable[tuple[float, float]]):
        self.t, self.surfaces, self.table = t, surfaces, table
        self.scenarios = list(dict.fromkeys((float(s), float(v)) for s, v in scenarios))
        live = tuple(e for e in table.rows if e > t and e in surfaces)
        self.layout = table.layout(live, len(self.scenarios))
        self._tables: dict[tuple[float, float], np.ndarray] | None = None

    def _build(self) -> dict[tuple[float, float], np.ndarray]:
        """Every scenario's marks of the live options, in one pass over live options × scenarios:
        the operations of :func:`marks`, element by element."""
        lay, n = self.layout, self.layout.n
        spot = np.repeat([s for s, _ in self.scenarios], n)
        scale = np.repeat([v for _, v in self.scenarios], n)
        tau = (lay.expiries - self.t) / SECONDS_PER_YEAR
        vols = np.empty(len(tau))
        for expiry, sel in lay.groups:
            posted, posted_at = self.surfaces[expiry]
            held = held_surface(posted, posted_at, expiry, self.t)
            vols[sel] = held.implied_vol(np.log(lay.strikes[sel] / spot[sel]), tau[sel])
        prices = black_price(spot, lay.strikes, tau, vols * scale, is_call=lay.calls) if n else np.zeros(0)
        every = np.where(lay.calls, prices / spot, prices)
        return {key: every[i * n : (i + 1) * n] for i, key in enumerate(self.scenarios)}

    def of(self, options: list[Option], spot: float, vol_scale: float = 1.0) -> np.ndarray:
        """``marks(options, spot, t, surfaces, vol_scale)``, read from the step's tables."""
        if self._tables is None:
            self._tables = self._build()
        table = self._tables.get((float(spot), float(vol_scale)))
        rows = [self.table.index.get(o) for o in options]
        if table is None or None in rows:
            return marks(options, spot, self.t, self.surfaces, vol_scale)
        at = self.layout.column[np.array(rows, dtype=np.intp)]
        if (at < 0).any():  # not live at this step: the reference path (and its errors)
            return marks(options, spot, self.t, self.surfaces, vol_scale)
        return table[at]
