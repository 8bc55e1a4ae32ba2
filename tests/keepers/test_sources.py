"""Price sources: exchange adapters on recorded responses, replay and simulator, the median."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optio.keepers.sources import GbmJumpSource, ReplaySource, RestSource, aggregate

FIXTURES = Path(__file__).parent / "fixtures"


def recorded(name: str):
    return lambda url, timeout: (FIXTURES / name).read_text()


def failing(exc: Exception):
    def fetch(url, timeout):
        raise exc

    return fetch


@pytest.mark.parametrize("venue,fixture,price", [
    ("coinbase", "coinbase_ticker.json", "3012.44"),
    ("binance", "binance_ticker.json", "3011.87"),
    ("kraken", "kraken_ticker.json", "3012.58"),
])
def test_exchange_adapters_parse_recorded_responses(venue, fixture, price):
    assert RestSource(venue, "https://x", fetch=recorded(fixture)).price(0) == Decimal(price)


@pytest.mark.parametrize("venue,fetch,why", [
    ("kraken", recorded("kraken_error.json"), "Unknown asset pair"),
    ("binance", recorded("binance_malformed.json"), "KeyError"),
    ("coinbase", failing(TimeoutError("timed out")), "timed out"),
    ("coinbase", failing(OSError("connection refused")), "connection refused"),
    ("coinbase", lambda u, t: "<html>502</html>", "JSONDecodeError"),
])
def test_a_failing_exchange_is_a_missing_price_with_a_reason(venue, fetch, why):
    src = RestSource(venue, "https://x", fetch=fetch)
    assert src.price(0) is None
    assert why in src.last_error


def test_unknown_venue_is_refused():
    with pytest.raises(ValueError, match="unknown venue"):
        RestSource("ftx", "https://x")


def test_replay_steps_and_goes_silent_when_it_runs_out():
    src = ReplaySource(FIXTURES / "prices.csv", max_age=100)
    assert src.price(999) is None
    assert src.price(1000) == Decimal("3000.00")
    assert src.price(1119) == Decimal("3001.50")
    assert src.price(1220) == Decimal("2990.25")
    assert src.price(1221) is None  # the recording is over: stale, not repeated forever


def test_simulator_is_reproducible_in_any_order():
    a = GbmJumpSource(seed=3, start=0, s0=3000)
    b = GbmJumpSource(seed=3, start=0, s0=3000)
    late = a.price(5000)
    assert [b.price(t) for t in (10, 5000)][1] == late
    assert a.price(0) == Decimal("3000.0")
    assert GbmJumpSource(seed=4, start=0, s0=3000).price(5000) != late


def test_median_drops_outliers_and_needs_enough_sources():
    quotes = {"a": Decimal(3000), "b": Decimal(3003), "c": Decimal(2500), "d": None}
    agg = aggregate(quotes, max_deviation=0.02, min_sources=2)
    assert agg.price == Decimal("3001.5") and agg.rejected == ["c"] and agg.missing == ["d"]
    assert aggregate(quotes, max_deviation=0.02, min_sources=3).price is None
    assert aggregate({"a": None}, max_deviation=0.02, min_sources=1).price is None


@given(st.lists(st.decimals(min_value=1, max_value=10**6, places=4), min_size=1, max_size=9))
def test_median_lies_within_the_sources(prices):
    agg = aggregate({str(i): p for i, p in enumerate(prices)}, max_deviation=0.5, min_sources=1)
    if agg.price is not None:
        used = [prices[int(n)] for n in agg.used]
        assert min(used) <= agg.price <= max(used)
