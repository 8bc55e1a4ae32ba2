"""The book read from events equals the chain's own state, and the aggregation's vault Greeks
equal the contracts' ``portfolio`` view."""

from __future__ import annotations

import pytest

from optio.risk.aggregate import MarketView, aggregate, vault_positions
from optio.sdk.book import BookReader
from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.market import Option, TradeKind
from tests.keepers.conftest import mine, runner
from tests.keepers.scenario import build, now, post_spot


def assert_matches_chain(book: BookReader, protocol, options: list[Option]) -> None:
    m = protocol.market
    net, _ = vault_positions(book.positions())
    for option in options:
        short_oi, long_oi, *_ = m.call("optionState", option.id)
        assert net.get(option.id, 0) == long_oi - short_oi, option
    for (account, option_id), amount in book.longs.items():
        assert m.option_token.call("balanceOf", account, option_id) == amount
    for account in book.margin_accounts():
        ids, amounts = m.margin.call("positionsOf", account)
        mine_ = {i: v for (a, i), v in book.shorts.items() if a == account}
        assert mine_ == dict(zip(ids, amounts, strict=True))


def test_book_follows_trades_transfers_liquidations_and_exercise(w3, protocol, chain, deployed, keeper, tmp_path):
    sc = build(protocol, keeper, sellers=2)
    m = protocol.market
    options = m.options(sc.expiry)
    step_by_step = BookReader(protocol)
    step_by_step.sync()
    assert_matches_chain(step_by_step, protocol, options)

    # A token passed to another holder moves the long with it.
    friend = LocalSigner(dev_account(31))
    m.option_token.transact(sc.holder, "safeTransferFrom", sc.holder.address, friend.address, sc.call.id,
                            10**18, b"")  # positions are 0 or at least the minimum (1 option)
    m.trade(sc.holder, sc.call, TradeKind.CLOSE_LONG, "1")
    step_by_step.sync()
    assert step_by_step.longs[(friend.address, sc.call.id)] == 10**18
    assert_matches_chain(step_by_step, protocol, options)

    post_spot(protocol, keeper, "1700")  # the put sellers go under: the liquidator takes some
    liquidator = runner(tmp_path, chain, deployed, "liquidator", "gas_margin = 0.0")
    assert liquidator.cycle()
    liquidator.txs.wait(5)
    step_by_step.sync()
    assert step_by_step.counts["Liquidated"] >= 1
    assert_matches_chain(step_by_step, protocol, options)

    w3.provider.make_request("evm_setNextBlockTimestamp", [sc.expiry + 30])
    mine(w3)
    post_spot(protocol, keeper, "2100")
    settler = runner(tmp_path, chain, deployed, "settler")
    for _ in range(3):
        assert settler.cycle()
        settler.txs.wait(5)
    step_by_step.sync()
    assert step_by_step.counts["BoardSettled"] == 1 and step_by_step.counts["Exercised"] >= 1
    assert_matches_chain(step_by_step, protocol, options)
    assert step_by_step.positions(live_after=now(w3)) == []  # everything expired

    once = BookReader(protocol)  # from scratch, in one read
    once.sync()
    assert dict(once.longs) == dict(step_by_step.longs) and dict(once.shorts) == dict(step_by_step.shorts)
    assert [a.event for a in once.recent] == [a.event for a in step_by_step.recent]


def test_confirmations_hold_back_the_newest_blocks(w3, protocol, keeper):
    build(protocol, keeper, sellers=1)
    head = w3.eth.block_number
    book = BookReader(protocol, confirmations=3)
    book.sync()
    assert book.scanned_to == head - 3
    mine(w3, 3)
    book.sync()
    assert book.scanned_to == head


def test_aggregated_greeks_equal_the_contracts_portfolio(w3, protocol, keeper):
    sc = build(protocol, keeper, sellers=3)
    book = BookReader(protocol)
    book.sync()
    spot = float(protocol.spot_oracle.feed().value)
    surface = protocol.vol_oracle.surface(sc.expiry).value
    report = aggregate(book.positions(), MarketView(now(w3), spot, {sc.expiry: surface}))
    for side, is_call in (("call", True), ("put", False)):
        liability, delta, vega, fresh = protocol.market.book.call("portfolio", is_call)
        assert fresh
        totals = report.vaults[side]
        assert totals["delta"] == pytest.approx(delta / 1e18, rel=1e-9, abs=1e-12)
        assert totals["vega_pt"] == pytest.approx(vega / 1e18 / 100, rel=1e-9, abs=1e-12)
        decimals = 18 if is_call else 6
        per_unit = spot if is_call else 1.0  # the call vault's liability is in WETH
        assert -totals["value"] == pytest.approx(liability / 10**decimals * per_unit, rel=1e-6)
    assert report.accounts == 4 and report.positions == 4  # three put sellers and one call holder
