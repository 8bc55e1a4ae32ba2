"""Static analysis of every contract with slither, on the project's compiler (the solc-js
wrapper), failing on any high- or medium-impact finding.

slither's own compile path calls ``solc --combined-json``, which the wrapper does not offer, so
this builds one solc standard-JSON input of every source under contracts/ (with ape's
remappings to node_modules) and hands it to slither's ``solc-json`` platform.

A finding judged a false positive is suppressed next to the code, with the reason on the line
above: ``// slither-disable-next-line <detector>``.

Usage: python tools/slither_check.py   (exit 1 and one line per finding if any)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REMAPPINGS = [
    "@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/",
    "solady/=node_modules/solady/",
    "@chainlink/contracts/=node_modules/@chainlink/contracts/",
]
FAILING_IMPACTS = {"High", "Medium"}


def standard_json_input() -> dict:
    sources = {
        str(p.relative_to(ROOT)): {"content": p.read_text()}
        for p in sorted((ROOT / "contracts").rglob("*.sol"))
        if ".cache" not in p.parts
    }
    return {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "remappings": REMAPPINGS,
            "evmVersion": "shanghai",
            "viaIR": True,
            "optimizer": {"enabled": True, "runs": 20000},
        },
    }


def run_slither() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "input.json"
        target.write_text(json.dumps(standard_json_input()))
        out = Path(tmp) / "out.json"
        proc = subprocess.run(
            [sys.executable, "-m", "slither", str(target), "--compile-force-framework", "solc-json",
             "--solc", str(ROOT / "tools" / "solc.js"), "--solc-working-dir", str(ROOT),
             "--exclude-dependencies", "--filter-paths", "node_modules", "--json", str(out)],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )
        if not out.exists():
            raise SystemExit(f"slither did not run:\n{proc.stderr[-3000:]}")
        report = json.loads(out.read_text())
    if not report.get("success"):
        raise SystemExit(f"slither failed: {report.get('error')}")
    return report.get("results", {}).get("detectors", [])


def main() -> int:
    findings = run_slither()
    failing = [f for f in findings if f["impact"] in FAILING_IMPACTS]
    for f in failing:
        first = f["description"].strip().splitlines()[0]
        print(f"{f['impact']}/{f['confidence']} {f['check']}: {first}")
    print(f"slither: {len(findings)} findings, {len(failing)} high or medium")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
