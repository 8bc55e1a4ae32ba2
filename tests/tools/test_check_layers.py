"""tools/check_layers.py: the real tree passes; a forbidden import or a cycle fails `make lint`."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import check_layers  # noqa: E402


def tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, body in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    for pkg in {p.parent for p in tmp_path.rglob("*.py")}:
        (pkg / "__init__.py").touch()
    return tmp_path


def test_the_project_has_no_forbidden_import_and_no_cycle():
    assert check_layers.violations(ROOT) == []


@pytest.mark.parametrize(("source", "line", "forbidden"), [
    ("optio/pricing/black.py", "from optio.sdk.units import WAD", "optio.pricing may not import optio.sdk"),
    ("optio/sdk/chain.py", "import optio.keepers.runtime", "optio.sdk may not import optio.keepers"),
    ("optio/risk/service.py", "from optio.keepers import guardian", "optio.risk may not import optio.keepers"),
    # a lazy import is a dependency all the same
    ("optio/sim/run.py", "def f():\n    from optio.cli.main import main", "optio.sim may not import optio.cli"),
])
def test_a_forbidden_import_is_named(tmp_path, source, line, forbidden):
    root = tree(tmp_path, {source: line + "\n", "optio/sdk/units.py": "", "optio/keepers/runtime.py": "",
                           "optio/keepers/guardian.py": "", "optio/cli/main.py": ""})
    problems = check_layers.violations(root)
    assert any(forbidden in p for p in problems), problems


def test_an_import_cycle_is_named(tmp_path):
    root = tree(tmp_path, {"optio/sdk/a.py": "from optio.sdk import b\n",
                           "optio/sdk/b.py": "from optio.sdk.a import x\n"})
    assert check_layers.violations(root) == ["import cycle: optio.sdk.a -> optio.sdk.b -> optio.sdk.a"]


def test_upward_imports_are_allowed_only_downward(tmp_path):
    root = tree(tmp_path, {"optio/cli/main.py": "from optio.keepers import x\nfrom optio.pricing import y\n",
                           "optio/keepers/x.py": "", "optio/pricing/y.py": ""})
    assert check_layers.violations(root) == []


def test_the_command_exits_1_with_one_line_per_problem(tmp_path):
    root = tree(tmp_path, {"optio/pricing/a.py": "from optio.sdk import b\n", "optio/sdk/b.py": ""})
    command = [sys.executable, str(ROOT / "tools/check_layers.py"), str(root)]
    out = subprocess.run(command, capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stdout.splitlines() == [
        "error: optio.pricing.a imports optio.sdk.b: optio.pricing may not import optio.sdk"]
