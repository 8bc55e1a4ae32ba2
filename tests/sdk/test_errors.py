"""The SDK's named errors: unreachable RPC, missing or stale deployment, decoded reverts."""

from __future__ import annotations

import pytest

from optio.sdk.artifacts import decode_revert
from optio.sdk.chain import connect
from optio.sdk.deployment import Deployment, load_deployment, save_deployment
from optio.sdk.errors import InvalidInput, NoDeployment, RpcUnreachable
from optio.sdk.localchain import free_port
from optio.sdk.protocol import Protocol


def test_unreachable_rpc():
    with pytest.raises(RpcUnreachable, match="unreachable"):
        connect(f"http://127.0.0.1:{free_port()}", timeout=2)


def test_bad_rpc_url():
    with pytest.raises(InvalidInput, match="must start with"):
        connect("localhost:8545")


def test_missing_deployment(w3, tmp_path):
    with pytest.raises(NoDeployment, match="no Optio deployment for chain 31337"):
        load_deployment(w3, tmp_path / "31337.json")


def test_stale_deployment_is_caught(w3, protocol, tmp_path):
    data = protocol.deployment.model_dump()
    data["contracts"]["PutVault"]["address"] = "0x" + "12" * 20  # no code there
    path = save_deployment(Deployment.model_validate(data), tmp_path / "31337.json")
    with pytest.raises(NoDeployment, match="stale: no code at PutVault"):
        load_deployment(w3, path)


def test_deployment_for_other_chain(w3, protocol, tmp_path):
    data = protocol.deployment.model_dump() | {"chain_id": 5}
    path = save_deployment(Deployment.model_validate(data), tmp_path / "31337.json")
    with pytest.raises(NoDeployment, match="is for chain 5"):
        load_deployment(w3, path)


def test_manifest_records_build(protocol):
    assert protocol.deployment.stale_artifacts() == []
    assert set(protocol.deployment.contracts) == {
        "WETH",
        "USDC",
        "SpotOracle",
        "VolOracle",
        "CallVault",
        "PutVault",
        "OptionPricer",
        "OptionToken",
        "OptionMarket",
        "OptionBook",  # created by the market: the vaults' mark
        "MarginAccount",
        "Timelock",  # holds every contract's admin role (finding 10)
        "MarketRegistry",  # names the deployment's markets (one here)
    }
    assert protocol.deployment.market_names() == ["WETH/USDC"]


def test_unknown_vault(protocol):
    with pytest.raises(InvalidInput, match="unknown vault 'straddle'"):
        Protocol.vault(protocol, "straddle")


def test_decode_revert_names_custom_errors():
    data = "0x" + "b1ccfda3"  # not a project error
    assert decode_revert(data)[0] == "UnknownRevert"
    assert decode_revert(None) == ("UnknownRevert", {})


def test_replace_names_only_protocol_contracts(w3, deployer):
    """A misspelt replacement is refused before anything is sent."""
    from optio.sdk.deploy import deploy_protocol

    block = w3.eth.block_number
    with pytest.raises(InvalidInput, match=r"replace: unknown contract.*SpotOracel"):
        deploy_protocol(w3, deployer, save=False, replace={"SpotOracel": "NaiveSettlementOracle"})
    assert w3.eth.block_number == block


def test_replaced_contract_is_recorded_with_its_artifact(w3, deployer):
    from optio.sdk.deploy import deploy_protocol

    deployment = deploy_protocol(w3, deployer, save=False, replace={"OptionPricer": "NaiveExpiryPricer"})
    assert deployment.contracts["OptionPricer"].artifact == "NaiveExpiryPricer"
    assert deployment.contracts["SpotOracle"].artifact == "SpotOracle"
