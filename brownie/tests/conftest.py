"""Brownie fixtures: the protocol deployed as deploy_protocol deploys it (brownie/scripts/deploy.py)."""

import importlib.util
from pathlib import Path

import pytest

# Loaded by path: the project's own `scripts` package (ape scripts) shadows Brownie's folder.
_spec = importlib.util.spec_from_file_location("optio_deploy", Path(__file__).parents[1] / "scripts" / "deploy.py")
_deploy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_deploy)


@pytest.fixture(scope="module")
def optio(accounts):
    return _deploy.deploy(accounts[0])


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass
