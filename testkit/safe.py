"""A real Safe (``@safe-global/safe-contracts`` 1.4.1 from npm) on a local chain: deploy the
singleton and the proxy factory from the package's shipped build artifacts, create a k-of-n Safe,
and hash, sign and execute Safe transactions the way the Safe web app and safe-cli do.

    safe = deploy_safe(w3, deployer, owners=[a.address, b.address, c.address], threshold=2)
    safe.exec(deployer, [a, b], to=timelock.address, data=calldata)   # 2 owners sign, anyone sends

The contracts are not compiled here (ape-config.yaml does not know them): their bytecode and ABI
come from ``node_modules/@safe-global/safe-contracts/build/artifacts``, as npm installed them.
Signatures are EIP-712 over the SafeTx struct (``safe_tx_typed_data``), 65 bytes each (r, s, v
with v 27/28), concatenated in ascending order of the signer's address, as ``checkNSignatures``
requires.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from web3 import Web3
from web3.logs import DISCARD

from optio.sdk.chain import Signer, transact

PACKAGE = Path(__file__).resolve().parents[1] / "node_modules" / "@safe-global" / "safe-contracts"
ARTIFACTS = PACKAGE / "build" / "artifacts" / "contracts"
ZERO = "0x" + "00" * 20

#: The SafeTx struct of Safe 1.3+/1.4 (EIP-712; the domain has chainId and verifyingContract only).
SAFE_TX_TYPES = {
    "EIP712Domain": [{"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
    "SafeTx": [
        {"name": "to", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "data", "type": "bytes"},
        {"name": "operation", "type": "uint8"},
        {"name": "safeTxGas", "type": "uint256"},
        {"name": "baseGas", "type": "uint256"},
        {"name": "gasPrice", "type": "uint256"},
        {"name": "gasToken", "type": "address"},
        {"name": "refundReceiver", "type": "address"},
        {"name": "nonce", "type": "uint256"},
    ],
}


@cache
def safe_artifact(name: str) -> dict:
    """``{"abi", "bytecode"}`` of a contract of the npm package: ``Safe``, ``SafeL2``,
    ``SafeProxyFactory`` or ``CompatibilityFallbackHandler``."""
    where = {"SafeProxyFactory": "proxies/SafeProxyFactory.sol", "CompatibilityFallbackHandler":
             "handler/CompatibilityFallbackHandler.sol"}.get(name, f"{name}.sol")
    path = ARTIFACTS / where / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"{path}: run `make install` (npm ci installs @safe-global/safe-contracts)")
    data = json.loads(path.read_text())
    return {"abi": data["abi"], "bytecode": data["bytecode"]}


def deploy_artifact(w3: Web3, signer: Signer, name: str) -> str:
    """Deploy the package's ``name`` (no constructor arguments); its address."""
    receipt = transact(w3, signer, None, safe_artifact(name)["bytecode"], action=f"deploy {name}")
    return receipt["contractAddress"]


@dataclass(frozen=True)
class SafeTx:
    """The fields a Safe transaction is signed and executed with (a plain call, no refund)."""

    to: str
    data: str
    nonce: int
    value: int = 0
    operation: int = 0  # 0 call, 1 delegatecall

    def message(self) -> dict:
        return {"to": Web3.to_checksum_address(self.to), "value": self.value, "data": bytes.fromhex(self.data[2:]),
                "operation": self.operation, "safeTxGas": 0, "baseGas": 0, "gasPrice": 0, "gasToken": ZERO,
                "refundReceiver": ZERO, "nonce": self.nonce}


def safe_tx_typed_data(chain_id: int, safe: str, tx: SafeTx) -> dict:
    """The EIP-712 typed data an owner signs (what a hardware wallet shows)."""
    return {"types": SAFE_TX_TYPES, "primaryType": "SafeTx",
            "domain": {"chainId": chain_id, "verifyingContract": Web3.to_checksum_address(safe)},
            "message": tx.message()}


def safe_tx_hash(chain_id: int, safe: str, tx: SafeTx) -> bytes:
    """The Safe transaction hash (``Safe.getTransactionHash``), computed off chain."""
    signable = encode_typed_data(full_message=safe_tx_typed_data(chain_id, safe, tx))
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign_safe_tx(chain_id: int, safe: str, tx: SafeTx, owner_keys: list) -> bytes:
    """The ``signatures`` argument of ``execTransaction``: each owner's EIP-712 signature (r, s,
    v), in ascending order of the owner's address. ``owner_keys``: private keys or
    ``LocalAccount``s."""
    signable = encode_typed_data(full_message=safe_tx_typed_data(chain_id, safe, tx))
    accounts = sorted((Account.from_key(getattr(k, "key", k)) for k in owner_keys), key=lambda a: int(a.address, 16))
    return b"".join(a.sign_message(signable).signature for a in accounts)


class Safe:
    """A deployed Safe proxy."""

    def __init__(self, w3: Web3, address: str, *, singleton: str = "Safe"):
        self.w3 = w3
        self.address = Web3.to_checksum_address(address)
        self.contract = w3.eth.contract(address=self.address, abi=safe_artifact(singleton)["abi"])

    @property
    def nonce(self) -> int:
        return self.contract.functions.nonce().call()

    def tx(self, to: str, data: str, *, value: int = 0) -> SafeTx:
        """A call from the Safe at its current nonce."""
        return SafeTx(Web3.to_checksum_address(to), data, self.nonce, value)

    def exec(self, sender: Signer, owner_keys: list, *, to: str, data: str, value: int = 0):
        """Sign ``to.call{value}(data)`` by ``owner_keys`` and send ``execTransaction`` from
        ``sender`` (any account: it only pays the gas). Reverts as the Safe does (``GS0xx``)."""
        tx = self.tx(to, data, value=value)
        signatures = sign_safe_tx(self.w3.eth.chain_id, self.address, tx, owner_keys)
        m = tx.message()
        call = self.contract.encode_abi("execTransaction", args=[
            m["to"], m["value"], m["data"], m["operation"], m["safeTxGas"], m["baseGas"], m["gasPrice"],
            m["gasToken"], m["refundReceiver"], signatures])
        return transact(self.w3, sender, self.address, call, action=f"Safe {self.address} execTransaction")


def deploy_safe(w3: Web3, deployer: Signer, owners: list[str], threshold: int, *, singleton: str = "Safe",
                fallback_handler: bool = True, salt_nonce: int = 0) -> Safe:
    """Deploy the singleton, the proxy factory (and the fallback handler), then create a Safe
    proxy with ``owners`` and ``threshold`` through ``createProxyWithNonce(singleton, setup(…))``,
    as the Safe web app does."""
    singleton_at = deploy_artifact(w3, deployer, singleton)
    factory_at = deploy_artifact(w3, deployer, "SafeProxyFactory")
    handler = deploy_artifact(w3, deployer, "CompatibilityFallbackHandler") if fallback_handler else ZERO
    setup = w3.eth.contract(abi=safe_artifact(singleton)["abi"]).encode_abi("setup", args=[
        [Web3.to_checksum_address(o) for o in owners], threshold, ZERO, b"", handler, ZERO, 0, ZERO])
    factory = w3.eth.contract(address=factory_at, abi=safe_artifact("SafeProxyFactory")["abi"])
    create = factory.encode_abi("createProxyWithNonce", args=[singleton_at, setup, salt_nonce])
    receipt = transact(w3, deployer, factory_at, create, action="create Safe proxy")
    (event,) = factory.events.ProxyCreation().process_receipt(receipt, errors=DISCARD)
    return Safe(w3, event["args"]["proxy"], singleton=singleton)
