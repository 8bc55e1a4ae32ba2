"""Clients of the options market and the margin account, with every quote shown beside the
off-chain engine's (``optio.pricing.quotes``, the formula the AMM runs).

Units at this interface: option amounts and strikes are human ``Decimal``s (1 = one option on one
WETH; strikes in USDC); premiums and collateral are in the option's collateral token (calls:
WETH, puts: USDC); expiries are Unix seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import IntEnum

from web3 import Web3
from web3.types import TxReceipt

from optio.pricing.black_scholes import SECONDS_PER_YEAR
from optio.pricing.margin_rule import bounded_requirement, stressed_spot
from optio.pricing.oracle_units import svi_from_wad
from optio.pricing.quotes import QuoteParams
from optio.pricing.quotes import quote as engine_quote
from optio.pricing.svi import SviParams
from optio.sdk import option_id
from optio.sdk.chain import Signer, simulate
from optio.sdk.contracts import Client, SpotOracle, Token, VolOracle
from optio.sdk.errors import ContractRevert, InsufficientBalance, InvalidInput
from optio.sdk.option_book import OptionBook, Portfolio
from optio.sdk.units import from_units, from_wad, parse_amount, to_units, to_wad
from optio.sdk.utc import utc_time

DEFAULT_SLIPPAGE = Decimal("0.01")
DEFAULT_DEADLINE = 600  # seconds after the latest block


def iso_expiry(expiry: int) -> str:
    """An expiry (Unix s) as people write it: ``2027-06-25 08:00 UTC``."""
    return utc_time(expiry, seconds=False)


class TradeKind(IntEnum):
    """IOptionMarket.TradeKind."""

    BUY = 0
    SELL = 1
    CLOSE_LONG = 2
    CLOSE_SHORT = 3

    @property
    def trader_pays(self) -> bool:
        return self in (TradeKind.BUY, TradeKind.CLOSE_SHORT)

    @property
    def vault_sells(self) -> bool:
        return self.trader_pays

    @property
    def opens(self) -> bool:
        """Buy and Sell open a position; the two closes reduce one."""
        return self in (TradeKind.BUY, TradeKind.SELL)


@dataclass(frozen=True)
class Option:
    """One listed option: expiry (Unix s), strike (quote units), call or put."""

    expiry: int
    strike: Decimal
    is_call: bool

    @property
    def strike_wad(self) -> int:
        return to_wad(self.strike, name="strike")

    @property
    def id(self) -> int:
        """The ERC-1155 id (``OptionId.encode``)."""
        return option_id.encode(self.expiry, self.strike_wad, self.is_call)

    @classmethod
    def from_id(cls, id_: int) -> Option:
        return cls(option_id.expiry_of(id_), from_wad(option_id.strike_wad_of(id_)), option_id.is_call(id_))

    @property
    def right(self) -> str:
        """``"call"`` or ``"put"`` (the option's right; "kind" is a trade's)."""
        return "call" if self.is_call else "put"

    def __str__(self) -> str:
        return f"{self.right} {self.strike.normalize():f} @ {iso_expiry(self.expiry)}"


@dataclass(frozen=True)
class QuoteView:
    """A trade's price on the chain and in the engine, per option in quote units and in total
    in the collateral token."""

    option: Option
    kind: TradeKind
    amount: Decimal
    premium: Decimal  # collateral token
    premium_units: int
    token: str
    per_option: Decimal  # quote units
    mid: Decimal
    vol: Decimal
    spot: Decimal
    vega: Decimal
    inventory: Decimal
    utilisation: Decimal
    engine_per_option: Decimal
    engine_premium: Decimal

    @property
    def engine_gap(self) -> Decimal:
        """Chain minus engine, per option, relative to spot."""
        return (self.per_option - self.engine_per_option) / self.spot


@dataclass(frozen=True)
class OptionState:
    """IOptionMarket.OptionState in human units (options; payoff per option in collateral)."""

    vault_short: Decimal
    vault_long: Decimal
    listed: bool
    reserve_units: int
    payoff: Decimal
    settled: bool


@dataclass(frozen=True)
class CollateralStatus:
    collateral: Decimal
    required: Decimal
    token: str
    #: False when a stale spot or surface made some short count full collateral: the side
    #: cannot be liquidated then (``RequirementNotFresh``), but withdrawals use that requirement.
    fresh: bool = True

    @property
    def healthy(self) -> bool:
        return self.collateral >= self.required


@dataclass(frozen=True)
class MarginStatus:
    account: str
    calls: CollateralStatus
    puts: CollateralStatus
    shorts: tuple[tuple[Option, Decimal], ...]


@dataclass(frozen=True)
class RiskLimits:
    """IOptionMarket.RiskLimits in named units: options (1 = one option on one base unit),
    delta in options of base, vega in quote units per 1.00 of vol, utilisation a fraction."""

    trading_cutoff_s: int
    min_amount: Decimal
    inventory_scale: Decimal
    max_net_delta: Decimal
    max_net_vega: Decimal
    max_utilisation: Decimal
    min_live_amount: Decimal


class Market(Client):
    artifact_name = "OptionMarket"

    def __init__(self, w3: Web3, address: str, *, margin: MarginAccount, from_block: int = 0):
        super().__init__(w3, address)
        self.margin = margin
        self.from_block = from_block
        self.base = Token(w3, self.call("baseToken"))
        self.quote_token = Token(w3, self.call("quoteToken"))
        self.option_token = Client(w3, self.call("optionToken"), artifact_name="OptionToken")
        self.spot_oracle = SpotOracle(w3, self.call("spotOracle"))
        self.vol_oracle = VolOracle(w3, self.call("volOracle"))
        self.book = OptionBook(w3, self.call("book"), decimals={True: self.base.decimals,
                                                                False: self.quote_token.decimals})

    def risk_limits(self) -> RiskLimits:
        r = self.call_struct("riskLimits")
        return RiskLimits(r.tradingCutoff, from_wad(r.minAmount), from_wad(r.inventoryScale),
                          from_wad(r.maxNetDelta), from_wad(r.maxNetVega), from_wad(r.maxUtilisation),
                          from_wad(r.minLiveAmount))

    def portfolio(self, is_call: bool) -> Portfolio:
        """A vault's open options marked now (``OptionBook.portfolio``)."""
        return self.book.portfolio(is_call)

    def board_settled(self, expiry: int) -> bool:
        return bool(self.call("boardSettled", expiry))

    def token_of(self, option: Option) -> Token:
        return self.base if option.is_call else self.quote_token

    # --- listing ------------------------------------------------------------------------------

    def list_strikes(self, signer: Signer, expiry: int, strikes: list[Decimal | str]) -> TxReceipt:
        if not strikes:
            raise InvalidInput("give at least one strike")
        wads = [to_wad(parse_amount(s, name="strike"), name="strike") for s in strikes]
        if any(w <= 0 for w in wads):
            raise InvalidInput("strikes must be positive")
        return self.transact(signer, "listStrikes", expiry, wads, action="listStrikes")

    def expiries(self) -> list[int]:
        return list(self.call("expiries"))

    def options(self, expiry: int) -> list[Option]:
        strikes = [from_wad(s) for s in self.call("strikesOf", expiry)]
        return [Option(expiry, k, is_call) for k in strikes for is_call in (True, False)]

    def require_listed(self, option: Option) -> None:
        if not self.call("isListed", option.id):
            listed = ", ".join(f"{from_wad(s).normalize():f}" for s in self.call("strikesOf", option.expiry))
            raise InvalidInput(
                f"{option} is not listed" + (f" (strikes of that expiry: {listed})" if listed else " (no such board)")
            )

    # --- quotes -------------------------------------------------------------------------------

    def quote(self, option: Option, kind: TradeKind, amount: Decimal | str) -> QuoteView:
        """The chain's quote (a revert raises ``ContractRevert``) beside the engine's."""
        self.require_listed(option)
        amount_dec = parse_amount(amount, name="amount")
        if amount_dec <= 0:
            raise InvalidInput(f"amount must be positive, got {amount_dec}")
        try:
            q = self.call_struct("quote", option.id, int(kind), to_wad(amount_dec, name="amount"))
        except ContractRevert as err:
            token = self.token_of(option)
            raise err.in_token(token.symbol, token.decimals) from None
        premium_units, inventory, utilisation, spot = q.premium, q.inventoryWad, q.utilisationWad, q.spotWad
        token = self.token_of(option)
        engine_per_option = self._engine_per_option(option, kind, from_wad(inventory), from_wad(utilisation))
        engine_premium = amount_dec * engine_per_option / (from_wad(spot) if option.is_call else 1)
        return QuoteView(
            option=option,
            kind=kind,
            amount=amount_dec,
            premium=from_units(premium_units, token.decimals),
            premium_units=premium_units,
            token=token.symbol,
            per_option=from_wad(q.perOptionWad),
            mid=from_wad(q.midWad),
            vol=from_wad(q.volWad),
            spot=from_wad(spot),
            vega=from_wad(q.vegaWad),
            inventory=from_wad(inventory),
            utilisation=from_wad(utilisation),
            engine_per_option=engine_per_option,
            engine_premium=engine_premium,
        )

    def _engine_per_option(self, option: Option, kind: TradeKind, inventory: Decimal, utilisation: Decimal) -> Decimal:
        """``optio.pricing.quotes.quote`` on the chain's spot, surface, fees, inventory and utilisation."""
        params, _ = self.vol_oracle.call("getParams", option.expiry)
        spot_wad, _ = self.spot_oracle.call("latestPrice")
        now = self.w3.eth.get_block("latest")["timestamp"]
        fees = self.call_struct("fees")
        q = engine_quote(
            float(from_wad(spot_wad)),
            float(option.strike),
            (option.expiry - now) / SECONDS_PER_YEAR,
            svi_from_wad(params),
            is_call=option.is_call,
            inventory=float(inventory),
            utilisation=float(utilisation),
            params=QuoteParams(half_spread=float(from_wad(fees.halfSpreadWad)), skew=float(from_wad(fees.skewWad)),
                               base_fee=float(from_wad(fees.baseFeeWad)),
                               utilisation_fee=float(from_wad(fees.utilisationFeeWad)),
                               move=float(from_wad(fees.moveWad))),
        )
        price = q.ask if kind.vault_sells else q.bid
        return Decimal(repr(float(price)))

    # --- trades -------------------------------------------------------------------------------

    def trade(
        self,
        signer: Signer,
        option: Option,
        kind: TradeKind,
        amount: Decimal | str,
        *,
        limit: Decimal | str | None = None,
        slippage: Decimal = DEFAULT_SLIPPAGE,
    ) -> TxReceipt:
        """Trade at most ``limit`` (paid) or at least ``limit`` (received) collateral tokens; by
        default the quote moved by ``slippage`` against the trader."""
        q = self.quote(option, kind, amount)
        token = self.token_of(option)
        if limit is None:
            factor = 1 + slippage if kind.trader_pays else 1 - slippage
            limit_units = int(q.premium_units * factor) + (1 if kind.trader_pays else 0)
        else:
            limit_units = to_units(parse_amount(limit, name="limit"), token.decimals, name="limit")
        beyond = q.premium_units > limit_units if kind.trader_pays else q.premium_units < limit_units
        if beyond:
            word = "above" if kind.trader_pays else "below"
            limit_text = from_units(limit_units, token.decimals)
            raise InvalidInput(f"quoted premium {q.premium} {token.symbol} is {word} your limit {limit_text}")
        self._check_funds(signer, option, kind, q, token)
        if kind is TradeKind.BUY and token.call("allowance", signer.address, self.address) < q.premium_units:
            token.approve_units(signer, self.address, limit_units)
        deadline = self.w3.eth.get_block("latest")["timestamp"] + DEFAULT_DEADLINE
        fn = {TradeKind.BUY: "buy", TradeKind.SELL: "sell", TradeKind.CLOSE_LONG: "closeLong"}.get(kind, "closeShort")
        amount_wad = to_wad(q.amount, name="amount")
        args = (option.id, amount_wad, limit_units, deadline)
        try:
            return self.transact(signer, fn, *args, action=fn, token=token)
        except ContractRevert as err:
            if err.mined or err.name != "BookTotalsStale":
                raise
        # A trade needs the side's totals current (re-based: the crank is permissionless).
        self.book.crank(signer, option.is_call)
        return self.transact(signer, fn, *args, action=fn, token=token)

    def _check_funds(self, signer: Signer, option: Option, kind: TradeKind, q: QuoteView, token: Token) -> None:
        if kind is TradeKind.BUY and token.balance_units(signer.address) < q.premium_units:
            raise InsufficientBalance(
                f"premium {q.premium} {token.symbol} exceeds the wallet balance of {token.balance(signer.address)}"
            )
        if kind is TradeKind.CLOSE_LONG:
            held = from_wad(self.long_balance_wad(signer.address, option))
            if held < q.amount:
                raise InsufficientBalance(f"you hold {held} of {option}, not {q.amount}")
        if kind is TradeKind.CLOSE_SHORT:
            short = from_wad(self.margin.call("shortOf", signer.address, option.id))
            if short < q.amount:
                raise InsufficientBalance(f"your margin short of {option} is {short}, not {q.amount}")

    def close(self, signer: Signer, option: Option, amount: Decimal | str | None = None) -> TxReceipt:
        """Close a long (sell tokens back) or, with none held, a margin short (buy back);
        ``None``: the whole position."""
        held = self.long_balance_wad(signer.address, option)
        short = self.margin.call("shortOf", signer.address, option.id)
        if held == 0 and short == 0:
            raise InvalidInput(f"{signer.address} has no position in {option}")
        kind = TradeKind.CLOSE_LONG if held else TradeKind.CLOSE_SHORT
        size = from_wad(held or short) if amount is None else amount
        return self.trade(signer, option, kind, size)

    # --- expiry -------------------------------------------------------------------------------

    def settle(self, signer: Signer, expiry: int) -> TxReceipt:
        return self.transact(signer, "settle", expiry, action="settle")

    def exercise_for(self, signer: Signer, option: Option, holders: list[str]) -> TxReceipt:
        if not holders:
            raise InvalidInput("give at least one holder")
        if not self.state(option).settled:
            raise InvalidInput(f"{option} is not settled yet: settle its expiry first")
        return self.transact(signer, "exerciseFor", option.id, holders, action="exerciseFor")

    def holders(self, option: Option) -> list[str]:
        """Accounts that ever received `option` tokens (from TransferSingle events)."""
        logs = self.option_token.contract.events.TransferSingle.get_logs(from_block=self.from_block)
        seen: dict[str, None] = {}
        for log in logs:
            if log["args"]["id"] == option.id and int(log["args"]["to"], 16) != 0:
                seen[log["args"]["to"]] = None
        return [h for h in seen if self.option_token.call("balanceOf", h, option.id) > 0]

    # --- views --------------------------------------------------------------------------------

    def state(self, option: Option) -> OptionState:
        s = self.call_struct("optionState", option.id)
        return OptionState(from_wad(s.shortOI), from_wad(s.longOI), s.listed, s.reserveUnits, from_wad(s.payoffWad),
                           s.settled)

    def long_balance(self, owner: str, option: Option) -> Decimal:
        """Options of ``option`` that ``owner`` holds (ERC-1155 balance, in options)."""
        return from_wad(self.long_balance_wad(owner, option))

    def long_balance_wad(self, owner: str, option: Option) -> int:
        return self.option_token.call("balanceOf", owner, option.id)

    def positions(self, owner: str) -> list[tuple[Option, Decimal]]:
        """Long positions of ``owner`` (token balances) on every listed option."""
        out = []
        for expiry in self.expiries():
            for option in self.options(expiry):
                held = self.long_balance_wad(owner, option)
                if held:
                    out.append((option, from_wad(held)))
        return out


