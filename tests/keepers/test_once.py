"""``--once``: its exit code says whether the cycle did what was due (docs/keepers.md, exit codes);
relative paths in a config are read from the config file's folder."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account import Account

from optio.cli.keys import keys
from optio.keepers.runtime.config import load_config
from optio.keepers.runtime.daemon import (
    EXIT_CYCLE_FAILED,
    EXIT_NOT_LANDED,
    EXIT_OK,
    EXIT_UNABLE,
    Runner,
)
from optio.sdk.errors import ContractRevert, InvalidInput
from tests.keepers.conftest import hold_blocks, runner, write_config

GBM = 'sources = [{kind = "gbm", seed = 1, s0 = 3000}]\nheartbeat_s = 3600'
REPLAY = 'sources = [{kind = "replay", path = "prices.csv"}]'


def test_posted_then_nothing_due_both_exit_0(w3, protocol, chain, deployed, tmp_path, caplog):
    assert runner(tmp_path, chain, deployed, "oracle", GBM).run() == EXIT_OK
    assert protocol.spot_oracle.latest_price()[0] > 0
    with caplog.at_level("INFO", logger="optio.keepers.runtime"):
        assert runner(tmp_path, chain, deployed, "oracle", GBM).run() == EXIT_OK
    assert any("nothing due" in r.getMessage() for r in caplog.records)


def test_no_price_exits_5(w3, protocol, chain, deployed, tmp_path):
    now = w3.eth.get_block("latest")["timestamp"]
    (tmp_path / "old.csv").write_text(f"{now - 86400},3000\n")  # a recording that ran out a day ago
    r = runner(tmp_path, chain, deployed, "oracle", 'sources = [{kind = "replay", path = "old.csv"}]')
    assert r.run() == EXIT_UNABLE
    with pytest.raises(ContractRevert, match="NoPrice"):  # nothing posted
        protocol.spot_oracle.latest_price()


def test_a_refused_post_exits_4(w3, protocol, chain, deployed, tmp_path):
    assert runner(tmp_path, chain, deployed, "oracle", GBM).run() == EXIT_OK
    # Three times the price: beyond the oracle's jump bound, so the simulation is refused.
    r = runner(tmp_path, chain, deployed, "oracle", GBM.replace("s0 = 3000", "s0 = 9000"))
    assert r.run() == EXIT_NOT_LANDED


def test_unconfirmed_within_the_wait_exits_4(w3, protocol, chain, deployed, tmp_path):
    hold_blocks(w3)  # nothing is mined
    r = runner(tmp_path, chain, deployed, "oracle", GBM, runtime_extra="once_wait_s = 0.5")
    assert r.run() == EXIT_NOT_LANDED
    assert [f.key for f in r.txs.in_flight()] == ["spot-post"]  # kept for the next start


def test_a_failed_cycle_exits_3(w3, protocol, chain, deployed, tmp_path):
    r = runner(tmp_path, chain, deployed, "oracle", GBM)

    def broken(head):
        raise RuntimeError("a bug")

    r.handler = broken
    assert r.run() == EXIT_CYCLE_FAILED


def test_dry_run_that_would_post_exits_0(w3, protocol, chain, deployed, tmp_path):
    path = write_config(tmp_path, chain.url, deployed[1], "oracle", GBM)
    out = subprocess.run([sys.executable, "-m", "optio.keepers", "oracle", "--config", str(path), "--once",
                          "--dry-run"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "1 transaction(s) simulated" in out.stderr


def test_relative_paths_are_read_from_the_config_folder(w3, protocol, chain, deployed, tmp_path, monkeypatch):
    folder = tmp_path / "ops"
    folder.mkdir()
    now = w3.eth.get_block("latest")["timestamp"]
    (folder / "prices.csv").write_text("timestamp,price\n" + f"{now - 30},2990.5\n")
    (folder / "deployment.json").write_text(deployed[1].read_text())
    path = folder / "oracle.toml"
    path.write_text(f"""
