"""What the engine asks of a protocol, and what it gets back: the same for the real contracts
(:mod:`optio.sim.backtest.onchain`) and the model (:mod:`optio.sim.backtest.model`).

Actors are numbered: 0 is the keeper (oracle poster, lister, liquidator), then the LPs, then the
traders. Token amounts are floats in whole tokens of the vault's asset (WETH for the call vault,
USDC for the put vault); option amounts are ``Decimal`` with at most 3 places, as traded.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

from optio.pricing.svi import SviParams
from optio.sdk.market import Option, TradeKind

VaultName = Literal["call", "put"]
VAULTS: tuple[VaultName, VaultName] = ("call", "put")
#: Each vault's asset (what its figures are counted in).
ASSET: dict[VaultName, str] = {"call": "WETH", "put": "USDC"}


def vault_of(option: Option) -> VaultName:
    return "call" if option.is_call else "put"


def option_key(option: Option) -> tuple[int, Decimal, bool]:
    """A total order on options (expiry, strike, call last) that both drivers share."""
    return option.expiry, option.strike, option.is_call


class Rejected(Exception):
    """The protocol refused an action; ``reason`` is the contract's custom error name."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Fill:
    option: Option
    kind: TradeKind
    amount: Decimal
    premium: float  # collateral tokens, paid by the trader (buy, close short) or to them
    mid_value: float  # amount × the mid, collateral tokens: the premium without the AMM's edge

    @property
    def edge(self) -> float:
        """What the vault earned over the mid (spread, skew, fees), collateral tokens."""
        return self.premium - self.mid_value if self.kind.trader_pays else self.mid_value - self.premium


@dataclass(frozen=True)
class Liquidation:
    account: int
    option: Option
    amount: Decimal
    to_vault: float  # collateral tokens
    bonus: float  # to the liquidator
    bad_debt: float
    mid_value: float  # the options closed, valued at the mid


@dataclass(frozen=True)
class Settlement:
    expiry: int
    price: float
    to_holders: dict[VaultName, float]  # paid out of the vaults to option holders
    from_sellers: dict[VaultName, float]  # paid into the vaults by margin sellers' settled shorts
    bad_debt: dict[VaultName, float]


@dataclass(frozen=True)
class VaultView:
    nav: float  # total assets, marked (collateral tokens)
    supply: float  # shares, in asset-equivalent units (the first share price is 1)
    locked: float  # collateral locked for written options
    idle: float  # the vault's balance

    @property
    def share_price(self) -> float:
        return self.nav / self.supply if self.supply else 1.0

    @property
    def utilisation(self) -> float:
        return self.locked / self.idle if self.idle else 0.0


class ProtocolDriver(Protocol):
    """The operations the engine performs (keeper ones first, then users')."""

    def set_time(self, t: int) -> None: ...
    def post_spot(self, price: float) -> None: ...
    def post_surface(self, expiry: int, params: SviParams) -> None: ...
    def list_board(self, expiry: int, strikes: list[Decimal]) -> None: ...
    def settle(self, expiry: int, holders: list[int], sellers: list[int]) -> Settlement: ...
    def liquidatable(self, sellers: list[int]) -> list[tuple[int, Option, Decimal]]: ...
    def liquidate(self, account: int, option: Option, amount: Decimal) -> Liquidation: ...
    def deposit(self, who: int, vault: VaultName, amount: float) -> None: ...
    def withdraw(self, who: int, vault: VaultName, amount: float) -> None: ...
    def max_withdraw(self, who: int, vault: VaultName) -> float: ...
    def margin_deposit(self, who: int, vault: VaultName, amount: float) -> None: ...
    def trade(self, who: int, option: Option, kind: TradeKind, amount: Decimal) -> Fill: ...
    def vaults(self) -> dict[VaultName, VaultView]: ...
