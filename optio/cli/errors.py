"""How every command reports a refused action: one line, exit code 1, nothing sent."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from optio.sdk.errors import OptioError


@contextmanager
def one_line_errors() -> Iterator[None]:
    """SDK errors become click's one-line ``Error: …`` with exit code 1 (ape scripts and `optio`)."""
    try:
        yield
    except OptioError as err:
        from optio.cli.secrets import redact  # an --account mistyped as a key is never echoed

        raise click.ClickException(redact(str(err))) from None


def one_line(message: str) -> str:
    """A click message on one line: a missing choice lists the choices on lines of their own."""
    return " ".join(message.split())
