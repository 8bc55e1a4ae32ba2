"""Deribit ``public/get_book_summary_by_currency`` (kind=option) snapshots.

Instrument names look like ``BTC-27DEC24-60000-C``; premiums are quoted in the base coin
(inverse options), so they are multiplied by ``underlying_price``; ``mark_iv`` is in percent.
"""

from __future__ import annotations

import re

from pricing.chains.schema import (
    NormalisedChain,
    OptionQuote,
    RowError,
    expiry_timestamp,
    normalise_rows,
    number,
    parse_type,
)

VENUE = "deribit"
_MONTHS = {
    m: i + 1 for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"))
}
_NAME = re.compile(r"^([A-Z]+)-(\d{1,2})([A-Z]{3})(\d{2})-(\d+(?:d\d+)?)-([CP])$")


def parse_instrument(name: str) -> tuple[str, int, float, str]:
    """``(underlying, expiry, strike, type)`` from ``BTC-27DEC24-60000-C`` (``d`` is a decimal point)."""
    match = _NAME.match(name or "")
    if not match:
        raise RowError(f"instrument name {name!r} is not UNDERLYING-DDMMMYY-STRIKE-C|P")
    coin, day, month, year, strike, kind = match.groups()
    if month not in _MONTHS:
        raise RowError(f"unknown month {month!r} in {name!r}")
    expiry = expiry_timestamp(2000 + int(year), _MONTHS[month], int(day))
    return coin, expiry, float(strike.replace("d", ".")), parse_type(kind)


def _convert(row: dict) -> OptionQuote:
    coin, expiry, strike, kind = parse_instrument(row.get("instrument_name"))
    spot = number(row.get("underlying_price"), "underlying_price")
    iv = number(row.get("mark_iv"), "mark_iv", optional=True) / 100.0
    return OptionQuote(
        underlying=coin, expiry=expiry, strike=strike, option_type=kind,
        bid=number(row.get("bid_price"), "bid_price", optional=True) * spot,
        ask=number(row.get("ask_price"), "ask_price", optional=True) * spot,
        mark=number(row.get("mark_price"), "mark_price", optional=True) * spot,
        iv=iv, underlying_price=spot,
        timestamp=int(number(row.get("creation_timestamp"), "creation_timestamp") // 1000), venue=VENUE,
    )


def normalise(snapshot: dict) -> NormalisedChain:
    rows = snapshot.get("result")
    if not isinstance(rows, list):
        raise RowError("a Deribit snapshot has a 'result' list")
    return normalise_rows(VENUE, rows, lambda r: r.get("instrument_name", "?"), _convert)
