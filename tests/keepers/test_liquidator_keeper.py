"""The liquidator keeper on Anvil: finds accounts from events, liquidates the underwater ones in
one block, skips what does not pay for its gas, and two liquidators racing never liquidate the
same position twice."""

from __future__ import annotations

from optio.keepers.runtime.accounts import scan_health
from tests.helpers import admin_send
from tests.keepers.conftest import hold_blocks, mine, runner
from tests.keepers.scenario import build, post_spot

WAD = 10**18


def _close_whole_positions(protocol, deployer):
    """Close factor 100%: one liquidation takes a whole short (a second one has nothing left)."""
    cfg = list(protocol.margin.call("config"))
    cfg[5] = WAD
    admin_send(protocol, protocol.margin, "setConfig", tuple(cfg))


def test_liquidates_every_underwater_account_in_one_block(w3, protocol, chain, deployed, keeper, tmp_path):
    sc = build(protocol, keeper)
    r = runner(tmp_path, chain, deployed, "liquidator", "gas_margin = 0.2")
    assert r.cycle()  # all healthy: nothing sent
    assert r.metrics.value("liquidator_accounts") == 3 and not r.txs.in_flight()
    post_spot(protocol, keeper, "1700")
    assert len(scan_health(protocol.margin, [s.address for s in sc.sellers], 2)) == 3
    hold_blocks(w3)
    assert r.cycle()
    assert len(r.txs.in_flight()) == 3
    mine(w3)
    done = r.txs.poll()
    assert [d.status for d in done] == ["mined"] * 3
    assert len({d.block for d in done}) == 1  # several per block
    assert r.cycle() and not r.txs.in_flight()  # nothing is sent again for what was done


def test_sends_each_chunk_as_soon_as_it_is_planned(w3, protocol, chain, deployed, keeper, tmp_path):
    """send_chunk = 2 over three underwater sellers: two sends, the first already in the pool
    when the second is planned; all three still land in one block."""
    build(protocol, keeper)
    r = runner(tmp_path, chain, deployed, "liquidator", "send_chunk = 2")
    post_spot(protocol, keeper, "1700")
    hold_blocks(w3)
    submitted, submit_batch = [], r.txs.submit_batch

    def recording(sends):
        pooled = int(w3.provider.make_request("txpool_status", [])["result"]["pending"], 16)
        submitted.append((len(sends), pooled))
        return submit_batch(sends)

    r.txs.submit_batch = recording
    assert r.cycle()
    assert submitted == [(2, 0), (1, 2)]  # (sent in this chunk, already waiting in the pool)
    nonces = [f.nonce for f in r.txs.in_flight()]
    assert nonces == list(range(nonces[0], nonces[0] + 3))  # one run of nonces across the chunks
    mine(w3)
    done = r.txs.poll()
    assert [d.status for d in done] == ["mined"] * 3 and len({d.block for d in done}) == 1


def test_one_chunk_by_default_below_two_hundred(w3, protocol, chain, deployed, keeper, tmp_path):
    build(protocol, keeper)
    r = runner(tmp_path, chain, deployed, "liquidator", "")
    assert r.ctx.settings.send_chunk == 200
    post_spot(protocol, keeper, "1700")
    hold_blocks(w3)
    sizes, submit_batch = [], r.txs.submit_batch
    r.txs.submit_batch = lambda sends: sizes.append(len(sends)) or submit_batch(sends)
    assert r.cycle()
    assert sizes == [3]


def test_two_liquidators_racing_never_liquidate_twice(w3, protocol, chain, deployed, keeper, tmp_path):
    from optio.sdk.chain import LocalSigner, dev_account

    _close_whole_positions(protocol, LocalSigner(dev_account(0)))
    sc = build(protocol, keeper)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = runner(tmp_path / "a", chain, deployed, "liquidator", "", key_index=7)
    b = runner(tmp_path / "b", chain, deployed, "liquidator", "", key_index=8)
    post_spot(protocol, keeper, "1700")
    hold_blocks(w3)
    assert a.cycle() and b.cycle()  # both see the same three positions
    assert len(a.txs.in_flight()) == len(b.txs.in_flight()) == 3
    mine(w3)
    outcomes = a.txs.poll() + b.txs.poll()
    assert sorted(d.status for d in outcomes) == ["mined"] * 3 + ["reverted"] * 3
    events = protocol.margin.contract.events.Liquidated.get_logs(from_block=0)
    assert sorted(e["args"]["account"] for e in events) == sorted(s.address for s in sc.sellers)
    assert all(protocol.margin.call("shortOf", s.address, sc.put.id) == 0 for s in sc.sellers)
    assert a.cycle() and b.cycle() and not a.txs.in_flight() and not b.txs.in_flight()


