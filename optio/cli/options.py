"""Which option, which vault and how much: the options of the trade and LP commands and the ape
scripts (light: no web3, no SDK, so `optio trade … --help` answers at once)."""

from __future__ import annotations

import click

from optio.cli.params import AMOUNT

#: Trade sides as typed (optio.cli.trade.SIDES maps them to the market's TradeKind).
SIDE_NAMES = ("buy", "sell", "close-long", "close-short")


def option_options(fn):
    """--expiry/--strike/--type: which option, for the `optio` command and the ape scripts."""
    fn = click.option("--type", "right", type=click.Choice(["call", "put"]), required=True)(fn)
    fn = click.option("--strike", required=True, help="Strike in USDC, e.g. 2000")(fn)
    return click.option("--expiry", required=True, help="Unix seconds or ISO date (2026-12-25 = 08:00 UTC)")(fn)


def order_options(fn):
    """--amount/--limit/--slippage of a buy or a sell."""
    fn = click.option("--slippage", default="0.01", show_default=True, help="Fraction of the quote")(fn)
    limit_help = "Premium limit in the collateral token (default: quote ± slippage)"
    fn = click.option("--limit", default=None, type=AMOUNT, help=limit_help)(fn)
    return click.option("--amount", required=True, type=AMOUNT, help="Options (1 = one option on one WETH)")(fn)


def vault_option(help: str | None = None):
    """--vault call|put (required): the vault an LP action is on."""
    return click.option("--vault", type=click.Choice(["call", "put"]), required=True, help=help)


def vaults_option(fn):
    """--vault call|put|all (default all): the vaults an LP query reads."""
    return click.option("--vault", type=click.Choice(["call", "put", "all"]), default="all")(fn)
