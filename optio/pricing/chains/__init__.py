"""Option-chain snapshots from Deribit, OKX and Binance, normalised to one schema."""

from __future__ import annotations

import json
from pathlib import Path

from optio.pricing.chains import binance, deribit, okx
from optio.pricing.chains.schema import NormalisedChain, OptionQuote, RejectedRow, RowError

ADAPTERS = {"deribit": deribit.normalise, "okx": okx.normalise, "binance": binance.normalise}


def detect_venue(snapshot: dict) -> str:
    """The venue whose shape the snapshot has (an explicit ``"venue"`` key wins)."""
    if isinstance(snapshot, dict):
        if snapshot.get("venue") in ADAPTERS:
            return snapshot["venue"]
        if "result" in snapshot:
            return "deribit"
        if "tickers" in snapshot and "opt_summary" in snapshot:
            return "okx"
        if "ticker" in snapshot and "mark" in snapshot:
            return "binance"
    raise RowError("snapshot shape is none of deribit (result), okx (tickers + opt_summary), binance (ticker + mark)")


def normalise(snapshot: dict, venue: str | None = None) -> NormalisedChain:
    venue = venue or detect_venue(snapshot)
    if venue not in ADAPTERS:
        raise RowError(f"unknown venue {venue!r}; known: {', '.join(ADAPTERS)}")
    return ADAPTERS[venue](snapshot)


def load_snapshot(path: str | Path, venue: str | None = None) -> NormalisedChain:
    """Read a snapshot file (JSON) and normalise it."""
    try:
        snapshot = json.loads(Path(path).read_text())
    except json.JSONDecodeError as exc:
        raise RowError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    return normalise(snapshot, venue)


__all__ = ["NormalisedChain", "OptionQuote", "RejectedRow", "RowError", "detect_venue", "load_snapshot", "normalise"]
