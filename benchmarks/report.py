"""`make bench`: every benchmark run three times, and docs/benchmarks.md written from the runs —
the median, min and max of each headline figure, the commit and the date — so that a figure
that slips shows up as a number beside its target, not as a stale table in the README.

    python -m benchmarks.report              # run them all, save their JSON, write the doc
    BENCH_ONLY=sim,risk python -m benchmarks.report    # only these (the others' saved runs stay)
    python -m benchmarks.report --rewrite    # write the doc again from the saved JSON, run nothing
    python -m benchmarks.report --reps 5

A benchmark that takes ``--reps`` (sim, keepers, risk) repeats itself and puts
``<figure>_median``/``_min``/``_max``/``_runs`` on its JSON line (:func:`repeat`); the others
(gas, pricing, math_gas) are run ``--reps`` times here and their runs summarised the same way.
Each benchmark's last JSON line is saved in ``docs/benchmarks/<name>.json`` with the commit and
the date it ran on.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "docs" / "benchmarks"


@dataclass(frozen=True)
class Figure:
    """One headline figure: where it is in the benchmark's JSON (a key, or a path of keys),
    how it reads, and its target (``limit``: a number, or the key of a figure that holds it)."""

    path: tuple[str, ...]
    label: str
    fmt: str = ",.2f"
    limit: float | str | None = None
    lower_is_better: bool = True

    @property
    def key(self) -> str:
        return "/".join(self.path)


@dataclass(frozen=True)
class Benchmark:
    name: str
    command: str
    figures: list[Figure] = field(default_factory=list)
    repeats_itself: bool = False  # takes --reps and writes <figure>_median etc. itself
    #: Run once per seed (``--seed``); the first seed's run is ``<name>.json``, with the peers; the
    #: others ``<name>-seed<N>.json``, headline figures only (``--no-peers``).
    seeds: tuple[int, ...] = ()
    #: A few lines printed under the benchmark's heading: what its figures are, where a plain
    #: table of numbers would mislead.
    note: str = ""


def _f(*path: str, **kw) -> Figure:
    return Figure(tuple(path), **kw)


def _gas(*path: str, label: str, **kw) -> Figure:
    """A gas figure: ``label`` read as "<label> (gas)", whole units."""
    return _f(*path, label=f"{label} (gas)", fmt=",.0f", **kw)


def _vault_gas(key: str, label: str, **kw) -> list[Figure]:
    """A vault action's gas (``vaults/<side>/<key>``), the call vault's figure then the put vault's."""
    return [_gas("vaults", side, key, label=f"{label}, {side} vault", **kw) for side in ("call", "put")]


