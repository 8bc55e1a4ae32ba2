"""Two EVMs behind one small interface, so the invariant machine runs unchanged on both:

- ``RevmChain``: revm in-process (pyrevm), loaded with the state a real Anvil holds after the
  deployment (``anvil_dumpState``): the same bytecode at the same addresses, at tens of
  microseconds a call — the volume run.
- ``AnvilChain``: the real Anvil over JSON-RPC from unlocked dev accounts — the smaller run.

Both give raw calls (``call``/``send`` of calldata), chain time and snapshots. A revert raises
``Reverted`` with the revert data, and changes nothing.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import cached_property

from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from pyrevm import EVM, AccountInfo, BlockEnv, CfgEnv, Env
from web3 import Web3

from optio.sdk.artifacts import abi_type, artifact, decode_revert

_REVERT_OUTPUT = re.compile(r"output: (0x[0-9a-fA-F]*)")
#: Sender of views: an address without code (EIP-3607 refuses a contract as a transaction's sender).
VIEWER = "0x000000000000000000000000000000000000dEaD"


class Reverted(Exception):
    """A call or transaction reverted; ``name``/``args`` are the decoded custom error."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.name, self.args_ = decode_revert(data)
        super().__init__(f"{self.name}{self.args_}")


class RevmChain:
    """revm loaded from an Anvil state dump; chain id 31337, time set by ``warp``."""

    def __init__(self, dump: dict, timestamp: int, block_number: int) -> None:
        self.timestamp = timestamp
        self.number = block_number
        self.evm = EVM(env=Env(cfg=CfgEnv(chain_id=31337), block=self._block()), spec_id="SHANGHAI")
        for address, account in dump["accounts"].items():
            code = bytes.fromhex(account["code"].removeprefix("0x"))
            self.evm.insert_account_info(address, AccountInfo(nonce=int(account["nonce"]), code=code or None))
            self.evm.set_balance(address, int(account["balance"], 16))
            for slot, value in account["storage"].items():
                self.evm.insert_account_storage(address, int(slot, 16), int(value, 16))

    def _block(self) -> BlockEnv:
        return BlockEnv(number=self.number, timestamp=self.timestamp, basefee=0)

    @property
    def now(self) -> int:
        return self.timestamp

    def warp(self, seconds: int) -> None:
        self.timestamp += seconds
        self.number += 1
        self.evm.set_block_env(self._block())

    def _run(self, sender: str, to: str, data: bytes) -> bytes:
        try:
            return bytes(self.evm.message_call(sender, to, calldata=data))
        except RuntimeError as err:
            found = _REVERT_OUTPUT.search(str(err))
            if found is None:  # a halt (out of gas, invalid opcode): no revert data
                raise Reverted(b"") from None
            raise Reverted(bytes.fromhex(found.group(1)[2:])) from None

    def call(self, sender: str, to: str, data: bytes) -> bytes:
        snap = self.evm.snapshot()
        try:
            return self._run(sender, to, data)
        finally:
            self.evm.revert(snap)

    def send(self, sender: str, to: str, data: bytes) -> bytes:
        return self._run(sender, to, data)

    def snapshot(self) -> tuple:
        return self.evm.snapshot(), self.timestamp, self.number

    def revert(self, snap: tuple) -> None:
        checkpoint, self.timestamp, self.number = snap
        self.evm.revert(checkpoint)
        self.evm.set_block_env(self._block())


class AnvilChain:
    """The real Anvil: transactions from unlocked dev accounts, automined one block each.

    Time moves only by ``warp``, as in revm: blocks keep the latest timestamp (a zero timestamp
    interval). Otherwise each transaction's block would add a second of option decay between
    the machine's before and after reads, and an action would be charged with time's P&L.
    """

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self._rpc("anvil_setBlockTimestampInterval", [0])

    def _rpc(self, method: str, params: list) -> dict:
        return self.w3.provider.make_request(method, params)

    @property
    def now(self) -> int:
        return self.w3.eth.get_block("latest")["timestamp"]

    def warp(self, seconds: int) -> None:
        self._rpc("evm_mine", [self.now + seconds])

    @staticmethod
    def _raise_revert(answer: dict) -> None:
        error = answer.get("error")
        if error is None:
            return
        data = error.get("data")
        if isinstance(data, dict):
            data = data.get("data")
        raise Reverted(bytes.fromhex(data[2:]) if isinstance(data, str) and data.startswith("0x") else b"")

    def call(self, sender: str, to: str, data: bytes) -> bytes:
        answer = self._rpc("eth_call", [{"from": sender, "to": to, "data": "0x" + data.hex()}, "latest"])
        self._raise_revert(answer)
        return bytes.fromhex(answer["result"][2:])

    def send(self, sender: str, to: str, data: bytes) -> bytes:
        # Simulated first (its return data, and a revert never mined), then sent.
        out = self.call(sender, to, data)
        tx = {"from": sender, "to": to, "data": "0x" + data.hex(), "gas": hex(15_000_000)}
        answer = self._rpc("eth_sendTransaction", [tx])
        self._raise_revert(answer)
        receipt = self.w3.eth.wait_for_transaction_receipt(answer["result"])
        if receipt["status"] != 1:
            raise AssertionError(f"mined transaction reverted after a passing simulation: {tx}")
        return out

    def snapshot(self) -> str:
        return self._rpc("evm_snapshot", [])["result"]

    def revert(self, snap: str) -> None:
        assert self._rpc("evm_revert", [snap])["result"] is True

    def dump(self) -> dict:
        """Every account's code, nonce, balance and storage (``anvil_dumpState``)."""
        raw = bytes.fromhex(self._rpc("anvil_dumpState", [])["result"][2:])
        return json.loads(gzip.decompress(raw))