class MarginAccount(Client):
    artifact_name = "MarginAccount"

    def __init__(self, w3: Web3, address: str):
        super().__init__(w3, address)
        self.base = Token(w3, self.call("baseToken"))
        self.quote_token = Token(w3, self.call("quoteToken"))

    def token(self, calls_pool: bool) -> Token:
        return self.base if calls_pool else self.quote_token

    def deposit(self, signer: Signer, calls_pool: bool, amount: Decimal | str) -> TxReceipt:
        token = self.token(calls_pool)
        units = self._units(token, amount)
        if units > token.balance_units(signer.address):
            raise InsufficientBalance(
                f"deposit of {amount} {token.symbol} exceeds the wallet balance of {token.balance(signer.address)}"
            )
        if token.call("allowance", signer.address, self.address) < units:
            token.approve_units(signer, self.address, units)
        return self.transact(signer, "deposit", calls_pool, units, action="margin deposit", token=token)

    def withdraw(self, signer: Signer, calls_pool: bool, amount: Decimal | str) -> TxReceipt:
        token = self.token(calls_pool)
        units = self._units(token, amount)
        status = self.status(signer.address)
        pool = status.calls if calls_pool else status.puts
        free = max(pool.collateral - pool.required, Decimal(0))
        if from_units(units, token.decimals) > free:
            raise InvalidInput(
                f"only {free} {token.symbol} can leave: {pool.collateral} posted, {pool.required} required"
            )
        return self.transact(signer, "withdraw", calls_pool, units, signer.address, action="margin withdraw",
                             token=token)

    def health_of(self, accounts: list[str]) -> list[tuple[CollateralStatus, CollateralStatus]]:
        """(calls, puts) collateral and requirement of each account, each in its pool's token
        (calls: base, puts: quote)."""
        base, quote_token = self.base, self.quote_token

        def pool(health, token: Token) -> CollateralStatus:
            return CollateralStatus(from_units(health.collateral, token.decimals),
                                    from_units(health.required, token.decimals), token.symbol)

        return [(pool(h.calls, base), pool(h.puts, quote_token)) for h in self.call_struct("healthOf", accounts)]

    def liquidatable_amount(self, liquidator: str, account: str, option: Option, amount: Decimal) -> Decimal:
        """How much of ``account``'s short ``option`` a ``liquidate`` of ``amount`` (options)
        would take now: all of it, the close factor's maximum (``LiquidationTooLarge``), or 0."""
        data = self.contract.encode_abi("liquidate", args=[account, option.id, to_wad(amount)])
        try:
            simulate(self.w3, {"from": liquidator, "to": self.address, "data": data}, "liquidate")
        except ContractRevert as err:
            return from_wad(int(err.args_by_name["maxAmount"])) if err.name == "LiquidationTooLarge" else Decimal(0)
        return amount

    def shorts_of(self, account: str) -> list[tuple[Option, Decimal]]:
        """The account's short options and amounts (options)."""
        ids, amounts = self.call("positionsOf", account)
        return [(Option.from_id(i), from_wad(a)) for i, a in zip(ids, amounts, strict=True)]

    def status(self, account: str) -> MarginStatus:
        (calls, puts), = self.health_of([account])
        fresh, = self.call_struct("freshnessOf", [account])
        return MarginStatus(
            account=account,
            calls=replace(calls, fresh=fresh.calls),
            puts=replace(puts, fresh=fresh.puts),
            shorts=tuple(self.shorts_of(account)),
        )

    @staticmethod
    def _units(token: Token, amount: Decimal | str) -> int:
        value = parse_amount(amount, name="amount")
        if value <= 0:
            raise InvalidInput(f"amount must be positive, got {value}")
        return to_units(value, token.decimals, name="amount")


