"""Several RPC URLs behind one web3 provider: a request goes to the active endpoint and, when it
cannot be reached, to the next one (which becomes active)."""

from __future__ import annotations

import logging
from typing import Any

import requests
from web3 import Web3
from web3.providers import HTTPProvider, JSONBaseProvider
from web3.types import RPCEndpoint, RPCResponse

from optio.sdk.errors import RpcUnreachable

log = logging.getLogger("optio.keepers.rpc")

#: What "this endpoint is down" looks like from requests.
UNREACHABLE = (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)


class FailoverProvider(JSONBaseProvider):
    """JSON-RPC over HTTP with failover across ``urls`` (tried in order from the active one)."""

    def __init__(self, urls: list[str], *, timeout: float = 5.0):
        super().__init__()
        self.urls = list(urls)
        self._http = [HTTPProvider(u, request_kwargs={"timeout": timeout}) for u in self.urls]
        self.active = 0
        self.failovers = 0

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        errors = []
        for step in range(len(self._http)):
            index = (self.active + step) % len(self._http)
            try:
                response = self._http[index].make_request(method, params)
            except UNREACHABLE as err:
                errors.append(f"{self.urls[index]}: {type(err).__name__}")
                continue
            if index != self.active:
                log.warning("rpc failover", extra={"from_url": self.urls[self.active], "to_url": self.urls[index]})
                self.active = index
                self.failovers += 1
            return response
        raise RpcUnreachable("no RPC endpoint answers (" + "; ".join(errors) + ")")

    def is_connected(self, show_traceback: bool = False) -> bool:
        try:
            self.make_request(RPCEndpoint("web3_clientVersion"), [])
        except RpcUnreachable:
            return False
        return True


def failover_web3(urls: list[str], *, timeout: float = 5.0) -> Web3:
    return Web3(FailoverProvider(urls, timeout=timeout))


def batch(w3: Web3, requests_: list[tuple[str, list]]) -> list[dict]:
    """Send many JSON-RPC requests in one HTTP batch (to the active endpoint, failing over like
    single requests). Each answer is ``{"result": …}`` or ``{"error": {…}}``, in request order.

    Why by hand: web3.py formats every request and response in Python (a few milliseconds
    each), which for a thousand previews is seconds; one batch is one round trip."""
    if not requests_:
        return []
    provider = w3.provider
    urls = provider.urls if isinstance(provider, FailoverProvider) else [provider.endpoint_uri]
    start = provider.active if isinstance(provider, FailoverProvider) else 0
    payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(requests_)]
    errors = []
    for step in range(len(urls)):
        url = urls[(start + step) % len(urls)]
        try:
            answers = requests.post(url, json=payload, timeout=30).json()
        except UNREACHABLE as err:
            errors.append(f"{url}: {type(err).__name__}")
            continue
        by_id = {a["id"]: a for a in answers}
        return [by_id[i] for i in range(len(payload))]
    raise RpcUnreachable("no RPC endpoint answers (" + "; ".join(errors) + ")")
