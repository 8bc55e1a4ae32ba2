"""Scripts run as a user runs them: subprocesses against their own Anvil and manifest folder."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from optio.pricing.svi import SviParams
from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.deployment import load_deployment, manifest_path
from optio.sdk.localchain import local_chain
from optio.sdk.protocol import Protocol

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
            OPTIO_CONFIG_DIR=str(deployments / "config"),  # the remembered --rpc, not the user's
            APE_FOUNDRY_HOST=chain.url,  # ape-foundry attaches to this Anvil instead of starting one
            PATH=f"{BIN}:{ROOT / 'node_modules' / '.bin'}:{env['PATH']}",
            SOLCX_BINARY_PATH=str(ROOT / ".solcx"),
            APE_DATA_FOLDER=str(ROOT / ".ape"),
            NO_COLOR="1",
            COLUMNS="200",
        )
        yield UserChain(chain.url, chain.w3, env)


BAD_INPUT_WEEK = 7 * 86400


@pytest.fixture(scope="module")
def world(user_chain, tmp_path_factory):
    """For the bad-input rows: a deployment with a board a week out, spot and surface posted,
    dev:1 (ape's TEST::1) funded."""
    assert user_chain.optio("deploy", account="dev:0").code == 0
    w3 = user_chain.w3
    manifest = manifest_path(w3.eth.chain_id, Path(user_chain.env["OPTIO_DEPLOYMENTS_DIR"]))
    protocol = Protocol(w3, load_deployment(w3, manifest))
    keeper = LocalSigner(dev_account(0))
    now = w3.eth.get_block("latest")["timestamp"]
    expiry = now + BAD_INPUT_WEEK
    protocol.spot_oracle.post(keeper, "2000", now)
    protocol.market.list_strikes(keeper, expiry, ["2000"])
    protocol.vol_oracle.post(keeper, expiry, SviParams(a=0.01, b=0.02, rho=-0.3, m=0.0, sigma=0.1))
    for token, amount in (("weth", "10"), ("usdc", "10000")):
        assert user_chain.optio("faucet", "--token", token, "--amount", amount).code == 0
    # A small put-vault position, for the withdrawal guards' rows (--min-assets).
    assert user_chain.optio("lp", "deposit", "--vault", "put", "--amount", "10").code == 0
    folder = tmp_path_factory.mktemp("bad-input")
    return {"expiry": expiry, "folder": folder, "manifest": manifest}
