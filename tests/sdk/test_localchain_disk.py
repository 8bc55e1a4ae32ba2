"""A local Anvil leaves no state on disk: without `--prune-history` Anvil wrote every state past
its memory limit to ~/.foundry/anvil/tmp (~0.5 MB a block with the protocol deployed) and left it
there when stopped; the suite's chains filled a 25 GB disk, and the next runs failed on it."""

from __future__ import annotations

from pathlib import Path

from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.deploy import DeployConfig, deploy_protocol
from optio.sdk.localchain import HISTORY_STATES, local_chain

ANVIL_TMP = Path.home() / ".foundry" / "anvil" / "tmp"


def _state_dirs() -> set[Path]:
    return set(ANVIL_TMP.glob("anvil-state-*")) if ANVIL_TMP.exists() else set()


def test_a_local_chain_writes_no_state_to_disk_and_keeps_recent_history():
    before = _state_dirs()
    with local_chain("anvil") as chain:
        w3 = chain.w3
        deploy_protocol(w3, LocalSigner(dev_account(0)), DeployConfig(), save=False)
        deployed_at = w3.eth.block_number
        balance = w3.eth.get_balance(dev_account(0).address)
        for _ in range(600):  # past Anvil's default in-memory states, which then spilled to disk
            w3.provider.make_request("evm_mine", [])
        assert HISTORY_STATES > 600
        # A read at a past block within the kept history still answers.
        assert w3.eth.get_balance(dev_account(0).address, deployed_at) == balance
        written = [p for p in _state_dirs() - before if any(p.iterdir())]
        assert written == [], written
    assert [p for p in _state_dirs() - before if any(p.iterdir())] == []
