"""Fixtures: one real Anvil per test worker, the protocol deployed once, and every test run
inside an EVM snapshot that is reverted afterwards (tests never see each other's state)."""

from __future__ import annotations

import os
from pathlib import Path

# Each test worker compiles the numba kernels into a cache of its own, set before anything imports
# numba: two workers filling one cache from cold at once (a clean clone in CI) is the one setting
# in which pricing results have come out wrong, in a worker, for tests that pass alone.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".numba-cache"
                                              / os.environ["PYTEST_XDIST_WORKER"]))

import pytest
from web3 import Web3

from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.deploy import DeployConfig, deploy_protocol
from optio.sdk.localchain import local_chain
from optio.sdk.protocol import Protocol
from tests.helpers import admin_send


@pytest.fixture(scope="session", autouse=True)
def deployments_dir(tmp_path_factory):
    """Manifests go to a temporary folder, never the project's deployments/."""
    path = tmp_path_factory.mktemp("deployments")
    os.environ["OPTIO_DEPLOYMENTS_DIR"] = str(path)
    return path


@pytest.fixture(scope="session")
def anvil():
    with local_chain("anvil") as chain:
        yield chain


@pytest.fixture(scope="session")
def w3(anvil) -> Web3:
    return anvil.w3


# Roles, by dev-account index.
@pytest.fixture(scope="session")
def deployer():
    return LocalSigner(dev_account(0))


@pytest.fixture(scope="session")
def alice():
    return LocalSigner(dev_account(1))


@pytest.fixture(scope="session")
def bob():
    return LocalSigner(dev_account(2))


@pytest.fixture(scope="session")
def attacker():
    return LocalSigner(dev_account(3))


@pytest.fixture(scope="session")
def market():
    """Stands in for the options market (MARKET_ROLE on both vaults)."""
    return LocalSigner(dev_account(7))


@pytest.fixture(scope="session")
def guardian():
    return LocalSigner(dev_account(8))


@pytest.fixture(scope="session")
def keeper():
    return LocalSigner(dev_account(9))


@pytest.fixture(scope="session")
def protocol(w3, deployer, keeper, guardian, market) -> Protocol:
    config = DeployConfig(keeper=keeper.address, guardian=guardian.address, timelock_delay=0)
    p = Protocol(w3, deploy_protocol(w3, deployer, config))
    for kind in ("call", "put"):
        vault = p.vault(kind)
        admin_send(p, vault, "grantRole", vault.contract.functions.MARKET_ROLE().call(), market.address)
    return p


@pytest.fixture(autouse=True)
def _snapshot(request):
    """Revert the chain after each test that used it."""
    if "w3" not in request.fixturenames:
        yield
        return
    if "protocol" in request.fixturenames:
        request.getfixturevalue("protocol")  # deployed before the snapshot, kept for every test
    w3 = request.getfixturevalue("w3")
    snap = w3.provider.make_request("evm_snapshot", [])["result"]
    yield
    assert w3.provider.make_request("evm_revert", [snap])["result"] is True


@pytest.fixture(params=["call", "put"])
def vault(request, protocol):
    """Each vault test runs on the 18-decimal (WETH) and the 6-decimal (USDC) vault."""
    return protocol.vault(request.param)


@pytest.fixture
def fund(vault):
    """fund(signer, amount): faucet the vault's asset to ``signer`` (human units)."""

    def _fund(signer, amount):
        vault.asset.faucet(signer, amount)

    return _fund
