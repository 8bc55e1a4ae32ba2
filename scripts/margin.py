"""ape run margin --action deposit|withdraw|status [--side call|put --amount N]"""

import click
from ape.cli import account_option

from optio.errors import InvalidInput
from scripts import _trade
from scripts._ape import ApeScript, ApeSigner, protocol_from
from scripts._errors import one_line_errors


@click.command(cls=ApeScript, short_help="Optio margin account")
@account_option()
@click.option("--action", type=click.Choice(["deposit", "withdraw", "status"]), default="status")
@click.option("--side", type=click.Choice(["call", "put"]), default=None, help="call (WETH) or put (USDC)")
@click.option("--amount", default=None)
def cli(provider, account, action, side, amount):
    with one_line_errors():
        protocol = protocol_from(provider)
        if action == "status":
            _trade.margin_status(protocol, str(account.address))
            return
        if side is None or amount is None:
            raise InvalidInput(f"margin {action} needs --side and --amount")
        fn = _trade.margin_deposit if action == "deposit" else _trade.margin_withdraw
        fn(protocol, ApeSigner(account), side, amount)
