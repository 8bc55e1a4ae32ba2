"""The settler keeper on Anvil: after expiry and the settlement price, it settles the board, the
margin shorts and pays every in-the-money holder; a second pass finds nothing to do."""

from __future__ import annotations

from tests.keepers.conftest import mine, runner
from tests.keepers.scenario import build, post_spot, post_surfaces


def test_settles_pays_holders_and_margin_shorts(w3, protocol, chain, deployed, keeper, tmp_path):
    sc = build(protocol, keeper, sellers=2)
    m = protocol.market
    r = runner(tmp_path, chain, deployed, "settler")
    assert r.cycle() and not r.txs.in_flight()  # before expiry: nothing due
    w3.provider.make_request("evm_setNextBlockTimestamp", [sc.expiry + 30])
    mine(w3)
    assert r.cycle() and not r.txs.in_flight()  # no settlement price yet: waits for the oracle
    post_spot(protocol, keeper, "2100")  # the first price after expiry settles it
    weth_before = m.base.balance_units(sc.holder.address)
    for _ in range(3):
        assert r.cycle()
        r.txs.wait(5)
    assert m.call("boardSettled", sc.expiry)
    assert m.base.balance_units(sc.holder.address) > weth_before  # paid: (2100 − 1800)/2100 per call
    assert m.long_balance_wad(sc.holder.address, sc.call) == 0
    assert all(protocol.margin.call("positionsOf", s.address)[0] == [] for s in sc.sellers)
    mined = r.metrics.value("keeper_tx_attempts_total", {"outcome": "mined"})
    assert mined == 3  # settle, settleAccounts (one batch), exerciseFor (one batch)
    assert r.cycle() and not r.txs.in_flight()


def test_records_the_fallback_when_no_price_arrives(w3, protocol, chain, deployed, keeper, tmp_path):
    sc = build(protocol, keeper, sellers=1)
    _, window, grace, *_ = protocol.spot_oracle.call("config")
    r = runner(tmp_path, chain, deployed, "settler")
    w3.provider.make_request("evm_setNextBlockTimestamp", [sc.expiry + window + grace + 1])
    mine(w3)
    assert r.cycle()
    r.txs.wait(5)
    assert protocol.spot_oracle.call("isSettled", sc.expiry)
    assert protocol.spot_oracle.call("settlementPrice", sc.expiry)[2] is True  # the fallback
    assert r.cycle()
    r.txs.wait(5)
    assert protocol.market.call("boardSettled", sc.expiry)


def test_serves_a_withdrawal_queue_once_liquidity_allows(w3, protocol, chain, deployed, keeper, tmp_path):
    from optio.sdk.chain import LocalSigner, dev_account

    build(protocol, keeper, sellers=1)  # the holder's calls lock 2 of the call vault's 200 WETH
    vault = protocol.vault("call")
    lp, other = LocalSigner(dev_account(1)), LocalSigner(dev_account(4))
    vault.request_redeem_shares(lp, vault.call("balanceOf", lp.address))  # more than is free: queued
    r = runner(tmp_path, chain, deployed, "settler")
    assert r.cycle() and not r.txs.in_flight()  # the head request does not fit: nothing to send
    vault.asset.faucet(other, "5")
    vault.request_deposit(other, "5")  # options are live: a deposit request, filled first; then it fits
    post_surfaces(protocol, keeper)  # the keepers post the surface and spot: a fill serves
    post_spot(protocol, keeper, "2000")  # requests made before both
    assert r.cycle()  # the key holds FILLER_ROLE (the keeper's): it fills at once
    r.txs.wait(5)
    assert [q.status for q in vault.requests_of(lp.address)] == ["claimable"]
    assert [q.status for q in vault.requests_of(other.address)] == ["claimed"]
    # One serveQueue; the rest are the epoch cranks at each post (a fill uses the book's mark).
    mined = [o.key.split(":")[0] for o in r.txs.outcomes if o.status == "mined"]
    assert mined.count("serve") == 1 and set(mined) == {"serve", "crank"}
    assert r.metrics.value("keeper_tx_attempts_total", {"outcome": "mined"}) == len(mined)
