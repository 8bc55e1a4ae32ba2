"""ape run quote --expiry E --strike K --type call|put [--side buy] [--amount 1]"""

import click
from ape.cli import account_option

from scripts import _trade
from scripts._ape import ApeScript, protocol_from
from scripts._errors import one_line_errors


@click.command(cls=ApeScript, short_help="Quote an Optio option (chain and engine)")
@account_option()
@_trade.option_options
@click.option("--side", type=click.Choice(list(_trade.SIDES)), default="buy", show_default=True)
@click.option("--amount", default="1", show_default=True, help="Options (1 = one option on one WETH)")
def cli(provider, account, expiry, strike, kind, side, amount):
    with one_line_errors():
        _trade.show_quote(protocol_from(provider), _trade.parse_option(expiry, strike, kind), side, amount)
