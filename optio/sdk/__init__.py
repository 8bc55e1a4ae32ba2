"""The SDK: deployments, typed contract reads and calls in named units, errors, local chains.

Layer: imports :mod:`optio.pricing` only; every service (keepers, risk, sim, cli) reaches the chain
through it.

The names below load on first use (PEP 562): importing ``optio.sdk.errors`` alone, as the
``optio`` command does before it knows it needs a chain, imports neither web3 nor the pricing
kernels.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "LocalSigner": "chain", "Signer": "chain", "connect": "chain", "dev_account": "chain",
    "SpotOracle": "contracts", "SviParams": "contracts", "Token": "contracts", "Vault": "contracts",
    "VolOracle": "contracts",
    "DeployConfig": "deploy", "deploy_protocol": "deploy",
    "Deployment": "deployment", "load_deployment": "deployment",
    "BuildMissing": "errors", "ContractRevert": "errors", "InsufficientBalance": "errors", "InvalidInput": "errors",
    "NoDeployment": "errors", "OptioError": "errors", "RpcUnreachable": "errors",
    "Protocol": "protocol",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"optio.sdk.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'optio.sdk' has no attribute {name!r}")
