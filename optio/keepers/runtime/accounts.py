"""Margin accounts for the keepers that need them: discovered from their ``ShortOpened`` events
(incrementally, saved in ``state_dir``, reorg-safe) and scanned for health in batches.

The liquidator liquidates what the scan finds; the keepers that fill LP requests (the oracle
keeper) hold a vault's fill while the scan finds an account on that vault's side below its
requirement (docs/security.md, finding M).

The scan goes out as JSON-RPC batches encoded with eth-abi: web3's contract layer costs several
milliseconds of Python per call (~35 ms to encode 500 addresses), which at a thousand accounts
was the liquidator's whole latency.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector

from optio.keepers.runtime.events import EventScanner
from optio.keepers.runtime.rpc import batch
from optio.sdk.errors import OptioError

log = logging.getLogger("optio.keepers.accounts")

HEALTH_OF = function_signature_to_4byte_selector("healthOf(address[])")
FRESHNESS_OF = function_signature_to_4byte_selector("freshnessOf(address[])")


@dataclass(frozen=True)
class Underwater:
    account: str
    calls_pool: bool  # the side: calls (the call vault's counterparty) or puts (the put vault's)
    shortfall: int  # required − collateral, units


def calldata(selector: bytes, types: list[str], args: list) -> str:
    return "0x" + (selector + abi_encode(types, args)).hex()


def results(answers: list[dict]) -> list[bytes]:
    """The results of a batch of eth_calls that must all succeed (views)."""
    for answer in answers:
        if "error" in answer:
            raise OptioError(f"a view call failed: {answer['error'].get('message')}")
    return [bytes.fromhex(a["result"][2:]) for a in answers]


def scan_health(margin, accounts: list[str], batch_size: int) -> list[Underwater]:
    """Sides below their requirement, worst shortfall first (as the liquidator should serve them).
    ``healthOf`` over batches of ``batch_size`` accounts, all in one JSON-RPC batch. A side whose
    requirement rests on a stale spot or surface counts its shorts full collateral; the contract
    refuses to liquidate it (``RequirementNotFresh``), so it is left out (``freshnessOf``)."""
    out = []
    for group, raw in _per_account_views(margin, HEALTH_OF, accounts, batch_size):
        health = abi_decode(["((uint256,uint256),(uint256,uint256))[]"], raw)[0]
        for account, ((c_col, c_req), (p_col, p_req)) in zip(group, health, strict=True):
            if c_col < c_req:
                out.append(Underwater(account, True, c_req - c_col))
            if p_col < p_req:
                out.append(Underwater(account, False, p_req - p_col))
    return sorted(_fresh_only(margin, out, batch_size), key=lambda u: -u.shortfall)


def _per_account_views(margin, selector: bytes, accounts: list[str], batch_size: int) -> list[tuple[list[str], bytes]]:
    """(group, result) of ``selector(address[])`` over ``accounts`` in groups of ``batch_size``, one
    JSON-RPC batch per round. A group whose call fails (a node's gas cap: 16 far shorts an account
    cost ~280k gas of ``healthOf``, so ~110 accounts pass Anvil's 30M, round 11 K2) is split in
    halves and asked again; a single account's failure raises."""
    out: list[tuple[list[str], bytes]] = []
    groups = [accounts[i : i + batch_size] for i in range(0, len(accounts), batch_size)]
    while groups:
        views = [("eth_call", [{"to": margin.address, "data": calldata(selector, ["address[]"], [g])}, "latest"])
                 for g in groups]
        retry = []
        for group, answer in zip(groups, batch(margin.w3, views), strict=True):
            if "error" not in answer:
                out.append((group, bytes.fromhex(answer["result"][2:])))
            elif len(group) > 1:
                retry += [group[: len(group) // 2], group[len(group) // 2 :]]
            else:
                results([answer])  # raises, naming the node's error
        if retry:
            log.info("a view over accounts failed: split", extra={"groups": len(retry)})
        groups = retry
    return out


def _fresh_only(margin, pools: list[Underwater], batch_size: int) -> list[Underwater]:
    """``pools`` whose requirement is made of fresh oracle inputs only (one JSON-RPC batch)."""
    accounts = list(dict.fromkeys(s.account for s in pools))
    if not accounts:
        return pools
    fresh: dict[tuple[str, bool], bool] = {}
    for group, raw in _per_account_views(margin, FRESHNESS_OF, accounts, batch_size):
        for account, (calls, puts) in zip(group, abi_decode(["(bool,bool)[]"], raw)[0], strict=True):
            fresh[(account, True)], fresh[(account, False)] = calls, puts
    stale = [s for s in pools if not fresh[(s.account, s.calls_pool)]]
    if stale:
        log.info("skip: requirement not fresh", extra={"sides": len(stale)})
    return [s for s in pools if fresh[(s.account, s.calls_pool)]]


class MarginAccounts:
    """Every account that ever opened a short (``ShortOpened`` events read incrementally, the set
    saved in ``state_dir/<keeper>-accounts.json``) and their health."""

    def __init__(self, ctx, *, batch_size: int = 500, reorg_depth: int = 12):
        self.margin = ctx.protocol.margin
        self.batch_size = batch_size
        self.scanner = EventScanner(self.margin.contract.events.ShortOpened,
                                    ctx.state_dir / f"{ctx.name}-accounts.json",
                                    from_block=ctx.protocol.deployment.deploy_block, reorg_depth=reorg_depth)

    def discover(self, head: int) -> list[str]:
        """Every account known up to block ``head``."""
        self.scanner.scan(head, key=lambda log: log["args"]["account"])
        return list(self.scanner.seen)

    def underwater(self, head: int) -> list[Underwater]:
        """Sides below a fresh requirement now (``scan_health`` over every account known)."""
        return scan_health(self.margin, self.discover(head), self.batch_size)


class FillHold:
    """Whether a keeper that fills LP requests must hold a vault's fill now: while an account on
    that vault's side (calls: the call vault, puts: the put vault) is below a fresh requirement,
    the vault marks the options it bought from that account at mid until it is liquidated, and an
    LP filled before the liquidation leaves its bad debt to those who stay (docs/security.md,
    finding M). A hold lasts at most ``max_s`` seconds of chain time per account: then the fill goes
    anyway, with a warning, so that a stuck liquidation cannot freeze LP flows. A side whose
    requirement is not fresh does not hold (the contract would refuse its liquidation).

    Metrics: ``<keeper>_fill_held{vault}`` (1 while held) and ``<keeper>_fill_hold_expired_total
    {vault}`` (cycles whose fill went ahead at the bound)."""

    def __init__(self, ctx, *, max_s: int, batch_size: int = 500):
        self.accounts = MarginAccounts(ctx, batch_size=batch_size)
        self.max_s = max_s
        # (vault kind, account) -> chain time of the first cycle that saw that account hold the
        # vault. Per account, not per vault: with one clock per vault, an account kept below its
        # requirement past the bound released the hold for every later bad debt on that side
        # (round 10, K1: +11,652.14 USDC to an LP leaving ahead of a second seller's).
        self.since: dict[tuple[str, str], int] = {}
        self.held = ctx.metrics.gauge(f"{ctx.name}_fill_held", "1 while the vault's LP fill is held: an account "
                                      "on its side is below a fresh requirement", ("vault",))
        self.scan_failed = ctx.metrics.counter(f"{ctx.name}_fill_hold_scan_failed", "Cycles whose health scan "
                                               "failed: every fill due was held")
        self.expired = ctx.metrics.counter(f"{ctx.name}_fill_hold_expired", "Cycles in which a vault's LP fill "
                                           "went ahead although an account on its side was still liquidatable (the "
                                           "hold reached its bound)", ("vault",))

    def clear(self, kind: str) -> None:
        """Nothing to fill on ``kind``'s vault: no hold."""
        self.since = {key: t for key, t in self.since.items() if key[0] != kind}
        self.held.labels(vault=kind).set(0)

    def check(self, kinds: list[str], head) -> set[str]:
        """Of the vault kinds about to be filled, those to hold this cycle (one health scan): a
        vault is held while any account below a fresh requirement on its side has been so for
        less than ``max_s``."""
        if not kinds:
            return set()
        try:
            pools = self.accounts.underwater(head.number)
        except OptioError as err:
            # The scan failing must not stop the keeper (the spot poster's cycle would raise, and
            # its error budget end the daemon: round 11 K2), nor fill blind: hold, and say so.
            self.scan_failed.inc()
            for kind in kinds:
                self.held.labels(vault=kind).set(1)
            log.warning("fill held: the health scan failed", extra={"vaults": kinds, "error": str(err)})
            return set(kinds)
        out = set()
        for kind in kinds:
            sides = [p for p in pools if p.calls_pool == (kind == "call")]
            if not sides:
                self.clear(kind)
                continue
            now = {(kind, p.account) for p in sides}
            self.since = {key: t for key, t in self.since.items() if key[0] != kind or key in now}
            young = [p for p in sides if head.timestamp - self.since.setdefault((kind, p.account), head.timestamp)
                     < self.max_s]
            first = (young or sides)[0]
            extra = {"vault": kind, "sides": len(sides), "young": len(young), "account": first.account,
                     "shortfall": first.shortfall,
                     "held_s": head.timestamp - self.since[(kind, first.account)]}
            if not young:
                self.expired.labels(vault=kind).inc()
                self.held.labels(vault=kind).set(0)
                log.warning("fill despite a liquidatable account: the hold reached its bound", extra=extra)
                continue
            self.held.labels(vault=kind).set(1)
            log.warning("fill held: an account on the vault's side is below a fresh requirement "
                        "(the liquidator first)", extra=extra)
            out.add(kind)
        return out
