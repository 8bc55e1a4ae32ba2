"""`optio backtest`: a price path and seeded agents through the real contracts (a fresh local
Anvil, time warped) or the chain-free model; a report folder; parameter sweeps in the model."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from optio.cli.errors import one_line_errors
from optio.cli.render import console
from optio.sdk.errors import InvalidInput
from optio.sim.backtest.agreement import REL_TOL, agrees, compare
from optio.sim.backtest.driver import ASSET, VAULTS
from optio.sim.backtest.report import write_report
from optio.sim.backtest.result import Result
from optio.sim.backtest.run import MODES, run_backtest
from optio.sim.backtest.scenario import Scenario, scenario_from


def _settings(pairs: tuple[str, ...]) -> dict[str, str]:
    """``KEY=VALUE`` pairs (scenario fields) as a dict; one readable line if malformed."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key.strip() not in Scenario.model_fields:
            raise InvalidInput(f"--set {pair!r}: expected FIELD=VALUE with FIELD one of the scenario's fields "
                               "(see `optio backtest --help`)")
        out[key.strip()] = value.strip()
    return out


def _run(scenario: Scenario, mode: str, quiet: bool) -> Result:
    if quiet:
        return run_backtest(scenario, mode)
    columns = (TextColumn(f"[bold]{mode}"), BarColumn(), MofNCompleteColumn(), TextColumn("steps"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(mode, total=scenario.steps)
        return run_backtest(scenario, mode, lambda step, steps: bar.update(task, completed=step))


def _summary_table(result: Result) -> Table:
    """One row per figure, one column per vault (in its asset): fits 80 columns."""
    table = Table(title=f"{result.mode} backtest: {result.scenario.days:g} days, seed {result.scenario.seed}")
    table.add_column("figure")
    for vault in VAULTS:
        table.add_column(f"{vault} vault ({ASSET[vault]})", justify="right")
    pnl = {vault: result.pnl_breakdown(vault) for vault in VAULTS}
    rows = [
        ("NAV", lambda v: f"{result.nav[v][-1]:,.4f}"),
        ("share price", lambda v: f"{result.share_price[v][-1]:.6f}"),
        ("premiums (at mid)", lambda v: f"{pnl[v]['premiums']:,.4f}"),
        ("fees (AMM edge)", lambda v: f"{pnl[v]['fees']:,.4f}"),
        ("option P&L", lambda v: f"{pnl[v]['option_pnl']:,.4f}"),
        ("liquidations", lambda v: f"{pnl[v]['liquidations']:,.4f}"),
        ("LP P&L", lambda v: f"{pnl[v]['total']:,.4f}"),
        ("max utilisation", lambda v: f"{max(result.utilisation[v]):.1%}"),
        ("max drawdown (share price)", lambda v: f"{result.max_drawdown(v):.2%}"),
        ("LP yield, annualised", lambda v: f"{result.annualised_yield(v):+.2%}"),
    ]
    for name, cell in rows:
        table.add_row(name, *(cell(v) for v in VAULTS))
    return table


@click.command()
@click.option("--prices", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV of `timestamp,price` to replay (default: a seeded GBM with jumps)")
@click.option("--days", type=float, default=30.0, show_default=True, help="Length of the backtest, days")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the path and the agents")
@click.option("--mode", type=click.Choice(MODES), default="chain", show_default=True,
              help="chain: the real contracts on a fresh local Anvil; model: no chain, seconds")
@click.option("--start", type=int, help="Unix time of the first step (default 2027-01-01 00:00 UTC)")
@click.option("--set", "settings", multiple=True, metavar="FIELD=VALUE",
              help="Any scenario field, e.g. --set traders=40 --set half_spread=0.03 (repeatable)")
@click.option("--sweep", metavar="FIELD=V1,V2,…", help="Model mode: one run per value, a table of the results")
@click.option("--compare", "both", is_flag=True, help="Run both modes and check that they agree")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports/backtest"),
              show_default=True, help="Report folder (plots, index.html, figures.json)")
@click.option("--trades-csv", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write every filled trade to this CSV (time, trader, kind, vault, option, amount, premium, "
                   "mid value, edge)")
@click.option("--quiet", is_flag=True, help="No progress bar")
@one_line_errors()
def backtest(prices: Path | None, days: float, seed: int, mode: str, start: int | None, settings: tuple[str, ...],
             sweep: str | None, both: bool, out: Path, trades_csv: Path | None, quiet: bool) -> None:
    """Replay a price path through the protocol with seeded LPs and traders; write a report.

    The last line printed is the figures as one JSON object."""
    values: dict = {"days": days, "seed": seed, **_settings(settings)}
    if prices is not None:
        values["prices"] = prices
    if start is not None:
        values["start"] = start
    scenario = scenario_from(values)
    if trades_csv is not None and (sweep or both):
        raise InvalidInput("--trades-csv goes with a single run (not --sweep or --compare)")
    if trades_csv is not None and not trades_csv.absolute().parent.is_dir():
        raise InvalidInput(f"--trades-csv {trades_csv}: folder {trades_csv.absolute().parent} does not exist")
    if sweep:
        _sweep(scenario, sweep)
        return
    if both:
        _compare(scenario, quiet)
        return
    result = _run(scenario, mode, quiet)
    page = write_report(result, out)
    console.print(_summary_table(result))
    console.print(f"Report: {page} ({result.elapsed_s:.1f} s)")
    if trades_csv is not None:
        console.print(f"Trades: {trades_csv} ({result.write_trades_csv(trades_csv)} rows)")
    print(json.dumps(result.summary()))


def _sweep(base: Scenario, spec: str) -> None:
    """One model run per value of one field; a table and a JSON line of the results."""
    field, sep, raw = spec.partition("=")
    field = field.strip()
    if not sep or field not in Scenario.model_fields or not raw:
        raise InvalidInput(f"--sweep {spec!r}: expected FIELD=V1,V2,… with FIELD one of the scenario's fields")
    table = Table(title=f"model sweep of {field} ({base.days:g} days, seed {base.seed})")
    for col in (field, "call LP P&L (WETH)", "put LP P&L (USDC)", "call fees", "put fees", "trades",
                "declined (price)", "refused", "bad debt (USDC)", "run (s)"):
        table.add_column(col, justify="right", overflow="fold")
    rows = []
    for value in raw.split(","):
        scenario = scenario_from({**base.model_dump(), field: value.strip()})
        r = run_backtest(scenario, "model")
        trades = sum(v for k, v in r.counts.items() if k.startswith("trades:"))
        row = {field: value.strip(), "call_pnl": r.lp_pnl("call"), "put_pnl": r.lp_pnl("put"),
               "call_fees": r.ledger["call"].fees, "put_fees": r.ledger["put"].fees, "trades": trades,
               "declined": r.counts.get("declined:price", 0), "refused": sum(r.rejected.values()),
               "put_bad_debt": r.bad_debt["put"], "elapsed_s": r.elapsed_s}
        rows.append(row)
        table.add_row(row[field], f"{row['call_pnl']:,.4f}", f"{row['put_pnl']:,.2f}", f"{row['call_fees']:,.4f}",
                      f"{row['put_fees']:,.2f}", str(trades), str(row["declined"]), str(row["refused"]),
                      f"{row['put_bad_debt']:,.2f}", f"{r.elapsed_s:.2f}")
    console.print(table)
    print(json.dumps({"sweep": field, "rows": rows}))


def _compare(scenario: Scenario, quiet: bool) -> None:
    """Both modes on one scenario; a table of the largest gaps; exit 1 if they disagree."""
    model, chain = _run(scenario, "model", quiet), _run(scenario, "chain", quiet)
    gaps = compare(model, chain)
    table = Table(title=f"model against chain, {scenario.days:g} days, seed {scenario.seed} (largest gaps first)",
                  caption="gap = |model − chain| in the figure's unit; relative gap = that over the larger value "
                          "(P&L parts: over the vault's deposits); the modes agree when every relative gap "
                          f"≤ {REL_TOL:g}")
    for col in ("figure", "unit", "model", "chain", "gap", "relative gap"):
        table.add_column(col, justify="right", overflow="fold")
    for g in gaps[:12]:
        table.add_row(g.figure, g.unit, f"{g.model:,.9g}", f"{g.chain:,.9g}", f"{g.absolute:.3g}",
                      f"{g.relative:.2e}")
    console.print(table)
    ok = agrees(gaps)
    worst = gaps[0] if gaps else None
    console.print(("[green]✓ the modes agree[/]" if ok else "[red]✗ the modes disagree[/]")
                  + (f": largest relative gap {worst.relative:.2e} ({worst.figure}, {worst.absolute:.3g} {worst.unit})"
                     if worst else ""))
    print(json.dumps({"agree": ok, "max_gap": worst.relative if worst else 0.0, "max_gap_unit": "relative",
                      "max_gap_figure": worst.figure if worst else None,
                      "max_gap_absolute": worst.absolute if worst else 0.0,
                      "max_gap_absolute_unit": worst.unit if worst else None,
                      "rel_tol": REL_TOL, "model_s": model.elapsed_s, "chain_s": chain.elapsed_s}))
    if not ok:
        raise SystemExit(1)
