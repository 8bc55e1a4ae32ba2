"""`optio price`, `optio iv` and `optio surface fit`: a quick look with the pricing engine (no chain).

`optio price` and `optio iv` price one option: they take the engine's scalar path,
:mod:`optio.pricing.scalar` (pure Python, the same mathematics to ~1e-12, implied vol to the
conditioning of the price), and so start in a fraction of the second that numpy, numba and
scipy take to load (``python -m benchmarks.cli``: ``cli_price_s``, ``cli_iv_s``). `optio surface
fit` inverts and fits a whole chain: the vectorised engine, loaded inside the command, so that
the help of these commands loads none of it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import click
from rich.table import Table

from optio.cli.render import console

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([mhdwy])$")
_YEARS_PER_UNIT = {"m": 1 / 525600, "h": 1 / 8760, "d": 1 / 365, "w": 7 / 365, "y": 1.0}


def parse_expiry(text: str) -> float:
    """'30d', '2w', '6h', '15m', '0.5y' or a plain number of years → years."""
    match = _DURATION.match(text.strip().lower())
    if match:
        return float(match.group(1)) * _YEARS_PER_UNIT[match.group(2)]
    try:
        years = float(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: give years (0.25) or a duration like 30d, 2w, 6h, 15m") from None
    if not math.isfinite(years) or years < 0:
        raise click.BadParameter(f"{text!r}: expiry must be ≥ 0")
    return years


def _positive(name: str, value: float) -> float:
    if not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"{name} must be a positive number, got {value}")
    return value


def _market_options(fn):
    for option in reversed([
        click.option("--spot", type=float, required=True, help="Spot price of the underlying"),
        click.option("--strike", type=float, required=True, help="Strike price"),
        click.option("--expiry", required=True, help="Time to expiry: years (0.25) or 30d / 2w / 6h / 15m"),
        click.option("--type", "right", type=click.Choice(["call", "put"]), required=True),
        click.option("--rate", type=float, default=0.0, show_default=True, help="Continuous rate per year"),
        click.option("--dividend", type=float, default=0.0, show_default=True, help="Continuous yield per year"),
    ]):
        fn = option(fn)
    return fn


@click.command("price")
@_market_options
@click.option("--vol", type=float, required=True, help="Annualised vol, 0.6 = 60%")
def price_command(spot, strike, expiry, right, rate, dividend, vol) -> None:
    """Black-Scholes-Merton price and Greeks of one option."""
    from optio.pricing.scalar import PricingInputError, bsm_greeks

    if not (math.isfinite(vol) and vol >= 0):
        raise click.BadParameter(f"--vol must be ≥ 0, got {vol}")
    try:
        g = bsm_greeks(_positive("--spot", spot), _positive("--strike", strike), parse_expiry(expiry), vol,
                       is_call=right == "call", rate=rate, dividend=dividend)
    except PricingInputError as exc:  # a rate that is not finite, a forward that overflows
        raise click.ClickException(str(exc)) from None
    table = Table(title=f"{right} K={strike:g} on S={spot:g}, T={expiry}, σ={vol:.2%}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for name, value, unit in (
        ("price", g.price, "per option"), ("delta", g.delta, "per 1 of spot"), ("gamma", g.gamma, "per 1 of spot²"),
        ("vega", g.vega_per_point, "per vol point"), ("theta", g.theta_per_day, "per day"),
        ("rho", g.rho / 100, "per 1% of rate"), ("vanna", g.vanna, "delta per 1.00 vol"),
        ("volga", g.volga, "vega per 1.00 vol"),
    ):
        table.add_row(name, f"{float(value):,.6g}", unit)
    console.print(table)


@click.command("iv")
@_market_options
@click.option("--price", "premium", type=float, required=True, help="Option price")
def iv_command(spot, strike, expiry, right, rate, dividend, premium) -> None:
    """Implied volatility of one price (Let's Be Rational)."""
    from optio.pricing import scalar

    result = scalar.implied_vol_bsm(premium, _positive("--spot", spot), _positive("--strike", strike),
                                    parse_expiry(expiry), is_call=right == "call", rate=rate, dividend=dividend)
    if result.status == scalar.NO_INFORMATION:
        # Not an error, and not 0%: every small enough vol gives this price.
        console.print(f"implied vol: no information (price {premium} is the intrinsic value, or its time value "
                      "is too small to resolve: any small enough vol gives it)")
        return
    if result.status != scalar.OK:
        raise click.ClickException(f"no implied vol: {result.reason.lower().replace('_', ' ')} for price {premium}")
    console.print(f"implied vol {result.vol:.12%}")


@click.group("surface")
def surface_group() -> None:
    """Volatility surfaces from option-chain snapshots."""


@surface_group.command("fit")
@click.argument("snapshot", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--venue", type=click.Choice(["deribit", "okx", "binance"]), default=None, help="Default: from the shape")
@click.option("--underlying", default=None, help="e.g. BTC (default: every underlying in the file)")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write smiles to this PNG")
@click.option("--wad", is_flag=True, help="Also print the VolOracle's 18-decimal integers")
def surface_fit(snapshot: Path, venue: str | None, underlying: str | None, plot: Path | None, wad: bool) -> None:
    """Normalise a snapshot, fit SVI per expiry, check static arbitrage, and show (or plot) the smiles."""
    from optio.pricing.chains import RowError, load_snapshot
    from optio.pricing.market_surface import fit_chain
    from optio.pricing.oracle_units import OracleRangeError, svi_to_wad

    try:
        chain = load_snapshot(snapshot, venue)
        fit, smiles = fit_chain(chain.quotes, underlying)
    except (RowError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    for row in chain.rejected:
        console.print(f"[yellow]rejected[/] row {row.index} {row.instrument}: {row.reason}")
    table = Table(title=f"{snapshot.name}: {len(chain.quotes)} quotes, surface {fit.method}")
    for col in ("expiry (y)", "a", "b", "rho", "m", "sigma", "ATM vol", "RMSE vol"):
        table.add_column(col, justify="right")
    for t, p, rmse in zip(fit.expiry_years, fit.slices, fit.rmse_vol, strict=True):
        table.add_row(f"{t:.4f}", *(f"{v:.6g}" for v in (p.a, p.b, p.rho, p.m, p.sigma)),
                      f"{float(p.implied_vol(0.0, t)):.2%}", f"{rmse:.4f}")
    console.print(table)
    for reason in fit.reasons:
        console.print(f"[yellow]arbitrage[/] {reason}")
    if wad:
        for t, p in zip(fit.expiry_years, fit.slices, strict=True):
            try:
                console.print(f"T={t:.4f}y wad (a, b, rho, m, sigma) = {svi_to_wad(p)}")
            except OracleRangeError as exc:
                console.print(f"T={t:.4f}y not postable: {exc}")
    if plot is not None:
        from optio.cli.smile_plot import plot_smiles

        plot_smiles(fit, smiles, plot, title=snapshot.name)
        console.print(f"[green]✓[/] smiles written to {plot}")
    if not fit.accepted:
        raise click.ClickException("surface rejected: " + "; ".join(fit.reasons))
