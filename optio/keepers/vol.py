"""Vol keeper: fits an SVI surface (pricing/) to a normalised option chain — the newest snapshot
file in a folder, or a simulator's realistic smiles — and posts each listed expiry's slice to the
VolOracle when its ATM vol moved by the threshold or the heartbeat passed.

A board's expiry rarely equals a venue's: the slice of the nearest fitted tenor is carried to the
board's tenor at constant implied vols (a and b scaled by T_board / T_slice). A move larger than
the oracle allows in one update is posted as the largest allowed step, and the rest follows.

The oracle holds a post's annualised vols until the next one (it serves total variance rescaled
to the time of the read) and calls a surface stale once its age passes a fraction of its tenor at
the post (``maxAgeTauFractionWad``): so a slice is re-posted when half of that allowance has
passed, which near expiry means ever more often, and the surface stays fresh to the trading
cutoff as long as ``min_tenor_s`` is at most the cutoff divided by (1 - fraction).

LP requests are filled at a mark whose spot and surfaces were all posted after them (forward
pricing, docs/lp-flows.md): with ``serve_requests`` on (the default), a slice older than a
pending request is re-posted (the fit, stepped within the oracle's bound as any post), so that
fills do not wait for the heartbeat: once the spot oracle has posted after the request (the oracle
keeper opens epochs and batches dust requests, ``oracle.request_batch_s``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from optio.keepers.runtime.config import InputDir
from optio.keepers.runtime.daemon import Context, Head
from optio.pricing.black_scholes import SECONDS_PER_YEAR
from optio.pricing.chains import load_snapshot
from optio.pricing.market_surface import fit_chain
from optio.pricing.oracle_units import svi_to_wad
from optio.pricing.smile_model import SmileSimulator
from optio.pricing.surface import SurfaceFit
from optio.pricing.svi import SviParams
from optio.sdk.contracts import held_surface
from optio.sdk.errors import ContractRevert

log = logging.getLogger("optio.keepers.vol")
YEAR = SECONDS_PER_YEAR  # tenors in years from seconds


class Settings(BaseModel):
    """The ``[vol]`` table."""

    model_config = ConfigDict(extra="forbid")
    source: Literal["files", "sim"] = "sim"
    snapshots: InputDir | None = None  # folder of venue snapshots (files): the newest file is used
    seed: int = 7  # sim: the path of ATM vol
    atm_vol: float = Field(default=0.7, gt=0.01, lt=5)  # sim: the level ATM vol reverts to, per year
    vol_of_vol: float = Field(default=0.5, ge=0)  # sim: per √year
    threshold: float = Field(default=0.01, gt=0, lt=1)  # relative ATM vol move that triggers a post
    heartbeat_s: int = Field(default=1800, gt=0)
    # Boards closer to expiry are left alone; 300 s (the default trading cutoff) keeps surfaces
    # fresh past the cutoff, for the margin marks of open positions.
    min_tenor_s: int = Field(default=300, ge=60)
    # Chain seconds from the head a cycle sees to the block its post lands in (one block: 12 on
    # Ethereum). The oracle reads a post's vols over the tenor at its block, so a slice fitted
    # for the head's tenor served them √(τ_head/τ_block) too high (+2% for a board 300 s out
    # with 12 s blocks, +8% for one 60 min out posted 10 min earlier) and could leave the move
    # bound when stepped.
    block_s: int = Field(default=12, ge=0, le=86400)
    # Re-post a slice older than a pending LP request: a fill serves only requests made before
    # every surface of its mark (and its spot post).
    serve_requests: bool = True

    @model_validator(mode="after")
    def _snapshots_for_files(self):
        if self.source == "files" and self.snapshots is None:
            raise ValueError('source = "files" needs `snapshots`, the folder of venue snapshot files')
        if self.block_s >= self.min_tenor_s:
            raise ValueError(f"block_s ({self.block_s}) must be below min_tenor_s ({self.min_tenor_s}): a post "
                             "must land before the boards it serves expire")
        return self


def newest_snapshot(folder: Path) -> Path | None:
    """The newest ``*.json`` in ``folder`` (by modification time). A file removed while listed
    (a feed pruning its old snapshots) is passed over: sorting the listing by ``stat`` raised, and
    the keeper's cycle failed (the demo on CI, under load)."""
    newest: tuple[float, Path] | None = None
    for path in folder.glob("*.json"):
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            continue
        if newest is None or mtime > newest[0]:
            newest = (mtime, path)
    return None if newest is None else newest[1]


