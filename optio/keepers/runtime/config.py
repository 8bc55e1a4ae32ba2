"""A keeper's configuration: one TOML file, environment overrides, validated at start.

The file has a ``[runtime]`` table (chain, key, transactions, operations) and one table named
after the keeper (its own settings, validated by the keeper's model). Any runtime field can be
overridden from the environment as ``OPTIO_KEEPER_<FIELD>`` (``OPTIO_KEEPER_RPC_URLS`` takes a
comma-separated list). Private keys never appear in the file: see :class:`KeyConfig`.

Relative paths in the file (``deployment``, ``state_dir``, a keystore, a replayed price file, a
snapshot folder…) are read from the config file's folder, whatever the working directory; a
relative path given in an ``OPTIO_KEEPER_*`` variable is read from the working directory.
"""

from __future__ import annotations

import os
import tomllib
from ipaddress import IPv4Address
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyAddress,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from optio.sdk.errors import InvalidInput

ENV_PREFIX = "OPTIO_KEEPER_"
#: Runtime fields that are paths: an environment override of one is read from the working directory.
_PATH_FIELDS = ("deployment", "state_dir")


def _resolve(value: Path, info: ValidationInfo) -> Path:
    """``value`` against the config file's folder (the validation context's ``base_dir``)."""
    value = value.expanduser()
    base = (info.context or {}).get("base_dir")
    return value if value.is_absolute() or base is None else Path(base) / value


def _existing(noun: str, exists):
    """A validator: the resolved path, which ``exists`` (Path.is_file or Path.is_dir) must accept."""
    def check(value: Path, info: ValidationInfo) -> Path:
        path = _resolve(value, info)
        if not exists(path):
            raise ValueError(f"{noun} {path} does not exist (a relative path is read from the config file's folder)")
        return path
    return check


#: A path in a keeper config: relative ones are read from the config file's folder.
ConfigPath = Annotated[Path, AfterValidator(_resolve)]
#: The same, and the file must exist (checked at start-up: one line naming the key and the path).
InputFile = Annotated[Path, AfterValidator(_existing("file", Path.is_file))]
#: The same for a folder.
InputDir = Annotated[Path, AfterValidator(_existing("folder", Path.is_dir))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyConfig(_Strict):
    """Where the signing key comes from.

    - ``keystore``: an encrypted JSON keystore (geth/ape format) at ``path``; its password from the
      environment variable ``password_env`` or the file ``password_file``.
    - ``ape``: the ape account ``alias`` (its keystore in ``$APE_DATA_FOLDER/accounts``), password
      as for ``keystore``.
    - ``dev``: funded dev account ``index`` of a local dev node (the rule of
      :func:`optio.sdk.chain.is_dev_node`; refused elsewhere). Anvil and Ganache started with
      the standard test mnemonic hold it.
    """

    kind: Literal["keystore", "ape", "dev"]
    path: ConfigPath | None = None
    alias: str | None = None
    index: int | None = Field(default=None, ge=0, lt=1000)
    password_env: str | None = None
    password_file: ConfigPath | None = None

    @model_validator(mode="after")
    def _complete(self) -> KeyConfig:
        if self.kind == "keystore" and self.path is None:
            raise ValueError("a keystore key needs `path`")
        if self.kind == "ape" and not self.alias:
            raise ValueError("an ape key needs `alias`")
        if self.kind == "dev" and self.index is None:
            raise ValueError("a dev key needs `index`")
        if self.kind in ("keystore", "ape") and not (self.password_env or self.password_file):
            raise ValueError("give the keystore password as `password_env` or `password_file`")
        return self


class FeeConfig(_Strict):
    """EIP-1559 fees. Gwei."""

    max_fee_gwei: float = Field(default=500.0, gt=0)  # the cap: no bump goes above it
    max_tip_gwei: float = Field(default=2.0, ge=0)
    bump_percent: float = Field(default=12.5, ge=10.0)  # nodes refuse replacements under +10%
    bump_after_s: float = Field(default=12.0, gt=0)  # resend at higher fees after this long unmined


class RuntimeConfig(_Strict):
    """The runtime's settings (the ``[runtime]`` table)."""

    rpc_urls: list[str] = Field(min_length=1)
    key: KeyConfig
    deployment: InputFile | None = None  # a deployment manifest; default: deployments/<chain id>.json
    # The deployment's market this process serves ("WBTC/USDC"); default: the first. One process
    # per market (docs/keepers.md): each with its own key, so that no two race for nonces.
    market: str | None = Field(default=None, min_length=1)
    state_dir: ConfigPath = Path(".keeper-state")
    interval_s: float = Field(default=2.0, gt=0)  # between cycles
    confirmations: int = Field(default=1, ge=0)  # blocks on top of a receipt before it counts
    fees: FeeConfig = FeeConfig()
    rpc_timeout_s: float = Field(default=5.0, gt=0)
    retry_backoff_s: list[float] = Field(default=[0.5, 1.0, 2.0, 4.0])
    error_budget: int = Field(default=5, ge=1)  # consecutive failed cycles before a clean stop
    metrics_port: int | None = Field(default=None, ge=0, le=65535)  # None: no HTTP server
    metrics_host: IPvAnyAddress = IPv4Address("127.0.0.1")  # the address /metrics listens on ("0.0.0.0" in a container)
    once_wait_s: float = Field(default=60.0, ge=0)  # --once: how long to wait for its transactions

    @field_validator("rpc_urls")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"RPC URL {url!r} must start with http:// or https://")
        return urls


