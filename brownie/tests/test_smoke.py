"""Brownie smoke test: deploy, deposit as an LP, list a board, post oracles, buy and close."""

import brownie
from brownie import chain

WAD = 10**18
WEEK = 7 * 86400
# A week's SVI slice (total variance; ATM vol ≈ 79%), as the VolOracle takes it (wad).
SURFACE = (WAD // 100, WAD // 50, -3 * WAD // 10, 0, WAD // 10)


def test_deploy_deposit_trade(optio, accounts):
    keeper, lp, trader = accounts[0], accounts[1], accounts[2]
    optio.weth.faucet(100 * WAD, {"from": lp})
    optio.weth.approve(optio.call_vault, 2**256 - 1, {"from": lp})
    optio.call_vault.deposit(100 * WAD, lp, {"from": lp})
    assert optio.call_vault.totalAssets() == 100 * WAD
    assert optio.call_vault.balanceOf(lp) == 100 * WAD * 10**6  # decimals offset 6

    now = chain.time()
    expiry = now + WEEK
    optio.spot.post(2000 * WAD, now, {"from": keeper})
    optio.market.listStrikes(expiry, [2000 * WAD], {"from": keeper})
    optio.vol.post(expiry, SURFACE, {"from": keeper})

    call_id = optio.market.optionId(expiry, 2000 * WAD, True)
    optio.weth.faucet(10 * WAD, {"from": trader})
    optio.weth.approve(optio.market, 2**256 - 1, {"from": trader})
    tx = optio.market.buy(call_id, WAD, 10 * WAD, chain.time() + 600, {"from": trader})
    premium = tx.return_value
    assert 0 < premium < WAD // 10  # an ATM week call costs a few % of spot, paid in WETH
    assert optio.token.balanceOf(trader, call_id) == WAD
    assert optio.call_vault.lockedAssets() == WAD
    assert tx.events["Traded"]["premium"] == premium

    bid = optio.market.closeLong(call_id, WAD, 0, chain.time() + 600, {"from": trader}).return_value
    assert bid < premium  # the round trip costs the spread
    assert optio.call_vault.lockedAssets() == 0


def test_admin_is_the_timelock(optio, accounts):
    admin_role = "0x" + "00" * 32
    for contract in (optio.spot, optio.vol, optio.call_vault, optio.put_vault, optio.market, optio.margin):
        assert contract.hasRole(admin_role, optio.timelock) and not contract.hasRole(admin_role, accounts[0])
    assert optio.timelock.getMinDelay() == 2 * 24 * 3600


def test_bad_trade_reverts_and_changes_nothing(optio, accounts):
    trader = accounts[2]
    optio.weth.faucet(WAD, {"from": trader})
    optio.weth.approve(optio.market, 2**256 - 1, {"from": trader})
    with brownie.reverts():  # an option id that was never listed: UnknownOption
        optio.market.buy(1, WAD, WAD, chain.time() + 600, {"from": trader})
    assert optio.weth.balanceOf(trader) == WAD
    assert optio.call_vault.lockedAssets() == 0
