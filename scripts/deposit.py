"""ape run deposit --vault put --amount 1000 [--account ALIAS] [--network ...]"""

import click
from ape.cli import account_option

from optio.cli import lp as lp_actions
from optio.cli.ape import ApeScript, ApeSigner, protocol_from
from optio.cli.errors import one_line_errors
from optio.cli.options import vault_option


@click.command(cls=ApeScript, short_help="Deposit into an Optio vault")
@account_option()
@vault_option("call (WETH) or put (USDC)")
@click.option("--amount", required=True, help="Asset amount, e.g. 1000 (USDC) or 1.5 (WETH)")
def cli(provider, account, vault, amount):
    with one_line_errors():
        lp_actions.deposit(protocol_from(provider), ApeSigner(account), vault, amount)
