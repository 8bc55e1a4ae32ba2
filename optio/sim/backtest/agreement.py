"""Do the two modes agree? The model's figures against the chain's on the same scenario.

The model computes in floats what the contracts compute in 18-decimal integers rounded in the
protocol's favour, so the figures differ by rounding (about 1e-9 of a vault's NAV over a few
days); a wrong rule in either shows as a different count of trades or refusals, or as a gap
many orders of magnitude larger.
"""

from __future__ import annotations

from dataclasses import dataclass

from optio.sim.backtest.driver import ASSET, VAULTS
from optio.sim.backtest.result import Result

REL_TOL = 1e-6


@dataclass(frozen=True)
class Gap:
    """One figure in both modes. ``unit`` is the figure's own (``count``, ``WETH``, ``USDC``,
    ``WETH per share``…): the absolute gap is in it; the relative gap is a plain fraction."""

    figure: str
    model: float
    chain: float
    scale: float | None = None  # what the gap is measured against (default: the larger value)
    unit: str = ""

    @property
    def absolute(self) -> float:
        """|model − chain|, in :attr:`unit`."""
        return abs(self.model - self.chain)

    @property
    def relative(self) -> float:
        """|model − chain| over :attr:`scale` (default the larger of the two, in absolute value)."""
        scale = self.scale or max(abs(self.model), abs(self.chain), 1e-12)
        return abs(self.model - self.chain) / scale

    @property
    def measured_against(self) -> str:
        return "the vault's deposits" if self.scale else "the larger value"


def compare(model: Result, chain: Result) -> list[Gap]:
    """Every compared figure, worst first: counts (exact), each vault's NAV, share price, LP P&L
    parts and utilisation at every step (the largest gap of each series)."""
    gaps = [Gap(f"count {k}", float(model.counts.get(k, 0)), float(chain.counts.get(k, 0)), unit="count")
            for k in sorted(set(model.counts) | set(chain.counts))]
    gaps += [Gap(f"refused {k}", float(model.rejected.get(k, 0)), float(chain.rejected.get(k, 0)), unit="count")
             for k in sorted(set(model.rejected) | set(chain.rejected))]
    for vault in VAULTS:
        asset = ASSET[vault]
        for name, series, unit in (("NAV", "nav", asset), ("share price", "share_price", f"{asset} per share")):
            pairs = zip(getattr(model, series)[vault], getattr(chain, series)[vault], strict=True)
            gaps.append(max((Gap(f"{vault} {name}", m, c, unit=unit) for m, c in pairs), key=lambda g: g.relative))
        for part, value in model.pnl_breakdown(vault).items():
            # P&L parts are small differences of large numbers: measure their gaps against the deposits.
            scale = max(model.ledger[vault].deposits, 1.0)
            gaps.append(Gap(f"{vault} {part}", value, chain.pnl_breakdown(vault)[part], scale, unit=asset))
    return sorted(gaps, key=lambda g: g.relative, reverse=True)


def agrees(gaps: list[Gap], rel_tol: float = REL_TOL) -> bool:
    return all(g.relative <= rel_tol for g in gaps)
