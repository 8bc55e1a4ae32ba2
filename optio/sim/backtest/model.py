"""The protocol's rules without a chain: the same quotes (``optio.pricing.quotes``), collateral,
settlement, margin and liquidation as the contracts, in floats, so a year of hourly steps runs in
seconds and parameters can be swept.

What it leaves out, and why it may: integer rounding (always a few wei in the protocol's favour
on chain: far below the tolerance the agreement check uses), the ERC-4626 virtual shares (a
1e-6-share offset), the net delta and vega limits (the scenario does not set them, and the
deployed defaults are far above any backtest's book), the redemption queue (the agents withdraw
only what is free) and stale oracles (the engine posts every step).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from optio.pricing.black_scholes import SECONDS_PER_YEAR
from optio.pricing.margin_rule import bounded_requirement, stressed_spot
from optio.pricing.quotes import quote
from optio.pricing.svi import SviParams
from optio.sdk.contracts import held_surface
from optio.sdk.market import Option, TradeKind
from optio.sdk.units import from_wad
from optio.sim.backtest.driver import (
    VAULTS,
    Fill,
    Liquidation,
    Rejected,
    Settlement,
    VaultName,
    VaultView,
    option_key,
    vault_of,
)
from optio.sim.backtest.marks import OptionTable, StepMarks
from optio.sim.backtest.scenario import Scenario


@dataclass
class _Vault:
    idle: float = 0.0
    locked: float = 0.0
    supply: float = 0.0
    shares: dict[int, float] = field(default_factory=lambda: defaultdict(float))


@dataclass
class _OptionBook:
    short: float = 0.0  # the vault's written options (held by buyers)
    long: float = 0.0  # options the vault bought from margin sellers


class ModelProtocol:
    """Implements :class:`optio.sim.backtest.driver.ProtocolDriver` in memory."""

    def __init__(self, scenario: Scenario):
        self.s = scenario
        self.params = scenario.quote_params
        deployed = scenario.deploy_config()  # the contracts' minimum trade and dust, as deployed
        self.min_amount = from_wad(deployed.min_trade_wad)
        self.min_live = float(from_wad(deployed.min_live_wad))  # an opening trade leaves 0 or at least this
        self.dust = float(from_wad(deployed.dust_wad))
        self.t = 0
        self.spot = 0.0
        self.surfaces: dict[int, tuple[SviParams, int]] = {}  # expiry: (slice as posted, when)
        self.boards: dict[int, list[Decimal]] = {}
        self.book: dict[Option, _OptionBook] = {}
        self.vault: dict[VaultName, _Vault] = {vault: _Vault() for vault in VAULTS}
        self.holdings: dict[int, dict[Option, float]] = defaultdict(lambda: defaultdict(float))
        self.collateral: dict[int, dict[VaultName, float]] = defaultdict(lambda: {"call": 0.0, "put": 0.0})
        self.shorts: dict[int, dict[Option, float]] = defaultdict(dict)
        self.settlement_price: dict[int, float] = {}
        self._table: OptionTable | None = None  # the book's options as arrays; None after it changes
        self._step: StepMarks | None = None  # this step's marks; None after time, spot, a surface or the book moves

    # --- keeper actions -------------------------------------------------------------------------

    def set_time(self, t: int) -> None:
        self.t = t
        self._step = None

    def post_spot(self, price: float) -> None:
        self.spot = price
        self._step = None
        for expiry in self.boards:
            if expiry <= self.t and expiry not in self.settlement_price:
                self.settlement_price[expiry] = price  # the first post at or after expiry

    def post_surface(self, expiry: int, params: SviParams) -> None:
        self.surfaces[expiry] = (params, self.t)
        self._step = None

    def list_board(self, expiry: int, strikes: list[Decimal]) -> None:
        self.boards[expiry] = list(strikes)
        self._table = self._step = None
        for k in strikes:
            for is_call in (True, False):
                self.book[Option(expiry, k, is_call)] = _OptionBook()

    def settle(self, expiry: int, holders: list[int], sellers: list[int]) -> Settlement:
        price = self.settlement_price[expiry]
        to_holders, from_sellers, bad = ({s: 0.0 for s in VAULTS} for _ in range(3))
        for strike in self.boards[expiry]:
            for is_call in (True, False):
                option = Option(expiry, strike, is_call)
                vault, o, payoff = vault_of(option), self.book[option], self._payoff(option, price)
                v = self.vault[vault]
                locked = o.short * self._full(option)
                reserve = min(o.short * payoff, locked)
                v.locked -= locked
                v.idle -= reserve
                to_holders[vault] += reserve
                for who in holders:
                    self.holdings[who].pop(option, None)
                o.short = 0.0
                for who in sellers:
                    amount = self.shorts[who].pop(option, 0.0)
                    if amount:
                        owed = amount * payoff
                        paid = min(owed, self.collateral[who][vault])
                        self.collateral[who][vault] -= paid
                        v.idle += paid
                        from_sellers[vault] += paid
                        bad[vault] += owed - paid
                        o.long -= amount
        for strike in self.boards.pop(expiry):
            for is_call in (True, False):
                del self.book[Option(expiry, strike, is_call)]  # settled: nothing live is left
        self._table = self._step = None
        return Settlement(expiry, price, to_holders, from_sellers, bad)

    def liquidatable(self, sellers: list[int]) -> list[tuple[int, Option, Decimal]]:
        required = self._requirements({who: self.shorts[who] for who in sellers})
        out = []
        for who in sellers:
            for vault in VAULTS:
                if self.collateral[who][vault] < required.get((who, vault), 0.0):
                    live = [o for o in self.shorts[who] if vault_of(o) == vault and o.expiry > self.t]
                    for option in sorted(live, key=option_key):
                        out.append((who, option, _dec(self._max_liquidation(who, option))))
        return out

    def liquidate(self, account: int, option: Option, amount: Decimal) -> Liquidation:
        vault = vault_of(option)
        collateral = self.collateral[account][vault]
        if collateral >= self._required(account, vault):
            raise Rejected("AccountHealthy")
        if float(amount) > self._max_liquidation(account, option) * (1 + 1e-12):
            raise Rejected("LiquidationTooLarge")
        n = float(amount)
        mid = self._marks([option], self.spot, 1.0)[0]
        cost = n * mid * (1 + self.s.liquidation_penalty)
        # The vault first (its share of the cost), the liquidator's bonus from what is left.
        max_bonus = n * mid * self.s.liquidator_bonus
        to_vault = min(cost - max_bonus, collateral)
        bonus = min(max_bonus, collateral - to_vault)
        bad_debt = max(n * mid - to_vault, 0.0)
        self._reduce_short(account, option, n)
        self.collateral[account][vault] = collateral - bonus - to_vault
        self.book[option].long -= n
        self.vault[vault].idle += to_vault
        return Liquidation(account, option, amount, to_vault, bonus, bad_debt, n * mid)

    # --- LPs ------------------------------------------------------------------------------------

    def deposit(self, who: int, vault: VaultName, amount: float) -> None:
        v, nav = self.vault[vault], self._nav(vault)
        shares = amount if v.supply == 0 else amount * v.supply / nav
        v.idle += amount
        v.supply += shares
        v.shares[who] += shares

    def max_withdraw(self, who: int, vault: VaultName) -> float:
        v = self.vault[vault]
        if not v.supply:
            return 0.0
        return max(min(v.shares[who] * self._nav(vault) / v.supply, v.idle - v.locked), 0.0)

    def withdraw(self, who: int, vault: VaultName, amount: float) -> None:
        if amount > self.max_withdraw(who, vault) * (1 + 1e-12):
            raise Rejected("ERC4626ExceededMaxWithdraw")
        v = self.vault[vault]
        shares = amount * v.supply / self._nav(vault)
        v.shares[who] -= shares
        v.supply -= shares
        v.idle -= amount

    # --- traders --------------------------------------------------------------------------------

    def margin_deposit(self, who: int, vault: VaultName, amount: float) -> None:
        self.collateral[who][vault] += amount

    def trade(self, who: int, option: Option, kind: TradeKind, amount: Decimal) -> Fill:
        if option not in self.book:
            raise Rejected("UnknownOption")
        if amount < self.min_amount:
            raise Rejected("AmountTooSmall")
        if self.t >= option.expiry - self.s.trading_cutoff_s:
            raise Rejected("TradingClosed")
        n, o, vault = float(amount), self.book[option], vault_of(option)
        v = self.vault[vault]
        if kind == TradeKind.CLOSE_LONG and n > self.holdings[who].get(option, 0.0) + 1e-12:
            raise Rejected("InsufficientOptions")
        vault_sells = kind.trader_pays
        net_before = o.short - o.long
        net_after = net_before + (n if vault_sells else -n)
        inventory = float(np.clip(0.5 * (net_before + net_after) / self.s.inventory_scale, -1.0, 1.0))
        utilisation = min(v.locked / v.idle, 1.0) if v.idle else 0.0
        if kind == TradeKind.BUY:  # the market charges the utilisation the buy leaves
            utilisation = min((v.locked + n * self._full(option)) / v.idle, 1.0) if v.idle else 1.0
        # Floats: a vault whose last lock was released holds -1e-17 locked, not 0 (the contract: 0).
        utilisation = max(utilisation, 0.0)
        tenor = (option.expiry - self.t) / SECONDS_PER_YEAR
        posted, posted_at = self.surfaces[option.expiry]
        held = held_surface(posted, posted_at, option.expiry, self.t)  # what the oracle serves now
        q = quote(self.spot, float(option.strike), tenor, held, is_call=option.is_call,
                  inventory=inventory, utilisation=utilisation, params=self.params)
        per, mid = float(q.ask if vault_sells else q.bid), float(q.mid)
        if option.is_call:  # the call vault is paid in the base asset
            per, mid = per / self.spot, mid / self.spot
        opened = o.short if kind == TradeKind.BUY else o.long if kind == TradeKind.SELL else None
        if opened is not None and opened + n < self.min_live * (1 - 1e-12):
            raise Rejected("LiveAmountTooSmall")
        if kind in (TradeKind.BUY, TradeKind.CLOSE_LONG):  # a holder's balance: 0 or at least the minimum
            left = self.holdings[who].get(option, 0.0) + (n if kind == TradeKind.BUY else -n)
            if left > 1e-12 and left < self.min_live * (1 - 1e-12):
                raise Rejected("BalanceBelowMinimum")
        fill = Fill(option, kind, amount, n * per, n * mid)
        getattr(self, f"_{kind.name.lower()}")(who, option, o, v, n, fill.premium)
        return fill

    def _buy(self, who: int, option: Option, o: _OptionBook, v: _Vault, n: float, premium: float) -> None:
        lock = n * self._full(option)
        idle = v.idle + premium
        if lock > idle - v.locked:
            raise Rejected("InsufficientFreeLiquidity")
        if (v.locked + lock) / idle > self.s.max_utilisation:
            raise Rejected("UtilisationLimit")
        v.idle, v.locked, o.short = idle, v.locked + lock, o.short + n
        self.holdings[who][option] += n

    def _sell(self, who: int, option: Option, o: _OptionBook, v: _Vault, n: float, premium: float) -> None:
        vault = vault_of(option)
        if premium > v.idle - v.locked:
            raise Rejected("InsufficientFreeLiquidity")
        if v.idle - premium > 0 and v.locked / (v.idle - premium) > self.s.max_utilisation:
            raise Rejected("UtilisationLimit")
        shorts = dict(self.shorts[who])
        shorts[option] = shorts.get(option, 0.0) + n
        if shorts[option] < self.dust * (1 - 1e-12):  # a short is 0 or at least the dust
            raise Rejected("ShortBelowMinimum")
        collateral = self.collateral[who][vault] + premium
        if collateral < self._required_of(shorts, vault):
            raise Rejected("BelowRequirement")
        self.shorts[who] = shorts
        self.collateral[who][vault] = collateral
        v.idle -= premium
        o.long += n

    def _close_long(self, who: int, option: Option, o: _OptionBook, v: _Vault, n: float, premium: float) -> None:
        unlock = n * self._full(option)
        o.short -= n
        v.locked -= unlock
        v.idle -= premium
        self.holdings[who][option] -= n
        if self.holdings[who][option] <= 1e-12:
            del self.holdings[who][option]

    def _close_short(self, who: int, option: Option, o: _OptionBook, v: _Vault, n: float, premium: float) -> None:
        vault = vault_of(option)
        if n > o.long + 1e-12:
            raise Rejected("InsufficientOpenInterest")
        if n > self.shorts[who].get(option, 0.0) + 1e-12:
            raise Rejected("NoPosition")
        collateral = self.collateral[who][vault]
        if premium > collateral:
            raise Rejected("InsufficientCollateral")
        before = max(self._required(who, vault) - collateral, 0.0)
        shorts = dict(self.shorts[who])
        shorts[option] -= n
        if shorts[option] <= 1e-12:
            del shorts[option]
        elif shorts[option] < self.dust * (1 - 1e-12):
            raise Rejected("ShortBelowMinimum")
        if max(self._required_of(shorts, vault) - (collateral - premium), 0.0) > before + 1e-12:
            raise Rejected("BelowRequirement")
        self.shorts[who] = shorts
        self.collateral[who][vault] = collateral - premium
        o.long -= n
        v.idle += premium

    # --- views ----------------------------------------------------------------------------------

    def vaults(self) -> dict[VaultName, VaultView]:
        return {vault: VaultView(self._nav(vault), self.vault[vault].supply, self.vault[vault].locked,
                                self.vault[vault].idle) for vault in VAULTS}

    def collateral_of(self, who: int, vault: VaultName) -> float:
        return self.collateral[who][vault]

    # --- the rules --------------------------------------------------------------------------------

    @staticmethod
    def _full(option: Option) -> float:
        """Collateral covering one written option: one base unit for a call, K for a put."""
        return 1.0 if option.is_call else float(option.strike)

    def _payoff(self, option: Option, price: float) -> float:
        k = float(option.strike)
        return max(price - k, 0.0) / price if option.is_call else max(k - price, 0.0)

    def _marks(self, options: list[Option], spot: float, vol_scale: float) -> np.ndarray:
        """``optio.sim.backtest.marks.marks`` of ``options``, from the step's table (priced once per step)."""
        if self._step is None:
            if self._table is None:
                self._table = OptionTable(self.book)
            stressed = 1 + self.s.vol_shock
            self._step = StepMarks(self.t, self.surfaces, self._table, [
                (self.spot, 1.0), (self._stressed_spot("call"), stressed), (self._stressed_spot("put"), stressed)])
        return self._step.of(options, spot, vol_scale)

    def _stressed_spot(self, vault: VaultName) -> float:
        """The spot a vault's requirement is priced at: up for calls, down for puts."""
        return stressed_spot(self.spot, self.s.spot_shock, is_call=vault == "call")

    def _nav(self, vault: VaultName) -> float:
        live = [(opt, o.short - o.long) for opt, o in self.book.items()
                if vault_of(opt) == vault and opt.expiry > self.t and (o.short or o.long)]
        v = self.vault[vault]
        if not live:
            return v.idle
        net = np.array([n for _, n in live])
        return max(v.idle - float(net @ self._marks([opt for opt, _ in live], self.spot, 1.0)), 0.0)

    def _required(self, who: int, vault: VaultName) -> float:
        return self._required_of(self.shorts[who], vault)

    def _required_of(self, shorts: dict[Option, float], vault: VaultName) -> float:
        return self._requirements({0: shorts}).get((0, vault), 0.0)

    def _requirements(self, books: dict[int, dict[Option, float]]) -> dict[tuple[int, VaultName], float]:
        """Each account's requirement per vault: Σ amount × min(full, max(floor·full, value under
        stress)) over its live shorts; calls stressed with spot up, puts with spot down, vol up.
        One vectorised pricing call per vault for all the accounts."""
        out: dict[tuple[int, VaultName], float] = {}
        for vault in VAULTS:
            rows = [(who, o, n) for who, book in books.items() for o, n in book.items()
                    if vault_of(o) == vault and o.expiry > self.t]
            if not rows:
                continue
            options = [o for _, o, _ in rows]
            value = self._marks(options, self._stressed_spot(vault), 1 + self.s.vol_shock)
            full = np.array([self._full(o) for o in options])
            need = np.array([n for _, _, n in rows]) * bounded_requirement(value, full, self.s.margin_floor)
            for (who, _, _), x in zip(rows, need, strict=True):
                out[(who, vault)] = out.get((who, vault), 0.0) + float(x)
        return out

    def _max_liquidation(self, who: int, option: Option) -> float:
        position = self.shorts[who][option]
        partial = position * self.s.close_factor
        if position - partial < self.dust:
            return position
        mid = self._marks([option], self.spot, 1.0)[0]
        if self.collateral[who][vault_of(option)] < position * mid * (1 + self.s.liquidation_penalty):
            return position
        return partial

    def _reduce_short(self, who: int, option: Option, n: float) -> None:
        rest = self.shorts[who][option] - n
        if rest <= 1e-12:
            del self.shorts[who][option]
        else:
            self.shorts[who][option] = rest



def _dec(x: float) -> Decimal:
    return Decimal(repr(x)).quantize(Decimal("1e-18"))
