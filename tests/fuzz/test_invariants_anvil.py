"""The same machine on the real Anvil (JSON-RPC, a snapshot per example): a smaller run, which
shows the revm results hold on the node the SDK and the keepers talk to."""

from __future__ import annotations

from tests.fuzz.runner import SCALE, report, run_machine


def test_invariants_anvil(deployed):
    system, boards = deployed
    # Four examples a batch: with three, the fixed seeds' draws after the LP request rules were
    # added spent the run on posts and a pause, and no buy went through.
    stats = run_machine(system, boards, 500 * SCALE, steps=60, batch=4)
    report("anvil", stats)
    assert stats.ok["buy"] and stats.ok["post spot"], "the Anvil run never traded"
