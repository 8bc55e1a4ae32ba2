"""ape run withdraw --vault put (--amount 500 | --all) [--queue] [--claim]"""

import click
from ape.cli import account_option

from optio.cli import lp as lp_actions
from optio.cli.ape import ApeScript, ApeSigner, protocol_from
from optio.cli.errors import one_line_errors
from optio.cli.options import vault_option


@click.command(cls=ApeScript, short_help="Withdraw from an Optio vault")
@account_option()
@vault_option()
@click.option("--amount", default=None, help="Asset amount to withdraw")
@click.option("--all", "withdraw_all", is_flag=True, help="Withdraw the whole position")
@click.option("--queue", is_flag=True, help="Queue what free liquidity cannot pay now")
@click.option("--claim", "claim_only", is_flag=True, help="Only claim fulfilled queued requests")
def cli(provider, account, vault, amount, withdraw_all, queue, claim_only):
    with one_line_errors():
        protocol, signer = protocol_from(provider), ApeSigner(account)
        if claim_only:
            lp_actions.claim(protocol, signer, vault)
            return
        if (amount is None) == (not withdraw_all):
            raise click.UsageError("give exactly one of --amount or --all")
        lp_actions.withdraw(protocol, signer, vault, amount, queue)
