"""What every chain command of `optio` shares: the RPC and account of the root options, the
one-line error report, and ``--json``. Nothing here imports web3 or the SDK at import time, so
``optio --help`` stays fast (optio.cli.lazy)."""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass
from decimal import Decimal

import click

from optio.cli import state


@dataclass
class Context:
    rpc_flag: str | None
    account: str
    market: str | None = None  # --market / OPTIO_MARKET; None: the deployment's first

    def rpc(self) -> tuple[str, str]:
        return state.resolve_rpc(self.rpc_flag)

    def w3(self):
        from optio.sdk.chain import connect
        from optio.sdk.errors import RpcUnreachable

        url, origin = self.rpc()
        try:
            w3 = connect(url)
        except RpcUnreachable as err:
            raise RpcUnreachable(f"{err} [{url} is {origin}]" if origin != "--rpc" else str(err)) from None
        if origin == "--rpc":
            state.remember(rpc=url)
        return w3

    def signer(self, w3):
        from optio.cli.accounts import resolve_signer

        return resolve_signer(w3, self.account)

    def signer_for(self, w3, spec: str):
        from optio.cli.accounts import resolve_signer

        return resolve_signer(w3, spec)

    def protocol(self, w3=None):
        from optio.sdk.protocol import Protocol

        return Protocol.load(w3 or self.w3(), self.market)

    def protocol_and_signer(self):
        w3 = self.w3()
        signer = self.signer(w3)
        return self.protocol(w3), signer


def one_line_errors(fn):
    """Run the command inside the shared one-line error report (optio.cli.errors)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from optio.cli.errors import one_line_errors as report_errors

        with report_errors():
            return fn(*args, **kwargs)

    return wrapper


def json_option(fn):
    """``--json``: print one JSON object on stdout instead of tables (amounts as decimal strings)."""
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables")(fn)


def _plain(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if hasattr(value, "to_0x_hex"):
        return value.to_0x_hex()
    return value


def emit_json(data: object) -> None:
    """``data`` as one JSON line on stdout (Decimals as strings: exact amounts)."""
    click.echo(json.dumps(_plain(data)))
