"""A deployment of the protocol on its own Anvil per invariant-test module."""

from __future__ import annotations

import pytest

from optio.sdk.localchain import local_chain
from tests.fuzz.system import deploy_on_anvil


@pytest.fixture(scope="module")
def deployed():
    """The protocol deployed by the production script on a fresh Anvil, with two boards."""
    with local_chain("anvil") as chain:
        yield deploy_on_anvil(chain.w3)
