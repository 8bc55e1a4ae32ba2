"""The model and the real contracts agree: one scenario through both, with trades of every
kind, settlements, a spot shock and the liquidations it causes (a fresh Anvil, time warped)."""

from __future__ import annotations

from optio.sim.backtest.agreement import REL_TOL, agrees, compare
from optio.sim.backtest.run import run_backtest
from optio.sim.backtest.scenario import Scenario

STRESS = Scenario(days=3, seed=3, shock_day=1.5, shock=-0.2, seller_margin_usdc=2000, seller_margin_weth=0.5,
                  trade_prob=0.2, sellers=8, board_every_days=1, tenor_days=7)


def test_model_and_chain_agree_through_trades_settlements_and_liquidations():
    model = run_backtest(STRESS, "model")
    chain = run_backtest(STRESS, "chain")
    for key in ("trades:buy", "trades:sell", "trades:close_long", "trades:close_short", "settlements", "liquidations"):
        assert chain.counts[key] > 0, f"the scenario should exercise {key}"
    gaps = compare(model, chain)
    worst = gaps[0]
    assert agrees(gaps), f"{worst.figure}: model {worst.model}, chain {worst.chain} ({worst.relative:.2e} > {REL_TOL})"
