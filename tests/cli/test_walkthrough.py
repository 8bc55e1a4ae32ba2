"""The walk-through of docs/using.md (the LP and trader blocks the README points to) runs as
written, block after block, on a fresh Anvil: every `optio` and `ape run` line exits 0, no figure
is cut ('…') at 80 columns, and the steps say what they did (a queued request, a claim paid).

The one change to the text: the Anvil runs on a free port, so its URL replaces
``http://127.0.0.1:8545`` in the one line that gives ``--rpc`` (later lines use the remembered
URL, as a user's do). Its clock starts on 2026-12-01, so the walk-through's 2027-06-25 expiry is
always ahead."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from optio.sdk.localchain import local_chain

pytestmark = pytest.mark.scripts

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DOC = ROOT / "docs" / "using.md"
START = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())


def walkthrough() -> list[list[str]]:
    """Every command line of the bash blocks from "### For LPs" on, in order."""
    text = DOC.read_text().split("### For LPs", 1)[1]
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            if command:
                lines.append(shlex.split(command))
    return lines


def test_the_walkthrough_covers_lps_traders_and_expiry():
    firsts = [" ".join(c[:4]) for c in walkthrough()]
    assert firsts[0].startswith("optio --rpc http://127.0.0.1:8545 deploy")
    for step in ("lp deposit", "lp withdraw", "lp claim", "trade buy", "trade sell", "trade settle",
                 "trade exercise", "dev warp", "margin status", "ape run"):
        assert any(step in " ".join(c) for c in walkthrough()), step


def test_walkthrough_runs_as_written(tmp_path):
    with local_chain("anvil", extra_args=["--timestamp", str(START)]) as chain:
        env = {k: v for k, v in os.environ.items() if k not in ("OPTIO_RPC_URL", "OPTIO_ACCOUNT")}
        env.update(
            OPTIO_DEPLOYMENTS_DIR=str(tmp_path / "deployments"),
            OPTIO_CONFIG_DIR=str(tmp_path / "config"),
            APE_FOUNDRY_HOST=chain.url,
            PATH=f"{BIN}:{ROOT / 'node_modules' / '.bin'}:{env['PATH']}",
            SOLCX_BINARY_PATH=str(ROOT / ".solcx"),
            APE_DATA_FOLDER=str(ROOT / ".ape"),
            NO_COLOR="1",
            COLUMNS="80",
        )
        outputs = []
        for command in walkthrough():
            argv = [a.replace("http://127.0.0.1:8545", chain.url) for a in command]
            argv[0] = str(BIN / argv[0])
            run = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
            shown = " ".join(command)
            assert run.returncode == 0, f"{shown}\n{run.stdout[-1500:]}\n{run.stderr[-1500:]}"
            assert "…" not in run.stdout, f"{shown} cut a figure:\n{run.stdout}"
            outputs.append(run.stdout)  # a list: a line may come twice (`optio dev fill`)
    said = "\n".join(outputs)
    assert re.search(r"queued redeem request #\d+: [\d.]+ shares", said)
    assert re.search(r"queued deposit request #\d+: [\d,.]+ USDC", said)
    assert re.search(r"put vault: 1 request\(s\) filled \(1 deposit", said)  # the first fill
    assert re.search(r"call vault: 1 request\(s\) filled \(0 deposit\(s\), 1 redeem", said)  # after settlement
    assert re.search(r"claimed request #\d+: [\d.]+ WETH paid", said)
    assert "nothing sent" in said  # the --preview
    assert re.search(r"liquidation at spot \(USDC\)\s*│\s*—\s*│\s*[\d,.]+", said)
    assert "P&L" in said and "IV" in said
