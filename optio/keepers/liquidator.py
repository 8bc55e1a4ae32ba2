"""Liquidator keeper: finds margin accounts from their events, scans health in batches, and
liquidates what is below its requirement when the bonus pays for the gas with a margin — or,
with ``release_fills`` on (the default), whatever the bonus when the side holds its vault's LP
fills: the oracle keeper does not fill a vault while an account on its side is liquidatable
(docs/security.md, finding M), and an insolvent account pays no bonus at all (the vault is paid
first), so a liquidator waiting for a paying bonus would leave the fills held.

Several liquidations go out in one cycle (consecutive nonces: they land in the same block when
it has room), in chunks of ``send_chunk``, each sent as soon as it is planned: the first chunk
waits in the pool while the next is simulated, so after a crash the next block fills with
liquidations instead of waiting for every preview. An account is never liquidated twice for
the same view of it: one transaction per (account, option) in flight, and each is simulated
first — a rival that got there first turns the simulation into a refusal (``AccountHealthy``,
``NoPosition``) and nothing is sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector
from pydantic import BaseModel, ConfigDict, Field

from optio.keepers.runtime.accounts import MarginAccounts, Underwater, calldata, results, scan_health
from optio.keepers.runtime.daemon import Context, Head
from optio.keepers.runtime.rpc import batch
from optio.keepers.runtime.txs import Send
from optio.sdk.artifacts import decode_revert
from optio.sdk.chain import GAS_HEADROOM
from optio.sdk.market import Option
from optio.sdk.units import from_units

log = logging.getLogger("optio.keepers.liquidator")


class Settings(BaseModel):
    """The ``[liquidator]`` table."""

    model_config = ConfigDict(extra="forbid")
    batch_size: int = Field(default=500, ge=1, le=5000)  # accounts per healthOf call
    max_per_cycle: int = Field(default=100, ge=1)  # liquidations sent per cycle
    send_chunk: int = Field(default=200, ge=1)  # planned and sent together; the next chunk is planned after
    gas_margin: float = Field(default=0.2, ge=0)  # bonus ≥ gas cost × (1 + margin)
    reorg_depth: int = Field(default=12, ge=0)
    # Liquidate a side below its requirement whatever its bonus while its vault (calls: the call
    # vault, puts: the put vault) has LP requests pending: the filler holds them until it is done.
    release_fills: bool = True


# The positions and the previews go out as JSON-RPC batches encoded with eth-abi, as the scan
# does (optio.keepers.runtime.accounts).
POSITIONS_OF = function_signature_to_4byte_selector("positionsOf(address)")
LIQUIDATE = function_signature_to_4byte_selector("liquidate(address,uint256,uint256)")


def make(ctx: Context):
    s: Settings = ctx.settings  # type: ignore[assignment]
    margin = ctx.protocol.margin
    accounts = MarginAccounts(ctx, batch_size=s.batch_size, reorg_depth=s.reorg_depth)
    vaults = {True: ctx.protocol.vault("call"), False: ctx.protocol.vault("put")}
    found = ctx.metrics.gauge("liquidator_accounts", "Margin accounts known")
    underwater = ctx.metrics.gauge("liquidator_underwater", "Sides below requirement at the last scan")
    unprofitable = ctx.metrics.counter("liquidator_unprofitable", "Liquidations skipped: bonus below gas")
    unpaid = ctx.metrics.counter("liquidator_unpaid", "Liquidations sent with a bonus below gas, to release "
                                 "a vault's held LP fills")

    def cycle(head: Head) -> None:
        known = accounts.discover(head.number)
        found.set(len(known))
        pools = scan_health(margin, known, s.batch_size)
        underwater.set(len(pools))
        if not pools:
            return
        # The sides whose vault has LP requests pending: each holds that vault's fills.
        holding = {side for side in (True, False)
                   if s.release_fills and any(p.calls_pool == side for p in pools)
                   and vaults[side].has_pending_requests()}
        prices = _Prices.now(ctx, margin)
        # One option per pool per cycle (its health changes after it), the worst pools first.
        chosen = pools[: s.max_per_cycle]
        for start in range(0, len(chosen), s.send_chunk):
            chunk = chosen[start : start + s.send_chunk]
            todo = [(pool, *pick) for pool, pick in zip(chunk, _next_shorts(ctx, margin, chunk), strict=True)
                    if pick is not None]
            sends = []
            for (pool, option_id, _), plan in zip(todo, _plans(ctx, margin, prices, todo), strict=True):
                if plan is None:
                    continue
                key = f"liquidate:{pool.account}:{option_id}"
                size, gas, bonus_eth, gas_eth = plan
                if bonus_eth < gas_eth * Decimal(repr(1 + s.gas_margin)):
                    if pool.calls_pool in holding:
                        unpaid.inc()
                        log.warning("liquidate unpaid: it holds the vault's LP fills",
                                    extra={"key": key, "bonus_eth": str(bonus_eth), "gas_eth": str(gas_eth)})
                        sends.append(Send(key, margin.address, liquidate_data(pool.account, option_id, size),
                                          "liquidate", gas))
                        continue
                    unprofitable.inc()
                    log.info("skip: bonus below gas", extra={"key": key, "bonus_eth": str(bonus_eth),
                                                             "gas_eth": str(gas_eth)})
                    continue
                data = liquidate_data(pool.account, option_id, size)
                sends.append(Send(key, margin.address, data, "liquidate", gas))
            for out in ctx.txs.submit_batch(sends):
                log.info("liquidate", extra={"key": out.key, "status": out.status, "tx_hash": out.tx_hash})

    return cycle


def liquidate_data(account: str, option_id: int, amount: int) -> str:
    return calldata(LIQUIDATE, ["address", "uint256", "uint256"], [account, option_id, amount])


def _next_shorts(ctx: Context, margin, pools: list[Underwater]) -> list[tuple[int, int] | None]:
    """Per pool, its first short (option id, amount) with no liquidation in flight (one batch)."""
    views = [("eth_call", [{"to": margin.address, "data": calldata(POSITIONS_OF, ["address"], [s.account])}, "latest"])
             for s in pools]
    out = []
    for pool, raw in zip(pools, results(batch(ctx.w3, views)), strict=True):
        ids, amounts = abi_decode(["uint256[]", "uint256[]"], raw)
        pick = None
        for option_id, amount in zip(ids, amounts, strict=True):
            if Option.from_id(option_id).is_call == pool.calls_pool and not ctx.txs.has(
                f"liquidate:{pool.account}:{option_id}"
            ):
                pick = (option_id, amount)
                break
        out.append(pick)
    return out


@dataclass(frozen=True)
class _Prices:
    """What converts a bonus and a gas estimate to ETH, read once per cycle."""

    gas_price: int  # wei per gas: 2 × base fee + 1 gwei, what the sender will offer at most
    spot: Decimal  # quote per base

    @classmethod
    def now(cls, ctx: Context, margin) -> _Prices:
        base = ctx.w3.eth.get_block("latest").get("baseFeePerGas") or 0
        spot, _ = ctx.protocol.spot_oracle.latest_price()
        return cls(2 * base + 10**9, spot)


def _plans(ctx: Context, margin, prices: _Prices, todo: list[tuple[Underwater, int, int]]) -> list:
    """For each (pool, option, amount): (amount, gas limit, bonus in ETH, gas cost in ETH) of the
    largest liquidation allowed — simulated and estimated, so the send need not do it again —
    or None. Every preview goes out in one JSON-RPC batch (a second one for sizes the close
    factor cut down)."""
    sender = ctx.account.address
    sizes = [amount for _, _, amount in todo]

    def calls(method: str, idx: list[int]) -> list[tuple[str, list]]:
        return [(method, [{"from": sender, "to": margin.address,
                           "data": liquidate_data(todo[i][0].account, todo[i][1], sizes[i])}, "latest"])
                for i in idx]

    pending = list(range(len(todo)))
    bonus: dict[int, int] = {}
    for _ in range(2):  # the second round re-asks at the close factor's maximum
        retry = []
        for i, answer in zip(pending, batch(ctx.w3, calls("eth_call", pending)), strict=True):
            if "result" in answer:
                bonus[i] = abi_decode(["uint256"], bytes.fromhex(answer["result"][2:]))[0]
                continue
            name, args = decode_revert(answer["error"].get("data") or "0x")
            if name == "LiquidationTooLarge" and int(args["maxAmount"]) > 0:
                sizes[i] = int(args["maxAmount"])
                retry.append(i)
            else:
                log.info("not liquidatable", extra={"account": todo[i][0].account, "id": todo[i][1], "reason": name})
        pending = retry
    ready = sorted(bonus)
    gas = {}
    for i, answer in zip(ready, batch(ctx.w3, calls("eth_estimateGas", ready)), strict=True):
        if "result" in answer:  # else taken by a rival in between
            gas[i] = int(answer["result"], 16)
    out = []
    for i, (pool, _, _) in enumerate(todo):
        if i not in gas:
            out.append(None)
            continue
        gas_eth = from_units(gas[i] * prices.gas_price, 18)  # wei → ETH
        if pool.calls_pool:
            bonus_eth = from_units(bonus[i], margin.base.decimals)
        else:
            bonus_eth = from_units(bonus[i], margin.quote_token.decimals) / prices.spot
        out.append((sizes[i], int(gas[i] * GAS_HEADROOM), bonus_eth, gas_eth))
    return out
