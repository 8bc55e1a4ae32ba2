"""A live market on Anvil: spot posted, one board listed with a surface, both vaults funded."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from optio.pricing.svi import SviParams
from optio.sdk.contracts import Client
from optio.sdk.deploy import DeployConfig, deploy_protocol
from optio.sdk.market import Market, Option, TradeKind
from optio.sdk.protocol import Protocol
from tests.helpers import call, now

WEEK = 7 * 24 * 3600
STRIKES = ("1800", "2000", "2200")
#: ATM vol ≈ 79% a week out, a put skew.
SURFACE = SviParams(a=0.01, b=0.02, rho=-0.3, m=0.0, sigma=0.1)


def warp(w3, seconds: int) -> None:
    """Move chain time forward by ``seconds`` and mine a block."""
    w3.provider.make_request("evm_increaseTime", [seconds])
    w3.provider.make_request("evm_mine", [])


@dataclass
class Live:
    protocol: object
    market: Market
    expiry: int
    keeper: object
    w3: object

    def option(self, strike: str, kind: str = "call") -> Option:
        return Option(self.expiry, Decimal(strike), kind == "call")

    def post_spot(self, price: str | Decimal) -> None:
        self.protocol.spot_oracle.post(self.keeper, price, now(self.w3))

    def post_surface(self, params: SviParams = SURFACE) -> None:
        """Post ``params`` (total variance for a week) scaled to the time left: constant vols."""
        f = (self.expiry - now(self.w3)) / WEEK
        scaled = SviParams(a=params.a * f, b=params.b * f, rho=params.rho, m=params.m, sigma=params.sigma)
        self.protocol.vol_oracle.post(self.keeper, self.expiry, scaled)

    def refresh(self, price: str | Decimal = "2000") -> None:
        """Fresh spot and surface after a warp."""
        self.post_spot(price)
        if self.expiry > now(self.w3):
            self.post_surface()

    def buy(self, signer, strike: str, kind: str, amount: str):
        return self.market.trade(signer, self.option(strike, kind), TradeKind.BUY, amount)


@pytest.fixture
def live(w3, protocol, keeper, alice) -> Live:
    return open_market(w3, protocol, keeper, alice)


def open_market(w3, protocol, keeper, alice) -> Live:
    """Spot 2000 posted, a board a week out listed with its surface, both vaults funded by alice."""
    expiry = now(w3) + WEEK
    market = protocol.market
    lv = Live(protocol, market, expiry, keeper, w3)
    lv.post_spot("2000")
    market.list_strikes(keeper, expiry, list(STRIKES))
    lv.post_surface()
    call_vault, put_vault = protocol.vault("call"), protocol.vault("put")
    call_vault.asset.faucet(alice, "100")
    put_vault.asset.faucet(alice, "1000000")
    call_vault.deposit(alice, "100")
    put_vault.deposit(alice, "1000000")
    return lv


def naive_protocol(w3, deployer, keeper, guardian, **replace: str) -> Protocol:
    """A second deployment with contracts replaced by naive versions (``SpotOracle=...``)."""
    config = DeployConfig(keeper=keeper.address, guardian=guardian.address, timelock_delay=0)
    return Protocol(w3, deploy_protocol(w3, deployer, config, save=False, replace=replace))


def naive_live(w3, deployer, keeper, guardian, alice, trader, **replace: str) -> Live:
    """``live`` on a deployment with the ``replace`` naive versions, ``trader`` funded as the
    ``trader`` fixture funds bob."""
    lv = open_market(w3, naive_protocol(w3, deployer, keeper, guardian, **replace), keeper, alice)
    _fund(lv, trader)
    return lv


def _fund(lv: Live, signer) -> None:
    lv.market.base.faucet(signer, "50")
    lv.market.quote_token.faucet(signer, "200000")


@pytest.fixture
def trader(bob, live):
    """bob with WETH and USDC in his wallet."""
    _fund(live, bob)
    return bob


# --- the OptionBook's totals against the full pass (test_book.py, test_book_adversary.py) ------


def book_pricer(live) -> Client:
    return Client(live.w3, live.protocol.deployment.address("OptionPricer"), artifact_name="OptionPricer")


def full_pass(live, is_call: bool, block="latest") -> tuple[int, int, int, int]:
    """The full pass over the side's live options (pricer.valuePage over book.bookEntries) at the
    latest spot: (liability, delta, vega, bought delta), collateral wad, at ``block``."""
    entries = live.market.book.contract.functions.bookEntries(is_call).call(block_identifier=block)
    spot = live.protocol.spot_oracle.contract.functions.latestPrice().call(block_identifier=block)[0]
    sums = book_pricer(live).contract.functions.valuePage(is_call, entries, spot).call(block_identifier=block)
    return tuple(sums[:4])


def stored_totals(live, is_call: bool) -> tuple[int, int, int, int]:
    """The side's stored totals: (liability, delta, vega, bought delta), collateral wad."""
    return tuple(call(live.market.book, "bookTotals", is_call)[:4])


def close_to(a: tuple, b: tuple, rel: float = 1e-5) -> bool:
    """Each of ``a`` within ``rel`` (and 10 wei) of ``b``'s."""
    return all(abs(x - y) <= abs(y) * rel + 10 for x, y in zip(a, b, strict=True))


# --- two markets on one Anvil (test_markets.py, test_markets_adversary.py) -----------------------

ETH, BTC = "WETH/USDC", "WBTC/USDC"
#: Each market's spot and strikes (a board at the money and 10% either side).
PRICES = {ETH: Decimal(2000), BTC: Decimal(60000)}


@pytest.fixture(scope="module")
def deployment(w3, deployer, keeper, guardian):
    """One deployment of two markets, WETH/USDC and WBTC/USDC (not saved)."""
    from optio.sdk.deploy import WBTC_MARKET

    config = DeployConfig(keeper=keeper.address, guardian=guardian.address, timelock_delay=0,
                          extra_markets=(WBTC_MARKET,))
    return deploy_protocol(w3, deployer, config, save=False)


def open_market_of(w3, protocol: Protocol, keeper, alice, bob) -> Live:
    """``protocol``'s market at its own spot: a board a week out (at the money and 10% either
    side) with its surface, both vaults funded by alice, bob funded and approving the market."""
    spot = PRICES[protocol.market_name]
    live = Live(protocol, protocol.market, now(w3) + WEEK, keeper, w3)
    live.post_spot(spot)
    protocol.market.list_strikes(keeper, live.expiry, [str(spot * Decimal(f)) for f in ("0.9", "1", "1.1")])
    live.post_surface(SURFACE)
    base, quote = protocol.vault("call"), protocol.vault("put")
    base.asset.faucet(alice, "100")
    quote.asset.faucet(alice, "10000000")
    base.deposit(alice, "100")
    quote.deposit(alice, "10000000")
    market = protocol.market
    market.base.faucet(bob, "50")
    market.quote_token.faucet(bob, "2000000")
    market.base.approve_units(bob, market.address, 2**255)
    market.quote_token.approve_units(bob, market.address, 2**255)
    return live


@pytest.fixture
def both(w3, deployment, keeper, alice, bob) -> dict[str, Live]:
    """Both markets of ``deployment`` open (``open_market_of``), by name."""
    return {name: open_market_of(w3, Protocol(w3, deployment.for_market(name)), keeper, alice, bob)
            for name in (ETH, BTC)}
