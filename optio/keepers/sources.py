"""Price sources behind one interface, and the median that combines them.

A source answers ``price(at)`` with a price in quote units per base unit, or ``None`` when it has
none (down, stale, malformed): a source never raises into the keeper, and a missing price is
never replaced by an old one.
"""

from __future__ import annotations

import bisect
import csv
import json
import logging
import math
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from statistics import median
from typing import Protocol

import numpy as np

log = logging.getLogger("optio.keepers.sources")


class PriceSource(Protocol):
    name: str

    def price(self, at: int) -> Decimal | None:
        """The price at unix time ``at`` (seconds), or None when the source has none."""
        ...


class ReplaySource:
    """A recorded series: a CSV of ``timestamp,price`` rows (header optional), ascending. The
    price at ``at`` is the last row at or before it; none before the first row or when the last
    row is older than ``max_age`` seconds (a recording that ran out is a source that is down)."""

    def __init__(self, path: Path | str, *, max_age: int = 300, name: str = "replay"):
        self.name, self.max_age = name, max_age
        times, prices = [], []
        with open(path, newline="") as f:
            for row in csv.reader(f):
                if not row or not row[0].strip().lstrip("-").isdigit():
                    continue  # the header, blank lines
                times.append(int(row[0]))
                prices.append(Decimal(row[1].strip()))
        if not times or times != sorted(times):
            raise ValueError(f"{path}: needs rows of `timestamp,price` in ascending time")
        self.times, self.prices = times, prices

    def price(self, at: int) -> Decimal | None:
        i = bisect.bisect_right(self.times, at) - 1
        if i < 0 or at - self.times[i] > self.max_age:
            return None
        return self.prices[i]


class GbmJumpSource:
    """A seeded geometric Brownian motion with Poisson jumps on a one-second grid from ``start``:
    the same seed gives the same path, whatever order it is asked in.

    ``vol`` per year (1.00 = 100%); ``jumps_per_day`` the jump rate; ``jump_size`` the standard
    deviation of a jump's log-return."""

    YEAR = 365 * 86400

    def __init__(self, *, seed: int, start: int, s0: float, vol: float = 0.8, jumps_per_day: float = 2.0,
                 jump_size: float = 0.03, name: str = "gbm"):
        self.name, self.start, self.s0 = name, start, s0
        self.vol, self.rate, self.jump_size = vol, jumps_per_day / 86400, jump_size
        self.seed = seed
        self.log_path = [math.log(s0)]

    BLOCK = 4096  # seconds drawn per generator: each block has its own seed, so order never matters

    def _extend(self, n: int) -> None:
        dt = 1 / self.YEAR
        while len(self.log_path) <= n:
            rng = np.random.default_rng([self.seed, (len(self.log_path) - 1) // self.BLOCK])
            k = self.BLOCK
            diffusion = -0.5 * self.vol**2 * dt + self.vol * math.sqrt(dt) * rng.standard_normal(k)
            jumps = rng.poisson(self.rate, k) * rng.normal(0.0, self.jump_size, k)
            self.log_path.extend((np.cumsum(diffusion + jumps) + self.log_path[-1]).tolist())

    def price(self, at: int) -> Decimal | None:
        if at < self.start:
            return None
        n = at - self.start
        if n >= len(self.log_path):
            self._extend(n)
        return Decimal(repr(round(math.exp(self.log_path[n]), 8)))


#: Exchange ticker parsers: the response body (JSON text) → price. Raise on anything unexpected.
def parse_coinbase(body: str) -> Decimal:
    """``GET https://api.exchange.coinbase.com/products/ETH-USD/ticker`` → ``{"price": "…"}``."""
    return Decimal(json.loads(body)["price"])


def parse_binance(body: str) -> Decimal:
    """``GET https://api.binance.com/api/v3/ticker/price?symbol=ETHUSDT`` → ``{"price": "…"}``."""
    return Decimal(json.loads(body)["price"])


def parse_kraken(body: str) -> Decimal:
    """``GET https://api.kraken.com/0/public/Ticker?pair=ETHUSD`` → last trade ``c[0]``."""
    data = json.loads(body)
    if data.get("error"):
        raise ValueError("; ".join(data["error"]))
    (ticker,) = data["result"].values()
    return Decimal(ticker["c"][0])


PARSERS: dict[str, Callable[[str], Decimal]] = {
    "coinbase": parse_coinbase, "binance": parse_binance, "kraken": parse_kraken,
}


def http_get(url: str, timeout: float) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


class RestSource:
    """An exchange's public ticker over HTTPS. ``fetch(url, timeout)`` is injectable: tests give
    recorded responses (no exchange is reachable from CI)."""

    def __init__(self, venue: str, url: str, *, timeout: float = 3.0,
                 fetch: Callable[[str, float], str] | None = None, name: str | None = None):
        if venue not in PARSERS:
            raise ValueError(f"unknown venue {venue!r}: choose one of {', '.join(PARSERS)}")
        self.name, self.venue, self.url, self.timeout, self.fetch = name or venue, venue, url, timeout, fetch
        self.last_error = ""

    def price(self, at: int) -> Decimal | None:
        try:
            fetch = self.fetch or http_get  # looked up at the call: tests replace the module's http_get
            value = PARSERS[self.venue](fetch(self.url, self.timeout))
        except (OSError, ValueError, KeyError, TypeError, InvalidOperation) as err:
            self.last_error = f"{type(err).__name__}: {err}"
            log.warning("price source failed", extra={"source": self.name, "error": self.last_error})
            return None
        if not value.is_finite() or value <= 0:
            self.last_error = f"not a price: {value}"
            return None
        self.last_error = ""
        return value


@dataclass(frozen=True)
class Aggregate:
    price: Decimal | None
    used: list[str]
    rejected: list[str]  # outliers
    missing: list[str]  # no price


def aggregate(quotes: dict[str, Decimal | None], *, max_deviation: float, min_sources: int) -> Aggregate:
    """Median of the sources' prices after dropping those further than ``max_deviation``
    (a fraction) from the first median; no price when fewer than ``min_sources`` remain."""
    missing = [n for n, p in quotes.items() if p is None]
    present = {n: p for n, p in quotes.items() if p is not None}
    if not present:
        return Aggregate(None, [], [], missing)
    mid = median(present.values())
    limit = Decimal(repr(max_deviation)) * mid
    used = {n: p for n, p in present.items() if abs(p - mid) <= limit}
    rejected = sorted(set(present) - set(used))
    if len(used) < min_sources:
        return Aggregate(None, sorted(used), rejected, missing)
    return Aggregate(median(used.values()), sorted(used), rejected, missing)
