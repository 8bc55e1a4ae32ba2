"""The runtime on Anvil: the loop with /metrics and /healthz, a graceful stop, RPC failover,
Anvil killed and restarted under a running keeper, and the error budget's clean stop."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time

import pytest

from optio.keepers.runtime.logs import JsonFormatter
from optio.sdk.chain import DEV_MNEMONIC, LocalSigner, dev_account
from optio.sdk.deploy import DeployConfig, deploy_protocol
from optio.sdk.deployment import save_deployment
from optio.sdk.localchain import _binary, free_port
from tests.helpers import http_get
from tests.keepers.conftest import KEEPER_INDEX, mining, runner, write_config

GBM = 'sources = [{kind = "gbm", seed = 1, s0 = 3000}]\nheartbeat_s = 5'


def test_loop_serves_metrics_and_health_and_stops_gracefully(w3, protocol, chain, deployed, tmp_path, caplog):
    dead = f"http://127.0.0.1:{free_port()}"  # the first URL never answers: failover to the second
    r = runner(tmp_path, chain, deployed, "oracle", GBM, rpc_urls=[dead, chain.url],
               runtime_extra="metrics_port = 0")
    r.once = False
    mining(w3, 1)  # a 1-second block time, as a real chain
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("code", r.run()))
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while r.metrics.value("keeper_tx_attempts_total", {"outcome": "mined"}) < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        port = r.metrics._server.server_address[1]
        status, body = http_get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and b'keeper_tx_attempts_total{outcome="mined"}' in body
        assert b"keeper_wallet_balance_eth" in body and b"oracle_source_up" in body
        status, body = http_get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and json.loads(body)["healthy"] is True
        assert r.w3.provider.failovers == 1 and r.w3.provider.active == 1
    finally:
        r.stop()
        thread.join(30)
    assert result["code"] == 0 and not thread.is_alive()
    assert protocol.spot_oracle.latest_price()[0] > 0


def _anvil(port: int, state) -> subprocess.Popen:
    cmd = [_binary("anvil"), "--port", str(port), "--mnemonic", DEV_MNEMONIC, "--silent", "--state", str(state)]
    proc = subprocess.Popen(cmd)
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}"))
    deadline = time.monotonic() + 20
    while not w3.is_connected():
        if time.monotonic() > deadline:
            raise RuntimeError("anvil did not start")
        time.sleep(0.1)
    return proc


def test_anvil_killed_and_restarted_under_a_running_keeper(tmp_path, caplog):
    port, state = free_port(), tmp_path / "anvil-state.json"
    proc = _anvil(port, state)
    try:
        from web3 import Web3

        w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}"))
        keeper = LocalSigner(dev_account(KEEPER_INDEX))
        deployment = deploy_protocol(w3, LocalSigner(dev_account(0)), DeployConfig(keeper=keeper.address), save=False)
        manifest = save_deployment(deployment, tmp_path / "deployment.json")
        path = write_config(tmp_path, f"http://127.0.0.1:{port}", manifest, "oracle", GBM,
                            runtime_extra="error_budget = 3\nretry_backoff_s = [0.1]")
        from optio.keepers.runtime.config import load_config
        from optio.keepers.runtime.daemon import Runner

        r = Runner("oracle", load_config(path, "oracle"))
        assert r.cycle()
        r.txs.wait(5)
        first = r.ctx.protocol.spot_oracle.call("latestRoundData")[0]
        proc.terminate()  # the node goes away (its state is saved to the file)
        proc.wait(20)
        with caplog.at_level(logging.WARNING, logger="optio.keepers"):
            assert not r.cycle()  # a failed cycle, logged, not a crash
        assert any("rpc unreachable" in rec.getMessage() for rec in caplog.records)
        assert r.metrics.healthy is False
        proc = _anvil(port, state)  # back, with the chain as it was
        w3.provider.make_request("evm_increaseTime", [10])  # past the heartbeat
        w3.provider.make_request("evm_mine", [])
        assert r.cycle()
        r.txs.wait(5)
        assert r.ctx.protocol.spot_oracle.call("latestRoundData")[0] == first + 1
        # Down for good: the error budget stops the loop cleanly with exit code 2.
        proc.terminate()
        proc.wait(20)
        with caplog.at_level(logging.CRITICAL, logger="optio.keepers"):
            assert r.run() == 2
        assert any("error budget spent" in rec.getMessage() for rec in caplog.records)
    finally:
        proc.kill()


def test_json_log_lines_carry_their_fields():
    record = logging.LogRecord("optio.keepers.x", logging.INFO, __file__, 1, "sent", None, None)
    record.tx_hash = "0xabc"
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "sent" and line["tx_hash"] == "0xabc" and line["level"] == "info"


def test_cli_bad_config_is_one_line_and_exit_1(tmp_path):
    bad = tmp_path / "k.toml"
    bad.write_text("[runtime]\nrpc_urls = []\n")
    cmd = [sys.executable, "-m", "optio.keepers", "oracle", "--config", str(bad)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0 and "rpc_urls" in out.stderr


@pytest.mark.parametrize("name", ["oracle", "vol", "liquidator", "settler"])
def test_every_keeper_runs_once_in_dry_run(w3, protocol, chain, deployed, tmp_path, name):
    tables = {"oracle": GBM, "vol": "", "liquidator": "", "settler": ""}
    path = write_config(tmp_path, chain.url, deployed[1], name, tables[name])
    before = w3.eth.get_transaction_count(dev_account(KEEPER_INDEX).address)
    out = subprocess.run([sys.executable, "-m", "optio.keepers", name, "--config", str(path), "--once", "--dry-run"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(x) for x in out.stderr.splitlines() if x.startswith("{")]
    assert lines[0]["msg"] == "keeper starting" and lines[-1]["msg"] == "keeper stopped"
    assert w3.eth.get_transaction_count(dev_account(KEEPER_INDEX).address) == before


def test_sigterm_stops_the_daemon_cleanly(w3, protocol, chain, deployed, tmp_path):
    import signal

    path = write_config(tmp_path, chain.url, deployed[1], "oracle", GBM)
    proc = subprocess.Popen([sys.executable, "-m", "optio.keepers", "oracle", "--config", str(path)],
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not _has_price(protocol):
            assert time.monotonic() < deadline, "the keeper never posted"
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0
    messages = [json.loads(x)["msg"] for x in err.splitlines() if x.startswith("{")]
    assert "stop requested: finishing the current cycle" in messages and messages[-1] == "keeper stopped"


def _has_price(protocol) -> bool:
    from optio.sdk.errors import ContractRevert

    try:
        protocol.spot_oracle.call("latestRoundData")
    except ContractRevert:
        return False
    return True


def test_one_keeper_process_per_market(tmp_path, chain, keeper, w3):
    """``runtime.market`` picks the deployment's market the process serves: an oracle keeper on
    WBTC/USDC posts to that market's SpotOracle and to no other; an unknown market is refused
    in one line naming the config file and the markets there are."""
    from optio.keepers.runtime.config import load_config
    from optio.keepers.runtime.daemon import Runner
    from optio.sdk.deploy import WBTC_MARKET
    from optio.sdk.errors import InvalidInput
    from optio.sdk.protocol import Protocol

    config = DeployConfig(keeper=keeper.address, extra_markets=(WBTC_MARKET,))
    deployment = deploy_protocol(w3, LocalSigner(dev_account(0)), config, save=False)
    manifest = save_deployment(deployment, tmp_path / "deployment.json")
    btc = 'sources = [{kind = "gbm", seed = 2, s0 = 60000}]\nheartbeat_s = 5'
    path = write_config(tmp_path, chain.url, manifest, "oracle", btc, runtime_extra='market = "WBTC/USDC"')
    r = Runner("oracle", load_config(path, "oracle"), once=True)
    assert r.ctx.protocol.market_name == "WBTC/USDC"
    assert r.cycle()
    r.txs.wait(5)
    markets = Protocol(w3, deployment).markets()
    assert markets["WBTC/USDC"].spot_oracle.feed().value > 10_000
    assert markets["WETH/USDC"].spot_oracle.feed().value is None  # never posted
    path = write_config(tmp_path, chain.url, manifest, "oracle", btc, runtime_extra='market = "DOGE/USDC"')
    with pytest.raises(InvalidInput, match=r"\[runtime\] market: no market 'DOGE/USDC'.*WETH/USDC, WBTC/USDC"):
        Runner("oracle", load_config(path, "oracle"))
