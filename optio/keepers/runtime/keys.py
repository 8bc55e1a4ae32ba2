"""The keeper's signing key: an encrypted keystore or an ape account, never a plain key."""

from __future__ import annotations

import json
import os
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from optio.keepers.runtime.config import KeyConfig
from optio.sdk.chain import LOCAL_CHAIN_IDS, dev_account, holds_dev_mnemonic
from optio.sdk.errors import InvalidInput


def load_key(cfg: KeyConfig, chain_id: int, env: dict[str, str] | None = None,
             node_accounts: list[str] | None = None) -> LocalAccount:
    """Decrypt the configured key. ``InvalidInput`` (one line) on a missing file, a missing or
    wrong password, or a dev key where there is none: on a chain that is not a dev node (chain
    31337/1337, or a node listing ``node_accounts`` of its own: ``optio.sdk.chain.is_dev_node``),
    or on a dev node whose accounts are not the test mnemonic's (a plain ``ganache``: the keeper
    signs itself and cannot use keys only the node holds)."""
    if cfg.kind == "dev":
        accounts = node_accounts or []
        if chain_id not in LOCAL_CHAIN_IDS and not accounts:
            raise InvalidInput(f"runtime.key: a dev key is for local chains only (this is chain {chain_id}, "
                               "and its node lists no accounts of its own)")
        if not holds_dev_mnemonic(accounts):
            raise InvalidInput("runtime.key: this node's accounts are not the test mnemonic's (a plain ganache?), "
                               "and a keeper signs itself: use a keystore (`optio keys new`, funded from a node "
                               "account) or start the node with the test mnemonic")
        return dev_account(cfg.index or 0)
    path = cfg.path if cfg.kind == "keystore" else _ape_keystore(cfg.alias or "")
    try:
        keystore = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InvalidInput(f"runtime.key: keystore {path} does not exist") from None
    except json.JSONDecodeError:
        raise InvalidInput(f"runtime.key: {path} is not a JSON keystore") from None
    password = _password(cfg, os.environ if env is None else env)
    try:
        return Account.from_key(Account.decrypt(keystore, password))
    except ValueError:
        raise InvalidInput(f"runtime.key: the password does not decrypt {path}") from None


def _ape_keystore(alias: str) -> Path:
    root = Path(os.environ.get("APE_DATA_FOLDER", Path.home() / ".ape"))
    return root / "accounts" / f"{alias}.json"


def _password(cfg: KeyConfig, env: dict[str, str]) -> str:
    if cfg.password_env:
        if cfg.password_env not in env:
            raise InvalidInput(f"runtime.key: environment variable {cfg.password_env} (the password) is not set")
        return env[cfg.password_env]
    try:
        return Path(cfg.password_file).read_text().rstrip("\n")  # type: ignore[arg-type]
    except FileNotFoundError:
        raise InvalidInput(f"runtime.key: password file {cfg.password_file} does not exist") from None
