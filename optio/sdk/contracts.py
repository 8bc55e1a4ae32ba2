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
#: Why an instant deposit or exit is refused while the vault holds live options (one line).
FLOWS_CLOSED = ("the vault holds live options: LP flows are requests filled at a later mark — use `optio lp "
                "deposit` / `optio lp withdraw`, which queue (SDK: Vault.request_deposit, "
                "Vault.withdraw(queue_rest=True)); the keeper fills them, or anyone after the fill delay")


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
                 token: Token | None = None, wads: bool = True, min_gas: int = 0, extra_gas: int = 0) -> TxReceipt:
        """Send ``fn(*args)`` through ``optio.sdk.chain.transact`` (simulated first; the gas
        estimate's limit plus ``extra_gas``, at least ``min_gas``). A revert's token amounts read in
        ``token``'s units when given (``ContractRevert.in_token``)."""
        data = self.contract.encode_abi(fn, args=list(args))
        try:
            return transact(self.w3, signer, self.address, data, action=action or fn, min_gas=min_gas,
                            extra_gas=extra_gas)
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


#: Topic of ``IOptionBook.BookMarked``: the crank call that finished a sweep emits it.
BOOK_MARKED = bytes(Web3.keccak(text="BookMarked(bool,uint256,uint256,int256,int256,int256,bool)"))


def crank_book(book: Client, signer: Signer, is_call: bool, *, page: int = 64,
               max_calls: int = 64) -> tuple[TxReceipt, ...]:
    """Drives one side's sweep of the OptionBook at ``book`` to its end: ``crank(is_call, page)``
    until a call emits ``BookMarked``, at most ``max_calls`` calls (a spot post in between starts
    the sweep over). The crank is permissionless; it reverts while spot is stale."""
    if page <= 0:
        raise InvalidInput(f"page must be positive, got {page}")
    receipts: list[TxReceipt] = []
    for _ in range(max_calls):
        receipt = book.transact(signer, "crank", is_call, page, action="crank")
        receipts.append(receipt)
        if any(log["topics"] and bytes(log["topics"][0]) == BOOK_MARKED for log in receipt["logs"]):
            return tuple(receipts)
    side = "call" if is_call else "put"
    raise InvalidInput(f"the {side} book's sweep did not finish in {max_calls} calls of {page} options")


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
class RequestView:
    """A deposit or redeem request (one id space), amounts in the asset's and share's human
    units. ``kind``: ``"deposit"`` (``assets`` escrowed; ``shares`` minted to the controller at its
    fill, 0 before) or ``"redeem"`` (``shares`` escrowed; ``assets`` reserved at its fill, 0
    before). ``status``: pending, claimable (a filled redeem: ``claim`` pays), claimed (a filled
    deposit, or a paid redeem), cancelled (by its controller, or a deposit refunded whole at its
    fill: the deposit cap was reached). A deposit filled in part shows the assets that filled; the
    rest is refunded (:meth:`Vault.deposit_refund`). ``requested_at``: Unix s while pending, else None;
    ``fillable_by_anyone_at``: while pending, the earliest time anyone (not only the keeper) may
    fill it: once it is the fill delay old and the keeper has not filled for as long. Any fill
    serves only requests made before the latest spot post (the keeper posts, then fills)."""

    request_id: int
    kind: str
    controller: str
    status: str
    shares: Decimal
    assets: Decimal
    asset_symbol: str
    share_symbol: str
    requested_at: int | None = None
    fillable_by_anyone_at: int | None = None

    @property
    def is_deposit(self) -> bool:
        return self.kind == "deposit"


#: The name before deposit requests existed (a request of either kind now).
RedeemRequestView = RequestView


