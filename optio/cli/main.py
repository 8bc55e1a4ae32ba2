"""The `optio` command: LP actions, deploy, faucet and the demo, on any chain by RPC URL."""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from optio.cli import lp as lp_actions
from optio.cli import trade as trade_actions
from optio.cli.accounts import SECRETS, looks_secret, redact, resolve_signer
from optio.cli.errors import one_line
from optio.cli.errors import one_line_errors as report_errors
from optio.cli.params import ADDRESS, AMOUNT
from optio.cli.render import console
from optio.sdk.chain import connect
from optio.sdk.deploy import DeployConfig, check_timelock_delay, deploy_protocol
from optio.sdk.errors import InvalidInput
from optio.sdk.protocol import Protocol

VAULT = click.Choice(["call", "put"])


@dataclass
class Context:
    rpc: str
    account: str

    def w3(self):
        return connect(self.rpc)

    def protocol_and_signer(self):
        w3 = self.w3()
        signer = resolve_signer(w3, self.account)
        return Protocol.load(w3), signer


def one_line_errors(fn):
    """Run the command inside the shared one-line error report."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with report_errors():
            return fn(*args, **kwargs)

    return wrapper


@click.group()
@click.option("--rpc", envvar="OPTIO_RPC_URL", default="http://127.0.0.1:8545", show_default=True, help="JSON-RPC URL")
@click.option(
    "--account",
    envvar="OPTIO_ACCOUNT",
    default="dev:0",
    show_default=True,
    help="dev:N (local chains) or an ape keystore alias (password from OPTIO_PASSWORD or a prompt)",
)
@click.pass_context
def cli(ctx: click.Context, rpc: str, account: str) -> None:
    """Optio: on-chain options, from Python."""
    if looks_secret(account):  # refused when used; never echoed by any error before that
        SECRETS.add(account)
    ctx.obj = Context(rpc, account)


@cli.group()
def lp() -> None:
    """Deposit, withdraw, claim and inspect vault positions."""


@lp.command("deposit")
@click.option("--vault", type=VAULT, required=True, help="call (WETH) or put (USDC)")
@click.option("--amount", required=True, type=AMOUNT, help="Asset amount, e.g. 1000 (USDC) or 1.5 (WETH)")
@click.pass_obj
@one_line_errors
def lp_deposit(ctx: Context, vault: str, amount: str) -> None:
    """Deposit AMOUNT of the vault's asset."""
    lp_actions.deposit(*ctx.protocol_and_signer(), vault, amount)


@lp.command("withdraw")
@click.option("--vault", type=VAULT, required=True)
@click.option("--amount", default=None, type=AMOUNT, help="Asset amount to withdraw")
@click.option("--all", "withdraw_all", is_flag=True, help="Withdraw the whole position")
@click.option("--queue", is_flag=True, help="Queue what free liquidity cannot pay now")
@click.pass_obj
@one_line_errors
def lp_withdraw(ctx: Context, vault: str, amount: str | None, withdraw_all: bool, queue: bool) -> None:
    """Withdraw now what free liquidity allows; with --queue, queue the rest."""
    if (amount is None) == (not withdraw_all):
        raise click.UsageError("give exactly one of --amount or --all")
    lp_actions.withdraw(*ctx.protocol_and_signer(), vault, amount, queue)


@lp.command("claim")
@click.option("--vault", type=VAULT, required=True)
@click.pass_obj
@one_line_errors
def lp_claim(ctx: Context, vault: str) -> None:
    """Claim fulfilled queued withdrawals."""
    lp_actions.claim(*ctx.protocol_and_signer(), vault)


@lp.command("status")
@click.option("--vault", type=click.Choice(["call", "put", "all"]), default="all")
@click.pass_obj
@one_line_errors
def lp_status(ctx: Context, vault: str) -> None:
    """Both vaults and your position in them."""
    protocol, signer = ctx.protocol_and_signer()
    lp_actions.status(protocol, signer.address, vault)


@cli.group()
def trade() -> None:
    """Quote, buy, sell, close and exercise options; list boards and settle expiries."""


@trade.command("quote")
@trade_actions.option_options
@click.option("--side", type=click.Choice(list(trade_actions.SIDES)), default="buy", show_default=True)
@click.option("--amount", default="1", show_default=True, type=AMOUNT, help="Options (1 = one option on one WETH)")
@click.pass_obj
@one_line_errors
def trade_quote(ctx: Context, expiry: str, strike: str, right: str, side: str, amount: str) -> None:
    """The chain's price beside the off-chain engine's."""
    protocol, _ = ctx.protocol_and_signer()
    trade_actions.show_quote(protocol, trade_actions.parse_option(expiry, strike, right), side, amount)


def _trade_command(side: str, help_text: str):
    @trade.command(side, help=help_text)
    @trade_actions.option_options
    @trade_actions.order_options
    @click.pass_obj
    @one_line_errors
    def command(ctx: Context, expiry, strike, right, amount, limit, slippage) -> None:
        option = trade_actions.parse_option(expiry, strike, right)
        trade_actions.trade(*ctx.protocol_and_signer(), option, side, amount, limit, slippage)

    return command


