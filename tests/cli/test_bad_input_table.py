"""Every command and keeper-setting row of docs/bad-input.md, run as a user runs it: one readable
line on stderr, a non-zero exit code, and nothing sent (the account's nonce and the block number
unchanged)."""

from __future__ import annotations

import json
import re
import tomllib

import pytest

from tests.cli.bad_input import assert_refused, code, rows

pytestmark = pytest.mark.scripts

COMMANDS = rows("Commands")
SETTINGS = rows("Keeper settings")


@pytest.mark.parametrize("row", COMMANDS, ids=[code(r[1]) for r in COMMANDS])
def test_command_row(user_chain, world, row):
    _, args, expected = row
    argv = code(args).replace("{EXPIRY}", str(world["expiry"]))
    before = (user_chain.nonce(1), user_chain.w3.eth.block_number)
    tokens = re.findall(r'"[^"]*"|\S+', argv)
    account = "dev:1"
    if tokens[0] == "--account":
        account, tokens = tokens[1], tokens[2:]
    run = user_chain.optio(*[t.strip('"') for t in tokens], account=account)
    assert_refused(user_chain, run, expected, before)
    if account.startswith("0x"):  # a private key given as --account is never printed back
        assert account[2:].lower() not in (run.err + run.out).lower(), "the key was echoed"


def _good_config(user_chain, world, keeper: str) -> dict:
    """A configuration of ``keeper`` that starts (the base each row spoils one key of)."""
    section = {
        "oracle": {"sources": [{"kind": "gbm", "seed": 1, "s0": 2000.0}]},
        "vol": {"source": "sim"},
        "liquidator": {},
        "settler": {},
        "guardian": {},
    }[keeper]
    return {
        "runtime": {
            "rpc_urls": [user_chain.url],
            "deployment": str(world["manifest"]),
            "state_dir": str(world["folder"] / f"state-{keeper}"),
            "interval_s": 0.5,
            "confirmations": 0,
            "key": {"kind": "dev", "index": 0},  # the world's keeper and guardian (the deployer)
        },
        keeper: section,
    }


def _set(config: dict, dotted: str, value: object) -> None:
    *path, last = dotted.split(".")
    node = config
    for part in path:
        node = node.setdefault(part, {})
    node[last] = value


def _toml(config: dict, prefix: str = "") -> str:
    """A small TOML writer (tables of scalars, lists and inline tables; what keeper files use)."""
    scalars = {k: v for k, v in config.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in config.items() if isinstance(v, dict)}
    out = [f"[{prefix}]"] if prefix else []
    out += [f"{k} = {_value(v)}" for k, v in scalars.items()]
    for k, v in tables.items():
        out.append(_toml(v, f"{prefix}.{k}" if prefix else k))
    return "\n".join(out) + "\n"


def _value(v: object) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    return repr(v)


@pytest.mark.parametrize("row", SETTINGS, ids=[f"{r[0]}:{code(r[1])}={code(r[2])}" for r in SETTINGS])
def test_setting_row(user_chain, world, row):
    keeper, key, value, expected = row[0], code(row[1]), code(row[2]), row[3]
    config = _good_config(user_chain, world, keeper)
    # {RPC_PORT}: a port certainly in use (the chain's own).
    value = value.replace("{RPC_PORT}", user_chain.url.rsplit(":", 1)[1].strip("/"))
    _set(config, key, tomllib.loads(f"v = {value}")["v"])
    path = world["folder"] / f"{keeper}-{re.sub(r'[^a-z0-9]+', '-', key)}.toml"
    path.write_text(_toml(config))
    before = (user_chain.nonce(1), user_chain.w3.eth.block_number)
    run = user_chain.optio("keeper", "run", keeper, "--once", "--config", str(path))
    assert_refused(user_chain, run, expected, before)


def test_good_configurations_start(user_chain, world):
    """The base of the settings rows is sound: each keeper runs one cycle on it (in dry-run)."""
    for keeper in ("oracle", "vol", "liquidator", "settler", "guardian"):
        path = world["folder"] / f"{keeper}-good.toml"
        path.write_text(_toml(_good_config(user_chain, world, keeper)))
        run = user_chain.optio("keeper", "run", keeper, "--once", "--dry-run", "--config", str(path))
        assert run.code == 0, f"{keeper}: {run.err[-1500:]}"
