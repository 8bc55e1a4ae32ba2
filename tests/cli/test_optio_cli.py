"""The `optio` command as a user runs it: deploy, faucet, deposit → status → withdraw, and bad
input answered with one line, exit code 1, and nothing sent."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.scripts


def one_line_error(run, *fragments: str) -> None:
    assert run.code != 0
    lines = [line for line in run.err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, run.err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_no_deployment_yet(user_chain):
    one_line_error(user_chain.optio("lp", "status"), "no Optio deployment for chain 31337")


def test_lp_round_trip(user_chain):
    assert user_chain.optio("deploy", account="dev:0").code == 0
    assert user_chain.optio("faucet", "--token", "usdc", "--amount", "5000").code == 0
    assert user_chain.optio("faucet", "--token", "weth", "--amount", "3").code == 0

    dep = user_chain.optio("lp", "deposit", "--vault", "put", "--amount", "1000")
    assert dep.code == 0 and "deposited 1000 USDC into the put vault" in dep.out
    assert user_chain.optio("lp", "deposit", "--vault", "call", "--amount", "1.5").code == 0

    status = user_chain.optio("lp", "status")
    assert status.code == 0
    row = next(line for line in status.out.splitlines() if "your position" in line)
    assert "1.492500" in row and "995.000000" in row  # what an exit pays: less the 0.5% exit fee

    out = user_chain.optio("lp", "withdraw", "--vault", "put", "--amount", "400")
    assert out.code == 0, out.err
    out = user_chain.optio("lp", "withdraw", "--vault", "call", "--all")
    assert out.code == 0, out.err
    status = user_chain.optio("lp", "status", "--vault", "put").out
    row = next(line for line in status.splitlines() if "your position" in line)
    # 400 out cost 400 / 0.995 of her 1,000 (the fee goes to the protocol); her exit now pays
    # what is left less the fee: (1,000 − 402.01) × 0.995 = 595.00.
    assert abs(float(row.split("│")[2].replace(",", "")) - (1000 - 400 / 0.995) * 0.995) < 0.01, row
    assert "4,400.000000" in next(line for line in status.splitlines() if "wallet balance" in line)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["lp", "deposit", "--vault", "put", "--amount", "-5"], ["must be positive"]),
        (["lp", "deposit", "--vault", "put", "--amount", "0"], ["must be positive"]),
        (["lp", "deposit", "--vault", "put", "--amount", "lots"], ["is not a number"]),
        (["lp", "deposit", "--vault", "put", "--amount", "1.0000001"], ["more than 6 decimal places"]),
        (["lp", "deposit", "--vault", "put", "--amount", "99999999"], ["exceeds the wallet balance"]),
        (["lp", "withdraw", "--vault", "put", "--amount", "99999999"], ["exceeds the position"]),
    ],
)
def test_bad_input_sends_nothing(user_chain, args, fragments):
    if user_chain.optio("lp", "status").code != 0:
        user_chain.optio("deploy", account="dev:0")
        user_chain.optio("faucet", "--token", "usdc", "--amount", "100")
        user_chain.optio("lp", "deposit", "--vault", "put", "--amount", "10")
    before = user_chain.nonce(1)
    one_line_error(user_chain.optio(*args), *fragments)
    assert user_chain.nonce(1) == before, "a refused command must send nothing"


def test_unknown_vault_is_a_usage_error(user_chain):
    run = user_chain.optio("lp", "deposit", "--vault", "strangle", "--amount", "1")
    assert run.code == 1 and "'strangle' is not one of 'call', 'put'" in run.err


def test_unreachable_rpc(user_chain):
    run = user_chain.optio("--rpc", "http://127.0.0.1:9", "lp", "status")
    one_line_error(run, "RPC http://127.0.0.1:9 is unreachable")


def test_markets_by_name(user_chain):
    """A local deploy carries WETH/USDC and WBTC/USDC; --market (or OPTIO_MARKET) picks one."""
    import json

    listed = user_chain.optio("markets", "--json")
    assert listed.code == 0, listed.err
    rows = json.loads(listed.out)["markets"]
    assert [r["market"] for r in rows] == ["WETH/USDC", "WBTC/USDC"]
    assert [r["base"] for r in rows] == ["WETH", "WBTC"] and len({r["address"] for r in rows}) == 2
    btc = ("--market", "WBTC/USDC")
    assert user_chain.optio(*btc, "faucet", "--token", "wbtc", "--amount", "2").code == 0
    dep = user_chain.optio(*btc, "lp", "deposit", "--vault", "call", "--amount", "0.5")
    assert dep.code == 0 and "deposited 0.5 WBTC into the call vault" in dep.out, dep.out + dep.err
    # The other market's vault saw nothing of it.
    weth = json.loads(user_chain.optio("lp", "status", "--vault", "call", "--json").out)
    wbtc = json.loads(user_chain.optio(*btc, "lp", "status", "--vault", "call", "--json").out)
    assert "WBTC" in json.dumps(wbtc) and "WBTC" not in json.dumps(weth)
    one_line_error(user_chain.optio("--market", "DOGE/USDC", "lp", "status"),
                   "no market 'DOGE/USDC'", "WETH/USDC, WBTC/USDC")
    one_line_error(user_chain.optio(*btc, "faucet", "--token", "weth", "--amount", "1"),
                   "not a mock token of this market", "usdc, wbtc")


def test_unknown_account(user_chain):
    one_line_error(user_chain.optio("lp", "status", account="nobody"), "no account 'nobody'")


def test_demo_refuses_a_taken_port(user_chain):
    port = int(user_chain.url.rsplit(":", 1)[1])  # this Anvil already listens there
    run = user_chain.optio("demo", "--cycle", "--port", str(port))
    one_line_error(run, f"port {port} is already taken")


def test_demo_runs_a_whole_options_cycle(user_chain):
    """`make demo`'s job: a board traded, settled and paid, LPs out, value conserved."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = user_chain.optio("demo", "--cycle", "--port", str(port))
    assert run.code == 0, run.err
    for step in ("Carol buys calls and puts", "Dave posts USDC margin", "The settler keeper settles", "Summary"):
        assert step in run.out, step
    for action in ("settle", "settle-accounts", "exercise"):  # the keeper did the settling
        assert f"settler: {action} mined" in run.out, action
    assert "bad debt: 0.00 USDC; live options left: 0" in run.out
    # Epochs turn: after each spot post the keeper cranks both sides' marks, then fills at them.
    epochs = [line for line in run.out.splitlines() if "epoch mark (" in line]
    assert len(epochs) == 4 and all("live option(s) priced at spot" in line for line in epochs), epochs
    assert "request(s) filled" in run.out
    cells = [line.split("│") for line in run.out.splitlines()]
    rows = [c for c in cells if len(c) == 6 and c[1].strip() in ("alice", "bob", "carol", "dave", "protocol")]
    totals = [float(c[4].replace(",", "")) for c in rows]
    # What traders won, LPs lost, and the protocol's exit fees: zero-sum.
    assert len(totals) == 5 and abs(sum(totals)) < 0.05