_trade_command("buy", "Buy options from the vault (premium in WETH for calls, USDC for puts).")
_trade_command("sell", "Sell options to the vault, short on your margin account.")


@trade.command("close")
@trade_actions.option_options
@click.option("--amount", default=None, type=AMOUNT, help="Options to close (default: the whole position)")
@click.pass_obj
@one_line_errors
def trade_close(ctx: Context, expiry: str, strike: str, right: str, amount: str | None) -> None:
    """Sell a long back, or buy a margin short back."""
    trade_actions.close(*ctx.protocol_and_signer(), trade_actions.parse_option(expiry, strike, right), amount)


@trade.command("exercise")
@trade_actions.option_options
@click.option("--holder", "holders", multiple=True, help="Holder to pay (repeatable; default: every holder)")
@click.pass_obj
@one_line_errors
def trade_exercise(ctx: Context, expiry: str, strike: str, right: str, holders: tuple[str, ...]) -> None:
    """Pay holders of a settled option (anyone may call)."""
    trade_actions.exercise(*ctx.protocol_and_signer(), trade_actions.parse_option(expiry, strike, right), holders)


@trade.command("settle")
@click.option("--expiry", required=True)
@click.pass_obj
@one_line_errors
def trade_settle(ctx: Context, expiry: str) -> None:
    """Settle an expiry at its recorded price (anyone may call)."""
    trade_actions.settle(*ctx.protocol_and_signer(), trade_actions.parse_expiry(expiry))


@trade.command("list")
@click.option("--expiry", required=True)
@click.option("--strikes", required=True, help="Comma-separated strikes in USDC")
@click.pass_obj
@one_line_errors
def trade_list(ctx: Context, expiry: str, strikes: str) -> None:
    """List strikes on a board (lister role)."""
    trade_actions.list_board(*ctx.protocol_and_signer(), trade_actions.parse_expiry(expiry), strikes)


@trade.command("board")
@click.pass_obj
@one_line_errors
def trade_board(ctx: Context) -> None:
    """Every listed option, its open interest and your holding."""
    protocol, signer = ctx.protocol_and_signer()
    trade_actions.board(protocol, signer.address)


@cli.group()
def margin() -> None:
    """Collateral for selling options: deposit, withdraw, status."""


SIDE = click.Choice(["call", "put"])


@margin.command("deposit")
@click.option("--side", type=SIDE, required=True, help="call (WETH collateral) or put (USDC)")
@click.option("--amount", required=True, type=AMOUNT)
@click.pass_obj
@one_line_errors
def margin_deposit(ctx: Context, side: str, amount: str) -> None:
    trade_actions.margin_deposit(*ctx.protocol_and_signer(), side, amount)


@margin.command("withdraw")
@click.option("--side", type=SIDE, required=True)
@click.option("--amount", required=True, type=AMOUNT)
@click.pass_obj
@one_line_errors
def margin_withdraw(ctx: Context, side: str, amount: str) -> None:
    trade_actions.margin_withdraw(*ctx.protocol_and_signer(), side, amount)


@margin.command("status")
@click.pass_obj
@one_line_errors
def margin_status(ctx: Context) -> None:
    protocol, signer = ctx.protocol_and_signer()
    trade_actions.margin_status(protocol, signer.address)


def _delay(ctx, param, value):
    """--timelock-delay: whole seconds, or with a unit (90m, 48h, 2d)."""
    if value is None:
        return None
    text = str(value).strip().lower()
    scale = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(text[-1:])
    digits = text[:-1] if scale else text
    if not digits.isdigit():
        raise click.BadParameter(f"{value!r} is not a duration (seconds, or 90m, 48h, 2d)", ctx, param)
    try:
        return check_timelock_delay(int(digits) * (scale or 1))
    except InvalidInput as err:
        raise click.BadParameter(str(err), ctx, param) from None


@cli.command()
@click.option("--keeper", type=ADDRESS, help="Posts spot and vol (KEEPER_ROLE, VOL_KEEPER_ROLE) [default: deployer]")
@click.option("--lister", type=ADDRESS, help="Lists boards (LISTER_ROLE) [default: the keeper]")
@click.option("--guardian", type=ADDRESS, help="May pause the market and deposits [default: deployer]")
@click.option("--admin", type=ADDRESS,
              help="Proposes, executes and cancels timelocked admin calls (a Safe: docs/admin.md) [default: deployer]")
