"""Oracle keeper: the median of its price sources to the SpotOracle, when the price moved by the
deviation threshold, the heartbeat passed, or a registered expiry awaits its settlement price.

Several copies may run: the oracle refuses a post that is not newer than the last one, so a
copy that lost the race gets a refused simulation and sends nothing.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from optio.keepers.runtime.config import InputFile
from optio.keepers.runtime.daemon import Context, Head
from optio.keepers.sources import GbmJumpSource, PriceSource, ReplaySource, RestSource, aggregate
from optio.sdk.errors import ContractRevert
from optio.sdk.units import to_wad

log = logging.getLogger("optio.keepers.oracle")
KEY = "spot-post"


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


def make(ctx: Context, sources: list[PriceSource] | None = None):
    s: Settings = ctx.settings  # type: ignore[assignment]
    start = ctx.w3.eth.get_block("latest")["timestamp"]
    sources = sources if sources is not None else [build_source(c, start) for c in s.sources]
    oracle = ctx.protocol.spot_oracle
    source_up = ctx.metrics.gauge("oracle_source_up", "1 if the source gave a price last cycle", ("source",))
    no_price = ctx.metrics.gauge("oracle_no_price", "1 while too few sources agree: nothing is posted")
    posted = ctx.metrics.gauge("oracle_last_posted_price", "The last price this keeper sent")

    def cycle(head: Head) -> None:
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
        reason = _due(oracle, agg.price, head, s)
        if reason is None:
            return
        out = ctx.send(KEY, oracle, "post", to_wad(agg.price, name="price"), head.timestamp)
        log.info("post", extra={"price": str(agg.price), "reason": reason, "status": out.status,
                                "detail": out.detail, "sources": agg.used, "outliers": agg.rejected})
        if out.status in ("pending", "dry-run"):
            posted.set(float(agg.price))

    return cycle


def _due(oracle, price: Decimal, head: Head, s: Settings) -> str | None:
    """Why a post is due now, or None."""
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
    return None
