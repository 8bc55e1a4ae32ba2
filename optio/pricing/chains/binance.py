"""Binance European options snapshots: ``/eapi/v1/ticker`` joined with ``/eapi/v1/mark``.

Symbols look like ``BTC-241227-60000-C``; premiums are USDT (no conversion); ``markIV`` is a
decimal; ``exercisePrice`` in the ticker is the underlying index price.
A snapshot file is ``{"ticker": [...], "mark": [...]}``.
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

VENUE = "binance"
INSTRUMENT = InstrumentFormat(
    "symbol", "UNDERLYING-YYMMDD-STRIKE-C|P",
    re.compile(r"^(?P<coin>[A-Z]+)-" + YYMMDD_STRIKE_KIND),
)


def normalise(snapshot: dict) -> NormalisedChain:
    try:
        tickers = snapshot["ticker"]
        marks = {m["symbol"]: m for m in snapshot["mark"]}
    except (KeyError, TypeError) as exc:
        raise RowError(f"a Binance snapshot has 'ticker' and 'mark' lists ({exc})") from exc

    def convert(row: dict) -> OptionQuote:
        coin, expiry, strike, kind = INSTRUMENT.parse(row.get("symbol"))
        mark = marks.get(row.get("symbol"))
        if mark is None:
            raise RowError("no mark row for this symbol")
        bid, ask = price_field(row, "bidPrice"), price_field(row, "askPrice")
        if bid < 0 or ask < 0:
            raise RowError(f"negative price: bid {bid}, ask {ask}")
        return OptionQuote(
            underlying=coin, expiry=expiry, strike=strike, option_type=kind,
            # Binance shows an empty side as 0; the schema says NaN.
            bid=bid if bid > 0 else float("nan"), ask=ask if ask > 0 else float("nan"),
            mark=price_field(mark, "markPrice"),
            iv=number(mark.get("markIV"), "markIV", optional=True),
            underlying_price=number(row.get("exercisePrice"), "exercisePrice"),
            timestamp=int(number(row.get("closeTime"), "closeTime") // 1000), venue=VENUE,
        )

    return normalise_rows(VENUE, tickers, lambda r: r.get("symbol", "?"), convert)
