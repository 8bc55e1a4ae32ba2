"""The loop every keeper runs on: one handler per cycle, signals, error budget, dry run, once.

A keeper is a module with a pydantic ``Settings`` model and ``make(ctx) -> handler``, where the
handler is called once per cycle with the chain head (``Head``: its number and timestamp — the
keeper's clock, never the machine's). The handler reads the chain and sends through
``ctx.txs.submit``; the runtime polls the transactions, counts, and keeps the daemon healthy.
A handler that cannot do its job this cycle (no price, no acceptable fit) says so with
``ctx.unable(reason)``: a ``--once`` run then exits with :data:`EXIT_UNABLE`.

The exit codes of ``python -m optio.keepers`` and ``optio keeper run`` are the ``EXIT_*``
constants below (the table in docs/keepers.md).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from eth_account.signers.local import LocalAccount
from pydantic import BaseModel, ValidationError
from web3 import Web3

from optio.keepers.runtime.config import KeeperConfig, one_line
from optio.keepers.runtime.keys import load_key
from optio.keepers.runtime.metrics import Metrics
from optio.keepers.runtime.rpc import FailoverProvider
from optio.keepers.runtime.txs import Outcome, TxManager
from optio.sdk.chain import node_accounts, simulate
from optio.sdk.contracts import Client
from optio.sdk.deployment import load_deployment
from optio.sdk.errors import ContractRevert, InvalidInput, NoDeployment, OptioError, RpcUnreachable
from optio.sdk.protocol import Protocol
from optio.sdk.units import from_units

log = logging.getLogger("optio.keepers.runtime")

#: The cycle went through and every transaction it sent was mined (``--dry-run``: logged), or
#: nothing was due. The daemon: stopped by SIGTERM/SIGINT.
EXIT_OK = 0
#: Refused to start: a config, key, role or RPC problem, one line on stderr; nothing was sent.
EXIT_REFUSED = 1
#: The daemon spent its error budget (``error_budget`` consecutive failed cycles).
EXIT_BUDGET = 2
#: ``--once``: the cycle failed (RPC unreachable, a node error, a bug): what it did is unknown
#: or partial; its transactions in flight stay in ``state_dir`` and resume at the next start.
EXIT_CYCLE_FAILED = 3
#: ``--once``: a transaction it decided to send did not land: refused by the simulation (e.g.
#: another copy was first, or a missing role), reverted, replaced by another transaction of the
#: key, or not confirmed within ``once_wait_s`` (it stays in ``state_dir`` and resumes).
EXIT_NOT_LANDED = 4
#: ``--once``: the keeper could not do its job (``ctx.unable``): the oracle had too few sources
#: agreeing on a price, the vol keeper no snapshot or no acceptable fit.
EXIT_UNABLE = 5

#: The keepers this runtime knows, by the name `python -m optio.keepers NAME` takes.
KEEPERS = {
    "oracle": "optio.keepers.oracle",
    "vol": "optio.keepers.vol",
    "liquidator": "optio.keepers.liquidator",
    "settler": "optio.keepers.settler",
    "guardian": "optio.keepers.guardian",
}


#: The role each keeper's key must hold, and where: (Protocol attribute, role constant). A keeper
#: without it would run, fail every send and still look alive; it refuses to start instead.
REQUIRED_ROLES = {
    "oracle": ("spot_oracle", "KEEPER_ROLE"),
    "vol": ("vol_oracle", "VOL_KEEPER_ROLE"),
    "guardian": ("market", "GUARDIAN_ROLE"),
}


@dataclass(frozen=True)
class Head:
    """The chain head a cycle sees: block number and timestamp (seconds)."""

    number: int
    timestamp: int


@dataclass
class Context:
    """What a keeper's handler gets: the chain, the protocol, its sender, metrics, settings."""

    name: str
    w3: Web3
    account: LocalAccount
    protocol: Protocol
    txs: TxManager
    metrics: Metrics
    settings: BaseModel
    state_dir: Path
    dry_run: bool
    #: Why the handler could not do its job this cycle (``unable``); cleared before each cycle.
    problems: list[str] = field(default_factory=list)

    def unable(self, reason: str) -> None:
        """Record that this cycle could not do the keeper's job (a ``--once`` run exits 5)."""
        self.problems.append(reason)

    def refusal(self, client: Client, fn: str, *args: object) -> str | None:
        """The error ``client``'s ``fn(*args)`` sent by this keeper would revert with now (an
        eth_call at the head), or None if it would pass. Sends nothing."""
        tx = {"from": self.account.address, "to": client.address,
              "data": client.contract.encode_abi(fn, args=list(args))}
        try:
            simulate(self.w3, tx, fn)
        except ContractRevert as err:
            return err.name
        return None

    def send(self, key: str, client: Client, fn: str, *args: object, min_gas: int = 0,
             extra_gas: int = 0) -> Outcome:
        """``client``'s ``fn(*args)`` through ``txs.submit`` under ``key`` (simulated first; the
        estimate's gas limit plus ``extra_gas``, at least ``min_gas``)."""
        return self.txs.submit(key, client.address, client.contract.encode_abi(fn, args=list(args)), action=fn,
                               min_gas=min_gas, extra_gas=extra_gas)


