"""Typed clients for the deployed contracts. Amounts at this interface are human ``Decimal``s
in the token's own unit (USDC, WETH) unless a name says ``_units`` or ``_wad``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError, MismatchedABI
from web3.types import TxReceipt

from optio.pricing.oracle_units import svi_from_wad, svi_to_wad
from optio.pricing.svi import SviParams
from optio.sdk.artifacts import artifact
from optio.sdk.chain import Signer, revert_of, transact
from optio.sdk.errors import ContractRevert, InsufficientBalance, InvalidInput
from optio.sdk.units import from_units, from_wad, parse_amount, to_units, to_wad

VAULT_KEYS = {"call": "CallVault", "put": "PutVault"}
REQUEST_STATUS = ("none", "pending", "claimable", "claimed", "cancelled")


class Client:
    """A contract at ``address`` with the ABI of ``artifact_name``."""

    artifact_name: str = ""

    def __init__(self, w3: Web3, address: str, *, artifact_name: str | None = None):
        self.w3 = w3
        self.address = Web3.to_checksum_address(address)
        abi = artifact(artifact_name or self.artifact_name).abi
        self.contract: Contract = w3.eth.contract(address=self.address, abi=abi)
        # Structs come back as named tuples here, so typed reads take fields by name and a
        # reordered struct field cannot give a wrong number silently. Only for functions whose
        # outputs are structs: web3 keys decoded tuples by output name, so several unnamed
        # outputs would collapse into one.
        self._structs: Contract = w3.eth.contract(address=self.address, abi=abi, decode_tuples=True)

    def transact(self, signer: Signer, fn: str, *args: object, action: str | None = None,
                 token: Token | None = None, wads: bool = True) -> TxReceipt:
        """Send ``fn(*args)`` through ``optio.sdk.chain.transact`` (simulated first). A revert's
        token amounts read in ``token``'s units when given (``ContractRevert.in_token``)."""
        data = self.contract.encode_abi(fn, args=list(args))
        try:
            return transact(self.w3, signer, self.address, data, action=action or fn)
        except ContractRevert as err:
            if token is None:
                raise
            raise err.in_token(token.symbol, token.decimals, wads=wads) from None

    def call(self, fn: str, *args: object):
        """Read-only call; a revert raises the decoded ``ContractRevert``."""
        try:
            return getattr(self.contract.functions, fn)(*args).call()
        except (ContractCustomError, ContractPanicError, ContractLogicError) as err:
            raise revert_of(err, fn) from None

    def role_id(self, role: str) -> bytes:
        """The AccessControl id (bytes32) of the role named ``role`` (e.g. ``"KEEPER_ROLE"``)."""
        return bytes(self.call(role))

    def call_struct(self, fn: str, *args: object):
        """Read-only call of a function that returns a struct (or an array of them): fields by
        name (``r.maxAge``); a revert raises the decoded ``ContractRevert``."""
        try:
            return getattr(self._structs.functions, fn)(*args).call()
        except (ContractCustomError, ContractPanicError, ContractLogicError) as err:
            raise revert_of(err, fn) from None

    def has_role(self, role: str, account: str) -> bool:
        """Whether ``account`` holds the AccessControl role named ``role`` (e.g. ``"POSTER_ROLE"``;
        ``"DEFAULT_ADMIN_ROLE"`` too)."""
        return bool(self.call("hasRole", self.role_id(role), account))

    def paused(self) -> bool:
        """Pausable contracts: whether paused now."""
        return bool(self.call("paused"))


