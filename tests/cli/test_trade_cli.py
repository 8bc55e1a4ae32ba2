"""`optio trade|margin` and `ape run trade|margin` as a user runs them: a board listed, a quote
shown beside the engine's, buy, sell on margin, close, settle, exercise; bad input answered with
one line and nothing sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from optio.pricing.svi import SviParams
from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.deployment import load_deployment, manifest_path
from optio.sdk.protocol import Protocol
from tests.cli.test_optio_cli import one_line_error

pytestmark = pytest.mark.scripts

SURFACE = SviParams(a=0.01, b=0.02, rho=-0.3, m=0.0, sigma=0.1)


@pytest.fixture(scope="module")
def board(user_chain):
    """Deployed, priced, one board listed, the vaults funded, the trader (dev:1) funded."""
    assert user_chain.optio("deploy", account="dev:0").code == 0
    w3 = user_chain.w3
    protocol = Protocol(w3, _load(user_chain))
    keeper = LocalSigner(dev_account(0))
    ts = w3.eth.get_block("latest")["timestamp"]
    expiry = ts + 7 * 24 * 3600
    protocol.spot_oracle.post(keeper, "2000", ts)
    assert user_chain.optio("trade", "list", "--expiry", str(expiry), "--strikes", "1800,2000,2200",
                            account="dev:0").code == 0
    protocol.vol_oracle.post(keeper, expiry, SURFACE)
    for token, amount in (("weth", "100"), ("usdc", "500000")):
        assert user_chain.optio("faucet", "--token", token, "--amount", amount, account="dev:0").code == 0
        assert user_chain.optio("faucet", "--token", token, "--amount", "1000").code == 0
    assert user_chain.optio("lp", "deposit", "--vault", "call", "--amount", "100", account="dev:0").code == 0
    assert user_chain.optio("lp", "deposit", "--vault", "put", "--amount", "500000", account="dev:0").code == 0
    return expiry


def _load(user_chain):
    directory = Path(user_chain.env["OPTIO_DEPLOYMENTS_DIR"])
    return load_deployment(user_chain.w3, manifest_path(user_chain.w3.eth.chain_id, directory))


def opt(expiry, strike="2000", kind="call"):
    return ["--expiry", str(expiry), "--strike", strike, "--type", kind]


def test_quote_shows_chain_beside_engine(user_chain, board):
    run = user_chain.optio("trade", "quote", *opt(board), "--amount", "2")
    assert run.code == 0, run.err
    row = next(line for line in run.out.splitlines() if "price per option" in line)
    chain, engine = (cell.strip() for cell in row.split("│")[2:4])
    assert abs(float(chain.replace(",", "")) - float(engine.replace(",", ""))) < 1e-4


def test_buy_close_sell_on_margin(user_chain, board):
    run = user_chain.optio("trade", "buy", *opt(board), "--amount", "1.5")
    assert run.code == 0, run.err
    assert "✓ buy 1.5" in run.out
    board_out = user_chain.optio("trade", "board").out
    assert "1.5" in board_out
    assert user_chain.optio("trade", "close", *opt(board)).code == 0

    assert user_chain.optio("margin", "deposit", "--side", "put", "--amount", "800").code == 0
    run = user_chain.optio("trade", "sell", *opt(board, kind="put"), "--amount", "2")
    assert run.code == 0, run.err
    status = user_chain.optio("margin", "status").out
    assert "short put 2000" in status
    assert user_chain.optio("trade", "close", *opt(board, kind="put")).code == 0


def test_ape_trade_and_margin_scripts(user_chain, board):
    run = user_chain.ape("quote", *opt(board, "2200"))
    assert run.code == 0, run.err
    assert "engine (pricing/)" in run.out
    run = user_chain.ape("buy", *opt(board, "2200"), "--amount", "1")
    assert run.code == 0, run.err + run.out
    run = user_chain.ape("close", *opt(board, "2200"))
    assert run.code == 0, run.err + run.out
    run = user_chain.ape("margin", "--action", "deposit", "--side", "call", "--amount", "1")
    assert run.code == 0, run.err + run.out
    run = user_chain.ape("margin")
    assert run.code == 0 and "1.000000" in run.out, run.err
    run = user_chain.ape("sell", *opt(board, "2200"), "--amount", "-1")
    one_line_error(run, "must be positive")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ["trade", "buy", "--expiry", "soon", "--strike", "2000", "--type", "call", "--amount", "1"],
            ["expiry 'soon'"],
        ),
        (["trade", "buy", "--strike", "1900", "--type", "call", "--amount", "1"], ["is not listed"]),
        (["trade", "buy", "--strike", "2000", "--type", "call", "--amount", "-1"], ["must be positive"]),
        (["trade", "buy", "--strike", "2000", "--type", "call", "--amount", "0.0001"], ["AmountTooSmall"]),
        (["trade", "buy", "--strike", "2000", "--type", "call", "--amount", "1", "--limit", "0.000001"],
         ["above your limit"]),
        (["trade", "sell", "--strike", "2000", "--type", "put", "--amount", "50"], ["BelowRequirement"]),
        (["trade", "close", "--strike", "1800", "--type", "put"], ["no position"]),
        (["margin", "withdraw", "--side", "call", "--amount", "5"], ["can leave"]),
        (["trade", "buy", "--strike", "2000", "--type", "call", "--amount", "1", "--slippage", "2"],
         ["slippage must be in"]),
    ],
)
def test_bad_trade_input_sends_nothing(user_chain, board, args, fragments):
    if "--strike" in args and "--expiry" not in args:
        args = [*args[:2], "--expiry", str(board), *args[2:]]
    nonce = user_chain.nonce(1)
    one_line_error(user_chain.optio(*args), *fragments)
    assert user_chain.nonce(1) == nonce
