"""Keeper configuration and keys: every mistake is one readable line, and nothing starts."""

from __future__ import annotations

import json

import pytest
from eth_account import Account

from optio.keepers.runtime.config import KeyConfig, load_config
from optio.keepers.runtime.daemon import Runner
from optio.keepers.runtime.keys import load_key
from optio.sdk.errors import InvalidInput

GOOD = """
[runtime]
rpc_urls = ["http://127.0.0.1:8545"]
[runtime.key]
kind = "keystore"
path = "k.json"
password_env = "KEEPER_PASSWORD"
[oracle]
deviation = 0.01
sources = [{kind = "gbm", seed = 1, s0 = 3000}]
"""


def _write(tmp_path, text: str):
    path = tmp_path / "keeper.toml"
    path.write_text(text)
    return path


def test_valid_file_and_environment_override(tmp_path):
    cfg = load_config(_write(tmp_path, GOOD), "oracle", env={"OPTIO_KEEPER_RPC_URLS": "http://a:1,http://b:2",
                                                             "OPTIO_KEEPER_ERROR_BUDGET": "9"})
    assert cfg.runtime.rpc_urls == ["http://a:1", "http://b:2"]
    assert cfg.runtime.error_budget == 9
    assert cfg.keeper["deviation"] == 0.01


@pytest.mark.parametrize("text,message", [
    ("[runtime\n", "not valid TOML"),
    (GOOD.replace('rpc_urls = ["http://127.0.0.1:8545"]', 'rpc_urls = ["ftp://x"]'), "must start with http"),
    (GOOD.replace('password_env = "KEEPER_PASSWORD"', ""), "password"),
    (GOOD.replace("[oracle]", 'private_key = "0xabc"\n[oracle]'), "a plain key never goes in a config file"),
    (GOOD.replace("[runtime.key]", "typo = 1\n[runtime.key]"), "runtime.typo: Extra inputs are not permitted"),
    (GOOD.replace('kind = "keystore"', 'kind = "kms"'), "runtime.key.kind"),
])
def test_bad_config_is_one_line(tmp_path, text, message):
    with pytest.raises(InvalidInput) as err:
        load_config(_write(tmp_path, text), "oracle", env={})
    assert message in str(err.value) and "\n" not in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(InvalidInput, match="does not exist"):
        load_config(tmp_path / "nope.toml", "oracle", env={})


def test_keystore_password_from_env_or_file(tmp_path):
    account = Account.create()
    keystore = tmp_path / "k.json"
    keystore.write_text(json.dumps(Account.encrypt(account.key, "s3cret", iterations=2)))
    from_env = KeyConfig(kind="keystore", path=keystore, password_env="PW")
    assert load_key(from_env, 1, env={"PW": "s3cret"}).address == account.address
    (tmp_path / "pw").write_text("s3cret\n")
    from_file = KeyConfig(kind="keystore", path=keystore, password_file=tmp_path / "pw")
    assert load_key(from_file, 1, env={}).address == account.address
    with pytest.raises(InvalidInput, match="does not decrypt"):
        load_key(from_env, 1, env={"PW": "wrong"})
    with pytest.raises(InvalidInput, match=r"PW .*not set"):
        load_key(from_env, 1, env={})


def test_ape_alias_reads_ape_keystore(tmp_path, monkeypatch):
    account = Account.create()
    (tmp_path / "accounts").mkdir()
    (tmp_path / "accounts" / "bot.json").write_text(json.dumps(Account.encrypt(account.key, "pw", iterations=2)))
    monkeypatch.setenv("APE_DATA_FOLDER", str(tmp_path))
    cfg = KeyConfig(kind="ape", alias="bot", password_env="PW")
    assert load_key(cfg, 1, env={"PW": "pw"}).address == account.address


def test_dev_key_only_on_local_chains():
    with pytest.raises(InvalidInput, match="local chains only"):
        load_key(KeyConfig(kind="dev", index=1), 1)
    assert load_key(KeyConfig(kind="dev", index=1), 31337).address.startswith("0x")


def test_unknown_keeper_and_bad_keeper_settings(tmp_path):
    cfg = load_config(_write(tmp_path, GOOD), "oracle", env={})
    with pytest.raises(InvalidInput, match="unknown keeper 'pricer'"):
        Runner("pricer", cfg)
    bad = load_config(_write(tmp_path, GOOD.replace("deviation = 0.01", "deviation = 2")), "oracle", env={})
    with pytest.raises(InvalidInput, match=r"\[oracle\] deviation"):
        Runner("oracle", bad)
