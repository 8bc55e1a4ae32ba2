"""The same machine on the real Anvil (JSON-RPC, a snapshot per example): a smaller run, which
shows the revm results hold on the node the SDK and the keepers talk to."""

from __future__ import annotations

from tests.fuzz.runner import SCALE, report, run_machine


def test_invariants_anvil(deployed):
    system, boards = deployed
    # Until a buy went through (at most 2,000 actions): the fixed seeds' draws can spend a short
    # run on posts and a pause (seen once the LP request rules were added: 723 actions, no buy).
    stats = run_machine(system, boards, 500 * SCALE, steps=60, batch=4,
                        until=lambda st: st.ok["buy"] > 0, max_actions=2_000 * SCALE)
    report("anvil", stats)
    assert stats.ok["buy"] and stats.ok["post spot"], "the Anvil run never traded"
