"""Backtest speed: 30 days at hourly steps with 20 traders through the real contracts on a
local Anvil (target ≤ 2 minutes), and the chain-free model for a year of hourly steps (target
≤ 5 s); the same 30 days in the model beside the chain run, with the largest gap between them.

    python -m benchmarks.sim [--chain-days 30] [--model-days 365] [--reps 3]

Each run is repeated ``--reps`` times; the table and the targets use the median, and the JSON
line carries ``model_s_median``, ``chain_s_median``, ``model_month_s_median`` with their
``_min``, ``_max`` and ``_runs``.
"""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table

from benchmarks.report import repeat
from optio.sim.backtest.agreement import compare
from optio.sim.backtest.result import Result
from optio.sim.backtest.run import run_backtest
from optio.sim.backtest.scenario import Scenario

CHAIN_TARGET_S = 120.0
MODEL_TARGET_S = 5.0
FIGURES = ("model_s", "chain_s", "model_month_s")


def _trades(r: Result) -> int:
    return sum(v for k, v in r.counts.items() if k.startswith("trades:"))


def run(chain_days: float, model_days: float) -> dict:
    month = Scenario(days=chain_days, traders=20)
    chain = run_backtest(month, "chain")
    model_month = run_backtest(month, "model")
    year = run_backtest(Scenario(days=model_days, traders=20), "model")
    return {
        "chain_days": chain_days, "chain_s": round(chain.elapsed_s, 2), "chain_steps": len(chain.times) - 1,
        "chain_trades": _trades(chain), "chain_transactions": chain.transactions,
        "model_month_s": round(model_month.elapsed_s, 3), "model_days": model_days,
        "model_s": round(year.elapsed_s, 2), "model_steps": len(year.times) - 1, "model_trades": _trades(year),
        "month_max_gap": compare(model_month, chain)[0].relative,
        "chain_ok": chain.elapsed_s <= CHAIN_TARGET_S, "model_ok": year.elapsed_s <= MODEL_TARGET_S,
    }


def _spread(f: dict, key: str, fmt: str) -> str:
    return f"{f[key + '_median']:{fmt}} s ({f[key + '_min']:{fmt}}–{f[key + '_max']:{fmt}})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chain-days", type=float, default=30.0)
    parser.add_argument("--model-days", type=float, default=365.0)
    parser.add_argument("--reps", type=int, default=3, help="runs; figures are their median (default 3)")
    args = parser.parse_args()
    f = repeat(lambda: run(args.chain_days, args.model_days), args.reps, FIGURES)
    f["chain_ok"] = f["chain_s_median"] <= CHAIN_TARGET_S
    f["model_ok"] = f["model_s_median"] <= MODEL_TARGET_S
    chain_s, month_s, model_s = f["chain_s_median"], f["model_month_s_median"], f["model_s_median"]
    table = Table(title=f"Backtests (hourly steps, 20 traders, 4 LPs): median (min–max) of {args.reps} runs")
    for col in ("run", "steps", "trades", "time", "per step", "target"):
        table.add_column(col, justify="left" if col == "run" else "right")
    table.add_row(f"chain: {f['chain_days']:g} days on Anvil ({f['chain_transactions']:,} transactions)",
                  f"{f['chain_steps']:,}", f"{f['chain_trades']:,}", _spread(f, "chain_s", ".1f"),
                  f"{1000 * chain_s / f['chain_steps']:.1f} ms",
                  f"≤ {CHAIN_TARGET_S:.0f} s {'✓' if f['chain_ok'] else '✗'}")
    table.add_row(f"model: the same {f['chain_days']:g} days", f"{f['chain_steps']:,}", f"{f['chain_trades']:,}",
                  _spread(f, "model_month_s", ".2f"), f"{1000 * month_s / f['chain_steps']:.2f} ms",
                  f"{chain_s / month_s:.0f}× faster; largest gap {f['month_max_gap']:.1e}")
    table.add_row(f"model: {f['model_days']:g} days", f"{f['model_steps']:,}", f"{f['model_trades']:,}",
                  _spread(f, "model_s", ".2f"), f"{1000 * model_s / f['model_steps']:.2f} ms",
                  f"≤ {MODEL_TARGET_S:.0f} s {'✓' if f['model_ok'] else '✗'}")
    Console(highlight=False, width=160).print(table)
    print(json.dumps(f, separators=(",", ":")))


if __name__ == "__main__":
    main()