def slice_for(fit: SurfaceFit, tenor_years: float) -> SviParams:
    """The fitted slice of the nearest tenor, carried to ``tenor_years`` at constant vols."""
    i = int(np.argmin(np.abs(np.log(fit.expiry_years / tenor_years))))
    f = tenor_years / float(fit.expiry_years[i])
    p = fit.slices[i]
    return SviParams(a=p.a * f, b=p.b * f, rho=p.rho, m=p.m, sigma=p.sigma)


def atm_vol(p: SviParams, tenor_years: float) -> float:
    return float(p.implied_vol(0.0, tenor_years))


def step_towards(target: SviParams, old_vol: float, tenor_years: float, max_move: float) -> SviParams:
    """``target``, or its smile scaled so its ATM vol moves at most 95% of ``max_move`` from
    ``old_vol`` (scaling a and b by c² scales every vol by c)."""
    new_vol = atm_vol(target, tenor_years)
    bound = old_vol * (1 + 0.95 * max_move) if new_vol > old_vol else old_vol * (1 - 0.95 * max_move)
    if abs(new_vol - old_vol) <= 0.95 * max_move * old_vol:
        return target
    c2 = (bound / new_vol) ** 2
    return SviParams(a=target.a * c2, b=target.b * c2, rho=target.rho, m=target.m, sigma=target.sigma)


#: The oracle's refusals of a move too large: against the previous surface or the anchor.
MOVE_REFUSALS = ("AtmVolMoveTooLarge", "VolMoveTooLarge")


def largest_accepted(target: SviParams, held: SviParams, old_vol: float, tenor_years: float,
                     refusal: Callable[[SviParams], str | None]) -> SviParams:
    """``target`` if the oracle takes it; else the largest step towards it that it takes (its
    ATM vol at 1/2, 1/4, 1/8 of the way from ``old_vol``, the shape kept), else ``held`` (the
    surface the oracle holds, at ``tenor_years``). The keeper's step bounds a post against the
    previous surface only; the oracle bounds it against its anchor too, which advances only
    inside an accepted post: a keeper repeating a post the anchor refuses stayed refused until
    the held surface was maxAge old (round 12, K1: 3 h at 3/4 of the market's vol). Any post
    accepted lets the anchor mature. ``refusal(params)`` is the oracle's error for posting
    ``params`` now, None if it would pass."""
    if refusal(target) not in MOVE_REFUSALS:
        return target
    new_vol = atm_vol(target, tenor_years)
    for f in (0.5, 0.25, 0.125):
        c2 = ((old_vol + f * (new_vol - old_vol)) / new_vol) ** 2
        step = SviParams(a=target.a * c2, b=target.b * c2, rho=target.rho, m=target.m, sigma=target.sigma)
        if refusal(step) not in MOVE_REFUSALS:
            return step
    return held


def refresh_after(heartbeat_s: int, tau_fraction: float, tenor_at_post_s: int) -> float:
    """Age (s) at which a slice is re-posted: the heartbeat, or half the oracle's tenor-tied
    freshness (``tau_fraction`` of the tenor at the post), whichever comes first."""
    return min(heartbeat_s, 0.5 * tau_fraction * tenor_at_post_s)