# --- what traders look at: the board, P&L, margin health --------------------------------------


@dataclass(frozen=True)
class BoardRow:
    """One listed option as a trader sees it: the chain's bid and ask for one option (quote units
    per option, None where the vault would not trade), the surface's implied vol at the strike,
    Black-Scholes Greeks at that vol (delta per 1 of spot, gamma per 1 of spot², vega per vol
    point, theta per day; per option, in quote units), open interest and the owner's holding."""

    option: Option
    bid: Decimal | None
    ask: Decimal | None
    vol: float | None
    delta: float | None
    gamma: float | None
    vega: float | None
    theta: float | None
    vault_short: Decimal
    vault_long: Decimal
    held: Decimal
    settled: bool


@dataclass(frozen=True)
class PositionPnl:
    """An account's position in one option and its P&L, in the option's collateral token (calls:
    WETH, puts: USDC): ``amount`` > 0 long, < 0 short (margin); premiums paid and received, payouts
    at expiry, the open amount marked at what closing would fetch now (bid for a long, minus the
    ask for a short; the payoff once settled), and ``pnl`` = received + payouts + mark − paid."""

    option: Option
    amount: Decimal
    token: str
    paid: Decimal
    received: Decimal
    payouts: Decimal
    mark: Decimal | None
    pnl: Decimal | None


