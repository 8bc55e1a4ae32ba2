"""Every open position of the protocol, read incrementally from its events.

A :class:`BookReader` follows three contracts' logs: the option token (longs: ERC-1155 transfers,
so a token passed between holders moves with it), the margin account (shorts: opened, closed,
liquidated, settled) and the market (trades, settlements, exercises, pauses: the activity feed).
Each :meth:`BookReader.sync` reads from where the last one stopped up to ``head − confirmations``
in chunks, so blocks a reorg could still replace are never applied.

Units: amounts are wad options (1e18 = one option on one base unit), as the events carry them.

Why the logs are decoded here and not with web3's contract events: ``process_log`` costs about
a millisecond of Python per log, and a book of ten thousand positions is tens of thousands of
logs; one ``eth_abi`` decode per log is a few microseconds.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from optio.sdk.option_id import expiry_of, is_call, strike_wad_of
from optio.sdk.protocol import Protocol
from optio.sdk.units import WAD

#: Activity items kept for the feed (trades, settlements, exercises, liquidations, pauses).
RECENT = 200
ZERO = "0x0000000000000000000000000000000000000000"
TRADE_KINDS = ("buy", "sell", "close long", "close short")


@dataclass(frozen=True)
class EventSpec:
    """One event: its signature, the names of its indexed and data fields, the data types."""

    name: str
    signature: str
    indexed: tuple[str, ...]
    data: tuple[str, ...]
    types: tuple[str, ...]

    @property
    def topic(self) -> bytes:
        return keccak(text=self.signature)


EVENTS = (
    # OptionToken (ERC-1155): longs.
    EventSpec("TransferSingle", "TransferSingle(address,address,address,uint256,uint256)",
              ("operator", "from", "to"), ("id", "value"), ("uint256", "uint256")),
    EventSpec("TransferBatch", "TransferBatch(address,address,address,uint256[],uint256[])",
              ("operator", "from", "to"), ("ids", "values"), ("uint256[]", "uint256[]")),
    # MarginAccount: shorts.
    EventSpec("ShortOpened", "ShortOpened(address,uint256,uint256,uint256)", ("account", "id"),
              ("amount", "premium"), ("uint256", "uint256")),
    EventSpec("ShortClosed", "ShortClosed(address,uint256,uint256,uint256)", ("account", "id"),
              ("amount", "premium"), ("uint256", "uint256")),
    EventSpec("Liquidated", "Liquidated(address,address,uint256,uint256,uint256,uint256,uint256)",
              ("account", "liquidator", "id"), ("amount", "paidToVault", "bonus", "badDebt"), ("uint256",) * 4),
    EventSpec("ShortSettled", "ShortSettled(address,uint256,uint256,uint256,uint256)", ("account", "id"),
              ("amount", "paid", "badDebt"), ("uint256",) * 3),
    # OptionMarket: activity.
    EventSpec("Traded", "Traded(address,uint256,uint8,uint256,uint256,uint256,uint256,uint256)", ("trader", "id"),
              ("kind", "amount", "premium", "midWad", "volWad", "spotWad"), ("uint8",) + ("uint256",) * 5),
    EventSpec("BoardSettled", "BoardSettled(uint256,uint256,uint256,uint256,uint256)", ("expiry",),
              ("priceWad", "paidToHolders", "unlockedCall", "unlockedPut"), ("uint256",) * 4),
    EventSpec("Exercised", "Exercised(address,uint256,uint256,uint256)", ("holder", "id"), ("amount", "payout"),
              ("uint256", "uint256")),
    EventSpec("Paused", "Paused(address)", (), ("account",), ("address",)),
    EventSpec("Unpaused", "Unpaused(address)", (), ("account",), ("address",)),
)
BY_TOPIC = {spec.topic: spec for spec in EVENTS}
ADDRESS_FIELDS = {"operator", "from", "to", "account", "liquidator", "trader", "holder"}
#: Events shown in the activity feed (the others only move positions).
#: Event fields that are amounts of the option's collateral token.
TOKEN_FIELDS = {"premium", "payout", "bonus", "badDebt"}
ACTIVITY = {"Traded", "BoardSettled", "Exercised", "Liquidated", "Paused", "Unpaused"}


@dataclass(frozen=True)
class Activity:
    """One event of the feed: its name, decoded fields (addresses checksummed, numbers raw
    integers as emitted), block, log index and transaction."""

    event: str
    args: dict
    block: int
    log_index: int
    tx_hash: str
    timestamp: int | None = None

    def in_units(self, decimals: dict[bool, int]) -> dict:
        """The fields in human units, as floats: ``…Wad`` fields without the suffix (``spot``,
        ``vol``, ``price`` …), ``amount`` in options, ``premium``/``payout``/``bonus``/``badDebt`` in
        the option's collateral token (``decimals[is_call]``: calls in base, puts in quote); with an
        ``id``, also ``expiry`` (Unix s), ``strike`` (quote units) and ``is_call``. Other fields as
        emitted."""
        out: dict = {}
        call = is_call(self.args["id"]) if "id" in self.args else None
        if call is not None:
            out.update(expiry=expiry_of(self.args["id"]), strike=strike_wad_of(self.args["id"]) / WAD, is_call=call)
        for name, value in self.args.items():
            if name.endswith("Wad"):
                out[name.removesuffix("Wad")] = value / WAD
            elif name == "amount":
                out[name] = value / WAD
            elif name in TOKEN_FIELDS and call is not None:
                out[name] = value / 10 ** decimals[call]
            else:
                out[name] = value
        return out


def decode_log(log: dict) -> tuple[EventSpec, dict] | None:
    """(spec, fields) of a log this module knows; None for any other."""
    topics = log["topics"]
    if not topics:
        return None
    spec = BY_TOPIC.get(bytes(topics[0]))
    if spec is None:
        return None
    args: dict = {}
    for name, topic in zip(spec.indexed, topics[1:], strict=True):
        value = int.from_bytes(bytes(topic), "big")
        args[name] = to_checksum_address(value.to_bytes(20, "big")) if name in ADDRESS_FIELDS else value
    values = abi_decode(list(spec.types), bytes(log["data"]))
    for name, value in zip(spec.data, values, strict=True):
        args[name] = to_checksum_address(value) if name in ADDRESS_FIELDS else value
    return spec, args


@dataclass
class BookReader:
    """Open longs and shorts by (account, option id), kept up to date by :meth:`sync`."""

    protocol: Protocol
    confirmations: int = 0
    chunk: int = 2000
    scanned_to: int = -1
    longs: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    shorts: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    recent: deque[Activity] = field(default_factory=lambda: deque(maxlen=RECENT))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def __post_init__(self) -> None:
        if self.scanned_to < 0:
            self.scanned_to = self.protocol.deployment.deploy_block - 1
        market = self.protocol.market
        self.addresses = [market.option_token.address, self.protocol.margin.address, market.address]

    @property
    def w3(self) -> Web3:
        return self.protocol.w3

    def sync(self, head: int | None = None) -> list[Activity]:
        """Apply every log up to ``head − confirmations`` (default head: the latest block);
        returns the new activity, oldest first, with block timestamps."""
        head = self.w3.eth.block_number if head is None else head
        until = head - self.confirmations
        new: list[Activity] = []
        for lo in range(self.scanned_to + 1, until + 1, self.chunk):
            hi = min(lo + self.chunk - 1, until)
            logs = self.w3.eth.get_logs({"fromBlock": lo, "toBlock": hi, "address": self.addresses})
            for log in logs:
                decoded = decode_log(log)
                if decoded is not None:
                    activity = self._apply(*decoded, log)
                    if activity is not None:
                        new.append(activity)
            self.scanned_to = hi
        new = self._stamped(new[-RECENT:])
        self.recent.extend(new)
        return new

    def _apply(self, spec: EventSpec, args: dict, log: dict) -> Activity | None:
        name = spec.name
        if name == "TransferSingle":
            self._move(args["from"], args["to"], args["id"], args["value"])
        elif name == "TransferBatch":
            for option_id, value in zip(args["ids"], args["values"], strict=True):
                self._move(args["from"], args["to"], option_id, value)
        elif name == "ShortOpened":
            self.shorts[(args["account"], args["id"])] += args["amount"]
        elif name in ("ShortClosed", "Liquidated", "ShortSettled"):
            self._reduce_short(args["account"], args["id"], args["amount"])
        if name not in ACTIVITY:
            return None
        self.counts[name] += 1
        return Activity(name, args, log["blockNumber"], log["logIndex"], "0x" + bytes(log["transactionHash"]).hex())

    def _move(self, sender: str, receiver: str, option_id: int, value: int) -> None:
        if sender != ZERO:
            key = (sender, option_id)
            self.longs[key] -= value
            if self.longs[key] == 0:
                del self.longs[key]
        if receiver != ZERO:
            self.longs[(receiver, option_id)] += value

    def _reduce_short(self, account: str, option_id: int, amount: int) -> None:
        key = (account, option_id)
        self.shorts[key] -= amount
        if self.shorts[key] == 0:
            del self.shorts[key]

    def _stamped(self, items: list[Activity]) -> list[Activity]:
        """The items with their blocks' timestamps (one request per distinct block)."""
        stamps = {n: self.w3.eth.get_block(n)["timestamp"] for n in sorted({a.block for a in items})}
        return [Activity(a.event, a.args, a.block, a.log_index, a.tx_hash, stamps[a.block]) for a in items]

    # --- views ----------------------------------------------------------------------------------

    def positions(self, *, live_after: int | None = None) -> list[tuple[str, int, int]]:
        """(account, option id, signed wad amount: + long, − short) of every open position;
        with ``live_after``, only options expiring after that Unix time."""
        out = [(a, i, v) for (a, i), v in self.longs.items() if v]
        out += [(a, i, -v) for (a, i), v in self.shorts.items() if v]
        if live_after is not None:
            out = [p for p in out if expiry_of(p[1]) > live_after]
        return out

    def margin_accounts(self) -> list[str]:
        """Accounts with an open short."""
        return sorted({a for (a, _), v in self.shorts.items() if v})
