"""benchmarks.book_scale: a quick run at books of 1 and 2 live options on its own Anvil (about
15 s), and the figures and table of a book the contracts refuse (made-up rows, no chain)."""

from __future__ import annotations

from benchmarks import book_scale, report

ISSUE_KEYS = ("live_options_cap", "buy_gas_at_1", "buy_gas_at_512", "buy_gas_growth", "request_gas_at_512",
              "crank_gas_per_option", "settle_gas_per_live_strike")


def test_book_scale_at_1_and_2_live_options(capsys):
    book_scale.main(["--sizes", "2,1", "--seed", "3"])
    out = capsys.readouterr().out
    figures = report.last_json(out)
    assert set(ISSUE_KEYS) <= set(figures)
    assert figures["sizes"] == [1, 2] and figures["seed"] == 3
    assert figures["live_options_cap"] >= 2  # read from the chain (MAX_LIVE_OPTIONS)
    for n in ("1", "2"):
        row = figures["rows"][n]
        assert row["live_options"] == int(n)
        for key in ("buy_live", "buy_new", "request_deposit", "request_redeem", "fill", "nav", "liquidation",
                    "settle", "crank", "crank_page"):
            assert isinstance(row[key], int) and 21_000 < row[key] < 5_000_000, (n, key, row[key])
        assert row["settle_live_strikes"] == 1  # options 0 and 1 are on different expiries
        assert row["crank_pages"] == 1  # one page of 64 holds the book
    assert figures["buy_gas_at_1"] == figures["rows"]["1"]["buy_live"]
    assert figures["buy_gas_at_512"] is None and figures["buy_gas_growth"] is None  # not run: null
    assert figures["request_gas_at_512"] is None
    assert figures["crank_measured_at"] == 2
    assert figures["crank_gas_per_option"] == round(figures["rows"]["2"]["crank"] / 2)
    assert figures["crank_gas_per_page"] == figures["rows"]["2"]["crank_page"]
    assert figures["settle_gas_per_live_strike"] == figures["rows"]["2"]["settle"]
    # O(1) in the book: a buy of a live option, the requests, the fill and NAV do not grow with it.
    for key in ("buy_live", "request_deposit", "request_redeem", "fill", "nav"):
        assert figures["rows"]["2"][key] == figures["rows"]["1"][key], key
    assert "epoch crank" in out
    # Every figure the report page reads is where it looks for it.
    for fig in report.BY_NAME["book_scale"].figures:
        assert fig.path[0] in figures, fig.key


def _row(n: int, buy: int, request: int) -> dict:
    return {"live_options": n, "buy_live": buy, "buy_new": buy + 60_000, "request_deposit": request,
            "request_redeem": request + 10_000, "fill": 170_000,
            "crank": 100_000 + 12_000 * n, "crank_pages": -(-n // 64), "crank_page": 100_000 + 12_000 * min(n, 64),
            "crank_per_option": (100_000 + 12_000 * n) / n,
            "crank_per_option_page64": (120_000 + 12_000 * n) / n,
            "nav": 50_000 + 11_000 * n, "liquidation": 128_000, "settle": 90_000 + 30_000 * n,
            "settle_live_strikes": max(1, n // 10), "settle_per_live_strike": (90_000 + 30_000 * n) / max(1, n // 10)}


def test_a_refused_book_is_null_with_the_contracts_error(capsys):
    rows = {"1": _row(1, 150_000, 124_000), "64": _row(64, 1_000_000, 124_000),
            "512": {"live_options": None, "refused": "TooManyLiveOptions", "built": 64}}
    rows["64"].update(buy_new=None, buy_new_refused="TooManyLiveOptions")
    out = book_scale.figures(rows, [1, 64, 512], 64, 1)
    assert out["buy_gas_at_512"] is None and out["buy_gas_growth"] is None and out["request_gas_at_512"] is None
    assert out["request_gas_max"] == 134_000 and out["crank_measured_at"] == 64
    assert out["crank_gas_per_option"] == round((100_000 + 12_000 * 64) / 64)
    assert out["crank_gas_per_page"] == 100_000 + 12_000 * 64
    assert out["crank_gas_per_option_page64"] == round((120_000 + 12_000 * 64) / 64)
    book_scale.render(out)
    table = capsys.readouterr().out
    assert "refused: TooManyLiveOptions (option 65)" in table
    assert "≥ 500 ✗" in table and "≤ 180,000 ✗" in table  # null misses its target
    assert book_scale.verdict("buy_gas_growth", 1.1) == "≤ 1.2 ✓"
