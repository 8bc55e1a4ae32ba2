"""SpotOracle: posting rules, staleness, the Chainlink read path, settlement and its fallback."""

from __future__ import annotations

import pytest

from tests.helpers import admin_send, call, now, reverts, send, warp, warp_to

WAD = 10**18
MAX_AGE = 3600
WINDOW = 3600
GRACE = 3600


@pytest.fixture
def oracle(protocol):
    return protocol.spot_oracle


def post(oracle, keeper, price_wad: int, timestamp: int):
    return send(oracle, keeper, "post", price_wad, timestamp)


def test_post_and_read_back(w3, oracle, keeper):
    ts = now(w3)
    post(oracle, keeper, 3000 * WAD, ts)
    assert tuple(call(oracle, "latestPrice")) == (3000 * WAD, ts)
    round_id, answer, started, updated, answered = call(oracle, "latestRoundData")
    assert (round_id, answer, started, updated, answered) == (1, 3000 * WAD, ts, ts, 1)
    assert call(oracle, "decimals") == 18
    assert call(oracle, "description") == "WETH / USDC"
    assert tuple(call(oracle, "getRoundData", 1)) == (1, 3000 * WAD, ts, ts, 1)


def test_sdk_reads_price_as_decimal(w3, oracle, keeper):
    oracle.post(keeper, "3012.25", now(w3))
    price, _ = oracle.latest_price()
    assert str(price) == "3012.250000000000000000"


def test_recent_rounds_are_served_from_the_ring(w3, oracle, keeper):
    history = call(oracle, "HISTORY_SIZE")
    assert history == 64
    stamps = []
    for i in range(history + 2):  # two rounds more than the ring holds
        warp(w3, 5)
        stamps.append(now(w3))
        post(oracle, keeper, (3000 + i) * WAD, stamps[-1])
    latest = history + 2
    for r in (latest, latest - 1, 3):  # the oldest kept is latest - 63 = 3
        assert tuple(call(oracle, "getRoundData", r)) == (r, (2999 + r) * WAD, stamps[r - 1], stamps[r - 1], r)
    for r in (0, 1, 2, latest + 1):
        with reverts("NoDataForRound", roundId=r):
            call(oracle, "getRoundData", r)


def test_history_is_served_when_the_latest_is_stale(w3, oracle, keeper):
    ts = now(w3)
    post(oracle, keeper, 3000 * WAD, ts)
    warp(w3, MAX_AGE + 1)
    with reverts("StalePrice"):
        call(oracle, "latestRoundData")
    assert tuple(call(oracle, "getRoundData", 1)) == (1, 3000 * WAD, ts, ts, 1)


def test_rejects_zero_price(w3, oracle, keeper):
    with reverts("ZeroPrice"):
        post(oracle, keeper, 0, now(w3))


@pytest.mark.parametrize("delta", [0, -5])
def test_rejects_non_increasing_timestamp(w3, oracle, keeper, delta):
    ts = now(w3)
    post(oracle, keeper, 3000 * WAD, ts)
    warp(w3, 10)
    with reverts("TimestampNotIncreasing", timestamp=ts + delta, latestTimestamp=ts):
        post(oracle, keeper, 3000 * WAD, ts + delta)


def test_rejects_future_timestamp(w3, oracle, keeper):
    with reverts("TimestampInFuture"):
        post(oracle, keeper, 3000 * WAD, now(w3) + 60)


def test_rejects_timestamp_already_stale(w3, oracle, keeper):
    ts = now(w3)
    warp(w3, MAX_AGE + 10)
    with reverts("TimestampTooOld"):
        post(oracle, keeper, 3000 * WAD, ts)


def test_old_observation_that_does_not_settle_is_refused(w3, oracle, keeper, expiry):
    warp_to(w3, expiry + 2 * MAX_AGE)
    with reverts("TimestampTooOld"):
        post(oracle, keeper, 3000 * WAD, expiry - 10)


