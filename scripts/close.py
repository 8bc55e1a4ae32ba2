"""ape run close --expiry E --strike K --type call|put [--amount N]"""

import click
from ape.cli import account_option

from optio.cli import trade as trade_actions
from optio.cli.ape import ApeScript, ApeSigner, protocol_from
from optio.cli.errors import one_line_errors


@click.command(cls=ApeScript, short_help="Close an Optio long or margin short")
@account_option()
@trade_actions.option_options
@click.option("--amount", default=None, help="Options (default: the whole position)")
def cli(provider, account, expiry, strike, right, amount):
    with one_line_errors():
        option = trade_actions.parse_option(expiry, strike, right)
        trade_actions.close(protocol_from(provider), ApeSigner(account), option, amount)
