"""The Python lock holds: every package of constraints.txt is installed at its pinned version,
and every pin in pyproject.toml (the direct dependencies) equals the lock's.

    python tools/check_lock.py      # one line per mismatch; exit 1 if any

`make test` runs it, so a drifted environment or a pyproject edit that the lock does not
follow is caught before the tests run on the wrong stack.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins(path: Path = ROOT / "constraints.txt") -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, ver = line.partition("==")
            if not ver:
                raise SystemExit(f"constraints.txt: {line!r} is not pinned exactly (name==version)")
            pins[_norm(name)] = ver
    return pins


def project_pins(path: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    project = tomllib.loads(path.read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    pins = {}
    for spec in specs:
        name, sep, ver = spec.partition("==")
        if not sep:
            raise SystemExit(f"pyproject.toml: {spec!r} is not pinned exactly (name==version)")
        pins[_norm(name)] = ver
    return pins


def problems() -> list[str]:
    lock = lock_pins()
    out = []
    for name, ver in project_pins().items():
        if lock.get(name) != ver:
            out.append(f"pyproject.toml pins {name}=={ver}, the lock has {lock.get(name, 'nothing')}")
    for name, ver in lock.items():
        try:
            have = version(name)
        except PackageNotFoundError:
            out.append(f"{name}=={ver} is locked but not installed (run make install)")
            continue
        if have != ver:
            out.append(f"{name} is {have}, the lock pins {ver} (run make install)")
    return out


if __name__ == "__main__":
    found = problems()
    for line in found:
        print(line)
    print(f"lock: {len(lock_pins())} packages pinned; {len(found)} mismatches")
    sys.exit(1 if found else 0)
