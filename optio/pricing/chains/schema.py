"""One schema for option-chain snapshots from any venue, and the bookkeeping of rejected rows.

Units: prices (bid, ask, mark, strike, underlying_price) in the quote currency (USD/USDT), per
one unit of the underlying; ``iv`` annualised (1.0 = 100%); ``expiry`` and ``timestamp`` in Unix
seconds (UTC). A side with no quote is NaN, never 0.
"""

from __future__ import annotations

import math
import re
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


_MONTHS = {m: i + 1 for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"))}


#: The tail of a ``…-YYMMDD-STRIKE-C|P`` instrument name (OKX and Binance), for InstrumentFormat.
YYMMDD_STRIKE_KIND = r"(?P<year>\d{2})(?P<month>\d{2})(?P<day>\d{2})-(?P<strike>\d+(?:\.\d+)?)-(?P<kind>[CP])$"


@dataclass(frozen=True)
class InstrumentFormat:
    """A venue's instrument name: a regex with groups ``coin``, ``year`` (2 digits), ``month``
    (digits or JAN…DEC), ``day``, ``strike`` (``d`` may stand for the decimal point) and ``kind``."""

    field: str
    shape: str
    pattern: re.Pattern

    def parse(self, name) -> tuple[str, int, float, str]:
        """``(underlying, expiry, strike, type)``, or a :class:`RowError` saying what was expected."""
        match = self.pattern.match(name or "") if isinstance(name, str) else None
        if not match:
            raise RowError(f"{self.field} {name!r} is not {self.shape}")
        g = match.groupdict()
        month = int(g["month"]) if g["month"].isdigit() else _MONTHS.get(g["month"])
        if month is None:
            raise RowError(f"unknown month {g['month']!r} in {name!r}")
        expiry = expiry_timestamp(2000 + int(g["year"]), month, int(g["day"]))
        return g["coin"], expiry, float(g["strike"].replace("d", ".")), parse_type(g["kind"])


def price_field(row: dict, key: str, scale: float = 1.0) -> float:
    """An optional price column (NaN when absent), times ``scale`` (the index for coin premiums)."""
    return number(row.get(key), key, optional=True) * scale


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
