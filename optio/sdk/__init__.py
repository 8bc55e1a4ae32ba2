"""The SDK: deployments, typed contract reads and calls in named units, errors, local chains.

Layer: imports :mod:`optio.pricing` only; every service (keepers, risk, sim, cli) reaches the chain
through it.
"""


from optio.sdk.chain import LocalSigner, Signer, connect, dev_account
from optio.sdk.contracts import SpotOracle, SviParams, Token, Vault, VolOracle
from optio.sdk.deploy import DeployConfig, deploy_protocol
from optio.sdk.deployment import Deployment, load_deployment
from optio.sdk.errors import (
    BuildMissing,
    ContractRevert,
    InsufficientBalance,
    InvalidInput,
    NoDeployment,
    OptioError,
    RpcUnreachable,
)
from optio.sdk.protocol import Protocol

__all__ = [
    "BuildMissing",
    "ContractRevert",
    "DeployConfig",
    "Deployment",
    "InsufficientBalance",
    "InvalidInput",
    "LocalSigner",
    "NoDeployment",
    "OptioError",
    "Protocol",
    "RpcUnreachable",
    "Signer",
    "SpotOracle",
    "SviParams",
    "Token",
    "Vault",
    "VolOracle",
    "connect",
    "deploy_protocol",
    "dev_account",
    "load_deployment",
]
