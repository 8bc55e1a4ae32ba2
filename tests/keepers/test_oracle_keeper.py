"""The oracle keeper on Anvil through the runtime: posts on no price, deviation and heartbeat,
stays quiet otherwise, and posts nothing (with an alert metric) when its sources are down."""

from __future__ import annotations

from optio.keepers import oracle
from tests.keepers.conftest import mine, runner


def _at(w3, t: int) -> None:
    w3.provider.make_request("evm_setNextBlockTimestamp", [t])
    mine(w3)


def _posted_then_quiet(protocol, chain, deployed, tmp_path):
    """An oracle keeper that posts only when something else makes a post due (a 50% deviation, a
    100,000 s heartbeat), after its first post and a cycle with nothing due: the keeper's runner and
    the oracle's round count."""
    table = 'deviation = 0.5\nheartbeat_s = 100000\nsources = [{kind = "gbm", seed = 2, s0 = 2000, vol = 0.01}]'
    r = runner(tmp_path, chain, deployed, "oracle", table)
    assert r.cycle()
    r.txs.wait(5)
    rounds = protocol.spot_oracle.call("latestRoundData")[0]
    assert r.cycle() and protocol.spot_oracle.call("latestRoundData")[0] == rounds  # nothing due
    return r, rounds


def test_posts_when_due_and_only_then(w3, protocol, chain, deployed, tmp_path):
    t0 = w3.eth.get_block("latest")["timestamp"] + 100
    csv = tmp_path / "prices.csv"
    csv.write_text(f"timestamp,price\n{t0 - 10},3000\n{t0 + 100},3001\n{t0 + 200},3100\n")
    table = f'deviation = 0.01\nheartbeat_s = 300\nsources = [{{kind = "replay", path = "{csv}", max_age_s = 700}}]'
    r = runner(tmp_path, chain, deployed, "oracle", table)
    spot = protocol.spot_oracle
    posts = r.metrics.registry

    def step(t: int) -> bool:
        _at(w3, t)
        ok = r.cycle()
        r.txs.wait(5)
        return ok

    assert step(t0)  # nothing on chain yet: post
    assert spot.latest_price() == (3000, t0)
    assert step(t0 + 100)  # 3001 is within 1%: quiet
    assert spot.latest_price()[1] == t0
    assert step(t0 + 200)  # 3100 moved 3.3%: post
    assert spot.latest_price() == (3100, t0 + 200)
    assert step(t0 + 520)  # no move, but the heartbeat (300 s) passed
    assert spot.latest_price() == (3100, t0 + 520)
    assert step(t0 + 950)  # the recording ran out 700 s ago: the source is down, nothing posted
    assert spot.call("latestRoundData")[3] == t0 + 520
    assert posts.get_sample_value("oracle_no_price") == 1
    assert posts.get_sample_value("oracle_source_up", {"source": f"replay:{csv.name}"}) == 0
    assert posts.get_sample_value("keeper_tx_attempts_total", {"outcome": "mined"}) == 3


def test_two_oracle_keepers_never_post_the_same_observation_twice(w3, protocol, chain, deployed, tmp_path):
    table = 'sources = [{kind = "gbm", seed = 5, s0 = 3000}]'
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = (runner(tmp_path / d, chain, deployed, "oracle", table) for d in ("a", "b"))
    w3.provider.make_request("evm_setAutomine", [False])
    assert a.cycle() and b.cycle()  # both see no price and both simulate fine while pooled
    mine(w3)
    outcomes = sorted(d.status for d in a.txs.poll() + b.txs.poll())
    assert outcomes == ["mined", "reverted"]  # same timestamp: the oracle takes the first only
    assert protocol.spot_oracle.call("latestRoundData")[0] == 1


def test_module_builds_every_source_kind(tmp_path):
    csv = tmp_path / "p.csv"
    csv.write_text("1,1\n")
    s = oracle.Settings(sources=[{"kind": "replay", "path": csv}, {"kind": "gbm", "seed": 1, "s0": 10},
                                 {"kind": "rest", "venue": "kraken", "url": "https://api.kraken.com/0/public/Ticker"}])
    assert [type(oracle.build_source(c, 0)).__name__ for c in s.sources] == ["ReplaySource", "GbmJumpSource",
                                                                             "RestSource"]


