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

import time
from decimal import Decimal

from web3 import Web3
from web3.logs import DISCARD
from web3.types import TxReceipt

from optio.artifacts import decode_revert
from optio.chain import LocalSigner, dev_account
from optio.contracts import Protocol
from optio.deploy import deploy_protocol
from optio.deployment import Deployment
from optio.market import Option, TradeKind
from optio.units import from_units, from_wad, to_units, to_wad
from pricing.oracle_units import from_wad as svi_from_wad
from pricing.oracle_units import to_wad as svi_to_wad
from pricing.svi import SviParams
from sim.marks import marks
from sim.protocol import SIDES, Fill, Liquidation, Rejected, Settlement, Side, VaultView, option_key, side_of
from sim.scenario import Scenario

GAS = 12_000_000
MAX_UINT = 2**256 - 1
FOREVER = 2**63
FUNDING = 20  # each actor gets this many times the scenario's deposits (LPs add tenths as they go)
TRADE_FN = {TradeKind.BUY: ("buy", MAX_UINT), TradeKind.SELL: ("sell", 0),
            TradeKind.CLOSE_LONG: ("closeLong", 0), TradeKind.CLOSE_SHORT: ("closeShort", MAX_UINT)}


class ChainProtocol:
    """Implements :class:`sim.protocol.ProtocolDriver` on the contracts at ``w3`` (a local chain
    with at least ``actors`` unlocked dev accounts); deploys them first unless given a
    ``deployment``. Funds actors 1.. with test tokens and approvals."""

    def __init__(self, scenario: Scenario, w3: Web3, actors: int, deployment: Deployment | None = None):
        self.s, self.w3 = scenario, w3
        self.addresses = [dev_account(i).address for i in range(actors)]
        self.deployment = deployment or deploy_protocol(w3, LocalSigner(dev_account(0)), scenario.deploy_config(),
                                                        save=False)
        self.p = Protocol(w3, self.deployment)
        self.market, self.margin = self.p.market.contract, self.p.margin.contract
        self.vault_c = {side: self.p.vault(side).contract for side in SIDES}
        self.token_c = {side: self.p.vault(side).asset.contract for side in SIDES}
        self.decimals = {side: self.p.vault(side).asset.decimals for side in SIDES}
        self.share_decimals = {side: self.p.vault(side).share_decimals for side in SIDES}
        self.t, self.spot = 0, 0.0
        self.surfaces: dict[int, tuple[SviParams, int]] = {}  # expiry: (slice as posted, when)
        self.sent = 0  # transactions, set-up included
        self._fund(actors)

    # --- plumbing ---------------------------------------------------------------------------------

    def _send(self, who: int, contract, fn: str, *args) -> TxReceipt:
        """One transaction from actor ``who``; ``Rejected`` with the custom error if it reverted."""
        tx = {"from": self.addresses[who], "to": contract.address, "data": contract.encode_abi(fn, args=list(args)),
              "gas": hex(GAS)}
        reply = self.w3.provider.make_request("eth_sendTransaction", [tx])
        self.sent += 1
        if "error" in reply:
            raise Rejected(_reason(reply["error"]))
        receipt = self._receipt(reply["result"])
        if receipt["status"] != 1:
            replay = self.w3.provider.make_request("eth_call", [tx, "latest"])
            raise Rejected(_reason(replay.get("error", {})))
        return receipt

    def _receipt(self, tx_hash: str) -> TxReceipt:
        """Anvil answers eth_sendTransaction before the block is sealed (and with a block time,
        up to a block later): poll."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.w3.provider.make_request("eth_getTransactionReceipt", [tx_hash]).get("result"):
                return self.w3.eth.get_transaction_receipt(tx_hash)
            time.sleep(0.001)
        raise TimeoutError(f"transaction {tx_hash} was not mined within 30 s")

    def _fund(self, actors: int) -> None:
        weth, usdc = self.token_c["call"], self.token_c["put"]
        need = {"call": self.s.lp_call_deposit + self.s.seller_margin_weth,
                "put": self.s.lp_put_deposit + self.s.seller_margin_usdc}
        for who in range(1, actors):
            for side in SIDES:
                self._send(who, self.token_c[side], "faucet", to_units(repr(need[side] * FUNDING), self.decimals[side]))
            for spender in (self.market.address, self.margin.address):
                self._send(who, weth, "approve", spender, MAX_UINT)
                self._send(who, usdc, "approve", spender, MAX_UINT)
            for side in SIDES:
                self._send(who, self.token_c[side], "approve", self.vault_c[side].address, MAX_UINT)

    def _units(self, side: Side, amount: float) -> int:
        return to_units(Decimal(repr(amount)).quantize(Decimal(10) ** -self.decimals[side]), self.decimals[side])

    def _tokens(self, side: Side, units: int) -> float:
        return float(from_units(units, self.decimals[side]))

    # --- keeper actions ---------------------------------------------------------------------------

    def set_time(self, t: int) -> None:
        self.w3.provider.make_request("evm_setNextBlockTimestamp", [t])
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
        price = float(from_wad(self.p.spot_oracle.call("settlementPrice", expiry)[0]))
        from_sellers, bad = {s: 0.0 for s in SIDES}, {s: 0.0 for s in SIDES}
        if sellers:
            receipt = self._send(0, self.margin, "settleAccounts", expiry, [self.addresses[w] for w in sellers])
            for ev in self.margin.events.ShortSettled().process_receipt(receipt, errors=DISCARD):
                side = side_of(Option.from_id(ev.args.id))
                from_sellers[side] += self._tokens(side, ev.args.paid)
                bad[side] += self._tokens(side, ev.args.badDebt)
        to_holders = {s: 0.0 for s in SIDES}
        for strike in self.market.functions.strikesOf(expiry).call():
            for is_call in (True, False):
                option = Option(expiry, from_wad(strike), is_call)
                if self.market.functions.optionState(option.id).call()[0] == 0 or not holders:
                    continue  # no live position
                receipt = self._send(0, self.market, "exerciseFor", option.id, [self.addresses[w] for w in holders])
                for ev in self.market.events.Exercised().process_receipt(receipt, errors=DISCARD):
                    to_holders[side_of(option)] += self._tokens(side_of(option), ev.args.payout)
        return Settlement(expiry, price, to_holders, from_sellers, bad)

    def liquidatable(self, sellers: list[int]) -> list[tuple[int, Option, Decimal]]:
        if not sellers:
            return []
        health = self.margin.functions.healthOf([self.addresses[w] for w in sellers]).call()
        out = []
        for who, (calls, puts) in zip(sellers, health, strict=True):
            sick = {side for side, (have, need) in zip(SIDES, (calls, puts), strict=True) if have < need}
            if not sick:
                continue
            ids, amounts = self.margin.functions.positionsOf(self.addresses[who]).call()
            held = ((Option.from_id(i), a) for i, a in zip(ids, amounts, strict=True))
            positions = sorted(((o, a) for o, a in held if side_of(o) in sick and o.expiry > self.t),
                               key=lambda p: option_key(p[0]))
            for option, amount in positions:
                largest = self._largest_liquidation(who, option, amount)
                if largest:
                    out.append((who, option, from_wad(largest)))
        return out

    def _largest_liquidation(self, who: int, option: Option, position: int) -> int:
        """The whole position if the contract takes it, else its ``LiquidationTooLarge`` maximum."""
        data = self.margin.encode_abi("liquidate", args=[self.addresses[who], option.id, position])
        reply = self.w3.provider.make_request("eth_call", [{"from": self.addresses[0], "to": self.margin.address,
                                                            "data": data, "gas": hex(GAS)}, "latest"])
        if "error" not in reply:
            return position
        name, args = decode_revert(reply["error"].get("data"))
        return int(args["maxAmount"]) if name == "LiquidationTooLarge" else 0

    def liquidate(self, account: int, option: Option, amount: Decimal) -> Liquidation:
        receipt = self._send(0, self.margin, "liquidate", self.addresses[account], option.id, to_wad(amount))
        ev = self.margin.events.Liquidated().process_receipt(receipt, errors=DISCARD)[0].args
        side = side_of(option)
        mid = float(marks([option], self.spot, self.t, self.surfaces)[0])
        return Liquidation(account, option, amount, self._tokens(side, ev.paidToVault), self._tokens(side, ev.bonus),
                           self._tokens(side, ev.badDebt), float(amount) * mid)

    # --- LPs and traders --------------------------------------------------------------------------

    def deposit(self, who: int, side: Side, amount: float) -> None:
        self._send(who, self.vault_c[side], "deposit", self._units(side, amount), self.addresses[who])

    def max_withdraw(self, who: int, side: Side) -> float:
        return self._tokens(side, self.vault_c[side].functions.maxWithdraw(self.addresses[who]).call())

    def withdraw(self, who: int, side: Side, amount: float) -> None:
        address = self.addresses[who]
        self._send(who, self.vault_c[side], "withdraw", self._units(side, amount), address, address)

    def margin_deposit(self, who: int, side: Side, amount: float) -> None:
        self._send(who, self.margin, "deposit", side == "call", self._units(side, amount))

    def trade(self, who: int, option: Option, kind: TradeKind, amount: Decimal) -> Fill:
        fn, limit = TRADE_FN[kind]
        receipt = self._send(who, self.market, fn, option.id, to_wad(amount), limit, FOREVER)
        ev = self.market.events.Traded().process_receipt(receipt, errors=DISCARD)[0].args
        side = side_of(option)
        mid = float(amount) * float(from_wad(ev.midWad))
        if option.is_call:
            mid /= float(from_wad(ev.spotWad))
        return Fill(option, kind, amount, self._tokens(side, ev.premium), mid)

    def vaults(self) -> dict[Side, VaultView]:
        out = {}
        for side in SIDES:
            v = self.vault_c[side].functions
            balance = self.token_c[side].functions.balanceOf(self.vault_c[side].address).call()
            idle = balance - v.claimableAssets().call()
            supply = float(from_units(v.totalSupply().call(), self.share_decimals[side]))
            out[side] = VaultView(self._tokens(side, v.totalAssets().call()), supply,
                                  self._tokens(side, v.lockedAssets().call()), self._tokens(side, idle))
        return out


def _reason(error: dict) -> str:
    """The custom error's name from a JSON-RPC error (its data), or the node's message."""
    name, _ = decode_revert(error.get("data") if isinstance(error.get("data"), str) else None)
    return name if name != "UnknownRevert" else str(error.get("message", "UnknownRevert"))[:80]