class KeeperConfig(_Strict):
    """The whole file: the runtime table and the keeper's own table (validated by the keeper)."""

    runtime: RuntimeConfig
    keeper: dict = Field(default_factory=dict)
    file: Path | None = None  # the config file; relative paths in it are read from its folder

    @property
    def base_dir(self) -> Path | None:
        return None if self.file is None else self.file.parent

    def where(self) -> str:
        """`` (config file PATH)``, to end a one-line refusal with; empty without a file."""
        return f" (config file {self.file})" if self.file else ""


def load_config(path: Path | str, keeper: str, env: dict[str, str] | None = None) -> KeeperConfig:
    """Read ``path``, apply ``OPTIO_KEEPER_*`` overrides from ``env`` (default: the process
    environment) and validate. Raises ``InvalidInput`` with one readable line."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise InvalidInput(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as err:
        raise InvalidInput(f"config file {path} is not valid TOML: {err}") from None
    _refuse_plain_keys(raw, path)
    runtime = dict(raw.get("runtime", {}))
    for name, value in (os.environ if env is None else env).items():
        if name.startswith(ENV_PREFIX):
            field = name[len(ENV_PREFIX) :].lower()
            runtime[field] = value.split(",") if field == "rpc_urls" else value
            if field in _PATH_FIELDS:
                runtime[field] = str(Path.cwd() / Path(value).expanduser())
    path = path.absolute()
    try:
        return KeeperConfig.model_validate({"runtime": runtime, "keeper": raw.get(keeper, {}), "file": path},
                                           context={"base_dir": path.parent})
    except ValidationError as err:
        raise InvalidInput(f"config file {path}: {one_line(err)}") from None


def one_line(err: ValidationError) -> str:
    """The first validation problem as ``field.path: message``."""
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top)"
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" + (f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else "")


def _refuse_plain_keys(raw: dict, path: Path) -> None:
    """A private key in a config file is refused outright, wherever it sits."""

    def walk(node, where: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k.lower() in ("private_key", "privatekey", "secret", "mnemonic"):
                    raise InvalidInput(
                        f"config file {path}: `{where}{k}` — a plain key never goes in a config file; "
                        "use an encrypted keystore (runtime.key.kind = \"keystore\")"
                    )
                walk(v, f"{where}{k}.")

    walk(raw, "")
