"""Connection, signers and the one path every transaction takes: simulate → estimate → send.

Simulating first means a transaction the chain would refuse is never sent: the custom error is
decoded and raised as ``ContractRevert`` before anything is signed. The backtest, which sends
thousands of transactions from accounts the local node holds and expects many to be refused,
takes the same path without the simulation (:func:`send_unsimulated`): send, and on a revert
replay the call to decode why.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Protocol

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError, Web3RPCError
from web3.types import RPCEndpoint, TxParams, TxReceipt

from optio.sdk.artifacts import decode_revert
from optio.sdk.errors import ContractRevert, InvalidInput, RpcUnreachable

#: Chain ids of local test chains (Anvil/Hardhat, Ganache), where mock tokens exist; dev accounts
#: exist there and on any node that lists accounts of its own (:func:`is_dev_node`).
LOCAL_CHAIN_IDS = frozenset({31337, 1337})
#: The mnemonic Anvil and Ganache (as the tests start it) derive their funded accounts from.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
GAS_HEADROOM = 1.2


def http_provider(rpc_url: str, *, timeout: float) -> HTTPProvider:
    """An HTTP provider that asks the node its chain id once. web3's validation middleware
    reads ``eth_chainId`` before every ``eth_call``, ``eth_estimateGas`` and
    ``eth_sendTransaction`` (and a signer fills ``chainId`` on every send): uncached, that was
    a second round trip for each call (1,863 of 4,557 requests in a 3-day chain backtest)."""
    return HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}, cache_allowed_requests=True,
                        cacheable_requests={RPCEndpoint("eth_chainId")})


def connect(rpc_url: str, *, timeout: float = 10.0) -> Web3:
    """Web3 connected to ``rpc_url``; ``RpcUnreachable`` if it does not answer."""
    if not re.match(r"^(https?|wss?)://", rpc_url):
        raise InvalidInput(f"RPC URL {rpc_url!r} must start with http://, https://, ws:// or wss://")
    w3 = Web3(http_provider(rpc_url, timeout=timeout))
    try:
        w3.eth.chain_id  # noqa: B018 - the first request proves the endpoint answers
    except Exception as err:
        raise RpcUnreachable(f"RPC {rpc_url} is unreachable ({type(err).__name__})") from None
    return w3


def dev_account(index: int) -> LocalAccount:
    """Funded dev account ``index`` of local chains (the standard test mnemonic)."""
    if not 0 <= index < 1000:
        raise InvalidInput(f"dev account index {index} is out of range 0..999")
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


def node_accounts(w3: Web3) -> list[str]:
    """The accounts the node holds unlocked (``eth_accounts``): a dev node's; none on a public
    RPC endpoint (an error counts as none)."""
    try:
        return [Web3.to_checksum_address(a) for a in w3.provider.make_request("eth_accounts", []).get("result") or []]
    except Exception:
        return []


def is_dev_node(w3: Web3, accounts: list[str] | None = None) -> bool:
    """The rule for dev accounts: chain 31337 or 1337, or any node that lists accounts of its own
    (Anvil, Hardhat, Ganache at any chain id, e.g. ``--chain-id 4242``); public RPC endpoints
    list none. (Mock tokens are narrower: ``MockERC20`` refuses any chain but 31337 and 1337.)"""
    return w3.eth.chain_id in LOCAL_CHAIN_IDS or bool(node_accounts(w3) if accounts is None else accounts)


def holds_dev_mnemonic(accounts: list[str]) -> bool:
    """Whether a node's accounts are the test mnemonic's (Anvil; Ganache with ``--wallet.mnemonic``)
    rather than random ones (a plain ``ganache``)."""
    return not accounts or dev_account(0).address in accounts


def dev_signer(w3: Web3, index: int) -> Signer:
    """``dev:N`` on a dev node (:func:`is_dev_node`): the test mnemonic's account N signed
    locally when the node holds the mnemonic's accounts, else the node's own N-th account, signed
    by the node (a plain ``ganache`` with random accounts). ``InvalidInput`` elsewhere."""
    accounts = node_accounts(w3)
    if not is_dev_node(w3, accounts):
        raise InvalidInput(f"dev accounts exist only on local chains, not chain {w3.eth.chain_id} (its node lists "
                           "no accounts of its own): use an ape account alias")
    if holds_dev_mnemonic(accounts):
        return LocalSigner(dev_account(index))
    if index >= len(accounts):
        raise InvalidInput(f"dev:{index}: this node has {len(accounts)} accounts of its own "
                           f"(dev:0..dev:{len(accounts) - 1})")
    return NodeSigner(accounts[index])


class Signer(Protocol):
    """Anything that can send a prepared transaction from ``address``."""

    address: str

    def send(self, w3: Web3, tx: TxParams) -> bytes:
        """Send ``tx`` (to, data, value, gas set) and return its hash."""
        ...


@dataclass
class LocalSigner:
    """Signs with a local private key (eth-account) and fills nonce and fees from the node."""

    account: LocalAccount

    @property
    def address(self) -> str:
        return self.account.address

    def send(self, w3: Web3, tx: TxParams) -> bytes:
        tx = dict(tx)
        tx["chainId"] = w3.eth.chain_id
        tx["nonce"] = w3.eth.get_transaction_count(self.address, "pending")
        tx.update(fee_fields(w3))
        signed = self.account.sign_transaction(tx)
        return w3.eth.send_raw_transaction(signed.raw_transaction)


@dataclass
class NodeSigner:
    """An account the node holds unlocked and signs for (``eth_sendTransaction``): a dev node's
    own accounts when they are not the test mnemonic's (a plain ``ganache``)."""

    address: str

    def send(self, w3: Web3, tx: TxParams) -> bytes:
        return w3.eth.send_transaction({**tx, "from": self.address, **fee_fields(w3)})


