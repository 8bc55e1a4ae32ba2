"""docs/keepers.md as an operator uses it: every TOML block loads and each keeper in it runs one
cycle (``--once``) on Anvil and exits 0; the settings reference names every setting; the
systemd unit, the Dockerfile and the compose file are well formed.

A block with a ``[runtime]`` table is a config file, written as it stands into a folder of its
own; a block without one adds its tables to the file before it (as the guardian's table in the
risk section). The operator's own surroundings are given as an operator gives them: the RPC
URLs and the manifest through ``OPTIO_KEEPER_RPC_URLS`` / ``OPTIO_KEEPER_DEPLOYMENT`` (the
documented overrides), a keystore made by ``optio keys new``, a ``prices.csv`` beside the file,
and the exchanges' answers recorded (no exchange is reachable from CI)."""

from __future__ import annotations

import configparser
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from optio.cli.keys import keys
from optio.keepers import guardian, liquidator, oracle, settler, vol
from optio.keepers import sources as sources_module
from optio.keepers.runtime.config import FeeConfig, KeyConfig, RuntimeConfig, load_config
from optio.keepers.runtime.daemon import KEEPERS, Runner
from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.deploy import DeployConfig, deploy_protocol
from optio.sdk.deployment import save_deployment
from optio.sdk.protocol import Protocol
from tests.keepers.conftest import mining

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "keepers.md"
FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = {"coinbase": "coinbase_ticker.json", "kraken": "kraken_ticker.json", "binance": "binance_ticker.json"}


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(), flags=re.S)


def config_files() -> list[str]:
    files: list[str] = []
    for block in blocks("toml"):
        if "[runtime]" in block or not files:
            files.append(block)
        else:
            files[-1] += "\n" + block
    return files


CONFIGS = config_files()


def test_the_page_has_runnable_configs():
    assert len(CONFIGS) >= 2
    named = {t for text in CONFIGS for t in tomllib.loads(text) if t in KEEPERS}
    assert named == set(KEEPERS), "every keeper has a table in an example"


def _recorded(url: str, timeout: float) -> str:
    venue = next(v for v in RECORDED if v in url)
    return (FIXTURES / RECORDED[venue]).read_text()


@pytest.mark.parametrize("index", range(len(CONFIGS)))
def test_each_config_of_the_page_runs_once(chain, tmp_path, monkeypatch, index):
    text = CONFIGS[index]
    raw = tomllib.loads(text)
    w3 = chain.w3
    snap = w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        folder = tmp_path / "operator"
        folder.mkdir()
        config = folder / "keepers.toml"
        config.write_text(text)
        key = raw["runtime"]["key"]
        password_env = key.get("password_env", "KEEPER_PASSWORD")
        env = {password_env: "correct horse battery staple"}
        if key["kind"] == "keystore":
            made = CliRunner().invoke(keys, ["new", "--out", str(folder / key["path"])], env=env)
            assert made.exit_code == 0, made.output
            address = w3.to_checksum_address("0x" + json.loads((folder / key["path"]).read_text())["address"])
            w3.provider.make_request("anvil_setBalance", [address, hex(10**20)])
        else:
            address = dev_account(key["index"]).address
        deployer = LocalSigner(dev_account(0))
        deployment = deploy_protocol(w3, deployer, DeployConfig(keeper=address, guardian=address, timelock_delay=0),
                                     save=False)
        manifest = save_deployment(deployment, folder / "deployments" / f"{w3.eth.chain_id}.json")
        env["OPTIO_KEEPER_RPC_URLS"] = chain.url  # the operator's chain is this Anvil…
        if (folder / raw["runtime"].get("deployment", "")).resolve() != manifest.resolve():
            env["OPTIO_KEEPER_DEPLOYMENT"] = str(manifest)  # …and its manifest this one
        if "metrics_port" in raw["runtime"]:
            env["OPTIO_KEEPER_METRICS_PORT"] = "0"  # any free port: several test runs share the machine
        now = w3.eth.get_block("latest")["timestamp"]
        if "prices.csv" in text:
            (folder / "prices.csv").write_text("timestamp,price\n" + "".join(
                f"{t},3012.5\n" for t in range(now - 600, now + 600, 60)))
        monkeypatch.setattr(sources_module, "http_get", _recorded)
        monkeypatch.chdir(tmp_path)  # not the config's folder: relative paths are read from the file's
        mining(w3, 1)  # one-second blocks: `confirmations` blocks come on top
        for name in (n for n in KEEPERS if n in raw):
            runner = Runner(name, load_config(config, name, env=env), once=True, env=env)
            assert runner.run() == 0, f"{name} in example {index}"
        if "oracle" in raw:
            price, _ = Protocol(w3, deployment).spot_oracle.latest_price()
            assert price > 0
    finally:
        mining(w3, None)
        w3.provider.make_request("evm_revert", [snap])