def test_skips_liquidations_that_do_not_pay_for_their_gas(w3, protocol, chain, deployed, keeper, tmp_path):
    build(protocol, keeper, sellers=1)
    r = runner(tmp_path, chain, deployed, "liquidator", "gas_margin = 1000000")
    post_spot(protocol, keeper, "1700")
    assert r.cycle()
    assert not r.txs.in_flight() and r.metrics.value("liquidator_unprofitable_total") == 1


def test_account_discovery_survives_a_reorg(w3, protocol, keeper, tmp_path):
    """The scanner read block H with one seller's event; H is replaced (a snapshot revert) by a
    block with another seller's: the next scan re-reads H and finds the new one."""
    from optio.keepers.runtime.events import EventScanner
    from optio.sdk.chain import LocalSigner, dev_account
    from optio.sdk.market import TradeKind

    sc = build(protocol, keeper, sellers=1)
    margin = protocol.margin
    scanner = EventScanner(margin.contract.events.ShortOpened, tmp_path / "seen.json", from_block=0, reorg_depth=3)

    def sell(index: int) -> int:
        trader = LocalSigner(dev_account(index))
        protocol.market.quote_token.faucet(trader, "5000")
        margin.deposit(trader, False, "4650")
        return protocol.market.trade(trader, sc.put, TradeKind.SELL, "1")["blockNumber"]

    fork = w3.provider.make_request("evm_snapshot", [])["result"]
    h = sell(5)
    scanner.scan(w3.eth.block_number, key=lambda log: log["args"]["account"])
    assert dev_account(5).address in scanner.seen
    w3.provider.make_request("evm_revert", [fork])  # blocks up to H are gone…
    assert sell(6) == h  # …and H now holds another seller's short
    new = scanner.scan(w3.eth.block_number, key=lambda log: log["args"]["account"])
    assert new == [dev_account(6).address]
    # A restart reads the same state from disk and finds nothing new.
    again = EventScanner(margin.contract.events.ShortOpened, tmp_path / "seen.json", from_block=0, reorg_depth=3)
    assert again.scan(w3.eth.block_number, key=lambda log: log["args"]["account"]) == []


def test_never_liquidates_on_a_stale_surface(w3, protocol, chain, deployed, keeper, tmp_path):
    """The board's surface goes stale while spot stays fresh: every seller's requirement counts
    full collateral (below it on ``healthOf``), but it is not fresh, the contract would refuse
    (``RequirementNotFresh``), and the keeper sends nothing. A fresh surface brings them back."""
    from tests.keepers.scenario import DAY, SURFACE_WEEK, SviParams, now

    sc = build(protocol, keeper)
    r = runner(tmp_path, chain, deployed, "liquidator", "gas_margin = 0.2")
    w3.provider.make_request("evm_increaseTime", [3 * 3600 + 1])  # the surface's maximum age
    post_spot(protocol, keeper, "2000")
    sellers = [s.address for s in sc.sellers]
    health = protocol.margin.call("healthOf", sellers)
    assert all(puts[0] < puts[1] for _, puts in health)  # full collateral: "underwater"
    assert protocol.margin.call("freshnessOf", sellers) == [(True, False)] * 3
    assert scan_health(protocol.margin, sellers, 2) == []
    assert r.cycle() and not r.txs.in_flight()
    f = (sc.expiry - now(w3)) / (7 * DAY)
    s = SURFACE_WEEK
    protocol.vol_oracle.post(keeper, sc.expiry, SviParams(a=s.a * f, b=s.b * f, rho=s.rho, m=s.m, sigma=s.sigma))
    post_spot(protocol, keeper, "1700")
    assert len(scan_health(protocol.margin, sellers, 2)) == 3