@dataclass(frozen=True)
class SideHealth:
    """One side of a margin account: collateral and requirement (the side's token), the health
    ratio collateral ÷ requirement (None with no requirement), and the spot (USDC per WETH) at
    which the requirement would exceed the collateral, the account becoming liquidatable (None:
    no spot does — the collateral covers the full exposure, or there are no shorts)."""

    token: str
    collateral: Decimal
    required: Decimal
    ratio: float | None
    liquidation_spot: float | None


def _greeks(spot: float, strike: float, tau: float, vol: float, is_call: bool) -> tuple[float, ...]:
    from optio.pricing.black_scholes import bsm_greeks

    g = bsm_greeks(spot, strike, tau, vol, is_call=is_call)
    return float(g.delta), float(g.gamma), float(g.vega_per_point), float(g.theta_per_day)


def board_rows(market: Market, expiry: int, owner: str | None = None) -> list[BoardRow]:
    """Every option of ``expiry``: bid/ask for one option, implied vol and Greeks."""
    now = market.w3.eth.get_block("latest")["timestamp"]
    spot_feed = market.spot_oracle.feed()
    surface = market.vol_oracle.surface(expiry)
    tau = max(expiry - now, 0) / SECONDS_PER_YEAR
    rows = []
    for option in market.options(expiry):
        st = market.state(option)
        prices: dict[TradeKind, Decimal | None] = {}
        for kind in (TradeKind.SELL, TradeKind.BUY):
            try:
                prices[kind] = market.quote(option, kind, Decimal(1)).per_option
            except (ContractRevert, InvalidInput):
                prices[kind] = None
        vol = greeks = None
        if spot_feed.value is not None and surface.value is not None and tau > 0:
            spot = float(spot_feed.value)
            vol = float(surface.value.implied_vol(math.log(float(option.strike) / spot), tau))
            greeks = _greeks(spot, float(option.strike), tau, vol, option.is_call)
        delta, gamma, vega, theta = greeks or (None,) * 4
        held = market.long_balance(owner, option) if owner else Decimal(0)
        rows.append(BoardRow(option, prices[TradeKind.SELL], prices[TradeKind.BUY], vol, delta, gamma, vega, theta,
                             st.vault_short, st.vault_long, held, st.settled))
    return rows