class Token(Client):
    artifact_name = "MockERC20"

    @cached_property
    def decimals(self) -> int:
        return self.call("decimals")

    @cached_property
    def symbol(self) -> str:
        return self.call("symbol")

    def balance_units(self, owner: str) -> int:
        return self.call("balanceOf", owner)

    def balance(self, owner: str) -> Decimal:
        return from_units(self.balance_units(owner), self.decimals)

    def approve_units(self, signer: Signer, spender: str, units: int) -> TxReceipt:
        return self.transact(signer, "approve", spender, units, action=f"approve {self.symbol}")

    def faucet(self, signer: Signer, amount: Decimal | str) -> TxReceipt:
        """Mint test tokens to the signer (local mock tokens only)."""
        units = to_units(amount, self.decimals)
        return self.transact(signer, "faucet", units, action=f"faucet {self.symbol}")


@dataclass(frozen=True)
class RedeemRequestView:
    request_id: int
    controller: str
    status: str
    shares: Decimal
    assets: Decimal


@dataclass(frozen=True)
class DepositPreview:
    """What a deposit of ``assets`` would mint now (no fee on entry)."""

    assets: Decimal
    shares: Decimal
    asset_symbol: str


@dataclass(frozen=True)
class _ExitPlan:
    """An exit as the vault will see it, raw units: redeem ``redeem_shares`` (a whole exit) or
    withdraw ``withdraw_units`` of the asset now, then queue ``queued_shares``."""

    redeem_shares: int = 0
    withdraw_units: int = 0
    queued_shares: int = 0


@dataclass(frozen=True)
class WithdrawPreview:
    """What a withdrawal would do now, in the asset's (and share's) human units: ``assets_now``
    paid at once for ``shares_now`` after ``fee`` (the exit fee, the protocol's), and
    ``shares_queued`` put in the redeem queue (worth about ``assets_queued`` at today's price)."""

    assets_now: Decimal
    shares_now: Decimal
    fee: Decimal
    shares_queued: Decimal
    assets_queued: Decimal
    asset_symbol: str


@dataclass(frozen=True)
class VaultEffects:
    """What mined vault transactions did, read from their events (human units): assets paid out
    and shares burnt by withdrawals, requests queued (id, shares), claims paid (id, assets) and
    requests cancelled (id, shares returned)."""

    assets_paid: Decimal
    shares_burnt: Decimal
    shares_minted: Decimal
    queued: tuple[tuple[int, Decimal], ...]
    claimed: tuple[tuple[int, Decimal], ...]
    cancelled: tuple[tuple[int, Decimal], ...]


@dataclass(frozen=True)
class VaultSummary:
    """A vault's totals in its asset's human units (shares in share units); ``utilisation`` is
    locked over gross assets, a fraction (0.5 = 50%)."""

    asset_symbol: str
    total_assets: Decimal
    total_shares: Decimal
    share_price: Decimal  # assets per share
    locked: Decimal
    free_liquidity: Decimal
    utilisation: Decimal
    paused: bool


@dataclass(frozen=True)
class VaultBalances:
    """Total assets (marked), shares, locked and idle assets (the vault's token balance less what
    its queue is owed), in the asset's (and share's) human units."""

    total_assets: Decimal
    total_shares: Decimal
    locked: Decimal
    idle: Decimal


@dataclass(frozen=True)
class VaultStatus:
    """A vault as seen by one LP; amounts in asset (or share) human units."""

    name: str
    symbol: str
    asset_symbol: str
    total_assets: Decimal
    total_shares: Decimal
    share_price: Decimal  # assets per share
    free_liquidity: Decimal
    locked: Decimal
    claimable_total: Decimal
    pending_shares: Decimal
    deposit_cap: Decimal
    paused: bool
    owner_shares: Decimal
    owner_assets: Decimal
    owner_max_withdraw: Decimal
    owner_wallet: Decimal
    owner_requests: tuple[RedeemRequestView, ...]


