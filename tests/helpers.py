"""Small helpers for chain tests: raw sends, expected reverts, time travel."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from web3 import Web3

from optio.sdk.chain import Signer
from optio.sdk.contracts import Client, Vault
from optio.sdk.errors import ContractRevert


def send(client: Client, signer: Signer, fn: str, *args: object):
    """Send ``fn(*args)`` to ``client``'s contract (simulated first, like every SDK send)."""
    return client.transact(signer, fn, *args)


def crank(vault: Client, signer: Signer) -> tuple:
    """What the keeper does between its spot post and its fill: crank the vault's side of the
    OptionBook to its epoch mark at the latest post (nothing when the mark is already usable,
    there is no live option, or spot is stale: then no mark can be had). Returns the receipts."""
    return Vault(vault.w3, vault.address).crank_mark(signer)


def serve(vault: Client, signer: Signer, max_requests: int):
    """``crank`` then ``serveQueue(max_requests)`` from ``signer``: a fill as the keeper makes it
    (post, crank, fill). Returns the serveQueue receipt."""
    crank(vault, signer)
    return vault.transact(signer, "serveQueue", max_requests)


def call(client: Client, fn: str, *args: object):
    """Read ``fn(*args)``; a revert raises the decoded ``ContractRevert``."""
    return client.call(fn, *args)


@contextmanager
def reverts(name: str, **expected_args: object) -> Iterator[pytest.ExceptionInfo]:
    """Expect a ``ContractRevert`` with custom error ``name`` (and these decoded arguments)."""
    with pytest.raises(ContractRevert) as info:
        yield info
    assert info.value.name == name, f"expected {name}, got {info.value}"
    for key, value in expected_args.items():
        assert info.value.args_by_name[key] == value, f"{key}: {info.value.args_by_name[key]} != {value}"


def http_get(url: str) -> tuple[int, bytes]:
    """(status, body) of a GET, error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def now(w3: Web3) -> int:
    """Timestamp of the latest block."""
    return w3.eth.get_block("latest")["timestamp"]


def snapshot(w3: Web3) -> str:
    """An Anvil state snapshot's id (``evm_snapshot``): ``revert_to`` returns to it."""
    return w3.provider.make_request("evm_snapshot", [])["result"]


def revert_to(w3: Web3, snap: str) -> None:
    assert w3.provider.make_request("evm_revert", [snap])["result"]


def deadline(w3: Web3, seconds: int = 3600) -> int:
    """A trade's deadline ``seconds`` after the head."""
    return now(w3) + seconds


def warp_to(w3: Web3, timestamp: int) -> None:
    """Mine a block at exactly ``timestamp``."""
    w3.provider.make_request("evm_mine", [timestamp])


def warp(w3: Web3, seconds: int) -> int:
    """Mine a block ``seconds`` after the latest; returns its timestamp."""
    target = now(w3) + seconds
    warp_to(w3, target)
    return target


def set_next_timestamp(w3: Web3, timestamp: int) -> None:
    """The next mined block (e.g. the next transaction's) gets ``timestamp``."""
    w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])


def request_id_of(vault: Client, receipt) -> int:
    """The requestId of the RedeemRequest or DepositRequest event in ``receipt`` (other logs, e.g.
    the share Transfer, are not these events and are skipped)."""
    from web3.logs import DISCARD

    events = vault.contract.events
    found = [*events.RedeemRequest().process_receipt(receipt, errors=DISCARD),
             *events.DepositRequest().process_receipt(receipt, errors=DISCARD)]
    return found[0]["args"]["requestId"]


def admin_send(protocol, client: Client, fn: str, *args: object, signer: Signer | None = None):
    """Send an admin-only ``fn(*args)`` to ``client``'s contract as the protocol's admin.

    Every admin call in the tests goes through here: ``protocol``'s timelock holds every
    contract's admin role, so this schedules the call and executes it (the tests' deployments
    have a zero delay; with a delay, ``optio.sdk.admin.NotReady`` says when it can run). ``signer``:
    the timelock's proposer and executor (default: the deployer, dev account 0)."""
    from optio.sdk import admin
    from optio.sdk.chain import LocalSigner, dev_account

    timelock = admin.timelock_of(protocol)
    return admin.schedule_and_execute(signer or LocalSigner(dev_account(0)), client, fn, *args, timelock=timelock)


def set_risk_limits(protocol, market: Client, **changes: int) -> None:
    """``OptionMarket.setRiskLimits`` (through the admin) with the named RiskLimits fields
    changed and the rest as they are; field positions come from the ABI, not from the test."""
    outputs = next(f for f in market.contract.abi if f.get("name") == "riskLimits")["outputs"]
    names = [c["name"] for c in outputs[0]["components"]]
    limits = list(call(market, "riskLimits"))
    for name, value in changes.items():
        limits[names.index(name)] = value
    admin_send(protocol, market, "setRiskLimits", tuple(limits))


def fill_claimable(vault: Client, filler: Signer, max_requests: int = 16) -> int:
    """The filler's ``serveQueue``; the assets it made claimable (0: nothing filled)."""
    before = call(vault, "claimableAssets")
    send(vault, filler, "serveQueue", max_requests)
    return call(vault, "claimableAssets") - before


def redeem_tenth(vault: Client, owner: Signer) -> None:
    """``owner`` requests the redemption of a tenth of its shares (owner and controller)."""
    shares = call(vault, "balanceOf", owner.address) // 10
    send(vault, owner, "requestRedeem", shares, owner.address, owner.address)
