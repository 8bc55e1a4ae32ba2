"""What a backtest run records step by step (:class:`Result`) and each vault's cash ledger."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

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

    def lp_pnl(self, vault: VaultName) -> float:
        lg = self.ledger[vault]
        return self.nav[vault][-1] - lg.deposits + lg.withdrawals

    def pnl_breakdown(self, vault: VaultName) -> dict[str, float]:
        lg = self.ledger[vault]
        total = self.lp_pnl(vault)
        return {"premiums": lg.premiums, "fees": lg.fees, "liquidations": lg.liquidations,
                "option_pnl": total - lg.premiums - lg.fees - lg.liquidations, "total": total}

    def summary(self) -> dict:
        """The figures (JSON-ready)."""
        return {
            "mode": self.mode, "seed": self.scenario.seed, "days": self.scenario.days, "steps": len(self.times) - 1,
            "elapsed_s": round(self.elapsed_s, 3), "transactions": self.transactions,
            "counts": dict(self.counts), "rejected": dict(self.rejected),
            "vaults": {vault: {"nav": self.nav[vault][-1], "share_price": self.share_price[vault][-1],
                              "max_utilisation": max(self.utilisation[vault]), "pnl": self.pnl_breakdown(vault),
                              "bad_debt": self.bad_debt[vault], **self.ledger[vault].as_dict()} for vault in VAULTS},
        }
