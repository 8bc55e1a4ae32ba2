"""What a backtest run records step by step (:class:`Result`) and each vault's cash ledger."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from optio.sim.backtest.protocol import SIDES, Side
from optio.sim.backtest.scenario import Scenario


@dataclass
class Ledger:
    """One vault's flows, in its asset (WETH or USDC)."""

    deposits: float = 0.0
    withdrawals: float = 0.0
    premiums: float = 0.0
    fees: float = 0.0
    liquidations: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


@dataclass
class Result:
    scenario: Scenario
    mode: str
    times: list[int] = field(default_factory=list)
    spots: list[float] = field(default_factory=list)
    atm_vols: list[float] = field(default_factory=list)
    nav: dict[Side, list[float]] = field(default_factory=lambda: {s: [] for s in SIDES})
    share_price: dict[Side, list[float]] = field(default_factory=lambda: {s: [] for s in SIDES})
    utilisation: dict[Side, list[float]] = field(default_factory=lambda: {s: [] for s in SIDES})
    surfaces: list[tuple[int, int, float]] = field(default_factory=list)  # (t, expiry, ATM vol posted)
    ledger: dict[Side, Ledger] = field(default_factory=lambda: {s: Ledger() for s in SIDES})
    counts: Counter = field(default_factory=Counter)
    rejected: Counter = field(default_factory=Counter)
    bad_debt: dict[Side, float] = field(default_factory=lambda: {s: 0.0 for s in SIDES})
    elapsed_s: float = 0.0
    transactions: int = 0  # sent to the chain (chain mode)

    def lp_pnl(self, side: Side) -> float:
        lg = self.ledger[side]
        return self.nav[side][-1] - lg.deposits + lg.withdrawals

    def pnl_breakdown(self, side: Side) -> dict[str, float]:
        lg = self.ledger[side]
        total = self.lp_pnl(side)
        return {"premiums": lg.premiums, "fees": lg.fees, "liquidations": lg.liquidations,
                "option_pnl": total - lg.premiums - lg.fees - lg.liquidations, "total": total}

    def summary(self) -> dict:
        """The figures (JSON-ready)."""
        return {
            "mode": self.mode, "seed": self.scenario.seed, "days": self.scenario.days, "steps": len(self.times) - 1,
            "elapsed_s": round(self.elapsed_s, 3), "transactions": self.transactions,
            "counts": dict(self.counts), "rejected": dict(self.rejected),
            "vaults": {side: {"nav": self.nav[side][-1], "share_price": self.share_price[side][-1],
                              "max_utilisation": max(self.utilisation[side]), "pnl": self.pnl_breakdown(side),
                              "bad_debt": self.bad_debt[side], **self.ledger[side].as_dict()} for side in SIDES},
        }
