"""Timelocked admin actions: schedule, wait, execute.

Every Optio contract's DEFAULT_ADMIN_ROLE is held by one OpenZeppelin ``TimelockController``
(``OptioTimelock``, recorded as ``"Timelock"`` in the deployment manifest). An admin call
(``setFees``, ``grantRole``…) is therefore two transactions from the timelock's proposer /
executor: ``schedule`` now, ``execute`` once ``getMinDelay()`` seconds have passed. See
docs/admin.md for the roles and for holding the admin key in a multisig.

    op = schedule(admin_signer, protocol.market, "setFees", (hs, skew, base, util), timelock=tl)
    status(op)            # OperationStatus(state="waiting", ready_at=…)
    execute(admin_signer, op)   # NotReady (one line, nothing sent) until ready_at

``schedule_and_execute`` does both when the delay is zero (local chains, tests) and executes a
call scheduled earlier once its delay has passed.

Operations are told apart by their salt: by default the first salt (0, 1, 2…) under which the
same call is not already done, so the same call can be made again later and a pending one is
found again from its arguments alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from web3 import Web3
from web3.types import TxReceipt

from optio.sdk.chain import Signer
from optio.sdk.contracts import Client
from optio.sdk.deployment import load_deployment
from optio.sdk.errors import InvalidInput

#: TimelockController.OperationState, by value.
STATES = ("unset", "waiting", "ready", "done")
ZERO32 = b"\x00" * 32
#: How many salts the default salt search tries before giving up (the same call pending that often).
MAX_SALTS = 256


class NotReady(InvalidInput):
    """The operation cannot execute yet (or was never scheduled, or already ran); nothing was sent."""


class Timelock(Client):
    artifact_name = "OptioTimelock"

    @property
    def min_delay(self) -> int:
        """Seconds between schedule and the earliest execute."""
        return self.call("getMinDelay")


def timelock_of(protocol_or_w3) -> Timelock:
    """The timelock of a ``Protocol`` (or of the manifest of ``w3``'s chain)."""
    deployment = getattr(protocol_or_w3, "deployment", None)
    w3 = getattr(protocol_or_w3, "w3", protocol_or_w3)
    if deployment is None:
        deployment = load_deployment(w3)
    return Timelock(w3, deployment.address("Timelock"))


@dataclass(frozen=True)
class Operation:
    """One call through the timelock: ``target.fn(*args)`` under ``salt``."""

    timelock: Timelock
    target: str
    data: str  # 0x-hex calldata
    salt: bytes
    action: str  # "setFees on OptionMarket 0x…", for messages
    predecessor: bytes = ZERO32
    value: int = 0

    @property
    def id(self) -> bytes:
        return self.timelock.call("hashOperation", self.target, self.value, self.data, self.predecessor, self.salt)


@dataclass(frozen=True)
class OperationStatus:
    state: str  # unset | waiting | ready | done
    ready_at: int  # unix seconds; 0 if unset, 1 if done (OpenZeppelin's markers)


def _salt(n: int) -> bytes:
    return n.to_bytes(32, "big")


def operation(target: Client, fn: str, *args: object, timelock: Timelock | None = None,
              salt: bytes | int | None = None) -> Operation:
    """The operation for ``target.fn(*args)``. ``salt=None``: the first salt under which this
    exact call is not done yet (a pending one if there is one, else a fresh one)."""
    tl = timelock or timelock_of(target.w3)
    try:
        data = target.contract.encode_abi(fn, args=list(args))
    except Exception as err:  # wrong name or arguments: the ABI encoder's own message
        raise InvalidInput(f"{fn}: cannot encode the call ({err})") from None
    label = f"{fn} on {type(target).__name__ if type(target) is not Client else 'contract'} {target.address}"
    if salt is not None:
        return Operation(tl, target.address, data, _salt(salt) if isinstance(salt, int) else bytes(salt), label)
    for n in range(MAX_SALTS):
        op = Operation(tl, target.address, data, _salt(n), label)
        if status(op).state != "done":
            return op
    raise InvalidInput(f"{label}: {MAX_SALTS} identical calls already done: pass a salt")


def status(op: Operation) -> OperationStatus:
    """Where ``op`` is: unset (never scheduled, or cancelled), waiting, ready or done."""
    op_id = op.id
    state = STATES[op.timelock.call("getOperationState", op_id)]
    return OperationStatus(state, op.timelock.call("getTimestamp", op_id))


def schedule(signer: Signer, target: Client | Operation, fn: str | None = None, *args: object,
             timelock: Timelock | None = None, delay: int | None = None, salt: bytes | int | None = None) -> Operation:
    """Schedule ``target.fn(*args)`` (or a prepared ``Operation``) from ``signer`` (a proposer)
    to run after ``delay`` seconds (default and minimum: the timelock's minimum delay)."""
    op = target if isinstance(target, Operation) else operation(target, fn, *args, timelock=timelock, salt=salt)
    min_delay = op.timelock.min_delay
    delay = min_delay if delay is None else delay
    if delay < min_delay:
        raise InvalidInput(f"{op.action}: delay {delay} s is below the timelock's minimum of {min_delay} s")
    state = status(op)
    if state.state != "unset":
        raise InvalidInput(f"{op.action} is already scheduled ({state.state}): execute it, or pass another salt")
    op.timelock.transact(signer, "schedule", op.target, op.value, op.data, op.predecessor, op.salt, delay,
                         action=f"schedule {op.action}")
    return op


def execute(signer: Signer, target: Client | Operation, fn: str | None = None, *args: object,
            timelock: Timelock | None = None, salt: bytes | int | None = None) -> TxReceipt:
    """Execute a scheduled operation from ``signer`` (an executor). ``NotReady`` (one line,
    nothing sent) if its delay has not passed, it was never scheduled, or it already ran."""
    op = target if isinstance(target, Operation) else operation(target, fn, *args, timelock=timelock, salt=salt)
    state = status(op)
    if state.state == "unset":
        raise NotReady(f"{op.action} was never scheduled (or was cancelled): schedule it first")
    if state.state == "done":
        raise NotReady(f"{op.action} was already executed")
    if state.state == "waiting":
        now = op.timelock.w3.eth.get_block("latest")["timestamp"]
        raise NotReady(
            f"{op.action} is not executable before {_utc(state.ready_at)} (in {_duration(state.ready_at - now)})"
        )
    return op.timelock.transact(signer, "execute", op.target, op.value, op.data, op.predecessor, op.salt,
                                action=op.action)


def schedule_and_execute(signer: Signer, target: Client, fn: str, *args: object,
                         timelock: Timelock | None = None) -> TxReceipt:
    """``target.fn(*args)`` through the timelock in one go: schedule it unless it is pending,
    then execute it. Works when the minimum delay is 0, or when the same call was scheduled
    earlier and its delay has passed; otherwise ``NotReady`` says when it will be."""
    op = operation(target, fn, *args, timelock=timelock)
    if status(op).state == "unset":
        schedule(signer, op)
    return execute(signer, op)


def cancel(signer: Signer, op: Operation) -> TxReceipt:
    """Cancel a pending operation (a canceller: the admin)."""
    if status(op).state not in ("waiting", "ready"):
        raise NotReady(f"{op.action} is not pending: nothing to cancel")
    return op.timelock.transact(signer, "cancel", op.id, action=f"cancel {op.action}")


@dataclass(frozen=True)
class TimelockCall:
    """One transaction to the timelock, for a multisig (a Safe) to propose as it is: the owners
    sign a call to ``to`` with ``value`` and calldata ``data``; nothing has been sent."""

    to: str
    value: int
    data: str  # 0x-hex
    action: str  # "schedule setFees on Market 0x…", for messages


#: The timelock functions a proposer / executor / canceller calls, in the order an operation meets them.
STEPS = ("schedule", "execute", "cancel")


def timelock_call(op: Operation, step: str = "schedule", *, delay: int | None = None) -> TimelockCall:
    """The timelock transaction of ``step`` for ``op``, for an admin that is a multisig: a Safe
    owner pastes ``to`` and ``data`` into a new Safe transaction (docs/admin.md). ``schedule``
    runs it after ``delay`` seconds (default and minimum: the timelock's minimum delay);
    ``execute`` and ``cancel`` take the same ``op`` later (same salt: ``operation(..., salt=n)``)."""
    tl = op.timelock
    if step == "schedule":
        min_delay = tl.min_delay
        delay = min_delay if delay is None else delay
        if delay < min_delay:
            raise InvalidInput(f"{op.action}: delay {delay} s is below the timelock's minimum of {min_delay} s")
        args = [op.target, op.value, op.data, op.predecessor, op.salt, delay]
    elif step == "execute":
        args = [op.target, op.value, op.data, op.predecessor, op.salt]
    elif step == "cancel":
        args = [op.id]
    else:
        raise InvalidInput(f"step {step!r}: one of {', '.join(STEPS)}")
    value = op.value if step == "execute" else 0  # execute forwards msg.value to the target
    return TimelockCall(tl.address, value, tl.contract.encode_abi(step, args=args), f"{step} {op.action}")


def has_role(client: Client, role: str, account: str) -> bool:
    """Whether ``account`` holds ``role`` (a constant's name, e.g. ``"KEEPER_ROLE"``) on ``client``."""
    role_id = ZERO32 if role == "DEFAULT_ADMIN_ROLE" else client.call(role)
    return bool(client.call("hasRole", role_id, Web3.to_checksum_address(account)))


def _utc(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))


def _duration(seconds: int) -> str:
    seconds = max(seconds, 0)
    d, rest = divmod(seconds, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    return f"{d}d {h}h {m}m" if d else f"{h}h {m}m {s}s"
