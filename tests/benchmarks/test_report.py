"""benchmarks.report: median, min and max of repeated runs, the saved runs, and the page written
from them (no benchmark is run here: the runs are made up or stubbed)."""

from __future__ import annotations

import json

import pytest

from benchmarks import report


def test_summary_is_median_min_max():
    assert report.summary([3.0, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0}
    assert report.summary([4, 1, 3, 2]) == {"median": 2.5, "min": 1, "max": 4}
    assert report.summary([7]) == {"median": 7, "min": 7, "max": 7}


def test_repeat_keeps_the_median_run_and_adds_the_spread():
    runs = iter([{"t": 5.0, "u": 10, "steps": 1}, {"t": 3.0, "u": 30, "steps": 2}, {"t": 4.0, "u": 20, "steps": 3}])
    out = report.repeat(lambda: next(runs), 3, ["t", "u"])
    assert out["steps"] == 3 and out["t"] == 4.0  # the median run of the first figure, whole
    assert (out["t_median"], out["t_min"], out["t_max"], out["t_runs"]) == (4.0, 3.0, 5.0, [5.0, 3.0, 4.0])
    assert (out["u_median"], out["u_min"], out["u_max"], out["u_runs"]) == (20, 10, 30, [10, 30, 20])
    assert out["reps"] == 3
    with pytest.raises(ValueError):
        report.repeat(dict, 0, ["t"])


def test_last_json_line_and_lookup():
    out = 'table\n{"not": "last"}\nmore text\n{"a": {"b": 2}}\n\n'
    figures = report.last_json(out)
    assert figures == {"a": {"b": 2}}
    assert report.lookup(figures, ("a", "b")) == 2 and report.lookup(figures, ("a", "x")) is None
    with pytest.raises(ValueError):
        report.last_json("no json here")


def test_a_benchmark_without_reps_is_run_that_many_times_and_summarised(monkeypatch):
    bench = report.BY_NAME["math_gas"]
    values = iter([2460, 2470, 2450])
    seen = []

    def once(b, extra):
        seen.append(extra)
        return {"gas": {"price": {"max": next(values)}, "quote": {"max": 4662}}, "n": 10}

    monkeypatch.setattr(report, "_run_once", once)
    out = report.run_benchmark(bench, 3)
    assert seen == [[], [], []]
    assert out["gas/price/max_median"] == 2460 and out["gas/price/max_min"] == 2450
    assert out["gas/price/max_max"] == 2470 and out["gas/quote/max_runs"] == [4662] * 3


def test_a_benchmark_with_reps_is_asked_for_them(monkeypatch):
    seen = []
    monkeypatch.setattr(report, "_run_once", lambda b, extra: seen.append((b.name, extra)) or {"model_s": 1.0})
    report.run_benchmark(report.BY_NAME["sim"], 5)
    assert seen == [("sim", ["--reps", "5"])]


def _repeated(runs: list[dict], figures: list[str]) -> dict:
    return report.repeat(iter(runs).__next__, len(runs), figures)


def test_save_and_write_the_page(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "commit", lambda: "abc1234")
    sim = _repeated([{"model_s": m, "chain_s": c, "model_month_s": 0.3} for m, c in ((3.0, 50.0), (6.5, 48.0),
                                                                                      (2.5, 130.0))],
                    ["model_s", "chain_s", "model_month_s"])
    keepers = _repeated([{"liquidation_blocks": b, "scan_10k_s": 0.5, "oracle_blocks_max": 1, "target_blocks": 7.0}
                         for b in (6, 8, 9)], ["liquidation_blocks", "scan_10k_s", "oracle_blocks_max"])
    path = report.save(report.BY_NAME["sim"], sim, tmp_path)
    report.save(report.BY_NAME["keepers"], keepers, tmp_path)
    record = json.loads(path.read_text())
    assert record["commit"] == "abc1234" and record["reps"] == 3 and record["figures"]["model_s_median"] == 3.0
    assert record["command"] == "python -m benchmarks.sim" and record["date"].endswith("UTC")

    doc = report.write_doc(tmp_path, tmp_path / "benchmarks.md").read_text()
    assert "## sim" in doc and "## keepers" in doc and "## risk" not in doc  # only what was run
    assert "commit `abc1234`" in doc and record["date"] in doc and "3 runs" in doc
    assert "| model: 365 days, hourly steps (s) | 3.00 | 2.50 – 6.50 | ≤ 5.00 ✓ |" in doc
    assert "| chain: 30 days on Anvil (s) | 50.0 | 48.0 – 130.0 | ≤ 120.0 ✓ |" in doc  # the median is met
    # The target read from the run (target_blocks), missed on the median.
    assert "| blocks to liquidate 1,000 underwater accounts | 8 | 6 – 9 | ≤ 7 ✗ |" in doc


def test_rewrite_writes_the_page_from_saved_runs_without_running_anything(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "RESULTS", tmp_path / "runs")
    monkeypatch.setattr(report, "DOC", tmp_path / "benchmarks.md")
    monkeypatch.setattr(report, "run_benchmark", lambda *a: pytest.fail("--rewrite ran a benchmark"))
    report.save(report.BY_NAME["risk"], {"page_cold_ms": 900.0, "page_warm_ms": 300.0, "aggregate_ms": 20.0,
                                         "refresh_ms": 70.0})
    report.main(["--rewrite"])
    doc = report.DOC.read_text()
    assert "| dashboard ready with data, first load (ms) | 900 | 900 – 900 | ≤ 2,000 ✓ |" in doc
    assert "1 run." in doc


def test_bench_only_selects_and_refuses_unknown_names():
    assert [b.name for b in report.selected("sim, risk")] == ["sim", "risk"]
    assert [b.name for b in report.selected(None)] == [b.name for b in report.BENCHMARKS]
    with pytest.raises(SystemExit, match="unknown benchmark"):
        report.selected("sim,nope")


def test_the_figures_a_benchmark_repeats_are_the_ones_the_page_reads():
    from benchmarks import keepers, risk, sim

    for module, name in ((sim, "sim"), (keepers, "keepers"), (risk, "risk")):
        assert report.BY_NAME[name].repeats_itself
        assert [f.key for f in report.BY_NAME[name].figures] == list(module.FIGURES)


def test_pricing_runs_each_seed_and_the_page_shows_each_seeds_spread(tmp_path, monkeypatch):
    seen = []

    def fake_run(bench, extra):
        seed = int(extra[extra.index("--seed") + 1])
        seen.append(extra)
        ratio = {"min": 14.0 + seed / 1000, "median": 16.0, "max": 17.5}
        return {"seed": seed, "iv_ratio_desk_median": 16.0, "greeks_per_s_median": 2e7,
                "headline": {"desk": {"ratio": ratio}, "greeks_per_s": {"min": 1.9e7, "median": 2e7, "max": 2.1e7}}}

    monkeypatch.setattr(report, "_run_once", fake_run)
    monkeypatch.setattr(report, "commit", lambda: "abc1234")
    bench = report.BY_NAME["pricing"]
    for seed in bench.seeds:
        report.save(bench, report.run_benchmark(bench, 3, seed), tmp_path, seed=seed)
    first, *others = bench.seeds
    assert seen[0] == ["--reps", "3", "--seed", str(first)]  # the peers' table on the first seed only
    assert all(extra[-1] == "--no-peers" for extra in seen[1:])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["pricing.json", *(f"pricing-seed{s}.json" for s in others)])
    doc = report.write_doc(tmp_path, tmp_path / "benchmarks.md").read_text()
    for seed in bench.seeds:
        assert f"### seed {seed}" in doc
        low = f"{14.0 + seed / 1000:.2f}"
        assert f"| implied vol × py_vollib_vectorized, desk grid | 16.00 | {low} – 17.50 | ≥ 15.00 ✓ |" in doc
    assert "| price + 7 Greeks (options/s) | 20,000,000 | 19,000,000 – 21,000,000 | ≥ 25,000,000 ✗ |" in doc
    assert f"`python -m benchmarks.pricing --seed {others[0]} --no-peers`" in doc
