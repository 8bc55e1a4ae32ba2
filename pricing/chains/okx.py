"""OKX option snapshots: ``/api/v5/market/tickers?instType=OPTION`` joined with
``/api/v5/public/opt-summary`` (mark vol, forward) and the index price.

Instrument ids look like ``BTC-USD-241227-60000-C``; coin-margined premiums are in the base coin
and are multiplied by the index price; numbers arrive as strings; ``markVol`` is a decimal.
A snapshot file is ``{"tickers": {...}, "opt_summary": {...}, "index": {"idxPx": "..."}}``.
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

VENUE = "okx"
_ID = re.compile(r"^([A-Z]+)-([A-Z]+)-(\d{2})(\d{2})(\d{2})-(\d+(?:\.\d+)?)-([CP])$")


def parse_instrument(inst_id: str) -> tuple[str, int, float, str]:
    match = _ID.match(inst_id or "")
    if not match:
        raise RowError(f"instId {inst_id!r} is not UNDERLYING-QUOTE-YYMMDD-STRIKE-C|P")
    coin, _quote, yy, mm, dd, strike, kind = match.groups()
    return coin, expiry_timestamp(2000 + int(yy), int(mm), int(dd)), float(strike), parse_type(kind)


def normalise(snapshot: dict) -> NormalisedChain:
    try:
        tickers = snapshot["tickers"]["data"]
        summary = {s["instId"]: s for s in snapshot["opt_summary"]["data"]}
        index = number(snapshot["index"]["idxPx"], "index idxPx")
    except (KeyError, TypeError) as exc:
        raise RowError(f"an OKX snapshot has tickers.data, opt_summary.data and index.idxPx ({exc})") from exc

    def convert(row: dict) -> OptionQuote:
        coin, expiry, strike, kind = parse_instrument(row.get("instId"))
        extra = summary.get(row.get("instId"))
        if extra is None:
            raise RowError("no opt-summary row for this instrument")
        return OptionQuote(
            underlying=coin, expiry=expiry, strike=strike, option_type=kind,
            bid=number(row.get("bidPx"), "bidPx", optional=True) * index,
            ask=number(row.get("askPx"), "askPx", optional=True) * index,
            mark=number(row.get("markPx"), "markPx", optional=True) * index,
            iv=number(extra.get("markVol"), "markVol", optional=True),
            underlying_price=index,
            timestamp=int(number(row.get("ts"), "ts") // 1000), venue=VENUE,
        )

    return normalise_rows(VENUE, tickers, lambda r: r.get("instId", "?"), convert)