Handler = Callable[[Head], None]


class Runner:
    """Runs one keeper until SIGTERM/SIGINT, ``--once``, or a spent error budget."""

    def __init__(self, name: str, config: KeeperConfig, *, dry_run: bool = False, once: bool = False,
                 env: dict[str, str] | None = None):
        if name not in KEEPERS:
            raise InvalidInput(f"unknown keeper {name!r}: choose one of {', '.join(KEEPERS)}")
        self.name, self.config, self.dry_run, self.once = name, config, dry_run, once
        self.module = importlib.import_module(KEEPERS[name])
        try:
            self.settings = self.module.Settings.model_validate(config.keeper, context={"base_dir": config.base_dir})
        except ValidationError as err:
            raise InvalidInput(f"[{name}] {one_line(err)}{config.where()}") from None
        rt = config.runtime
        self.w3 = Web3(FailoverProvider(rt.rpc_urls, timeout=rt.rpc_timeout_s))
        try:
            chain_id = self.w3.eth.chain_id
        except RpcUnreachable as err:
            raise RpcUnreachable(f"cannot start: {err}") from None
        self.account = load_key(rt.key, chain_id, env, node_accounts(self.w3) if rt.key.kind == "dev" else None)
        deployment = load_deployment(self.w3, rt.deployment)
        try:
            deployment = deployment.for_market(rt.market)
        except NoDeployment as err:  # an unknown market: the config's mistake
            raise InvalidInput(f"[runtime] market: {err}{config.where()}") from None
        self.metrics = Metrics(name)
        state_dir = rt.state_dir
        # A market other than the first gets its own state file: its transactions are its own.
        market = "" if rt.market is None else "-" + rt.market.replace("/", "-")
        self.txs = TxManager(self.w3, self.account, state_dir / f"{name}{market}-{self.account.address}.json", rt.fees,
                             confirmations=rt.confirmations, metrics=self.metrics, dry_run=dry_run)
        self.ctx = Context(name, self.w3, self.account, Protocol(self.w3, deployment), self.txs, self.metrics,
                           self.settings, state_dir, dry_run)
        self._check_role()
        try:
            self.handler: Handler = self.module.make(self.ctx)
        except ValueError as err:  # a setting the keeper could only check on building (a bad price file)
            raise InvalidInput(f"[{name}] {err}{config.where()}") from None
        self._stop = threading.Event()
        self.failures = 0
        self.metrics_port: int | None = None
        if rt.metrics_port is not None:  # bound at start-up, so a taken port is a one-line refusal
            try:
                self.metrics_port = self.metrics.serve(rt.metrics_port, str(rt.metrics_host))
            except OSError as err:
                raise InvalidInput(f"runtime.metrics_port {rt.metrics_port} cannot be served: "
                                   f"{err.strerror or err} (in use by another process?)") from None

    def _check_role(self) -> None:
        """The key holds the roles its keeper sends under (checked on chain at start-up): the one
        of ``REQUIRED_ROLES``, and those the keeper's module asks for by its settings
        (``required_roles(ctx)``: the oracle keeper's FILLER_ROLE while it fills)."""
        needed = []
        if self.name in REQUIRED_ROLES:
            attribute, role = REQUIRED_ROLES[self.name]
            needed.append((getattr(self.ctx.protocol, attribute), role, ""))
        extra = getattr(self.module, "required_roles", None)
        if extra is not None:
            needed += [(client, role, f", or set {self.name}.fill = false") for client, role in extra(self.ctx)]
        for client, role, alternative in needed:
            if not client.has_role(role, self.account.address):
                contract = getattr(client, "share_symbol", None) or type(client).__name__  # a vault: oCALL
                raise InvalidInput(f"[{self.name}] the key {self.account.address} lacks {role} on {contract} "
                                   f"{client.address}: grant it through the timelock (docs/admin.md) or use the "
                                   f"keeper key{alternative}")

    def stop(self, *_args) -> None:
        """Finish the cycle under way, then stop (SIGTERM, SIGINT)."""
        if not self._stop.is_set():
            log.info("stop requested: finishing the current cycle", extra={"keeper": self.name})
        self._stop.set()

    def run(self) -> int:
        """The loop, or one cycle with ``once``. Returns the exit code (``EXIT_*`` above)."""
        rt = self.config.runtime
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        if self.metrics_port is not None:
            log.info("metrics on /metrics and /healthz", extra={"port": self.metrics_port})
        log.info("keeper starting", extra={"keeper": self.name, "address": self.account.address,
                                           "dry_run": self.dry_run, "in_flight": len(self.txs.in_flight())})
        try:
            self.txs.resume()
        except RpcUnreachable as err:
            log.warning("resume deferred: rpc unreachable", extra={"error": str(err)})
        if self.once:
            code = self._run_once()
            self._hand_back(wait_s=0)
            self.metrics.stop()
            return code
        code = EXIT_OK
        while not self._stop.is_set():
            if self.cycle():
                self.failures = 0
            else:
                self.failures += 1
                if self.failures >= rt.error_budget:
                    log.critical("error budget spent: stopping", extra={"keeper": self.name,
                                                                        "failed_cycles": self.failures})
                    self.metrics.set_health(False, f"stopped after {self.failures} failed cycles")
                    code = EXIT_BUDGET
                    break
            pause = rt.interval_s if self.failures == 0 else self._backoff()
            self._stop.wait(pause)
        self._hand_back()
        self.metrics.stop()
        return code

    def _run_once(self) -> int:
        """One cycle, its transactions waited for (up to ``once_wait_s``), and an exit code that
        says whether it did what was due: see ``EXIT_*``."""
        first = len(self.txs.outcomes)
        ok = self.cycle()
        with contextlib.suppress(RpcUnreachable):
            self.txs.wait(timeout=0 if self.dry_run else self.config.runtime.once_wait_s)
        outcomes = self.txs.outcomes[first:]
        left = self.txs.in_flight()
        failed = [o for o in outcomes if o.status in ("refused", "reverted", "replaced")]
        if not ok:
            code, why = EXIT_CYCLE_FAILED, self.metrics.reason
        elif failed or left:
            code = EXIT_NOT_LANDED
            why = "; ".join([f"{o.key} {o.status}" + (f" ({o.detail})" if o.detail else "") for o in failed]
                            + [f"{f.key} not confirmed within {self.config.runtime.once_wait_s:g} s" for f in left])
        elif self.ctx.problems:
            code, why = EXIT_UNABLE, "; ".join(self.ctx.problems)
        else:
            code = EXIT_OK
            done = [o for o in outcomes if o.status in ("mined", "dry-run")]
            why = f"{len(done)} transaction(s) {'simulated' if self.dry_run else 'mined'}" if done else "nothing due"
        log.log(logging.INFO if code == EXIT_OK else logging.ERROR, "once: exit %d: %s", code, why,
                extra={"keeper": self.name, "exit_code": code, "in_flight_left": [f.key for f in left]})
        return code

    def cycle(self) -> bool:
        """One cycle: poll transactions, run the handler, poll again. True if it went through."""
        self.ctx.problems.clear()
        try:
            block = self.w3.eth.get_block("latest")
            head = Head(block["number"], block["timestamp"])
            self.txs.poll()
            self.handler(head)
            self.txs.poll()
            # keeper_lag_seconds: the machine's clock at the end of the cycle minus the timestamp
            # of the head block the cycle acted on (block interval + node delay + cycle time).
            self.metrics.lag.set(max(0.0, time.time() - head.timestamp))
            self.metrics.balance.set(float(from_units(self.w3.eth.get_balance(self.account.address), 18)))
        except RpcUnreachable as err:
            self.metrics.errors.labels(kind="rpc").inc()
            self.metrics.set_health(False, "rpc unreachable")
            log.warning("cycle failed: rpc unreachable", extra={"error": str(err), "failures": self.failures + 1})
            return False
        except OptioError as err:
            self.metrics.errors.labels(kind=type(err).__name__).inc()
            self.metrics.set_health(False, str(err))
            log.error("cycle failed", extra={"error": str(err), "failures": self.failures + 1})
            return False
        except Exception as err:  # a bug or an unexpected node answer: counted against the budget
            self.metrics.errors.labels(kind="unexpected").inc()
            self.metrics.set_health(False, f"{type(err).__name__}: {err}")
            log.exception("cycle failed unexpectedly", extra={"failures": self.failures + 1})
            return False
        self.metrics.last_cycle.set(time.time())
        self.metrics.set_health(True, "ok")
        return True

    def _backoff(self) -> float:
        steps = self.config.runtime.retry_backoff_s
        return steps[min(self.failures - 1, len(steps) - 1)]

    def _hand_back(self, wait_s: float | None = None) -> None:
        """On the way out: give in-flight transactions a short while to confirm; what is left
        stays in the state file and resumes at the next start (never sent twice)."""
        if wait_s is None:
            wait_s = 0 if self.dry_run else min(10.0, self.config.runtime.fees.bump_after_s)
        with contextlib.suppress(RpcUnreachable):
            self.txs.wait(timeout=wait_s)
        left = self.txs.in_flight()
        log.info("keeper stopped", extra={"keeper": self.name, "in_flight_left": [f.key for f in left]})
