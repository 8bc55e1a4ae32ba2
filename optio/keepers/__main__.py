"""``python -m optio.keepers NAME --config FILE [--once] [--dry-run]``."""

from __future__ import annotations

import sys

import click

from optio.keepers.runtime.daemon import EXIT_REFUSED, KEEPERS
from optio.sdk.errors import OptioError


@click.command()
@click.argument("name", type=click.Choice(sorted(KEEPERS)))
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False), help="TOML file")
@click.option("--once", is_flag=True, help="Run one cycle and wait for its transactions, then exit: 0 acted or nothing "
              "due, 3 the cycle failed, 4 a transaction did not land, 5 could not act (docs/keepers.md).")
@click.option("--dry-run", is_flag=True, help="Simulate and log what would be sent; send nothing.")
@click.option("--log-level", default="INFO", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
def main(name: str, config_path: str, once: bool, dry_run: bool, log_level: str) -> None:
    """Run the keeper NAME until SIGTERM (or one cycle with --once).

    Exit codes: 1 refused to start (one line), 2 error budget spent; with --once also 3, 4, 5."""
    from optio.keepers.runtime.config import load_config
    from optio.keepers.runtime.daemon import Runner
    from optio.keepers.runtime.logs import setup_logging

    setup_logging(log_level)
    try:
        runner = Runner(name, load_config(config_path, name), dry_run=dry_run, once=once)
    except OptioError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(EXIT_REFUSED)
    sys.exit(runner.run())


if __name__ == "__main__":
    main()
