"""Seeded agents: what each LP and trader wants to do at a step.

Every agent draws the same fixed number of uniforms at every step, whatever it then does, so
one seed gives the same wishes in both modes and a refused action never shifts anyone's later
draws. Buyers buy any listed option and later sell it back; sellers post margin and sell
out-of-the-money options to the vault, and later buy them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

import numpy as np

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
