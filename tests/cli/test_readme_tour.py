"""The README's three-command tour works as written: each command of its block runs and exits 0.

``optio demo --cycle`` starts its own Anvil on 8545, which a test run may not take: it runs here
with ``--port`` on a free port (the same command otherwise; test_optio_cli checks its output)."""

import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def tour_commands() -> list[list[str]]:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## A tour in three commands\s+```bash\n(.*?)```", readme, re.S).group(1)
    return [shlex.split(line.split("  #")[0]) for line in block.splitlines() if line.strip()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_tour_has_three_optio_commands():
    commands = tour_commands()
    assert len(commands) == 3 and all(c[0] == "optio" for c in commands)


def test_each_tour_command_runs(tmp_path):
    for command in tour_commands():
        args = command[1:]
        if args[:2] == ["demo", "--cycle"]:
            args += ["--port", str(free_port())]
        if args[0] == "backtest":
            args += ["--out", str(tmp_path / "report")]
        run = subprocess.run([str(BIN / "optio"), *args], capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert run.returncode == 0, f"{' '.join(command)}: {run.stderr[-2000:]}"
