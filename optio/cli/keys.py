"""`optio keys new`: a fresh key in an encrypted JSON keystore (the geth/ape format) for a keeper
(``[runtime.key] kind = "keystore"``) or, written to ``$APE_DATA_FOLDER/accounts/ALIAS.json``, for
``--account ALIAS``. The private key is never printed; the file is readable by its owner only."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from optio.cli.errors import one_line_errors
from optio.sdk.errors import InvalidInput

#: Where the password comes from unless --password-env names another variable.
DEFAULT_PASSWORD_ENV = "KEEPER_PASSWORD"


@click.group()
def keys() -> None:
    """Encrypted keystores for keepers and ape accounts."""


@keys.command("new")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Keystore file to create (refused if it exists), e.g. keeper.json")
@click.option("--password-env", default=DEFAULT_PASSWORD_ENV, show_default=True, metavar="VAR",
              help="Environment variable holding the password; unset: asked twice on the terminal")
@one_line_errors()
def keys_new(out: Path, password_env: str) -> None:
    """Make a new random key, encrypted in a JSON keystore at OUT (mode 0600); prints its address."""
    _check_target(out)  # before the password is asked for
    address = new_keystore(out, _password(password_env))
    click.echo(f"✓ new key {address} in {out} (mode 0600). A keeper reads it with "
               f'[runtime.key] kind = "keystore", path = "{out}", password_env = "{password_env}"')


def _password(env_name: str) -> str:
    if env_name in os.environ:
        password = os.environ[env_name]
    elif env_name != DEFAULT_PASSWORD_ENV:  # named on purpose: a missing variable is a mistake, not a prompt
        raise InvalidInput(f"--password-env {env_name}: the environment variable is not set")
    else:
        password = click.prompt("password for the new keystore", hide_input=True, confirmation_prompt=True)
    if not password:
        raise InvalidInput("the keystore password is empty: an empty password protects nothing")
    return password


def _check_target(path: Path) -> None:
    if path.exists():
        raise InvalidInput(f"{path} already exists: a keystore is never overwritten (choose another --out)")
    if not path.parent.is_dir():
        raise InvalidInput(f"{path.parent} is not a folder: create it first")


def new_keystore(path: Path, password: str) -> str:
    """Create ``path`` (mode 0600, never overwriting) holding a new key encrypted with
    ``password``; returns the key's address."""
    from eth_account import Account  # here, not at import: `optio --help` stays quick

    _check_target(path)
    account = Account.create()
    body = json.dumps(Account.encrypt(account.key, password))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # 0600 from the start, not chmod after
    with os.fdopen(fd, "w") as f:
        f.write(body)
    return account.address
