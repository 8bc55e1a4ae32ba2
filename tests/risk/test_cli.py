"""`optio risk` (and `python -m optio.risk`): bad options give one readable line and start nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("args", "message"), [
    (["--rpc", "http://127.0.0.1:1", "--deployment", "/nonexistent.json"], "'/nonexistent.json' does not exist"),
    (["--rpc", "http://127.0.0.1:1", "--deployment", "{manifest}"], "RPC http://127.0.0.1:1 is unreachable"),
    (["--rpc", "ftp://x", "--deployment", "{manifest}"], "must start with http://"),
    (["--rpc", "http://127.0.0.1:1", "--deployment", "{manifest}", "--keeper", "oracle"], "give NAME=http://host:port"),
    (["--rpc", "http://127.0.0.1:1", "--deployment", "{manifest}", "--port", "70000"], "70000 is not in the range"),
    (["--rpc", "http://127.0.0.1:1", "--deployment", "{garbage}"], "is not a deployment manifest: Invalid JSON"),
])
def test_bad_options_are_one_line(tmp_path, args, message):
    manifest = tmp_path / "m.json"
    manifest.write_text('{"chain_id": 31337, "deployer": "0x0", "deploy_block": 0, "contracts": {}}')
    garbage = tmp_path / "g.json"
    garbage.write_text("not json")
    args = [a.format(manifest=manifest, garbage=garbage) for a in args]
    out = subprocess.run([sys.executable, "-m", "optio.cli.main", "risk", *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and message in text and "Traceback" not in text, text
    assert len(text.strip().splitlines()) == 1 or "Usage:" in text, text  # click's usage errors have their usage line
