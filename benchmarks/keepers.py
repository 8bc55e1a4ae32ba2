"""Keeper benchmarks on a real Anvil at a 1-second block time.

    python -m benchmarks.keepers [--accounts 1000] [--reps 3]

- oracle: blocks from a threshold-crossing move (a replayed price series) to its on-chain post;
- liquidator: seconds to scan 10,000 accounts' health (the underwater sellers and empty
  accounts), against asking one account per call; and blocks to liquidate every underwater
  account, against the fewest the block gas limit allows for that much liquidation gas.

Each run (a fresh chain) is repeated ``--reps`` times; the table and targets use the median,
and the JSON line carries ``liquidation_blocks_median``, ``scan_10k_s_median`` and
``oracle_blocks_max_median`` with their ``_min``, ``_max`` and ``_runs``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import threading
import time
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory

from eth_account import Account
from eth_utils import keccak
from rich.console import Console
from rich.table import Table
from web3 import Web3

from benchmarks.report import repeat
from optio.cli.demo.system import write_keeper_config
from optio.keepers.runtime.accounts import scan_health
from optio.keepers.runtime.config import load_config
from optio.keepers.runtime.daemon import Runner
from optio.pricing.svi import SviParams
from optio.sdk.admin import schedule_and_execute, timelock_of
from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.deploy import DeployConfig, deploy_protocol
from optio.sdk.deployment import save_deployment
from optio.sdk.localchain import local_chain
from optio.sdk.market import Option
from optio.sdk.protocol import Protocol

KEEPER = 9
WAD = 10**18
BLOCK_GAS = 30_000_000
FIGURES = ("liquidation_blocks", "scan_10k_s", "oracle_blocks_max")


def _rpc(w3, method, *params):
    return w3.provider.make_request(method, list(params))


def _config(tmp: Path, url: str, manifest: Path, name: str, table: str, key: int) -> Path:
    return write_keeper_config(tmp, name, url, manifest, f"kind = \"dev\"\nindex = {key}", table, interval_s=0.1)


def _start(runner: Runner) -> threading.Thread:
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    return thread


def _ts(w3) -> int:
    return w3.eth.get_block("latest")["timestamp"]


def oracle_latency(w3, url, manifest, protocol, tmp: Path, moves: int = 8) -> list[int]:
    """Blocks between the first block at or after each move and the block that posts it."""
    t0 = _ts(w3) + 3
    rows = [(t0 - 5, 2000)] + [(t0 + 6 * i, 2000 if i % 2 == 0 else 2040) for i in range(1, moves + 1)]
    csv = tmp / "moves.csv"
    csv.write_text("\n".join(f"{t},{p}" for t, p in rows) + "\n")
    table = f'deviation = 0.01\nheartbeat_s = 100000\nsources = [{{kind = "replay", path = "{csv}", max_age_s = 3600}}]'
    runner = Runner("oracle", load_config(_config(tmp, url, manifest, "oracle", table, KEEPER), "oracle"))
    thread = _start(runner)
    deadline = time.monotonic() + 6 * moves + 30
    while _ts(w3) < rows[-1][0] + 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    runner.stop()
    thread.join(30)
    posts = protocol.spot_oracle.contract.events.PricePosted.get_logs(from_block=0)
    blocks = []
    for t, _ in rows[1:]:
        first_seen = next(b for b in range(w3.eth.block_number + 1) if w3.eth.get_block(b)["timestamp"] >= t)
        posted = next(p["blockNumber"] for p in posts if p["args"]["timestamp"] >= t)
        blocks.append(posted - first_seen)
    return blocks


def _send_raw(w3, acct, nonce: int, to: str, data: str, gas: int) -> None:
    tx = {"chainId": 31337, "to": to, "data": data, "value": 0, "gas": gas, "nonce": nonce,
          "maxFeePerGas": 50 * 10**9, "maxPriorityFeePerGas": 10**9, "type": 2}
    w3.eth.send_raw_transaction(acct.sign_transaction(tx).raw_transaction)


def seed_sellers(w3, protocol: Protocol, put: Option, n: int) -> list[str]:
    """``n`` accounts, each selling one put on margin just above its requirement (pre-signed,
    mined in large blocks: the setup is not what is measured)."""
    m, margin, usdc = protocol.market, protocol.margin, protocol.market.quote_token
    accounts = [Account.from_key(keccak(text=f"optio-bench-seller-{i}")) for i in range(n)]
    for a in accounts:
        _rpc(w3, "anvil_setBalance", a.address, hex(10**19))
    _rpc(w3, "evm_setAutomine", False)
    _rpc(w3, "anvil_setBlockGasLimit", hex(2_000_000_000))
    deadline = _ts(w3) + 86400
    collateral = 470 * 10**6
    for a in accounts:
        _send_raw(w3, a, 0, usdc.address, usdc.contract.encode_abi("faucet", args=[collateral]), 100_000)
        _send_raw(w3, a, 1, usdc.address, usdc.contract.encode_abi("approve", args=[margin.address, collateral]),
                  80_000)
        _send_raw(w3, a, 2, margin.address, margin.contract.encode_abi("deposit", args=[False, collateral]), 200_000)
        _send_raw(w3, a, 3, m.address, m.contract.encode_abi("sell", args=[put.id, WAD, 0, deadline]), 800_000)
    while int(_rpc(w3, "txpool_status")["result"]["pending"], 16):
        _rpc(w3, "evm_mine")
    _rpc(w3, "anvil_setBlockGasLimit", hex(BLOCK_GAS))
    _rpc(w3, "evm_setAutomine", True)
    sold = [a.address for a in accounts if margin.call("shortOf", a.address, put.id) == WAD]
    if len(sold) != n:
        raise RuntimeError(f"only {len(sold)} of {n} sellers opened their short")
    return sold


def scan_timing(margin, accounts: list[str]) -> dict[str, float]:
    """The keeper's scan (500 accounts per call, every call in one JSON-RPC batch) against one
    account per call (200 timed, scaled to the whole list)."""
    t = time.perf_counter()
    scan_health(margin, accounts, 500)
    batched = time.perf_counter() - t
    sample = accounts[:200]
    t = time.perf_counter()
    for a in sample:
        margin.call("healthOf", [a])
    one_by_one = (time.perf_counter() - t) * len(accounts) / len(sample)
    return {"scan_10k_s": batched, "scan_10k_one_per_call_s": one_by_one}


def _liquidated(w3, margin, from_block: int) -> int:
    """Liquidated events since ``from_block``: one raw eth_getLogs, counted, not decoded."""
    topic = margin.contract.events.Liquidated().topic
    logs = _rpc(w3, "eth_getLogs", {"fromBlock": hex(from_block), "address": margin.address, "topics": [topic]})
    return len(logs["result"])


def liquidation_blocks(w3, url, manifest, protocol, tmp: Path, sellers: list[str], put: Option, crash) -> dict:
    """The liquidator runs; spot crashes (``crash()`` posts it); blocks from the crash's block
    to the last liquidation's. The keeper runs in a thread of this process, so the wait for it
    counts events (cheap) and scans every seller's health only once all could be done: a scan
    every half second held the interpreter for a good part of the keeper's own planning."""
    margin = protocol.margin
    table = "max_per_cycle = 5000\nbatch_size = 500"
    runner = Runner("liquidator", load_config(_config(tmp, url, manifest, "liquidator", table, 8), "liquidator"))
    thread = _start(runner)
    time.sleep(1.0)  # a cycle or two with everyone healthy
    crash_block = crash()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and (_liquidated(w3, margin, crash_block) < len(sellers)
                                           or scan_health(margin, sellers, 500)):
        time.sleep(0.5)
    runner.stop()
    thread.join(60)
    events = margin.contract.events.Liquidated.get_logs(from_block=crash_block)
    gas = [w3.eth.get_transaction_receipt(e["transactionHash"])["gasUsed"] for e in events[:50]]
    per = int(statistics.median(gas))
    blocks = max(e["blockNumber"] for e in events) - crash_block
    minimum = math.ceil(len(events) * per / BLOCK_GAS)
    per_block = [sum(1 for e in events if e["blockNumber"] == crash_block + i) for i in range(1, blocks + 1)]
    return {"liquidations": len(events), "liquidation_blocks": blocks, "per_block": per_block,
            "minimum_blocks": minimum, "gas_per_liquidation": per, "target_blocks": 1.2 * minimum + 1}


