"""Liquidator keeper: finds margin accounts from their events, scans health in batches, and
liquidates what is below its requirement when the bonus pays for the gas with a margin.

Several liquidations go out in one cycle (consecutive nonces: they land in the same block when
it has room). An account is never liquidated twice for the same view of it: one transaction per
(account, option) in flight, and each is simulated first — a rival that got there first turns
the simulation into a refusal (``AccountHealthy``, ``NoPosition``) and nothing is sent.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector
from pydantic import BaseModel, ConfigDict, Field

from keepers.runtime.daemon import Context, Head
from keepers.runtime.events import EventScanner
from optio.chain import GAS_HEADROOM
from optio.errors import ContractRevert
from optio.market import Option

log = logging.getLogger("keepers.liquidator")


class Settings(BaseModel):
    """The ``[liquidator]`` table."""

    model_config = ConfigDict(extra="forbid")
    batch_size: int = Field(default=500, ge=1, le=5000)  # accounts per healthOf call
    max_per_cycle: int = Field(default=100, ge=1)  # liquidations sent per cycle
    gas_margin: float = Field(default=0.2, ge=0)  # bonus ≥ gas cost × (1 + margin)
    reorg_depth: int = Field(default=12, ge=0)


@dataclass(frozen=True)
class Underwater:
    account: str
    call_side: bool
    shortfall: int  # required − collateral, units


HEALTH_OF = function_signature_to_4byte_selector("healthOf(address[])")


def health_of(margin, accounts: list[str]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """``MarginAccount.healthOf`` with eth-abi directly: web3's contract layer re-validates every
    address and takes ~35 ms to encode 500 of them, six times the call itself."""
    data = HEALTH_OF + abi_encode(["address[]"], [accounts])
    raw = margin.w3.eth.call({"to": margin.address, "data": data})
    return abi_decode(["((uint256,uint256),(uint256,uint256))[]"], raw)[0]


def scan_health(margin, accounts: list[str], batch_size: int, workers: int = 4) -> list[Underwater]:
    """Sides below their requirement, worst shortfall first (as the keeper should serve them).
    Batches go out on ``workers`` concurrent calls."""
    batches = [accounts[i : i + batch_size] for i in range(0, len(accounts), batch_size)]
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(lambda b: health_of(margin, b), batches))
    out = []
    for batch, health in zip(batches, results, strict=True):
        for account, ((c_col, c_req), (p_col, p_req)) in zip(batch, health, strict=True):
            if c_col < c_req:
                out.append(Underwater(account, True, c_req - c_col))
            if p_col < p_req:
                out.append(Underwater(account, False, p_req - p_col))
    return sorted(out, key=lambda u: -u.shortfall)


def make(ctx: Context):
    s: Settings = ctx.settings  # type: ignore[assignment]
    margin = ctx.protocol.margin
    scanner = EventScanner(margin.contract.events.ShortOpened, ctx.state_dir / f"{ctx.name}-accounts.json",
                           from_block=ctx.protocol.deployment.deploy_block, reorg_depth=s.reorg_depth)
    found = ctx.metrics.gauge("liquidator_accounts", "Margin accounts known")
    underwater = ctx.metrics.gauge("liquidator_underwater", "Sides below requirement at the last scan")
    unprofitable = ctx.metrics.counter("liquidator_unprofitable", "Liquidations skipped: bonus below gas")

    def cycle(head: Head) -> None:
        scanner.scan(head.number, key=lambda log: log["args"]["account"])
        accounts = list(scanner.seen)
        found.set(len(accounts))
        sides = scan_health(margin, accounts, s.batch_size)
        underwater.set(len(sides))
        if not sides:
            return
        prices = _Prices.now(ctx, margin)
        # One option per side per cycle (its health changes after it), the worst sides first.
        todo = []
        for side in sides[: s.max_per_cycle]:
            for option_id, amount in _shorts(margin, side):
                if not ctx.txs.has(f"liquidate:{side.account}:{option_id}"):
                    todo.append((side, option_id, amount))
                    break
        # The previews (a call and an estimate each) go out concurrently; the sends in order.
        with ThreadPoolExecutor(8) as pool:
            plans = list(pool.map(lambda t: _plan(ctx, margin, prices, *t), todo))
        for (side, option_id, _), plan in zip(todo, plans, strict=True):
            if plan is None:
                continue
            key = f"liquidate:{side.account}:{option_id}"
            size, gas, bonus_eth, gas_eth = plan
            if bonus_eth < gas_eth * Decimal(repr(1 + s.gas_margin)):
                unprofitable.inc()
                log.info("skip: bonus below gas", extra={"key": key, "bonus_eth": str(bonus_eth),
                                                         "gas_eth": str(gas_eth)})
                continue
            data = margin.contract.encode_abi("liquidate", args=[side.account, option_id, size])
            out = ctx.txs.submit(key, margin.address, data, action="liquidate", gas=gas)
            log.info("liquidate", extra={"key": key, "amount": size, "status": out.status, "detail": out.detail})

    return cycle


def _shorts(margin, side: Underwater) -> list[tuple[int, int]]:
    ids, amounts = margin.call("positionsOf", side.account)
    return [(i, a) for i, a in zip(ids, amounts, strict=True) if Option.from_id(i).is_call == side.call_side]


@dataclass(frozen=True)
class _Prices:
    """What converts a bonus and a gas estimate to ETH, read once per cycle."""

    gas_price: int  # wei per gas: 2 × base fee + 1 gwei, what the sender will offer at most
    spot: Decimal  # quote per base

    @classmethod
    def now(cls, ctx: Context, margin) -> _Prices:
        base = ctx.w3.eth.get_block("latest").get("baseFeePerGas") or 0
        spot, _ = ctx.protocol.spot_oracle.call("latestPrice")
        return cls(2 * base + 10**9, Decimal(spot) / Decimal(10**18))


def _plan(ctx: Context, margin, prices: _Prices, side: Underwater, option_id: int, amount: int):
    """(amount, gas limit, bonus in ETH, gas cost in ETH) of the largest liquidation allowed
    (simulated and estimated: the send need not do it again), or None."""
    fn = margin.contract.functions.liquidate
    sender = {"from": ctx.account.address}
    try:
        bonus = fn(side.account, option_id, amount).call(sender)
    except Exception as err:  # the size is over the close factor: the error says the most allowed
        revert = _revert(err)
        if revert is None or revert.name != "LiquidationTooLarge":
            log.info("not liquidatable", extra={"account": side.account, "id": option_id,
                                                "reason": revert.name if revert else str(err)})
            return None
        amount = int(revert.args_by_name["maxAmount"])
        if amount == 0:
            return None
        bonus = fn(side.account, option_id, amount).call(sender)
    try:
        gas = fn(side.account, option_id, amount).estimate_gas(sender)
    except Exception:  # taken by a rival in between
        return None
    gas_eth = Decimal(gas * prices.gas_price) / Decimal(10**18)
    if side.call_side:
        bonus_eth = Decimal(bonus) / Decimal(10 ** margin.base.decimals)
    else:
        bonus_eth = Decimal(bonus) / Decimal(10 ** margin.quote_token.decimals) / prices.spot
    return amount, int(gas * GAS_HEADROOM), bonus_eth, gas_eth


def _revert(err: Exception) -> ContractRevert | None:
    from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError

    from optio.chain import revert_of

    if isinstance(err, ContractCustomError | ContractPanicError | ContractLogicError):
        return revert_of(err, "liquidate")
    return None
