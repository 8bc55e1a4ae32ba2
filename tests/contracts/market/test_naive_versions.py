"""Market, oracle and margin attacks, each run against the real protocol and a naive version
that lacks one defence (the same contracts with that defence configured away): the attack must
fail on ours and succeed on the naive one.

- a jumping and a stale oracle: naive = no practical maximum age and a 100% jump bound (the
  loosest configuration the SpotOracle accepts: it refuses none at all);
- dust liquidation: naive = no dust floor, so a partial liquidation leaves a short too small
  to be worth liquidating;
- the free option around withdraw and around deposit: naive = a vault that values itself at
  cash (no options mark), so an LP leaves at a price that ignores the options it wrote, or comes
  in at one that ignores the payoff of options it bought;
- settlement-price timing: naive = Lyra V1's rule, the spot when someone settles
  (NaiveSettlementOracle), so whoever settles picks the price;
- the τ = 0 edge: naive = a pricer that marks an expired option at the latest spot after its
  settlement price is recorded (NaiveExpiryPricer), so the NAV moves with a price that no longer
  changes what the vault owes;
- liquidation of a healthy account: naive = a close factor of 100%, so a liquidator takes the
  penalty on the part of a position that half a liquidation would have left healthy;
- re-entry through the ERC-1155 hook: naive = a seller that mints before it records the sale and
  has no lock (NaiveOptionShop), so a buyer who buys again from the hook pays the first price
  twice.

The replaced contracts are deployed as a second protocol (``naive_protocol``) in the test's
snapshot.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.contracts import Client
from optio.sdk.deploy import deploy_contract
from optio.sdk.errors import ContractRevert
from optio.sdk.market import TradeKind
from tests.contracts.market.conftest import Live, naive_live, naive_protocol, open_market, warp
from tests.helpers import admin_send, call, now, request_id_of, reverts, send, serve

WAD = 10**18


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_jumping_and_stale_oracle(w3, protocol, deployer, keeper, version):
    if version == "ours":
        oracle = protocol.spot_oracle
    else:
        # The loosest the contract accepts: no practical age limit, a jump bound of 100%.
        config = (2**32 - 1, 3600, 3600, WAD, 0, 0)
        address = deploy_contract(w3, deployer, "SpotOracle", deployer.address, "naive", config)
        oracle = Client(w3, address, artifact_name="SpotOracle")
        # A stand-alone oracle deployed here with the deployer as its admin (not the protocol's,
        # so not behind its timelock): the only direct admin call left in the tests.
        send(oracle, deployer, "grantRole", call(oracle, "KEEPER_ROLE"), keeper.address)
    send(oracle, keeper, "post", 2000 * WAD, now(w3))
    warp(w3, 12)
    manipulated = 200 * WAD  # a 90% crash in one update: a manipulated or broken feed
    if version == "ours":
        with reverts("PriceJumpTooLarge"):
            send(oracle, keeper, "post", manipulated, now(w3))
    else:
        send(oracle, keeper, "post", manipulated, now(w3))
        assert call(oracle, "latestPrice")[0] == manipulated
    warp(w3, 10 * 86400)  # the feed stops for ten days
    if version == "ours":
        with reverts("StalePrice"):
            call(oracle, "latestPrice")
    else:
        assert call(oracle, "latestPrice")[1] < now(w3) - 9 * 86400  # served ten days old


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_dust_liquidation(live, trader, deployer, version):
    margin = live.protocol.margin
    dust = call(margin, "config")[6]  # also the least short a sale may leave
    if version == "naive":
        config = list(call(margin, "config"))
        config[6] = 0  # no dust floor
        admin_send(live.protocol, margin, "setConfig", tuple(config))
    live.protocol.margin.deposit(trader, False, str(600 * dust // WAD))
    opt = live.option("2000", "put")
    live.market.trade(trader, opt, TradeKind.SELL, str(Decimal(15 * dust // 10) / WAD))
    warp(live.w3, 2)
    live.post_spot("1600")
    liquidator = LocalSigner(dev_account(6))
    if version == "ours":  # under twice the dust floor: it closes whole, nothing is left behind
        send(margin, liquidator, "liquidate", trader.address, opt.id, 15 * dust // 10)
        assert call(margin, "shortOf", trader.address, opt.id) == 0
    else:  # only half may go, and the half left is dust no liquidator's gas would pay for
        with pytest.raises(ContractRevert, match="LiquidationTooLarge"):
            send(margin, liquidator, "liquidate", trader.address, opt.id, 15 * dust // 10)
        send(margin, liquidator, "liquidate", trader.address, opt.id, 75 * dust // 100)
        assert 0 < call(margin, "shortOf", trader.address, opt.id) < dust


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_free_option_around_withdraw(w3, protocol, live, trader, deployer, keeper, guardian, alice, version):
    """An LP who sees the vault's written calls go deep in the money withdraws before they
    settle: at a fair price he takes his share of the loss; at a cash price the LPs who stay
    pay his share. Since forward-priced LP flows ours closes instant exits while the book is
    live: carol's exit is a request the keeper fills at the mark after the next spot and surface
    posts (the naive cash vault has no options mark, so its instant flows stay open)."""
    if version == "naive":  # the vault's mark is set once: the naive vault ignores it from the start
        live = _cash_vault_market(
            w3, protocol, deployer, keeper, guardian, alice, trader, CallVault="NaiveCashCallVault"
        )
    vault = live.protocol.vault("call")
    admin_send(live.protocol, vault, "setExitFee", 0)  # the exit fee, another defence, off: the mark alone
    carol = LocalSigner(dev_account(4))
    vault.asset.faucet(carol, "100")
    vault.deposit(carol, "100")
    live.market.trade(trader, live.option("2000", "call"), TradeKind.BUY, "20")
    for i, price in enumerate(("2400", "2900")):
        warp(live.w3, 3601 if i else 2)  # +45% takes more than one jump window (1 h) of the oracle
        live.post_spot(price)
    live.post_surface()
    live.market.book.crank(keeper, True)  # the epoch mark at the latest post: what `fair` reads
    shares = call(vault, "balanceOf", carol.address)
    liability = call(live.market.book, "optionsLiability", vault.address)[0]
    fair = shares * (vault.asset.balance_units(vault.address) - liability + 1) // (call(vault, "totalSupply") + 10**6)
    before = vault.asset.balance_units(carol.address)
    if version == "ours":
        assert not call(vault, "instantFlowsOpen")
        rid = request_id_of(vault, send(vault, carol, "requestRedeem", shares, carol.address, carol.address))
        warp(live.w3, 1)  # the keepers' cycle: spot and surface posts after the request (unchanged), then the fill
        live.refresh("2900")
        serve(vault, keeper, 16)  # post, crank, fill
        send(vault, carol, "claim", rid, carol.address)
    else:
        send(vault, carol, "redeem", shares, carol.address, carol.address)
    paid = vault.asset.balance_units(carol.address) - before
    if version == "ours":
        # `fair` is read a few seconds before the fill (the request, the keepers' posts a second
        # later, the fill): the written calls' time value may decay by theta over those seconds
        # in between (the surface holds its vols, not its total variance).
        assert paid <= fair + fair // 10**6
    else:
        assert paid > fair + WAD // 100, f"naive vault paid {paid}, fair {fair}"


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_free_option_around_deposit(w3, protocol, live, trader, deployer, keeper, guardian, alice, version):
    """The put vault bought puts from a margin seller and spot fell through the strike: after
    expiry the puts' payoff is known but not yet paid in. A depositor who comes in before the
    accounts are settled and leaves after must pay for that receivable: at a fair price he gains
    nothing; at a cash price he takes a share of it from the LPs who were there."""
    if version == "naive":
        live = _cash_vault_market(w3, protocol, deployer, keeper, guardian, alice, trader, PutVault="NaiveCashPutVault")
    vault = live.protocol.vault("put")
    admin_send(live.protocol, vault, "setExitFee", 0)  # the exit fee, another defence, off: the mark alone
    live.protocol.margin.deposit(trader, False, "20000")
    live.market.trade(trader, live.option("2000", "put"), TradeKind.SELL, "10")
    warp(live.w3, live.expiry - now(live.w3) + 60)
    live.post_spot("1600")  # the settlement price: the vault is owed 10 × 400 USDC
    carol = LocalSigner(dev_account(4))
    vault.asset.faucet(carol, "1000000")
    if version == "ours":  # the receivable is not a fresh mark until the accounts settle: no deposit
        assert call(vault, "maxDeposit", carol.address) == 0
    else:
        vault.deposit(carol, "1000000")
    live.market.settle(keeper, live.expiry)
    send(live.protocol.margin, keeper, "settleAccounts", live.expiry, [trader.address])
    if version == "ours":  # fresh again, at the value paid in
        vault.deposit(carol, "1000000")
    vault.withdraw(carol, None)
    gained = vault.asset.balance_units(carol.address) - 1_000_000 * 10**6
    if version == "ours":
        assert gained <= 0
    else:  # about half of the 4,000 USDC receivable
        assert gained > 1_000 * 10**6, f"naive vault: the depositor gained only {gained}"


def _cash_vault_market(w3, protocol, deployer, keeper, guardian, alice, trader, **naive: str) -> Live:
    """A live market whose vault values itself at cash (no options mark), the trader funded."""
    return naive_live(w3, deployer, keeper, guardian, alice, trader, **naive)


def _market(version: str, w3, protocol, deployer, keeper, guardian, alice, **naive: str) -> Live:
    """The live market of `protocol`, or of a deployment with the `naive` replacements."""
    if version == "naive":
        protocol = naive_protocol(w3, deployer, keeper, guardian, **naive)
    return open_market(w3, protocol, keeper, alice)


def _at(w3, timestamp: int) -> None:
    w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])
    w3.provider.make_request("evm_mine", [])


def _call_payoff(amount: int, strike: int, price: int) -> int:
    """Base units a holder of `amount` wad calls is paid at settlement `price`, as the market
    rounds: the payoff per option, then the amount, each down."""
    return amount * ((price - strike) * WAD // price) // WAD


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_settlement_price_before_expiry(w3, protocol, deployer, keeper, guardian, alice, bob, version):
    """The last price before expiry is 2000; the first at expiry, a minute later, 2300. Settling
    at once must not fix the board at the old price (a writer of calls would like it to)."""
    live = _market(version, w3, protocol, deployer, keeper, guardian, alice, SpotOracle="NaiveSettlementOracle")
    live.market.base.faucet(bob, "50")
    live.market.trade(bob, live.option("2000"), TradeKind.BUY, "10")
    _at(w3, live.expiry - 1200)
    live.post_spot("2000")
    _at(w3, live.expiry + 1)
    if version == "ours":
        with reverts("SettlementNotRecorded"):
            live.market.settle(keeper, live.expiry)
    else:
        live.market.settle(keeper, live.expiry)
    _at(w3, live.expiry + 60)
    live.post_spot("2300")
    if version == "ours":
        live.market.settle(keeper, live.expiry)
    before = live.market.base.balance_units(bob.address)
    live.market.exercise_for(keeper, live.option("2000"), [bob.address])
    paid = live.market.base.balance_units(bob.address) - before
    if version == "ours":  # the price at expiry
        assert paid == _call_payoff(10 * WAD, 2000, 2300)
    else:  # the price from before expiry: the calls expired worthless
        assert paid == 0


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_settlement_price_chosen_by_the_settler(w3, protocol, deployer, keeper, guardian, alice, bob, version):
    """Spot is 2300 at expiry and 2600 two hours later: a holder of calls who settles late must
    still be paid at 2300."""
    live = _market(version, w3, protocol, deployer, keeper, guardian, alice, SpotOracle="NaiveSettlementOracle")
    live.market.base.faucet(bob, "50")
    live.market.trade(bob, live.option("2000"), TradeKind.BUY, "10")
    _at(w3, live.expiry + 60)
    live.post_spot("2300")
    _at(w3, live.expiry + 7200)  # the window (one hour) has closed
    live.post_spot("2600")
    before = live.market.base.balance_units(bob.address)
    live.market.settle(bob, live.expiry)
    live.market.exercise_for(bob, live.option("2000"), [bob.address])
    paid = live.market.base.balance_units(bob.address) - before
    if version == "ours":
        assert paid == _call_payoff(10 * WAD, 2000, 2300)
    else:
        assert paid == _call_payoff(10 * WAD, 2000, 2600) > _call_payoff(10 * WAD, 2000, 2300)


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_expired_option_marked_at_its_settlement_price(w3, protocol, deployer, keeper, guardian, alice, bob, version):
    """At τ = 0 the vault owes the payoff at the settlement price (here stamped exactly at
    expiry), whatever spot does next. A depositor who sees spot rise after expiry deposits before
    the board is settled and redeems after: he must not gain. Since forward-priced LP flows the
    board's options keep the vault's instant flows closed until it is settled: carol's deposit is
    a request, which the keeper fills after its next 2900 post and before the settle (the worst
    case for the LPs: forward pricing does not help here, the mark at τ = 0 must); she withdraws
    at once after the settle, the book empty again."""
    live = _market(version, w3, protocol, deployer, keeper, guardian, alice, OptionPricer="NaiveExpiryPricer")
    live.market.base.faucet(bob, "50")
    live.market.trade(bob, live.option("1800"), TradeKind.BUY, "10")
    _at(w3, live.expiry)
    live.post_spot("2400")  # stamped at expiry: the settlement price
    assert call(live.protocol.spot_oracle, "settlementPrice", live.expiry)[0] == 2400 * WAD
    vault = live.protocol.vault("call")
    owed = _call_payoff(10 * WAD, 1800, 2400)
    live.market.book.crank(keeper, True)
    liability_at_expiry = call(live.market.book, "optionsLiability", vault.address)[0]
    assert abs(liability_at_expiry - owed) <= 1  # intrinsic at τ = 0 on both versions
    _at(w3, live.expiry + 600)
    live.post_spot("2900")
    carol = LocalSigner(dev_account(5))
    vault.asset.faucet(carol, "100")
    assert not call(vault, "instantFlowsOpen")
    send(vault.asset, carol, "approve", vault.address, 2**256 - 1)
    rid = request_id_of(vault, send(vault, carol, "requestDeposit", 100 * WAD, carol.address, carol.address))
    warp(w3, 1)  # the keeper's cycle: a post after the request (spot still 2900), then its fill
    live.post_spot("2900")
    serve(vault, keeper, 16)  # post, crank, fill
    assert call(vault, "redeemRequest", rid)[4] > 0  # filled at the mark before the settle
    live.market.settle(keeper, live.expiry)
    live.market.exercise_for(keeper, live.option("1800"), [bob.address])
    assert call(vault, "instantFlowsOpen")
    vault.withdraw(carol, None)
    gained = vault.asset.balance_units(carol.address) - 100 * WAD
    if version == "ours":
        assert gained <= 0
    else:  # marked at 2900 the calls owed 3.8 WETH, not 2.5: the shares were sold cheap
        assert gained > WAD // 10, f"naive pricer: the depositor gained only {gained}"


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_no_liquidation_of_the_healthy_part(live, trader, deployer, version):
    """A spot drop leaves a put writer a little short. Half a liquidation makes the account
    healthy again, so the other half is a healthy position: the liquidator may not take it."""
    margin = live.protocol.margin
    if version == "naive":
        config = list(call(margin, "config"))
        config[5] = WAD  # close factor 100%
        admin_send(live.protocol, margin, "setConfig", tuple(config))
    margin.deposit(trader, False, "4650")
    opt = live.option("2000", "put")
    live.market.trade(trader, opt, TradeKind.SELL, "10")
    warp(live.w3, 2)
    live.post_spot("1700")
    ((_, (collateral, required)),) = call(margin, "healthOf", [trader.address])
    assert collateral < required
    liquidator = LocalSigner(dev_account(6))
    snapshot = live.w3.provider.make_request("evm_snapshot", [])["result"]
    send(margin, liquidator, "liquidate", trader.address, opt.id, 5 * WAD)
    ((_, (collateral, required)),) = call(margin, "healthOf", [trader.address])
    assert collateral >= required  # half was enough: the rest is healthy on both versions
    live.w3.provider.make_request("evm_revert", [snapshot])
    if version == "ours":
        with reverts("LiquidationTooLarge", maxAmount=5 * WAD):
            send(margin, liquidator, "liquidate", trader.address, opt.id, 10 * WAD)
    else:
        send(margin, liquidator, "liquidate", trader.address, opt.id, 10 * WAD)
        assert call(margin, "shortOf", trader.address, opt.id) == 0


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_reentry_through_the_erc1155_hook(live, deployer, version):
    """A contract buys options and, from the ERC-1155 receiver hook, trades again before the
    first trade is done. Ours refuses the re-entry (buy or sell back); the naive seller sells the
    second lot at the first lot's price, cheaper than two trades one after the other."""
    weth = live.market.base
    if version == "ours":
        market, opt_id = live.market, live.option("2000").id
    else:
        shop = deploy_contract(live.w3, deployer, "NaiveOptionShop", weth.address, WAD // 10, WAD // 100)
        market, opt_id = Client(live.w3, shop, artifact_name="NaiveOptionShop"), 1
    address = deploy_contract(live.w3, deployer, "ReentrantReceiver", market.address)
    weth.faucet(deployer, "5")
    send(weth, deployer, "transfer", address, 5 * WAD)
    bot = Client(live.w3, address, artifact_name="ReentrantReceiver")

    def buy(mode: int) -> int:
        """Runs the attack in `mode` for one option; returns what the bot paid, base units."""
        before = weth.balance_units(bot.address)
        send(bot, deployer, "attack", weth.address, opt_id, WAD, 2**255, mode)
        return before - weth.balance_units(bot.address)

    if version == "ours":
        for mode in (1, 2):
            with reverts("ReentrancyGuardReentrantCall"):
                buy(mode)
        buy(0)
        assert live.market.long_balance_wad(bot.address, live.option("2000")) == WAD
        return
    snapshot = live.w3.provider.make_request("evm_snapshot", [])["result"]
    one_after_the_other = buy(0) + buy(0)
    live.w3.provider.make_request("evm_revert", [snapshot])
    reentrant = buy(1)
    assert call(market, "balanceOf", bot.address, opt_id) == 2 * WAD
    assert reentrant < one_after_the_other, f"re-entry paid {reentrant}, two trades {one_after_the_other}"