[runtime]
rpc_urls = ["{chain.url}"]
deployment = "deployment.json"
state_dir = "state"
confirmations = 0
[runtime.key]
kind = "dev"
index = 9
[oracle]
sources = [{{kind = "replay", path = "prices.csv"}}]
""")
    monkeypatch.chdir(tmp_path)  # another folder
    cfg = load_config(path, "oracle", env={})
    assert cfg.runtime.deployment == folder / "deployment.json" and cfg.runtime.state_dir == folder / "state"
    assert Runner("oracle", cfg, once=True).run() == EXIT_OK
    assert protocol.spot_oracle.latest_price()[0] == 2990.5
    assert (folder / "state").is_dir()
    # An environment override is the shell's: read from the working directory.
    env = {"OPTIO_KEEPER_STATE_DIR": "elsewhere"}
    assert load_config(path, "oracle", env=env).runtime.state_dir == tmp_path / "elsewhere"


def test_a_missing_price_file_is_one_line_naming_key_and_path(w3, chain, deployed, tmp_path):
    path = write_config(tmp_path, chain.url, deployed[1], "oracle", REPLAY)
    with pytest.raises(InvalidInput) as err:
        Runner("oracle", load_config(path, "oracle", env={}), once=True)
    message = str(err.value)
    assert "\n" not in message and "sources.0.replay.path" in message and str(tmp_path / "prices.csv") in message
    assert message.startswith("[oracle]") and str(path) in message


def test_a_malformed_price_file_is_one_line(w3, chain, deployed, tmp_path):
    (tmp_path / "prices.csv").write_text("2,3000\n1,3001\n")  # not in ascending time
    path = write_config(tmp_path, chain.url, deployed[1], "oracle", REPLAY)
    with pytest.raises(InvalidInput, match=r"^\[oracle\] .*ascending time"):
        Runner("oracle", load_config(path, "oracle", env={}), once=True)


def test_keys_new_makes_a_0600_keystore_a_keeper_can_read(tmp_path):
    out = tmp_path / "keeper.json"
    run = CliRunner().invoke(keys, ["new", "--out", str(out)], env={"KEEPER_PASSWORD": "pw"})
    assert run.exit_code == 0, run.output
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    key = Account.decrypt(json.loads(out.read_text()), "pw")
    assert Account.from_key(key).address in run.output and key.hex() not in run.output
    again = CliRunner().invoke(keys, ["new", "--out", str(out)], env={"KEEPER_PASSWORD": "pw"})
    assert again.exit_code == 1 and "already exists" in again.output
    prompt = CliRunner().invoke(keys, ["new", "--out", str(tmp_path / "b.json")], input="s3cret\ns3cret\n",
                                env={"KEEPER_PASSWORD": None})
    assert prompt.exit_code == 0 and Account.decrypt(json.loads((tmp_path / "b.json").read_text()), "s3cret")
    empty = CliRunner().invoke(keys, ["new", "--out", str(tmp_path / "c.json")], env={"KEEPER_PASSWORD": ""})
    assert empty.exit_code == 1 and "empty" in empty.output and not (tmp_path / "c.json").exists()
    unset = CliRunner().invoke(keys, ["new", "--out", str(tmp_path / "d.json"), "--password-env", "NOPE_PW"],
                               env={"NOPE_PW": None})
    assert unset.exit_code == 1 and "NOPE_PW" in unset.output


def test_the_demos_configs_keep_their_paths_with_a_relative_run_dir(tmp_path, monkeypatch):
    from optio.cli.demo.system import keeper_tables, write_keeper_config

    monkeypatch.chdir(tmp_path)
    run_dir = tmp_path / ".demo"
    run_dir.mkdir()
    (run_dir / "snapshots").mkdir()
    (tmp_path / "deployment.json").write_text("{}")
    table = keeper_tables(1, Path(".demo/snapshots"), 12)["vol"]
    path = write_keeper_config(Path(".demo"), "vol", "http://127.0.0.1:8545", Path("deployment.json"),
                               'kind = "dev"\nindex = 0', table)
    cfg = load_config(path, "vol", env={})
    assert cfg.runtime.state_dir == run_dir / "state" / "vol" and cfg.runtime.deployment == tmp_path / "deployment.json"
    assert cfg.keeper["snapshots"] == str(run_dir / "snapshots")
