"""ape run sell --expiry E --strike K --type call|put --amount N [--limit P] [--slippage 0.01]"""

import click
from ape.cli import ConnectedProviderCommand, account_option

from scripts import _trade
from scripts._ape import ApeSigner, protocol_from
from scripts._errors import one_line_errors


@click.command(cls=ConnectedProviderCommand, short_help="Sell Optio options")
@account_option()
@_trade.option_options
@click.option("--amount", required=True, help="Options (1 = one option on one WETH)")
@click.option("--limit", default=None, help="Premium limit in the collateral token")
@click.option("--slippage", default="0.01", show_default=True)
def cli(provider, account, expiry, strike, kind, amount, limit, slippage):
    with one_line_errors():
        option = _trade.parse_option(expiry, strike, kind)
        _trade.trade(protocol_from(provider), ApeSigner(account), option, "sell", amount, limit, slippage)
