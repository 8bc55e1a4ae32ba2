"""The whole system as `make demo` starts it: a short run to its summary, Ctrl-C under a running
system (every process it started stops, nothing else does), and the services alone against a
chain where the protocol is deployed."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.deploy import DeployConfig, deploy_protocol
from optio.sdk.deployment import save_deployment
from optio.sdk.errors import ContractRevert
from optio.sdk.localchain import free_port, local_chain, port_in_use
from optio.sdk.protocol import Protocol

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"feed", "oracle", "vol", "liquidator", "settler", "guardian", "risk"}


def demo(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "optio.cli.main", "demo", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as stopped.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def wait_for_services(run_dir: Path, timeout: float = 90) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        path = run_dir / "processes.json"
        if path.exists():
            pids = json.loads(path.read_text())
            if set(pids) >= SERVICES:
                return pids
        time.sleep(0.5)
    raise AssertionError(f"the services did not start within {timeout} s")


def test_a_short_demo_runs_to_its_summary(tmp_path):
    port = free_port()
    proc = demo("--minutes", "0.6", "--port", str(port), "--run-dir", str(tmp_path), "--dashboard-port", "0")
    out, _ = proc.communicate(timeout=240)
    assert proc.returncode == 0, out
    for line in ("started oracle", "started vol", "started liquidator", "started settler", "started guardian",
                 "started feed", "started risk", "Risk dashboard: http://127.0.0.1:", "Guardian decisions:",
                 "Stopped every service and Anvil", "started oracle-wbtc", "deployed WETH/USDC, WBTC/USDC"):
        assert line in out, out
    # The second market's own oracle keeper posted its spot (a BTC price, not the ETH one) and
    # its posts were mined; the summary has a line for each market.
    markets = next(line for line in out.splitlines() if line.startswith("Markets: "))
    assert "WETH/USDC spot" in markets and "WBTC/USDC spot" in markets, markets
    lines = [json.loads(line) for line in (tmp_path / "logs" / "oracle-wbtc.log").read_text().splitlines()]
    posts = [float(line["price"]) for line in lines if line["msg"] == "post"]
    assert posts and all(10_000 < p < 1_000_000 for p in posts), posts
    assert any(line["msg"] == "finished" and line["status"] == "mined" for line in lines)
    trades = int(next(line for line in out.splitlines() if "│ trades " in line).split("│")[2])
    assert trades > 0
    rows = {name: next(line for line in out.splitlines() if re.match(rf"│\s*{name} │", line)).split("│")
            for name in ("oracle", "vol", "liquidator", "settler", "guardian", "oracle-wbtc")}
    assert int(rows["oracle"][2]) > 0 and int(rows["vol"][2]) > 0  # both posted (mined transactions)
    assert all(int(row[5]) == 0 for row in rows.values()), out  # no keeper's cycle failed
    # No post reverted once mined (vol posts ran out of gas where their reference advanced). The
    # oracle keeper's count also holds its epoch cranks, which may revert StalePrice here: a block
    # is 30 minutes of chain time, the spot's max age an hour, and a crank sent after a post can
    # land two blocks later. So posts are counted from the keepers' logs, and cranks must have
    # turned epochs.
    finished = [json.loads(line) for name in ("oracle", "vol")
                for line in (tmp_path / "logs" / f"{name}.log").read_text().splitlines()
                if '"msg": "finished"' in line]
    reverted_posts = [f for f in finished if f["status"] == "reverted" and not f["key"].startswith("crank:")]
    assert not reverted_posts, reverted_posts
    assert int(rows["vol"][3]) == 0, out
    assert any(f["key"].startswith("crank:") and f["status"] == "mined" for f in finished), "no epoch crank mined"
    pids = json.loads((tmp_path / "processes.json").read_text())
    assert not any(alive(pid) for name, pid in pids.items() if name != "supervisor")
    assert not port_in_use(port)


def test_ctrl_c_stops_every_process_it_started_and_nothing_else(tmp_path):
    bystander = subprocess.Popen(["sleep", "120"])
    port = free_port()
    dashboard = free_port()
    proc = demo("--forever", "--port", str(port), "--run-dir", str(tmp_path), "--dashboard-port", str(dashboard))
    try:
        pids = wait_for_services(tmp_path)
        state = dashboard_state(dashboard, lambda s: s["spot"]["price"] and s["keepers"]["oracle"]["mined"] > 0
                                and all(m["spot"] for m in s["markets"]))
        assert state["vaults"]["put"]["nav"] > 0 and state["chain"]["chain_id"] == 31337  # the demo's chain
        assert [m["market"] for m in state["markets"]] == ["WETH/USDC", "WBTC/USDC"]
        assert state["consolidated"]["markets"] == 2
        assert set(state["keepers"]) == SERVICES - {"feed", "risk"}
        assert all(alive(pids[name]) for name in SERVICES)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        assert "Ctrl-C: stopping the services" in out and "Stopped every service and Anvil" in out, out
        assert not any(alive(pids[name]) for name in SERVICES)
        assert not port_in_use(port)
        assert bystander.poll() is None  # not ours: left alone
    finally:
        proc.kill()
        bystander.kill()


def dashboard_state(port: int, ready, timeout: float = 90) -> dict:
    """The risk service's /api/state once ``ready(state)`` holds."""
    deadline = time.monotonic() + timeout
    state: dict = {}
    while time.monotonic() < deadline:
        try:
            state = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/state", timeout=2).read())
            if state.get("chain") and ready(state):
                return state
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"the dashboard's state never got ready: {state}")


@pytest.fixture
def deployed_chain(tmp_path):
    with local_chain("anvil", extra_args=["--accounts", "30"]) as chain:
        # Zero delay: the services' keepers get their roles through the timelock at start.
        deployment = deploy_protocol(chain.w3, LocalSigner(dev_account(0)), DeployConfig(timelock_delay=0), save=False)
        yield chain, save_deployment(deployment, tmp_path / "manifest.json"), deployment


def test_services_alone_against_a_deployed_chain(tmp_path, deployed_chain):
    chain, manifest, deployment = deployed_chain
    run_dir = tmp_path / "run"
    proc = demo("--rpc", chain.url, "--deployment", str(manifest), "--run-dir", str(run_dir), "--dashboard-port", "0")
    try:
        pids = wait_for_services(run_dir)
        protocol = Protocol(chain.w3, deployment)
        deadline = time.monotonic() + 60
        while True:  # the oracle keeper (its own process) posts the first price
            try:
                protocol.spot_oracle.latest_price()
                break
            except ContractRevert:
                assert time.monotonic() < deadline, (run_dir / "logs" / "oracle.log").read_text()[-2000:]
                chain.w3.provider.make_request("evm_mine", [])
                time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        assert "Ctrl-C: stopping the services" in out, out
        assert not any(alive(pids[name]) for name in SERVICES)
        assert chain.process.poll() is None  # the chain was not the demo's: it keeps running
    finally:
        proc.kill()


@pytest.mark.parametrize("args, message", [
    (["--deployment", "x.json"], "--deployment goes with --rpc"),
    (["--rpc", "http://127.0.0.1:1", "--deployment", "/nonexistent.json"], "--deployment /nonexistent.json: give"),
    (["--minutes", "0"], "Invalid value for '--minutes'"),
])
def test_bad_demo_options_are_one_line(args, message):
    proc = demo(*args)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode != 0 and message in out and "Traceback" not in out, out