@dataclass(frozen=True)
class FillResult:
    """What one ``serveQueue`` did: requests filled (deposits, redeems), the share price (assets
    per share) at the fill's block, and whether the vault's mark was fresh then (not fresh: spot
    or a surface is stale, and nothing fills)."""

    receipt: TxReceipt
    deposits_filled: int
    redeems_filled: int
    share_price: Decimal
    mark_fresh: bool = True

    @property
    def filled(self) -> int:
        return self.deposits_filled + self.redeems_filled


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
    and shares burnt by withdrawals, shares minted (instant deposits and filled deposit requests),
    redeem requests queued (id, shares), claims paid (id, assets), redeem requests cancelled (id,
    shares returned), deposit requests queued (id, assets) and cancelled (id, assets returned),
    requests filled (ids of deposits, ids of redeems), deposit assets refunded at fills past the
    deposit cap (id, assets) and refunds paid out."""

    assets_paid: Decimal
    shares_burnt: Decimal
    shares_minted: Decimal
    queued: tuple[tuple[int, Decimal], ...]
    claimed: tuple[tuple[int, Decimal], ...]
    cancelled: tuple[tuple[int, Decimal], ...]
    deposits_queued: tuple[tuple[int, Decimal], ...] = ()
    deposits_cancelled: tuple[tuple[int, Decimal], ...] = ()
    deposits_filled: tuple[int, ...] = ()
    redeems_filled: tuple[int, ...] = ()
    deposits_refunded: tuple[tuple[int, Decimal], ...] = ()
    refunds_claimed: Decimal = Decimal(0)


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
    owner_requests: tuple[RequestView, ...]
    instant_flows_open: bool = True  # False: the vault holds live options, LP flows are requests
    pending_deposits: Decimal = Decimal(0)  # assets escrowed by pending deposit requests
    fill_delay_s: int = 0  # after this, anyone may fill a request (the keeper may at once)


class Vault(Client):
    artifact_name = "OptioVault"
    #: Gas a ``serveQueue`` may spend on a request its estimate did not see: 40,224 measured for
    #: the dearest (a deposit minting to a new holder), asserted below this / 1.2 in
    #: tests/contracts/test_adversary_round12.py (Q2).
    SERVE_GAS_PER_REQUEST = 55_000

    def __init__(self, w3: Web3, address: str, *, from_block: int = 0):
        """``from_block``: where event scans start (the deployment block, not genesis)."""
        super().__init__(w3, address)
        self.from_block = from_block

    @cached_property
    def asset(self) -> Token:
        return Token(self.w3, self.call("asset"))

    def transact(self, signer: Signer, fn: str, *args: object, action: str | None = None,
                 token: Token | None = None, wads: bool = False, extra_gas: int = 0) -> TxReceipt:
        """As ``Client.transact``; a revert's asset amounts in the vault's asset."""
        return super().transact(signer, fn, *args, action=action, token=token or self.asset, wads=wads,
                                extra_gas=extra_gas)

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

    def _check_deposit(self, signer: Signer, amount: Decimal | str, units: int) -> None:
        """What a deposit (instant or requested) needs of the wallet: the balance and no pause."""
        balance = self.asset.balance_units(signer.address)
        if units > balance:
            raise InsufficientBalance(
                f"deposit of {amount} {self.asset.symbol} exceeds the wallet balance of {self._assets(balance)}"
            )
        if self.call("paused"):
            raise InvalidInput(f"{self.call('symbol')} is paused: deposits are stopped (withdrawals are not)")

    def _approve(self, signer: Signer, units: int) -> None:
        if self.asset.call("allowance", signer.address, self.address) < units:
            self.asset.approve_units(signer, self.address, units)

    def deposit(self, signer: Signer, amount: Decimal | str) -> TxReceipt:
        """Deposit ``amount`` of the asset now (approving exactly that much first if needed).
        While the vault holds live options instant deposits are closed: ``InvalidInput``
        (:data:`FLOWS_CLOSED`); use :meth:`request_deposit`."""
        units = self._asset_units(amount)
        self._check_deposit(signer, amount, units)
        if not self.instant_flows_open():
            raise InvalidInput(FLOWS_CLOSED)
        room = self.call("maxDeposit", signer.address)
        if units > room:
            raise InvalidInput(
                f"deposit of {amount} {self.asset.symbol} exceeds the deposit cap room of {self._assets(room)}"
            )
        self._approve(signer, units)
        return self.transact(signer, "deposit", units, signer.address, action="deposit")

    def request_deposit(self, signer: Signer, amount: Decimal | str) -> tuple[TxReceipt, int]:
        """Queue a deposit of ``amount`` of the asset (escrowed now; approving exactly that much
        first if needed): shares are minted to the signer at the share price of its fill (the
        keeper's next fill, or anyone's once it is :meth:`fill_delay` old). Refused only above the deposit
        cap itself, as the contract does: the fill checks the cap at its mark, in order, fills what
        fits and refunds the rest (:meth:`deposit_refund`, paid by :meth:`claim_all`).
        Returns the receipt and the request id."""
        units = self._asset_units(amount)
        self._check_deposit(signer, amount, units)
        cap = self.call("depositCap")
        if units > cap:
            raise InvalidInput(f"deposit of {amount} {self.asset.symbol} exceeds the deposit cap of "
                               f"{self._assets(cap)}")
        self._approve(signer, units)
        me = signer.address
        receipt = self.transact(signer, "requestDeposit", units, me, me, action="requestDeposit")
        (request_id, _), = self.effects([receipt]).deposits_queued
        return receipt, request_id

    def withdraw(self, signer: Signer, amount: Decimal | str | None, *, queue_rest: bool = False) -> list[TxReceipt]:
        """Withdraw ``amount`` of the asset (``None``: everything).

        What free liquidity allows leaves at once; the rest is queued (``requestRedeem``) if
        ``queue_rest``, else ``InvalidInput`` says how much is available now and nothing is sent.
        While the vault holds live options nothing leaves at once: with ``queue_rest`` all of it
        is queued (filled at a later mark, then :meth:`claim_all`), else ``InvalidInput``
        (:data:`FLOWS_CLOSED`).
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
        if not queue_rest and not self.instant_flows_open():
            raise InvalidInput(FLOWS_CLOSED)
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
        queued, claimed, cancelled, dep_queued, dep_cancelled, dep_filled, red_filled = [], [], [], [], [], [], []
        refunded, refunds_paid = [], 0
        kinds = (events.Withdraw, events.Deposit, events.RedeemRequest, events.RedeemClaimed, events.RedeemCancelled,
                 events.DepositRequest, events.DepositCancelled, events.DepositFulfilled, events.RedeemFulfilled,
                 events.DepositRefunded, events.DepositRefundClaimed)
        for receipt in receipts:
            for log in receipt["logs"]:
                if Web3.to_checksum_address(log["address"]) != self.address:
                    continue
                for event in kinds:
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
                    elif name == "RedeemCancelled":
                        cancelled.append((int(args["requestId"]), self._shares(args["shares"])))
                    elif name == "DepositRequest":
                        dep_queued.append((int(args["requestId"]), self._assets(args["assets"])))
                    elif name == "DepositCancelled":
                        dep_cancelled.append((int(args["requestId"]), self._assets(args["assets"])))
                    elif name == "DepositFulfilled":
                        dep_filled.append(int(args["requestId"]))
                    elif name == "DepositRefunded":
                        refunded.append((int(args["requestId"]), self._assets(args["assets"])))
                    elif name == "DepositRefundClaimed":
                        refunds_paid += args["assets"]
                    else:
                        red_filled.append(int(args["requestId"]))
                    break
        return VaultEffects(self._assets(paid), self._shares(burnt), self._shares(minted), tuple(queued),
                            tuple(claimed), tuple(cancelled), tuple(dep_queued), tuple(dep_cancelled),
                            tuple(dep_filled), tuple(red_filled), tuple(refunded), self._assets(refunds_paid))

    def cancel_request(self, signer: Signer, request_id: int) -> TxReceipt:
        """Cancel the signer's pending request ``request_id``, a deposit (its assets come back) or
        a redeem (its shares come back): ``cancelDepositRequest`` or ``cancelRedeemRequest`` by
        the request's kind."""
        mine = {r.request_id: r for r in self.requests_of(signer.address)}
        if request_id not in mine:
            ids = ", ".join(f"#{i} ({r.kind} {r.status})" for i, r in mine.items()) or "none"
            raise InvalidInput(f"request #{request_id} is not one of {signer.address}'s (yours: {ids})")
        request = mine[request_id]
        if request.status != "pending":
            raise InvalidInput(f"request #{request_id} ({request.kind}) is {request.status}: only a pending one "
                               "can be cancelled")
        fn = "cancelDepositRequest" if request.is_deposit else "cancelRedeemRequest"
        return self.transact(signer, fn, request_id, action=fn)

    def request_redeem_shares(self, signer: Signer, shares: int) -> TxReceipt:
        if shares <= 0:
            raise InvalidInput("shares to queue must be positive")
        return self.transact(signer, "requestRedeem", shares, signer.address, signer.address, action="requestRedeem")

    def deposit_refund(self, controller: str) -> Decimal:
        """Deposit assets refunded to ``controller`` at fills (past the deposit cap), not yet claimed."""
        return self._assets(self.call("depositRefunds", controller))

    def claim_all(self, signer: Signer) -> list[TxReceipt]:
        """Claim every filled redeem request of the signer and its refunded deposit assets;
        ``InvalidInput`` if there is none. Pending requests the signer may fill now (the keeper
        away the fill delay, the requests as old) are filled first."""
        mine = self.requests_of(signer.address)
        served: list[TxReceipt] = []
        if any(r.status == "pending" for r in mine) and self.requests_to_serve(50, sender=signer.address):
            # The queue can be filled now by the signer: fill it rather than wait for the keeper.
            served.append(self.fill(signer).receipt)
            mine = self.requests_of(signer.address)
        claimable = [r for r in mine if r.status == "claimable"]
        refund = [self.transact(signer, "claimDepositRefund", signer.address, action="claimDepositRefund")
                  ] if self.call("depositRefunds", signer.address) else []
        if not claimable and refund:
            return served + refund
        if not claimable:
            pending = [f"#{r.request_id} ({r.shares} shares)" for r in mine
                       if r.status == "pending" and not r.is_deposit]
            why = (f": {', '.join(pending)} still queued, waiting for a fill (the keeper's, after its next post; "
                   f"anyone's if it stops filling for {duration_text(self.fill_delay())}; free liquidity permitting)"
                   ) if pending else ""
            raise InvalidInput(f"{signer.address} has no claimable redeem request{why}")
        return served + refund + [self.transact(signer, "claim", r.request_id, signer.address, action="claim")
                                  for r in claimable]

    def fill(self, signer: Signer, max_requests: int = 50, *, crank: bool = True) -> FillResult:
        """Fill pending requests made before the book's mark was priced (its spot post and
        every surface post it used: ``OptionBook.pricedSince``) at that mark (``serveQueue``):
        up to ``max_requests`` deposits, then up to ``max_requests`` redeems in order while
        liquidity allows. A signer with FILLER_ROLE (the keeper) fills any of them;
        anyone else only once the keeper has not filled for :meth:`fill_delay`, and only requests
        that old. Nothing is filled at a mark that is not fresh (the transaction still goes
        through). With ``crank`` (the default), a book without a usable mark is cranked first
        (:meth:`crank_mark`)."""
        if max_requests <= 0:
            raise InvalidInput(f"max_requests must be positive, got {max_requests}")
        if crank:
            self.crank_mark(signer)
        expected = self.requests_to_serve(max_requests, sender=signer.address)
        receipt = self.transact(signer, "serveQueue", max_requests, action="serveQueue",
                                extra_gas=self.serve_gas_margin(max_requests, expected))
        e = self.effects([receipt])
        one = 10**self.share_decimals
        block = receipt["blockNumber"]
        price = self.contract.functions.convertToAssets(one).call(block_identifier=block)
        return FillResult(receipt, len(e.deposits_filled), len(e.redeems_filled), self._assets(price),
                          self.mark_fresh(block))

    def mark_fresh(self, block: int | str = "latest") -> bool:
        """Whether the vault's book has a mark a fill may use now (the OptionBook's
        ``optionsLiability`` says fresh: a complete sweep at the latest spot post, not invalidated
        since): requests fill, and exits pay, only then. True while no book is set."""
        mark = self.call("optionsMark")
        if int(mark, 16) == 0:
            return True
        book = Client(self.w3, mark, artifact_name="OptionBook")
        return bool(book.contract.functions.optionsLiability(self.address).call(block_identifier=block)[1])

    def crank_mark(self, signer: Signer) -> tuple[TxReceipt, ...]:
        """Cranks this vault's side of the book to a mark a fill may use, when it has none and
        can get one (live options, a fresh spot): the epoch mark at the latest spot post.
        Permissionless; returns the crank receipts (none when nothing was due)."""
        mark = self.call("optionsMark")
        if int(mark, 16) == 0 or self.mark_fresh():
            return ()
        book = Client(self.w3, mark, artifact_name="OptionBook")
        is_call = Web3.to_checksum_address(book.call("callVault")) == self.address
        if not book.call("liveCount", is_call):
            return ()
        try:
            return crank_book(book, signer, is_call)
        except ContractRevert as err:
            if err.mined:
                raise
            return ()  # spot stale or missing: no mark to be had; the fill fills nothing

    def serve_queue(self, signer: Signer, max_requests: int = 50) -> TxReceipt:
        """``serveQueue(max_requests)``: :meth:`fill`, the receipt only."""
        return self.fill(signer, max_requests).receipt

    # --- views ------------------------------------------------------------------------------

    def requests_of(self, controller: str) -> list[RequestView]:
        """Requests (deposits and redeems) whose controller is ``controller``, by id, from the
        DepositRequest and RedeemRequest events."""
        who = {"controller": Web3.to_checksum_address(controller)}
        ids = sorted({int(log["args"]["requestId"])
                      for event in (self.contract.events.RedeemRequest, self.contract.events.DepositRequest)
                      for log in event.get_logs(from_block=self.from_block, argument_filters=who)})
        return [self.request(rid) for rid in ids]

    def request(self, request_id: int) -> RequestView:
        """Request ``request_id`` (either kind) as the vault holds it now."""
        r = self.call_struct("redeemRequest", request_id)
        requested_at = int(r.requestedAt) or None
        anyone_at = None
        if requested_at:  # once it is fillDelay old and the filler has been away as long
            anyone_at = max(requested_at, int(self.call("lastFillerServe"))) + self.fill_delay()
        return RequestView(request_id, "deposit" if r.isDeposit else "redeem", r.controller, REQUEST_STATUS[r.status],
                           self._shares(r.shares), self._assets(r.assets), self.asset.symbol, self.share_symbol,
                           requested_at, anyone_at)

    @cached_property
    def share_symbol(self) -> str:
        return self.call("symbol")

    def instant_flows_open(self) -> bool:
        """Whether instant deposits and exits are open: the vault holds no live option. Else LP
        flows are requests (:meth:`request_deposit`, :meth:`withdraw` with ``queue_rest``)."""
        return bool(self.call("instantFlowsOpen"))

    def fill_delay(self) -> int:
        """Seconds after which anyone may fill a request, once the keeper (FILLER_ROLE, who may
        at once) has not filled for as long."""
        return int(self.call("fillDelay"))

    def pending_deposit_assets(self) -> Decimal:
        """Assets escrowed by pending deposit requests (not part of total assets)."""
        return self._assets(self.call("pendingDepositAssets"))

    def newest_pending_request_time(self) -> int | None:
        """When the newest pending request was made (Unix s), or None. A fill serves only requests
        made before the mark's spot and surface posts: one made at or after the latest waits for
        the next. Read from the pending lists' tails, so cancelled requests hide none (a window of
        the last 16 ids did: round 6, P5)."""
        request_id = self.newest_pending_request()
        return None if request_id is None else int(self.call_struct("redeemRequest", request_id).requestedAt)

    def newest_pending_request(self) -> int | None:
        """The id of the newest pending request, deposit or redeem, or None."""
        request_id = self.call("newestPendingRequest")
        return None if request_id >= self.call("queueLength") else request_id

    def pending_request_fraction(self) -> Decimal:
        """What the pending requests are worth over the vault's assets, a fraction (0.001 =
        0.1%): deposits' escrowed assets plus redeems' escrowed shares at the current mark. 1 when
        the vault holds nothing (any request is then all of it)."""
        total = self.call("totalAssets")
        if total == 0:
            return Decimal(1)
        pending = self.call("pendingDepositAssets") + self.call("convertToAssets", self.call("pendingShares"))
        return Decimal(pending) / Decimal(total)

    def has_pending_requests(self) -> bool:
        """Whether any deposit or redeem request is pending."""
        return self.newest_pending_request() is not None

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

    def serve_gas_margin(self, max_requests: int, expected: int) -> int:
        """Gas to add to the estimate of a ``serveQueue(max_requests)`` estimated where it fills
        ``expected`` requests: anyone can get requests mined in front of it (one unit each, for
        fresh controllers) up to ``max_requests`` deposits and as many redeems, and an estimate
        without room for them ran out of gas, burning the whole limit and serving nothing
        (round 12, Q2). Unused gas is not paid."""
        return max(2 * max_requests - expected, 0) * self.SERVE_GAS_PER_REQUEST

    def requests_to_serve(self, max_requests: int, *, sender: str | None = None) -> int:
        """How many pending requests ``serveQueue(max_requests)`` sent by ``sender`` would fill
        now (a simulation; by default as an account without FILLER_ROLE, which fills only
        requests the fill delay old, once the filler has been away as long); 0 when none is
        pending, none was made before the latest spot post, or the next does not fit."""
        if not self.has_pending_requests():
            return 0
        fn = self.contract.functions.serveQueue(max_requests)
        try:
            return int(fn.call({"from": sender}) if sender else fn.call())
        except (ContractCustomError, ContractPanicError, ContractLogicError) as err:
            raise revert_of(err, "serveQueue") from None

    def exit_shares_units(self, asset_units: int) -> int:
        """Shares (raw units) an exit paying ``asset_units`` (raw) after the exit fee burns at
        today's mark (``previewWithdraw``): what to request to leave with that much."""
        return int(self.call("previewWithdraw", asset_units))

    def max_exit(self, owner: str) -> Decimal:
        """Assets ``owner``'s exit could be paid at a fill now (after the exit fee): the position
        capped by free liquidity, as ``maxWithdraw`` computes it but whether or not instant
        exits are open (while they are closed an exit is a request: this is what it could get)."""
        shares = self.call("balanceOf", owner)
        if shares == 0:
            return Decimal(0)
        free = self.call("freeLiquidity")
        return self._assets(min(self.call("previewRedeem", shares), self.call("previewRedeem",
                                                                             self.call("convertToShares", free))))

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
            instant_flows_open=self.instant_flows_open(),
            pending_deposits=self._assets(c("pendingDepositAssets")),
            fill_delay_s=self.fill_delay(),
        )


