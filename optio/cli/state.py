"""What the `optio` command remembers between runs: the last RPC URL given with ``--rpc``, in a
small JSON file under the user's config folder (``OPTIO_CONFIG_DIR``, else
``$XDG_CONFIG_HOME/optio``, else ``~/.config/optio``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

#: Where no --rpc, OPTIO_RPC_URL or remembered URL says otherwise: a local node (Anvil's port).
DEFAULT_RPC = "http://127.0.0.1:8545"


def config_dir() -> Path:
    if os.environ.get("OPTIO_CONFIG_DIR"):
        return Path(os.environ["OPTIO_CONFIG_DIR"])
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "optio"


def state_path() -> Path:
    return config_dir() / "state.json"


def load() -> dict:
    try:
        return json.loads(state_path().read_text())
    except (OSError, ValueError):
        return {}


def remember(**values: str) -> None:
    """Merge ``values`` into the state file (best effort: a read-only home only loses memory)."""
    state = load()
    if all(state.get(k) == v for k, v in values.items()):
        return
    state.update(values)
    try:
        state_path().parent.mkdir(parents=True, exist_ok=True)
        state_path().write_text(json.dumps(state, indent=2) + "\n")
    except OSError:
        pass


def resolve_rpc(flag: str | None) -> tuple[str, str]:
    """(URL, where it came from): ``--rpc``, then ``OPTIO_RPC_URL``, then the URL remembered from
    the last ``--rpc``, then the default; the origin goes into every error about the URL, so a
    fallback is never silent."""
    if flag:
        return flag, "--rpc"
    if os.environ.get("OPTIO_RPC_URL"):
        return os.environ["OPTIO_RPC_URL"], "OPTIO_RPC_URL"
    remembered = load().get("rpc")
    if remembered:
        return remembered, f"remembered from an earlier --rpc in {state_path()}"
    return DEFAULT_RPC, "the default; give --rpc URL or set OPTIO_RPC_URL"
