"""The vol keeper on Anvil: fits the simulator's chain with pricing/ and posts each board's slice
when it moved (stepping within the oracle's per-update bound), else stays quiet."""

from __future__ import annotations

from optio.keepers import vol
from optio.pricing.oracle_units import svi_from_wad
from tests.keepers.conftest import runner
from tests.keepers.scenario import build, now, post_spot


def one_post(r, protocol, keeper, expiry: int):
    """Spot posted, one vol keeper cycle: the surface it posted for ``expiry`` (must be new)."""
    before = protocol.vol_oracle.call("getParams", expiry)[1]
    post_spot(protocol, keeper, "2000")
    assert r.cycle()
    r.txs.wait(5)
    params, updated = protocol.vol_oracle.call("getParams", expiry)
    assert updated > before
    return params


def test_vol_keeper_posts_the_fitted_surface_and_then_waits(w3, protocol, chain, deployed, keeper, tmp_path):
    sc = build(protocol, keeper, sellers=1, tenor=10 * 86400)
    table = 'source = "sim"\natm_vol = 0.9\nvol_of_vol = 0\nthreshold = 0.02'
    r = runner(tmp_path, chain, deployed, "vol", table)
    params = one_post(r, protocol, keeper, sc.expiry)
    tenor = (sc.expiry - now(w3)) / vol.YEAR
    assert abs(vol.atm_vol(svi_from_wad(params), tenor) - 0.9) < 0.01  # the simulated market's ATM vol
    assert r.metrics.value("vol_fit_rmse") < 0.01
    assert r.cycle() and not r.txs.in_flight()  # unchanged within the heartbeat: quiet


def test_vol_keeper_steps_within_the_oracle_bound():
    target = vol.SviParams(a=0.04, b=0.01, rho=-0.3, m=0.0, sigma=0.2)
    tenor = 0.1
    stepped = vol.step_towards(target, 0.2, tenor, 0.5)
    assert abs(vol.atm_vol(stepped, tenor) - 0.2 * 1.475) < 1e-9
    assert vol.step_towards(target, vol.atm_vol(target, tenor) * 0.9, tenor, 0.5) == target


def test_vol_keeper_fits_a_venue_snapshot_from_files(w3, protocol, chain, deployed, keeper, tmp_path):
    import shutil
    from pathlib import Path

    sc = build(protocol, keeper, sellers=1, tenor=10 * 86400)
    folder = tmp_path / "snapshots"
    folder.mkdir()
    shutil.copy(Path(__file__).parents[1] / "pricing" / "fixtures" / "deribit_btc_options.json", folder)
    r = runner(tmp_path, chain, deployed, "vol", f'source = "files"\nsnapshots = "{folder}"')
    params = one_post(r, protocol, keeper, sc.expiry)
    assert 0.1 < vol.atm_vol(svi_from_wad(params), (sc.expiry - now(w3)) / vol.YEAR) < 3


