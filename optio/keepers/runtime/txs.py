"""Transactions of one keeper key: simulate, send, bump, confirm, and remember across restarts.

Every send goes through :meth:`TxManager.submit` under an idempotency key (``"liquidate:0xab…:id"``):
a key with a transaction in flight is never sent again. In-flight transactions (their signed
bytes too) are written to the state file *before* they are broadcast, so a restart resumes them
— rebroadcasts the same bytes, bumps them, or finds their receipts — instead of sending anew.
Replacements keep the nonce and raise both EIP-1559 fees by ``bump_percent`` up to the cap.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    ContractPanicError,
    TransactionNotFound,
    Web3RPCError,
)

from optio.keepers.runtime.config import FeeConfig
from optio.keepers.runtime.metrics import Metrics
from optio.keepers.runtime.rpc import batch
from optio.sdk.chain import GAS_HEADROOM, revert_of
from optio.sdk.errors import ContractRevert

log = logging.getLogger("optio.keepers.txs")
GWEI = 10**9

Status = Literal["mined", "reverted", "refused", "pending", "replaced", "dry-run", "in-flight"]


@dataclass
class InFlight:
    """A sent, not yet confirmed transaction: its nonce, fees, every hash it was sent under."""

    key: str
    action: str
    nonce: int
    tx: dict
    raw: str
    hashes: list[str] = field(default_factory=list)
    first_sent: float = 0.0
    last_sent: float = 0.0


class Send(NamedTuple):
    """One call to send: under ``key``, to ``to`` with ``data``, at most ``gas``."""

    key: str
    to: str
    data: str
    action: str
    gas: int
    value: int = 0


@dataclass
class Outcome:
    key: str
    status: Status
    tx_hash: str | None = None
    detail: str = ""
    block: int | None = None
    gas_used: int | None = None


class TxManager:
    """Sends for one account on one chain. ``clock`` is injectable so tests can age transactions."""

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        state_path: Path,
        fees: FeeConfig,
        *,
        confirmations: int = 1,
        metrics: Metrics | None = None,
        dry_run: bool = False,
        clock=time.time,
    ):
        self.w3 = w3
        self.account = account
        self.state_path = Path(state_path)
        self.fees = fees
        self.confirmations = confirmations
        self.metrics = metrics
        self.dry_run = dry_run
        self.clock = clock
        self.chain_id = w3.eth.chain_id
        self._in_flight: dict[str, InFlight] = {}
        self._fees_cache: tuple[float, tuple[int, int]] | None = None
        #: The latest finished transactions (mined, reverted, replaced), newest last.
        self.finished: deque[Outcome] = deque(maxlen=1000)
        #: Every final outcome, in order: refused, dry-run, mined, reverted, replaced (a ``--once``
        #: run reads those of its cycle).
        self.outcomes: list[Outcome] = []
        self._chain_nonce: int | None = None
        self._load()

    # --- public -----------------------------------------------------------------------------

    @property
    def address(self) -> str:
        return self.account.address

    def in_flight(self) -> list[InFlight]:
        return sorted(self._in_flight.values(), key=lambda f: f.nonce)

    def has(self, key: str) -> bool:
        return key in self._in_flight

    def submit(self, key: str, to: str, data: str, *, action: str, value: int = 0, gas: int | None = None,
               min_gas: int = 0, extra_gas: int = 0) -> Outcome:
        """Simulate, then sign and send ``data`` to ``to`` under ``key`` (never twice while in
        flight). A simulated revert sends nothing and comes back as ``refused`` with its error.
        A caller that has just simulated and estimated the same call passes its ``gas``; else
        the estimate with headroom plus ``extra_gas``, at least ``min_gas`` (a call that can cost
        more in the block it lands in)."""
        if key in self._in_flight:
            return Outcome(key, "in-flight", self._in_flight[key].hashes[-1])
        if gas is None:
            call = {"from": self.address, "to": to, "data": data, "value": value}
            try:
                self.w3.eth.call(call)
                gas = max(int(self.w3.eth.estimate_gas(call) * GAS_HEADROOM) + extra_gas, min_gas)
            except (ContractCustomError, ContractPanicError, ContractLogicError) as err:
                return self._count(Outcome(key, "refused", detail=revert_of(err, action).name))
            except ContractRevert as revert:
                return self._count(Outcome(key, "refused", detail=revert.name))
        return self.submit_batch([Send(key, to, data, action, gas, value)])[0]

    def submit_batch(self, sends: list[Send]) -> list[Outcome]:
        """Send calls already simulated and estimated at consecutive nonces: signed, saved once,
        then broadcast together (they can share a block). Keys in flight are skipped."""
        outcomes, flights = [], []
        tip, max_fee = self._market_fees()
        for send in sends:
            if send.key in self._in_flight:
                outcomes.append(Outcome(send.key, "in-flight", self._in_flight[send.key].hashes[-1]))
                continue
            if self.dry_run:
                log.info("dry run: would send", extra={"key": send.key, "action": send.action, "to": send.to,
                                                       "gas": send.gas})
                outcomes.append(self._count(Outcome(send.key, "dry-run")))
                continue
            tx = {"chainId": self.chain_id, "to": send.to, "data": send.data, "value": send.value, "gas": send.gas,
                  "nonce": self._next_nonce(), "maxPriorityFeePerGas": tip, "maxFeePerGas": max_fee, "type": 2}
            flight = InFlight(send.key, send.action, tx["nonce"], tx, "", first_sent=self.clock())
            self._sign(flight)
            flights.append(flight)
            outcomes.append(Outcome(send.key, "pending", flight.hashes[-1]))
        if flights:
            self._save()  # before any broadcast: a crash after it must not lose a transaction
            answers = batch(self.w3, [("eth_sendRawTransaction", [f.raw]) for f in flights])
            for flight, answer in zip(flights, answers, strict=True):
                if "error" in answer:
                    self._broadcast(flight)  # one by one, where each refusal is handled
            log.info("sent", extra={"keys": [f.key for f in flights], "first_nonce": flights[0].nonce,
                                    "max_fee": max_fee})
        return outcomes

    def poll(self) -> list[Outcome]:
        """Settle what can be settled: confirmed receipts (mined or reverted), nonces used by
        another transaction (replaced), and bump or rebroadcast what waited too long."""
        done = []
        self._chain_nonce = None  # another sender of this key may have moved it
        head = self.w3.eth.block_number
        chain_nonce = None
        for flight in self.in_flight():
            receipt = self._receipt(flight)
            if receipt is not None:
                if self._confirmed(receipt, head):
                    done.append(self._finish(flight, self._outcome(flight, receipt)))
                continue
            if chain_nonce is None:
                chain_nonce = self.w3.eth.get_transaction_count(self.address, "latest")
            if chain_nonce > flight.nonce:
                # The nonce was used. By ours, if its block came between the receipt read and the
                # nonce read (CI: a mined serveQueue was reported replaced): read the receipt again,
                # after the nonce. Only then is it another transaction of this key.
                receipt = self._receipt(flight)
                if receipt is None:
                    done.append(self._finish(flight, Outcome(flight.key, "replaced",
                                                             detail=f"nonce {flight.nonce} used")))
                elif self._confirmed(receipt, head):
                    done.append(self._finish(flight, self._outcome(flight, receipt)))
                continue
            if self.clock() - flight.last_sent >= self.fees.bump_after_s:
                self._bump(flight)
        return done

    def resume(self) -> None:
        """After a restart: rebroadcast each persisted transaction (the same bytes: no new
        nonce, no second action); a node that already has or mined it says so, harmlessly."""
        for flight in self.in_flight():
            log.info("resuming in-flight transaction",
                     extra={"key": flight.key, "nonce": flight.nonce, "tx_hash": flight.hashes[-1]})
            self._broadcast(flight)

    def wait(self, timeout: float, interval: float = 0.2) -> list[Outcome]:
        """Poll until nothing is in flight or ``timeout`` seconds passed."""
        out: list[Outcome] = []
        deadline = time.monotonic() + timeout
        while self._in_flight and time.monotonic() < deadline:
            out += self.poll()
            if self._in_flight:
                time.sleep(interval)
        return out

    # --- sending ----------------------------------------------------------------------------

    def _market_fees(self) -> tuple[int, int]:
        """(tip, max fee) from the latest block; cached for a second (a burst of sends)."""
        now = time.monotonic()
        if self._fees_cache is not None and now - self._fees_cache[0] < 1.0:
            return self._fees_cache[1]
        base = self.w3.eth.get_block("latest").get("baseFeePerGas") or 0
        try:
            tip = self.w3.eth.max_priority_fee
        except Web3RPCError:
            tip = GWEI
        tip = min(tip, int(self.fees.max_tip_gwei * GWEI))
        cap = int(self.fees.max_fee_gwei * GWEI)
        fees = (min(tip, cap), min(2 * base + tip, cap))
        self._fees_cache = (now, fees)
        return fees

    def _next_nonce(self) -> int:
        """The chain's pending count (read once per `poll`), or past our own in-flight ones."""
        if self._chain_nonce is None:
            self._chain_nonce = self.w3.eth.get_transaction_count(self.address, "pending")
        mine = max((f.nonce + 1 for f in self._in_flight.values()), default=0)
        return max(self._chain_nonce, mine)

    def _sign(self, flight: InFlight) -> None:
        """Sign ``flight.tx`` (a first send or a replacement) and track it under its key."""
        signed = self.account.sign_transaction(flight.tx)
        flight.raw = signed.raw_transaction.to_0x_hex()
        flight.hashes.append(signed.hash.to_0x_hex())
        flight.last_sent = self.clock()
        self._in_flight[flight.key] = flight

    def _sign_and_send(self, flight: InFlight) -> None:
        self._sign(flight)
        self._save()  # before the broadcast: a crash after it must not lose the transaction
        self._broadcast(flight)

    def _broadcast(self, flight: InFlight) -> None:
        try:
            self.w3.eth.send_raw_transaction(HexBytes(flight.raw))
            log.info("sent", extra={"key": flight.key, "action": flight.action, "nonce": flight.nonce,
                                    "tx_hash": flight.hashes[-1], "max_fee": flight.tx["maxFeePerGas"]})
        except Web3RPCError as err:
            message = str(err).lower()
            if "already" in message or "known" in message:
                return  # the node has it (or mined it): nothing to do
            if "nonce too low" in message:
                return  # mined or replaced: `poll` tells which
            if "underpriced" in message or "base fee" in message or "fee cap" in message:
                log.warning("underpriced; bumping", extra={"key": flight.key, "nonce": flight.nonce})
                self._bump(flight, rebroadcast_at_cap=False)
                return
            raise

    def _bump(self, flight: InFlight, *, rebroadcast_at_cap: bool = True) -> None:
        cap = int(self.fees.max_fee_gwei * GWEI)
        old_fee, old_tip = flight.tx["maxFeePerGas"], flight.tx["maxPriorityFeePerGas"]
        factor = 1 + self.fees.bump_percent / 100
        tip, market = self._market_fees()
        new_fee = min(max(int(old_fee * factor) + 1, market), cap)
        new_tip = min(max(int(old_tip * factor) + 1, tip), new_fee)
        if new_fee <= old_fee:
            self._count(Outcome(flight.key, "pending", detail="at the fee cap"), name="stuck")
            log.warning("at the fee cap: rebroadcasting unchanged",
                        extra={"key": flight.key, "nonce": flight.nonce, "max_fee": old_fee})
            flight.last_sent = self.clock()
            if rebroadcast_at_cap:
                self._broadcast(flight)
            return
        flight.tx = {**flight.tx, "maxFeePerGas": new_fee, "maxPriorityFeePerGas": new_tip}
        self._count(Outcome(flight.key, "pending"), name="bumped")
        log.info("bump", extra={"key": flight.key, "nonce": flight.nonce, "max_fee": new_fee, "tip": new_tip})
        self._sign_and_send(flight)

    # --- state ------------------------------------------------------------------------------

    def _revert_reason(self, flight: InFlight, block: int) -> str:
        """Why a mined transaction reverted, as far as a replay on the state before its block
        tells (the transactions before it in the block aside): the custom error's name, or ""."""
        tx = {k: flight.tx[k] for k in ("from", "to", "data", "value", "gas") if k in flight.tx}
        tx.setdefault("from", self.address)
        try:
            self.w3.eth.call(tx, block - 1)
        except (ContractCustomError, ContractPanicError, ContractLogicError) as err:
            return revert_of(err, flight.action).name
        except Exception:  # a diagnostic only: a node without the old state, say
            return ""
        return "out of gas?"  # the replay passes: the gas limit, or a transaction before it

    def _receipt(self, flight: InFlight):
        for tx_hash in reversed(flight.hashes):
            try:
                return self.w3.eth.get_transaction_receipt(tx_hash)
            except TransactionNotFound:
                continue
        return None

    def _confirmed(self, receipt, head: int) -> bool:
        """``confirmations`` blocks on top of the receipt's; a block mined after ``head`` was
        read has none on top (``head`` is read once per poll)."""
        return max(head, receipt["blockNumber"]) - receipt["blockNumber"] >= self.confirmations

    def _outcome(self, flight: InFlight, receipt) -> Outcome:
        """A confirmed receipt's outcome: mined, or reverted with the reason replayed."""
        status = "mined" if receipt["status"] == 1 else "reverted"
        detail = "" if status == "mined" else self._revert_reason(flight, receipt["blockNumber"])
        return Outcome(flight.key, status, receipt["transactionHash"].to_0x_hex(), detail=detail,
                       block=receipt["blockNumber"], gas_used=receipt["gasUsed"])

    def _finish(self, flight: InFlight, outcome: Outcome) -> Outcome:
        del self._in_flight[flight.key]
        self.finished.append(outcome)
        self._save()
        log.info("finished", extra={"key": flight.key, "status": outcome.status, "tx_hash": outcome.tx_hash,
                                    "block": outcome.block, "sends": len(flight.hashes), "detail": outcome.detail})
        if outcome.status == "mined" and self.metrics:
            self.metrics.last_action.set(time.time())
        return self._count(outcome)

    def _count(self, outcome: Outcome, name: str | None = None) -> Outcome:
        if name is None:
            self.outcomes.append(outcome)
        if self.metrics:
            self.metrics.attempts.labels(outcome=name or outcome.status).inc()
        return outcome

    def _load(self) -> None:
        if not self.state_path.exists():
            return
        data = json.loads(self.state_path.read_text())
        if data.get("chain_id") != self.chain_id or data.get("address") != self.address:
            return  # another chain or key: not ours to resume
        self._in_flight = {f["key"]: InFlight(**f) for f in data.get("in_flight", [])}

    def _save(self) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        data = {"chain_id": self.chain_id, "address": self.address,
                "in_flight": [asdict(f) for f in self.in_flight()]}
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, self.state_path)
