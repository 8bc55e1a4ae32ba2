"""Seeded agents: what each LP and trader wants to do at a step.

Every agent draws the same fixed number of uniforms at every step, whatever it then does, so
one seed gives the same wishes in both modes and a refused action never shifts anyone's later
draws. Buyers buy any listed option and later sell it back; sellers post margin and sell
out-of-the-money options to the vault, and later buy them back.

Demand responds to price: before opening a position a trader prices the option at the mid of
the current smile (the path's ATM vol, the smile the keeper posts) and looks at the AMM's edge
over it under the deployed fee schedule (spread, base and move fees; before the inventory skew
and the utilisation fee, which the trader does not see): it trades only if that edge, in vol
terms (:func:`relative_edge`), is within its tolerance for this wish (:func:`tolerances`). Closing trades
always go. The tolerances come from a generator of their own, so the other draws are unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

import numpy as np

from optio.pricing.black_scholes import SECONDS_PER_YEAR
from optio.pricing.quotes import quote
from optio.pricing.smile_model import skewed_slice
from optio.sdk.market import Option, TradeKind
from optio.sim.backtest.driver import VAULTS, VaultName, option_key
from optio.sim.backtest.scenario import Scenario

DRAWS = 6  # uniforms per agent per step


@dataclass(frozen=True)
class Wish:
    who: int
    kind: TradeKind
    option: Option
    amount: Decimal


@dataclass(frozen=True)
class Roster:
    """Actor numbers: 0 the keeper, then LPs, then traders (the first ``sellers`` of them sell)."""

    lps: list[int]
    buyers: list[int]
    sellers: list[int]

    @classmethod
    def of(cls, s: Scenario) -> Roster:
        traders = list(range(1 + s.lps, 1 + s.lps + s.traders))
        return cls(list(range(1, 1 + s.lps)), traders[s.sellers:], traders[:s.sellers])

    @property
    def traders(self) -> list[int]:
        return self.sellers + self.buyers

    @property
    def size(self) -> int:
        return 1 + len(self.lps) + len(self.traders)


def draws(s: Scenario, step: int, n_agents: int) -> np.ndarray:
    """``(n_agents, DRAWS)`` uniforms for ``step``."""
    return np.random.default_rng([s.seed, 7, step]).random((n_agents, DRAWS))


def tolerances(s: Scenario, step: int, n_traders: int) -> np.ndarray:
    """Each trader's accepted edge (in vol terms, :func:`relative_edge`) at ``step``: exponential with mean
    ``s.edge_tolerance``; infinite when traders ignore the price."""
    if s.edge_tolerance is None:
        return np.full(n_traders, np.inf)
    return np.random.default_rng([s.seed, 11, step]).exponential(s.edge_tolerance, n_traders)


def relative_edge(s: Scenario, option: Option, kind: TradeKind, spot: float, t: int, atm_vol: float) -> float:
    """The AMM's edge over the mid a trader expects for one option, in vol terms: the edge over
    vega × vol, i.e. the fraction of the option's vol the trader gives up (0.05 = buying at a vol
    5% above the mid's, for the spread alone that is ``half_spread``). The deployed fees on the
    smile of ATM vol ``atm_vol``; no inventory, no utilisation. Vol terms, not a fraction of the
    premium: a cheap out-of-the-money option is not shunned for its small premium."""
    tenor = (option.expiry - t) / SECONDS_PER_YEAR
    if tenor <= 0:
        return math.inf
    q = quote(spot, float(option.strike), tenor, skewed_slice(atm_vol, tenor), is_call=option.is_call,
              params=s.quote_params)
    mid, vol_move = float(q.mid), float(q.vega) * float(q.vol)
    edge = float(q.ask) - mid if kind.trader_pays else mid - float(q.bid)
    return edge / vol_move if vol_move > 0 else math.inf


def lp_moves(s: Scenario, roster: Roster, u: np.ndarray) -> list[tuple[int, VaultName, bool]]:
    """LPs who move money this step: ``(who, vault, deposits)``; a deposit adds a tenth of the
    LP's first deposit, a withdrawal takes a tenth of what may leave now."""
    return [(who, VAULTS[int(row[1] * 2)], row[2] < 0.5) for who, row in zip(roster.lps, u, strict=True)
            if row[0] < s.lp_move_prob]


def trader_wishes(s: Scenario, roster: Roster, u: np.ndarray, tradable: list[tuple[int, list[Decimal]]],
                  spot: float, longs: dict[int, dict[Option, Decimal]],
                  shorts: dict[int, dict[Option, Decimal]]) -> list[Wish]:
    """This step's trades. ``tradable``: boards still open, each with its strikes; ``longs`` and
    ``shorts``: each trader's positions as the engine recorded them."""
    wishes = []
    for who, row in zip(roster.traders, u, strict=True):
        if row[0] >= s.trade_prob or not tradable:
            continue
        selling = who in roster.sellers
        held = sorted((shorts if selling else longs).get(who, {}).items(), key=lambda kv: option_key(kv[0]))
        if held and row[1] < s.close_prob:
            option, amount = held[int(row[2] * len(held))]
            kind = TradeKind.CLOSE_SHORT if selling else TradeKind.CLOSE_LONG
            amount = amount.quantize(Decimal("0.001"), rounding=ROUND_DOWN)
            if amount > 0:
                wishes.append(Wish(who, kind, option, amount))
            continue
        expiry, strikes = tradable[int(row[2] * len(tradable))]
        is_call = row[3] < 0.5
        if selling:  # out of the money only
            strikes = [k for k in strikes if (float(k) > spot if is_call else float(k) < spot)]
            if not strikes:
                continue
        strike = strikes[int(row[4] * len(strikes))]
        amount = Decimal(repr(round(s.max_amount * (0.1 + 0.9 * row[5]), 1))).max(Decimal("0.1"))
        wishes.append(Wish(who, TradeKind.SELL if selling else TradeKind.BUY, Option(expiry, strike, is_call), amount))
    return wishes


def board_strikes(s: Scenario, spot: float) -> list[Decimal]:
    """The strikes listed for a new board: spot × each moneyness, to the strike step."""
    step = s.strike_step
    return sorted({Decimal(repr(max(round(spot * m / step) * step, step))) for m in s.moneyness})
