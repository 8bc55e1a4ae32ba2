"""Client of the OptionBook: the vaults' books as stored totals, and the epoch crank.

Units: liabilities in the side's collateral token (calls: WETH, puts: USDC; + a liability),
delta in options of base, vega in quote units per 1.00 of vol, spot in quote units, times in
Unix seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from web3 import Web3
from web3.types import TxReceipt

from optio.sdk.chain import Signer
from optio.sdk.contracts import Client, crank_book
from optio.sdk.units import from_units, from_wad

#: Live options a crank call marks by default: ~128 × 14k gas (~1.8M) is 6% of a 30M block, and
#: the per-call part (the oracle reads, the totals' writes, the transaction) is spread over twice
#: the options of a page of 64 (13.6k gas an option against 14.9k at 512 live: benchmarks.book_scale).
DEFAULT_PAGE = 128


@dataclass(frozen=True)
class Portfolio:
    """A vault's open options marked now (``OptionBook.portfolio``): value in the vault's asset
    (+ a liability), net delta in options of base, net vega in quote units per 1.00 of vol;
    ``fresh`` False when a stale oracle made the value a conservative bound."""

    liability: Decimal
    net_delta: Decimal
    net_vega: Decimal
    fresh: bool


@dataclass(frozen=True)
class BookTotals:
    """``IOptionBook.BookTotals`` in named units (see the module docstring); the liability in
    collateral tokens. ``valid``: for totals, not invalidated since the snapshot; for a sweep,
    under way. ``cursor``: a sweep's options marked so far. ``vol_posts``: the VolOracle's post
    count (low 32 bits) at the snapshot; a surface posted since leaves the mark not fresh.
    ``fresh_until``: the last second the surfaces the mark used stay fresh (Unix s; None: it
    used none); past it trades and fills wait for a crank. ``surfaces_at``: the oldest of those
    surfaces' posts (None: none); a fill serves only requests made before it and ``spot_at``."""

    liability: Decimal
    net_delta: Decimal
    net_vega: Decimal
    bought_delta: Decimal
    spot: Decimal
    as_of: int
    spot_at: int
    cursor: int
    fresh: bool
    valid: bool
    vol_posts: int
    fresh_until: int | None
    surfaces_at: int | None

    def current(self, now: int, max_age: int) -> bool:
        """Whether the totals may price a trade at ``now`` (Unix s): valid, at most ``max_age``
        seconds old (``TOTALS_MAX_AGE``) and their surfaces still fresh (the spot-move bound
        aside)."""
        return self.valid and now <= self.as_of + max_age and (self.fresh_until is None or now <= self.fresh_until)


@dataclass(frozen=True)
class CrankResult:
    """One side's sweep driven to its end: the transactions sent and their gas."""

    is_call: bool
    receipts: tuple[TxReceipt, ...]
    live: int

    @property
    def gas_used(self) -> int:
        return sum(r["gasUsed"] for r in self.receipts)


class OptionBook(Client):
    artifact_name = "OptionBook"

    def __init__(self, w3: Web3, address: str, *, decimals: dict[bool, int]):
        """``decimals``: the collateral token's decimals by side (True: calls)."""
        super().__init__(w3, address)
        self.decimals = decimals

    def portfolio(self, is_call: bool) -> Portfolio:
        liability, delta, vega, fresh = self.call("portfolio", is_call)
        return Portfolio(from_units(liability, self.decimals[is_call]), from_wad(delta), from_wad(vega), bool(fresh))

    def totals(self, is_call: bool) -> BookTotals:
        """The side's stored totals."""
        return self._totals(self.call_struct("bookTotals", is_call), is_call)

    def sweep(self, is_call: bool) -> BookTotals:
        """The side's sweep under way (``valid`` False: none)."""
        return self._totals(self.call_struct("bookSweep", is_call), is_call)

    @cached_property
    def _vol_oracle(self) -> Client:
        return Client(self.w3, self.call("volOracle"), artifact_name="VolOracle")  # immutable

    def vol_posts(self) -> int:
        """The VolOracle's post count now, as the book stores it (low 32 bits): totals taken at
        another count are not at the latest surfaces."""
        return int(self._vol_oracle.call("postCount")) % 2**32

    def live_options(self, is_call: bool) -> list[int]:
        return list(self.call("liveOptions", is_call))

    def live_count(self, is_call: bool) -> int:
        return int(self.call("liveCount", is_call))

    def crank(self, signer: Signer, is_call: bool, *, page: int = DEFAULT_PAGE, max_calls: int = 64) -> CrankResult:
        """Drives one side's sweep to its end, ``page`` options a call (``crank_book``)."""
        receipts = crank_book(self, signer, is_call, page=page, max_calls=max_calls)
        return CrankResult(is_call, receipts, self.live_count(is_call))

    def _totals(self, t: object, is_call: bool) -> BookTotals:
        return BookTotals(
            liability=from_units(_liability_units(t.liability, self.decimals[is_call]), self.decimals[is_call]),
            net_delta=from_wad(t.netDelta),
            net_vega=from_wad(t.netVega),
            bought_delta=from_wad(t.boughtDelta),
            spot=from_wad(t.spot),
            as_of=int(t.asOf),
            spot_at=int(t.spotAt),
            cursor=int(t.cursor),
            fresh=bool(t.fresh),
            valid=bool(t.valid),
            vol_posts=int(t.volPosts),
            fresh_until=_time_or_none(t.freshUntil),
            surfaces_at=_time_or_none(t.surfacesAt),
        )

    @cached_property
    def totals_max_age(self) -> int:
        """``TOTALS_MAX_AGE``: seconds the totals may price trades after their snapshot (a
        constant: read once)."""
        return int(self.call("TOTALS_MAX_AGE"))


def _time_or_none(t: int) -> int | None:
    """A uint32 time of the totals; type(uint32).max ("none") as None."""
    return None if int(t) == 2**32 - 1 else int(t)


def _liability_units(wad: int, decimals: int) -> int:
    """A collateral-wad liability in token units, rounded as the contract rounds it (up as a
    liability, down as an asset)."""
    return -((-wad) // 10 ** (18 - decimals))
