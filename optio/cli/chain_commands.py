"""`optio deploy`, `optio markets`, `optio faucet` and `optio demo`."""

from __future__ import annotations

from pathlib import Path

import click

from optio.cli.context import Context, emit_json, json_option, one_line_errors
from optio.cli.params import ADDRESS, AMOUNT


def _delay(ctx, param, value):
    """--timelock-delay: whole seconds, or with a unit (90m, 48h, 2d)."""
    from optio.sdk.deploy import check_timelock_delay
    from optio.sdk.errors import InvalidInput

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


@click.command()
@click.option("--keeper", type=ADDRESS, help="Posts spot and vol (KEEPER_ROLE, VOL_KEEPER_ROLE) [default: deployer]")
@click.option("--lister", type=ADDRESS, help="Lists boards (LISTER_ROLE) [default: the keeper]")
@click.option("--guardian", type=ADDRESS, help="May pause the market and deposits [default: deployer]")
@click.option("--admin", type=ADDRESS,
              help="Proposes, executes and cancels timelocked admin calls (a Safe: docs/admin.md) [default: deployer]")
@click.option("--timelock-delay", callback=_delay, help="Minimum delay of admin calls: seconds, 48h, 2d [default: 2d]")
@click.option("--force", is_flag=True, help="Replace the manifest of a live deployment on a non-local chain")
@click.option("--wbtc/--no-wbtc", "wbtc", default=None,
              help="Add the WBTC/USDC market [default: on local chains (a mock WBTC), off elsewhere]")
@click.option("--wbtc-token", type=ADDRESS, help="WBTC's address on a real chain (implies --wbtc)")
@click.pass_obj
@one_line_errors
def deploy(ctx: Context, keeper: str | None, lister: str | None, guardian: str | None, admin: str | None,
           timelock_delay: int | None, force: bool, wbtc: bool | None, wbtc_token: str | None) -> None:
    """Deploy the protocol (mock WETH, WBTC and USDC on local chains) and write its manifest: the
    WETH/USDC market, and WBTC/USDC with --wbtc (each its own oracles, vaults, book and limits).
    Every contract's admin is a timelock; the deployer keeps no admin role."""
    from dataclasses import replace

    from optio.cli.render import console
    from optio.sdk.chain import LOCAL_CHAIN_IDS
    from optio.sdk.deploy import WBTC_MARKET, DeployConfig, deploy_protocol, live_manifest

    w3 = ctx.w3()
    existing = live_manifest(w3)
    if existing and not force:
        raise click.ClickException(f"{existing} already records a live deployment on chain {w3.eth.chain_id}: "
                                   "deploying again would replace it (pass --force, or set OPTIO_DEPLOYMENTS_DIR)")
    if wbtc is False and wbtc_token:
        raise click.UsageError("--wbtc-token goes with --wbtc, not --no-wbtc")
    with_wbtc = bool(wbtc_token) or (wbtc if wbtc is not None else w3.eth.chain_id in LOCAL_CHAIN_IDS)
    signer = ctx.signer(w3)
    roles = {"keeper": keeper, "lister": lister, "guardian": guardian, "admin": admin}
    extra = (replace(WBTC_MARKET, base=wbtc_token),) if with_wbtc else ()
    config = DeployConfig(**roles, extra_markets=extra)
    if timelock_delay is not None:
        config = replace(config, timelock_delay=timelock_delay)
    deployment = deploy_protocol(w3, signer, config)
    for key, rec in deployment.contracts.items():
        console.print(f"{key:<14} {rec.address}")
    for name in deployment.market_names()[1:]:
        console.print(f"{name}: " + ", ".join(f"{key} {rec.address}"
                                              for key, rec in deployment.markets[name].contracts.items()))
    p = deployment.params
    console.print(f"roles: keeper {p['keeper']}, lister {p['lister']}, guardian {p['guardian']}, "
                  f"admin {p['admin']} (timelock delay {p['timelock_delay']} s)")
    console.print(f"[green]✓[/] deployed on chain {deployment.chain_id}: deployments/{deployment.chain_id}.json")


@click.command()
@json_option
@click.pass_obj
@one_line_errors
def markets(ctx: Context, as_json: bool) -> None:
    """The deployment's markets: name, base token, market contract, pause, spot and live options.
    Select one for any command with --market NAME (or OPTIO_MARKET)."""
    from rich.table import Table

    from optio.cli.render import show

    protocol = ctx.protocol()
    rows = []
    for name, p in (protocol.markets() or {"(one market)": protocol}).items():
        feed = p.spot_oracle.feed()
        book = p.market.book
        rows.append({
            "market": name,
            "base": str(p.deployment.params.get("base", "WETH")),
            "address": p.market.address,
            "paused": p.market.paused(),
            "spot": None if feed.value is None else str(feed.value),
            "spot_fresh": feed.fresh,
            "spot_updated_at": feed.updated_at,  # Unix s of the last post (also when stale); None: never
            "live_options": book.live_count(True) + book.live_count(False),
        })
    if as_json:
        emit_json({"markets": rows})
        return
    table = Table("market", "base", "OptionMarket", "paused", "spot", "live options")
    for r in rows:
        spot = r["spot"] or ("stale" if r["spot_updated_at"] else "never posted")
        table.add_row(r["market"], r["base"], r["address"], "yes" if r["paused"] else "no", spot,
                      str(r["live_options"]))
    show(table)


@click.command()
@click.option("--token", required=True, help="weth, usdc, or the market's base token (wbtc with --market WBTC/USDC)")
@click.option("--amount", required=True, type=AMOUNT)
@click.pass_obj
@one_line_errors
def faucet(ctx: Context, token: str, amount: str) -> None:
    """Mint mock tokens to the account (local chains)."""
    from optio.cli.render import console

    protocol, signer = ctx.protocol_and_signer()
    mocks = [key for key, rec in protocol.deployment.contracts.items() if rec.artifact == "MockERC20"]
    if token.upper() not in mocks:
        raise click.BadParameter(f"{token!r} is not a mock token of this market: choose one of "
                                 f"{', '.join(m.lower() for m in mocks)}", param_hint="--token")
    t = protocol.token(token.upper())
    t.faucet(signer, amount)
    console.print(f"[green]✓[/] {amount} {t.symbol} to {signer.address}; balance {t.balance(signer.address):,}")


@click.command()
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
    from optio.sdk.errors import InvalidInput

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
