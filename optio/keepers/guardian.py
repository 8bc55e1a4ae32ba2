"""Guardian keeper: pauses new risk (the market's Buy and Sell) when a limit is breached, and
lifts the pause once every measure is back inside its limit by the hysteresis margin.

Each cycle measures, from the chain at the head:
- ``oracle_age_s``: chain seconds since the last spot post (a never-posted price counts as
  infinitely old);
- ``surface_age_s``: the oldest surface among boards still open for trading;
- ``<vault>_delta``, ``<vault>_vega``: |net delta| (options of base) and |net vega| (quote per
  1.00 of vol) of each vault's book, from ``OptionBook.portfolio`` (a full pass now, not the stored totals);
- ``<vault>_utilisation``: locked over gross assets (a fraction);
- ``vol_jump``: the largest relative move of a board's ATM vol within ``vol_jump_window_s``.

A limit left unset is not checked. The pause stops only Buy and Sell: closing, settlement,
exercise, liquidation and every LP path stay open (``OptionMarket``); the guardian never
touches the vaults. A pause someone else made is left alone. Every decision goes to the log and,
as one JSON line with the numbers behind it, to the decision file the risk service shows.
"""

from __future__ import annotations

import json
import logging
import math
from collections import deque
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from optio.formats.guardian_decisions import append_decision, decisions_file
from optio.keepers.runtime.config import ConfigPath
from optio.keepers.runtime.daemon import Context, Head
from optio.keepers.runtime.txs import Outcome

log = logging.getLogger("optio.keepers.guardian")
VAULTS = ("call", "put")


class Settings(BaseModel):
    """The ``[guardian]`` table. Ages and windows in chain seconds."""

    model_config = ConfigDict(extra="forbid")
    max_oracle_age_s: float | None = Field(default=600, gt=0)
    max_surface_age_s: float | None = Field(default=3600, gt=0)
    max_delta: float | None = Field(default=None, gt=0)  # per vault, options of base
    max_vega: float | None = Field(default=None, gt=0)  # per vault, quote per 1.00 of vol
    max_utilisation: float | None = Field(default=0.95, gt=0, le=1)
    max_vol_jump: float | None = Field(default=0.3, gt=0)  # relative: 0.3 = ATM vol moved 30%
    vol_jump_window_s: float = Field(default=3600, gt=0)
    hysteresis: float = Field(default=0.2, ge=0, lt=1)  # resume when every measure ≤ limit × (1 − this)
    resume_after_s: float = Field(default=0, ge=0)  # chain seconds in bounds before the pause is lifted
    decisions: ConfigPath | None = None  # default: <state_dir>/guardian-decisions.jsonl


def limits_of(s: Settings) -> dict[str, float]:
    """Each measure's limit (unset limits left out)."""
    per_vault = {f"{v}_{m}": limit for v in VAULTS
                 for m, limit in (("delta", s.max_delta), ("vega", s.max_vega), ("utilisation", s.max_utilisation))}
    out = {"oracle_age_s": s.max_oracle_age_s, "surface_age_s": s.max_surface_age_s, "vol_jump": s.max_vol_jump,
           **per_vault}
    return {k: v for k, v in out.items() if v is not None}


def breaches(measured: dict[str, float], limits: dict[str, float], *, margin: float = 0.0) -> list[str]:
    """``name value > limit`` for each measure above ``limit × (1 − margin)``."""
    return [f"{name} {measured[name]:.6g} > {limit * (1 - margin):.6g}" for name, limit in limits.items()
            if measured.get(name, 0.0) > limit * (1 - margin)]


class _State:
    """Whether this guardian made the current pause (kept across restarts) and since when
    (chain time) the measures are back in bounds."""

    def __init__(self, path: Path):
        self.path = path
        data = json.loads(path.read_text()) if path.exists() else {}
        self.paused_by_me: bool = data.get("paused_by_me", False)
        self.calm_since: float | None = None
        self.last_action: str | None = None

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"paused_by_me": self.paused_by_me}))


