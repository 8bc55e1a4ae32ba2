"""The guardian keeper on Anvil: it pauses new risk when a limit is breached (stale feed,
exposure, vol jump), logs each decision with its numbers, lifts its own pause only back inside
the hysteresis band, leaves another's pause alone — and a pause never blocks closing, LP
withdrawals, liquidation, settlement or exercise."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from optio.keepers.guardian import Settings, breaches, limits_of
from optio.keepers.runtime.config import load_config
from optio.pricing.svi import SviParams
from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.errors import ContractRevert, InvalidInput
from optio.sdk.market import TradeKind
from tests.keepers.conftest import mine, runner, write_config
from tests.keepers.scenario import build, post_spot, post_surfaces

ADMIN = 0  # the deployer holds GUARDIAN_ROLE in these deployments


def guardian(tmp_path, chain, deployed, table: str):
    return runner(tmp_path, chain, deployed, "guardian", table, key_index=ADMIN)


def step(r) -> None:
    assert r.cycle()
    r.txs.wait(5)


def decisions(tmp_path) -> list[dict]:
    path = tmp_path / "state" / "guardian-decisions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def warp(w3, seconds: int) -> None:
    w3.provider.make_request("evm_increaseTime", [seconds])
    mine(w3)


def test_stale_feed_pauses_with_hysteresis_and_leaves_every_exit_open(w3, protocol, chain, deployed, keeper,
                                                                       tmp_path):
    sc = build(protocol, keeper, sellers=1)
    m = protocol.market
    r = guardian(tmp_path, chain, deployed, "max_oracle_age_s = 600\nhysteresis = 0.5\nmax_surface_age_s = 100000")
    step(r)
    assert not m.call("paused") and decisions(tmp_path) == []  # fresh and in bounds: nothing

    warp(w3, 700)
    step(r)
    assert m.call("paused")
    d = decisions(tmp_path)[-1]
    assert d["action"] == "pause" and d["reason"].startswith("oracle_age_s")
    assert d["measured"]["oracle_age_s"] >= 700 and d["limits"]["oracle_age_s"] == 600
    assert d["tx"] == "pending" and d["tx_hash"].startswith("0x")  # sent, then mined by `step`
    assert r.metrics.value("guardian_paused") == 1.0

    # Paused: new risk is refused, every exit stays open.
    post_spot(protocol, keeper, "2000")
    holder, seller = sc.holder, sc.sellers[0]
    with pytest.raises(ContractRevert, match="EnforcedPause"):
        m.trade(holder, sc.call, TradeKind.BUY, "1")
    m.trade(holder, sc.call, TradeKind.CLOSE_LONG, "1")
    m.trade(seller, sc.put, TradeKind.CLOSE_SHORT, "1")
    lp = LocalSigner(dev_account(1))
    vault = protocol.vault("put")
    before = vault.asset.balance_units(lp.address)
    vault.withdraw(lp, "1000", queue_rest=True)  # options live: a request, filled by the keeper, claimed
    vault.request_redeem_shares(lp, 10**9)  # and one by shares
    post_surfaces(protocol, keeper)  # the keepers post the surface and spot: a fill serves
    post_spot(protocol, keeper, "2000")  # requests made before both
    assert vault.fill(keeper).redeems_filled == 2
    vault.claim_all(lp)
    assert vault.asset.balance_units(lp.address) - before > 999 * 10**6  # 1000 at the fill's (later) mark
    assert [q.status for q in vault.requests_of(lp.address)] == ["claimed", "claimed"]

    # Back within the limit but not by the margin (400 s > 600 × 0.5): held, logged once.
    warp(w3, 400)
    step(r)
    step(r)
    assert m.call("paused")
    assert [x["action"] for x in decisions(tmp_path)] == ["pause", "hold"]

    post_spot(protocol, keeper, "2000")
    step(r)
    assert not m.call("paused")
    resume = decisions(tmp_path)[-1]
    assert resume["action"] == "resume" and resume["measured"]["oracle_age_s"] <= 300
    m.trade(holder, sc.call, TradeKind.BUY, "1")  # open again


def test_settlement_exercise_and_liquidation_run_while_paused(w3, protocol, chain, deployed, keeper, tmp_path):
    sc = build(protocol, keeper, sellers=2)
    m = protocol.market
    r = guardian(tmp_path, chain, deployed, "max_oracle_age_s = 600")
    post_spot(protocol, keeper, "1700")  # the put sellers fall below their requirement
    warp(w3, 700)
    step(r)
    assert m.call("paused")
    post_spot(protocol, keeper, "1700")
    liquidator = runner(tmp_path, chain, deployed, "liquidator", "gas_margin = 0.0")
    step(liquidator)
    assert liquidator.metrics.value("keeper_tx_attempts_total", {"outcome": "mined"}) >= 1
    assert len(m.margin.contract.events.Liquidated().get_logs(from_block=0)) >= 1

    w3.provider.make_request("evm_setNextBlockTimestamp", [sc.expiry + 30])
    mine(w3)
    post_spot(protocol, keeper, "2100")  # the expiry's settlement price
    assert m.call("paused")
    settler = runner(tmp_path, chain, deployed, "settler")
    for _ in range(3):
        step(settler)
    assert m.call("boardSettled", sc.expiry)
    assert m.long_balance_wad(sc.holder.address, sc.call) == 0  # exercised and paid
    assert all(protocol.margin.call("positionsOf", s.address)[0] == [] for s in sc.sellers)


def test_exposure_breach_pauses_and_names_the_vault(w3, protocol, chain, deployed, keeper, tmp_path):
    build(protocol, keeper, sellers=1)
    _, delta, _, _ = protocol.market.book.call("portfolio", False)
    limit = abs(delta) / 1e18 / 2  # the put vault's delta is twice the limit
    r = guardian(tmp_path, chain, deployed, f"max_delta = {limit}")
    step(r)
    assert protocol.market.call("paused")
    d = decisions(tmp_path)[-1]
    assert "put_delta" in d["reason"] and d["measured"]["put_delta"] == pytest.approx(2 * limit)


def test_vol_jump_pauses(w3, protocol, chain, deployed, keeper, tmp_path):
    sc = build(protocol, keeper, sellers=1)
    r = guardian(tmp_path, chain, deployed, "max_vol_jump = 0.2\nvol_jump_window_s = 3600")
    step(r)
    assert not protocol.market.call("paused")
    params, _ = protocol.vol_oracle.call("getParams", sc.expiry)
    a, b, rho, m_, sigma = (v / 1e18 for v in params)
    warp(w3, 60)
    # +25% on the ATM vol: total variance × 1.5625 (within the oracle's own move limit).
    protocol.vol_oracle.post(keeper, sc.expiry, SviParams(a * 1.5625, b * 1.5625, rho, m_, sigma))
    step(r)
    assert protocol.market.call("paused")
    d = decisions(tmp_path)[-1]
    assert d["reason"].startswith("vol_jump") and d["measured"]["vol_jump"] == pytest.approx(0.25, rel=0.02)


def test_a_pause_made_by_someone_else_is_left_alone(w3, protocol, chain, deployed, keeper, tmp_path):
    build(protocol, keeper, sellers=1)
    admin = LocalSigner(dev_account(ADMIN))
    protocol.market.transact(admin, "pause")
    r = guardian(tmp_path, chain, deployed, "")
    step(r)
    step(r)
    assert protocol.market.call("paused")
    assert [d["action"] for d in decisions(tmp_path)] == ["left alone"]


def test_a_guardian_without_the_role_refuses_to_start(w3, protocol, chain, deployed, keeper, tmp_path):
    """A key without GUARDIAN_ROLE would run, have every pause refused and still look healthy:
    the role is checked on chain at start-up and the keeper stops with one line instead."""
    with pytest.raises(InvalidInput) as err:
        runner(tmp_path, chain, deployed, "guardian", "max_oracle_age_s = 600", key_index=5)  # no GUARDIAN_ROLE
    assert "\n" not in str(err.value) and "lacks GUARDIAN_ROLE" in str(err.value)
    assert str(err.value).startswith("[guardian]")


def test_limits_and_breaches_are_plain_numbers():
    s = Settings(max_delta=10, max_vega=None, max_utilisation=0.9, max_oracle_age_s=None)
    limits = limits_of(s)
    assert "call_vega" not in limits and "oracle_age_s" not in limits and limits["put_delta"] == 10
    measured = {"call_delta": 9.0, "put_delta": 10.5, "call_utilisation": 0.8}
    assert breaches(measured, limits) == ["put_delta 10.5 > 10"]
    assert breaches(measured, limits, margin=0.2) == ["call_delta 9 > 8", "call_utilisation 0.8 > 0.72",
                                                      "put_delta 10.5 > 8"]


@pytest.mark.parametrize(("table", "message"), [
    ("max_utilisation = 1.5", "max_utilisation: Input should be less than or equal to 1"),
    ("hysteresis = 1", "hysteresis: Input should be less than 1"),
    ("max_delta = -1", "max_delta: Input should be greater than 0"),
    ("pause_on = \"everything\"", "pause_on: Extra inputs are not permitted"),
])
def test_bad_settings_are_one_line_and_send_nothing(tmp_path, chain, deployed, table, message):
    from optio.keepers.runtime.daemon import Runner

    path = write_config(tmp_path, chain.url, deployed[1], "guardian", table, key_index=ADMIN)
    with pytest.raises(InvalidInput, match=message) as err:
        Runner("guardian", load_config(path, "guardian"), once=True)
    assert "\n" not in str(err.value) and str(err.value).startswith("[guardian]")


def test_a_board_without_a_surface_yet_is_not_a_breach(w3, protocol, chain, deployed, keeper, tmp_path):
    sc = build(protocol, keeper, sellers=1)
    protocol.market.list_strikes(keeper, sc.expiry + 86400, [Decimal("2000")])  # listed, no surface yet
    r = guardian(tmp_path, chain, deployed, "max_surface_age_s = 600")
    step(r)
    assert not protocol.market.call("paused")
    assert r.metrics.value("guardian_measure", {"measure": "surface_age_s"}) < 600