def positions_pnl(market: Market, owner: str) -> list[PositionPnl]:
    """Every option ``owner`` traded, with its P&L (premiums from the market's ``Traded``
    events, payouts from ``Exercised`` and the margin account's ``ShortSettled``)."""
    owner = Web3.to_checksum_address(owner)
    book: dict[int, dict[str, int]] = {}

    def entry(option_id: int) -> dict[str, int]:
        return book.setdefault(option_id, {"long": 0, "short": 0, "paid": 0, "received": 0, "payouts": 0})

    events = market.contract.events
    for log in events.Traded.get_logs(from_block=market.from_block, argument_filters={"trader": owner}):
        a = log["args"]
        e = entry(a["id"])
        kind = TradeKind(a["kind"])
        e["paid" if kind.trader_pays else "received"] += a["premium"]
        sign = 1 if kind in (TradeKind.BUY, TradeKind.SELL) else -1
        e["long" if kind in (TradeKind.BUY, TradeKind.CLOSE_LONG) else "short"] += sign * a["amount"]
    for log in events.Exercised.get_logs(from_block=market.from_block, argument_filters={"holder": owner}):
        entry(log["args"]["id"])["payouts"] += log["args"]["payout"]
    for log in market.margin.contract.events.ShortSettled.get_logs(
            from_block=market.from_block, argument_filters={"account": owner}):
        entry(log["args"]["id"])["payouts"] -= log["args"]["paid"]
    out = []
    for oid, e in book.items():
        option = Option.from_id(oid)
        token = market.token_of(option)
        long_now = market.long_balance_wad(owner, option)
        short_now = market.margin.call("shortOf", owner, oid)
        state = market.state(option)
        mark: Decimal | None = Decimal(0)
        if long_now or short_now:
            mark = _mark_open(market, option, state, from_wad(long_now), from_wad(short_now), token)
        paid, received, payouts = (from_units(e[k], token.decimals) for k in ("paid", "received", "payouts"))
        pnl = None if mark is None else received + payouts + mark - paid
        out.append(PositionPnl(option, from_wad(long_now - short_now), token.symbol, paid, received, payouts, mark,
                               pnl))
    return sorted(out, key=lambda p: (p.option.expiry, p.option.strike, not p.option.is_call))


