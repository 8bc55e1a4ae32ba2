"""Optio SDK: deployments, typed contract calls and units, shared by scripts, keepers and tests.

Layering: ``optio`` may import ``pricing``; never ``keepers`` or ``scripts``.
"""

from optio.chain import LocalSigner, Signer, connect, dev_account
from optio.contracts import Protocol, SpotOracle, SviParams, Token, Vault, VolOracle
from optio.deploy import DeployConfig, deploy_protocol
from optio.deployment import Deployment, load_deployment
from optio.errors import (
    BuildMissing,
    ContractRevert,
    InsufficientBalance,
    InvalidInput,
    NoDeployment,
    OptioError,
    RpcUnreachable,
)

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