_WORD = r"(?:uint\d*|int\d*|bool|address)"
_WORD_TYPE = re.compile(rf"^{_WORD}$")
_WORD_ARRAY = re.compile(rf"^{_WORD}\[\]$")
_WORD_TUPLE = re.compile(rf"^\({_WORD}(?:,{_WORD})*\)$")


@dataclass(frozen=True)
class _Function:
    """One ABI function. Invariant checks make ~100 calls per action, and eth_abi costs several
    times what revm does per call, so the shapes they use (one-word values, static tuples of
    them, arrays of them) are packed and unpacked here; anything else goes through eth_abi."""

    selector: bytes
    inputs: list[str]
    outputs: list[str]

    @cached_property
    def fast_in(self) -> bool:
        return all(_WORD_TYPE.match(t) or _WORD_ARRAY.match(t) for t in self.inputs)

    @cached_property
    def fast_out(self) -> bool:
        return all(_WORD_TYPE.match(t) or _WORD_ARRAY.match(t) or _WORD_TUPLE.match(t) for t in self.outputs)

    def encode(self, args: tuple) -> bytes:
        if not self.fast_in:
            return self.selector + encode(self.inputs, list(args))
        head, tail = [], []
        offset = 32 * len(self.inputs)
        for t, a in zip(self.inputs, args, strict=True):
            if t.endswith("[]"):
                head.append(offset.to_bytes(32, "big"))
                tail.append(len(a).to_bytes(32, "big") + b"".join(_word(t[:-2], x) for x in a))
                offset += 32 * (len(a) + 1)
            else:
                head.append(_word(t, a))
        return self.selector + b"".join(head) + b"".join(tail)

    def decode(self, data: bytes) -> tuple:
        if not self.fast_out:
            return decode(self.outputs, data)
        out, i = [], 0
        for t in self.outputs:
            if t.endswith("[]"):
                start = int.from_bytes(data[i:i + 32], "big")
                n = int.from_bytes(data[start:start + 32], "big")
                out.append(tuple(_unword(t[:-2], data[start + 32 * (k + 1):start + 32 * (k + 2)]) for k in range(n)))
                i += 32
            elif t.startswith("("):
                members = t[1:-1].split(",")
                out.append(tuple(_unword(m, data[i + 32 * k:i + 32 * (k + 1)]) for k, m in enumerate(members)))
                i += 32 * len(members)
            else:
                out.append(_unword(t, data[i:i + 32]))
                i += 32
        return tuple(out)


def _word(abi_type: str, value: object) -> bytes:
    if abi_type == "address":
        return bytes(12) + bytes.fromhex(str(value)[2:])
    if abi_type.startswith("int"):
        return int(value).to_bytes(32, "big", signed=True)
    return int(value).to_bytes(32, "big")


def _unword(abi_type: str, word: bytes) -> object:
    if abi_type == "address":
        return to_checksum_address(word[12:])
    if abi_type == "bool":
        return word[31] == 1
    return int.from_bytes(word, "big", signed=abi_type.startswith("int"))


class Contract:
    """A compiled contract at ``address`` on either chain: ``call``/``send`` by function name,
    arguments and results ABI-encoded with eth_abi (no web3 contract objects on the hot path)."""

    def __init__(self, chain: RevmChain | AnvilChain, address: str, artifact_name: str) -> None:
        self.chain = chain
        self.address = to_checksum_address(address)
        self.name = artifact_name

    @cached_property
    def _functions(self) -> dict[str, _Function]:
        out: dict[str, _Function] = {}
        for entry in artifact(self.name).abi:
            if entry.get("type") != "function":
                continue
            inputs = [abi_type(i) for i in entry["inputs"]]
            selector = function_signature_to_4byte_selector(f"{entry['name']}({','.join(inputs)})")
            out[entry["name"]] = _Function(selector, inputs, [abi_type(o) for o in entry["outputs"]])
        return out

    def call(self, fn: str, *args: object, sender: str | None = None):
        """A view; one output is returned bare, several as a tuple."""
        f = self._functions[fn]
        out = f.decode(self.chain.call(sender or VIEWER, self.address, f.encode(args)))
        return out[0] if len(out) == 1 else out

    def send(self, sender: str, fn: str, *args: object):
        """A transaction from ``sender``; returns the decoded outputs (raises ``Reverted``)."""
        f = self._functions[fn]
        out = f.decode(self.chain.send(sender, self.address, f.encode(args)))
        return out[0] if len(out) == 1 else (out if out else None)