def _mark_open(market: Market, option: Option, state: OptionState, long_amount: Decimal, short_amount: Decimal,
               token: Token) -> Decimal | None:
    """What closing the open amounts would fetch now (negative for a short); None when no quote."""
    if state.settled:
        return (long_amount - short_amount) * state.payoff + 0  # + 0: no "-0"
    try:
        value = Decimal(0)
        if long_amount:
            value += market.quote(option, TradeKind.CLOSE_LONG, long_amount).premium
        if short_amount:
            value -= market.quote(option, TradeKind.CLOSE_SHORT, short_amount).premium
        return value
    except (ContractRevert, InvalidInput):
        return None


def requirement_at(market: Market, shorts: list[tuple[Option, Decimal]], spot: float, now: int,
                   config: tuple[float, float, float], surfaces: dict[int, SviParams | None]) -> dict[bool, float]:
    """The margin requirement of ``shorts`` at ``spot`` (USDC per WETH), by side (True: calls in
    WETH, False: puts in USDC): the contract's rule off the chain, in floats — Σ amount × min(full,
    max(floor·full, value at the stressed spot and vol)), calls stressed up, puts down.
    ``config`` is (spot shock, vol shock, floor); ``surfaces`` the held slices by expiry."""
    from optio.pricing.black_scholes import black_price

    spot_shock, vol_shock, floor = config
    out = {True: 0.0, False: 0.0}
    for option, amount in shorts:
        k = float(option.strike)
        stressed = stressed_spot(spot, spot_shock, is_call=option.is_call)
        full = 1.0 if option.is_call else k
        tau = (option.expiry - now) / SECONDS_PER_YEAR
        surface = surfaces.get(option.expiry)
        if tau <= 0 or surface is None:
            payoff = max(stressed - k, 0.0) / stressed if option.is_call else max(k - stressed, 0.0)
            value = payoff if tau <= 0 else full
        else:
            vol = float(surface.implied_vol(math.log(k / stressed), tau)) * (1 + vol_shock)
            price = float(black_price(stressed, k, tau, vol, is_call=option.is_call))
            value = price / stressed if option.is_call else price
        out[option.is_call] += float(amount) * float(bounded_requirement(value, full, floor))
    return out


