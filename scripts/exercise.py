"""ape run exercise --expiry E --strike K --type call|put  (pays every holder of a settled option)"""

import click
from ape.cli import account_option

from scripts import _trade
from scripts._ape import ApeScript, ApeSigner, protocol_from
from scripts._errors import one_line_errors


@click.command(cls=ApeScript, short_help="Pay the holders of a settled Optio option")
@account_option()
@_trade.option_options
def cli(provider, account, expiry, strike, kind):
    with one_line_errors():
        option = _trade.parse_option(expiry, strike, kind)
        _trade.exercise(protocol_from(provider), ApeSigner(account), option, ())