class Vault(Client):
    artifact_name = "OptioVault"

    def __init__(self, w3: Web3, address: str, *, from_block: int = 0):
        """``from_block``: where event scans start (the deployment block, not genesis)."""
        super().__init__(w3, address)
        self.from_block = from_block

    @cached_property
    def asset(self) -> Token:
        return Token(self.w3, self.call("asset"))

    def transact(self, signer: Signer, fn: str, *args: object, action: str | None = None,
                 token: Token | None = None, wads: bool = False) -> TxReceipt:
        """As ``Client.transact``; a revert's asset amounts in the vault's asset."""
        return super().transact(signer, fn, *args, action=action, token=token or self.asset, wads=wads)

    @cached_property
    def share_decimals(self) -> int:
        return self.call("decimals")

    def _asset_units(self, amount: Decimal | str, name: str = "amount") -> int:
        value = parse_amount(amount, name=name)
        if value <= 0:
            raise InvalidInput(f"{name} must be positive, got {value}")
        return to_units(value, self.asset.decimals, name=name)

    def _assets(self, units: int) -> Decimal:
        return from_units(units, self.asset.decimals)

    def _shares(self, units: int) -> Decimal:
        return from_units(units, self.share_decimals)

    # --- LP actions -------------------------------------------------------------------------

    def deposit(self, signer: Signer, amount: Decimal | str) -> TxReceipt:
        """Deposit ``amount`` of the asset (approving exactly that much first if needed)."""
        units = self._asset_units(amount)
        balance = self.asset.balance_units(signer.address)
        if units > balance:
            raise InsufficientBalance(
                f"deposit of {amount} {self.asset.symbol} exceeds the wallet balance of {self._assets(balance)}"
            )
        if self.call("paused"):
            raise InvalidInput(f"{self.call('symbol')} is paused: deposits are stopped (withdrawals are not)")
        room = self.call("maxDeposit", signer.address)
        if units > room:
            raise InvalidInput(
                f"deposit of {amount} {self.asset.symbol} exceeds the deposit cap room of {self._assets(room)}"
            )
        if self.asset.call("allowance", signer.address, self.address) < units:
            self.asset.approve_units(signer, self.address, units)
        return self.transact(signer, "deposit", units, signer.address, action="deposit")

    def withdraw(self, signer: Signer, amount: Decimal | str | None, *, queue_rest: bool = False) -> list[TxReceipt]:
        """Withdraw ``amount`` of the asset (``None``: everything).

        What free liquidity allows leaves at once; the rest is queued (``requestRedeem``) if
        ``queue_rest``, else ``InvalidInput`` says how much is available now and nothing is sent.
        """
        plan = self._plan_exit(signer.address, amount, queue_rest)
        me = signer.address
        receipts: list[TxReceipt] = []
        if plan.redeem_shares:
            receipts.append(self.transact(signer, "redeem", plan.redeem_shares, me, me, action="redeem"))
        if plan.withdraw_units:
            receipts.append(self.transact(signer, "withdraw", plan.withdraw_units, me, me, action="withdraw"))
        if plan.queued_shares:  # at most what is left: the instant part burnt what it burnt when mined
            receipts.append(self.request_redeem_shares(signer, min(plan.queued_shares, self.call("balanceOf", me))))
        return receipts

    def _plan_exit(self, owner: str, amount: Decimal | str | None, queue_rest: bool) -> _ExitPlan:
        """What an exit of ``amount`` (``None``: everything) does now: the one rule behind
        :meth:`withdraw` and :meth:`preview_withdraw`. Raises as the withdrawal would."""
        shares_held = self.call("balanceOf", owner)
        if shares_held == 0:
            raise InsufficientBalance(f"{owner} holds no {self.call('symbol')} shares")
        max_withdraw = self.call("maxWithdraw", owner)
        if amount is None:
            shares_now = self._redeemable_now(owner, shares_held)
            rest = shares_held - shares_now
            if rest and not queue_rest:
                raise InvalidInput(self._only_available(max_withdraw))
            return _ExitPlan(redeem_shares=shares_now, queued_shares=rest)
        units = self._asset_units(amount)
        owned = self.call("previewRedeem", shares_held)
        if units > owned:
            raise InsufficientBalance(
                f"withdrawal of {amount} exceeds the position of {self._assets(owned)} {self.asset.symbol}"
            )
        if units <= max_withdraw:
            return _ExitPlan(withdraw_units=units)
        if not queue_rest:
            raise InvalidInput(self._only_available(max_withdraw))
        shares_now = self.call("previewWithdraw", max_withdraw) if max_withdraw else 0
        rest = min(self.call("previewWithdraw", units - max_withdraw), shares_held - shares_now)
        return _ExitPlan(withdraw_units=max_withdraw, queued_shares=rest)

    def _redeemable_now(self, owner: str, shares_held: int) -> int:
        """Shares to redeem at once in a whole exit: ``maxRedeem``, less 0.1% when free liquidity
        caps it. The cap moves with the options' mark, which moves with the clock: redeeming the
        cap exactly, read at one block, reverts in the next (``ERC4626ExceededMaxRedeem``); the
        0.1% goes to the queue with the rest."""
        shares_now = self.call("maxRedeem", owner)
        return shares_now if shares_now >= shares_held else shares_now * 999 // 1000

    def _only_available(self, max_withdraw: int) -> str:
        return (
            f"only {self._assets(max_withdraw)} {self.asset.symbol} can be withdrawn now (the rest backs open "
            "options or queued requests): pass --queue to queue the rest"
        )

    def preview_deposit(self, amount: Decimal | str) -> DepositPreview:
        """Shares a deposit of ``amount`` would mint now (nothing sent)."""
        units = self._asset_units(amount)
        return DepositPreview(self._assets(units), self._shares(self.call("previewDeposit", units)), self.asset.symbol)

    def preview_withdraw(self, owner: str, amount: Decimal | str | None, *,
                         queue_rest: bool = False) -> WithdrawPreview:
        """What :meth:`withdraw` would do for ``owner`` now (nothing sent): raises as it would."""
        plan = self._plan_exit(owner, amount, queue_rest)
        if plan.withdraw_units:
            assets_now, shares_now = plan.withdraw_units, self.call("previewWithdraw", plan.withdraw_units)
        else:
            shares_now = plan.redeem_shares
            assets_now = self.call("previewRedeem", shares_now) if shares_now else 0
        rest = plan.queued_shares
        gross_now = self.call("convertToAssets", shares_now) if shares_now else 0
        return WithdrawPreview(
            assets_now=self._assets(assets_now),
            shares_now=self._shares(shares_now),
            fee=self._assets(max(gross_now - assets_now, 0)),
            shares_queued=self._shares(rest),
            assets_queued=self._assets(self.call("previewRedeem", rest) if rest else 0),
            asset_symbol=self.asset.symbol,
        )

    def effects(self, receipts: list[TxReceipt]) -> VaultEffects:
        """What ``receipts`` (this vault's transactions) did, from the vault's events."""
        events = self.contract.events
        paid = burnt = minted = 0
        queued, claimed, cancelled = [], [], []
        for receipt in receipts:
            for log in receipt["logs"]:
                if Web3.to_checksum_address(log["address"]) != self.address:
                    continue
                for event in (events.Withdraw, events.Deposit, events.RedeemRequest, events.RedeemClaimed,
                              events.RedeemCancelled):
                    try:
                        args = event().process_log(log)["args"]
                    except MismatchedABI:  # another event of this vault
                        continue
                    name = event.event_name
                    if name == "Withdraw":
                        paid += args["assets"]
                        burnt += args["shares"]
                    elif name == "Deposit":
                        minted += args["shares"]
                    elif name == "RedeemRequest":
                        queued.append((int(args["requestId"]), self._shares(args["shares"])))
                    elif name == "RedeemClaimed":
                        claimed.append((int(args["requestId"]), self._assets(args["assets"])))
                    else:
                        cancelled.append((int(args["requestId"]), self._shares(args["shares"])))
                    break
        return VaultEffects(self._assets(paid), self._shares(burnt), self._shares(minted), tuple(queued),
                            tuple(claimed), tuple(cancelled))

    def cancel_request(self, signer: Signer, request_id: int) -> TxReceipt:
        """Cancel the signer's pending redeem request ``request_id`` (its shares come back)."""
        mine = {r.request_id: r for r in self.requests_of(signer.address)}
        if request_id not in mine:
            ids = ", ".join(f"#{i} ({r.status})" for i, r in mine.items()) or "none"
            raise InvalidInput(f"request #{request_id} is not one of {signer.address}'s (yours: {ids})")
        if mine[request_id].status != "pending":
            status = mine[request_id].status
            raise InvalidInput(f"request #{request_id} is {status}: only a pending one can be cancelled")
        return self.transact(signer, "cancelRedeemRequest", request_id, action="cancelRedeemRequest")

    def request_redeem_shares(self, signer: Signer, shares: int) -> TxReceipt:
        if shares <= 0:
            raise InvalidInput("shares to queue must be positive")
        return self.transact(signer, "requestRedeem", shares, signer.address, signer.address, action="requestRedeem")

    def claim_all(self, signer: Signer) -> list[TxReceipt]:
        """Claim every fulfilled request of the signer; ``InvalidInput`` if there is none."""
        mine = self.requests_of(signer.address)
        served: list[TxReceipt] = []
        if any(r.status == "pending" for r in mine) and self.requests_to_serve(50):
            # The queue can be served now (anyone may): serve it rather than wait for a keeper.
            served.append(self.serve_queue(signer))
            mine = self.requests_of(signer.address)
        claimable = [r for r in mine if r.status == "claimable"]
        if not claimable:
            pending = [f"#{r.request_id} ({r.shares} shares)" for r in mine if r.status == "pending"]
            why = (f": {', '.join(pending)} still queued, waiting for free liquidity (options to expire or "
                   "deposits)") if pending else ""
            raise InvalidInput(f"{signer.address} has no claimable redeem request{why}")
        return served + [self.transact(signer, "claim", r.request_id, signer.address, action="claim")
                         for r in claimable]

    def serve_queue(self, signer: Signer, max_requests: int = 50) -> TxReceipt:
        return self.transact(signer, "serveQueue", max_requests, action="serveQueue")

    # --- views ------------------------------------------------------------------------------

    def requests_of(self, controller: str) -> list[RedeemRequestView]:
        """Requests whose controller is ``controller``, from the RedeemRequest events."""
        logs = self.contract.events.RedeemRequest.get_logs(
            from_block=self.from_block, argument_filters={"controller": Web3.to_checksum_address(controller)}
        )
        views = []
        for log in logs:
            rid = log["args"]["requestId"]
            r = self.call_struct("redeemRequest", rid)
            views.append(RedeemRequestView(rid, r.controller, REQUEST_STATUS[r.status], self._shares(r.shares),
                                           self._assets(r.assets)))
        return views

    def utilisation(self) -> Decimal:
        """Locked over gross assets, a fraction (0.5 = 50%)."""
        return from_wad(self.call("utilisation"))

    def summary(self) -> VaultSummary:
        c = self.call
        return VaultSummary(
            asset_symbol=self.asset.symbol,
            total_assets=self._assets(c("totalAssets")),
            total_shares=self._shares(c("totalSupply")),
            share_price=self._assets(c("convertToAssets", 10**self.share_decimals)),
            locked=self._assets(c("lockedAssets")),
            free_liquidity=self._assets(c("freeLiquidity")),
            utilisation=self.utilisation(),
            paused=bool(c("paused")),
        )

    def balances(self) -> VaultBalances:
        """Totals the backtest follows each step (four reads, fewer than :meth:`summary`)."""
        c = self.call
        idle = self.asset.balance_units(self.address) - c("claimableAssets")
        return VaultBalances(self._assets(c("totalAssets")), self._shares(c("totalSupply")),
                             self._assets(c("lockedAssets")), self._assets(idle))

    def max_withdraw(self, owner: str) -> Decimal:
        """Assets ``owner`` can withdraw now (ERC-4626 ``maxWithdraw``)."""
        return self._assets(self.call("maxWithdraw", owner))

    def protocol_fees(self) -> Decimal:
        """Exit fees set aside for the protocol (IOptioVault.protocolFees), asset units as Decimal."""
        return self._assets(self.call("protocolFees"))

    def shares_of(self, owner: str) -> Decimal:
        return self._shares(self.call("balanceOf", owner))

    def requests_to_serve(self, max_requests: int) -> int:
        """How many queued redeem requests ``serveQueue(max_requests)`` would fill now (a
        simulation; 0 when the queue is empty or the next request does not fit)."""
        if self.call("queueHead") >= self.call("queueLength"):
            return 0
        return int(self.call("serveQueue", max_requests))

    def status(self, owner: str) -> VaultStatus:
        c = self.call
        total_assets, total_shares = c("totalAssets"), c("totalSupply")
        one_share = 10**self.share_decimals
        owner_shares = c("balanceOf", owner)
        return VaultStatus(
            name=c("name"),
            symbol=c("symbol"),
            asset_symbol=self.asset.symbol,
            total_assets=self._assets(total_assets),
            total_shares=self._shares(total_shares),
            share_price=self._assets(c("convertToAssets", one_share)),
            free_liquidity=self._assets(c("freeLiquidity")),
            locked=self._assets(c("lockedAssets")),
            claimable_total=self._assets(c("claimableAssets")),
            pending_shares=self._shares(c("pendingShares")),
            deposit_cap=self._assets(c("depositCap")),
            paused=c("paused"),
            owner_shares=self._shares(owner_shares),
            owner_assets=self._assets(c("previewRedeem", owner_shares)),
            owner_max_withdraw=self._assets(c("maxWithdraw", owner)),
            owner_wallet=self.asset.balance(owner),
            owner_requests=tuple(self.requests_of(owner)),
        )