def margin_health(market: Market, account: str) -> tuple[MarginStatus, dict[bool, SideHealth]]:
    """The account's margin status and, per side, its health ratio and liquidation spot, solved
    by bisection on :func:`requirement_at` (requirement rises with spot for calls, falls for puts)."""
    status = market.margin.status(account)
    spot_feed = market.spot_oracle.feed()
    now = market.w3.eth.get_block("latest")["timestamp"]
    c = market.margin.call_struct("config")
    config = (float(from_wad(c.spotShockWad)), float(from_wad(c.volShockWad)), float(from_wad(c.floorWad)))
    live = [(o, a) for o, a in status.shorts if a > 0]
    surfaces = {e: market.vol_oracle.surface(e).value for e in {o.expiry for o, _ in live}}
    out = {}
    for is_call, side in ((True, status.calls), (False, status.puts)):
        mine = [(o, a) for o, a in live if o.is_call == is_call]
        ratio = float(side.collateral / side.required) if side.required > 0 else None
        where = None
        if mine and spot_feed.value is not None:
            collateral = float(side.collateral)

            def short_of(s: float, mine=mine, is_call=is_call, collateral=collateral) -> float:
                return requirement_at(market, mine, s, now, config, surfaces)[is_call] - collateral

            where = _crossing(short_of, float(spot_feed.value), rising=is_call)
        out[is_call] = SideHealth(side.token, side.collateral, side.required, ratio, where)
    return status, out


def _crossing(f, spot: float, *, rising: bool) -> float | None:
    """The spot where ``f`` (requirement − collateral) turns positive, searching up from ``spot``
    if ``rising`` else down; ``spot`` itself if it already is; None if it never does."""
    if f(spot) > 0:
        return spot
    lo, hi = (spot, spot * 1000) if rising else (spot * 1e-6, spot)
    if (f(hi) if rising else f(lo)) <= 0:
        return None
    for _ in range(100):
        mid = (lo + hi) / 2
        if (f(mid) > 0) == rising:
            hi = mid
        else:
            lo = mid
        if hi - lo < 1e-6 * spot:
            break
    return hi if rising else lo
