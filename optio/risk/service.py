"""The central risk service: one consolidated view of a market, refreshed from the chain, with a
line per market of the deployment and their sum (``markets``, ``consolidated``).

Each :meth:`RiskService.refresh` reads the new events (:class:`optio.sdk.book.BookReader`), the
oracles, both vaults and the margin accounts' health, probes every keeper's endpoint, reads the
guardian's decisions, and aggregates the book with :mod:`optio.risk.aggregate`. The result is one JSON
document (:attr:`RiskService.state`) for the dashboard and the API, a history of NAV and share
prices, and Prometheus gauges.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from prometheus_client import CollectorRegistry, Gauge

from optio.formats.guardian_decisions import read_decisions
from optio.formats.keeper_health import probe
from optio.pricing.black_scholes import SECONDS_PER_YEAR
from optio.pricing.chains import load_snapshot
from optio.pricing.market_surface import SmilePoints, smile_points
from optio.pricing.svi import SviParams
from optio.risk.aggregate import VAULTS, MarketView, aggregate
from optio.sdk.book import TRADE_KINDS, Activity, BookReader
from optio.sdk.market import Option
from optio.sdk.option_id import expiry_of
from optio.sdk.protocol import Protocol

SMILE_K = np.linspace(-0.6, 0.6, 25)  # log-moneyness ln(K/S) of the plotted smiles
HISTORY = 5000  # samples of NAV and share price kept
SHOWN = 50  # activity items and decisions in the state
AT_RISK = 10  # margin pools closest to liquidation


@dataclass
class ServiceConfig:
    """``keepers``: name → base URL of each keeper's metrics endpoint; ``decisions``: the
    guardian's decision log (JSON lines); ``snapshots``: a folder of venue chain snapshots (the
    market points on the smiles); ``confirmations``: blocks a log waits before it is applied."""

    keepers: dict[str, str] = field(default_factory=dict)
    decisions: Path | None = None
    snapshots: Path | None = None
    confirmations: int = 0
    keeper_stale_s: float = 30.0


class RiskService:
    def __init__(self, protocol: Protocol, config: ServiceConfig | None = None):
        self.protocol = protocol
        self.config = config or ServiceConfig()
        self.book = BookReader(protocol, confirmations=self.config.confirmations)
        self.history: deque[dict] = deque(maxlen=HISTORY)
        self.state: dict = {}
        self.lock = threading.Lock()
        self.last_spot: float | None = None
        market = protocol.market
        self.decimals = {True: market.base.decimals, False: market.quote_token.decimals}
        self.symbols = {True: market.base.symbol, False: market.quote_token.symbol}
        self.vaults = {v: protocol.vault(v) for v in VAULTS}
        #: Every market of the deployment (this one included), for the consolidated line.
        self.others = protocol.markets() or {protocol.market_name or "": protocol}
        self.metrics = _Gauges()
        self._venue: tuple[tuple | None, list[SmilePoints]] = (None, [])  # (file and mtime, its smiles)

    # --- one refresh ------------------------------------------------------------------------------

    def refresh(self) -> dict:
        """Read the chain, aggregate, and publish the new state (also returned)."""
        started = time.perf_counter()
        head = self.protocol.w3.eth.get_block("latest")
        now, block = int(head["timestamp"]), int(head["number"])
        self.book.sync(block)
        spot_feed = self.protocol.spot_oracle.feed()
        if spot_feed.value is not None:
            self.last_spot = float(spot_feed.value)
        expiries = [e for e in self.protocol.market.expiries() if e > now]
        surfaces = {e: self.protocol.vol_oracle.surface(e) for e in expiries}
        fresh = {e: f.value for e, f in surfaces.items() if f.fresh}
        report = None
        if self.last_spot is not None:
            report = aggregate(self.book.positions(), MarketView(now, self.last_spot, fresh))
        vaults = {v: self._vault(v) for v in VAULTS}
        venue = self._venue_smiles()
        markets = self._markets(vaults, spot_feed)
        state = {
            "chain": {"block": block, "timestamp": now, "chain_id": self.protocol.deployment.chain_id},
            "market": self.protocol.market_name,
            "markets": markets,
            "consolidated": _consolidated(markets),
            "refreshed_at": time.time(),
            "spot": {"price": self.last_spot, "updated_at": spot_feed.updated_at, "fresh": spot_feed.fresh,
                     "age_s": None if spot_feed.updated_at is None else now - spot_feed.updated_at},
            "paused": self.protocol.market.paused(),
            "vaults": vaults,
            "risk": None if report is None else report.as_json(),
            "surfaces": [self._smile(e, surfaces[e], now, venue) for e in expiries],
            "keepers": {name: probe(url, stale_after_s=self.config.keeper_stale_s)
                        for name, url in self.config.keepers.items()},
            "accounts_at_risk": self._at_risk(),
            "activity": [self._activity(a) for a in reversed(self.book.recent)][:SHOWN],
            "counts": dict(self.book.counts),
            "decisions": [] if self.config.decisions is None
            else read_decisions(self.config.decisions, SHOWN)[::-1],
        }
        self.history.append({"t": now, "block": block, "spot": self.last_spot,
                             **{f"{v}_nav": vaults[v]["nav"] for v in VAULTS},
                             **{f"{v}_share_price": vaults[v]["share_price"] for v in VAULTS}})
        state["refresh_ms"] = (time.perf_counter() - started) * 1000
        self.metrics.publish(state)
        with self.lock:
            self.state = state
        return state

    def snapshot(self) -> tuple[dict, list[dict]]:
        """The last state and the history, for the API (safe to call from other threads)."""
        with self.lock:
            return self.state, list(self.history)

    # --- parts --------------------------------------------------------------------------------------

    def _markets(self, vaults: dict[str, dict], spot_feed) -> list[dict]:
        """Every market of the deployment in a line: spot, pause, the vaults' NAV, and the NAV in
        quote units at its spot (None without a price). This service's market from what the
        refresh read already (``vaults``, ``spot_feed``)."""
        out = []
        for name, p in self.others.items():
            own = name == self.protocol.market_name
            feed = spot_feed if own else p.spot_oracle.feed()
            spot = None if feed.value is None else float(feed.value)
            navs = ({v: vaults[v]["nav"] for v in VAULTS} if own
                    else {v: float(p.vault(v).summary().total_assets) for v in VAULTS})
            out.append({"market": name, "spot": spot, "spot_fresh": feed.fresh, "paused": p.market.paused(),
                        "call_nav": navs["call"], "put_nav": navs["put"],
                        "nav_quote": None if spot is None else navs["call"] * spot + navs["put"]})
        return out

    def _vault(self, vault: str) -> dict:
        s = self.vaults[vault].summary()
        return {"asset": s.asset_symbol, "nav": float(s.total_assets), "shares": float(s.total_shares),
                "share_price": float(s.share_price), "locked": float(s.locked), "utilisation": float(s.utilisation),
                "free": float(s.free_liquidity), "paused": s.paused}

    def _smile(self, expiry: int, feed, now: int, venue: list[SmilePoints]) -> dict:
        years = (expiry - now) / SECONDS_PER_YEAR
        out = {"expiry": expiry, "fresh": feed.fresh, "updated_at": feed.updated_at,
               "age_s": None if feed.updated_at is None else now - feed.updated_at, "k": SMILE_K.tolist(),
               "vols": None, "atm_vol": None, "trades": self._traded_vols(expiry), "market": []}
        params: SviParams | None = feed.value
        if params is not None:
            out["vols"] = params.implied_vol(SMILE_K, years).tolist()
            out["atm_vol"] = float(params.implied_vol(0.0, years))
        out["market"], out["market_tenor_days"] = self._market_points(expiry, now, venue)
        return out

    def _traded_vols(self, expiry: int) -> list[dict]:
        """The vols the AMM traded at on this board (its own market points), at k = ln(K/S)."""
        points = []
        for a in self.book.recent:
            if a.event == "Traded" and expiry_of(a.args["id"]) == expiry:
                fields = a.in_units(self.decimals)
                points.append({"k": float(np.log(fields["strike"] / fields["spot"])), "vol": fields["vol"]})
        return points

    def _venue_smiles(self) -> list[SmilePoints]:
        """The smiles of the newest venue snapshot (none without ``snapshots``), inverted once
        per new file, not once per board and refresh."""
        folder = self.config.snapshots
        files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime) if folder and folder.is_dir() else []
        if not files:
            return []
        key = (files[-1], files[-1].stat().st_mtime)
        if key != self._venue[0]:
            try:
                self._venue = (key, smile_points(load_snapshot(files[-1]).quotes))
            except (OSError, ValueError):  # a file being written: the next refresh reads it
                return self._venue[1]
        return self._venue[1]

    @staticmethod
    def _market_points(expiry: int, now: int, smiles: list[SmilePoints]) -> tuple[list[dict], float | None]:
        """Mark vols at the venue expiry nearest this board in tenor (within a factor of two),
        and that expiry's tenor in days: venues list their own expiries, the board's smile is
        fitted across them."""
        if expiry <= now:
            return [], None
        tenor = expiry - now
        near = [m for m in smiles if m.expiry > now and 0.5 <= (m.expiry - now) / tenor <= 2.0]
        if not near:
            return [], None
        smile = min(near, key=lambda m: abs(np.log((m.expiry - now) / tenor)))
        points = [{"k": float(k), "vol": float(v)} for k, v in zip(smile.log_moneyness, smile.mark_vol, strict=True)
                  if np.isfinite(v)]
        return points, (smile.expiry - now) / 86400

    def _at_risk(self) -> list[dict]:
        """The margin pools with the least collateral per requirement (a ratio below 1 can be
        liquidated), worst first."""
        accounts = self.book.margin_accounts()
        margin = self.protocol.margin
        rows = []
        for i in range(0, len(accounts), 200):
            group = accounts[i : i + 200]
            for account, pools in zip(group, margin.health_of(group), strict=True):
                for is_call, pool in zip((True, False), pools, strict=True):
                    if pool.required:
                        # "side" is the dashboard's column name for the pool (calls or puts)
                        rows.append({"account": account, "side": "call" if is_call else "put",
                                     "token": pool.token, "collateral": float(pool.collateral),
                                     "required": float(pool.required), "ratio": float(pool.collateral / pool.required)})
        return sorted(rows, key=lambda r: r["ratio"])[:AT_RISK]

    def _activity(self, a: Activity) -> dict:
        f = a.in_units(self.decimals)
        out = {"event": a.event, "block": a.block, "timestamp": a.timestamp, "tx": a.tx_hash}
        if "id" in f:
            option = Option.from_id(f["id"])
            day = time.strftime("%d %b %H:%M", time.gmtime(option.expiry))
            out["option"] = f"{option.right} {option.strike.normalize():f} {day}"
            out["token"] = self.symbols[option.is_call]
        if a.event == "Traded":
            out.update(who=f["trader"], kind=TRADE_KINDS[f["kind"]], amount=f["amount"], premium=f["premium"],
                       vol=f["vol"])
        elif a.event == "Exercised":
            out.update(who=f["holder"], amount=f["amount"], payout=f["payout"])
        elif a.event == "Liquidated":
            out.update(who=f["account"], amount=f["amount"], bonus=f["bonus"], bad_debt=f["badDebt"])
        elif a.event == "BoardSettled":
            out.update(expiry=f["expiry"], price=f["price"])
        else:  # Paused, Unpaused
            out.update(who=f["account"])
        return out


def _consolidated(markets: list[dict]) -> dict:
    """The deployment's markets together: NAV in quote units (None while any market has no spot:
    a partial sum would read as a loss), and how many are paused or on a stale spot."""
    navs = [m["nav_quote"] for m in markets]
    return {"markets": len(markets), "nav_quote": None if None in navs else sum(navs),
            "paused": sum(m["paused"] for m in markets), "stale_spot": sum(not m["spot_fresh"] for m in markets)}


class _Gauges:
    """The service's Prometheus gauges, on their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()

        def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
            return Gauge(f"optio_risk_{name}", doc, list(labels), registry=self.registry)

        self.greek = gauge("vault_greek", "Vault Greeks (report units: options, USDC)", ("vault", "greek"))
        self.nav = gauge("vault_nav", "Vault total assets (asset units)", ("vault",))
        self.share_price = gauge("vault_share_price", "Assets per share", ("vault",))
        self.utilisation = gauge("vault_utilisation", "Locked over gross assets", ("vault",))
        self.oracle_age = gauge("oracle_age_seconds", "Chain time since the last spot post")
        self.surface_age = gauge("surface_age_seconds", "Chain time since each board's last surface", ("expiry",))
        self.keeper_healthy = gauge("keeper_healthy", "1 if the keeper answers healthy", ("keeper",))
        self.positions = gauge("positions", "Open positions (account, option)")
        self.min_health = gauge("min_health_ratio", "Lowest collateral/requirement of any margin pool")
        self.paused = gauge("market_paused", "1 while the market is paused")
        self.refresh = gauge("refresh_seconds", "Duration of the last refresh")
        self.market_nav = gauge("market_nav_quote", "Both vaults' NAV in quote units at spot, per market", ("market",))
        self.market_paused = gauge("market_paused_by_name", "1 while that market is paused", ("market",))

    def publish(self, state: dict) -> None:
        risk = state["risk"]
        if risk is not None:
            self.positions.set(risk["positions"])
            for vault, totals in risk["vaults"].items():
                for greek, value in totals.items():
                    self.greek.labels(vault, greek).set(value)
        for vault, v in state["vaults"].items():
            self.nav.labels(vault).set(v["nav"])
            self.share_price.labels(vault).set(v["share_price"])
            self.utilisation.labels(vault).set(v["utilisation"])
        if state["spot"]["age_s"] is not None:
            self.oracle_age.set(state["spot"]["age_s"])
        self.surface_age.clear()
        for s in state["surfaces"]:
            if s["age_s"] is not None:
                self.surface_age.labels(str(s["expiry"])).set(s["age_s"])
        for name, k in state["keepers"].items():
            self.keeper_healthy.labels(name).set(1.0 if k["healthy"] else 0.0)
        at_risk = state["accounts_at_risk"]
        self.min_health.set(at_risk[0]["ratio"] if at_risk else float("inf"))
        self.paused.set(1.0 if state["paused"] else 0.0)
        self.refresh.set(state["refresh_ms"] / 1000)
        for m in state["markets"]:
            if m["nav_quote"] is not None:
                self.market_nav.labels(m["market"]).set(m["nav_quote"])
            self.market_paused.labels(m["market"]).set(1.0 if m["paused"] else 0.0)