def duration_text(seconds: int) -> str:
    """3600 → "1 h", 90 → "90 s", 5400 → "90 min"."""
    if seconds and seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds >= 120 and seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


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
    #: The gas limit every post gets at least. A post costs more in the block where its reference
    #: advances (anchor and candidate written, the candidate maybe clamped) than at a head a
    #: second earlier, where it was estimated: the demo's posts (1 h window, 30 min blocks)
    #: estimated ~105k x 1.2 and ran out of gas at ~126k, when the path needed up to ~142k. The
    #: dearest paths measured (199,053 gas: the first post after setConfig turns the jump window
    #: on, round 12 G1) are asserted below this / 1.2 in tests/contracts/test_adversary_round12.py
    #: and tests/contracts/oracles/test_vol_post_gas.py.
    POST_GAS = 260_000

    def config(self) -> VolOracleConfig:
        c = self.call_struct("config")
        return VolOracleConfig(c.maxAge, from_wad(c.maxAtmMoveWad), from_wad(c.maxAgeTauFractionWad), c.jumpWindow)

    def post(self, signer: Signer, expiry: int, params: SviParams) -> TxReceipt:
        return self.transact(signer, "post", expiry, svi_to_wad(params), action="post surface",
                             min_gas=self.POST_GAS)

    def surface(self, expiry: int) -> Feed:
        """The SVI slice of ``expiry`` (``SviParams``, total variance at the read: see
        ``held_surface``) with its freshness; never raises for a stale or missing surface."""
        feed = _feed(self.call, "getParams", expiry)
        return feed if feed.value is None else Feed(svi_from_wad(feed.value), feed.updated_at, True)

    def atm_vol(self, expiry: int) -> Decimal:
        """Annualised ATM vol as posted, held until the next post (1.0 = 100%)."""
        return from_wad(self.call("atmVol", expiry))