@pytest.mark.parametrize("price", [3751, 2249])  # 25% bound: +25.03%, -25.03%
def test_rejects_jump_beyond_bound(w3, oracle, keeper, price):
    post(oracle, keeper, 3000 * WAD, now(w3))
    warp(w3, 10)
    with reverts("PriceJumpTooLarge", previousPriceWad=3000 * WAD, maxJumpWad=WAD // 4):
        post(oracle, keeper, price * WAD, now(w3))


@pytest.mark.parametrize("price", [3750, 2250])  # exactly 25%: allowed
def test_accepts_jump_at_bound(w3, oracle, keeper, price):
    post(oracle, keeper, 3000 * WAD, now(w3))
    warp(w3, 10)
    post(oracle, keeper, price * WAD, now(w3))
    assert call(oracle, "latestPrice")[0] == price * WAD


def test_large_move_after_outage_is_accepted(w3, oracle, keeper):
    post(oracle, keeper, 3000 * WAD, now(w3))
    warp(w3, MAX_AGE + 1)
    post(oracle, keeper, 6000 * WAD, now(w3))
    assert call(oracle, "latestPrice")[0] == 6000 * WAD
    # The post after the outage is the new anchor: the bound applies around it at once.
    warp(w3, 10)
    with reverts("PriceJumpTooLarge", previousPriceWad=6000 * WAD):
        post(oracle, keeper, 7600 * WAD, now(w3))
    post(oracle, keeper, 7500 * WAD, now(w3))


def test_jump_bound_is_per_window_not_per_post(w3, oracle, keeper):
    """Every post is measured from an anchor at least a window old (or the first price) and from
    the previous post, so moves cannot compound, and a larger move takes real time."""
    ts0 = now(w3)
    post(oracle, keeper, 2000 * WAD, ts0)
    warp(w3, 10)
    post(oracle, keeper, 2500 * WAD, now(w3))  # +25% from the anchor: at the bound
    warp(w3, 10)
    with reverts("PriceJumpTooLarge", priceWad=2600 * WAD, previousPriceWad=2000 * WAD):
        post(oracle, keeper, 2600 * WAD, now(w3))  # +4% from the previous, +30% from the anchor
    with reverts("PriceJumpTooLarge", priceWad=1500 * WAD, previousPriceWad=2500 * WAD):
        post(oracle, keeper, 1500 * WAD, now(w3))  # -25% from the anchor, -40% from the previous
    post(oracle, keeper, 1900 * WAD, now(w3))
    warp(w3, 10)
    post(oracle, keeper, 1500 * WAD, now(w3))  # -25% from the anchor, -21% from the previous
    t1500 = now(w3)
    warp_to(w3, ts0 + 3601)  # 2000 (the first link, since the second post) is a window old
    post(oracle, keeper, 1875 * WAD, now(w3))  # against 2000: 1500 is not a window old yet
    warp(w3, 10)
    with reverts("PriceJumpTooLarge", previousPriceWad=2000 * WAD):
        post(oracle, keeper, 2550 * WAD, now(w3))
    # Now 1500's link is the anchor: 1500 recorded clamped into a quarter of 2000's band, 1875
    # (round 8; the whole band kept 1500, and 1900 was refused here against it).
    warp_to(w3, t1500 + 3601)
    post(oracle, keeper, 1870 * WAD, now(w3))
    assert call(oracle, "latestPrice")[0] == 1870 * WAD
    warp(w3, 10)
    with reverts("PriceJumpTooLarge", previousPriceWad=1875 * WAD):
        post(oracle, keeper, 2345 * WAD, now(w3))  # +25.07% from the anchor 1875


def test_jump_window_zero_is_the_per_post_bound(w3, protocol, oracle, keeper):
    """The naive configuration: each post against the previous one; six posts compound."""
    cfg = list(call(oracle, "config"))
    cfg[5] = 0
    admin_send(protocol, oracle, "setConfig", tuple(cfg))
    price = 2000 * WAD
    post(oracle, keeper, price, now(w3))
    for _ in range(6):
        warp(w3, 1)
        price = price * 1249 // 1000
        post(oracle, keeper, price, now(w3))
    assert call(oracle, "latestPrice")[0] > 7500 * WAD


def test_only_keeper_posts(w3, oracle, alice):
    with reverts("AccessControlUnauthorizedAccount", account=alice.address):
        post(oracle, alice, 3000 * WAD, now(w3))


def test_readers_get_revert_not_stale_price(w3, oracle, keeper):
    with reverts("NoPrice"):
        call(oracle, "latestRoundData")
    ts = now(w3)
    post(oracle, keeper, 3000 * WAD, ts)
    warp_to(w3, ts + MAX_AGE)
    assert call(oracle, "latestPrice")[0] == 3000 * WAD  # exactly maxAge old: still fresh
    warp_to(w3, ts + MAX_AGE + 1)
    with reverts("StalePrice", updatedAt=ts, maxAge=MAX_AGE):
        call(oracle, "latestRoundData")
    with reverts("StalePrice"):
        call(oracle, "latestPrice")


def test_config_rejects_bad_values_and_non_admin(protocol, oracle, alice):
    with reverts("InvalidConfig", field="maxJumpWad"):
        admin_send(protocol, oracle, "setConfig", (3600, 3600, 3600, 0, 0, 3600))
    with reverts("InvalidConfig", field="maxAge"):
        admin_send(protocol, oracle, "setConfig", (0, 3600, 3600, WAD // 4, 0, 0))
    with reverts("InvalidConfig", field="jumpWindow"):
        admin_send(protocol, oracle, "setConfig", (3600, 3600, 3600, WAD // 4, 0, 3601))
    with reverts("AccessControlUnauthorizedAccount"):
        send(oracle, alice, "setConfig", (3600, 3600, 3600, WAD // 4, 0, 3600))
    assert tuple(call(oracle, "config"))[5] == 3600  # the deployment's default jump window


# --- settlement -----------------------------------------------------------------------------


@pytest.fixture
def expiry(w3, oracle, keeper):
    """An expiry one day ahead, registered, with a fresh price before it."""
    post(oracle, keeper, 3000 * WAD, now(w3))
    e = now(w3) + 86400
    send(oracle, keeper, "registerExpiry", e)
    return e


def post_at(w3, oracle, keeper, price_wad: int, timestamp: int):
    """Post a price observed at ``timestamp``, delivered at once (the next block)."""
    warp_to(w3, timestamp)
    return post(oracle, keeper, price_wad, timestamp)


def test_settlement_is_first_price_at_or_after_expiry(w3, oracle, keeper, expiry):
    post_at(w3, oracle, keeper, 3100 * WAD, expiry - 1)
    assert not call(oracle, "isSettled", expiry)
    post_at(w3, oracle, keeper, 3200 * WAD, expiry)  # exactly at expiry counts
    post_at(w3, oracle, keeper, 3300 * WAD, expiry + 5)  # later prices do not change it
    assert tuple(call(oracle, "settlementPrice", expiry)) == (3200 * WAD, expiry, False)
    assert call(oracle, "pendingExpiries") == []


def test_price_at_window_end_counts(w3, oracle, keeper, expiry):
    warp_to(w3, expiry - 10)
    post_at(w3, oracle, keeper, 3100 * WAD, expiry - 5)
    post_at(w3, oracle, keeper, 3050 * WAD, expiry + WINDOW)
    assert tuple(call(oracle, "settlementPrice", expiry)) == (3050 * WAD, expiry + WINDOW, False)


def test_first_price_beyond_window_fixes_fallback(w3, oracle, keeper, expiry):
    warp_to(w3, expiry - 10)
    post_at(w3, oracle, keeper, 3100 * WAD, expiry - 5)
    post_at(w3, oracle, keeper, 3400 * WAD, expiry + WINDOW + 1)
    assert tuple(call(oracle, "settlementPrice", expiry)) == (3100 * WAD, expiry - 5, True)


def test_in_window_observation_delivered_late(w3, oracle, keeper, expiry):
    post_at(w3, oracle, keeper, 3100 * WAD, expiry - 5)
    warp_to(w3, expiry + WINDOW + GRACE // 2)  # delivered in the grace period, 1.5 maxAge old
    post(oracle, keeper, 3150 * WAD, expiry + 60)  # observation time inside the window
    assert tuple(call(oracle, "settlementPrice", expiry)) == (3150 * WAD, expiry + 60, False)


def test_fallback_when_no_price_arrives(w3, oracle, keeper, alice, expiry):
    warp_to(w3, expiry - 10)
    post_at(w3, oracle, keeper, 3100 * WAD, expiry - 5)
    warp_to(w3, expiry + WINDOW + GRACE)
    with reverts("SettlementWindowOpen", expiry=expiry, fallbackAfter=expiry + WINDOW + GRACE):
        send(oracle, alice, "recordFallbackSettlement", expiry)
    with reverts("SettlementNotRecorded", expiry=expiry):
        call(oracle, "settlementPrice", expiry)
    warp_to(w3, expiry + WINDOW + GRACE + 1)
    send(oracle, alice, "recordFallbackSettlement", expiry)  # permissionless
    assert tuple(call(oracle, "settlementPrice", expiry)) == (3100 * WAD, expiry - 5, True)
    with reverts("ExpiryNotPending", expiry=expiry):
        send(oracle, alice, "recordFallbackSettlement", expiry)


def test_fallback_settles_every_earlier_pending_expiry(w3, oracle, keeper, alice, expiry):
    later = expiry + 600
    send(oracle, keeper, "registerExpiry", later)
    warp_to(w3, later + WINDOW + GRACE + 1)
    send(oracle, alice, "recordFallbackSettlement", later)
    assert call(oracle, "isSettled", expiry) and call(oracle, "isSettled", later)
    assert call(oracle, "pendingExpiries") == []


def test_one_post_settles_several_expiries_in_order(w3, oracle, keeper, expiry):
    send(oracle, keeper, "registerExpiry", expiry + 7200)
    send(oracle, keeper, "registerExpiry", expiry + 60)  # registered out of order
    assert call(oracle, "pendingExpiries") == [expiry, expiry + 60, expiry + 7200]
    post_at(w3, oracle, keeper, 3200 * WAD, expiry + 120)
    assert call(oracle, "settlementPrice", expiry)[2] is False
    assert call(oracle, "settlementPrice", expiry + 60)[2] is False
    assert call(oracle, "pendingExpiries") == [expiry + 7200]


def test_register_expiry_rules(w3, oracle, keeper, alice, expiry):
    with reverts("ExpiryAlreadyRegistered", expiry=expiry):
        send(oracle, keeper, "registerExpiry", expiry)
    with reverts("ExpiryNotAfterLatestPrice"):
        send(oracle, keeper, "registerExpiry", now(w3) - 1)
    with reverts("AccessControlUnauthorizedAccount"):
        send(oracle, alice, "registerExpiry", expiry + 1)


def test_pending_expiries_are_bounded(w3, oracle, keeper, expiry):
    for i in range(1, 64):
        send(oracle, keeper, "registerExpiry", expiry + i)
    with reverts("TooManyPendingExpiries", max=64):
        send(oracle, keeper, "registerExpiry", expiry + 100)


def test_rejects_price_beyond_packed_range(w3, oracle, keeper):
    with reverts("PriceTooLarge", priceWad=2**128):
        post(oracle, keeper, 2**128, now(w3))


def test_chainlink_version_and_round_zero(oracle):
    assert call(oracle, "version") == 1
    with reverts("NoDataForRound", roundId=0):
        call(oracle, "getRoundData", 0)


def test_a_read_timed_before_the_post_is_fresh_not_a_panic(w3, oracle, keeper):
    """An eth_call run at a timestamp before the latest post (Anvil under interval mining was
    seen to) serves the price instead of an arithmetic Panic."""
    ts = now(w3)
    post(oracle, keeper, 3000 * WAD, ts)
    data = oracle.contract.encode_abi("latestPrice", args=[])
    answer = w3.provider.make_request("eth_call", [{"to": oracle.address, "data": data}, "latest", {},
                                                   {"time": hex(ts - 10)}])
    assert "error" not in answer, answer
    assert int(answer["result"][2:66], 16) == 3000 * WAD
