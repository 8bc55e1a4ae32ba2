"""How every command reports a refused action: one line, exit code 1, nothing sent."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from optio.errors import OptioError


@contextmanager
def one_line_errors() -> Iterator[None]:
    """SDK errors become click's one-line ``Error: …`` with exit code 1 (ape scripts and `optio`)."""
    try:
        yield
    except OptioError as err:
        raise click.ClickException(str(err)) from None
