"""The protocol driver on the real contracts: every action is a transaction on a local chain.

Time warps with ``evm_setNextBlockTimestamp`` at each step. Actors are the node's unlocked dev
accounts, so a transaction is one ``eth_sendTransaction`` and one receipt (no local signing,
nonce or fee lookups): a month of hourly steps with twenty traders takes a minute or so. A
mined revert is replayed with ``eth_call`` to name its custom error.

Why not the SDK's ``transact``: it simulates, estimates and fills fees for every transaction,
the right thing for a user's one trade, but eight round trips each for thousands of trades.
Deployment still goes through the SDK.
"""

from __future__ import annotations

from contextlib import suppress
from decimal import Decimal

from web3 import Web3
from web3.logs import DISCARD
from web3.types import TxReceipt

from optio.pricing.oracle_units import svi_from_wad, svi_to_wad
from optio.pricing.svi import SviParams
from optio.sdk.chain import LocalSigner, dev_account, send_unsimulated
from optio.sdk.contracts import held_surface
from optio.sdk.deploy import deploy_protocol
from optio.sdk.deployment import Deployment
from optio.sdk.errors import ContractRevert
from optio.sdk.localchain import set_next_timestamp
from optio.sdk.market import Option, TradeKind
from optio.sdk.protocol import Protocol
from optio.sdk.units import from_units, from_wad, to_units, to_wad
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
from optio.sim.backtest.marks import marks
from optio.sim.backtest.scenario import Scenario

GAS = 12_000_000
MAX_UINT = 2**256 - 1
MAX_LIVE = 512  # OptionBook.MAX_LIVE_OPTIONS: one crank call marks a whole side
FOREVER = 2**63
FUNDING = 20  # each actor gets this many times the scenario's deposits (LPs add tenths as they go)
TRADE_FN = {TradeKind.BUY: ("buy", MAX_UINT), TradeKind.SELL: ("sell", 0),
            TradeKind.CLOSE_LONG: ("closeLong", 0), TradeKind.CLOSE_SHORT: ("closeShort", MAX_UINT)}


