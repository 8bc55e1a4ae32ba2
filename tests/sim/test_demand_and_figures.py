"""What LPs read from a backtest: demand that answers the price (a spread sweep trades less as the
spread widens), max drawdown and annualised yield, the per-trade CSV, a NAV chart without twin
axes, and the compare gaps with their unit."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from optio.sim.backtest.agreement import Gap, compare
from optio.sim.backtest.report import nav_figure
from optio.sim.backtest.result import Result
from optio.sim.backtest.run import run_backtest
from optio.sim.backtest.scenario import Scenario, scenario_from

ROOT = Path(__file__).resolve().parents[2]


def _trades(r: Result) -> int:
    return sum(v for k, v in r.counts.items() if k.startswith("trades:"))


def test_wider_spreads_trade_less():
    runs = [run_backtest(scenario_from({"days": 15, "seed": 3, "half_spread": hs}), "model")
            for hs in (0.0, 0.05, 0.15, 0.4)]
    trades = [_trades(r) for r in runs]
    declined = [r.counts["declined:price"] for r in runs]
    assert all(a > b for a, b in pairwise(trades)), trades
    assert all(a < b for a, b in pairwise(declined)), declined


def test_price_blind_traders_decline_nothing_and_seeds_stay_deterministic():
    blind = [run_backtest(scenario_from({"days": 10, "seed": 3, "half_spread": hs, "edge_tolerance": None}), "model")
             for hs in (0.0, 0.4)]
    assert all("declined:price" not in r.counts for r in blind)
    assert _trades(blind[0]) == _trades(blind[1])  # as before: the same wishes whatever the price
    again = run_backtest(scenario_from({"days": 10, "seed": 3}), "model")
    once = run_backtest(scenario_from({"days": 10, "seed": 3}), "model")
    assert again.counts == once.counts and again.nav == once.nav


def _result(prices: list[float], days: float) -> Result:
    r = Result(Scenario(), "model")
    r.times = [int(i * days * 86400 / (len(prices) - 1)) for i in range(len(prices))]
    for vault in ("call", "put"):
        r.share_price[vault] = list(prices)
    return r


def test_max_drawdown_and_annualised_yield():
    r = _result([1.0, 1.1, 0.99, 1.05, 1.2, 1.08], days=365)
    assert r.max_drawdown("put") == pytest.approx(0.1)  # 1.1 → 0.99, and 1.2 → 1.08: a tenth each
    assert r.annualised_yield("put") == pytest.approx(0.08)  # a year: the growth itself
    half = _result([1.0, 1.02], days=365 / 2)
    assert half.annualised_yield("call") == pytest.approx(1.02**2 - 1)  # compounded to a year
    assert half.max_drawdown("call") == 0.0


def test_nav_chart_has_one_panel_per_vault_and_no_twin_axes():
    r = run_backtest(scenario_from({"days": 2, "seed": 1}), "model")
    fig = nav_figure(r, (np.asarray(r.times) - r.times[0]) / 86400)
    boxes = [tuple(np.round(ax.get_position().bounds, 6)) for ax in fig.axes]
    assert len(fig.axes) == 4 and len(set(boxes)) == 4  # spot, call NAV, put NAV, share prices
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert "call vault NAV (WETH)" in labels and "put vault NAV (USDC)" in labels


def test_compare_gaps_carry_their_unit():
    a = run_backtest(scenario_from({"days": 2, "seed": 1}), "model")
    b = run_backtest(scenario_from({"days": 2, "seed": 1}), "model")
    units = {g.figure: g.unit for g in compare(a, b)}
    assert units["call NAV"] == "WETH" and units["put fees"] == "USDC" and units["put share price"] == "USDC per share"
    assert all(u == "count" for f, u in units.items() if f.startswith(("count ", "refused ")))
    gap = Gap("put NAV", 100.0, 100.5, unit="USDC")
    assert gap.absolute == 0.5 and gap.relative == pytest.approx(0.5 / 100.5)


def optio(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optio.cli.main", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_trades_csv_has_a_row_per_filled_trade(tmp_path):
    path = tmp_path / "trades.csv"
    run = optio("backtest", "--mode", "model", "--days", "5", "--seed", "4", "--out", str(tmp_path / "report"),
                "--quiet", "--trades-csv", str(path))
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == sum(v for k, v in figures["counts"].items() if k.startswith("trades:")) > 0
    assert set(rows[0]) == {"time", "trader", "kind", "vault", "expiry", "strike", "right", "amount", "premium",
                            "mid_value", "edge"}
    assert {r["kind"] for r in rows} <= {"buy", "sell", "close_long", "close_short"}
    fees = sum(float(r["edge"]) for r in rows if r["vault"] == "put")
    assert fees == pytest.approx(figures["vaults"]["put"]["fees"])
    for vault in ("call", "put"):
        assert 0 <= figures["vaults"][vault]["max_drawdown"] < 1 and "annualised_yield" in figures["vaults"][vault]
    assert "max drawdown" in run.stdout and "LP yield, annualised" in run.stdout


def test_compare_prints_the_gap_unit(tmp_path):
    run = optio("backtest", "--compare", "--days", "1", "--seed", "2", "--set", "traders=6", "--set", "sellers=2",
                "--quiet")
    assert run.returncode == 0, run.stderr
    last = json.loads(run.stdout.strip().splitlines()[-1])
    assert last["agree"] and last["max_gap_unit"] == "relative" and last["max_gap_absolute_unit"]
    assert "relative gap" in run.stdout and "the figure's unit" in run.stdout.replace("\n", " ")
