"""The math libraries on a real Anvil: a fixed hard grid (the domain's edges, deep ITM/OTM,
minutes to expiry, extreme vols) priced in one eth_call and checked against the engine, and the
domain errors decoded by the SDK as users see them."""

from __future__ import annotations

import numpy as np
import pytest

from optio.sdk.contracts import Client
from optio.sdk.deploy import deploy_contract
from optio.sdk.errors import ContractRevert
from testkit.math_harness import WAD, hard_grid, price_errors


@pytest.fixture(scope="module")
def math_harness(w3, deployer) -> Client:
    return Client(w3, deploy_contract(w3, deployer, "MathHarness"), artifact_name="MathHarness")


def test_hard_grid_on_anvil_matches_the_engine(math_harness):
    grid = hard_grid()
    tau = list(map(int, grid.tau))
    out = []
    for lo in range(0, len(tau), 500):
        sl = slice(lo, lo + 500)
        out += math_harness.call("priceBatch", grid.spot[sl], grid.strike[sl], tau[sl], grid.vol[sl])
    assert len(out) == len(tau) == 2106
    errs = price_errors(np.array(out, dtype=object), grid)
    for name, err in errs.items():
        assert err.max() <= 1e-12, f"{name}: max error {err.max():.2e} (× spot)"


def test_expiry_on_anvil_is_intrinsic(math_harness):
    assert math_harness.call("price", 3000 * WAD, 3100 * WAD, 0, WAD) == [0, 100 * WAD, 0, 0]


def test_domain_error_reaches_the_sdk_decoded(math_harness):
    with pytest.raises(ContractRevert) as info:
        math_harness.call("price", 3000 * WAD, 3000 * WAD, 59, WAD)
    assert "ExpiryOutOfDomain" in str(info.value) and "59" in str(info.value)
