"""Oracle keeper: the median of its price sources to the SpotOracle, when the price moved by the
deviation threshold, the heartbeat passed, or a registered expiry awaits its settlement price.

Then, in every cycle in which the on-chain spot is in line with its sources (it just posted, or
nothing was due), it fills the vaults' pending LP requests (``serveQueue``, FILLER_ROLE): LP
flows are priced forward, at a mark the requester did not time (docs/lp-flows.md). With ``fill``
on (the default) its key must hold FILLER_ROLE on both vaults, checked at start-up.

With ``fill_hold`` on (the default) it first scans the margin accounts (the runtime's
``MarginAccounts``, the liquidator's discovery and scan) and holds a vault's fill while an account
on that vault's side (calls: the call vault, puts: the put vault) is below a fresh requirement:
the vault marks the options it bought from that account at mid until it is liquidated, and an LP
filled before the liquidation would leave the bad debt to those who stay (docs/security.md,
finding M). The liquidator liquidates it (``release_fills``), and a later cycle fills. After a
post the health must be read on the posted spot, so the fill waits for the post to be mined (up
to ``fill_post_wait_s``, else a later cycle fills). A hold lasts at most ``fill_hold_max_s`` of
chain time: then the keeper fills anyway, with a warning, so that a stuck liquidation cannot
freeze LP flows.

Before it fills, and after each post, it cranks the OptionBook (``crank`` in pages of
``crank_page`` options): a fill uses the book's epoch mark only once a sweep has marked the side
at the latest post, and opening trades need the totals re-based (``runtime/epochs.py``). A side is
cranked whenever its totals are not at the latest post or were invalidated (a settlement, a
liquidation), so the keeper that posts keeps every epoch turning; fills wait until its cranks are
mined.

Several copies may run: the oracle refuses a post that is not newer than the last one, so a
copy that lost the race gets a refused simulation and sends nothing.
"""

from __future__ import annotations

import logging
import time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from optio.keepers.runtime import epochs
from optio.keepers.runtime.accounts import FillHold
from optio.keepers.runtime.config import InputFile
from optio.keepers.runtime.daemon import Context, Head
from optio.keepers.sources import GbmJumpSource, PriceSource, ReplaySource, RestSource, aggregate
from optio.sdk.contracts import Client
from optio.sdk.errors import ContractRevert
from optio.sdk.option_book import DEFAULT_PAGE
from optio.sdk.units import to_wad

log = logging.getLogger("optio.keepers.oracle")
KEY = "spot-post"
FILL_KEY = "fill"  # + ":call" / ":put": one serveQueue in flight per vault


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None


class ReplayConfig(_Source):
    kind: Literal["replay"]
    path: InputFile  # CSV of `timestamp,price` rows; relative: from the config file's folder
    max_age_s: int = Field(default=300, gt=0)


class GbmConfig(_Source):
    kind: Literal["gbm"]
    seed: int
    s0: float = Field(gt=0)
    vol: float = Field(default=0.8, gt=0, le=10)
    jumps_per_day: float = Field(default=2.0, ge=0)
    jump_size: float = Field(default=0.03, ge=0)
    start: int | None = None  # default: the chain's time at start-up


class RestConfig(_Source):
    kind: Literal["rest"]
    venue: Literal["coinbase", "binance", "kraken"]
    url: str = Field(pattern=r"^https?://")
    timeout_s: float = Field(default=3.0, gt=0)


class Settings(BaseModel):
    """The ``[oracle]`` table."""

    model_config = ConfigDict(extra="forbid")
    sources: list[Annotated[ReplayConfig | GbmConfig | RestConfig, Field(discriminator="kind")]] = Field(min_length=1)
    deviation: float = Field(default=0.005, gt=0, lt=1)  # fraction of the last on-chain price
    heartbeat_s: int = Field(default=600, gt=0)
    max_deviation: float = Field(default=0.02, gt=0, lt=1)  # a source this far from the median is an outlier
    min_sources: int = Field(default=1, ge=1)
    fill: bool = True  # fill the vaults' pending LP requests after each cycle in line with the sources
    fill_max_requests: int = Field(default=50, ge=1, le=500)  # serveQueue(N), per vault and cycle
    # Hold a vault's fill while an account on its side is below a fresh requirement (finding M).
    fill_hold: bool = True
    fill_hold_max_s: int = Field(default=600, gt=0)  # chain seconds a hold lasts at most; then it fills
    fill_post_wait_s: float = Field(default=30.0, ge=0)  # after a post: wait for it before the health scan
    accounts_batch_size: int = Field(default=500, ge=1, le=5000)  # accounts per healthOf call
    crank: bool = True  # crank the OptionBook's sweeps at each post (fills and opening trades need them)
    crank_page: int = Field(default=DEFAULT_PAGE, ge=1, le=512)  # live options per crank call (SDK default)
    # A request waiting for a post opens an epoch (post, surfaces, cranks, fill) at once if the
    # pending requests are worth this fraction of the vault; smaller ones wait until the latest
    # post is `request_batch_s` old, so dust cannot buy an epoch every cycle (round 6, P4).
    request_min_fraction: float = Field(default=0.001, ge=0, lt=1)
    request_batch_s: int = Field(default=300, gt=0)  # chain seconds

    @model_validator(mode="after")
    def _enough_sources(self):
        # More required than configured: the keeper would start and never post.
        if self.min_sources > len(self.sources):
            raise ValueError(f"min_sources {self.min_sources} is more than the {len(self.sources)} source(s) "
                             "configured: the keeper would never post")
        return self


