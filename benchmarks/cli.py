"""Start-up of the `optio` command: `optio --help` and every command that needs no chain, each
from start to exit (target ≤ 0.5 s), beside their peer, a bare `python -c pass`.

The chain-less commands: the help of a chain command (`optio trade quote --help`), `optio price`
and `optio iv` (one option: the scalar path, :mod:`optio.pricing.scalar`, in pure Python),
`optio iv` at the money (its erfinv branch), `optio surface fit` of a venue snapshot (a batch: the
vectorised engine, numba and scipy) and `optio keys new` (most of it is the keystore's scrypt,
whose cost is the keystore's protection; no target here).

Each command runs as a user runs it, a new process each time: ``--n`` times a run (5), ``--reps``
runs (3). A run's figure is the median of its ``--n`` timings; the table and the JSON line give
the median of the runs' figures and their spread (min, max).

    python -m benchmarks.cli [--n 5] [--reps 3]

Each command's CPU time (user + system of the process, ``<key>_cpu``) is taken beside its wall
time: on a loaded machine the wall time grows with the load, the CPU time much less, so it tells
a slower command from a busier machine. ``keys_scrypt_cpu_s`` is the CPU time of the keystore's scrypt alone, in this
process (n = 2¹⁸, r = 8, p = 1, as eth-account writes it): the floor of `optio keys new`, whose
start-up is the rest.

The last line is one JSON object: ``python_s``, ``cli_help_s``, ``chainless_help_s``,
``cli_price_s``, ``cli_iv_s``, ``cli_iv_atm_s``, ``cli_surface_fit_s``, ``cli_keys_new_s``, their
``..._cpu`` twins and ``keys_scrypt_cpu_s`` (each the median of the runs), each with ``_median``,
``_min``, ``_max`` and ``_runs``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.report import repeat

ROOT = Path(__file__).resolve().parents[1]
OPTIO = str(Path(sys.executable).parent / "optio")
TARGET_S = 0.5
SNAPSHOT = "tests/pricing/fixtures/deribit_btc_options.json"
_MARKET = ["--spot", "3000", "--strike", "3200", "--expiry", "30d", "--type", "call"]
#: Fresh keystore paths for `optio keys new` (it never overwrites one).
_KEYSTORES = Path(tempfile.mkdtemp(prefix="optio-bench-keys-"))
_KEYSTORE_IDS = itertools.count()


def _keys_new() -> list[str]:
    return [OPTIO, "keys", "new", "--out", str(_KEYSTORES / f"k{next(_KEYSTORE_IDS)}.json")]


#: key → (argv, or a function giving a fresh one each time; label; target in seconds or None).
COMMANDS: dict[str, tuple[list[str] | Callable[[], list[str]], str, float | None]] = {
    "python_s": ([sys.executable, "-c", "pass"], "python -c pass (the peer)", None),
    "cli_help_s": ([OPTIO, "--help"], "optio --help", TARGET_S),
    "chainless_help_s": ([OPTIO, "trade", "quote", "--help"], "optio trade quote --help", TARGET_S),
    "cli_price_s": ([OPTIO, "price", *_MARKET, "--vol", "0.65"], "optio price (one option, Greeks)", TARGET_S),
    "cli_iv_s": ([OPTIO, "iv", *_MARKET, "--price", "150"], "optio iv (one option)", TARGET_S),
    "cli_iv_atm_s": (
        [OPTIO, "iv", "--spot", "3000", "--strike", "3000", "--expiry", "30d", "--type", "put", "--price", "200"],
        "optio iv at the money",
        TARGET_S,
    ),
    "cli_surface_fit_s": ([OPTIO, "surface", "fit", SNAPSHOT], "optio surface fit (a chain snapshot)", TARGET_S),
    "cli_keys_new_s": (_keys_new, "optio keys new (scrypt)", None),
}
#: The keystore's scrypt alone (:func:`scrypt_once`).
SCRYPT = "keys_scrypt_cpu_s"
FIGURES = (*COMMANDS, *(f"{k}_cpu" for k in COMMANDS), SCRYPT)


def time_once(argv: list[str] | Callable[[], list[str]]) -> tuple[float, float]:
    """One run of the command: its wall time and its CPU time (user + system), in seconds."""
    argv = argv() if callable(argv) else argv
    env = dict(os.environ, PYTHONPATH=str(ROOT), KEEPER_PASSWORD="benchmark")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


#: The keystore's scrypt work factor: eth-keyfile's defaults, what ``Account.encrypt`` writes.
SCRYPT_N, SCRYPT_R, SCRYPT_P, DKLEN = 262144, 8, 1, 32


def scrypt_once() -> float:
    """The keystore's key derivation alone, as `optio keys new` runs it (through eth-account): its CPU time."""
    from Crypto.Protocol.KDF import scrypt

    start = time.process_time()
    scrypt(b"benchmark", os.urandom(16), DKLEN, N=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return time.process_time() - start


def one_run(n: int) -> dict:
    """Each command ``n`` times (one untimed warm-up first: the OS caches the files, numba its
    kernels); the median of the wall times and that of the CPU times."""
    out = {}
    for key, (argv, _, _) in COMMANDS.items():
        time_once(argv)
        walls, cpus = zip(*(time_once(argv) for _ in range(n)), strict=True)
        out[key], out[f"{key}_cpu"] = statistics.median(walls), statistics.median(cpus)
    out[SCRYPT] = statistics.median(scrypt_once() for _ in range(n))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5, help="timings per command per run")
    parser.add_argument("--reps", type=int, default=3, help="runs")
    args = parser.parse_args(argv)
    figures = repeat(lambda: one_run(args.n), args.reps, FIGURES)
    table = Table(title=f"optio start-up: median of {args.n} per run, {args.reps} runs (s)", title_justify="left")
    for col in ("command", "median", "min", "max", "CPU median", "× python", "target"):
        table.add_column(col, justify="left" if col == "command" else "right")
    peer = figures["python_s_median"]
    for key, (_, label, target) in COMMANDS.items():
        med = figures[f"{key}_median"]
        met = "" if target is None else f"≤ {target} {'met' if med <= target else 'NOT met'}"
        table.add_row(
            label,
            f"{med:.3f}",
            f"{figures[f'{key}_min']:.3f}",
            f"{figures[f'{key}_max']:.3f}",
            f"{figures[f'{key}_cpu_median']:.3f}",
            f"{med / peer:.1f}",
            met,
        )
    scrypt = [f"{figures[f'{SCRYPT}_{s}']:.3f}" for s in ("median", "min", "max")]
    table.add_row("the keystore's scrypt alone, in process (CPU)", *scrypt, "", "", "")
    Console(width=120).print(table)
    record = {k: figures[f"{k}_median"] for k in FIGURES}
    for k in FIGURES:
        record.update({f"{k}_{s}": figures[f"{k}_{s}"] for s in ("median", "min", "max", "runs")})
    record.update(n=args.n, reps=args.reps, target_s=TARGET_S)
    print(json.dumps(record))


if __name__ == "__main__":
    main()