def fee_fields(w3: Web3) -> dict[str, int]:
    """EIP-1559 fees (2× base fee + tip) where the chain has a base fee, else a legacy price."""
    block = w3.eth.get_block("latest")
    base_fee = block.get("baseFeePerGas")
    if base_fee is None:
        return {"gasPrice": w3.eth.gas_price}
    tip = min(w3.eth.max_priority_fee, 2 * 10**9) if base_fee else 10**9
    return {"maxFeePerGas": 2 * base_fee + tip, "maxPriorityFeePerGas": tip}


def revert_of(err: Exception, action: str) -> ContractRevert:
    """Turn a web3 revert exception into a decoded ``ContractRevert``."""
    data = getattr(err, "data", None)
    if isinstance(data, dict):  # some nodes nest it
        data = data.get("data")
    if isinstance(err, ContractLogicError) and not data and err.message:
        return ContractRevert("Error", {"message": err.message}, action=action)
    name, args = decode_revert(data if isinstance(data, str | bytes) else None)
    return ContractRevert(name, args, action=action)


def simulate(w3: Web3, tx: TxParams, action: str) -> bytes:
    """eth_call ``tx``; raises ``ContractRevert`` with the decoded error if it would revert."""
    try:
        return w3.eth.call(tx)
    except (ContractCustomError, ContractPanicError, ContractLogicError) as err:
        raise revert_of(err, action) from None


def send_unsimulated(w3: Web3, sender: str, to: str, data: str, *, gas: int, action: str) -> TxReceipt:
    """Send from ``sender``, an account the node holds unlocked (a local chain's dev account),
    with a fixed ``gas``, and wait for the receipt polling every millisecond (a local node answers
    before it seals the block). A revert, refused or mined, raises ``ContractRevert`` with the
    custom error decoded (``mined=True`` when it was mined)."""
    tx = {"from": sender, "to": to, "data": data, "gas": hex(gas)}
    reply = w3.provider.make_request("eth_sendTransaction", [tx])
    if "error" in reply:
        raise _rpc_revert(reply["error"], action, mined=False)
    receipt = _poll_receipt(w3, reply["result"])
    if receipt["status"] != 1:
        replay = w3.provider.make_request("eth_call", [tx, "latest"])
        raise _rpc_revert(replay.get("error", {}), action, mined=True)
    return receipt


def _rpc_revert(error: dict, action: str, *, mined: bool) -> ContractRevert:
    """The custom error of a JSON-RPC error (its data), or the node's message as ``Error``."""
    data = error.get("data")
    name, args = decode_revert(data if isinstance(data, str) else None)
    if name == "UnknownRevert":
        return ContractRevert("Error", {"message": str(error.get("message", "UnknownRevert"))[:80]}, action=action,
                              mined=mined)
    return ContractRevert(name, args, action=action, mined=mined)


def _poll_receipt(w3: Web3, tx_hash: str, timeout_s: float = 30.0) -> TxReceipt:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if w3.provider.make_request("eth_getTransactionReceipt", [tx_hash]).get("result"):
            return w3.eth.get_transaction_receipt(tx_hash)
        time.sleep(0.001)
    raise TimeoutError(f"transaction {tx_hash} was not mined within {timeout_s:.0f} s")


def transact(w3: Web3, signer: Signer, to: str | None, data: str, *, action: str, value: int = 0,
             min_gas: int = 0, extra_gas: int = 0) -> TxReceipt:
    """Simulate, estimate, send and wait: the only way the SDK writes to the chain. The gas limit
    is the estimate with headroom plus ``extra_gas``, at least ``min_gas`` (a call whose cost
    grows with the block it lands in, where the estimate at the head falls short).

    Raises ``ContractRevert`` (nothing sent) if simulation fails, or with ``mined=True`` if the
    mined transaction reverted anyway (state changed in between).
    """
    tx: TxParams = {"from": signer.address, "data": data, "value": value}
    if to is not None:  # None: contract creation
        tx["to"] = to
    simulate(w3, tx, action)
    try:
        tx["gas"] = max(int(w3.eth.estimate_gas(tx) * GAS_HEADROOM) + extra_gas, min_gas)
    except (ContractCustomError, ContractPanicError, ContractLogicError) as err:
        raise revert_of(err, action) from None
    try:
        tx_hash = signer.send(w3, tx)
    except Web3RPCError as err:
        raise RpcUnreachable(f"{action}: the node refused the transaction: {err}") from None
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
    if receipt["status"] != 1:
        raise ContractRevert("TransactionReverted", {"tx": receipt["transactionHash"].hex()}, action=action, mined=True)
    return receipt
