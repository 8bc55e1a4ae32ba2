"""The `optio` command: LP actions, trades, deploy, faucet, local-chain helpers and the demo, on
any chain by RPC URL.

Subcommands load when run (optio.cli.lazy): ``optio --help`` imports neither web3 nor the
pricing kernels. The RPC comes from ``--rpc``, else ``OPTIO_RPC_URL``, else the last ``--rpc``
given (remembered in optio.cli.state), else http://127.0.0.1:8545; the account from
``--account``, else ``OPTIO_ACCOUNT``, else dev:0; the market from ``--market``, else
``OPTIO_MARKET``, else the deployment's first."""

from __future__ import annotations

import sys

import click

from optio.cli.context import Context
from optio.cli.errors import one_line
from optio.cli.lazy import LazyGroup
from optio.cli.secrets import SECRETS, looks_secret, redact

COMMANDS = {
    "lp": ("optio.cli.lp_commands:lp", "Deposit, withdraw, claim, cancel and inspect vault positions."),
    "trade": ("optio.cli.trade_commands:trade", "Quotes, trades, the board with Greeks, positions and P&L."),
    "margin": ("optio.cli.trade_commands:margin", "Collateral for selling options: deposit, withdraw, status."),
    "deploy": ("optio.cli.chain_commands:deploy", "Deploy the protocol and write its manifest."),
    "markets": ("optio.cli.chain_commands:markets", "The deployment's markets: underlying, contracts, state."),
    "admin": ("optio.cli.admin_commands:admin", "Timelock calldata of an admin call, for a multisig to propose."),
    "faucet": ("optio.cli.chain_commands:faucet", "Mint mock tokens to the account (local chains)."),
    "dev": ("optio.cli.dev:dev", "Local chains: post a price or a surface, warp time, grant a role."),
    "demo": ("optio.cli.chain_commands:demo", "The whole system on a local Anvil, or one scripted cycle."),
    "price": ("optio.cli.pricing_commands:price_command", "Black-Scholes-Merton price and Greeks (no chain)."),
    "iv": ("optio.cli.pricing_commands:iv_command", "Implied volatility of one price (no chain)."),
    "surface": ("optio.cli.pricing_commands:surface_group", "Fit SVI surfaces to option-chain snapshots (no chain)."),
    "backtest": ("optio.cli.backtest:backtest", "LPs and traders through the contracts or a model of them."),
    "keeper": ("optio.cli.keeper_command:keeper", "Keeper daemons (the same as `python -m optio.keepers`)."),
    "risk": ("optio.risk.__main__:main", "The risk service and its dashboard."),
    "keys": ("optio.cli.keys:keys", "Encrypted keystores for keepers and scripts."),
}


@click.group(cls=LazyGroup, lazy=COMMANDS)
@click.option("--rpc", default=None,
              help="JSON-RPC URL; remembered for later commands [else OPTIO_RPC_URL, the last --rpc, "
                   "http://127.0.0.1:8545]")
@click.option(
    "--account",
    envvar="OPTIO_ACCOUNT",
    default="dev:0",
    show_default=True,
    help="dev:N (local chains) or an ape keystore alias (password from OPTIO_PASSWORD or a prompt) "
         "[env OPTIO_ACCOUNT]",
)
@click.option("--market", envvar="OPTIO_MARKET", default=None,
              help="The deployment's market, e.g. WBTC/USDC (`optio markets` lists them) [env OPTIO_MARKET; "
                   "default: the first]")
@click.pass_context
def cli(ctx: click.Context, rpc: str | None, account: str, market: str | None) -> None:
    """Optio: on-chain options, from Python."""
    if looks_secret(account):  # refused when used; never echoed by any error before that
        SECRETS.add(account)
    ctx.obj = Context(rpc, account, market)


def main() -> None:
    """The `optio` entry point: a usage error is one line too (click prints three: usage, a hint
    and the error), so every refusal reads the same, with exit code 1 like every other refusal."""
    try:
        code = cli.main(standalone_mode=False)
    except click.UsageError as err:
        where = f" (see {err.ctx.command_path} --help)" if err.ctx else ""
        click.echo(f"Error: {redact(one_line(err.format_message()))}{where}", err=True)
        sys.exit(1)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except click.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
