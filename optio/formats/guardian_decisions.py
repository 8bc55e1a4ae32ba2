"""The guardian's decision log: one JSON object a line, appended by the guardian keeper and read by
the risk service and the demo.

A line holds ``chain_time`` (s), ``block``, ``action`` (``pause``, ``unpause``, ``hold`` …),
``reason``, ``measured`` and ``limits`` (the guardian's measures, in the units its config names;
None where not finite), ``tx`` (the outcome, "" when nothing was sent) and ``tx_hash``.
"""

from __future__ import annotations

import json
from pathlib import Path


def decisions_file(state_dir: Path, name: str = "guardian") -> Path:
    """Where a guardian named ``name`` with ``state_dir`` appends its decisions by default."""
    return state_dir / f"{name}-decisions.jsonl"


def append_decision(path: Path, record: dict) -> None:
    """Append ``record`` as one line (creating the folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        out.write(json.dumps(record) + "\n")


def read_decisions(path: Path, last: int | None = None) -> list[dict]:
    """The decisions in ``path`` (the ``last`` ones), oldest first; [] if there is no file. A
    line being written (not yet whole JSON) is skipped."""
    if not path.is_file():
        return []
    out = []
    for line in path.read_text().splitlines()[-last if last else 0 :]:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out
