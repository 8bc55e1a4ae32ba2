"""What the LP commands print: shared by the ape scripts and the `optio` command."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:  # annotations only: printing needs neither web3 nor the SDK
    from web3.types import TxReceipt

    from optio.sdk.contracts import RequestView, VaultStatus

#: soft_wrap: a line longer than the terminal is left whole (the terminal folds it), so a log
#: line never splits a figure from its label.
console = Console(highlight=False, soft_wrap=True)


def _text(cell) -> str:
    return cell.plain if hasattr(cell, "plain") else str(cell)


def show(table: Table, drop: tuple[str, ...] = ()) -> None:
    """Print ``table`` without ever cutting a number ('…'), at 80 columns or in a log: a number
    column is as wide as its widest figure, text wraps between words; if that is still too wide,
    the columns named in ``drop`` go, in that order; if even that is not enough, the table is
    printed wider than the terminal rather than with a cut figure."""
    for column in table.columns:
        cells = [_text(c) for c in column.cells] + [_text(column.header)]
        if column.justify == "right":
            column.no_wrap = True
            column.min_width = max(len(c) for c in cells)
        else:
            column.min_width = max((len(w) for c in cells for w in c.split()), default=1)
    width = console.width

    def least() -> int:  # every figure whole, text wrapped at its longest word; box and padding
        return sum(c.min_width for c in table.columns) + 3 * len(table.columns) + 1

    for name in drop:
        if least() <= width:
            break
        table.columns[:] = [c for c in table.columns if _text(c.header) != name]
    if least() <= width:
        console.print(table)
    else:
        console.print(table, width=console.measure(table).maximum)


def tx_list(receipts: list[TxReceipt]) -> list[dict]:
    """Receipts as JSON-ready rows: hash, block, gas."""
    return [{"tx": r["transactionHash"].to_0x_hex(), "block": r["blockNumber"], "gas": r["gasUsed"]}
            for r in receipts]


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
        ("LP flows", lambda s: "instant" if s.instant_flows_open else "requests (options live)"),
        ("queued deposits", lambda s: _fmt(s.pending_deposits)),
        ("queued shares", lambda s: _fmt(s.pending_shares)),
        ("claims reserved", lambda s: _fmt(s.claimable_total)),
        ("deposits", lambda s: "paused" if s.paused else "open"),
        ("your shares", lambda s: _fmt(s.owner_shares)),
        ("your position", lambda s: _fmt(s.owner_assets)),
        ("withdrawable now", lambda s: _fmt(s.owner_max_withdraw)),
        ("wallet balance", lambda s: _fmt(s.owner_wallet)),
        ("your requests", lambda s: ", ".join(f"#{r.request_id} {r.kind} {r.status}" for r in s.owner_requests)
         or "—"),
    ]
    for label, fn in rows:
        table.add_row(label, *(fn(s) for s in statuses.values()))
    return table


def _utc(t: int | None) -> str:
    if t is None:
        return "—"
    from optio.sdk.utc import utc_time

    return utc_time(t)


def requests_table(found: dict[str, list[RequestView]], owner: str) -> Table:
    """Deposit and redeem requests, per vault: amounts in the asset's and share's units; while
    pending, when made and when anyone (not only the keeper) may fill them."""
    table = Table(title=f"Optio LP requests — {owner}", title_justify="left")
    for col, justify in (("vault", "left"), ("id", "right"), ("kind", "left"), ("status", "left"),
                         ("assets", "right"), ("shares", "right"), ("requested", "left"),
                         ("anyone may fill from", "left")):
        table.add_column(col, justify=justify)
    for vault, rows in found.items():
        for r in rows:
            table.add_row(vault, f"#{r.request_id}", r.kind, r.status, f"{_fmt(r.assets)} {r.asset_symbol}",
                          f"{_fmt(r.shares)} {r.share_symbol}", _utc(r.requested_at), _utc(r.fillable_by_anyone_at))
    if not table.rows:
        table.add_row("—", "", "no request", "", "", "", "", "")
    return table


def print_receipts(action: str, receipts: list[TxReceipt]) -> None:
    for r in receipts:
        tx = r["transactionHash"].to_0x_hex()
        console.print(f"[green]✓[/] {action}: tx {tx} (block {r['blockNumber']}, gas {r['gasUsed']:,})")
