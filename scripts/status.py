"""ape run status [--vault call|put|all] [--account ALIAS]"""

import click
from ape.cli import account_option

from optio.cli import lp as lp_actions
from optio.cli.ape import ApeScript, protocol_from
from optio.cli.errors import one_line_errors
from optio.cli.options import vaults_option


@click.command(cls=ApeScript, short_help="Show Optio vaults and your position")
@account_option()
@vaults_option
def cli(provider, account, vault):
    with one_line_errors():
        lp_actions.status(protocol_from(provider), str(account.address), vault)
