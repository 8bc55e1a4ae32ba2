"""What a backtest runs: the market path, the agents, and the protocol's parameters.

Units: days and hours as named; vols per year (1.00 = 100%); fees as fractions (of vol, or of
spot for ``base_fee``) exactly as ``optio.pricing.quotes.QuoteParams``; token amounts in whole tokens
(WETH, USDC). Everything is validated up front: a bad value is one readable line, nothing runs.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from optio.pricing.quotes import QuoteParams
from optio.sdk.deploy import DeployConfig
from optio.sdk.errors import InvalidInput
from optio.sdk.units import to_wad

HOUR = 3600
DAY = 86400
#: 2027-01-01 00:00 UTC, a Friday: the default first step (expiries fall on Fridays 08:00 UTC).
DEFAULT_START = 1_798_761_600


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 1
    days: float = Field(default=30.0, gt=0, le=366)
    step_hours: float = Field(default=1.0, ge=0.25, le=24)
    start: int = Field(default=DEFAULT_START, gt=0)  # unix seconds of the first step
    # Market path: a CSV of `timestamp,price` (replayed, held between rows) or a seeded GBM with jumps.
    prices: Path | None = None
    s0: float = Field(default=3000.0, gt=0)
    spot_vol: float = Field(default=0.8, gt=0, le=5)
    jumps_per_day: float = Field(default=1.0, ge=0, le=48)
    jump_size: float = Field(default=0.02, ge=0, le=0.1)
    shock_day: float | None = Field(default=12.0, ge=0)  # one extra spot move on this day (a stress day) …
    shock: float = Field(default=-0.15, ge=-0.2, le=0.2)  # … of this fraction (the oracle allows 25%)
    atm_vol: float = Field(default=0.7, gt=0.05, le=3)
    vol_of_vol: float = Field(default=1.0, ge=0, le=5)
    # Boards: one every `board_every_days`, expiring `tenor_days` later on a Friday 08:00 UTC grid.
    board_every_days: int = Field(default=7, ge=1, le=28)
    tenor_days: int = Field(default=14, ge=1, le=90)
    moneyness: tuple[float, ...] = (0.8, 0.9, 1.0, 1.1, 1.2)
    strike_step: float = Field(default=50.0, gt=0)
    # Agents.
    lps: int = Field(default=4, ge=1, le=50)
    lp_call_deposit: float = Field(default=100.0, gt=0)  # WETH each
    lp_put_deposit: float = Field(default=300_000.0, gt=0)  # USDC each
    lp_move_prob: float = Field(default=0.01, ge=0, le=1)  # per LP per step: deposit or withdraw a tenth
    traders: int = Field(default=20, ge=0, le=200)
    sellers: int = Field(default=4, ge=0)  # of the traders, those who sell options on margin
    seller_margin_weth: float = Field(default=1.5, gt=0)
    seller_margin_usdc: float = Field(default=4_000.0, gt=0)
    trade_prob: float = Field(default=0.05, ge=0, le=1)  # per trader per step
    close_prob: float = Field(default=0.3, ge=0, le=1)  # of a trade, that it closes a position
    max_amount: float = Field(default=2.0, ge=0.01, le=1000)  # options per trade, uniform from a tenth of it
    # Demand: a trader opening a position accepts an AMM edge over the mid up to its tolerance, in
    # vol terms (edge / (vega × vol): 0.1 = a vol 10% off the mid's), drawn per wish from an
    # exponential law of this mean (so it trades with probability exp(−edge / mean)); None: traders
    # ignore the price.
    edge_tolerance: float | None = Field(default=0.3, gt=0, le=100)
    # Protocol parameters (as deployed).
    half_spread: float = Field(default=0.02, ge=0, le=1)
    skew: float = Field(default=0.05, ge=0, le=1)
    base_fee: float = Field(default=0.0003, ge=0, le=0.05)
    utilisation_fee: float = Field(default=0.05, ge=0, le=1)
    max_utilisation: float = Field(default=0.95, gt=0, le=1)
    inventory_scale: float = Field(default=100.0, gt=0)
    spot_shock: float = Field(default=0.2, ge=0, lt=1)  # margin stress
    vol_shock: float = Field(default=0.5, ge=0, le=5)
    margin_floor: float = Field(default=0.1, ge=0, le=1)
    liquidation_penalty: float = Field(default=0.1, ge=0, le=0.5)
    liquidator_bonus: float = Field(default=0.05, ge=0, le=0.5)
    close_factor: float = Field(default=0.5, gt=0, le=1)
    trading_cutoff_s: int = Field(default=300, ge=0, le=86400)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.sellers > self.traders:
            raise ValueError(f"sellers ({self.sellers}) cannot exceed traders ({self.traders})")
        if self.liquidator_bonus > self.liquidation_penalty:
            raise ValueError("liquidator_bonus cannot exceed liquidation_penalty (the contract refuses it)")
        if self.board_every_days > self.tenor_days:
            raise ValueError("board_every_days must not exceed tenor_days: some days would have no board")
        if not self.moneyness or any(not 0.05 <= m <= 20 for m in self.moneyness):
            raise ValueError("moneyness: one or more strikes as fractions of spot, each within [0.05, 20]")
        if self.prices is not None and not self.prices.is_file():
            raise ValueError(f"prices file {self.prices} does not exist")
        return self

    @property
    def steps(self) -> int:
        return round(self.days * 24 / self.step_hours)

    @property
    def step_s(self) -> int:
        return round(self.step_hours * HOUR)

    @property
    def quote_params(self) -> QuoteParams:
        return QuoteParams(half_spread=self.half_spread, skew=self.skew, base_fee=self.base_fee,
                           utilisation_fee=self.utilisation_fee)

    def deploy_config(self) -> DeployConfig:
        """The contracts' parameters for this scenario (everything else at its default)."""
        return DeployConfig(
            half_spread_wad=_wad(self.half_spread), skew_wad=_wad(self.skew), base_fee_wad=_wad(self.base_fee),
            utilisation_fee_wad=_wad(self.utilisation_fee), max_utilisation_wad=_wad(self.max_utilisation),
            inventory_scale_wad=_wad(self.inventory_scale), spot_shock_wad=_wad(self.spot_shock),
            vol_shock_wad=_wad(self.vol_shock), margin_floor_wad=_wad(self.margin_floor),
            liquidation_penalty_wad=_wad(self.liquidation_penalty), liquidator_bonus_wad=_wad(self.liquidator_bonus),
            close_factor_wad=_wad(self.close_factor), trading_cutoff=self.trading_cutoff_s,
            timelock_delay=0,  # a local simulation: the admin's calls (keeper roles) run at once
            exit_fee_wad=0,  # the model has no exit fee: LP exits at the share price
        )


def _wad(value: float) -> int:
    return to_wad(repr(value))


def scenario_from(values: dict) -> Scenario:
    """Validate ``values``; ``InvalidInput`` with one line naming the field if one is wrong."""
    try:
        return Scenario(**values)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "scenario"
        raise InvalidInput(f"{where}: {first['msg']}") from None
