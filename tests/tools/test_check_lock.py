"""tools/check_lock.py: the lock's and pyproject's pins are exact and agree."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("check_lock", Path(__file__).parents[2] / "tools" / "check_lock.py")
check_lock = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_lock)


def test_the_project_lock_holds():
    assert check_lock.problems() == []


def test_unpinned_entries_are_refused(tmp_path):
    (tmp_path / "c.txt").write_text("# comment\nweb3==7.16.0\nclick>=8\n")
    with pytest.raises(SystemExit, match="'click>=8' is not pinned"):
        check_lock.lock_pins(tmp_path / "c.txt")
    (tmp_path / "p.toml").write_text('[project]\ndependencies = ["web3==7.16.0", "rich"]\n')
    with pytest.raises(SystemExit, match="'rich' is not pinned"):
        check_lock.project_pins(tmp_path / "p.toml")


def test_names_are_compared_normalised(tmp_path):
    (tmp_path / "c.txt").write_text("Typing_Extensions==4.16.0\n")
    assert check_lock.lock_pins(tmp_path / "c.txt") == {"typing-extensions": "4.16.0"}
