"""ape run margin --action deposit|withdraw|status [--side call|put --amount N]"""

import click
from ape.cli import account_option

from optio.cli import trade as trade_actions
from optio.cli.ape import ApeScript, ApeSigner, protocol_from
from optio.cli.errors import one_line_errors
from optio.sdk.errors import InvalidInput


@click.command(cls=ApeScript, short_help="Optio margin account")
@account_option()
@click.option("--action", type=click.Choice(["deposit", "withdraw", "status"]), default="status")
@click.option("--side", type=click.Choice(["call", "put"]), default=None, help="call (WETH) or put (USDC)")
@click.option("--amount", default=None)
def cli(provider, account, action, side, amount):
    with one_line_errors():
        protocol = protocol_from(provider)
        if action == "status":
            trade_actions.margin_status(protocol, str(account.address))
            return
        if side is None or amount is None:
            raise InvalidInput(f"margin {action} needs --side and --amount")
        fn = trade_actions.margin_deposit if action == "deposit" else trade_actions.margin_withdraw
        fn(protocol, ApeSigner(account), side, amount)