BENCHMARKS: list[Benchmark] = [
    Benchmark("gas", "python -m benchmarks.gas", [
        *_vault_gas("deposit_first_ever", "deposit, first ever into an empty vault"),
        *_vault_gas("deposit_new_lp", "deposit, new LP", limit=90_000),
        *_vault_gas("deposit_existing_lp", "deposit, existing LP"),
        *_vault_gas("withdraw", "withdraw"),
        *_vault_gas("redeem_all", "redeem all"),
        *_vault_gas("request_redeem", "requestRedeem"),
        *_vault_gas("cancel_request", "cancel a request"),
        *_vault_gas("unlock", "unlock collateral"),
        *_vault_gas("fill_1_redeem", "fill 1 redeem request (keeper)"),
        *_vault_gas("request_deposit", "requestDeposit"),
        *_vault_gas("fill_1_deposit", "fill 1 deposit request (keeper)"),
        *_vault_gas("claim", "claim"),
        _gas("oracles", "oracle_post", label="spot post (steady state)", limit=50_000),
        _gas("oracles", "oracle_post_first", label="spot post, first ever"),
        _gas("oracles", "oracle_post_settling", label="spot post that settles an expiry"),
        _gas("oracles", "register_expiry", label="register expiry"),
        _gas("oracles", "vol_post", label="vol post, update"),
        _gas("oracles", "vol_post_first", label="vol post, first for an expiry"),
        _gas("market", "open_trade_cold", label="open trade, cold (1 live option)", limit=150_000),
        _gas("market", "open_trade_warm", label="open trade, warm"),
        _gas("market", "open_trade_first_of_option", label="open trade, the first ever on an option"),
        _gas("market", "open_trade_cold_16_live_options", label="open trade, cold, 16 live options"),
        _gas("market", "close_long", label="close a long"),
        _gas("market", "sell_on_margin_first", label="sell on margin, first short"),
        _gas("market", "close_short", label="close a margin short"),
        _gas("market", "liquidation", label="liquidation (partial)", limit=180_000),
        _gas("market", "health_of_100_accounts", label="healthOf 100 accounts (view)"),
        _gas("market", "settle_board_16_strikes", label="settle a board of 16 strikes"),
        _gas("market", "settle_per_live_option", label="settle, per live option"),
        _gas("market", "exercise_per_holder", label="exercise, per holder"),
        _gas("nav_gas", "1", label="vault NAV, 1 live option"),
        _gas("nav_gas", "16", label="vault NAV, 16 live options"),
        _gas("nav_gas_per_live_option", label="vault NAV per live option"),
    ]),
    Benchmark("book_scale", "python -m benchmarks.book_scale", [
        _f("live_options_cap", label="live options per vault, the contracts' cap (OptionBook.MAX_LIVE_OPTIONS)",
           fmt=",.0f", limit=500, lower_is_better=False),
        _f("buy_gas_at_1", label="buy of a live option, 1 live option (gas)", fmt=",.0f"),
        _f("buy_gas_at_16", label="buy of a live option, 16 live options (gas)", fmt=",.0f"),
        _f("buy_gas_at_64", label="buy of a live option, 64 live options (gas)", fmt=",.0f"),
        _f("buy_gas_at_512", label="buy of a live option, 512 live options (gas)", fmt=",.0f", limit=180_000),
        _f("buy_gas_growth", label="buy gas, 512 live options ÷ 1", fmt=".2f", limit=1.2),
        _f("request_gas_at_512", label="deposit or redeem request, 512 live options (gas)", fmt=",.0f",
           limit=150_000),
        _f("request_gas_max", label="deposit or redeem request, largest over the books built (gas)", fmt=",.0f",
           limit=150_000),
        _f("crank_gas_per_option", label="epoch crank per live option, a whole sweep, largest book (gas)",
           fmt=",.0f", limit=14_000),
        _f("crank_gas_per_page", label="epoch crank, dearest page (128 options), largest book (gas)", fmt=",.0f"),
        _f("crank_gas_per_option_page64", label="epoch crank per live option in pages of 64, largest book (gas)",
           fmt=",.0f"),
        _f("settle_gas_per_live_strike", label="settle per live strike, largest book (gas)", fmt=",.0f"),
    ], note=("Gas of the book-dependent actions against live options per vault (issue 25), from receipts on "
             "Anvil, one run per point (gas is deterministic; `make bench`'s repeats only confirm it). A figure "
             "at a book the contracts refuse (above `MAX_LIVE_OPTIONS`) is `–`: the benchmark reports the "
             "refusal, not a number. `crank_gas_per_option` is the OptionBook's whole sweep of the call side "
             "(`crank` in pages of 128, the keepers' and the SDK's page) ÷ its live options, and beside it the same "
             "sweep in pages of 64; every other action reads the stored totals. "
             "The table per size is the benchmark's own output (`python -m benchmarks.book_scale`).")),
    Benchmark("pricing", "python -m benchmarks.pricing", [
        # benchmarks.pricing repeats itself (--reps): each headline figure's min, median and max
        # over its repetitions (headline/<figure>), the keys (<key>_median) beside them.
        _f("headline", "desk", "ratio", label="implied vol × py_vollib_vectorized, desk grid", limit=15.0,
           lower_is_better=False),
        _f("headline", "crypto", "ratio", label="implied vol × py_vollib_vectorized, minutes grid", limit=15.0,
           lower_is_better=False),
        _f("headline", "batch64", "ratio", label="implied vol × py_vollib_vectorized, 64 options a call", limit=5.0,
           lower_is_better=False),
        _f("headline", "greeks_per_s", label="price + 7 Greeks (options/s)", fmt=",.0f", limit=25e6,
           lower_is_better=False),
        _f("headline", "svi_noisy", "fit_ms", label="SVI fit of a noisy 20 × 50 surface (ms)", limit=10.0),
        _f("headline", "svi_noisy", "rmse_ratio", label="SVI noisy RMSE, ours / unconstrained", fmt=".3f", limit=1.1),
        _f("headline", "svi_noisy", "atm_err_vp", label="SVI noisy ATM error (vol points)", fmt=".3f", limit=0.3),
        _f("headline", "svi_noisy", "free_atm_err_vp",
           label="SVI noisy ATM error of the unconstrained fit (vol points)", fmt=".3f"),
        _f("headline", "svi_noisy", "shape_known_atm_err_vp",
           label="SVI noisy ATM error, true shape, level fitted (vp)", fmt=".3f"),
    ], repeats_itself=True, seeds=(1, 101, 202)),
    Benchmark("math_gas", "python -m benchmarks.math_gas", [
        _f("gas", "price", "max", label="on-chain price, max gas", fmt=",.0f", limit=2_500),
        _f("gas", "quote", "max", label="on-chain quote, max gas", fmt=",.0f"),
        _f("errors", "call_random", "max", label="call price max error vs engine (× spot)", fmt=".1e"),
        _f("errors", "put_random", "max", label="put price max error vs engine (× spot)", fmt=".1e"),
    ]),
    Benchmark("keepers", "python -m benchmarks.keepers", [
        _f("liquidation_blocks", label="blocks to liquidate 1,000 underwater accounts", fmt=".0f",
           limit="target_blocks"),
        _f("scan_10k_s", label="scan 10,000 accounts' health (s)", limit=1.0),
        _f("oracle_blocks_max", label="oracle: blocks from a 2% move to its post (max of 8)", fmt=".0f", limit=1),
    ], repeats_itself=True),
    Benchmark("sim", "python -m benchmarks.sim", [
        _f("model_s", label="model: 365 days, hourly steps (s)", limit=5.0),
        _f("chain_s", label="chain: 30 days on Anvil (s)", fmt=".1f", limit=120.0),
        _f("model_month_s", label="model: the same 30 days (s)", fmt=".3f"),
    ], repeats_itself=True),
    Benchmark("risk", "python -m benchmarks.risk", [
        _f("page_cold_ms", label="dashboard ready with data, first load (ms)", fmt=",.0f", limit=2_000.0),
        _f("page_warm_ms", label="dashboard ready with data, reload (ms)", fmt=",.0f", limit=2_000.0),
        _f("aggregate_ms", label="aggregate 10,000 positions (ms)", fmt=".1f", limit=100.0),
        _f("refresh_ms", label="service refresh from the chain (ms)", fmt=",.0f"),
    ], repeats_itself=True),
    Benchmark("cli", "python -m benchmarks.cli", [
        _f("cli_help_s", label="optio --help, start to exit (s)", fmt=".3f", limit=0.5),
        _f("chainless_help_s", label="optio trade quote --help, no chain (s)", fmt=".3f", limit=0.5),
        _f("cli_price_s", label="optio price, one option and its Greeks, no chain (s)", fmt=".3f", limit=0.5),
        _f("cli_iv_s", label="optio iv, one option, no chain (s)", fmt=".3f", limit=0.5),
        _f("cli_iv_atm_s", label="optio iv at the money, no chain (s)", fmt=".3f", limit=0.5),
        _f("cli_surface_fit_s", label="optio surface fit, a 66-quote snapshot, no chain (s)", fmt=".3f",
           limit=0.5),
        _f("cli_keys_new_s", label="optio keys new, scrypt included, no chain (s)", fmt=".3f"),
        _f("cli_surface_fit_s_cpu", label="optio surface fit, CPU time (user + system) (s)", fmt=".3f"),
        _f("cli_keys_new_s_cpu", label="optio keys new, CPU time (user + system) (s)", fmt=".3f"),
        _f("keys_scrypt_cpu_s", label="the keystore's scrypt alone, CPU time: keys new's floor (s)", fmt=".3f"),
        _f("python_s", label="python -c pass, the peer (s)", fmt=".3f"),
    ], repeats_itself=True),
]
BY_NAME = {b.name: b for b in BENCHMARKS}