def test_vol_keeper_keeps_the_surface_fresh_to_the_trading_cutoff(w3, protocol, chain, deployed, keeper, tmp_path):
    """The oracle calls a surface stale after half its tenor at the post: the keeper re-posts
    ever more often as expiry nears, so a quote finds a fresh surface until the cutoff."""
    sc = build(protocol, keeper, sellers=1, tenor=3 * 3600)
    cutoff = protocol.market.call("riskLimits")[0]
    r = runner(tmp_path, chain, deployed, "vol", 'source = "sim"\natm_vol = 0.8\nvol_of_vol = 0\nthreshold = 0.5')
    posts = set()
    while (left := sc.expiry - now(w3)) > cutoff:
        post_spot(protocol, keeper, "2000")
        assert r.cycle()
        r.txs.wait(5)
        _, updated = protocol.vol_oracle.call("getParams", sc.expiry)  # reverts when stale
        posts.add(updated)
        step = max(10, min(left // 10, left - cutoff))
        w3.provider.make_request("evm_increaseTime", [step])
        w3.provider.make_request("evm_mine", [])
    assert len(posts) >= 6  # heartbeats early on, then a quarter of the tenor at a time


def test_refresh_after_is_half_the_tenor_allowance():
    assert vol.refresh_after(1800, 0.5, 3 * 3600) == 1800  # far out: the heartbeat
    assert vol.refresh_after(1800, 0.5, 1200) == 300  # 20 min out: re-posted at 15 min


def test_a_snapshot_removed_while_listed_is_passed_over(tmp_path):
    """The feed prunes its old snapshots while the keeper lists them: a file gone between the
    listing and its `stat` (here a dangling link, gone for good) made the cycle fail."""
    import os

    old, new = tmp_path / "a.json", tmp_path / "b.json"
    old.write_text("{}")
    new.write_text("{}")
    os.utime(old, (1, 1))
    (tmp_path / "gone.json").symlink_to(tmp_path / "pruned.json")
    assert vol.newest_snapshot(tmp_path) == new
    (tmp_path / "empty").mkdir()
    assert vol.newest_snapshot(tmp_path / "empty") is None


def test_a_slice_is_fitted_for_the_tenor_of_the_block_it_lands_in(w3, protocol, chain, deployed, keeper, tmp_path):
    """The oracle reads a post's vols over the tenor at its block. A board 70 minutes out at the
    head, the post landing 10 minutes later: a slice fitted for the head's tenor was served
    √(70/60) = 1.080 times the market's vol; fitted for the landing tenor (`block_s`), the market's."""
    from tests.keepers.scenario import DAY

    build(protocol, keeper, sellers=1, tenor=10 * DAY)
    expiry = now(w3) + 3600 + 600 + 2
    protocol.market.list_strikes(keeper, expiry, ["2000"])
    served = {}
    for block_s in (0, 600):
        (tmp_path / str(block_s)).mkdir()
        r = runner(tmp_path / str(block_s), chain, deployed, "vol",
                   f'source = "sim"\natm_vol = 0.9\nvol_of_vol = 0\nheartbeat_s = 1\nmin_tenor_s = 1200\n'
                   f'block_s = {block_s}')
        post_spot(protocol, keeper, "2000")
        head = now(w3)
        w3.provider.make_request("evm_setNextBlockTimestamp", [head + 600])  # the post lands 600 s on
        assert r.cycle()
        r.txs.wait(5)
        _, updated = protocol.vol_oracle.call("getParams", expiry)
        # The scenario's 10-day board is listed first: when its slice is due too, its post takes
        # the block at head + 600 and this one lands a second later (CI: 601).
        assert head + 600 <= updated <= head + 601, updated - head
        served[block_s] = protocol.vol_oracle.call("atmVol", expiry) / 1e18
    ref = served[600]
    print(f"\nATM vol served an hour out, the post landing 600 s after the head: block_s = 0 {served[0]:.4f}, "
          f"block_s = 600 {ref:.4f}")
    assert abs(ref - 0.9) < 0.01  # the simulated market's
    assert served[0] / ref > 1.07  # √(70 / 60) = 1.080


def test_the_keeper_follows_a_market_past_the_anchors_band(w3, protocol, chain, deployed, keeper, tmp_path):
    """Round 12, K1: the market's vols double and stay there. The keeper's step bounds a post
    against the previous surface only; once its target left the anchor's band (x1.5) every post
    was refused, and a refused post never lets the anchor mature: on the first version the board
    stayed at x1.5 of its first vol, the market at x2, until the held surface was maxAge old (3 h).
    Now a refused post is stepped back until the oracle takes it (at worst the held surface again),
    the anchor matures, and the keeper reaches the market within a few windows."""
    from tests.keepers.scenario import DAY

    sc = build(protocol, keeper, sellers=1, tenor=30 * DAY)
    first = protocol.vol_oracle.call("atmVol", sc.expiry) / 1e18
    r = runner(tmp_path, chain, deployed, "vol",
               f'source = "sim"\natm_vol = {2 * first:.6f}\nvol_of_vol = 0\nthreshold = 0.01\nblock_s = 0')
    posted = []
    for _ in range(30):  # 2.5 h of 5-minute cycles: short of maxAge
        post_spot(protocol, keeper, "2000")
        assert r.cycle()
        r.txs.wait(5)
        posted.append(protocol.vol_oracle.call("atmVol", sc.expiry) / 1e18 / first)
        w3.provider.make_request("evm_increaseTime", [298])
        w3.provider.make_request("evm_mine", [])
    print(f"\nK1: ATM vol posted / first, every 5 min: {[round(x, 3) for x in posted]}")
    assert max(posted[:12]) < 1.5 + 1e-9  # the first hour: within the first anchor's band
    assert posted[-1] > 1.8  # past it: the market (x2 of the first vol, as fitted)


def test_vol_keeper_reposts_a_slice_older_than_a_waiting_request(w3, protocol, chain, deployed, keeper, tmp_path):
    """A fill serves only requests made before every surface of its mark (round B3): the keeper
    re-posts a slice older than a pending LP request, once, though the vols have not moved (the
    heartbeat is far); without `serve_requests` it stays quiet."""
    from optio.sdk.chain import LocalSigner, dev_account

    sc = build(protocol, keeper, sellers=1, tenor=10 * 86400)
    table = 'source = "sim"\natm_vol = 0.9\nvol_of_vol = 0\nthreshold = 0.5\nheartbeat_s = 86400'
    (tmp_path / "fit").mkdir()
    fit = runner(tmp_path / "fit", chain, deployed, "vol", table.replace("threshold = 0.5", "threshold = 0.02"))
    one_post(fit, protocol, keeper, sc.expiry)  # the fit's vols on chain (the scenario's ATM 0.79 is within 0.5)
    r = runner(tmp_path, chain, deployed, "vol", table)
    assert r.cycle() and not r.txs.in_flight()  # no move, no heartbeat, no request: quiet
    vault = protocol.vault("call")
    lp = LocalSigner(dev_account(1))
    vault.request_redeem_shares(lp, vault.call("balanceOf", lp.address) // 10)
    made = vault.newest_pending_request_time()
    (tmp_path / "off").mkdir()
    quiet = runner(tmp_path / "off", chain, deployed, "vol", table + "\nserve_requests = false")
    assert quiet.cycle() and not quiet.txs.in_flight()
    # No spot post since the request: the oracle keeper has not opened its epoch (it batches dust,
    # round 6, P4), so the surfaces wait for it.
    assert r.cycle() and not r.txs.in_flight()
    params = one_post(r, protocol, keeper, sc.expiry)  # the spot post made the slice due
    assert protocol.vol_oracle.call("getParams", sc.expiry)[1] > made
    assert abs(vol.atm_vol(svi_from_wad(params), (sc.expiry - now(w3)) / vol.YEAR) - 0.9) < 0.01
    assert r.cycle() and not r.txs.in_flight()  # the slice is newer than the request: quiet again
