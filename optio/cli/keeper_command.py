"""`optio keeper run NAME …`: the keeper daemons (the same as `python -m optio.keepers`)."""

from __future__ import annotations

import click

from optio.keepers.__main__ import main as keeper_main


@click.group()
def keeper() -> None:
    """Keeper daemons (the same as `python -m optio.keepers`)."""


# The daemon reads its chain and key from its config file, not from --rpc/--account.
keeper.add_command(keeper_main, name="run")
