"""Start services as child processes, watch them, and stop exactly them.

Each child runs in its own session, so a Ctrl-C in the terminal reaches only the supervisor,
which then stops its children in order (SIGTERM, a grace period, then SIGKILL) and nothing
else. Every child's output goes to ``<run dir>/logs/<name>.log``; their pids are written to
``<run dir>/processes.json`` for operators and tests.

Why not honcho: it runs a Procfile of fixed commands, while the services' configs are written
at start (ports, keys, the deployment just made); this is the small part of it we need.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from optio.sdk.errors import InvalidInput


@dataclass
class Service:
    name: str
    command: list[str]
    process: subprocess.Popen
    log: Path

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


class Supervisor:
    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        (run_dir / "logs").mkdir(parents=True, exist_ok=True)
        self.services: list[Service] = []

    def start(self, name: str, command: list[str], env: dict[str, str] | None = None) -> Service:
        log = self.run_dir / "logs" / f"{name}.log"
        with open(log, "w") as out:  # the child keeps its own descriptor
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                    env={**os.environ, **(env or {})})
        service = Service(name, command, proc, log)
        self.services.append(service)
        self._write_pids()
        return service

    def exited(self) -> list[Service]:
        """Services that stopped on their own (a keeper's error budget, a crash)."""
        return [s for s in self.services if not s.alive]

    def require_running(self) -> None:
        """``InvalidInput`` naming each service that stopped, its exit code and its log."""
        if gone := self.exited():
            names = ", ".join(f"{s.name} (exit {s.process.returncode}; see {s.log})" for s in gone)
            raise InvalidInput(f"a service stopped: {names}")

    def stop_all(self, grace_s: float = 10.0) -> None:
        """SIGTERM to every live child, in reverse start order; SIGKILL to what is left after
        ``grace_s``. Only the children's own process groups are signalled."""
        for s in reversed(self.services):
            if s.alive:
                _signal_group(s.process, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for s in reversed(self.services):
            try:
                s.process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                _signal_group(s.process, signal.SIGKILL)
                s.process.wait(5)

    def _write_pids(self) -> None:
        pids = {s.name: s.process.pid for s in self.services}
        tmp = self.run_dir / "processes.json.tmp"
        tmp.write_text(json.dumps({"supervisor": os.getpid(), **pids}, indent=1))
        os.replace(tmp, self.run_dir / "processes.json")  # readers never see half a file


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)  # its own session: the group is the child and what it started
