"""`optio lp …`: deposit, withdraw, claim, cancel, requests and status of vault positions.

While a vault holds live options, its LP flows are requests filled at a later mark (docs/lp-flows.md):
deposit and withdraw then queue, the keeper fills, claim pays a filled withdrawal."""

from __future__ import annotations

import click

from optio.cli.context import Context, json_option, one_line_errors
from optio.cli.options import vault_option, vaults_option
from optio.cli.params import AMOUNT


@click.group()
def lp() -> None:
    """Deposit, withdraw, claim and inspect vault positions."""


@lp.command("deposit")
@vault_option("call (WETH) or put (USDC)")
@click.option("--amount", required=True, type=AMOUNT, help="Asset amount, e.g. 1000 (USDC) or 1.5 (WETH)")
@click.option("--preview", is_flag=True, help="Show the shares it would mint; send nothing")
@click.option("--min-shares", type=AMOUNT, default=None, help="Refuse (nothing sent) if it would mint fewer shares")
@json_option
@click.pass_obj
@one_line_errors
def lp_deposit(ctx: Context, vault: str, amount: str, preview: bool, min_shares: str | None, as_json: bool) -> None:
    """Deposit AMOUNT of the vault's asset: at once while the vault holds no live option, else
    as a request filled at a later mark (the keeper's next fill; shares minted to you then)."""
    from optio.cli import lp as actions

    actions.deposit(*ctx.protocol_and_signer(), vault, amount, preview=preview, min_shares=min_shares,
                    as_json=as_json)


@lp.command("withdraw")
@vault_option()
@click.option("--amount", default=None, type=AMOUNT, help="Asset amount to withdraw")
@click.option("--all", "withdraw_all", is_flag=True, help="Withdraw the whole position")
@click.option("--queue", is_flag=True, help="Queue what free liquidity cannot pay now (claim it once filled); "
              "implied while the vault holds live options (all of it is queued then)")
@click.option("--preview", is_flag=True, help="Show what it would pay now and queue, and the fee; send nothing")
@click.option("--min-assets", type=AMOUNT, default=None,
              help="Refuse (nothing sent) if it would pay and queue less than this")
@json_option
@click.pass_obj
@one_line_errors
def lp_withdraw(ctx: Context, vault: str, amount: str | None, withdraw_all: bool, queue: bool, preview: bool,
                min_assets: str | None, as_json: bool) -> None:
    """Withdraw now what free liquidity allows; with --queue, queue the rest. While the vault
    holds live options, all of it is queued: filled at a later mark, then optio lp claim."""
    if (amount is None) == (not withdraw_all):
        raise click.UsageError("give exactly one of --amount or --all")
    from optio.cli import lp as actions

    actions.withdraw(*ctx.protocol_and_signer(), vault, amount, queue, preview=preview, min_assets=min_assets,
                     as_json=as_json)


@lp.command("claim")
@vault_option()
@json_option
@click.pass_obj
@one_line_errors
def lp_claim(ctx: Context, vault: str, as_json: bool) -> None:
    """Claim filled queued withdrawals (filling the queue first when you may)."""
    from optio.cli import lp as actions

    actions.claim(*ctx.protocol_and_signer(), vault, as_json=as_json)


@lp.command("cancel")
@click.argument("request_id", type=click.IntRange(0))
@vault_option()
@json_option
@click.pass_obj
@one_line_errors
def lp_cancel(ctx: Context, request_id: int, vault: str, as_json: bool) -> None:
    """Cancel your pending request REQUEST_ID: a deposit (its assets come back) or a withdrawal
    (its shares come back)."""
    from optio.cli import lp as actions

    actions.cancel(*ctx.protocol_and_signer(), vault, request_id, as_json=as_json)


def _owner_command(name: str, help_text: str):
    """`optio lp NAME [--vault call|put|all]`: optio.cli.lp.NAME for the signer, in one vault or both."""

    @lp.command(name, help=help_text)
    @vaults_option
    @json_option
    @click.pass_obj
    @one_line_errors
    def command(ctx: Context, vault: str, as_json: bool) -> None:
        from optio.cli import lp as actions

        protocol, signer = ctx.protocol_and_signer()
        getattr(actions, name)(protocol, signer.address, vault, as_json=as_json)

    return command


_owner_command("status", "Both vaults and your position in them.")
_owner_command("requests", "Your deposit and withdrawal requests: kind, status, amounts, when made and fillable.")
