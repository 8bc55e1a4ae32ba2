"""The oracle read through Chainlink's AggregatorV3Interface by an independent client (cast),
with signatures taken from Chainlink's own interface file, not from our ABI."""

from __future__ import annotations

import re
import subprocess

from optio.sdk.artifacts import PROJECT_ROOT
from tests.helpers import now, send

INTERFACE = PROJECT_ROOT / "node_modules/@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol"
CAST = PROJECT_ROOT / "node_modules/.bin/cast"


def cast_call(url: str, address: str, signature: str) -> str:
    """``cast call``; ``signature`` may carry the arguments after a space."""
    out = subprocess.run(
        [str(CAST), "call", "--rpc-url", url, address, *signature.split(" ")], capture_output=True, text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_chainlink_consumer_reads_the_oracle(anvil, w3, protocol, keeper):
    source = INTERFACE.read_text()
    assert re.search(r"function latestRoundData\(\)\s*external\s*view", source)  # the real interface
    ts = now(w3)
    send(protocol.spot_oracle, keeper, "post", 2987_5 * 10**17, ts)
    address = protocol.spot_oracle.address
    fields = cast_call(anvil.url, address, "latestRoundData()(uint80,int256,uint256,uint256,uint80)").split("\n")
    round_id, answer, _, updated_at, _ = (f.split(" ")[0] for f in fields)
    assert (int(round_id), int(answer), int(updated_at)) == (1, 2987_5 * 10**17, ts)
    assert cast_call(anvil.url, address, "decimals()(uint8)") == "18"


def test_chainlink_consumer_reads_history_and_gets_a_revert_when_stale(anvil, w3, protocol, keeper):
    """``getRoundData`` serves earlier rounds (the 64-round ring); ``latestRoundData`` reverts
    once the price is stale — the revert is the staleness check an integrator gets."""
    oracle, address = protocol.spot_oracle, protocol.spot_oracle.address
    first = now(w3)
    send(oracle, keeper, "post", 2000 * 10**18, first)
    w3.provider.make_request("evm_mine", [first + 10])
    send(oracle, keeper, "post", 2010 * 10**18, first + 10)
    fields = cast_call(anvil.url, address, "getRoundData(uint80)(uint80,int256,uint256,uint256,uint80) 1").split("\n")
    round_id, answer, _, updated_at, answered = (f.split(" ")[0] for f in fields)
    assert (int(round_id), int(answer), int(updated_at), int(answered)) == (1, 2000 * 10**18, first, 1)
    w3.provider.make_request("evm_mine", [first + 10 + 3601])
    out = subprocess.run(
        [str(CAST), "call", "--rpc-url", anvil.url, address, "latestRoundData()(uint80,int256,uint256,uint256,uint80)"],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode != 0 and "revert" in (out.stderr + out.stdout).lower(), out