@dataclass(frozen=True)
class Feed:
    """What an oracle read found: the value (None if never posted), when it was posted (Unix s,
    None if never) and whether the oracle serves it now (False: stale or missing)."""

    value: object
    updated_at: int | None
    fresh: bool


def _feed(read, *args) -> Feed:
    """``read(*args) -> (value, updated_at)``, or a stale/missing revert turned into a Feed."""
    try:
        value, updated_at = read(*args)
    except ContractRevert as err:
        if "updatedAt" in err.args_by_name:  # StalePrice / StaleSurface carry the last update
            return Feed(None, int(err.args_by_name["updatedAt"]), False)
        if err.name in ("NoPrice", "NoSurface"):
            return Feed(None, None, False)
        raise
    return Feed(value, int(updated_at), True)


@dataclass(frozen=True)
class SpotOracleConfig:
    """ISpotOracle.Config in named units: seconds, and the largest jump a fraction (0.25 = 25%)."""

    max_age_s: int
    settlement_window_s: int
    settlement_grace_s: int
    max_jump: Decimal
    jump_window_s: int


class SpotOracle(Client):
    artifact_name = "SpotOracle"

    def config(self) -> SpotOracleConfig:
        c = self.call_struct("config")
        return SpotOracleConfig(c.maxAge, c.settlementWindow, c.settlementGrace, from_wad(c.maxJumpWad), c.jumpWindow)

    def latest_round(self) -> tuple[Decimal, int]:
        """Chainlink's ``latestRoundData`` as (price in quote units per base, updatedAt Unix s);
        reverts (``ContractRevert``: StalePrice, NoPrice) as the chain does."""
        _, answer, _, updated_at, _ = self.call("latestRoundData")
        return from_wad(answer), int(updated_at)

    def pending_expiries(self) -> list[int]:
        """Registered expiries (Unix s) still waiting for a settlement price."""
        return [int(e) for e in self.call("pendingExpiries")]

    def is_settled(self, expiry: int) -> bool:
        return bool(self.call("isSettled", expiry))

    def settlement_price(self, expiry: int) -> Decimal:
        """The recorded settlement price of ``expiry`` (quote per base); reverts if none yet."""
        return from_wad(self.call("settlementPrice", expiry)[0])

    def post(self, signer: Signer, price: Decimal | str, timestamp: int) -> TxReceipt:
        """Post ``price`` (quote per base, human units) observed at ``timestamp`` (Unix s)."""
        return self.transact(signer, "post", to_wad(price, name="price"), timestamp, action="post price")

    def register_expiry(self, signer: Signer, expiry: int) -> TxReceipt:
        return self.transact(signer, "registerExpiry", expiry, action="registerExpiry")

    def feed(self) -> Feed:
        """The latest price (quote units per base, ``Decimal``) with its freshness; never raises
        for a stale or missing price."""
        feed = _feed(self.call, "latestPrice")
        return feed if feed.value is None else Feed(from_wad(feed.value), feed.updated_at, True)

    def latest_price(self) -> tuple[Decimal, int]:
        """(price, updatedAt); reverts on the chain (``ContractRevert``) if stale or missing."""
        price_wad, updated_at = self.call("latestPrice")
        return from_wad(price_wad), updated_at


