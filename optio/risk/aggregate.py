"""The protocol's risk from its open positions: Greeks per vault, expiry and strike, a scenario
P&L grid, VaR and expected shortfall. Pure: positions and a market view in, a report out.

The vaults are the counterparty of every trader, so a vault's position in an option is minus
the sum of the traders' (tokens held are options it wrote; margin shorts, options it bought).
Calls sit in the call vault and puts in the put vault.

Units of the report: positions in options (1 = one option on one base unit, from the vault's
side: + long); value, scenario P&L, VaR and expected shortfall in the quote currency (USDC, also
for the call vault); delta in options of base; ``gamma_1pct`` the change of delta for a 1% spot
move; ``vega_pt`` per vol point (0.01 of vol); ``theta_day`` per calendar day. Priced as the
contracts price: Black-Scholes on spot with no rate, the SVI vol at ``k = ln(K/S)`` clamped to
[1%, 1000%].
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from optio.pricing.black_scholes import SECONDS_PER_YEAR, bsm_greeks
from optio.pricing.risk import Positions, monte_carlo_var, scenario_pnl
from optio.pricing.svi import SviParams
from optio.sdk.option_id import decode_ids, expiry_of
from optio.sdk.units import wads_to_floats

VOL_RANGE = (0.01, 10.0)  # the contracts' pricing domain
SPOT_SHOCKS = (-0.3, -0.2, -0.1, -0.05, 0.0, 0.05, 0.1, 0.2, 0.3)
VOL_SHOCKS = (-0.2, -0.1, 0.0, 0.1, 0.2, 0.4)
VAULTS = ("call", "put")


@dataclass(frozen=True)
class MarketView:
    """What prices the book: chain time (Unix s), spot (quote per base) and each live expiry's
    surface. An expiry without a fresh surface is left out of the Greeks (and named)."""

    now: int
    spot: float
    surfaces: dict[int, SviParams]


@dataclass
class RiskReport:
    """See the module docstring for units. ``buckets`` has one row per live option the vaults
    hold; ``vaults`` the totals of each vault (and ``all``); ``grid`` each vault's P&L for every
    (spot shock, vol shock)."""

    positions: int
    accounts: int
    buckets: list[dict]
    vaults: dict[str, dict]
    grid: dict
    var_method: str
    unpriced: list[int] = field(default_factory=list)  # live expiries with no fresh surface
    awaiting_settlement: int = 0  # open positions on expired options

    def as_json(self) -> dict:
        return {"positions": self.positions, "accounts": self.accounts, "buckets": self.buckets,
                "vaults": self.vaults, "grid": self.grid, "var_method": self.var_method,
                "unpriced_expiries": self.unpriced, "awaiting_settlement": self.awaiting_settlement}


def vault_positions(positions: list[tuple[str, int, int]]) -> tuple[dict[int, int], int]:
    """(the vaults' net wad position per option id, number of distinct accounts) from traders'
    (account, option id, signed wad amount): the margin shorts (options the vault bought) minus
    the tokens held (options it wrote), i.e. ``longOI − shortOI`` of ``optionState``."""
    net: dict[int, int] = defaultdict(int)
    for _, option_id, amount in positions:
        net[option_id] -= amount
    accounts = len({p[0] for p in positions})
    return {i: v for i, v in net.items() if v}, accounts


def vols_at(strike: np.ndarray, expiry: np.ndarray, market: MarketView) -> np.ndarray:
    """SVI vol of each option at ``k = ln(K/S)``, clamped to the contracts' domain."""
    vol = np.empty(len(strike))
    years = (expiry - market.now) / SECONDS_PER_YEAR
    for e in np.unique(expiry):
        rows = expiry == e
        vol[rows] = market.surfaces[int(e)].implied_vol(np.log(strike[rows] / market.spot), years[rows])
    return np.clip(vol, *VOL_RANGE)


def aggregate(positions: list[tuple[str, int, int]], market: MarketView, *, var_scenarios: int = 2000) -> RiskReport:
    """The report of ``positions`` (traders' account, option id, signed wad amount) at ``market``."""
    net, accounts = vault_positions(positions)
    live = {i: q for i, q in net.items() if expiry_of(i) > market.now}
    awaiting = sum(1 for p in positions if expiry_of(p[1]) <= market.now)
    unpriced = sorted({expiry_of(i) for i in live} - set(market.surfaces))
    ids = sorted(i for i in live if expiry_of(i) in market.surfaces)
    report = RiskReport(len(positions), accounts, [], {}, {"spot_shocks": list(SPOT_SHOCKS),
                                                          "vol_shocks": list(VOL_SHOCKS)}, "", unpriced, awaiting)
    empty = {"value": 0.0, "delta": 0.0, "gamma_1pct": 0.0, "vega_pt": 0.0, "theta_day": 0.0, "var": 0.0,
             "expected_shortfall": 0.0}
    if not ids:
        report.vaults = {v: dict(empty) for v in (*VAULTS, "all")}
        report.grid.update({v: np.zeros((len(SPOT_SHOCKS), len(VOL_SHOCKS))).tolist() for v in (*VAULTS, "all")})
        return report
    expiry, strike, is_call = decode_ids(ids)
    quantity = wads_to_floats([live[i] for i in ids])
    years = (expiry - market.now) / SECONDS_PER_YEAR
    vol = vols_at(strike, expiry, market)
    book = Positions.of(quantity, is_call, strike, years, vol)
    g = bsm_greeks(market.spot, strike, years, vol, is_call=is_call)
    per = {"value": quantity * g.price, "delta": quantity * g.delta,
           "gamma_1pct": quantity * g.gamma * market.spot / 100.0, "vega_pt": quantity * g.vega / 100.0,
           "theta_day": quantity * g.theta / 365.0}
    report.buckets = [
        {"vault": "call" if c else "put", "expiry": int(e), "strike": float(k), "position": float(q), "vol": float(v),
         **{name: float(values[n]) for name, values in per.items()}}
        for n, (e, k, c, q, v) in enumerate(zip(expiry, strike, is_call, quantity, vol, strict=True))
    ]
    masks = {"call": is_call, "put": ~is_call, "all": np.ones(len(ids), bool)}
    nearest = int(expiry.min())
    atm = float(np.clip(market.surfaces[nearest].implied_vol(0.0, (nearest - market.now) / SECONDS_PER_YEAR),
                        *VOL_RANGE))
    var = monte_carlo_var(market.spot, book, np.array([masks[v] for v in masks], float), atm_vol=atm,
                          scenarios=var_scenarios)
    report.var_method = var.method
    for j, (name, mask) in enumerate(masks.items()):
        report.vaults[name] = {k: float(v[mask].sum()) for k, v in per.items()}
        report.vaults[name].update(var=float(var.var[j]), expected_shortfall=float(var.expected_shortfall[j]))
        masked = Positions.of(np.where(mask, quantity, 0.0), is_call, strike, years, vol)
        report.grid[name] = scenario_pnl(market.spot, masked, SPOT_SHOCKS, VOL_SHOCKS).tolist()
    return report
