"""Run a scenario in either mode: ``model`` (no chain) or ``chain`` (the real contracts on a
fresh local Anvil whose clock starts a day before the scenario)."""

from __future__ import annotations

from collections.abc import Callable

from optio.sdk.localchain import local_chain
from optio.sim.backtest.agents import Roster
from optio.sim.backtest.engine import Engine
from optio.sim.backtest.model import ModelProtocol
from optio.sim.backtest.onchain import ChainProtocol
from optio.sim.backtest.result import Result
from optio.sim.backtest.scenario import DAY, Scenario

MODES = ("model", "chain")


def run_backtest(scenario: Scenario, mode: str = "model",
                 progress: Callable[[int, int], None] | None = None) -> Result:
    if mode == "model":
        return Engine(scenario, ModelProtocol(scenario), mode, progress).run()
    if mode != "chain":
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    actors = Roster.of(scenario).size
    args = ["--accounts", str(actors), "--timestamp", str(scenario.start - DAY), "--gas-limit", "100000000"]
    with local_chain("anvil", extra_args=args) as chain:
        return Engine(scenario, ChainProtocol(scenario, chain.w3, actors), mode, progress).run()