def held_surface(params: SviParams, posted_at: int, expiry: int, t: int) -> SviParams:
    """What ``VolOracle.getParams`` serves at time ``t`` (Unix s) for the slice ``params`` posted
    at ``posted_at``: a and b scaled by τ_now/τ_post, so that √(w/τ_now) gives the posted vols
    until the next post (the contract truncates the scaled wads towards zero: ≤ 1 wei)."""
    if t <= posted_at:
        return params
    f = (expiry - t) / (expiry - posted_at)
    return SviParams(a=params.a * f, b=params.b * f, rho=params.rho, m=params.m, sigma=params.sigma)


def surface_max_age(max_age: int, tau_fraction_wad: int, expiry: int, posted_at: int) -> int:
    """Seconds after ``posted_at`` for which ``VolOracle`` serves the slice: ``maxAge``, or the
    fraction ``maxAgeTauFractionWad`` of the tenor at the post if less (rounded down)."""
    return min(max_age, (expiry - posted_at) * tau_fraction_wad // 10**18)


@dataclass(frozen=True)
class VolOracleConfig:
    """IVolOracle.Config in named units: seconds; the ATM move bound and the tenor fraction as
    fractions (0.5 = 50%)."""

    max_age_s: int
    max_atm_move: Decimal
    max_age_tau_fraction: Decimal
    jump_window_s: int


class VolOracle(Client):
    artifact_name = "VolOracle"

    def config(self) -> VolOracleConfig:
        c = self.call_struct("config")
        return VolOracleConfig(c.maxAge, from_wad(c.maxAtmMoveWad), from_wad(c.maxAgeTauFractionWad), c.jumpWindow)

    def post(self, signer: Signer, expiry: int, params: SviParams) -> TxReceipt:
        return self.transact(signer, "post", expiry, svi_to_wad(params), action="post surface")

    def surface(self, expiry: int) -> Feed:
        """The SVI slice of ``expiry`` (``SviParams``, total variance at the read: see
        ``held_surface``) with its freshness; never raises for a stale or missing surface."""
        feed = _feed(self.call, "getParams", expiry)
        return feed if feed.value is None else Feed(svi_from_wad(feed.value), feed.updated_at, True)

    def atm_vol(self, expiry: int) -> Decimal:
        """Annualised ATM vol as posted, held until the next post (1.0 = 100%)."""
        return from_wad(self.call("atmVol", expiry))
