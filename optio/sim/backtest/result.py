"""What a backtest run records step by step (:class:`Result`) and each vault's cash ledger."""

from __future__ import annotations

import csv
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from optio.sim.backtest.driver import VAULTS, VaultName
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


@dataclass(frozen=True)
class TradeRecord:
    """One filled trade, as ``--trades-csv`` writes it. Amounts in the vault's asset (WETH for
    calls, USDC for puts); ``edge`` is what the vault earned over the mid."""

    time: int | None  # Unix seconds of the step
    trader: int  # actor number
    kind: str  # buy, sell, close_long, close_short
    vault: VaultName
    expiry: int
    strike: float  # USDC
    right: str  # call or put
    amount: float  # options
    premium: float
    mid_value: float
    edge: float

    FIELDS: ClassVar[tuple[str, ...]] = ("time", "trader", "kind", "vault", "expiry", "strike", "right", "amount",
                                         "premium", "mid_value", "edge")

    def row(self) -> list:
        return [getattr(self, f) for f in self.FIELDS]


@dataclass
class Result:
    scenario: Scenario
    mode: str
    times: list[int] = field(default_factory=list)
    spots: list[float] = field(default_factory=list)
    atm_vols: list[float] = field(default_factory=list)
    nav: dict[VaultName, list[float]] = field(default_factory=lambda: {s: [] for s in VAULTS})
    share_price: dict[VaultName, list[float]] = field(default_factory=lambda: {s: [] for s in VAULTS})
    utilisation: dict[VaultName, list[float]] = field(default_factory=lambda: {s: [] for s in VAULTS})
    surfaces: list[tuple[int, int, float]] = field(default_factory=list)  # (t, expiry, ATM vol posted)
    ledger: dict[VaultName, Ledger] = field(default_factory=lambda: {s: Ledger() for s in VAULTS})
    counts: Counter = field(default_factory=Counter)
    rejected: Counter = field(default_factory=Counter)
    bad_debt: dict[VaultName, float] = field(default_factory=lambda: {s: 0.0 for s in VAULTS})
    elapsed_s: float = 0.0
    transactions: int = 0  # sent to the chain (chain mode)
    trades: list[TradeRecord] = field(default_factory=list)

    def lp_pnl(self, vault: VaultName) -> float:
        lg = self.ledger[vault]
        return self.nav[vault][-1] - lg.deposits + lg.withdrawals

    def pnl_breakdown(self, vault: VaultName) -> dict[str, float]:
        lg = self.ledger[vault]
        total = self.lp_pnl(vault)
        return {"premiums": lg.premiums, "fees": lg.fees, "liquidations": lg.liquidations,
                "option_pnl": total - lg.premiums - lg.fees - lg.liquidations, "total": total}

    def max_drawdown(self, vault: VaultName) -> float:
        """The largest fall of the share price from a previous high, as a fraction of that high
        (0.12 = the LPs' shares were at some point worth 12% less than at an earlier step)."""
        peak, worst = -math.inf, 0.0
        for price in self.share_price[vault]:
            peak = max(peak, price)
            if peak > 0:
                worst = max(worst, (peak - price) / peak)
        return worst

    def annualised_yield(self, vault: VaultName) -> float:
        """The share price's growth over the run, compounded to a 365-day year (0.08 = 8% a year):
        what an LP who stayed from the first step to the last earned, in the vault's asset."""
        prices, times = self.share_price[vault], self.times
        if len(prices) < 2 or prices[0] <= 0 or times[-1] <= times[0]:
            return 0.0
        years = (times[-1] - times[0]) / (365 * 86400)
        return (prices[-1] / prices[0]) ** (1 / years) - 1

    def write_trades_csv(self, path: Path) -> int:
        """Every filled trade as a CSV row (header: :attr:`TradeRecord.FIELDS`); returns the count."""
        with open(path, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(TradeRecord.FIELDS)
            out.writerows(t.row() for t in self.trades)
        return len(self.trades)

    def summary(self) -> dict:
        """The figures (JSON-ready)."""
        return {
            "mode": self.mode, "seed": self.scenario.seed, "days": self.scenario.days, "steps": len(self.times) - 1,
            "elapsed_s": round(self.elapsed_s, 3), "transactions": self.transactions,
            "counts": dict(self.counts), "rejected": dict(self.rejected),
            "vaults": {vault: {"nav": self.nav[vault][-1], "share_price": self.share_price[vault][-1],
                              "max_utilisation": max(self.utilisation[vault]), "pnl": self.pnl_breakdown(vault),
                              "max_drawdown": self.max_drawdown(vault),
                              "annualised_yield": self.annualised_yield(vault),
                              "bad_debt": self.bad_debt[vault], **self.ledger[vault].as_dict()} for vault in VAULTS},
        }
