"""ape run quote --expiry E --strike K --type call|put [--side buy] [--amount 1]"""

import click
from ape.cli import account_option

from optio.cli import trade as trade_actions
from optio.cli.ape import ApeScript, protocol_from
from optio.cli.errors import one_line_errors


@click.command(cls=ApeScript, short_help="Quote an Optio option (chain and engine)")
@account_option()
@trade_actions.option_options
@click.option("--side", type=click.Choice(list(trade_actions.SIDES)), default="buy", show_default=True)
@click.option("--amount", default="1", show_default=True, help="Options (1 = one option on one WETH)")
def cli(provider, account, expiry, strike, right, side, amount):
    with one_line_errors():
        option = trade_actions.parse_option(expiry, strike, right)
        trade_actions.show_quote(protocol_from(provider), option, side, amount)
