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
    _check_target(path)
    _key, address, body = _new_encrypted_key(password)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # 0600 from the start, not chmod after
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(body))
    return address


#: secp256k1's group order: a private key is an integer in [1, N − 1].
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
#: The keystore's scrypt work factor, eth-keyfile's default (what ``Account.encrypt`` writes).
SCRYPT_N, SCRYPT_R, SCRYPT_P, DKLEN = 262144, 8, 1, 32


def _new_encrypted_key(password: str) -> tuple[bytes, str, dict]:
    """A new key, its checksummed address and its version-3 keystore, byte for byte the format of
    eth-account's ``Account.create()`` + ``Account.encrypt(key, password)`` (scrypt, aes-128-ctr,
    keccak MAC), from the same primitives eth-keyfile uses (pycryptodome, libsecp256k1 through
    coincurve), without importing eth-account: its import (eth-utils, pydantic, eth-abi) costs
    more than a third of a second, the command's whole start-up budget. ``ETH_ACCOUNT_KDF`` set to
    another KDF than scrypt is honoured by taking eth-account's own path."""
    if os.environ.get("ETH_ACCOUNT_KDF", "scrypt") != "scrypt":
        from eth_account import Account

        account = Account.create()
        return bytes(account.key), account.address, Account.encrypt(account.key, password)

    import uuid

    from coincurve import PublicKey
    from Crypto.Cipher import AES
    from Crypto.Protocol.KDF import scrypt

    while True:  # Account.create(): keccak of 32 random bytes, a valid scalar
        key = _keccak(os.urandom(32))
        if 0 < int.from_bytes(key, "big") < _SECP256K1_N:
            break
    address = _checksum_address(_keccak(PublicKey.from_secret(key).format(compressed=False)[1:])[-20:])
    salt = os.urandom(16)
    derived = scrypt(password.encode("utf-8"), salt, DKLEN, N=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    iv = int.from_bytes(os.urandom(16), "big")
    # A 128-bit big-endian counter starting at iv, as eth-keyfile's Counter.new(128, initial_value=iv).
    cipher = AES.new(derived[:16], AES.MODE_CTR, nonce=b"", initial_value=iv.to_bytes(16, "big"))
    ciphertext = cipher.encrypt(key)
    iv_hex = iv.to_bytes(max(1, (iv.bit_length() + 7) // 8), "big").hex()  # eth-utils' int_to_big_endian
    body = {
        "address": address[2:],
        "crypto": {
            "cipher": "aes-128-ctr",
            "cipherparams": {"iv": iv_hex},
            "ciphertext": ciphertext.hex(),
            "kdf": "scrypt",
            "kdfparams": {"dklen": DKLEN, "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "salt": salt.hex()},
            "mac": _keccak(derived[16:32] + ciphertext).hex(),
        },
        "id": str(uuid.uuid4()),
        "version": 3,
    }
    return key, address, body


def _keccak(data: bytes) -> bytes:
    from Crypto.Hash import keccak

    return keccak.new(data=data, digest_bits=256).digest()


def _checksum_address(raw: bytes) -> str:
    """EIP-55: a hex letter is upper case where the keccak of the lower-case hex has a nibble ≥ 8."""
    hex_address = raw.hex()
    digest = _keccak(hex_address.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if int(d, 16) >= 8 else c for c, d in zip(hex_address, digest[:40], strict=True))
