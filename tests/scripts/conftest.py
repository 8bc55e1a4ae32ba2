"""Scripts run as a user runs them: subprocesses against their own Anvil and manifest folder."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from optio.chain import dev_account
from optio.localchain import local_chain

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class UserChain:
    url: str
    w3: object
    env: dict[str, str]

    def optio(self, *args: str, account: str = "dev:1") -> Run:
        cmd = [str(BIN / "optio"), "--rpc", self.url, "--account", account, *args]
        p = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=120, cwd=ROOT)
        return Run(p.returncode, p.stdout, p.stderr)

    def ape(self, script: str, *args: str, account: str = "TEST::1") -> Run:
        cmd = [str(BIN / "ape"), "run", script, "--network", "ethereum:local:foundry", "--account", account, *args]
        p = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=180, cwd=ROOT)
        return Run(p.returncode, p.stdout, p.stderr)

    def nonce(self, index: int) -> int:
        return self.w3.eth.get_transaction_count(dev_account(index).address)


@pytest.fixture(scope="module")
def user_chain(tmp_path_factory):
    deployments = tmp_path_factory.mktemp("user-deployments")
    with local_chain("anvil") as chain:
        env = dict(os.environ)
        env.update(
            OPTIO_DEPLOYMENTS_DIR=str(deployments),
            APE_FOUNDRY_HOST=chain.url,  # ape-foundry attaches to this Anvil instead of starting one
            PATH=f"{BIN}:{ROOT / 'node_modules' / '.bin'}:{env['PATH']}",
            SOLCX_BINARY_PATH=str(ROOT / ".solcx"),
            APE_DATA_FOLDER=str(ROOT / ".ape"),
            NO_COLOR="1",
            COLUMNS="200",
        )
        yield UserChain(chain.url, chain.w3, env)
