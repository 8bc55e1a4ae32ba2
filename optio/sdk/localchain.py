"""Start and stop local chains (Anvil, Ganache) from the project's node_modules."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from web3 import Web3

from optio.sdk.artifacts import PROJECT_ROOT
from optio.sdk.chain import DEV_MNEMONIC, http_provider
from optio.sdk.errors import OptioError

NODE_BIN = PROJECT_ROOT / "node_modules" / ".bin"
#: Blocks whose state a local Anvil keeps for reads at a past block (all in memory: see `_command`).
HISTORY_STATES = 1000


class PortInUse(OptioError):
    """The port a local chain should listen on is already taken."""


@dataclass
class LocalChain:
    kind: str
    url: str
    process: subprocess.Popen

    @cached_property
    def w3(self) -> Web3:
        return Web3(http_provider(self.url, timeout=30))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _binary(name: str) -> str:
    local = NODE_BIN / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if not found:
        raise OptioError(f"{name} not found in {NODE_BIN} or PATH: run `make install`")
    return found


def _command(kind: str, port: int, block_time: float | None, chain_id: int | None, extra: list[str],
             dev_mnemonic: bool = True) -> list[str]:
    if kind == "anvil":
        # Anvil keeps its last states in memory and writes older ones to ~/.foundry/anvil/tmp, which
        # it leaves behind when stopped: ~0.5 MB a block with the protocol deployed (757 MB after
        # 1,500 blocks), and the test suite's chains filled a 25 GB disk. The last
        # HISTORY_STATES stay in memory (~300 MB at 1,000), nothing goes to disk.
        cmd = [_binary("anvil"), "--port", str(port), "--mnemonic", DEV_MNEMONIC, "--silent",
               "--prune-history", str(HISTORY_STATES), *extra]
        if block_time:
            cmd += ["--block-time", str(block_time)]
        if chain_id:
            cmd += ["--chain-id", str(chain_id)]
        return cmd
    if kind == "ganache":
        mnemonic = ["--wallet.mnemonic", DEV_MNEMONIC] if dev_mnemonic else []  # else: random accounts
        cmd = [
            _binary("ganache"),
            "--server.port",
            str(port),
            *mnemonic,
            "--chain.chainId",
            str(chain_id or 1337),
            "--logging.quiet",
            "--chain.hardfork",
            "shanghai",
            *extra,
        ]
        if block_time:
            cmd += ["--miner.blockTime", str(block_time)]
        return cmd
    raise OptioError(f"unknown chain kind {kind!r}: anvil or ganache")


@contextmanager
def local_chain(
    kind: str = "anvil",
    port: int | None = None,
    *,
    block_time: float | None = None,
    chain_id: int | None = None,
    log: Path | None = None,
    startup_timeout: float = 30.0,
    extra_args: list[str] | None = None,
    dev_mnemonic: bool = True,
) -> Iterator[LocalChain]:
    """Run a local chain for the duration of the block and stop it afterwards. ``extra_args`` go
    to the node's command line as they are (``["--accounts", "30"]`` for Anvil). Ganache with
    ``dev_mnemonic=False`` is a plain ``ganache``: random accounts, not the test mnemonic's.

    Raises ``PortInUse`` (starting nothing) if ``port`` already has a listener.
    """
    port = port or free_port()
    if port_in_use(port):
        raise PortInUse(f"port {port} is already taken: stop whatever listens there, or choose another port")
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    command = _command(kind, port, block_time, chain_id, extra_args or [], dev_mnemonic)
    # Its own session: a Ctrl-C in the terminal reaches the Python process, which stops the node
    # after whatever depends on it.
    proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    chain = LocalChain(kind, f"http://127.0.0.1:{port}", proc)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise OptioError(f"{kind} exited at start with code {proc.returncode}")
            try:
                if chain.w3.is_connected():
                    break
            except Exception:
                pass
            if time.monotonic() > deadline:
                raise OptioError(f"{kind} did not answer on port {port} within {startup_timeout:.0f} s")
            time.sleep(0.1)
        yield chain
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()


# --- clock and mining of a local node (Anvil; Ganache takes the evm_ ones) ---------------------


def set_next_timestamp(w3: Web3, timestamp: int) -> None:
    """The next block's timestamp (Unix s); it must be later than the head's."""
    w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])


def warp(w3: Web3, seconds: int) -> int:
    """Move the clock ``seconds`` on and mine a block; the new head's timestamp."""
    w3.provider.make_request("evm_increaseTime", [seconds])
    w3.provider.make_request("evm_mine", [])
    return w3.eth.get_block("latest")["timestamp"]


def mine_on_interval(w3: Web3, *, every_s: int, timestamp_step_s: int) -> None:
    """Anvil: stop mining per transaction and seal a block every ``every_s`` wall seconds, each
    ``timestamp_step_s`` chain seconds after the last (a fast-forward clock for demos)."""
    w3.provider.make_request("evm_setAutomine", [False])
    w3.provider.make_request("evm_setIntervalMining", [every_s])
    w3.provider.make_request("anvil_setBlockTimestampInterval", [timestamp_step_s])
