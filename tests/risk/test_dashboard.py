"""The dashboard in a real headless Chromium against a running local chain: the page loads,
shows the chain's own numbers, draws its charts, and a screenshot of it carries them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import matplotlib.image
import numpy as np
import pytest

from optio.pricing.chains.schema import expiry_timestamp
from optio.pricing.smile_model import SmileSimulator
from optio.risk.server import RiskServer
from optio.risk.service import RiskService, ServiceConfig
from optio.sim.feed import write_snapshot
from testkit.browser import headless_chromium, wait_ready
from tests.helpers import http_get
from tests.keepers.scenario import build


@pytest.fixture
def served(w3, protocol, keeper, tmp_path):
    build(protocol, keeper, sellers=2)  # two sellers and a buyer: the trades the page shows
    decisions = tmp_path / "decisions.jsonl"
    decisions.write_text(json.dumps({"chain_time": 1, "action": "pause", "reason": "oracle_age_s 700 > 600",
                                     "measured": {"oracle_age_s": 700}}) + "\n")
    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    t = w3.eth.get_block("latest")["timestamp"]
    venue = SmileSimulator(seed=1, atm_vol=0.8, vol_of_vol=0.5)
    write_snapshot(snapshots, t, venue.chain(t, 2000.0))  # venue marks, Deribit format
    service = RiskService(protocol, ServiceConfig(keepers={"oracle": "http://127.0.0.1:9"}, decisions=decisions,
                                                  snapshots=snapshots))
    service.refresh()
    server = RiskServer(service, interval_s=0.3).start()
    yield server, t
    server.stop()


def test_api_metrics_and_health(served, protocol):
    server, snapshot_time = served
    code, body = http_get(server.url + "api/state")
    state = json.loads(body)
    assert code == 200 and state["chain"]["chain_id"] == 31337
    nav = protocol.vault("put").call("totalAssets") / 1e6
    assert state["vaults"]["put"]["nav"] == pytest.approx(nav, rel=1e-12)
    assert state["keepers"]["oracle"]["up"] is False and state["keepers"]["oracle"]["healthy"] is False
    assert state["decisions"][0]["action"] == "pause"
    assert [a["event"] for a in state["activity"]][:1] == ["Traded"]
    (board,) = state["surfaces"]
    # The venue's 3-day expiry, as Deribit lists it: that day at 08:00 UTC, so 2⅓ to 3⅓ days away
    # by the time of day (a fixed 2.5–4 window failed whenever the chain's clock was past 20:00 UTC).
    day = datetime.fromtimestamp(snapshot_time + 3 * 86400, UTC)
    tenor_days = (expiry_timestamp(day.year, day.month, day.day) - state["chain"]["timestamp"]) / 86400
    assert len(board["market"]) >= 5 and board["market_tenor_days"] == pytest.approx(tenor_days, abs=1e-9)
    assert all(0.05 < p["vol"] < 5 for p in board["market"]) and len(board["trades"]) == 3  # two sells, one buy
    code, metrics = http_get(server.url + "metrics")
    assert code == 200 and b'optio_risk_vault_greek{greek="delta",vault="put"}' in metrics
    assert b"optio_risk_keeper_healthy{keeper=\"oracle\"} 0.0" in metrics
    assert http_get(server.url + "healthz")[0] == 200
    assert http_get(server.url + "api/history")[0] == 200
    assert http_get(server.url + "nothing-here")[0] == 404
    # One market here: its line and the consolidated line agree with the vaults'.
    (line,) = state["markets"]
    assert state["market"] == line["market"] == "WETH/USDC"
    assert line["nav_quote"] == pytest.approx(state["vaults"]["call"]["nav"] * 2000 + nav, rel=1e-12)
    assert state["consolidated"] == {"markets": 1, "nav_quote": line["nav_quote"], "paused": 0, "stale_spot": 0}


def test_the_page_shows_the_chains_numbers_in_chromium(served, protocol, tmp_path):
    server, _ = served
    with headless_chromium() as browser:
        browser.get(server.url)
        ready_ms = wait_ready(browser)
        nav = protocol.vault("put").call("totalAssets") / 1e6
        text = browser.find_element("id", "nav-put").text
        assert float(text.replace(",", "")) == pytest.approx(nav, abs=1e-4)
        assert browser.find_element("id", "spot").text == "2,000.00"
        assert browser.find_element("id", "market-status").text == "open"
        assert browser.find_element("id", "market-name").text == "WETH/USDC"
        assert "all markets" in browser.find_element("id", "markets").text
        assert "oracle_age_s 700 > 600" in browser.find_element("id", "decisions").text
        assert "sell put 2000" in browser.find_element("id", "activity").text
        # The VaR shown is the aggregate's (the service's own number, to the cent).
        var = server.service.state["risk"]["vaults"]["put"]["var"]
        assert float(browser.find_element("id", "var-put").text.replace(",", "")) == pytest.approx(var, abs=0.01)
        assert "venue" in browser.find_element("id", "smiles").text  # the venue marks' legend
        for chart in ("surface", "smiles", "scenario", "nav"):
            assert browser.find_elements("css selector", f"#{chart} .main-svg"), f"{chart} not drawn"
        shot = tmp_path / "dashboard.png"
        browser.save_screenshot(str(shot))
        surface_png = tmp_path / "surface.png"
        browser.find_element("id", "surface").screenshot(str(surface_png))
    assert ready_ms < 10_000
    page = matplotlib.image.imread(shot)
    assert page.shape[0] > 500 and page.shape[1] > 1000 and page[..., :3].std() > 0.05  # not blank
    heat = matplotlib.image.imread(surface_png)[..., :3]
    colours = {tuple(c) for c in (heat.reshape(-1, 3) * 255).astype(int)}
    assert len(colours) > 50  # a heatmap's gradient, not an empty frame
    greenish = np.mean((heat[..., 1] > heat[..., 0] + 0.1) & (heat[..., 1] > 0.3))
    assert greenish > 0.01  # Viridis greens fill the surface panel
