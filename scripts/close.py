"""ape run close --expiry E --strike K --type call|put [--amount N]"""

import click
from ape.cli import account_option

from scripts import _trade
from scripts._ape import ApeScript, ApeSigner, protocol_from
from scripts._errors import one_line_errors


@click.command(cls=ApeScript, short_help="Close an Optio long or margin short")
@account_option()
@_trade.option_options
@click.option("--amount", default=None, help="Options (default: the whole position)")
def cli(provider, account, expiry, strike, kind, amount):
    with one_line_errors():
        _trade.close(protocol_from(provider), ApeSigner(account), _trade.parse_option(expiry, strike, kind), amount)