def make(ctx: Context):
    s: Settings = ctx.settings  # type: ignore[assignment]
    market, spot_oracle, vol_oracle = ctx.protocol.market, ctx.protocol.spot_oracle, ctx.protocol.vol_oracle
    vaults = {v: ctx.protocol.vault(v) for v in VAULTS}
    limits = limits_of(s)
    state = _State(ctx.state_dir / f"{ctx.name}-state.json")
    decisions = s.decisions or decisions_file(ctx.state_dir, ctx.name)
    atm_history: dict[int, deque[tuple[int, float]]] = {}
    paused_gauge = ctx.metrics.gauge("guardian_paused", "1 while the market is paused")
    measure_gauge = ctx.metrics.gauge("guardian_measure", "The guardian's measures", ("measure",))
    decision_count = ctx.metrics.counter("guardian_decisions", "Decisions by action", ("action",))

    def measure(head: Head) -> dict[str, float]:
        feed = spot_oracle.feed()
        out = {"oracle_age_s": math.inf if feed.updated_at is None else head.timestamp - feed.updated_at}
        cutoff = market.risk_limits().trading_cutoff_s
        ages, jumps = [0.0], [0.0]
        for expiry in market.expiries():
            if expiry - cutoff <= head.timestamp:
                atm_history.pop(expiry, None)
                continue
            surface = vol_oracle.surface(expiry)
            if surface.updated_at is None:  # never posted: the market cannot quote it, no risk taken
                continue
            ages.append(head.timestamp - surface.updated_at)
            if surface.value is not None and surface.updated_at < expiry:
                # The vol as posted: the oracle holds it between posts (it serves the total
                # variance of the posted vols at the time of the read), and `atmVol` returns it
                # exactly, whatever the block of the read.
                atm = float(vol_oracle.atm_vol(expiry))
                history = atm_history.setdefault(expiry, deque())
                if not history or history[-1] != (surface.updated_at, atm):
                    history.append((surface.updated_at, atm))
                while history and history[0][0] < head.timestamp - s.vol_jump_window_s:
                    history.popleft()
                jumps.append(max((abs(atm / old - 1.0) for _, old in history if old > 0), default=0.0))
        out["surface_age_s"], out["vol_jump"] = max(ages), max(jumps)
        for v, vault in vaults.items():
            book = market.portfolio(v == "call")
            out[f"{v}_delta"], out[f"{v}_vega"] = float(abs(book.net_delta)), float(abs(book.net_vega))
            out[f"{v}_utilisation"] = float(vault.utilisation())
        return out

    def decide(head: Head, action: str, reason: str, measured: dict[str, float], sent: Outcome | None = None) -> None:
        record = {"chain_time": head.timestamp, "block": head.number, "action": action, "reason": reason,
                  "measured": {k: (v if math.isfinite(v) else None) for k, v in measured.items()},
                  "limits": limits, "tx": sent.status if sent else "", "tx_hash": sent.tx_hash if sent else None}
        decision_count.labels(action).inc()
        state.last_action = action
        log.warning("guardian %s: %s", action, reason, extra={k: v for k, v in record.items() if k != "reason"})
        append_decision(decisions, record)

    def cycle(head: Head) -> None:
        measured = measure(head)
        for name, value in measured.items():
            measure_gauge.labels(name).set(value if math.isfinite(value) else 1e30)
        paused = market.paused()
        paused_gauge.set(1.0 if paused else 0.0)
        over = breaches(measured, limits)
        if ctx.txs.has("pause") or ctx.txs.has("unpause"):
            return  # a decision is on its way to the chain: judge again once it is mined
        if not paused:
            state.calm_since = None
            if state.paused_by_me:  # someone lifted our pause: theirs to own now
                state.paused_by_me = False
                state.save()
            if over:
                out = ctx.send("pause", market, "pause")
                if out.status in ("mined", "pending", "dry-run"):
                    state.paused_by_me = True
                    state.save()
                    paused_gauge.set(1.0)
                    decide(head, "pause", "; ".join(over), measured, out)
                elif state.last_action != "pause refused":  # e.g. no GUARDIAN_ROLE: said once, tried every cycle
                    decide(head, "pause refused", f"{out.detail} (breached: {'; '.join(over)})", measured, out)
            return
        if not state.paused_by_me:
            if state.last_action != "left alone":
                decide(head, "left alone", "paused by another account: the guardian lifts only its own pauses",
                       measured)
            return
        wide = breaches(measured, limits, margin=s.hysteresis)
        if wide:
            state.calm_since = None
            if not over and state.last_action != "hold":
                decide(head, "hold", "within the limits but not yet by the hysteresis margin: " + "; ".join(wide),
                       measured)
            return
        state.calm_since = state.calm_since if state.calm_since is not None else head.timestamp
        if head.timestamp - state.calm_since < s.resume_after_s:
            return
        out = ctx.send("unpause", market, "unpause")
        if out.status in ("mined", "pending", "dry-run"):
            state.paused_by_me = False
            state.save()
            paused_gauge.set(0.0)
        decide(head, "resume", f"every measure within its limit × {1 - s.hysteresis:g} "
                               f"for {head.timestamp - state.calm_since:.0f} s", measured, out)

    return cycle
