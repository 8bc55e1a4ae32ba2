"""Account resolution for the `optio` command: `dev:N` on local chains, or an ape keystore."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from eth_account import Account
from web3 import Web3

from optio.cli.secrets import SECRETS, looks_secret, redact  # noqa: F401 - re-exported
from optio.sdk.chain import LocalSigner, Signer, dev_signer
from optio.sdk.errors import InvalidInput


def ape_accounts_dir() -> Path:
    return Path(os.environ.get("APE_DATA_FOLDER", Path.home() / ".ape")) / "accounts"


def resolve_signer(w3: Web3, spec: str) -> Signer:
    """``dev:N`` (local chains only) or the alias of an ape keystore account (``ape accounts
    import``), decrypted with ``OPTIO_PASSWORD`` or a prompt. Private keys never come from
    the command line, and one given by mistake is never printed back."""
    if looks_secret(spec):
        SECRETS.add(spec)
        raise InvalidInput("--account takes dev:N or an ape account alias, never a private key or mnemonic "
                           "(the value is not shown): import the key with `ape accounts import ALIAS`")
    if spec.startswith("dev:"):
        index = spec.removeprefix("dev:")
        if not index.isdigit():
            raise InvalidInput(f"account {spec!r}: expected dev:N with N a number")
        return dev_signer(w3, int(index))  # the rule: optio.sdk.chain.is_dev_node (docs/keepers.md#dev-accounts)
    keyfile = ape_accounts_dir() / f"{spec}.json"
    if not keyfile.exists():
        raise InvalidInput(f"no account {spec!r}: not dev:N and no keystore at {keyfile}")
    password = os.environ.get("OPTIO_PASSWORD") or click.prompt(f"password for {spec}", hide_input=True)
    try:
        key = Account.decrypt(json.loads(keyfile.read_text()), password)
    except ValueError:
        raise InvalidInput(f"wrong password for account {spec!r}") from None
    return LocalSigner(Account.from_key(key))
