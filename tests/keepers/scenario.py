"""A market with margin shorts for keeper tests: one board (spot 2000), LPs in both vaults,
put sellers at the edge of their requirement and a call holder."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from optio.pricing.svi import SviParams
from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.market import Option, TradeKind

DAY = 86400
SURFACE_WEEK = SviParams(a=0.01, b=0.02, rho=-0.3, m=0.0, sigma=0.1)


@dataclass
class Scenario:
    expiry: int
    sellers: list
    holder: object
    put: Option
    call: Option


def now(w3) -> int:
    return w3.eth.get_block("latest")["timestamp"]


def post_spot(protocol, keeper, price: str) -> None:
    w3 = protocol.w3
    w3.provider.make_request("evm_increaseTime", [2])
    w3.provider.make_request("evm_mine", [])
    protocol.spot_oracle.post(keeper, price, now(w3))


def surface_at(expiry: int, t: int) -> SviParams:
    """SURFACE_WEEK's vols as the slice of ``expiry`` posted at ``t`` (a and b scaled by the
    tenor over 7 days)."""
    f = (expiry - t) / (7 * DAY)
    s = SURFACE_WEEK
    return SviParams(a=s.a * f, b=s.b * f, rho=s.rho, m=s.m, sigma=s.sigma)


def post_surfaces(protocol, keeper) -> None:
    """The vol keeper's re-post of every listed board still ahead at the same (SURFACE_WEEK's)
    vols, in a block 2 s on: later than any LP request before it, which a fill then serves (a
    fill serves only requests made before every surface post of its mark, round B3)."""
    w3 = protocol.w3
    w3.provider.make_request("evm_increaseTime", [2])
    w3.provider.make_request("evm_mine", [])
    t = now(w3)
    for expiry in protocol.market.expiries():
        if expiry > t + 1:  # the post lands a second on at the earliest
            protocol.vol_oracle.post(keeper, expiry, surface_at(expiry, t))


def build(protocol, keeper, *, sellers: int = 3, tenor: int = 2 * DAY) -> Scenario:
    w3 = protocol.w3
    m = protocol.market
    post_spot(protocol, keeper, "2000")
    expiry = now(w3) + tenor
    m.list_strikes(keeper, expiry, ["1800", "2000", "2200"])
    protocol.vol_oracle.post(keeper, expiry, surface_at(expiry, now(w3)))
    lp = LocalSigner(dev_account(1))
    for kind, amount in (("call", "200"), ("put", "1000000")):
        protocol.vault(kind).asset.faucet(lp, amount)
        protocol.vault(kind).deposit(lp, amount)
    put, call = Option(expiry, Decimal("2000"), False), Option(expiry, Decimal("1800"), True)
    traders = [LocalSigner(dev_account(20 + i)) for i in range(sellers)]
    holder = LocalSigner(dev_account(30))
    for acct in [*traders, holder]:
        w3.provider.make_request("anvil_setBalance", [acct.address, hex(10**20)])
    for tr in traders:
        m.quote_token.faucet(tr, "100000")
        protocol.margin.deposit(tr, False, "4650")  # 10 puts at K 2000: just above the requirement
        m.trade(tr, put, TradeKind.SELL, "10")
    m.base.faucet(holder, "10")
    m.trade(holder, call, TradeKind.BUY, "2")
    return Scenario(expiry, traders, holder, put, call)
