"""The risk service over HTTP: the dashboard, its JSON API and Prometheus metrics.

Routes: ``/`` (the dashboard), ``/static/…`` (its script, style and plotly.js's cartesian
bundle from the project's npm packages: scatter and heatmap are all the page draws, and the
full bundle's 4.8 MB took most of a cold load to parse), ``/api/state`` (the consolidated
state), ``/api/history`` (NAV and share-price samples), ``/metrics`` and ``/healthz``.

Why the standard library's server: five GET routes and no request bodies; it is what the
keepers' metrics endpoint already uses, and it adds no dependency.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from optio.risk.service import RiskService
from optio.sdk.artifacts import PROJECT_ROOT

log = logging.getLogger("risk")
DASHBOARD = Path(__file__).parent / "dashboard"
STATIC = {
    "/static/dashboard.js": (DASHBOARD / "dashboard.js", "text/javascript"),
    "/static/dashboard.css": (DASHBOARD / "dashboard.css", "text/css"),
    "/static/plotly-cartesian.min.js": (
        PROJECT_ROOT / "node_modules" / "plotly.js-cartesian-dist-min" / "plotly-cartesian.min.js", "text/javascript"),
}


def finite(value):
    """``value`` with every NaN or infinity replaced by None (JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


class RiskServer:
    """Refreshes ``service`` every ``interval_s`` in a thread and serves it on ``port``."""

    def __init__(self, service: RiskService, *, port: int = 0, host: str = "127.0.0.1", interval_s: float = 1.0):
        self.service, self.interval_s = service, interval_s
        self.errors = 0
        self.last_error = ""
        self._stop = threading.Event()
        self._http = ThreadingHTTPServer((host, port), self._handler())
        self.port = self._http.server_address[1]
        self.url = f"http://{host}:{self.port}/"

    def start(self) -> RiskServer:
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        threading.Thread(target=self._loop, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._http.shutdown()
        self._http.server_close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.service.refresh()
                self.last_error = ""
            except Exception as err:  # the chain or a keeper answered oddly: keep serving the last state
                self.errors += 1
                self.last_error = f"{type(err).__name__}: {err}"
                log.exception("refresh failed")
            self._stop.wait(self.interval_s)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?", 1)[0]
                if path in ("/", "/index.html"):
                    self._send(200, (DASHBOARD / "index.html").read_bytes(), "text/html; charset=utf-8")
                elif path in STATIC:
                    file, ctype = STATIC[path]
                    if file.is_file():
                        self._send(200, file.read_bytes(), ctype, cache=True)
                    else:
                        self._send(404, f"{file} is missing: run `make install`\n".encode(), "text/plain")
                elif path == "/api/state":
                    state, _ = server.service.snapshot()
                    self._json(200, {**state, "service": {"errors": server.errors, "last_error": server.last_error}})
                elif path == "/api/history":
                    self._json(200, server.service.snapshot()[1])
                elif path == "/metrics":
                    self._send(200, generate_latest(server.service.metrics.registry), CONTENT_TYPE_LATEST)
                elif path == "/healthz":
                    state, _ = server.service.snapshot()
                    age = time.time() - state.get("refreshed_at", 0)
                    ok = bool(state) and age < 10 * server.interval_s + 5
                    self._json(200 if ok else 503, {"healthy": ok, "refresh_age_s": age, "errors": server.errors,
                                                    "last_error": server.last_error})
                else:
                    self._send(404, b"not found\n", "text/plain")

            def _json(self, code: int, body) -> None:
                self._send(code, json.dumps(finite(body), allow_nan=False).encode(), "application/json")

            def _send(self, code: int, body: bytes, ctype: str, cache: bool = False) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "max-age=3600" if cache else "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # one line per request would drown the service's log
                pass

        return Handler
