"""The invariants over ≥ 50,000 random actions in revm (in process), on the exact state a real
Anvil holds after the production deployment: same bytecode, same addresses, same storage."""

from __future__ import annotations

from tests.fuzz.runner import SCALE, assert_deep, report, run_machine
from tests.fuzz.system import revm_copy

MIN_ACTIONS = 50_000


def test_invariants_revm(deployed):
    system, boards = deployed
    stats = run_machine(revm_copy(system), boards, MIN_ACTIONS * SCALE, steps=200)
    report("revm", stats)
    assert stats.actions >= MIN_ACTIONS * SCALE
    assert_deep(stats)
