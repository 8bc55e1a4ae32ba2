"""``python -m optio.risk --rpc URL --deployment FILE [--market NAME] [--port P] [--keeper NAME=URL …]``:
the risk service and its dashboard (one market in full, every market in a line), until SIGTERM
or Ctrl-C."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click
from pydantic import ValidationError

from optio.sdk.errors import OptioError


def parse_keepers(_ctx, _param, pairs: tuple[str, ...]) -> dict[str, str]:
    """``NAME=URL`` pairs (each keeper's metrics endpoint) as a dict; one readable error."""
    out = {}
    for pair in pairs:
        name, sep, url = pair.partition("=")
        if not sep or not name or not url.startswith(("http://", "https://")):
            raise click.BadParameter(f"{pair!r}: give NAME=http://host:port", param_hint="--keeper")
        out[name] = url.rstrip("/")
    return out


@click.command()
@click.option("--rpc", required=True, help="JSON-RPC URL of the chain.")
@click.option("--deployment", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The deployment manifest (JSON) of that chain.")
@click.option("--port", default=8600, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free one.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(min=0.05),
              help="Seconds between refreshes.")
@click.option("--keeper", "keepers", multiple=True, callback=parse_keepers,
              help="NAME=URL of a keeper's metrics endpoint (repeat).")
@click.option("--decisions", type=click.Path(dir_okay=False, path_type=Path), help="The guardian's decision log.")
@click.option("--snapshots", type=click.Path(file_okay=False, path_type=Path), help="Venue chain snapshots folder.")
@click.option("--confirmations", default=0, show_default=True, type=click.IntRange(min=0),
              help="Blocks a log waits before it is applied (reorg safety).")
@click.option("--market", default=None, help="The market shown in full (default: the first); every market "
              "has a line, and their sum, on any.")
def main(rpc, deployment, port, host, interval, keepers, decisions, snapshots, confirmations, market) -> None:
    """Serve the consolidated risk view: dashboard at /, JSON at /api/state, metrics at /metrics."""
    from optio.risk.server import RiskServer
    from optio.risk.service import RiskService, ServiceConfig
    from optio.sdk.chain import connect
    from optio.sdk.deployment import Deployment
    from optio.sdk.protocol import Protocol

    try:
        try:
            manifest = Deployment.model_validate_json(deployment.read_text())
        except ValidationError as err:
            raise OptioError(f"{deployment} is not a deployment manifest: {err.errors()[0]['msg']}") from None
        w3 = connect(rpc)
        if manifest.chain_id != w3.eth.chain_id:
            raise OptioError(f"{deployment} is for chain {manifest.chain_id}, but {rpc} is chain {w3.eth.chain_id}")
        config = ServiceConfig(keepers, decisions, snapshots, confirmations)
        service = RiskService(Protocol(w3, manifest.for_market(market)), config)
        service.refresh()
        server = RiskServer(service, port=port, host=host, interval_s=interval).start()
    except (OptioError, OSError, ValueError) as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    click.echo(f"risk dashboard on {server.url} (JSON: {server.url}api/state, metrics: {server.url}metrics)", err=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    server.stop()


if __name__ == "__main__":
    main()
