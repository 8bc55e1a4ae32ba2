"""OKX option snapshots: ``/api/v5/market/tickers?instType=OPTION`` joined with
``/api/v5/public/opt-summary`` (mark vol, forward) and the index price.

Instrument ids look like ``BTC-USD-241227-60000-C``; coin-margined premiums are in the base coin
and are multiplied by the index price; numbers arrive as strings; ``markVol`` is a decimal.
A snapshot file is ``{"tickers": {...}, "opt_summary": {...}, "index": {"idxPx": "..."}}``.
"""

from __future__ import annotations

import re

from optio.pricing.chains.schema import (
    YYMMDD_STRIKE_KIND,
    InstrumentFormat,
    NormalisedChain,
    OptionQuote,
    RowError,
    normalise_rows,
    number,
    price_field,
)

VENUE = "okx"
INSTRUMENT = InstrumentFormat(
    "instId", "UNDERLYING-QUOTE-YYMMDD-STRIKE-C|P",
    re.compile(r"^(?P<coin>[A-Z]+)-[A-Z]+-" + YYMMDD_STRIKE_KIND),
)


def normalise(snapshot: dict) -> NormalisedChain:
    try:
        tickers = snapshot["tickers"]["data"]
        summary = {s["instId"]: s for s in snapshot["opt_summary"]["data"]}
        index = number(snapshot["index"]["idxPx"], "index idxPx")
    except (KeyError, TypeError) as exc:
        raise RowError(f"an OKX snapshot has tickers.data, opt_summary.data and index.idxPx ({exc})") from exc

    def convert(row: dict) -> OptionQuote:
        coin, expiry, strike, kind = INSTRUMENT.parse(row.get("instId"))
        extra = summary.get(row.get("instId"))
        if extra is None:
            raise RowError("no opt-summary row for this instrument")
        return OptionQuote(
            underlying=coin, expiry=expiry, strike=strike, option_type=kind,
            bid=price_field(row, "bidPx", index), ask=price_field(row, "askPx", index),
            mark=price_field(row, "markPx", index), iv=number(extra.get("markVol"), "markVol", optional=True),
            underlying_price=index,
            timestamp=int(number(row.get("ts"), "ts") // 1000), venue=VENUE,
        )

    return normalise_rows(VENUE, tickers, lambda r: r.get("instId", "?"), convert)
