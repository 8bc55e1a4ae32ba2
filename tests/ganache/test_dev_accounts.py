"""Dev accounts on Ganache as a user starts it: a plain ``ganache`` (random accounts, not the test
mnemonic's) and a local chain with another chain id (4242). The rule (docs/keepers.md, dev
accounts): dev:N works on a dev node — chain 31337/1337, or a node that lists accounts of its
own — as the mnemonic's account N when the node holds it, else as the node's own N-th account."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from optio.keepers.runtime.config import load_config
from optio.keepers.runtime.daemon import Runner
from optio.sdk.chain import LocalSigner, NodeSigner, dev_account, dev_signer, is_dev_node, node_accounts
from optio.sdk.deployment import load_deployment
from optio.sdk.errors import InvalidInput
from optio.sdk.localchain import local_chain
from optio.sdk.protocol import Protocol
from tests.cli.bad_input import code, rows

pytestmark = pytest.mark.ganache

ROOT = Path(__file__).resolve().parents[2]
OPTIO = str(Path(sys.executable).parent / "optio")


def optio(url: str, deployments: Path, *args: str, account: str = "dev:0") -> subprocess.CompletedProcess:
    env = {**os.environ, "OPTIO_DEPLOYMENTS_DIR": str(deployments), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([OPTIO, "--rpc", url, "--account", account, *args], env=env, capture_output=True,
                          text=True, timeout=180, cwd=ROOT)


def test_plain_ganache_dev_accounts_are_the_nodes_own(tmp_path):
    with local_chain("ganache", startup_timeout=60, dev_mnemonic=False) as chain:
        w3 = chain.w3
        accounts = node_accounts(w3)
        assert accounts and dev_account(0).address not in accounts  # random accounts, as `ganache` starts
        signer = dev_signer(w3, 1)
        assert isinstance(signer, NodeSigner) and signer.address == accounts[1]
        with pytest.raises(InvalidInput, match=f"has {len(accounts)} accounts"):
            dev_signer(w3, len(accounts))
        # The README's first steps as written: deploy, faucet, deposit, status.
        for args, account in ((("deploy",), "dev:0"), (("faucet", "--token", "weth", "--amount", "5"), "dev:1"),
                              (("lp", "deposit", "--vault", "call", "--amount", "2"), "dev:1")):
            run = optio(chain.url, tmp_path, *args, account=account)
            assert run.returncode == 0, run.stderr
        status = optio(chain.url, tmp_path, "lp", "status", "--vault", "call", account="dev:1")
        assert status.returncode == 0, status.stderr
        protocol = Protocol(w3, load_deployment(w3, tmp_path / "1337.json"))
        assert protocol.vault("call").status(accounts[1]).owner_assets == Decimal("1.99")
        # A keeper signs itself: a dev key on this node is a one-line refusal that says what to do.
        config = tmp_path / "oracle.toml"
        config.write_text(f"""
[runtime]
rpc_urls = ["{chain.url}"]
deployment = "{tmp_path / '1337.json'}"
[runtime.key]
kind = "dev"
index = 0
[oracle]
sources = [{{kind = "gbm", seed = 1, s0 = 3000}}]
""")
        with pytest.raises(InvalidInput, match="keystore") as err:
            Runner("oracle", load_config(config, "oracle", env={}), once=True)
        assert "\n" not in str(err.value)


def test_another_chain_id_allows_dev_accounts(tmp_path):
    """Chain 4242 with the test mnemonic: dev accounts read and send; only the mock tokens (and so
    `optio deploy` without token addresses) stay on 31337/1337, refused in one line beforehand."""
    with local_chain("ganache", startup_timeout=60, chain_id=4242) as chain:
        w3 = chain.w3
        assert w3.eth.chain_id == 4242 and is_dev_node(w3)
        signer = dev_signer(w3, 1)
        assert isinstance(signer, LocalSigner) and signer.address == dev_account(1).address
        before = w3.eth.get_balance(dev_account(2).address)
        tx = signer.send(w3, {"to": dev_account(2).address, "value": 10**18, "gas": 21000})
        assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
        assert w3.eth.get_balance(dev_account(2).address) == before + 10**18
        # The command accepts dev:N here: a read goes as far as the (missing) deployment…
        status = optio(chain.url, tmp_path, "lp", "status", account="dev:2")
        assert status.returncode == 1 and "no Optio deployment for chain 4242" in status.stderr, status.stderr
        # …and deploying mock tokens is refused before anything is sent.
        nonce = w3.eth.get_transaction_count(dev_account(0).address)
        deploy = optio(chain.url, tmp_path, "deploy")
        assert deploy.returncode == 1 and "31337 and 1337" in deploy.stderr and deploy.stderr.count("\n") == 1
        assert w3.eth.get_transaction_count(dev_account(0).address) == nonce


def test_a_node_without_accounts_of_its_own_is_not_a_dev_node(tmp_path):
    with local_chain("ganache", startup_timeout=60, chain_id=4242, extra_args=["--wallet.totalAccounts", "0"]) as chain:
        w3 = chain.w3
        assert node_accounts(w3) == [] and not is_dev_node(w3)
        with pytest.raises(InvalidInput, match="only on local chains"):
            dev_signer(w3, 0)
        run = optio(chain.url, tmp_path, "lp", "status")
        assert run.returncode == 1 and "only on local chains" in run.stderr


ROWS = rows("Dev accounts on Ganache")


@pytest.mark.parametrize("chain_kind", ["plain", "4242"])
def test_bad_input_rows(tmp_path, chain_kind):
    """The rows of docs/bad-input.md for this chain: one line, exit 1, nothing sent."""
    options = {"dev_mnemonic": False} if chain_kind == "plain" else {"chain_id": 4242}
    with local_chain("ganache", startup_timeout=60, **options) as chain:
        w3 = chain.w3
        for _, args, expected in (r for r in ROWS if r[0] == chain_kind):
            tokens = code(args).split()
            account = "dev:0"
            if tokens[0] == "--account":
                account, tokens = tokens[1], tokens[2:]
            before = w3.eth.block_number
            run = optio(chain.url, tmp_path, *tokens, account=account)
            lines = [line for line in run.stderr.splitlines() if line.strip()]
            assert run.returncode == 1 and len(lines) == 1 and expected in lines[0], run.stderr
            assert w3.eth.block_number == before
