"""Start-up of the chain-less commands (issue 27, ``python -m benchmarks.cli``): what `optio keys
new` imports, and that its light keystore writer gives what eth-account gives."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest
from eth_account import Account

from optio.cli.keys import _checksum_address, _new_encrypted_key
from tests.cli.conftest import ROOT

#: Imported by neither `optio keys new` nor `optio surface fit` (a second and more between them).
_HEAVY = ("web3", "eth_account", "eth_utils", "pydantic", "numba", "scipy.optimize", "optio.sdk.chain")


def _imports_after(argv: list[str], env: dict[str, str] | None = None) -> tuple[list[str], str]:
    """Run ``optio ARGV`` in a fresh interpreter; the heavy modules it imported, and its output."""
    code = ("import sys\nfrom optio.cli.main import main\n"
            f"sys.argv = ['optio', *{argv!r}]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            f"print('HEAVY', [m for m in {_HEAVY!r} if m in sys.modules])")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env=dict(os.environ, **(env or {})))
    assert run.returncode == 0, run.stdout + run.stderr
    heavy = [line for line in run.stdout.splitlines() if line.startswith("HEAVY ")]
    assert heavy, run.stdout
    return ast.literal_eval(heavy[-1][len("HEAVY "):]), run.stdout


def test_keys_new_imports_neither_eth_account_nor_web3(tmp_path):
    out = tmp_path / "k.json"
    heavy, stdout = _imports_after(["keys", "new", "--out", str(out)], env={"KEEPER_PASSWORD": "pw"})
    assert heavy == [], heavy
    key = Account.decrypt(json.loads(out.read_text()), "pw")
    assert Account.from_key(key).address in stdout


@pytest.mark.parametrize("password", ["pw", "pässwörd ✓"])
def test_keys_new_writes_what_eth_account_writes(password):
    key, address, body = _new_encrypted_key(password)
    assert Account.decrypt(body, password) == key
    assert Account.from_key(key).address == address and body["address"] == address[2:]
    reference = Account.encrypt(key, password)

    def shape(d: dict) -> dict:
        return {k: shape(v) if isinstance(v, dict) else type(v).__name__ for k, v in d.items()}

    assert shape(body) == shape(reference) and list(body) == list(reference)
    assert list(body["crypto"]) == list(reference["crypto"])
    params, ref_params = body["crypto"]["kdfparams"], reference["crypto"]["kdfparams"]
    assert {k: v for k, v in params.items() if k != "salt"} == {k: v for k, v in ref_params.items() if k != "salt"}
    assert len(bytes.fromhex(params["salt"])) == 16 and body["version"] == 3


def test_keys_new_iv_with_leading_zero_bytes_decrypts(monkeypatch):
    real, sixteens = os.urandom, []

    def urandom(n: int) -> bytes:  # the second 16 bytes drawn are the iv (the first the salt)
        sixteens.append(n) if n == 16 else None
        return b"\0\0" + real(14) if n == 16 and len(sixteens) == 2 else real(n)

    monkeypatch.setattr(os, "urandom", urandom)
    key, _, body = _new_encrypted_key("pw")
    monkeypatch.undo()
    assert len(body["crypto"]["cipherparams"]["iv"]) < 32  # minimal big-endian, as eth-keyfile writes it
    assert Account.decrypt(body, "pw") == key


def test_checksum_address_is_eip55():
    from eth_utils import to_checksum_address

    for _ in range(200):
        raw = os.urandom(20)
        assert _checksum_address(raw) == to_checksum_address(raw)


def test_keys_new_honours_another_eth_account_kdf(tmp_path):
    """``ETH_ACCOUNT_KDF`` (read by eth-account at import) still chooses the KDF: eth-account's path."""
    out = tmp_path / "k.json"
    _imports_after(["keys", "new", "--out", str(out)], env={"KEEPER_PASSWORD": "pw", "ETH_ACCOUNT_KDF": "pbkdf2"})
    body = json.loads(out.read_text())
    assert body["crypto"]["kdf"] == "pbkdf2" and Account.decrypt(body, "pw")