@click.option("--timelock-delay", callback=_delay, help="Minimum delay of admin calls: seconds, 48h, 2d [default: 2d]")
@click.pass_obj
@one_line_errors
def deploy(ctx: Context, keeper: str | None, lister: str | None, guardian: str | None, admin: str | None,
           timelock_delay: int | None) -> None:
    """Deploy the protocol (mock WETH and USDC on local chains) and write its manifest. Every
    contract's admin is a timelock; the deployer keeps no admin role."""
    w3 = ctx.w3()
    roles = {"keeper": keeper, "lister": lister, "guardian": guardian, "admin": admin}
    config = DeployConfig(**roles) if timelock_delay is None else DeployConfig(**roles, timelock_delay=timelock_delay)
    deployment = deploy_protocol(w3, resolve_signer(w3, ctx.account), config)
    for key, rec in deployment.contracts.items():
        console.print(f"{key:<13} {rec.address}")
    p = deployment.params
    console.print(f"roles: keeper {p['keeper']}, lister {p['lister']}, guardian {p['guardian']}, "
                  f"admin {p['admin']} (timelock delay {p['timelock_delay']} s)")
    console.print(f"[green]✓[/] deployed on chain {deployment.chain_id}: deployments/{deployment.chain_id}.json")


@cli.command()
@click.option("--token", type=click.Choice(["weth", "usdc"]), required=True)
@click.option("--amount", required=True, type=AMOUNT)
@click.pass_obj
@one_line_errors
def faucet(ctx: Context, token: str, amount: str) -> None:
    """Mint mock tokens to the account (local chains)."""
    protocol, signer = ctx.protocol_and_signer()
    t = protocol.token(token.upper())
    t.faucet(signer, amount)
    console.print(f"[green]✓[/] {amount} {t.symbol} to {signer.address}; balance {t.balance(signer.address):,}")


@cli.command()
@click.option("--port", default=8545, show_default=True, help="Port of the local Anvil the demo starts")
@click.option("--minutes", default=2.0, show_default=True, type=click.FloatRange(0.1, 600),
              help="How long the agents trade (wall clock)")
@click.option("--block-seconds", default=1800, show_default=True, type=click.IntRange(12, 86400),
              help="Chain time per 1-second block")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the agents, the price and the smiles")
@click.option("--forever", is_flag=True, help="Keep the system running until Ctrl-C")
@click.option("--rpc", "rpc_url", help="Run only the services against this chain (needs --deployment)")
@click.option("--deployment", type=click.Path(path_type=Path), help="Deployment manifest for --rpc")
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path), default=Path(".demo"),
              show_default=True, help="Configs, logs, state and pids of the services")
@click.option("--dashboard-port", default=8600, show_default=True, type=click.IntRange(0, 65535),
              help="Port of the risk dashboard (taken: a free one)")
@click.option("--cycle", is_flag=True, help="Instead: the scripted walk through one options cycle")
@one_line_errors
def demo(port: int, minutes: float, block_seconds: int, seed: int, forever: bool, rpc_url: str | None,
         deployment: Path | None, run_dir: Path, dashboard_port: int, cycle: bool) -> None:
    """The whole system on a local Anvil: keepers, pricing feed, LPs and traders; a summary at the end."""
    if cycle:
        from optio.cli.demo.cycle import run_demo

        run_demo(port)
        return
    from optio.cli.demo.system import SystemOptions, run_local, run_services

    opts = SystemOptions(minutes=minutes, block_s=block_seconds, forever=forever, rpc=rpc_url, deployment=deployment,
                         port=port, run_dir=run_dir, dashboard_port=dashboard_port)
    opts.scenario = opts.scenario.model_copy(update={"seed": seed})
    if rpc_url:
        run_services(opts)
    elif deployment:
        raise InvalidInput("--deployment goes with --rpc (the local demo deploys its own)")
    else:
        run_local(opts)


def _add_pricing_commands() -> None:
    # The pricing commands need no chain: they ignore --rpc and --account.
    from optio.cli.pricing_commands import iv_command, price_command, surface_group

    for command in (price_command, iv_command, surface_group):
        cli.add_command(command)


_add_pricing_commands()


def _add_backtest() -> None:
    from optio.cli.backtest import backtest

    cli.add_command(backtest)


_add_backtest()


@cli.group()
def keeper() -> None:
    """Keeper daemons (the same as `python -m optio.keepers`)."""


def _add_keeper_run() -> None:
    # The daemon reads its chain and key from its config file, not from --rpc/--account.
    from optio.keepers.__main__ import main as keeper_main

    keeper.add_command(keeper_main, name="run")


_add_keeper_run()


def _add_risk() -> None:
    # The risk service takes its own --rpc and --deployment (it serves one chain until stopped).
    from optio.risk.__main__ import main as risk_main

    cli.add_command(risk_main, name="risk")


_add_risk()

from optio.cli.keys import keys as keys_group  # noqa: E402 - `optio keys new` (imports click only)

cli.add_command(keys_group)


def main() -> None:
    """The `optio` entry point: a usage error is one line too (click prints three: usage, a hint
    and the error), so every refusal reads the same."""
    try:
        code = cli.main(standalone_mode=False)
    except click.UsageError as err:
        where = f" (see {err.ctx.command_path} --help)" if err.ctx else ""
        click.echo(f"Error: {redact(one_line(err.format_message()))}{where}", err=True)
        sys.exit(err.exit_code)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except click.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
