"""Expiry on a real Anvil: the full lifecycle, every holder paid, no free option around it."""

from __future__ import annotations

from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.market import TradeKind
from tests.contracts.market.conftest import warp
from tests.helpers import call, crank, now, request_id_of, reverts, send, serve

WAD = 10**18
PENDING, CLAIMED = 1, 3


def _expire(live, price: str) -> None:
    """Move past expiry and post the settlement price."""
    warp(live.w3, live.expiry - now(live.w3) + 60)
    live.post_spot(price)


def test_full_lifecycle(live, trader, alice, keeper):
    """list → prices and surface → LP deposit → buy and sell → expiry ITM and OTM → settle →
    pay holders → LP withdraw."""
    m, margin = live.market, live.protocol.margin
    carol = LocalSigner(dev_account(4))
    m.quote_token.faucet(carol, "100000")
    itm_call, otm_put = live.option("1800", "call"), live.option("1800", "put")
    m.trade(trader, itm_call, TradeKind.BUY, "4")
    m.trade(carol, otm_put, TradeKind.BUY, "10")
    margin.deposit(carol, False, "50000")
    short_put = live.option("2200", "put")
    m.trade(carol, short_put, TradeKind.SELL, "5")  # ITM at 2100: carol owes the put vault

    _expire(live, "2100")
    with reverts("AlreadySettled"):
        send(m, keeper, "settle", live.expiry)
        send(m, keeper, "settle", live.expiry)
    assert call(m, "boardSettled", live.expiry)

    # Holders: the ITM call pays (2100 − 1800)/2100 WETH per option; the OTM put nothing.
    before = m.base.balance_units(trader.address)
    m.exercise_for(keeper, itm_call, m.holders(itm_call))
    paid = m.base.balance_units(trader.address) - before
    assert paid == 4 * 300 * WAD // 2100
    m.exercise_for(keeper, otm_put, [carol.address])
    assert m.long_balance_wad(carol.address, otm_put) == 0

    # The margin short pays the put vault its payoff: 5 × 100 USDC.
    put_vault = live.protocol.vault("put")
    vault_before = put_vault.asset.balance_units(put_vault.address)
    send(margin, keeper, "settleAccounts", live.expiry, [carol.address])
    assert put_vault.asset.balance_units(put_vault.address) - vault_before == 500 * 10**6
    assert call(margin, "shortOf", carol.address, short_put.id) == 0
    assert call(m.book, "liveOptions", False) == [] and call(m.book, "liveOptions", True) == []

    # Everything is unlocked; the LP leaves with all of it.
    for kind in ("call", "put"):
        vault = live.protocol.vault(kind)
        assert call(vault, "lockedAssets") == 0
        vault.withdraw(alice, None)
        assert call(vault, "balanceOf", alice.address) == 0


def test_settle_reverts_before_expiry_and_price(live, keeper, trader):
    m = live.market
    m.trade(trader, live.option("2000"), TradeKind.BUY, "1")
    with reverts("NotExpired"):
        send(m, keeper, "settle", live.expiry)
    warp(live.w3, live.expiry - now(live.w3) + 10)
    with reverts("SettlementNotRecorded"):
        send(m, keeper, "settle", live.expiry)
    with reverts("NotSettled"):
        send(m, keeper, "exerciseFor", live.option("2000").id, [trader.address])
    with reverts("BoardNotListed"):
        send(m, keeper, "settle", live.expiry + 1)


