"""The LPs and traders of a run: they act on their seeded wishes (:mod:`optio.sim.backtest.agents`) through a
protocol driver, and keep the books the engine's P&L needs: each trader's positions as they
traded them, and each vault's flows (deposits, withdrawals, premiums at mid, the AMM's edge).

Used by the backtest engine (which also plays the keeper) and by the running system (whose
keepers are their own processes).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING

from optio.sdk.market import Option, TradeKind
from optio.sim.backtest.agents import Roster, draws, lp_moves, relative_edge, tolerances, trader_wishes
from optio.sim.backtest.driver import Fill, ProtocolDriver, Rejected, VaultName, vault_of
from optio.sim.backtest.result import TradeRecord
from optio.sim.backtest.scenario import Scenario

if TYPE_CHECKING:
    from optio.sim.backtest.result import Result


class Users:
    def __init__(self, scenario: Scenario, driver: ProtocolDriver, roster: Roster, result: Result):
        self.s, self.d, self.roster, self.result = scenario, driver, roster, result
        self.t: int | None = None  # the step's time, for the trade records
        self.longs: dict[int, dict[Option, Decimal]] = defaultdict(dict)
        self.shorts: dict[int, dict[Option, Decimal]] = defaultdict(dict)

    def forget(self, expiry: int) -> None:
        """Drop positions of a settled board."""
        for book in (*self.longs.values(), *self.shorts.values()):
            for option in [o for o in book if o.expiry <= expiry]:
                del book[option]

    @staticmethod
    def adjust(book: dict[Option, Decimal], option: Option, change: Decimal) -> None:
        """Add ``change`` (negative to reduce) to a position; a position at zero leaves the book."""
        held = book.get(option, Decimal(0)) + change
        if held > 0:
            book[option] = held
        else:
            book.pop(option, None)

    def open_accounts(self) -> None:
        for who in self.roster.lps:
            self._deposit(who, "call", self.s.lp_call_deposit)
            self._deposit(who, "put", self.s.lp_put_deposit)
        for who in self.roster.sellers:
            self.d.margin_deposit(who, "call", self.s.seller_margin_weth)
            self.d.margin_deposit(who, "put", self.s.seller_margin_usdc)

    def _deposit(self, who: int, vault: VaultName, amount: float) -> None:
        self.d.deposit(who, vault, amount)
        self.result.ledger[vault].deposits += amount
        self.result.counts["deposits"] += 1

    def act(self, step: int, spot: float, tradable: list[tuple[int, list[Decimal]]], *, t: int | None = None,
            atm_vol: float | None = None) -> None:
        """The LPs' and traders' actions at ``step``; ``tradable``: open boards with their strikes.
        With the step's time ``t`` and ATM vol, traders weigh the price before opening a position
        (:mod:`optio.sim.backtest.agents`); without them (the running demo) they do not."""
        self.t = t
        u = draws(self.s, step, len(self.roster.lps) + len(self.roster.traders))
        tolerance = dict(zip(self.roster.traders, tolerances(self.s, step, len(self.roster.traders)), strict=True))
        for who, vault, deposits in lp_moves(self.s, self.roster, u[: len(self.roster.lps)]):
            if deposits:
                self._deposit(who, vault, (self.s.lp_call_deposit if vault == "call" else self.s.lp_put_deposit) / 10)
                continue
            amount = _floor(self.d.max_withdraw(who, vault) / 10, 6)
            if amount <= 0:
                continue
            try:
                self.d.withdraw(who, vault, amount)
            except Rejected as err:
                self.result.rejected[f"withdraw:{err.reason}"] += 1
                continue
            self.result.ledger[vault].withdrawals += amount
            self.result.counts["withdrawals"] += 1
        for wish in trader_wishes(self.s, self.roster, u[len(self.roster.lps):], tradable, spot, self.longs,
                                  self.shorts):
            if wish.kind.opens and t is not None and atm_vol is not None:
                edge = relative_edge(self.s, wish.option, wish.kind, spot, t, atm_vol)
                if edge > tolerance[wish.who]:
                    self.result.counts["declined:price"] += 1
                    continue
            try:
                fill = self.d.trade(wish.who, wish.option, wish.kind, wish.amount)
            except Rejected as err:
                self.result.rejected[f"{wish.kind.name.lower()}:{err.reason}"] += 1
                continue
            self._book_fill(wish.who, fill)

    def _book_fill(self, who: int, fill: Fill) -> None:
        lg = self.result.ledger[vault_of(fill.option)]
        lg.premiums += fill.mid_value if fill.kind.trader_pays else -fill.mid_value
        lg.fees += fill.edge
        self.result.counts[f"trades:{fill.kind.name.lower()}"] += 1
        self.result.trades.append(TradeRecord(self.t, who, fill.kind.name.lower(), vault_of(fill.option),
                                              fill.option.expiry, float(fill.option.strike),
                                              "call" if fill.option.is_call else "put", float(fill.amount),
                                              fill.premium, fill.mid_value, fill.edge))
        book = self.shorts[who] if fill.kind in (TradeKind.SELL, TradeKind.CLOSE_SHORT) else self.longs[who]
        self.adjust(book, fill.option, fill.amount if fill.kind.opens else -fill.amount)


def _floor(x: float, places: int) -> float:
    q = 10**places
    return int(x * q) / q
