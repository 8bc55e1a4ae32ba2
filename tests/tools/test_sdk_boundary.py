"""No service reaches around the SDK: outside ``optio/sdk`` (and the pure ``optio/pricing``), no
raw contract read by function name, no hand-written wad arithmetic, no option id bit layout.
The SDK's typed reads return dataclasses in named units instead; a reordered struct field then
fails loudly in one place instead of giving wrong numbers in many."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: What only the SDK may write, with the reason a hit is refused.
FORBIDDEN = {
    r'\.call\("|\.functions\.\w+\(': "a raw contract read: use (or add) a typed read in optio.sdk",
    r"\b1e18\b|\b10\s*\*\*\s*18\b|\bWAD\b": "wad arithmetic: convert with optio.sdk.units",
    r">>\s*160\b|<<\s*160\b": "the option id layout: use optio.sdk.option_id",
}
SERVICES = sorted(p for p in (ROOT / "optio").rglob("*.py")
                  if not p.is_relative_to(ROOT / "optio" / "sdk") and not p.is_relative_to(ROOT / "optio" / "pricing"))


def offending_lines(text: str, pattern: str) -> list[str]:
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if re.search(pattern, line) and not line.startswith("#")]


@pytest.mark.parametrize("pattern", FORBIDDEN)
def test_services_go_through_the_sdk(pattern):
    hits = {str(p.relative_to(ROOT)): found for p in SERVICES if (found := offending_lines(p.read_text(), pattern))}
    assert not hits, f"{FORBIDDEN[pattern]}: {hits}"


def test_the_check_sees_a_raw_read():
    assert offending_lines('x = market.call("riskLimits")[0]', next(iter(FORBIDDEN)))
    assert offending_lines("x = market.functions.riskLimits().call()", next(iter(FORBIDDEN)))
    assert offending_lines("delta = raw / 1e18", list(FORBIDDEN)[1])
    assert offending_lines("expiry = option_id >> 160", list(FORBIDDEN)[2])