def make(ctx: Context):
    s: Settings = ctx.settings  # type: ignore[assignment]
    market, vol_oracle, spot_oracle = ctx.protocol.market, ctx.protocol.vol_oracle, ctx.protocol.spot_oracle
    vaults = [ctx.protocol.vault(kind) for kind in ("call", "put")] if s.serve_requests else []
    sim = SmileSimulator(seed=s.seed, atm_vol=s.atm_vol, vol_of_vol=s.vol_of_vol)
    fit_rmse = ctx.metrics.gauge("vol_fit_rmse", "Largest per-expiry RMSE (vol) of the last fit")
    rejected = ctx.metrics.counter("vol_fit_rejected", "Fits rejected (quotes the arbitrage-free fit misses)")

    def fit(head: Head) -> SurfaceFit | None:
        if s.source == "files":
            newest = newest_snapshot(s.snapshots)  # type: ignore[arg-type]
            if newest is None:
                log.warning("no snapshot file", extra={"folder": str(s.snapshots)})
                ctx.unable(f"no snapshot file in {s.snapshots}")
                return None
            try:
                quotes = load_snapshot(newest).quotes
            except FileNotFoundError:  # pruned by its writer since listed: the next cycle reads a newer one
                ctx.unable(f"{newest} was removed while read")
                return None
        else:
            spot, _ = spot_oracle.latest_price()
            quotes = sim.chain(head.timestamp, float(spot))
        surface, _ = fit_chain(quotes)
        if not surface.accepted:
            rejected.inc()
            log.warning("fit rejected", extra={"reasons": surface.reasons[:3]})
            ctx.unable(f"fit rejected: {'; '.join(surface.reasons[:3])}")
            return None
        fit_rmse.set(float(np.max(surface.rmse_vol)))
        return surface

    def cycle(head: Head) -> None:
        boards = [e for e in market.expiries() if e - head.timestamp >= s.min_tenor_s]
        if not boards:
            return
        surface = fit(head)
        if surface is None:
            return
        cfg = vol_oracle.config()
        max_move, tau_fraction = float(cfg.max_atm_move), float(cfg.max_age_tau_fraction)
        lands = head.timestamp + s.block_s  # where the oracle will read the post's tenor
        waiting = epoch_request(vaults, spot_oracle)
        for expiry in boards:
            key = f"vol:{expiry}"
            if ctx.txs.has(key):
                continue
            tenor = (expiry - lands) / YEAR
            target = slice_for(surface, tenor)
            held = vol_oracle.surface(expiry)  # total variance over the head's tenor
            if held.value is None:  # none yet, or stale: post whatever the fit says
                old_vol, updated = None, 0
            else:
                old_vol, updated = atm_vol(held.value, (expiry - head.timestamp) / YEAR), held.updated_at
                # The same vols over the landing tenor (a and b scale with τ).
                held_params = held_surface(held.value, head.timestamp, expiry, lands)
            new_vol = atm_vol(target, tenor)
            moved = old_vol is None or abs(new_vol - old_vol) >= s.threshold * old_vol
            # A request made at or after this slice's post waits for a newer one (not within the
            # post's own second: the next block is later).
            serves = waiting is not None and waiting >= updated and head.timestamp > updated
            if (not moved and not serves
                    and head.timestamp - updated < refresh_after(s.heartbeat_s, tau_fraction, expiry - updated)):
                continue
            if old_vol is not None:
                target = step_towards(target, old_vol, tenor, max_move)
                target = largest_accepted(
                    target, held_params, old_vol, tenor,
                    lambda p, e=expiry: ctx.refusal(vol_oracle, "post", e, svi_to_wad(p)))
            out = ctx.send(key, vol_oracle, "post", expiry, svi_to_wad(target), min_gas=vol_oracle.POST_GAS)
            log.info("vol post", extra={"expiry": expiry, "atm_vol": round(atm_vol(target, tenor), 6),
                                        "was": old_vol, "status": out.status, "detail": out.detail})

    return cycle


def epoch_request(vaults: list, spot_oracle) -> int | None:
    """The newest pending request (Unix s) the spot oracle has posted since, or None. The oracle
    keeper opens an epoch for requests (it batches dust: round 6, P4); the surfaces follow its
    post, so a request it has not posted for yet does not re-post every slice."""
    waiting = max((t for v in vaults if (t := v.newest_pending_request_time()) is not None), default=None)
    if waiting is None:
        return None
    try:
        _, spot_at = spot_oracle.latest_round()
    except ContractRevert:  # stale or no spot: no epoch can be marked
        return None
    return waiting if waiting < spot_at else None
