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
