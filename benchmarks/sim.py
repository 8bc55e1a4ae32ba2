"""Backtest speed: 30 days at hourly steps with 20 traders through the real contracts on a
local Anvil (target ≤ 2 minutes), and the chain-free model for a year of hourly steps (target
≤ 5 s); the same 30 days in the model beside the chain run, with the largest gap between them.

    python -m benchmarks.sim [--chain-days 30] [--model-days 365]
"""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table

from optio.sim.backtest.agreement import compare
from optio.sim.backtest.result import Result
from optio.sim.backtest.run import run_backtest
from optio.sim.backtest.scenario import Scenario

CHAIN_TARGET_S = 120.0
MODEL_TARGET_S = 5.0


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chain-days", type=float, default=30.0)
    parser.add_argument("--model-days", type=float, default=365.0)
    args = parser.parse_args()
    f = run(args.chain_days, args.model_days)
    table = Table(title="Backtests (hourly steps, 20 traders, 4 LPs)")
    for col in ("run", "steps", "trades", "time", "per step", "target"):
        table.add_column(col, justify="left" if col == "run" else "right")
    table.add_row(f"chain: {f['chain_days']:g} days on Anvil ({f['chain_transactions']:,} transactions)",
                  f"{f['chain_steps']:,}", f"{f['chain_trades']:,}", f"{f['chain_s']:.1f} s",
                  f"{1000 * f['chain_s'] / f['chain_steps']:.1f} ms",
                  f"≤ {CHAIN_TARGET_S:.0f} s {'✓' if f['chain_ok'] else '✗'}")
    table.add_row(f"model: the same {f['chain_days']:g} days", f"{f['chain_steps']:,}", f"{f['chain_trades']:,}",
                  f"{f['model_month_s']:.2f} s", f"{1000 * f['model_month_s'] / f['chain_steps']:.2f} ms",
                  f"{f['chain_s'] / f['model_month_s']:.0f}× faster; largest gap {f['month_max_gap']:.1e}")
    table.add_row(f"model: {f['model_days']:g} days", f"{f['model_steps']:,}", f"{f['model_trades']:,}",
                  f"{f['model_s']:.2f} s", f"{1000 * f['model_s'] / f['model_steps']:.2f} ms",
                  f"≤ {MODEL_TARGET_S:.0f} s {'✓' if f['model_ok'] else '✗'}")
    Console(highlight=False, width=140).print(table)
    print(json.dumps(f, separators=(",", ":")))


if __name__ == "__main__":
    main()
