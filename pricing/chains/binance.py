"""Binance European options snapshots: ``/eapi/v1/ticker`` joined with ``/eapi/v1/mark``.

Symbols look like ``BTC-241227-60000-C``; premiums are USDT (no conversion); ``markIV`` is a
decimal; ``exercisePrice`` in the ticker is the underlying index price.
A snapshot file is ``{"ticker": [...], "mark": [...]}``.
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

VENUE = "binance"
_SYMBOL = re.compile(r"^([A-Z]+)-(\d{2})(\d{2})(\d{2})-(\d+(?:\.\d+)?)-([CP])$")


def parse_instrument(symbol: str) -> tuple[str, int, float, str]:
    match = _SYMBOL.match(symbol or "")
    if not match:
        raise RowError(f"symbol {symbol!r} is not UNDERLYING-YYMMDD-STRIKE-C|P")
    coin, yy, mm, dd, strike, kind = match.groups()
    return coin, expiry_timestamp(2000 + int(yy), int(mm), int(dd)), float(strike), parse_type(kind)


def normalise(snapshot: dict) -> NormalisedChain:
    try:
        tickers = snapshot["ticker"]
        marks = {m["symbol"]: m for m in snapshot["mark"]}
    except (KeyError, TypeError) as exc:
        raise RowError(f"a Binance snapshot has 'ticker' and 'mark' lists ({exc})") from exc

    def convert(row: dict) -> OptionQuote:
        coin, expiry, strike, kind = parse_instrument(row.get("symbol"))
        mark = marks.get(row.get("symbol"))
        if mark is None:
            raise RowError("no mark row for this symbol")
        bid = number(row.get("bidPrice"), "bidPrice", optional=True)
        ask = number(row.get("askPrice"), "askPrice", optional=True)
        if bid < 0 or ask < 0:
            raise RowError(f"negative price: bid {bid}, ask {ask}")
        return OptionQuote(
            underlying=coin, expiry=expiry, strike=strike, option_type=kind,
            # Binance shows an empty side as 0; the schema says NaN.
            bid=bid if bid > 0 else float("nan"), ask=ask if ask > 0 else float("nan"),
            mark=number(mark.get("markPrice"), "markPrice", optional=True),
            iv=number(mark.get("markIV"), "markIV", optional=True),
            underlying_price=number(row.get("exercisePrice"), "exercisePrice"),
            timestamp=int(number(row.get("closeTime"), "closeTime") // 1000), venue=VENUE,
        )

    return normalise_rows(VENUE, tickers, lambda r: r.get("symbol", "?"), convert)
