"""The backtest loop: one market path and one set of agents through a protocol driver.

At each step, in this order (as a keeper and users would on a chain): time moves to the step;
the keeper posts spot (the post at an expiry is its settlement price), settles expired boards
(holders paid, margin shorts settled), lists the board that is due, posts each board's vol
surface when it would otherwise go stale, and liquidates unhealthy margin accounts; then LPs and
traders act; then the step is recorded.

Each vault's LP P&L is split into: ``premiums`` (the mid of every trade, + when the vault sold),
``fees`` (what the AMM charged over the mid: spread, skew and fees), ``liquidations`` (what
liquidations paid the vault beyond the mid of the options closed, less bad debt) and
``option_pnl`` (the rest: the book marked to market and settled).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

from optio.pricing.black_scholes import SECONDS_PER_YEAR
from optio.pricing.smile_model import skewed_slice
from optio.sim.backtest.agents import Roster, board_strikes
from optio.sim.backtest.driver import VAULTS, ProtocolDriver, Rejected, vault_of
from optio.sim.backtest.market_path import build_path
from optio.sim.backtest.result import Result
from optio.sim.backtest.scenario import DAY, HOUR, Scenario
from optio.sim.backtest.users import Users

VOL_MAX_AGE_S = 3 * HOUR  # the deployed VolOracle's staleness bound
VOL_TAU_FRACTION = 0.5  # ... and its tenor-tied one: stale after this fraction of the tenor at the post
FIRST_FRIDAY_OFFSET = 8 * HOUR  # boards expire Fridays 08:00 UTC


def expiries(s: Scenario) -> list[int]:
    """Every board's expiry: Fridays 08:00 UTC every ``board_every_days``, on the step grid."""
    friday = s.start - (s.start - 1 * DAY) % (7 * DAY) + FIRST_FRIDAY_OFFSET  # 1970-01-02 was a Friday
    while friday <= s.start + s.trading_cutoff_s:
        friday += 7 * DAY
    end = s.start + s.steps * s.step_s + s.tenor_days * DAY
    out, e = [], friday
    while e <= end:
        out.append(s.start + -(-(e - s.start) // s.step_s) * s.step_s)  # the first step at or after it
        e += s.board_every_days * DAY
    return out


class Engine:
    """Runs a scenario through ``driver``; ``progress(step, steps)`` is called after each step."""

    def __init__(self, scenario: Scenario, driver: ProtocolDriver, mode: str,
                 progress: Callable[[int, int], None] | None = None):
        self.s, self.d, self.progress = scenario, driver, progress
        self.roster = Roster.of(scenario)
        self.path = build_path(scenario)
        self.result = Result(scenario, mode)
        self.pending = expiries(scenario)  # not yet listed
        self.boards: dict[int, list[Decimal]] = {}  # listed, not settled
        self.vol_posted: dict[int, int] = {}
        self.users = Users(scenario, driver, self.roster, self.result)

    def run(self) -> Result:
        started = time.perf_counter()
        for step in range(len(self.path.times)):
            self._keeper(step)
            t, spot = int(self.path.times[step]), float(self.path.spots[step])
            if step == 0:
                self.users.open_accounts()
            else:
                tradable = [(e, k) for e, k in sorted(self.boards.items()) if e - self.s.trading_cutoff_s - 60 > t]
                self.users.act(step, spot, tradable, t=t, atm_vol=float(self.path.atm_vols[step]))
            self._record(step)
            if self.progress:
                self.progress(step, len(self.path.times) - 1)
        self.result.elapsed_s = time.perf_counter() - started
        self.result.transactions = getattr(self.d, "sent", 0)
        return self.result

    # --- the keeper -------------------------------------------------------------------------------

    def _keeper(self, step: int) -> None:
        t, spot = int(self.path.times[step]), float(self.path.spots[step])
        self.d.set_time(t)
        self.d.post_spot(spot)
        for expiry in [e for e in self.boards if e <= t]:
            self._settle(expiry)
        while self.pending and self.pending[0] - self.s.tenor_days * DAY <= t:
            expiry = self.pending.pop(0)
            if expiry > t + self.s.trading_cutoff_s:
                strikes = board_strikes(self.s, spot)
                self.d.list_board(expiry, strikes)
                self.boards[expiry] = strikes
                self.result.counts["boards"] += 1
        for expiry in self.boards:
            posted = self.vol_posted.get(expiry, -VOL_MAX_AGE_S)
            if t + self.s.step_s - posted >= min(VOL_MAX_AGE_S, VOL_TAU_FRACTION * (expiry - posted)) - 60:
                atm = float(self.path.atm_vols[step])
                self.d.post_surface(expiry, skewed_slice(atm, (expiry - t) / SECONDS_PER_YEAR))
                self.vol_posted[expiry] = t
                self.result.surfaces.append((t, expiry, atm))
                self.result.counts["surface_posts"] += 1
        self._liquidate()

    def _settle(self, expiry: int) -> None:
        done = self.d.settle(expiry, self.roster.buyers, self.roster.sellers)
        for vault in VAULTS:
            self.result.bad_debt[vault] += done.bad_debt[vault]
        self.users.forget(expiry)
        del self.boards[expiry]
        self.result.counts["settlements"] += 1

    def _liquidate(self) -> None:
        for _ in range(4 * max(len(self.roster.sellers), 1)):  # each pass liquidates one position per account
            targets = self.d.liquidatable(self.roster.sellers)
            if not targets:
                return
            seen: set[int] = set()
            for who, option, amount in targets:
                if who in seen or amount <= 0:
                    continue
                seen.add(who)
                try:
                    done = self.d.liquidate(who, option, amount)
                except Rejected as err:
                    self.result.rejected[f"liquidate:{err.reason}"] += 1
                    continue
                vault = vault_of(option)
                self.result.ledger[vault].liquidations += done.to_vault - done.mid_value
                self.result.bad_debt[vault] += done.bad_debt
                self.result.counts["liquidations"] += 1
                self.users.adjust(self.users.shorts[who], option, -amount)

    def _record(self, step: int) -> None:
        r = self.result
        r.times.append(int(self.path.times[step]))
        r.spots.append(float(self.path.spots[step]))
        r.atm_vols.append(float(self.path.atm_vols[step]))
        for vault, view in self.d.vaults().items():
            r.nav[vault].append(view.nav)
            r.share_price[vault].append(view.share_price)
            r.utilisation[vault].append(view.utilisation)