def _section(title: str) -> str:
    text = DOC.read_text()
    start = text.index(title)
    return text[start: text.index("\n#### ", start + len(title))]


@pytest.mark.parametrize(("table", "model"), [
    ("runtime", RuntimeConfig), ("runtime.key", KeyConfig), ("runtime.fees", FeeConfig),
    ("oracle", oracle.Settings), ("vol", vol.Settings), ("liquidator", liquidator.Settings),
    ("settler", settler.Settings), ("guardian", guardian.Settings),
])
def test_the_reference_names_every_setting(table, model):
    reference = _section("#### Settings reference")
    nested = {"key", "fees"} if table == "runtime" else set()
    missing = [f for f in model.model_fields if f not in nested and f"`{table}.{f}`" not in reference]
    assert not missing, f"not in the settings reference of docs/keepers.md: {missing}"


def test_the_reference_names_every_source_field():
    reference = _section("#### Settings reference")
    for model in (oracle.ReplayConfig, oracle.GbmConfig, oracle.RestConfig):
        (kind,) = model.model_fields["kind"].annotation.__args__
        row = next(line for line in reference.splitlines() if f'kind = "{kind}"' in line)
        missing = [f for f in model.model_fields if f not in ("kind", "name") and f"`{f}`" not in row]
        assert not missing, f"{model.__name__}: {missing}"


def test_exit_codes_are_documented_as_the_runtime_defines_them():
    from optio.keepers.runtime import daemon

    table = _section("#### Exit codes")
    for name in ("EXIT_OK", "EXIT_REFUSED", "EXIT_BUDGET", "EXIT_CYCLE_FAILED", "EXIT_NOT_LANDED", "EXIT_UNABLE"):
        assert f"\n| {getattr(daemon, name)} |" in table, name


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_unit_verifies(tmp_path):
    (unit,) = blocks("ini")
    parsed = configparser.ConfigParser(strict=False, interpolation=None)
    parsed.optionxform = str
    parsed.read_string(unit)
    assert {"Unit", "Service", "Install"} <= set(parsed.sections())
    exec_start = parsed["Service"]["ExecStart"].split()
    assert exec_start[1:4] == ["keeper", "run", "%i"] and "--config" in exec_start
    # systemd-analyze checks every directive and that the command exists: here, this venv's optio.
    path = tmp_path / "optio-keeper@oracle.service"
    path.write_text(unit.replace(exec_start[0], str(Path(sys.executable).parent / "optio")))
    out = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60)
    complaints = [line for line in (out.stdout + out.stderr).splitlines() if path.name in line]
    assert out.returncode == 0 and not complaints, out.stdout + out.stderr


DOCKER_INSTRUCTIONS = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
                       "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}


def test_dockerfile_is_well_formed_and_copies_what_exists():
    (dockerfile,) = blocks("dockerfile")
    lines = [line for line in dockerfile.splitlines() if line.strip() and not line.startswith("#")]
    instructions = [line.split()[0] for line in lines]
    assert instructions[0] == "FROM" and set(instructions) <= DOCKER_INSTRUCTIONS, instructions
    for line in lines:
        op, _, rest = line.partition(" ")
        if op in ("ENTRYPOINT", "CMD"):
            assert isinstance(json.loads(rest), list), line  # exec form: signals reach the keeper
        if op == "COPY":
            *sources, _ = rest.split()
            for src in sources:  # .build/ is `make build`'s output; the rest is in the repository
                assert (ROOT / src).exists() or src.startswith(".build/"), src
    entry = json.loads(next(line for line in lines if line.startswith("ENTRYPOINT")).partition(" ")[2])
    assert entry == ["optio", "keeper", "run"]


def test_compose_file_is_well_formed():
    (compose,) = blocks("yaml")
    spec = yaml.safe_load(compose)
    volumes = set(spec.get("volumes", {}))
    for name, service in spec["services"].items():
        command = service["command"]
        assert command[0] in KEEPERS and command[1] == "--config", name
        assert "image" in service or "build" in service
        mounts = [v.split(":") for v in service["volumes"]]
        config_dir = Path(command[2]).parent.as_posix()
        assert any(m[1] == config_dir for m in mounts), f"{name}: its config folder is not mounted"
        assert all(m[0] in volumes or m[0].startswith(".") for m in mounts), f"{name}: an undeclared volume"
