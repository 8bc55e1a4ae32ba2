"""optio.formats.guardian_decisions: what the guardian appends, the risk service and the demo read back."""

from optio.formats.guardian_decisions import append_decision, decisions_file, read_decisions


def test_decisions_round_trip_oldest_first_and_the_last_n(tmp_path):
    path = decisions_file(tmp_path / "state", "guardian")
    assert read_decisions(path) == []  # no file yet
    for n in range(5):
        append_decision(path, {"action": "hold", "block": n})
    assert [d["block"] for d in read_decisions(path)] == [0, 1, 2, 3, 4]
    assert [d["block"] for d in read_decisions(path, last=2)] == [3, 4]


def test_a_line_being_written_is_skipped(tmp_path):
    path = tmp_path / "guardian-decisions.jsonl"
    append_decision(path, {"action": "pause"})
    with path.open("a") as out:
        out.write('{"action": "unpa')  # the writer is mid-line
    assert read_decisions(path) == [{"action": "pause"}]
