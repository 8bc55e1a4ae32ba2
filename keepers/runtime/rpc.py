"""Several RPC URLs behind one web3 provider: a request goes to the active endpoint and, when it
cannot be reached, to the next one (which becomes active)."""

from __future__ import annotations

import logging
from typing import Any

import requests
from web3 import Web3
from web3.providers import HTTPProvider, JSONBaseProvider
from web3.types import RPCEndpoint, RPCResponse

from optio.errors import RpcUnreachable

log = logging.getLogger("keepers.rpc")

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
