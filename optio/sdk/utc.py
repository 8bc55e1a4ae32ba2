"""Unix times as people read them, in UTC: one format for every message and table."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_time(timestamp: int, *, seconds: bool = True) -> str:
    """``timestamp`` (Unix s) as ``2027-06-25 08:00:00 UTC`` (without seconds: expiries)."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")
