"""`optio dev …`: local chains only (Anvil, Ganache; chain id 31337 or 1337): post a price or a
flat surface as the keeper, fill the vaults' LP requests as the keeper, warp the clock, grant a
role. Each refuses any other chain with one
line before it sends anything."""

from __future__ import annotations

import click

from optio.cli.context import Context, json_option, one_line_errors
from optio.cli.params import AMOUNT
from optio.sdk.utc import utc_time


@click.group()
def dev() -> None:
    """Local chains: post a price or a surface, fill LP requests, warp time, grant a role."""


@dev.command("price")
@click.argument("usd", type=AMOUNT)
@click.pass_obj
@one_line_errors
def dev_price(ctx: Context, usd: str) -> None:
    """Post spot USD (USDC per WETH) at the chain's time, as --account (the keeper: dev:0)."""
    from optio.cli.render import console
    from optio.sdk.devchain import post_price, require_local

    w3 = ctx.w3()
    require_local(w3)
    protocol, signer = ctx.protocol(w3), ctx.signer(w3)
    at = post_price(protocol, signer, usd)
    console.print(f"[green]✓[/] spot {usd} USDC per WETH posted at {utc_time(at)}")


@dev.command("surface")
@click.option("--vol", type=click.FloatRange(0, 5, min_open=True), required=True, help="Annualised vol, 0.6 = 60%")
@click.pass_obj
@one_line_errors
def dev_surface(ctx: Context, vol: float) -> None:
    """Post a flat surface (VOL at every strike) for every listed expiry, as --account (dev:0)."""
    from optio.cli.render import console
    from optio.sdk.devchain import post_flat_surfaces, require_local

    w3 = ctx.w3()
    require_local(w3)
    posted = post_flat_surfaces(ctx.protocol(w3), ctx.signer(w3), vol)
    for s in posted:
        console.print(f"[green]✓[/] flat {s.vol:.2%} surface posted for {utc_time(s.expiry)}")


@dev.command("fill")
@click.option("--max", "max_requests", type=click.IntRange(1, 500), default=50, show_default=True,
              help="Requests to fill at most, per vault")
@json_option
@click.pass_obj
@one_line_errors
def dev_fill(ctx: Context, max_requests: int, as_json: bool) -> None:
    """Fill both vaults' pending LP requests now, as --account (the keeper, FILLER_ROLE: dev:0).
    On a real chain the oracle keeper does this right after its posts."""
    from optio.cli import lp as actions
    from optio.sdk.devchain import require_local

    w3 = ctx.w3()
    require_local(w3)
    actions.fill(ctx.protocol(w3), ctx.signer(w3), max_requests, as_json=as_json)


@dev.command("warp")
@click.argument("seconds", type=click.IntRange(1), required=False)
@click.option("--to-expiry", "to_expiry", is_flag=False, flag_value="next", default=None,
              help="Warp to an expiry: a date like 2027-06-25, or alone the next listed one")
@click.pass_obj
@one_line_errors
def dev_warp(ctx: Context, seconds: int | None, to_expiry: str | None) -> None:
    """Move the chain's clock SECONDS on (or to an expiry) and mine a block."""
    from optio.cli.render import console
    from optio.cli.trade import parse_expiry
    from optio.sdk.devchain import chain_time, next_expiry, require_local, warp_to

    if (seconds is None) == (to_expiry is None):
        raise click.UsageError("give exactly one of SECONDS or --to-expiry")
    w3 = ctx.w3()
    require_local(w3)
    if to_expiry is None:
        target = chain_time(w3) + seconds
    elif to_expiry == "next":
        target = next_expiry(ctx.protocol(w3))
    else:
        target = parse_expiry(to_expiry)
    head = warp_to(w3, target)
    console.print(f"[green]✓[/] chain time is now {utc_time(head)} (block {w3.eth.block_number})")


@dev.command("grant")
@click.argument("role")
@click.argument("account")
@click.pass_obj
@one_line_errors
def dev_grant(ctx: Context, role: str, account: str) -> None:
    """Grant ROLE (KEEPER_ROLE, VOL_KEEPER_ROLE, LISTER_ROLE, GUARDIAN_ROLE, FILLER_ROLE) to ACCOUNT (an address
    or dev:N) on every contract that has it, as the timelock without its delay (Anvil)."""
    from optio.cli.render import console
    from optio.sdk.devchain import grant_role, normalise_role, require_local

    w3 = ctx.w3()
    require_local(w3)
    name = normalise_role(role)
    address = ctx.signer_for(w3, account).address if account.startswith("dev:") else account
    keys = grant_role(ctx.protocol(w3), name, address)
    console.print(f"[green]✓[/] {name} granted to {address} on {', '.join(keys)}")
