"""The protocol as the invariant machine sees it: deployed on a real Anvil by ``deploy_protocol``
(the production path), boards listed, oracles posted, users funded; then read as plain numbers.

Everything here is integers as the contracts hold them: wad prices and option amounts, token
units (WETH 18 decimals, USDC 6) for balances.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

from web3 import Web3

from optio.pricing.oracle_units import svi_to_wad
from optio.pricing.svi import SviParams
from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.deploy import DeployConfig, deploy_protocol
from tests.fuzz.chain import AnvilChain, Contract, RevmChain

WAD = 10**18
DAY = 86400
WEEK = 7 * DAY
MAX_UINT = 2**256 - 1
SPOT0 = 2000 * WAD
#: A week's total-variance slice (ATM vol ≈ 79%, a put skew), scaled to the time left.
WEEK_SURFACE = SviParams(a=0.01, b=0.02, rho=-0.3, m=0.0, sigma=0.1)
#: Strikes of a new board, as fractions of spot.
MONEYNESS = (Fraction(85, 100), Fraction(1), Fraction(115, 100))
USERS = 5  # dev accounts 1..5 are LPs, traders and liquidators at once
SETUP_WETH = 2_000 * WAD
SETUP_USDC = 5_000_000 * 10**6
SEED_WETH = 300 * WAD  # each user's first deposit in the call vault
SEED_USDC = 600_000 * 10**6


@dataclass
class System:
    """The deployed contracts on one chain, and the actors."""

    chain: RevmChain | AnvilChain
    addresses: dict[str, str]
    keeper: str
    users: list[str]
    weth: Contract = field(init=False)
    usdc: Contract = field(init=False)
    vaults: dict[bool, Contract] = field(init=False)  # isCall → vault
    market: Contract = field(init=False)
    book: Contract = field(init=False)
    pricer: Contract = field(init=False)
    margin: Contract = field(init=False)
    token: Contract = field(init=False)
    spot: Contract = field(init=False)
    vol: Contract = field(init=False)

    def __post_init__(self) -> None:
        a, c = self.addresses, self.chain
        self.weth = Contract(c, a["WETH"], "MockERC20")
        self.usdc = Contract(c, a["USDC"], "MockERC20")
        self.vaults = {True: Contract(c, a["CallVault"], "CallVault"), False: Contract(c, a["PutVault"], "PutVault")}
        self.market = Contract(c, a["OptionMarket"], "OptionMarket")
        self.book = Contract(c, a["OptionBook"], "OptionBook")
        self.pricer = Contract(c, self.market.call("pricer"), "OptionPricer")
        self.margin = Contract(c, a["MarginAccount"], "MarginAccount")
        self.token = Contract(c, a["OptionToken"], "OptionToken")
        self.spot = Contract(c, a["SpotOracle"], "SpotOracle")
        self.vol = Contract(c, a["VolOracle"], "VolOracle")

    def on(self, chain: RevmChain | AnvilChain) -> System:
        """The same deployment on another chain holding the same state."""
        return System(chain, self.addresses, self.keeper, self.users)

    def asset(self, is_call: bool) -> Contract:
        return self.weth if is_call else self.usdc

    @property
    def holders(self) -> list[str]:
        """Every address that can hold a token in the system (conservation is over these)."""
        a = self.addresses
        contracts = [a[k] for k in ("CallVault", "PutVault", "OptionMarket", "MarginAccount")]
        return [*self.users, self.keeper, *contracts]

    # Keeper actions, shared by the set-up and the machine.

    def post_spot(self, price_wad: int) -> None:
        self.spot.send(self.keeper, "post", price_wad, self.chain.now)

    def post_surface(self, expiry: int, vol_scale: float) -> None:
        """The week surface scaled to the time left, vols multiplied by ``vol_scale``."""
        f = (expiry - self.chain.now) / WEEK * vol_scale**2
        p = WEEK_SURFACE
        params = SviParams(a=p.a * f, b=p.b * f, rho=p.rho, m=p.m, sigma=p.sigma)
        self.vol.send(self.keeper, "post", expiry, svi_to_wad(params))

    def list_board(self, expiry: int, spot_wad: int) -> list[int]:
        """Lists strikes around spot (rounded to 10 quote units); returns their wad strikes."""
        strikes = sorted({int(spot_wad * m) // (10 * WAD) * 10 * WAD for m in MONEYNESS})
        self.market.send(self.keeper, "listStrikes", expiry, strikes)
        return strikes

    # Reads.

    @cached_property
    def _virtual_shares(self) -> dict[bool, int]:
        """10^offset per vault (the decimals are immutable: read once)."""
        return {side: 10 ** (v.call("decimals") - self.asset(side).call("decimals")) for side, v in self.vaults.items()}

    def share_value(self, is_call: bool, total_assets: int) -> Fraction:
        """Assets per share at ``total_assets`` (the vault's mark, which the caller has read), as
        ERC-4626 converts: virtual shares and asset included."""
        supply = self.vaults[is_call].call("totalSupply")
        return Fraction(total_assets + 1, supply + self._virtual_shares[is_call])

    def collateral(self, user: str, is_call: bool) -> int:
        """``user``'s margin collateral on one side, token units."""
        return self.margin.call("callCollateral" if is_call else "putCollateral", user)

    def bad_debt(self, is_call: bool) -> int:
        return self.margin.call("callBadDebt" if is_call else "putBadDebt")


def deploy_on_anvil(w3: Web3) -> tuple[System, dict]:
    """Deploys the protocol (the production script), lists two boards with surfaces, funds and
    approves every user and seeds both vaults. Returns the system and ``{expiry: strikes}``."""
    deployer = LocalSigner(dev_account(0))
    # Exposure limits the random trades reach (the production ones they never would), so that the
    # exposure invariant (machine._check_exposure) and the limit checks are fuzzed.
    limits = DeployConfig(max_net_delta_wad=30 * WAD, max_net_vega_wad=3_000 * WAD)
    deployment = deploy_protocol(w3, deployer, limits, save=False)
    addresses = {k: r.address for k, r in deployment.contracts.items()}
    users = [dev_account(i).address for i in range(1, USERS + 1)]
    s = System(AnvilChain(w3), addresses, deployer.address, users)
    s.post_spot(SPOT0)
    boards = {}
    for days in (2, 6):
        expiry = s.chain.now + days * DAY
        boards[expiry] = s.list_board(expiry, SPOT0)
        s.post_surface(expiry, 1.0)
    spenders = [addresses[k] for k in ("CallVault", "PutVault", "OptionMarket", "MarginAccount")]
    for user in users:
        for token, amount in ((s.weth, SETUP_WETH), (s.usdc, SETUP_USDC)):
            token.send(user, "faucet", amount)
            for spender in spenders:
                token.send(user, "approve", spender, MAX_UINT)
        s.vaults[True].send(user, "deposit", SEED_WETH, user)
        s.vaults[False].send(user, "deposit", SEED_USDC, user)
        s.margin.send(user, "deposit", True, SEED_WETH // 10)
        s.margin.send(user, "deposit", False, SEED_USDC // 10)
    return s, boards


def revm_copy(anvil: System) -> System:
    """The Anvil system's exact state (code, storage, balances, time) in revm."""
    chain = anvil.chain
    assert isinstance(chain, AnvilChain)
    latest = chain.w3.eth.get_block("latest")
    return anvil.on(RevmChain(chain.dump(), latest["timestamp"], latest["number"]))
