"""The deployment manifest ``deployments/<chain-id>.json``: written by deploy, read by everything.

It records where each contract lives, the block it was deployed in, and the hash of the build
it came from, so a stale manifest (a restarted local chain, a rebuilt contract) is caught on
load instead of sending transactions to an empty address.

A deployment holds one or more markets, one per underlying ("WETH/USDC", "WBTC/USDC"), each
with its own oracles, vaults, book, market and margin account; they share the quote token, the
timelock and the MarketRegistry. ``contracts`` at the top level are the first market's plus the
shared ones (so a one-market reader needs nothing else); ``markets`` lists every market's own,
and :meth:`Deployment.for_market` gives one market's view in the same shape.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel
from web3 import Web3

from optio.sdk.artifacts import PROJECT_ROOT, load_artifacts
from optio.sdk.chain import LOCAL_CHAIN_IDS
from optio.sdk.errors import NoDeployment


class ContractRecord(BaseModel):
    address: str
    artifact: str
    bytecode_hash: str


#: Contracts every market of a deployment shares.
SHARED_KEYS = ("USDC", "Timelock", "MarketRegistry")


class MarketRecord(BaseModel):
    """One market's own contracts (its base token under its symbol) and parameters."""

    contracts: dict[str, ContractRecord]
    params: dict[str, int | str] = {}


class Deployment(BaseModel):
    chain_id: int
    deployer: str
    deploy_block: int
    contracts: dict[str, ContractRecord]
    params: dict[str, int | str] = {}
    markets: dict[str, MarketRecord] = {}
    #: The market this view is of (``for_market``); None: the manifest as written.
    market: str | None = None

    def address(self, key: str) -> str:
        if key not in self.contracts:
            raise NoDeployment(f"deployment for chain {self.chain_id} has no {key!r} contract")
        return self.contracts[key].address

    def market_names(self) -> list[str]:
        """The markets, first the default one (a manifest from before markets: none)."""
        return list(self.markets)

    def for_market(self, name: str | None) -> Deployment:
        """The view of market ``name`` (None: the first): the shared contracts and that market's,
        under the keys a one-market deployment has. ``NoDeployment`` (one line) for an unknown
        name. A manifest from before markets has one market, itself."""
        if not self.markets:
            if name is not None:
                raise NoDeployment(f"deployment for chain {self.chain_id} lists no markets (asked for {name!r})")
            return self
        chosen = name if name is not None else next(iter(self.markets))
        if chosen not in self.markets:
            raise NoDeployment(f"no market {chosen!r} in the deployment for chain {self.chain_id}: "
                               f"choose one of {', '.join(self.markets)}")
        record = self.markets[chosen]
        shared = {key: rec for key, rec in self.contracts.items() if key in SHARED_KEYS}
        return self.model_copy(update={
            "contracts": shared | record.contracts,
            "params": self.params | record.params,
            "market": chosen,
        })

    def all_contracts(self) -> dict[str, ContractRecord]:
        """Every contract of every market, keyed ``market:key`` for all but the top level's."""
        found = dict(self.contracts)
        seen = {rec.address for rec in found.values()}
        for name, record in self.markets.items():
            found |= {f"{name}:{key}": rec for key, rec in record.contracts.items() if rec.address not in seen}
        return found

    def stale_artifacts(self) -> list[str]:
        """Contracts whose compiled bytecode differs from the one deployed (rebuilt since)."""
        artifacts = load_artifacts()
        return [
            key
            for key, rec in self.all_contracts().items()
            if rec.artifact in artifacts and artifacts[rec.artifact].bytecode_hash != rec.bytecode_hash
        ]


def deployments_dir() -> Path:
    """Folder of manifests (``OPTIO_DEPLOYMENTS_DIR`` overrides ``<project>/deployments``)."""
    return Path(os.environ.get("OPTIO_DEPLOYMENTS_DIR", PROJECT_ROOT / "deployments"))


def manifest_path(chain_id: int, directory: Path | None = None) -> Path:
    return (directory or deployments_dir()) / f"{chain_id}.json"


def save_deployment(deployment: Deployment, path: Path | None = None) -> Path:
    target = path or manifest_path(deployment.chain_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(deployment.model_dump(), indent=2) + "\n")
    return target


def load_deployment(w3: Web3, path: Path | None = None) -> Deployment:
    """The manifest for ``w3``'s chain, checked against the chain.

    Raises ``NoDeployment`` if the file is missing, is for another chain, or names an address
    without code (typically a local chain restarted since the deploy).
    """
    chain_id = w3.eth.chain_id
    target = path or manifest_path(chain_id)
    if not target.exists():
        raise NoDeployment(f"no Optio deployment for chain {chain_id} ({target} missing): deploy first")
    deployment = Deployment.model_validate_json(target.read_text())
    if deployment.chain_id != chain_id:
        raise NoDeployment(f"{target} is for chain {deployment.chain_id}, but the RPC is chain {chain_id}")
    for key, rec in deployment.all_contracts().items():
        if len(w3.eth.get_code(Web3.to_checksum_address(rec.address))) == 0:
            advice = ("was the local chain restarted? `optio deploy` again" if chain_id in LOCAL_CHAIN_IDS else
                      "is the RPC the chain of that deployment? (the manifest is kept; do not deploy over it)")
            raise NoDeployment(f"{target} is stale: no code at {key} {rec.address} ({advice})")
    return deployment
