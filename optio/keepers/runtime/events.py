"""Incremental event scanning that survives restarts and reorgs.

Each call reads logs from a little before where the last one stopped (``reorg_depth`` blocks
again: a block replaced by a reorg is read anew) up to the head, in chunks. Consumers keep sets
(accounts seen), so reading a log twice is harmless; what was scanned is saved to a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


class EventScanner:
    def __init__(self, event, state_path: Path, *, from_block: int, reorg_depth: int = 12, chunk: int = 5000):
        self.event, self.state_path = event, Path(state_path)
        self.reorg_depth, self.chunk = reorg_depth, chunk
        self.scanned_to = from_block - 1
        self.seen: dict[str, None] = {}
        if self.state_path.exists():
            data = json.loads(self.state_path.read_text())
            self.scanned_to = data["scanned_to"]
            self.seen = dict.fromkeys(data["seen"])

    def scan(self, head: int, key) -> list[str]:
        """New keys (``key(log)``) seen up to block ``head``; every key seen so far is in ``seen``."""
        start = max(0, self.scanned_to - self.reorg_depth + 1)
        new = []
        for lo in range(start, head + 1, self.chunk):
            hi = min(lo + self.chunk - 1, head)
            for log in self.event.get_logs(from_block=lo, to_block=hi):
                k = key(log)
                if k not in self.seen:
                    self.seen[k] = None
                    new.append(k)
        self.scanned_to = max(self.scanned_to, head)
        self._save()
        return new

    def _save(self) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"scanned_to": self.scanned_to, "seen": list(self.seen)}))
        os.replace(tmp, self.state_path)
