"""Compiled contracts: ABIs and bytecode from ape's build output (``.build/__local__.json``)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

from optio.sdk.errors import BuildMissing

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def build_path() -> Path:
    """Where the compiled manifest is read from (``OPTIO_BUILD`` overrides)."""
    return Path(os.environ.get("OPTIO_BUILD", PROJECT_ROOT / ".build" / "__local__.json"))


@dataclass(frozen=True)
class Artifact:
    """One compiled contract."""

    name: str
    abi: list[dict]
    bytecode: str

    @property
    def bytecode_hash(self) -> str:
        """keccak256 of the creation bytecode, hex: identifies the build in manifests."""
        return "0x" + keccak(hexstr=self.bytecode).hex()


@cache
def _load_all(path: str) -> dict[str, Artifact]:
    file = Path(path)
    if not file.exists():
        raise BuildMissing(f"no compiled contracts at {file}: run `make compile` (or `ape compile`)")
    manifest = json.loads(file.read_text())
    return {
        name: Artifact(name, ct["abi"], ct.get("deploymentBytecode", {}).get("bytecode", "0x"))
        for name, ct in manifest["contractTypes"].items()
    }


def load_artifacts() -> dict[str, Artifact]:
    """Every compiled contract by name."""
    return _load_all(str(build_path()))


def artifact(name: str) -> Artifact:
    """The compiled contract ``name``; ``BuildMissing`` if it is not in the build."""
    artifacts = load_artifacts()
    if name not in artifacts:
        raise BuildMissing(f"contract {name} is not in {build_path()}: run `make compile`")
    return artifacts[name]


def abi_type(param: dict) -> str:
    """The canonical ABI type of a parameter: tuples spelled out as `(t1,t2)[]`."""
    if param["type"].startswith("tuple"):
        inner = ",".join(abi_type(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return param["type"]


@dataclass(frozen=True)
class ErrorSpec:
    name: str
    types: tuple[str, ...]
    names: tuple[str, ...]


@cache
def _error_specs(path: str) -> dict[bytes, ErrorSpec]:
    specs: dict[bytes, ErrorSpec] = {
        function_signature_to_4byte_selector("Error(string)"): ErrorSpec("Error", ("string",), ("message",)),
        function_signature_to_4byte_selector("Panic(uint256)"): ErrorSpec("Panic", ("uint256",), ("code",)),
    }
    for art in _load_all(path).values():
        for entry in art.abi:
            if entry.get("type") != "error":
                continue
            types = tuple(abi_type(i) for i in entry["inputs"])
            selector = function_signature_to_4byte_selector(f"{entry['name']}({','.join(types)})")
            specs[selector] = ErrorSpec(entry["name"], types, tuple(i["name"] for i in entry["inputs"]))
    return specs


def decode_revert(data: bytes | str | None) -> tuple[str, dict[str, object]]:
    """Decode revert data into (error name, {argument: value}) using every compiled ABI."""
    if isinstance(data, str):
        data = bytes.fromhex(data.removeprefix("0x"))
    if not data or len(data) < 4:
        return "UnknownRevert", {}
    spec = _error_specs(str(build_path())).get(data[:4])
    if spec is None:
        return "UnknownRevert", {"selector": "0x" + data[:4].hex()}
    values = abi_decode(list(spec.types), data[4:])
    return spec.name, {
        n or f"arg{i}": _readable(t, v) for i, (n, t, v) in enumerate(zip(spec.names, spec.types, values, strict=True))
    }


def _readable(abi_type: str, value: object) -> object:
    if abi_type == "address":
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value
