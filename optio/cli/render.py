"""What the LP commands print: shared by the ape scripts and the `optio` command."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from rich.table import Table
from web3.types import TxReceipt

from optio.sdk.contracts import VaultStatus

console = Console(highlight=False)


def _fmt(value: Decimal, places: int = 6) -> str:
    return f"{value:,.{places}f}"


def status_table(statuses: dict[str, VaultStatus], owner: str) -> Table:
    table = Table(title=f"Optio vaults — LP {owner}", title_justify="left")
    table.add_column("")
    for key, s in statuses.items():
        table.add_column(f"{key} vault ({s.symbol}, {s.asset_symbol})", justify="right")
    rows = [
        ("total assets", lambda s: _fmt(s.total_assets)),
        ("total shares", lambda s: _fmt(s.total_shares)),
        ("share price", lambda s: _fmt(s.share_price, 8)),
        ("free liquidity", lambda s: _fmt(s.free_liquidity)),
        ("locked collateral", lambda s: _fmt(s.locked)),
        ("queued shares", lambda s: _fmt(s.pending_shares)),
        ("claims reserved", lambda s: _fmt(s.claimable_total)),
        ("deposits", lambda s: "paused" if s.paused else "open"),
        ("your shares", lambda s: _fmt(s.owner_shares)),
        ("your position", lambda s: _fmt(s.owner_assets)),
        ("withdrawable now", lambda s: _fmt(s.owner_max_withdraw)),
        ("wallet balance", lambda s: _fmt(s.owner_wallet)),
        ("your requests", lambda s: ", ".join(f"#{r.request_id} {r.status}" for r in s.owner_requests) or "—"),
    ]
    for label, fn in rows:
        table.add_row(label, *(fn(s) for s in statuses.values()))
    return table


def print_receipts(action: str, receipts: list[TxReceipt]) -> None:
    for r in receipts:
        tx = r["transactionHash"].to_0x_hex()
        console.print(f"[green]✓[/] {action}: tx {tx} (block {r['blockNumber']}, gas {r['gasUsed']:,})")
