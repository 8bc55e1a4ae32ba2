"""The SDK's connections ask the node its chain id once, not before every call and send."""

from __future__ import annotations

import pytest

from optio.sdk.chain import LocalSigner, connect, dev_account


@pytest.mark.parametrize("how", ["connect", "local_chain"])
def test_the_chain_id_is_asked_once(anvil, w3, how):
    conn = connect(anvil.url) if how == "connect" else anvil.w3
    assert conn.eth.chain_id == 31337
    asked = []
    real = conn.provider._make_request

    def counting(method, data):
        asked.append(method)
        return real(method, data)

    conn.provider._make_request = counting
    try:
        for _ in range(3):
            conn.eth.call({"to": dev_account(5).address, "data": "0x"})  # validated against the chain id
        conn.eth.estimate_gas({"from": dev_account(1).address, "to": dev_account(2).address, "value": 1})
        tx = LocalSigner(dev_account(1)).send(conn, {"to": dev_account(2).address, "value": 1, "gas": 21_000})
        conn.eth.wait_for_transaction_receipt(tx)
    finally:
        conn.provider._make_request = real
    assert "eth_call" in asked and "eth_sendRawTransaction" in asked
    assert "eth_chainId" not in asked
