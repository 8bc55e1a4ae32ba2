"""Deribit ``public/get_book_summary_by_currency`` (kind=option) snapshots.

Instrument names look like ``BTC-27DEC24-60000-C``; premiums are quoted in the base coin
(inverse options), so they are multiplied by ``underlying_price``; ``mark_iv`` is in percent.
"""

from __future__ import annotations

import re

from optio.pricing.chains.schema import (
    InstrumentFormat,
    NormalisedChain,
    OptionQuote,
    RowError,
    normalise_rows,
    number,
    price_field,
)

VENUE = "deribit"
INSTRUMENT = InstrumentFormat(
    "instrument name", "UNDERLYING-DDMMMYY-STRIKE-C|P",
    re.compile(r"^(?P<coin>[A-Z]+)-(?P<day>\d{1,2})(?P<month>[A-Z]{3})(?P<year>\d{2})-(?P<strike>\d+(?:d\d+)?)-(?P<kind>[CP])$"),
)


def _convert(row: dict) -> OptionQuote:
    coin, expiry, strike, kind = INSTRUMENT.parse(row.get("instrument_name"))
    spot = number(row.get("underlying_price"), "underlying_price")
    iv = number(row.get("mark_iv"), "mark_iv", optional=True) / 100.0
    return OptionQuote(
        underlying=coin, expiry=expiry, strike=strike, option_type=kind,
        bid=price_field(row, "bid_price", spot), ask=price_field(row, "ask_price", spot),
        mark=price_field(row, "mark_price", spot), iv=iv, underlying_price=spot,
        timestamp=int(number(row.get("creation_timestamp"), "creation_timestamp") // 1000), venue=VENUE,
    )


def normalise(snapshot: dict) -> NormalisedChain:
    rows = snapshot.get("result")
    if not isinstance(rows, list):
        raise RowError("a Deribit snapshot has a 'result' list")
    return normalise_rows(VENUE, rows, lambda r: r.get("instrument_name", "?"), _convert)
