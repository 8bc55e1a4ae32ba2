"""What the bad-input tests share: the rows of docs/bad-input.md and what a refusal must look like
(one line, non-zero exit, nothing sent). The world they run in is conftest's ``world``."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "bad-input.md"


def rows(section: str) -> list[list[str]]:
    """The table under the heading that starts with ``section``, without its header rows."""
    text = DOC.read_text().split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in text.splitlines()
            if line.startswith("|")]
    return rows[2:]


def code(cell: str) -> str:
    return cell.strip().strip("`")


def assert_refused(user_chain, run, expected: str, before: tuple[int, int]) -> None:
    lines = [line for line in run.err.strip().splitlines() if line.strip()]
    assert run.code != 0, f"exit code 0; stdout: {run.out[-500:]}"
    assert len(lines) == 1, f"not one line:\n{run.err[-2000:]}"
    assert "Traceback" not in run.err
    assert expected.lower() in lines[0].lower(), lines[0]
    assert (user_chain.nonce(1), user_chain.w3.eth.block_number) == before, "something was sent"
