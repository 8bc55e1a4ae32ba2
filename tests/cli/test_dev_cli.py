"""`optio dev`, the remembered --rpc, the LP guards, previews, cancel and --json, the board, P&L
and margin health, as a user runs them against a real Anvil; and `optio --help` without web3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from optio.sdk.chain import dev_account
from optio.sdk.deployment import load_deployment, manifest_path
from optio.sdk.devchain import chain_time
from optio.sdk.localchain import local_chain
from optio.sdk.market import margin_health, requirement_at
from optio.sdk.protocol import Protocol
from tests.cli.conftest import BIN, ROOT
from tests.cli.test_optio_cli import one_line_error

pytestmark = pytest.mark.scripts

EXPIRY = "2027-06-25"


def test_help_imports_neither_web3_nor_the_kernels():
    code = ("import sys\nfrom optio.cli.main import cli\n"
            "try:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            "names = ('web3', 'numba', 'optio.sdk.chain', 'optio.pricing.black_scholes')\n"
            "heavy = [m for m in names if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr
    assert "dev" in out.stdout and "Local chains" in out.stdout


def test_dev_refuses_other_chains(tmp_path):
    with local_chain("anvil", chain_id=4242) as chain:
        env = dict(os.environ, OPTIO_CONFIG_DIR=str(tmp_path))
        for args in (["dev", "price", "3000"], ["dev", "warp", "60"], ["dev", "surface", "--vol", "0.5"],
                     ["dev", "grant", "KEEPER_ROLE", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]):
            block = chain.w3.eth.block_number
            run = subprocess.run([str(BIN / "optio"), "--rpc", chain.url, *args], capture_output=True, text=True,
                                 env=env, timeout=60, cwd=ROOT)
            lines = [line for line in run.stderr.splitlines() if line.strip()]
            assert run.returncode == 1 and len(lines) == 1, run.stderr
            assert "works only on local chains" in lines[0] and "4242" in lines[0], lines[0]
            assert chain.w3.eth.block_number == block


@pytest.fixture(scope="module")
def chain(user_chain):
    assert user_chain.optio("deploy", account="dev:0").code == 0
    return user_chain


def _protocol(user_chain) -> Protocol:
    w3 = user_chain.w3
    folder = Path(user_chain.env["OPTIO_DEPLOYMENTS_DIR"])
    return Protocol(w3, load_deployment(w3, manifest_path(w3.eth.chain_id, folder)))


def _run(user_chain, *args, env=None):
    p = subprocess.run([str(BIN / "optio"), *args], env=env or user_chain.env, capture_output=True, text=True,
                       timeout=120, cwd=ROOT)
    return p


def test_rpc_is_remembered_and_never_a_silent_fallback(chain, tmp_path):
    env = dict(chain.env, OPTIO_CONFIG_DIR=str(tmp_path / "cfg"))
    first = _run(chain, "--rpc", chain.url, "lp", "status", env=env)
    assert first.returncode == 0, first.stderr
    assert chain.url in (tmp_path / "cfg" / "state.json").read_text()
    again = _run(chain, "lp", "status", env=env)  # no --rpc: the remembered one
    assert again.returncode == 0, again.stderr
    (tmp_path / "cfg" / "state.json").write_text(json.dumps({"rpc": "http://127.0.0.1:9"}))
    run = _run(chain, "lp", "status", env=env)
    one_line_error(type("R", (), {"code": run.returncode, "err": run.stderr})(), "remembered from an earlier --rpc")
    env_url = _run(chain, "lp", "status", env=dict(env, OPTIO_RPC_URL=chain.url))
    assert env_url.returncode == 0, env_url.stderr
    empty = dict(chain.env, OPTIO_CONFIG_DIR=str(tmp_path / "none"))
    run = _run(chain, "lp", "status", env=empty)  # nothing given anywhere: the default, said so
    assert run.returncode == 1 and ("the default" in run.stderr or "no Optio deployment" in run.stderr), run.stderr


def test_dev_price_surface_warp_grant(chain):
    assert chain.optio("dev", "price", "3000", account="dev:0").code == 0
    assert chain.optio("trade", "list", "--expiry", EXPIRY, "--strikes", "2700,3000,3300", account="dev:0").code == 0
    run = chain.optio("dev", "surface", "--vol", "0.6", account="dev:0")
    assert run.code == 0 and "flat 60.00% surface posted for 2027-06-25" in run.out, run.err
    board = json.loads(chain.optio("trade", "board", "--expiry", EXPIRY, "--json").out)
    rows = board["boards"][0]["rows"]
    assert len(rows) == 6 and all(abs(r["vol"] - 0.6) < 1e-4 for r in rows)
    assert all(Decimal(r["bid"]) < Decimal(r["ask"]) for r in rows)
    atm_call = next(r for r in rows if r["strike"] == "3000" and r["type"] == "call")
    assert 0.5 < atm_call["delta"] < 0.7 and atm_call["theta"] < 0 < atm_call["gamma"]

    one_line_error(chain.optio("dev", "price", "3010", account="dev:5"), "neededRole=KEEPER_ROLE")
    run = chain.optio("dev", "grant", "keeper", "dev:5", account="dev:0")
    assert run.code == 0 and "KEEPER_ROLE granted" in run.out, run.err
    assert chain.optio("dev", "price", "3010", account="dev:5").code == 0

    before = chain_time(chain.w3)
    assert chain.optio("dev", "warp", "3600").code == 0
    assert chain_time(chain.w3) >= before + 3600
    assert chain.optio("dev", "price", "3000", account="dev:0").code == 0  # fresh again after the warp


def test_lp_guards_preview_queue_cancel_and_json(chain):
    for token, amount in (("weth", "10"), ("usdc", "50000")):
        assert chain.optio("faucet", "--token", token, "--amount", amount, account="dev:2").code == 0
    nonce = chain.nonce(2)
    preview = json.loads(chain.optio("lp", "deposit", "--vault", "call", "--amount", "5", "--preview", "--json",
                                     account="dev:2").out)
    assert preview["preview"] and Decimal(preview["shares"]) > 0
    one_line_error(chain.optio("lp", "deposit", "--vault", "call", "--amount", "5", "--min-shares", "1000000",
                               account="dev:2"), "below --min-shares")
    assert chain.nonce(2) == nonce, "a preview or a refused guard sends nothing"
    dep = json.loads(chain.optio("lp", "deposit", "--vault", "call", "--amount", "5", "--json", account="dev:2").out)
    assert Decimal(dep["shares_minted"]) == Decimal(preview["shares"])

    # A buy makes an option live: the call vault's flows are requests (forward-priced), a whole
    # exit is queued, paid once a fill (the keeper's) sets its assets aside.
    assert chain.optio("faucet", "--token", "weth", "--amount", "5", account="dev:3").code == 0
    buy = chain.optio("trade", "buy", "--expiry", EXPIRY, "--strike", "3000", "--type", "call", "--amount", "2",
                      "--json", account="dev:3")
    assert buy.code == 0, buy.err
    assert json.loads(buy.out)["quote"]["option"]["expiry"] == "2027-06-25 08:00 UTC"
    out = chain.optio("lp", "withdraw", "--vault", "call", "--all", "--queue", "--json", account="dev:2")
    assert out.code == 0, out.err
    done = json.loads(out.out)
    assert Decimal(done["assets_paid"]) == 0 and len(done["queued"]) == 1
    request = done["queued"][0]["request_id"]
    one_line_error(chain.optio("lp", "claim", "--vault", "call", account="dev:2"), "still queued")
    cancel = chain.optio("lp", "cancel", str(request), "--vault", "call", account="dev:2")
    assert cancel.code == 0 and f"cancelled redeem request #{request}" in cancel.out, cancel.err
    one_line_error(chain.optio("lp", "cancel", str(request), "--vault", "call", account="dev:2"),
                   "only a pending one")
    status = json.loads(chain.optio("lp", "status", "--vault", "call", "--json", account="dev:2").out)
    assert Decimal(status["vaults"]["call"]["owner_shares"]) == Decimal(done["queued"][0]["shares"])
    assert status["vaults"]["call"]["instant_flows_open"] is False

    # A deposit is a request too: queued, listed, cancelled (assets back); queued again, filled by
    # the keeper (`optio dev fill`, dev:0), its shares minted at the fill.
    queued = json.loads(chain.optio("lp", "deposit", "--vault", "call", "--amount", "1", "--json", account="dev:2").out)
    assert queued["queued"] and Decimal(queued["assets"]) == 1 and queued["fill_delay_s"] == 3600
    first = queued["request_id"]
    mine = json.loads(chain.optio("lp", "requests", "--vault", "call", "--json", account="dev:2").out)
    listed = {r["request_id"]: r for r in mine["vaults"]["call"]}
    assert listed[first]["kind"] == "deposit" and listed[first]["status"] == "pending"
    assert listed[first]["fillable_by_anyone_at"] == listed[first]["requested_at"] + 3600
    cancel = chain.optio("lp", "cancel", str(first), "--vault", "call", account="dev:2")
    assert cancel.code == 0 and f"cancelled deposit request #{first}: 1 WETH back" in cancel.out, cancel.err
    text = chain.optio("lp", "deposit", "--vault", "call", "--amount", "1", account="dev:2").out
    assert "queued deposit request" in text and "or by anyone after 1 h" in text
    early = chain.optio("dev", "fill", account="dev:2")  # not the filler, the request younger than an hour
    assert early.code == 0 and "call vault: 0 request(s) filled" in early.out, early.err
    # Fills serve requests made before the mark's spot post and its surface posts (the keepers').
    assert chain.optio("dev", "price", "3000", account="dev:0").code == 0
    assert chain.optio("dev", "surface", "--vol", "0.6", account="dev:0").code == 0
    fill = chain.optio("dev", "fill", account="dev:0")
    assert fill.code == 0 and "call vault: 1 request(s) filled (1 deposit(s), 0 redeem(s)) at share price" in fill.out
    mine = json.loads(chain.optio("lp", "requests", "--vault", "call", "--json", account="dev:2").out)
    last = mine["vaults"]["call"][-1]
    assert last["kind"] == "deposit" and last["status"] == "claimed" and Decimal(last["shares"]) > 0

    positions = json.loads(chain.optio("trade", "positions", "--json", account="dev:3").out)["positions"]
    (p,) = positions
    assert Decimal(p["amount"]) == 2 and Decimal(p["pnl"]) == Decimal(p["mark"]) - Decimal(p["paid"])


def test_margin_health_and_liquidation_spot(chain):  # after the tests above: a board listed and priced
    assert chain.optio("faucet", "--token", "usdc", "--amount", "20000", account="dev:2").code == 0
    assert chain.optio("lp", "deposit", "--vault", "put", "--amount", "20000", account="dev:2").code == 0
    assert chain.optio("faucet", "--token", "usdc", "--amount", "10000", account="dev:4").code == 0
    assert chain.optio("margin", "deposit", "--side", "put", "--amount", "6000", account="dev:4").code == 0
    sell = chain.optio("trade", "sell", "--expiry", EXPIRY, "--strike", "2700", "--type", "put", "--amount", "3",
                       account="dev:4")
    assert sell.code == 0, sell.err
    status = json.loads(chain.optio("margin", "status", "--json", account="dev:4").out)
    puts = status["puts"]
    assert puts["ratio"] > 1 and 0 < puts["liquidation_spot"] < 3000 and status["calls"]["ratio"] is None

    protocol = _protocol(chain)
    account = dev_account(4).address
    margin_status, health = margin_health(protocol.market, account)
    c = protocol.margin.call_struct("config")
    config = tuple(float(Decimal(x) / Decimal(10**18)) for x in (c.spotShockWad, c.volShockWad, c.floorWad))
    shorts = list(margin_status.shorts)
    surfaces = {o.expiry: protocol.vol_oracle.surface(o.expiry).value for o, _ in shorts}
    now = chain_time(chain.w3)
    spot = float(protocol.spot_oracle.feed().value)
    # The off-chain rule gives the chain's requirement at today's spot ...
    off = requirement_at(protocol.market, shorts, spot, now, config, surfaces)[False]
    assert off == pytest.approx(float(margin_status.puts.required), rel=1e-6)
    # ... and at the liquidation spot the requirement meets the collateral.
    at = requirement_at(protocol.market, shorts, health[False].liquidation_spot, now, config, surfaces)[False]
    assert at == pytest.approx(float(margin_status.puts.collateral), rel=1e-5)


def test_deploy_never_replaces_a_live_manifest_on_a_real_chain(tmp_path, monkeypatch):
    """A chain id outside the local ones, whose manifest names live code: deploy refuses (the
    mocks refuse such chains, so the live code here is a one-byte contract)."""
    from optio.sdk.deployment import ContractRecord, Deployment, save_deployment

    monkeypatch.setenv("OPTIO_DEPLOYMENTS_DIR", str(tmp_path / "deployments"))
    with local_chain("anvil", chain_id=4242) as chain:
        w3 = chain.w3
        sender = dev_account(0).address
        tx = w3.eth.send_transaction({"from": sender, "data": "0x600160005360016000f3"})  # runtime code: 0x01
        address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
        record = ContractRecord(address=address, artifact="SpotOracle", bytecode_hash="0x")
        save_deployment(Deployment(chain_id=4242, deployer=sender, deploy_block=1, contracts={"SpotOracle": record}))
        block = w3.eth.block_number
        env = dict(os.environ, OPTIO_CONFIG_DIR=str(tmp_path / "cfg"))
        run = subprocess.run([str(BIN / "optio"), "--rpc", chain.url, "deploy"], capture_output=True, text=True,
                             env=env, timeout=60, cwd=ROOT)
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert run.returncode == 1 and len(lines) == 1 and "already records a live deployment" in lines[0], run.stderr
        assert w3.eth.block_number == block


def test_ape_never_acts_on_a_node_it_started_itself(user_chain):
    from optio.sdk.localchain import free_port

    env = dict(user_chain.env, APE_FOUNDRY_HOST=f"http://127.0.0.1:{free_port()}")
    cmd = [str(BIN / "ape"), "run", "status", "--network", "ethereum:local:foundry", "--account", "TEST::1"]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert run.returncode != 0
    assert "ape started an empty node of its own" in run.stderr, run.stderr[-2000:]