def test_exact_expiry_timestamp_is_expired(live, trader):
    """At block.timestamp == expiry the option is expired (valued at intrinsic, not traded);
    a price stamped exactly at expiry settles it."""
    m = live.market
    m.trade(trader, live.option("1800"), TradeKind.BUY, "1")
    live.w3.provider.make_request("evm_setNextBlockTimestamp", [live.expiry])
    live.w3.provider.make_request("evm_mine", [])
    assert now(live.w3) == live.expiry
    live.post_spot("2000")
    assert call(live.protocol.spot_oracle, "isSettled", live.expiry)
    liability, _, _, fresh = call(m.book, "portfolio", True)
    assert fresh and liability == -(-200 * WAD // 2000)  # intrinsic, rounded up


def test_no_free_option_around_settlement(live, trader, bob, alice, keeper):
    """The share price does not move when a known ITM payout is made: the liability was
    already marked at intrinsic, so depositing before settlement and withdrawing after gains
    nothing (it loses the rounding). Since forward-priced LP flows the board's live options keep
    instant flows closed until the settle: carol's deposit is a request, which the keeper fills
    before the settle, after its next spot post (the settle itself fills nothing); once the board
    is settled the book is empty and she withdraws at once."""
    m = live.market
    vault = live.protocol.vault("call")
    m.trade(trader, live.option("1800"), TradeKind.BUY, "10")
    _expire(live, "2400")  # deep ITM: the vault owes 10 × 600/2400 WETH
    one = 10 ** call(vault, "decimals")
    carol = LocalSigner(dev_account(5))
    vault.asset.faucet(carol, "10")
    send(vault.asset, carol, "approve", vault.address, 2**256 - 1)
    rid = request_id_of(vault, send(vault, carol, "requestDeposit", 10 * WAD, carol.address, carol.address))
    snap = live.w3.provider.make_request("evm_snapshot", [])["result"]
    send(m, bob, "settle", live.expiry)
    assert call(vault, "redeemRequest", rid)[1] == PENDING  # settling serves no request
    live.w3.provider.make_request("evm_revert", [snap])
    warp(live.w3, 1)  # the keeper's cycle: a post after the request (spot unchanged), then its fill
    live.post_spot("2400")
    serve(vault, keeper, 16)  # post, crank (the epoch mark at the post), fill
    assert call(vault, "redeemRequest", rid)[1] == CLAIMED
    price_before = call(vault, "convertToAssets", one)
    send(m, bob, "settle", live.expiry)
    m.exercise_for(bob, live.option("1800"), [trader.address])
    assert abs(call(vault, "convertToAssets", one) - price_before) <= 1
    assert call(vault, "instantFlowsOpen")
    vault.withdraw(carol, None)
    assert vault.asset.balance_units(carol.address) <= 10 * WAD


def test_no_free_option_across_a_price_move(live, trader, keeper):
    """Deposit before a known spot drop (which makes the vault's short calls cheaper) and
    withdraw after: the depositor must not get the move for free. Until forward-priced LP flows
    carol deposited at once in front of the post and her shares' value moved by only their
    pro-rata share of the marked NAV change, which she also risked. Now, the book being live, her
    deposit is a request the keeper fills after the spot and surface posts: her shares are priced
    at the mark after the drop and are worth her deposit, no more; the move went to the LPs who
    held through it."""
    m = live.market
    vault = live.protocol.vault("call")
    m.trade(trader, live.option("2000"), TradeKind.BUY, "20")
    carol = LocalSigner(dev_account(5))
    vault.asset.faucet(carol, "100")
    send(vault.asset, carol, "approve", vault.address, 2**256 - 1)
    with reverts("InstantFlowClosed"):
        send(vault, carol, "deposit", 100 * WAD, carol.address)
    rid = request_id_of(vault, send(vault, carol, "requestDeposit", 100 * WAD, carol.address, carol.address))
    nav_before = call(vault, "totalAssets")
    supply = call(vault, "totalSupply")
    warp(live.w3, 2)
    live.refresh("1900")  # the keepers post spot and the surface
    assert call(vault, "totalAssets") == nav_before  # the mark moves at the epoch crank, not the posts
    crank(vault, keeper)
    nav_after = call(vault, "totalAssets")
    assert nav_after > nav_before  # the move: carol's escrowed deposit is not in the NAV
    assert call(vault, "redeemRequest", rid)[1] == PENDING  # the posts and the crank fill nothing
    send(vault, keeper, "serveQueue", 16)
    assert call(vault, "redeemRequest", rid)[1] == CLAIMED
    shares = call(vault, "balanceOf", carol.address)
    assert call(vault, "convertToAssets", shares) <= 100 * WAD  # none of the move
    # The LPs who held through the posts keep it all: the share price is the posts' NAV over the
    # supply before her fill (the theta of a block aside).
    price = call(vault, "convertToAssets", 10**18)
    assert abs(price - nav_after * 10**18 // supply) <= price // 10**6


def test_unexercised_payouts_stay_reserved(live, trader, keeper, alice):
    """Settling moves the holders' payout out of the vault: LPs can take everything else, and a
    holder who never acts is still paid later."""
    m = live.market
    vault = live.protocol.vault("call")
    m.trade(trader, live.option("1800"), TradeKind.BUY, "2")
    _expire(live, "2000")
    send(m, keeper, "settle", live.expiry)
    vault.withdraw(alice, None)
    before = m.base.balance_units(trader.address)
    m.exercise_for(keeper, live.option("1800"), [trader.address])
    assert m.base.balance_units(trader.address) - before == 2 * 200 * WAD // 2000
