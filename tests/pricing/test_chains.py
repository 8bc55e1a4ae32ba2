"""Venue snapshots normalise to one schema; every malformed row is reported with its reason."""

import math
from pathlib import Path

import pytest

from optio.pricing.chains import RowError, detect_venue, load_snapshot, normalise
from optio.pricing.market_surface import fit_chain

FIXTURES = Path(__file__).parent / "fixtures"
EXPIRY_27NOV26_0800 = 1795766400


@pytest.mark.parametrize("venue", ["deribit", "okx", "binance"])
def test_same_market_same_rows(venue):
    chain = load_snapshot(FIXTURES / f"{venue}_btc_options.json")
    assert len(chain.quotes) == 66
    first = chain.quotes[0]
    assert (first.venue, first.underlying, first.expiry, first.strike, first.option_type) == (
        venue, "BTC", EXPIRY_27NOV26_0800, 40000.0, "call")
    assert first.underlying_price == 60000.0
    assert first.mark == pytest.approx(20001.67, abs=0.1)  # coin premium × index, or USDT as is
    assert first.iv == pytest.approx(0.954, abs=1e-3)
    assert all(q.bid <= q.ask for q in chain.quotes if not math.isnan(q.bid))


def test_malformed_rows_are_reported_not_dropped():
    reasons = {r.instrument: r.reason for r in load_snapshot(FIXTURES / "deribit_btc_options.json").rejected}
    assert reasons == {
        "BTC-31FEB27-60000-C": "invalid expiry date 2027-02-31",
        "BTC-27NOV26-60000-X": "instrument name 'BTC-27NOV26-60000-X' is not UNDERLYING-DDMMMYY-STRIKE-C|P",
        "BTC-27NOV26-65000-C": "crossed quote: bid 1800.0 > ask 1200.0",
        "BTC-13NOV26-60000-C": "expired before the snapshot time",
        "BTC-27NOV26-70000-P": "missing underlying_price",
        "?": "row is not an object: 'garbage'",
    }
    okx = [r.reason for r in load_snapshot(FIXTURES / "okx_btc_options.json").rejected]
    assert okx[1:] == ["bidPx is not a number: 'abc'", "no opt-summary row for this instrument"]
    binance = [r.reason for r in load_snapshot(FIXTURES / "binance_btc_options.json").rejected]
    assert binance == ["negative price: bid -5.0, ask 10.0", "no mark row for this symbol", "strike 0.0 ≤ 0"]


def test_unknown_shape_is_one_clear_error():
    with pytest.raises(RowError, match="snapshot shape is none of"):
        detect_venue({"data": []})
    with pytest.raises(RowError, match="unknown venue 'ftx'"):
        normalise({"result": []}, venue="ftx")


def test_fixture_surface_matches_the_venue_marks():
    chain = load_snapshot(FIXTURES / "binance_btc_options.json")
    fit, smiles = fit_chain(chain.quotes)
    assert fit.method == "svi" and len(smiles) == 3
    longest = smiles[-1]
    model = fit.slices[-1].implied_vol(longest.log_moneyness, longest.expiry_years)
    assert max(abs(model - longest.mark_vol)) < 1e-3