def build_source(cfg, start: int) -> PriceSource:
    if cfg.kind == "replay":
        return ReplaySource(cfg.path, max_age=cfg.max_age_s, name=cfg.name or f"replay:{cfg.path.name}")
    if cfg.kind == "gbm":
        return GbmJumpSource(seed=cfg.seed, start=cfg.start if cfg.start is not None else start, s0=cfg.s0,
                             vol=cfg.vol, jumps_per_day=cfg.jumps_per_day, jump_size=cfg.jump_size,
                             name=cfg.name or f"gbm:{cfg.seed}")
    return RestSource(cfg.venue, cfg.url, timeout=cfg.timeout_s, name=cfg.name)


def required_roles(ctx: Context) -> list[tuple[Client, str]]:
    """Roles the key needs beyond KEEPER_ROLE (the runtime refuses to start without them):
    FILLER_ROLE on both vaults while ``fill`` is on."""
    s: Settings = ctx.settings  # type: ignore[assignment]
    if not s.fill:
        return []
    return [(ctx.protocol.vault(kind), "FILLER_ROLE") for kind in ("call", "put")]


def make(ctx: Context, sources: list[PriceSource] | None = None):
    s: Settings = ctx.settings  # type: ignore[assignment]
    start = ctx.w3.eth.get_block("latest")["timestamp"]
    sources = sources if sources is not None else [build_source(c, start) for c in s.sources]
    oracle = ctx.protocol.spot_oracle
    source_up = ctx.metrics.gauge("oracle_source_up", "1 if the source gave a price last cycle", ("source",))
    no_price = ctx.metrics.gauge("oracle_no_price", "1 while too few sources agree: nothing is posted")
    posted = ctx.metrics.gauge("oracle_last_posted_price", "The last price this keeper sent")
    vaults = {kind: ctx.protocol.vault(kind) for kind in ("call", "put")} if s.fill else {}
    filled = ctx.metrics.counter("oracle_requests_filled", "LP requests filled by this keeper's serveQueue "
                                 "(mined)", ("vault", "kind"))
    counted: set[str] = set()  # fill transactions already counted

    def count_fills() -> None:
        for out in list(ctx.txs.finished):
            if not out.key.startswith(f"{FILL_KEY}:") or out.status != "mined" or out.tx_hash in counted:
                continue
            counted.add(out.tx_hash)
            kind = out.key.split(":")[1]
            effects = vaults[kind].effects([ctx.w3.eth.get_transaction_receipt(out.tx_hash)])
            filled.labels(vault=kind, kind="deposit").inc(len(effects.deposits_filled))
            filled.labels(vault=kind, kind="redeem").inc(len(effects.redeems_filled))
            log.info("filled", extra={"vault": kind, "deposits": len(effects.deposits_filled),
                                      "redeems": len(effects.redeems_filled), "tx_hash": out.tx_hash})

    hold = FillHold(ctx, max_s=s.fill_hold_max_s, batch_size=s.accounts_batch_size) if s.fill and s.fill_hold \
        else None

    def wait_for_post() -> bool:
        """After a post: wait (up to fill_post_wait_s) until it is mined, so that the health scan
        reads the posted spot. False if it is still in flight (a later cycle fills)."""
        deadline = time.monotonic() + s.fill_post_wait_s
        while ctx.txs.has(KEY):
            if time.monotonic() >= deadline:
                log.info("fill deferred: the post is not mined yet")
                return False
            ctx.txs.poll()
            if ctx.txs.has(KEY):
                time.sleep(0.2)
        return True

    def fill(just_posted: bool, head: Head) -> None:
        """serveQueue on each vault with pending requests: after a post (sent first, so mined
        first: same key, next nonce) always, else when the simulation fills any. With the hold
        on, after the post is mined, and not while an account on the vault's side is liquidatable."""
        due = {}
        for kind, vault in vaults.items():
            if ctx.txs.has(f"{FILL_KEY}:{kind}") or not vault.has_pending_requests():
                if hold is not None:
                    hold.clear(kind)
                continue
            due[kind] = vault
        if not due:
            return
        if hold is not None:
            if just_posted and not wait_for_post():
                return
            held = hold.check(list(due), head)
            due = {kind: vault for kind, vault in due.items() if kind not in held}
        for kind, vault in due.items():
            expected = vault.requests_to_serve(s.fill_max_requests, sender=ctx.account.address)
            if not expected and not just_posted:
                continue  # nothing fits at this mark (liquidity): no empty transaction
            out = ctx.send(f"{FILL_KEY}:{kind}", vault, "serveQueue", s.fill_max_requests,
                           extra_gas=vault.serve_gas_margin(s.fill_max_requests, expected))
            log.info("fill", extra={"vault": kind, "expected": expected, "after_post": just_posted,
                                    "status": out.status, "detail": out.detail})

    book = ctx.protocol.market.book if s.crank else None

    def crank(just_posted: bool) -> bool:
        """The epoch cranks due (``runtime/epochs.py``), after the post is mined; True once
        every side is at the latest post, so that a fill uses its epoch mark."""
        if book is None or not (book.live_count(True) or book.live_count(False)):
            return True  # nothing to mark: a fill's mark has no price input
        if just_posted and not wait_for_post():
            return False
        return epochs.crank_to_latest(ctx, book, oracle, s.crank_page, s.fill_post_wait_s)

    def cycle(head: Head) -> None:
        if vaults:
            count_fills()
        if ctx.txs.has(KEY):
            return  # one post at a time; the runtime bumps it if it waits
        quotes = {src.name: src.price(head.timestamp) for src in sources}
        for name, value in quotes.items():
            source_up.labels(source=name).set(0 if value is None else 1)
        agg = aggregate(quotes, max_deviation=s.max_deviation, min_sources=s.min_sources)
        if agg.price is None:
            no_price.set(1)
            ctx.unable(f"no price: {len(agg.used)} source(s) agree, {s.min_sources} needed "
                       f"(missing: {', '.join(agg.missing) or 'none'}; outliers: {', '.join(agg.rejected) or 'none'})")
            log.warning("no price: not posting", extra={"missing": agg.missing, "outliers": agg.rejected})
            return
        no_price.set(0)
        reason = _due(oracle, agg.price, head, s, list(vaults.values()))
        if reason is None:  # the on-chain spot is within the threshold of the sources: in line
            if crank(just_posted=False):
                fill(just_posted=False, head=head)
            return
        out = ctx.send(KEY, oracle, "post", to_wad(agg.price, name="price"), head.timestamp)
        log.info("post", extra={"price": str(agg.price), "reason": reason, "status": out.status,
                                "detail": out.detail, "sources": agg.used, "outliers": agg.rejected})
        if out.status in ("pending", "dry-run"):
            posted.set(float(agg.price))
            if crank(just_posted=True):
                fill(just_posted=True, head=head)

    return cycle


def _due(oracle, price: Decimal, head: Head, s: Settings, vaults: list | None = None) -> str | None:
    """Why a post is due now, or None. ``vaults`` (while filling): an LP request made at or after
    the latest post waits for a post (a fill serves only requests made before it): at once if the
    pending requests are worth ``request_min_fraction`` of the vault, else once the latest post is
    ``request_batch_s`` old."""
    try:
        last, updated_at = oracle.latest_round()
    except ContractRevert as err:  # StalePrice or NoPrice: a post is overdue
        return err.name
    if abs(price - last) >= Decimal(repr(s.deviation)) * last:
        return "deviation"
    if head.timestamp - updated_at >= s.heartbeat_s:
        return "heartbeat"
    if any(e <= head.timestamp for e in oracle.pending_expiries()):
        return "settlement"
    for vault in vaults or ():
        made = vault.newest_pending_request_time()
        if made is None or made < updated_at or head.timestamp <= updated_at:
            continue  # none waiting for a post
        if (head.timestamp - updated_at >= s.request_batch_s
                or vault.pending_request_fraction() >= Decimal(repr(s.request_min_fraction))):
            return "requests"
    return None
