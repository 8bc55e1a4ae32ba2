"""Running the invariant machine (tests/fuzz/machine.py) and reporting what it did.

``make test`` runs the same actions every time (fixed seeds); ``make fuzz`` sets FUZZ_SCALE=10
and FUZZ_RANDOM=1: ten times as many actions, from a random first seed.
"""

from __future__ import annotations

import os
import random

from hypothesis import HealthCheck, seed, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.fuzz.machine import ProtocolMachine, Stats

SCALE = int(os.environ.get("FUZZ_SCALE", "1"))
#: First seed: fixed in `make test` (the same actions every run), random in `make fuzz`; give
#: FUZZ_SEED to replay a run (the report prints the seeds it used).
SEED = int(os.environ.get("FUZZ_SEED") or (random.SystemRandom().randrange(2**32)
                                             if os.environ.get("FUZZ_RANDOM") == "1" else 0))
#: Actions whose success shows the run reached the deep states (trades, expiry, liquidation).
MUST_SUCCEED = ("deposit", "requestDeposit", "requestRedeem", "claim", "buy", "sell", "closeLong", "closeShort",
                "settle", "settleAccounts", "exercise", "liquidate", "margin withdraw", "transfer option")


def run_machine(system, boards, min_actions: int, *, steps: int, batch: int = 25, until=None,
                max_actions: int = 0) -> Stats:
    """Runs the machine in batches of ``batch`` examples, seed after seed from SEED, until it
    has made ``min_actions`` actions (hypothesis decides each example's length) and, when
    ``until(stats)`` is given, until it holds or ``max_actions`` are made."""
    stats = Stats()
    machine = ProtocolMachine.bind(system, boards, stats)
    n = 0
    config = settings(max_examples=batch, stateful_step_count=steps, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck), print_blob=True)
    def more() -> bool:
        if stats.actions < min_actions:
            return True
        return until is not None and not until(stats) and stats.actions < max_actions

    while more():
        try:
            run_state_machine_as_test(seed(SEED + n)(type(machine.__name__, (machine,), {})), settings=config)
        except BaseException as err:
            err.add_note(f"replay this batch first: FUZZ_SEED={SEED + n}")
            raise
        n += 1
    stats.seeds = (SEED, SEED + n - 1)
    return stats


def report(title: str, stats: Stats) -> None:
    """Prints what the run did: per action, how often it passed, reverted, and the top reasons."""
    first, last = stats.seeds
    print(f"\n{title}: {stats.actions:,} actions in {stats.examples} examples, seeds {first}..{last}")
    for name in sorted(set(stats.ok) | {k.split(":")[0] for k in stats.reverted}):
        reasons = {k.split(": ", 1)[1]: n for k, n in stats.reverted.items() if k.startswith(name + ":")}
        top = ", ".join(f"{r} {n}" for r, n in sorted(reasons.items(), key=lambda x: -x[1])[:3])
        print(f"  {name:<26} ok {stats.ok[name]:>6}  reverted {sum(reasons.values()):>6}  {top}")


def assert_deep(stats: Stats) -> None:
    never = [name for name in MUST_SUCCEED if stats.ok[name] == 0]
    assert not never, f"these actions never succeeded, so their states were never fuzzed: {never}"
