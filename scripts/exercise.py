"""ape run exercise --expiry E --strike K --type call|put  (pays every holder of a settled option)"""

import click
from ape.cli import account_option

from optio.cli import trade as trade_actions
from optio.cli.ape import ApeScript, ApeSigner, protocol_from
from optio.cli.errors import one_line_errors


@click.command(cls=ApeScript, short_help="Pay the holders of a settled Optio option")
@account_option()
@trade_actions.option_options
def cli(provider, account, expiry, strike, right):
    with one_line_errors():
        option = trade_actions.parse_option(expiry, strike, right)
        trade_actions.exercise(protocol_from(provider), ApeSigner(account), option, ())