def test_posts_the_settlement_price_of_a_pending_expiry(w3, protocol, chain, deployed, keeper, tmp_path):
    from tests.keepers.scenario import build

    sc = build(protocol, keeper, sellers=1)
    r, _ = _posted_then_quiet(protocol, chain, deployed, tmp_path)
    _at(w3, sc.expiry + 10)
    assert r.cycle()  # no move, no heartbeat: the pending expiry makes it due
    r.txs.wait(5)
    assert protocol.spot_oracle.call("isSettled", sc.expiry)


def test_fills_a_pending_redeem_request_after_its_post(w3, protocol, chain, deployed, keeper, tmp_path):
    """LP flows are priced forward: with options live an exit is a request, and the oracle keeper
    (FILLER_ROLE) fills it right after bringing the spot in line with its sources (the vol keeper
    having posted the surface after the request)."""
    from optio.sdk.chain import LocalSigner, dev_account
    from tests.keepers.scenario import build, post_surfaces

    build(protocol, keeper, sellers=1)
    vault, lp = protocol.vault("put"), LocalSigner(dev_account(1))
    assert not vault.instant_flows_open()
    vault.withdraw(lp, "1000", queue_rest=True)
    (request,) = vault.requests_of(lp.address)
    assert (request.kind, request.status) == ("redeem", "pending")
    assert vault.requests_to_serve(50) == 0  # younger than the fill delay: only the filler may fill it
    post_surfaces(protocol, keeper)  # the vol keeper's post, later than the request
    _at(w3, w3.eth.get_block("latest")["timestamp"] + 5)  # the keeper's post comes later than the request
    table = 'deviation = 0.001\nheartbeat_s = 100000\nsources = [{kind = "gbm", seed = 3, s0 = 2100, vol = 0.01}]'
    r = runner(tmp_path, chain, deployed, "oracle", table)
    assert r.run() == 0  # --once: posts (2100 is 5% off), then fills
    assert protocol.spot_oracle.latest_price()[0] > 2050
    assert [q.status for q in vault.requests_of(lp.address)] == ["claimable"]
    assert not vault.has_pending_requests()
    assert r.cycle()  # the next cycle counts the mined fill
    assert r.metrics.registry.get_sample_value("oracle_requests_filled_total", {"vault": "put", "kind": "redeem"}) == 1
    vault.claim_all(lp)


def test_refuses_to_start_without_filler_role_unless_fill_is_off(w3, protocol, chain, deployed, keeper, tmp_path):
    import pytest

    from optio.sdk.chain import dev_account
    from optio.sdk.devchain import grant_role
    from optio.sdk.errors import InvalidInput

    other = 11
    grant_role(protocol, "KEEPER_ROLE", dev_account(other).address)
    table = 'sources = [{kind = "gbm", seed = 3, s0 = 2100}]'
    with pytest.raises(InvalidInput, match=r"lacks FILLER_ROLE .* or set oracle\.fill = false"):
        runner(tmp_path, chain, deployed, "oracle", table, key_index=other)
    assert runner(tmp_path, chain, deployed, "oracle", table + "\nfill = false", key_index=other)


def test_a_request_made_after_the_latest_post_makes_a_post_due(w3, protocol, chain, deployed, keeper, tmp_path):
    from optio.sdk.chain import LocalSigner, dev_account
    from tests.keepers.scenario import build, post_surfaces

    build(protocol, keeper, sellers=1)
    r, rounds = _posted_then_quiet(protocol, chain, deployed, tmp_path)
    vault, lp = protocol.vault("put"), LocalSigner(dev_account(1))
    vault.withdraw(lp, "1000", queue_rest=True)  # made after the post: waits for the next
    post_surfaces(protocol, keeper)  # the vol keeper's surface post (fills wait for it too)
    _at(w3, w3.eth.get_block("latest")["timestamp"] + 3)
    assert r.cycle()  # due: "requests"; posted, then filled
    r.txs.wait(5)
    assert protocol.spot_oracle.call("latestRoundData")[0] == rounds + 1
    assert [q.status for q in vault.requests_of(lp.address)] == ["claimable"]
