"""`optio backtest` as a user runs it (a subprocess): the report folder, sweeps, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def optio(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optio.cli.main", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_model_backtest_writes_the_report(tmp_path):
    run = optio("backtest", "--mode", "model", "--days", "10", "--seed", "4", "--out", str(tmp_path), "--quiet")
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures == json.loads((tmp_path / "figures.json").read_text())
    assert figures["counts"]["settlements"] >= 1 and figures["counts"]["trades:buy"] > 0
    for png in ("nav_share_price.png", "pnl.png", "utilisation.png", "vol_surface.png"):
        data = (tmp_path / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, png
    page = (tmp_path / "index.html").read_text()
    assert f"{figures['vaults']['put']['share_price']:.6f}" in page
    assert all(f'src="{png}"' in page for png in ("pnl.png", "vol_surface.png"))


def test_chain_backtest_runs_through_the_contracts(tmp_path):
    run = optio("backtest", "--days", "1", "--seed", "2", "--set", "traders=6", "--set", "sellers=2",
                "--out", str(tmp_path), "--quiet")
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["mode"] == "chain" and figures["counts"]["surface_posts"] > 0
    assert (tmp_path / "index.html").exists()


def test_sweep_prints_one_row_per_value():
    run = optio("backtest", "--days", "5", "--sweep", "half_spread=0.01,0.04")
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout.strip().splitlines()[-1])["rows"]
    assert [r["half_spread"] for r in rows] == ["0.01", "0.04"]
    assert rows[1]["put_fees"] > rows[0]["put_fees"]


@pytest.mark.parametrize("args, message", [
    (["--set", "nope=1"], "--set 'nope=1': expected FIELD=VALUE"),
    (["--set", "trade_prob=2"], "trade_prob: Input should be less than or equal to 1"),
    (["--days", "0"], "days: Input should be greater than 0"),
    (["--sweep", "half_spread"], "--sweep 'half_spread': expected FIELD=V1,V2"),
])
def test_bad_input_is_one_line(args, message):
    run = optio("backtest", "--mode", "model", *args)
    assert run.returncode == 1
    assert message in run.stderr + run.stdout
    assert "Traceback" not in run.stderr


def test_bad_price_file_names_the_line(tmp_path):
    csv = tmp_path / "prices.csv"
    csv.write_text("1798761600,3000\n1798765200,-5\n")
    run = optio("backtest", "--mode", "model", "--prices", str(csv), "--days", "1")
    assert run.returncode == 1 and "prices.csv:2: price must be positive" in run.stderr + run.stdout