# --- what each benchmark calls ------------------------------------------------------------------


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, min and max of one figure's runs."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def repeat(run: Callable[[], dict], reps: int, figures: Sequence[str]) -> dict:
    """``run()`` ``reps`` times. Returns the figures of the median run of the first of
    ``figures`` (so a table made from them is one real run), and for each of ``figures``
    ``<figure>_median``, ``_min``, ``_max`` and ``_runs`` (every run's value, in order)."""
    if reps < 1:
        raise ValueError("reps must be at least 1")
    runs = []
    for i in range(reps):
        runs.append(run())
        if reps > 1:
            print(f"run {i + 1} of {reps}: " + ", ".join(f"{f} {runs[-1][f]:g}" for f in figures), file=sys.stderr)
    order = sorted(range(reps), key=lambda i: runs[i][figures[0]])
    out = dict(runs[order[(reps - 1) // 2]])
    for f in figures:
        values = [r[f] for r in runs]
        for stat, value in summary(values).items():
            out[f"{f}_{stat}"] = value
        out[f"{f}_runs"] = values
    out["reps"] = reps
    return out


# --- running and saving ---------------------------------------------------------------------------


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def commit() -> str:
    """The short commit, with ``-dirty`` if tracked files differ from it (the saved runs and
    this doc aside: they change as ``make bench`` goes)."""
    head = _git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", ".",
                 ":!docs/benchmarks", ":!docs/benchmarks.md")
    return head + ("-dirty" if dirty else "")


def last_json(stdout: str) -> dict:
    """A benchmark's figures: the last line of its output that is a JSON object."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON line in the benchmark's output")


def lookup(figures: dict, path: Sequence[str]):
    value = figures
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _run_once(bench: Benchmark, extra: list[str]) -> dict:
    """Runs the benchmark as a subprocess, its tables shown as they come, and returns its JSON."""
    cmd = [sys.executable, "-m", f"benchmarks.{bench.name}", *extra]
    print(f"$ {' '.join(cmd[2:])}", flush=True)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stdout:  # type: ignore[union-attr]
        print(line, end="", flush=True)
        lines.append(line)
    if proc.wait() != 0:
        raise RuntimeError(f"benchmarks.{bench.name} exited with {proc.returncode}")
    return last_json("".join(lines))


def run_benchmark(bench: Benchmark, reps: int, seed: int | None = None) -> dict:
    """The benchmark's figures over ``reps`` runs (``<figure>_median`` … for its figures), on
    ``seed`` for a benchmark that takes seeds (the peers on its first seed only)."""
    if bench.repeats_itself:
        extra = [] if seed is None else ["--seed", str(seed)] + (["--no-peers"] if seed != bench.seeds[0] else [])
        return _run_once(bench, ["--reps", str(reps), *extra])
    runs = [_run_once(bench, []) for _ in range(reps)]
    keys = [f.key for f in bench.figures]
    flat = [{f.key: lookup(r, f.path) for f in bench.figures} for r in runs]
    out = dict(runs[-1])
    for key in keys:
        values = [r[key] for r in flat]
        if all(isinstance(v, int | float) for v in values):
            for stat, value in summary(values).items():
                out[f"{key}_{stat}"] = value
            out[f"{key}_runs"] = values
    out["reps"] = reps
    return out


def save(bench: Benchmark, figures: dict, directory: Path | None = None, seed: int | None = None) -> Path:
    """Save a run as ``<name>.json`` (``<name>-seed<N>.json`` for a seed after the first)."""
    directory = directory or RESULTS
    directory.mkdir(parents=True, exist_ok=True)
    extra = seed is not None and bench.seeds and seed != bench.seeds[0]
    path = directory / (f"{bench.name}-seed{seed}.json" if extra else f"{bench.name}.json")
    command = bench.command + (f" --seed {seed}" if seed is not None else "") + (" --no-peers" if extra else "")
    record = {"benchmark": bench.name, "command": command, "commit": commit(),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "reps": figures.get("reps", 1),
              "figures": figures}
    path.write_text(json.dumps(record, indent=1, default=float) + "\n")
    return path


# --- the doc ----------------------------------------------------------------------------------------


def _stats(bench: Benchmark, fig: Figure, figures: dict) -> dict[str, float] | None:
    value = lookup(figures, fig.path)
    if isinstance(value, dict) and all(isinstance(value.get(s), int | float) for s in ("median", "min", "max")):
        return {s: value[s] for s in ("median", "min", "max")}  # the benchmark's own spread
    key = fig.key if not bench.repeats_itself else fig.path[-1]
    if f"{key}_median" in figures:
        return {s: figures[f"{key}_{s}"] for s in ("median", "min", "max")}
    return {"median": value, "min": value, "max": value} if isinstance(value, int | float) else None


def _limit(fig: Figure, figures: dict) -> float | None:
    if isinstance(fig.limit, str):
        value = lookup(figures, (fig.limit,))
        return float(value) if isinstance(value, int | float) else None
    return fig.limit


def render(records: dict[str, dict]) -> str:
    """docs/benchmarks.md from the saved records (benchmark name: record)."""
    out = ["# Benchmarks", "",
           "Written by `make bench` (`python -m benchmarks.report`): every benchmark run three times on",
           "one machine, each figure's median and the spread of the runs (min – max), the commit and",
           "the date of the run. A target is met on the median. `BENCH_ONLY=sim,risk make bench`",
           "re-runs some of them; `python -m benchmarks.report --rewrite` rewrites this page from",
           "the saved runs (`docs/benchmarks/<name>.json`). Timings depend on the machine and on",
           "what else runs on it: compare figures measured on the same one.", ""]
    for bench in BENCHMARKS:
        seeded = [records[f"{bench.name}-seed{seed}"] for seed in bench.seeds[1:]
                  if f"{bench.name}-seed{seed}" in records]
        if bench.name not in records:
            continue
        out += [f"## {bench.name}", ""]
        if bench.note:
            out += [bench.note, ""]
        if seeded:
            out += ["The headline figures on each seed's grids (`--seed`; the peers' table on the first); each",
                    "figure's median and the spread (min – max) of the benchmark's own repetitions.", ""]
        for record in (records[bench.name], *seeded):
            if seeded:
                out += [f"### seed {record['figures'].get('seed', '?')}", ""]
            out += _table(bench, record)
    return "\n".join(out)


def _table(bench: Benchmark, record: dict) -> list[str]:
    """One record's table: its command, commit, date and runs, then each figure."""
    figures = record["figures"]
    out = [f"`{record['command']}` — commit `{record['commit']}`, {record['date']}, "
           f"{record['reps']} run{'s' if record['reps'] != 1 else ''}.", "",
           "| figure | median | min – max | target |", "|---|---:|---:|---|"]
    for fig in bench.figures:
        stats = _stats(bench, fig, figures)
        if stats is None:
            out.append(f"| {fig.label} | – | | |")
            continue
        median, low, high = (format(stats[s], fig.fmt) for s in ("median", "min", "max"))
        limit = _limit(fig, figures)
        target = ""
        if limit is not None:
            met = stats["median"] <= limit if fig.lower_is_better else stats["median"] >= limit
            target = f"{'≤' if fig.lower_is_better else '≥'} {format(limit, fig.fmt)} {'✓' if met else '✗'}"
        out.append(f"| {fig.label} | {median} | {low} – {high} | {target} |")
    out.append("")
    return out


def load_records(directory: Path | None = None) -> dict[str, dict]:
    directory = directory or RESULTS
    records = {}
    for bench in BENCHMARKS:
        for name in (bench.name, *(f"{bench.name}-seed{seed}" for seed in bench.seeds[1:])):
            path = directory / f"{name}.json"
            if path.exists():
                records[name] = json.loads(path.read_text())
    return records


def write_doc(directory: Path | None = None, doc: Path | None = None) -> Path:
    doc = doc or DOC
    doc.write_text(render(load_records(directory)))
    return doc


def selected(only: str | None) -> list[Benchmark]:
    if not only:
        return list(BENCHMARKS)
    names = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise SystemExit(f"BENCH_ONLY: unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BY_NAME)}")
    return [BY_NAME[n] for n in names]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rewrite", action="store_true", help="only rewrite the doc from the saved JSON")
    parser.add_argument("--reps", type=int, default=3, help="runs of each benchmark (default 3)")
    args = parser.parse_args(argv)
    if not args.rewrite:
        for bench in selected(os.environ.get("BENCH_ONLY")):
            for seed in bench.seeds or (None,):
                save(bench, run_benchmark(bench, args.reps, seed), seed=seed)
    print(f"wrote {write_doc()}")


if __name__ == "__main__":
    main()
