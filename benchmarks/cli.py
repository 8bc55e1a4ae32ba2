"""Start-up of the `optio` command: `optio --help` (target ≤ 0.5 s) and the help of a chain
command, `optio trade quote --help` (no chain, target ≤ 0.5 s), beside their peer, a bare
`python -c pass`, and `optio price …` (no chain, but the pricing engine: numba and scipy load,
no target here).

Each command runs as a user runs it, a new process each time: ``--n`` times a run (5), ``--reps``
runs (3). A run's figure is the median of its ``--n`` timings; the table and the JSON line give
the median of the runs' figures and their spread (min, max).

    python -m benchmarks.cli [--n 5] [--reps 3]

The last line is one JSON object: ``cli_help_s``, ``chainless_help_s``, ``price_s``,
``python_s`` (each the median of the runs), with ``_min``, ``_max`` and ``_runs``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.report import repeat

ROOT = Path(__file__).resolve().parents[1]
OPTIO = str(Path(sys.executable).parent / "optio")
TARGET_S = 0.5
COMMANDS = {
    "python_s": ([sys.executable, "-c", "pass"], "python -c pass (the peer)", None),
    "cli_help_s": ([OPTIO, "--help"], "optio --help", TARGET_S),
    "chainless_help_s": ([OPTIO, "trade", "quote", "--help"], "optio trade quote --help", TARGET_S),
    "price_s": ([OPTIO, "price", "--spot", "3000", "--strike", "3200", "--expiry", "30d", "--vol", "0.65",
                 "--type", "call"], "optio price … (the engine: numba, scipy)", None),
}
FIGURES = tuple(COMMANDS)


def time_once(argv: list[str]) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def one_run(n: int) -> dict:
    """Each command ``n`` times (one untimed warm-up first: the OS caches the files); the median."""
    out = {}
    for key, (argv, _, _) in COMMANDS.items():
        time_once(argv)
        out[key] = statistics.median(time_once(argv) for _ in range(n))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5, help="timings per command per run")
    parser.add_argument("--reps", type=int, default=3, help="runs")
    args = parser.parse_args(argv)
    figures = repeat(lambda: one_run(args.n), args.reps, FIGURES)
    table = Table(title=f"optio start-up: median of {args.n} per run, {args.reps} runs (s)", title_justify="left")
    for col in ("command", "median", "min", "max", "× python", "target"):
        table.add_column(col, justify="left" if col == "command" else "right")
    peer = figures["python_s_median"]
    for key, (_, label, target) in COMMANDS.items():
        med = figures[f"{key}_median"]
        met = "" if target is None else f"≤ {target} {'met' if med <= target else 'NOT met'}"
        table.add_row(label, f"{med:.3f}", f"{figures[f'{key}_min']:.3f}", f"{figures[f'{key}_max']:.3f}",
                      f"{med / peer:.1f}", met)
    Console(width=120).print(table)
    record = {k: figures[f"{k}_median"] for k in FIGURES}
    for k in FIGURES:
        record.update({f"{k}_{s}": figures[f"{k}_{s}"] for s in ("median", "min", "max", "runs")})
    record.update(n=args.n, reps=args.reps, target_s=TARGET_S)
    print(json.dumps(record))


if __name__ == "__main__":
    main()
