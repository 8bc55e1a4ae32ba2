"""`optio admin calldata`: the timelock transaction an admin that is a multisig (a Safe) proposes.

Nothing is signed or sent: the command prints the timelock's address and the calldata of its
``schedule``, ``execute`` or ``cancel`` for one admin call, for a Safe owner to paste into a new
Safe transaction (docs/admin.md). The SDK's ``optio.sdk.admin.timelock_call`` does the same."""

from __future__ import annotations

import json

import click

from optio.cli.chain_commands import _delay
from optio.cli.context import Context, emit_json, json_option, one_line_errors


@click.group()
def admin() -> None:
    """Timelocked admin calls, for an admin that is a multisig (docs/admin.md)."""


def _arg(text: str) -> object:
    """A command-line argument of the call: JSON where it parses (numbers, [tuples], true),
    else the text itself (addresses, hex)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


@admin.command("calldata")
@click.argument("step", type=click.Choice(["schedule", "execute", "cancel"]))
@click.argument("contract")
@click.argument("fn")
@click.argument("args", nargs=-1)
@click.option("--salt", type=click.IntRange(0), default=None,
              help="The operation's salt [default: the first under which this call is not done yet]")
@click.option("--delay", callback=_delay, help="schedule: seconds, 48h, 2d [default: the timelock's minimum]")
@json_option
@click.pass_obj
@one_line_errors
def admin_calldata(ctx: Context, step: str, contract: str, fn: str, args: tuple[str, ...], salt: int | None,
                   delay: int | None, as_json: bool) -> None:
    """The timelock transaction of STEP for CONTRACT.FN(ARGS) (CONTRACT: a manifest key, e.g.
    PutVault, OptionMarket): its `to`, `value` and `data`, for a Safe transaction. ARGS are JSON
    where they parse ([0,0,0,0,0] for a struct), else text (addresses). Nothing is sent."""
    from optio.cli.render import console
    from optio.sdk import admin as sdk_admin
    from optio.sdk.contracts import Client
    from optio.sdk.errors import InvalidInput

    protocol = ctx.protocol()
    records = protocol.deployment.contracts
    if contract not in records:
        raise InvalidInput(f"contract {contract!r} is not in the manifest: one of {', '.join(sorted(records))}")
    target = Client(protocol.w3, records[contract].address, artifact_name=records[contract].artifact)
    tl = sdk_admin.timelock_of(protocol)
    op = sdk_admin.operation(target, fn, *map(_arg, args), timelock=tl, salt=salt)
    call = sdk_admin.timelock_call(op, step, delay=delay)
    state = sdk_admin.status(op).state
    if as_json:
        emit_json({"to": call.to, "value": call.value, "data": call.data, "operation": op.id,
                   "salt": int.from_bytes(op.salt, "big"), "state": state, "action": call.action})
        return
    console.print(f"{call.action} (salt {int.from_bytes(op.salt, 'big')}; operation {state})")
    console.print(f"to     {call.to}\nvalue  {call.value}")
    console.print(f"data   {call.data}", soft_wrap=True)
