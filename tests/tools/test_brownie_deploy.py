"""Brownie's deploy script (brownie/scripts/deploy.py) deploys with the SDK's defaults: its
CONFIG (it cannot import the SDK in Brownie's virtualenv) must equal DeployConfig's."""

from __future__ import annotations

import ast
from pathlib import Path

from optio.sdk.deploy import DeployConfig

SCRIPT = Path(__file__).resolve().parents[2] / "brownie" / "scripts" / "deploy.py"
WAD = 10**18


def _brownie_config() -> dict[str, int]:
    tree = ast.parse(SCRIPT.read_text())
    node = next(n for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "CONFIG")
    # The script's own constant expressions (WAD // 50, 2**96 - 1…), evaluated with its names only.
    return eval(compile(ast.Expression(node.value), str(SCRIPT), "eval"),
                {"__builtins__": {}, "WAD": WAD, "MAX_UINT96": 2**96 - 1})


def test_brownie_deploys_with_the_sdk_defaults():
    config = _brownie_config()
    defaults = DeployConfig()
    assert config, "CONFIG not found in the Brownie script"
    for name, value in config.items():
        assert getattr(defaults, name) == value, f"{name}: Brownie {value} ≠ DeployConfig {getattr(defaults, name)}"
