"""One schema for option-chain snapshots from any venue, and the bookkeeping of rejected rows.

Units: prices (bid, ask, mark, strike, underlying_price) in the quote currency (USD/USDT), per
one unit of the underlying; ``iv`` annualised (1.0 = 100%); ``expiry`` and ``timestamp`` in Unix
seconds (UTC). A side with no quote is NaN, never 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

#: Deribit, OKX and Binance options all expire at 08:00 UTC.
EXPIRY_HOUR_UTC = 8


@dataclass(frozen=True)
class OptionQuote:
    underlying: str
    expiry: int
    strike: float
    option_type: str  # "call" or "put"
    bid: float
    ask: float
    mark: float
    iv: float
    underlying_price: float
    timestamp: int
    venue: str

    @property
    def expiry_years(self) -> float:
        """Time from the snapshot to expiry in 365-day years."""
        return (self.expiry - self.timestamp) / (365.0 * 86400.0)


@dataclass(frozen=True)
class RejectedRow:
    venue: str
    index: int
    instrument: str
    reason: str


@dataclass
class NormalisedChain:
    quotes: list[OptionQuote] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)


class RowError(ValueError):
    """A row that cannot be normalised; the message is the reason reported."""


def expiry_timestamp(year: int, month: int, day: int) -> int:
    """Unix seconds of 08:00 UTC on that date."""
    try:
        return int(datetime(year, month, day, EXPIRY_HOUR_UTC, tzinfo=UTC).timestamp())
    except ValueError as exc:
        raise RowError(f"invalid expiry date {year:04d}-{month:02d}-{day:02d}") from exc


def number(value, what: str, *, optional: bool = False) -> float:
    """A finite float from a number or numeric string; missing/empty is NaN only if ``optional``."""
    if value is None or value == "":
        if optional:
            return math.nan
        raise RowError(f"missing {what}")
    try:
        out = float(value)
    except (TypeError, ValueError) as exc:
        raise RowError(f"{what} is not a number: {value!r}") from exc
    if not math.isfinite(out):
        raise RowError(f"{what} is not finite: {value!r}")
    return out


def parse_type(letter: str) -> str:
    if letter.upper() == "C":
        return "call"
    if letter.upper() == "P":
        return "put"
    raise RowError(f"option type {letter!r} is neither C nor P")


def checked_quote(q: OptionQuote) -> OptionQuote:
    """Reject rows no model can use: past expiry, bad strike or spot, negative or crossed prices."""
    if q.strike <= 0:
        raise RowError(f"strike {q.strike} ≤ 0")
    if q.underlying_price <= 0:
        raise RowError(f"underlying price {q.underlying_price} ≤ 0")
    if q.expiry <= q.timestamp:
        raise RowError("expired before the snapshot time")
    for side in ("bid", "ask", "mark"):
        if getattr(q, side) < 0:
            raise RowError(f"negative {side} {getattr(q, side)}")
    if q.bid > q.ask:
        raise RowError(f"crossed quote: bid {q.bid} > ask {q.ask}")
    if not math.isnan(q.iv) and not 0 < q.iv < 50:
        raise RowError(f"implied vol {q.iv} outside (0, 50)")
    return q


def normalise_rows(venue: str, rows: Iterable, name_of: Callable, convert: Callable) -> NormalisedChain:
    """Apply ``convert`` to each row; every failure becomes a :class:`RejectedRow` with its reason."""
    chain = NormalisedChain()
    for index, row in enumerate(rows):
        try:
            if not isinstance(row, dict):
                raise RowError(f"row is not an object: {row!r}")
            chain.quotes.append(checked_quote(convert(row)))
        except RowError as exc:
            name = name_of(row) if isinstance(row, dict) else "?"
            chain.rejected.append(RejectedRow(venue, index, str(name), str(exc)))
    return chain