def run(n: int) -> dict:
    with local_chain("anvil") as chain, TemporaryDirectory() as d:
        tmp, w3 = Path(d), chain.w3
        keeper = LocalSigner(dev_account(KEEPER))
        deployer = LocalSigner(dev_account(0))
        deployment = deploy_protocol(w3, deployer, DeployConfig(keeper=keeper.address, timelock_delay=0), save=False)
        manifest = save_deployment(deployment, tmp / "deployment.json")
        p = Protocol(w3, deployment)
        p.spot_oracle.post(keeper, "2000", _ts(w3))
        expiry = _ts(w3) + 7 * 86400
        p.market.list_strikes(keeper, expiry, ["2000"])
        p.vol_oracle.post(keeper, expiry, SviParams(a=0.01, b=0.02, rho=-0.3, m=0.0, sigma=0.1))
        lp = LocalSigner(dev_account(1))
        p.vault("put").asset.faucet(lp, "5000000")
        p.vault("put").deposit(lp, "5000000")
        cfg = list(p.margin.call("config"))
        cfg[5] = WAD  # close factor 100%: one liquidation per account
        schedule_and_execute(deployer, p.margin, "setConfig", tuple(cfg), timelock=timelock_of(p))
        put = Option(expiry, Decimal("2000"), False)
        sellers = seed_sellers(w3, p, put, n)

        _rpc(w3, "evm_setAutomine", False)
        _rpc(w3, "evm_setIntervalMining", 1)
        blocks = oracle_latency(w3, chain.url, manifest, p, tmp)
        _rpc(w3, "evm_setIntervalMining", 0)
        _rpc(w3, "evm_setAutomine", True)

        empty = [Web3.to_checksum_address(keccak(text=f"empty-{i}")[-20:]) for i in range(10_000 - n)]

        def crash() -> int:
            """Spot 2000 → 1700 in the next block: every seller underwater. Returns that block."""
            receipt = p.spot_oracle.post(keeper, "1700", _ts(w3))
            return receipt["blockNumber"]

        # Timed while every seller holds a position (a health with positions costs the most).
        scan = scan_timing(p.margin, sellers + empty)
        _rpc(w3, "evm_setAutomine", False)
        _rpc(w3, "evm_setIntervalMining", 1)
        liq = liquidation_blocks(w3, chain.url, manifest, p, tmp, sellers, put, crash)
    return {"oracle_blocks": blocks, "oracle_blocks_max": max(blocks), **scan, **liq, "accounts": n}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=3, help="runs; figures are their median (default 3)")
    args = parser.parse_args()
    figures = repeat(lambda: run(args.accounts), args.reps, FIGURES)

    def spread(key: str, fmt: str) -> str:
        return f"{figures[key + '_median']:{fmt}} ({figures[key + '_min']:{fmt}}–{figures[key + '_max']:{fmt}})"

    table = Table(title=f"Keepers (Anvil, 1 s blocks): median (min–max) of {args.reps} runs")
    for col in ("measure", "value", "peer / bound", "target"):
        table.add_column(col, justify="left" if col == "measure" else "right")
    ob = figures["oracle_blocks_max_median"]
    table.add_row("oracle: blocks from a 2% move to its post (max of 8)", spread("oracle_blocks_max", "g"), "",
                  f"≤ 1 {'✓' if ob <= 1 else '✗'}")
    s, naive = figures["scan_10k_s_median"], figures["scan_10k_one_per_call_s"]
    table.add_row("scan 10,000 accounts' health (500 per call), s", spread("scan_10k_s", ".2f"),
                  f"one per call: {naive:.1f} s ({naive / figures['scan_10k_s']:.0f}×)",
                  f"≤ 1 {'✓' if s <= 1 else '✗'}")
    lb, tb = figures["liquidation_blocks_median"], figures["target_blocks"]
    table.add_row(f"blocks to liquidate {figures['liquidations']:,} underwater accounts",
                  spread("liquidation_blocks", "g"),
                  f"minimum {figures['minimum_blocks']} at {figures['gas_per_liquidation']:,} gas each; "
                  f"per block {figures['per_block']}", f"≤ {tb:.1f} {'✓' if lb <= tb else '✗'}")
    Console(highlight=False, width=160).print(table)
    print(json.dumps(figures, separators=(",", ":")))


if __name__ == "__main__":
    main()