class ChainProtocol:
    """Implements :class:`optio.sim.backtest.driver.ProtocolDriver` on the contracts at ``w3`` (a local chain
    with at least ``actors`` unlocked dev accounts); deploys them first unless given a
    ``deployment``. Funds actors 1.. with test tokens and approvals."""

    def __init__(self, scenario: Scenario, w3: Web3, actors: int, deployment: Deployment | None = None, *,
                 keeper_fills: bool = True):
        """``keeper_fills``: actor 0 posts and fills an LP's request in the same step (the
        backtest); False where a keeper process of its own fills (the running demo): requests
        are only made, and an LP's filled exits are claimed at her next move."""
        self.keeper_fills = keeper_fills
        self.s, self.w3 = scenario, w3
        self.addresses = [dev_account(i).address for i in range(actors)]
        self.deployment = deployment or deploy_protocol(w3, LocalSigner(dev_account(0)), scenario.deploy_config(),
                                                        save=False)
        self.p = Protocol(w3, self.deployment)
        self.market, self.margin = self.p.market.contract, self.p.margin.contract
        self.vaults_sdk = {vault: self.p.vault(vault) for vault in VAULTS}
        self.vault_c = {vault: self.vaults_sdk[vault].contract for vault in VAULTS}
        self.token_c = {vault: self.p.vault(vault).asset.contract for vault in VAULTS}
        self.decimals = {vault: self.p.vault(vault).asset.decimals for vault in VAULTS}
        self.share_decimals = {vault: self.p.vault(vault).share_decimals for vault in VAULTS}
        self.t, self.spot = 0, 0.0
        self.surfaces: dict[int, tuple[SviParams, int]] = {}  # expiry: (slice as posted, when)
        self.sent = 0  # transactions, set-up included
        self._fund(actors)

    # --- plumbing ---------------------------------------------------------------------------------

    def _send(self, who: int, contract, fn: str, *args) -> TxReceipt:
        """One transaction from actor ``who``; ``Rejected`` with the custom error if it reverted."""
        self.sent += 1
        try:
            return send_unsimulated(self.w3, self.addresses[who], contract.address,
                                    contract.encode_abi(fn, args=list(args)), gas=GAS, action=fn)
        except ContractRevert as err:
            raise Rejected(err.args_by_name.get("message", err.name) if err.name == "Error" else err.name) from None

    def _fund(self, actors: int) -> None:
        weth, usdc = self.token_c["call"], self.token_c["put"]
        need = {"call": self.s.lp_call_deposit + self.s.seller_margin_weth,
                "put": self.s.lp_put_deposit + self.s.seller_margin_usdc}
        for who in range(1, actors):
            for vault in VAULTS:
                units = to_units(repr(need[vault] * FUNDING), self.decimals[vault])
                self._send(who, self.token_c[vault], "faucet", units)
            for spender in (self.market.address, self.margin.address):
                self._send(who, weth, "approve", spender, MAX_UINT)
                self._send(who, usdc, "approve", spender, MAX_UINT)
            for vault in VAULTS:
                self._send(who, self.token_c[vault], "approve", self.vault_c[vault].address, MAX_UINT)

    def _units(self, vault: VaultName, amount: float) -> int:
        return to_units(Decimal(repr(amount)).quantize(Decimal(10) ** -self.decimals[vault]), self.decimals[vault])

    def _tokens(self, vault: VaultName, units: int) -> float:
        return float(from_units(units, self.decimals[vault]))

    # --- keeper actions ---------------------------------------------------------------------------

    def set_time(self, t: int) -> None:
        set_next_timestamp(self.w3, t)
        self.t = t

    def post_spot(self, price: float) -> None:
        self._send(0, self.p.spot_oracle.contract, "post", to_wad(repr(price)), self.t)
        self.spot = price

    def post_surface(self, expiry: int, params: SviParams) -> None:
        wad = svi_to_wad(params)
        self._send(0, self.p.vol_oracle.contract, "post", expiry, wad)
        self.surfaces[expiry] = (svi_from_wad(wad), self.t)

    def list_board(self, expiry: int, strikes: list[Decimal]) -> None:
        self._send(0, self.market, "listStrikes", expiry, [to_wad(k) for k in strikes])

    def settle(self, expiry: int, holders: list[int], sellers: list[int]) -> Settlement:
        self._send(0, self.market, "settle", expiry)
        price = float(self.p.spot_oracle.settlement_price(expiry))
        from_sellers, bad = {s: 0.0 for s in VAULTS}, {s: 0.0 for s in VAULTS}
        if sellers:
            receipt = self._send(0, self.margin, "settleAccounts", expiry, [self.addresses[w] for w in sellers])
            for ev in self.margin.events.ShortSettled().process_receipt(receipt, errors=DISCARD):
                vault = vault_of(Option.from_id(ev.args.id))
                from_sellers[vault] += self._tokens(vault, ev.args.paid)
                bad[vault] += self._tokens(vault, ev.args.badDebt)
        to_holders = {s: 0.0 for s in VAULTS}
        for option in self.p.market.options(expiry):
            if not holders or self.p.market.state(option).vault_short == 0:
                continue  # no live position
            receipt = self._send(0, self.market, "exerciseFor", option.id, [self.addresses[w] for w in holders])
            for ev in self.market.events.Exercised().process_receipt(receipt, errors=DISCARD):
                to_holders[vault_of(option)] += self._tokens(vault_of(option), ev.args.payout)
        return Settlement(expiry, price, to_holders, from_sellers, bad)

    def liquidatable(self, sellers: list[int]) -> list[tuple[int, Option, Decimal]]:
        if not sellers:
            return []
        margin = self.p.margin
        health = margin.health_of([self.addresses[w] for w in sellers])
        out = []
        for who, pools in zip(sellers, health, strict=True):
            sick = {vault for vault, pool in zip(VAULTS, pools, strict=True) if pool.collateral < pool.required}
            if not sick:
                continue
            held = margin.shorts_of(self.addresses[who])
            positions = sorted(((o, a) for o, a in held if vault_of(o) in sick and o.expiry > self.t),
                               key=lambda p: option_key(p[0]))
            for option, amount in positions:
                # the whole position if the contract takes it, else the close factor's maximum
                largest = margin.liquidatable_amount(self.addresses[0], self.addresses[who], option, amount)
                if largest:
                    out.append((who, option, largest))
        return out

    def liquidate(self, account: int, option: Option, amount: Decimal) -> Liquidation:
        receipt = self._send(0, self.margin, "liquidate", self.addresses[account], option.id, to_wad(amount))
        ev = self.margin.events.Liquidated().process_receipt(receipt, errors=DISCARD)[0].args
        vault = vault_of(option)
        mid = float(marks([option], self.spot, self.t, self.surfaces)[0])
        return Liquidation(account, option, amount, self._tokens(vault, ev.paidToVault), self._tokens(vault, ev.bonus),
                           self._tokens(vault, ev.badDebt), float(amount) * mid)

    # --- LPs and traders --------------------------------------------------------------------------

    # While a vault holds live options its LP flows are requests filled at a later mark (forward
    # pricing, docs/lp-flows.md). The model fills at the step's mark, so here the LP requests and
    # the keeper (actor 0, FILLER_ROLE) fills in the same step: model and chain stay equal.

    def deposit(self, who: int, vault: VaultName, amount: float) -> None:
        units, address, contract = self._units(vault, amount), self.addresses[who], self.vault_c[vault]
        if self.vaults_sdk[vault].instant_flows_open():
            self._send(who, contract, "deposit", units, address)
            return
        receipt = self._send(who, contract, "requestDeposit", units, address, address)
        (request_id, _), = self.vaults_sdk[vault].effects([receipt]).deposits_queued
        if self.keeper_fills:
            self._fill(who, vault, request_id)

    def max_withdraw(self, who: int, vault: VaultName) -> float:
        """What an exit could take now: instant (``maxWithdraw``) or, with options live, at a fill."""
        sdk = self.vaults_sdk[vault]
        address = self.addresses[who]
        self._ensure_mark()
        return float(sdk.max_withdraw(address) if sdk.instant_flows_open() else sdk.max_exit(address))

    def withdraw(self, who: int, vault: VaultName, amount: float) -> None:
        address, sdk, contract = self.addresses[who], self.vaults_sdk[vault], self.vault_c[vault]
        self._ensure_mark()  # the shares to request are previewed at the mark
        units = self._units(vault, amount)
        if sdk.instant_flows_open():
            self._send(who, contract, "withdraw", units, address, address)
            return
        shares = sdk.exit_shares_units(units)
        if not self.keeper_fills:  # the keeper process fills: claim what it filled, then request
            for request in sdk.requests_of(address):
                if request.status == "claimable":
                    self._send(who, contract, "claim", request.request_id, address)
            self._send(who, contract, "requestRedeem", shares, address, address)
            return
        receipt = self._send(who, contract, "requestRedeem", shares, address, address)
        (request_id, _), = sdk.effects([receipt]).queued
        self._fill(who, vault, request_id)
        self._send(who, contract, "claim", request_id, address)

    def _fill(self, who: int, vault: VaultName, request_id: int) -> None:
        """The keepers post each fresh surface at its held vols and the step's spot again (a
        fill serves only requests made before the mark's spot and surface posts), then fill the
        vault's queue; ``Rejected`` (the request cancelled) if it stayed pending (a stale mark,
        or a redeem beyond free liquidity)."""
        t = int(self.w3.eth.get_block("latest")["timestamp"]) + 1
        for expiry, (params, posted_at) in list(self.surfaces.items()):
            if expiry > t and self.p.vol_oracle.surface(expiry).fresh:
                set_next_timestamp(self.w3, t)
                wad = svi_to_wad(held_surface(params, posted_at, expiry, t))  # the same vols
                self._send(0, self.p.vol_oracle.contract, "post", expiry, wad)
                self.surfaces[expiry] = (svi_from_wad(wad), t)
                t += 1
        set_next_timestamp(self.w3, t)
        self._send(0, self.p.spot_oracle.contract, "post", to_wad(repr(self.spot)), t)
        self._crank()  # the epoch mark at those posts: what the fill uses
        self._send(0, self.vault_c[vault], "serveQueue", 50)
        request = self.vaults_sdk[vault].request(request_id)
        if request.status == "pending":
            fn = "cancelDepositRequest" if request.is_deposit else "cancelRedeemRequest"
            self._send(who, self.vault_c[vault], fn, request_id)
            raise Rejected("RequestNotFilled")

    def _crank(self) -> None:
        """The keeper's epoch crank: both sides of the OptionBook marked at the latest spot post
        and surfaces, in one call each (the backtests' books are far below a page's bound)."""
        book = self.p.market.book
        for is_call in (True, False):
            if book.live_count(is_call):
                self._send(0, book.contract, "crank", is_call, MAX_LIVE)

    def _ensure_mark(self) -> None:
        """Cranks when a vault's mark is not fresh (a post, a settlement or a liquidation since
        the last crank), so that previews and NAV read the mark now, as the model does; nothing
        when spot is stale (no mark can be taken: the totals stand, flagged stale on chain)."""
        if all(v.mark_fresh() for v in self.vaults_sdk.values()):
            return
        with suppress(Rejected):
            self._crank()

    def margin_deposit(self, who: int, vault: VaultName, amount: float) -> None:
        self._send(who, self.margin, "deposit", vault == "call", self._units(vault, amount))

    def trade(self, who: int, option: Option, kind: TradeKind, amount: Decimal) -> Fill:
        fn, limit = TRADE_FN[kind]
        try:
            receipt = self._send(who, self.market, fn, option.id, to_wad(amount), limit, FOREVER)
        except Rejected as err:
            if str(err) != "BookTotalsStale":
                raise
            self._crank()  # opening trades need the totals re-based after a move (as the SDK does)
            receipt = self._send(who, self.market, fn, option.id, to_wad(amount), limit, FOREVER)
        ev = self.market.events.Traded().process_receipt(receipt, errors=DISCARD)[0].args
        vault = vault_of(option)
        mid = float(amount) * float(from_wad(ev.midWad))
        if option.is_call:
            mid /= float(from_wad(ev.spotWad))
        return Fill(option, kind, amount, self._tokens(vault, ev.premium), mid)

    def vaults(self) -> dict[VaultName, VaultView]:
        """The vaults at the mark now: the book cranked first (its stored totals otherwise lag
        the model's mark by the time and the trades since the last crank)."""
        self._ensure_mark()
        out = {}
        for vault in VAULTS:
            b = self.vaults_sdk[vault].balances()
            out[vault] = VaultView(float(b.total_assets), float(b.total_shares), float(b.locked), float(b.idle))
        return out
