"""Prometheus metrics of one keeper and its HTTP endpoint (``/metrics``, ``/healthz``)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from optio.formats import keeper_metrics as names


class Metrics:
    """The runtime's metrics, on a registry of their own (several keepers may share a process
    in tests). Keepers add theirs with :meth:`gauge` / :meth:`counter`."""

    def __init__(self, keeper: str):
        self.keeper = keeper
        self.registry = CollectorRegistry()
        self.last_action = Gauge(names.LAST_ACTION, "When the keeper last acted on-chain",
                                 registry=self.registry)
        self.last_cycle = Gauge(names.LAST_CYCLE, "When the last cycle ended",
                                registry=self.registry)
        self.attempts = Counter(names.TX_ATTEMPTS, "Transactions by outcome", ["outcome"],
                                registry=self.registry)
        self.balance = Gauge(names.WALLET_BALANCE, "The keeper's native balance", registry=self.registry)
        self.lag = Gauge(names.LAG, "Seconds from the head block's timestamp to the end of the cycle that "
                         "acted on it (machine clock)", registry=self.registry)
        self.errors = Counter(names.CYCLE_ERRORS, "Cycles that failed", ["kind"], registry=self.registry)
        self.healthy = True
        self.reason = "starting"
        self._server: ThreadingHTTPServer | None = None

    def gauge(self, name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, doc, list(labels), registry=self.registry)

    def counter(self, name: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
        return Counter(name, doc, list(labels), registry=self.registry)

    def value(self, name: str, labels: dict[str, str] | None = None) -> float:
        """A sample's current value (0 if never set): for tests and the health line."""
        return self.registry.get_sample_value(name, labels or {}) or 0.0

    def set_health(self, healthy: bool, reason: str) -> None:
        self.healthy, self.reason = healthy, reason

    def serve(self, port: int, host: str = "127.0.0.1") -> int:
        """Start the HTTP endpoint in a thread; returns the bound port (0 picks one)."""
        metrics = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/metrics":
                    body, ctype, code = generate_latest(metrics.registry), CONTENT_TYPE_LATEST, 200
                elif self.path == "/healthz":
                    status = {"keeper": metrics.keeper, "healthy": metrics.healthy, "reason": metrics.reason,
                              "last_cycle": metrics.value("keeper_last_cycle_timestamp_seconds"), "now": time.time()}
                    body, ctype = json.dumps(status).encode(), "application/json"
                    code = 200 if metrics.healthy else 503
                else:
                    body, ctype, code = b"not found\n", "text/plain", 404
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # the keeper logs JSON; no stderr lines per scrape
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self._server.server_address[1]

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
