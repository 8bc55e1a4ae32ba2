"""The model's step marks (optio.sim.backtest.marks.StepMarks) are the floats the reference path gives: every
option, every (spot, vol scale) the model asks for, and a whole backtest, bitwise."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from optio.pricing.smile_model import skewed_slice
from optio.sdk.market import Option
from optio.sim.backtest.engine import Engine, Result
from optio.sim.backtest.marks import OptionTable, StepMarks, marks
from optio.sim.backtest.model import ModelProtocol
from optio.sim.backtest.scenario import DAY, Scenario

T0 = 1_798_761_600
EXPIRIES = [T0 + 7 * DAY, T0 + 14 * DAY, T0 + 21 * DAY]
STRIKES = [Decimal(k) for k in (2400, 2700, 2950, 3000, 3050, 3300, 3600)]


class ReferenceModel(ModelProtocol):
    """The model as it priced before ``StepMarks``: one ``marks`` call each time it asks."""

    def _marks(self, options, spot, vol_scale):
        return marks(options, spot, self.t, self.surfaces, vol_scale)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _surfaces(t: int) -> dict:
    # Posted an hour before t (so the held slice is rescaled), one of them at t.
    return {e: (skewed_slice(0.5 + 0.1 * i, (e - T0) / (365 * DAY)), t - 3600 * (i != 1))
            for i, e in enumerate(EXPIRIES)}


def test_step_marks_equal_the_reference_for_any_subset_and_scenario():
    rng = np.random.default_rng(3)
    options = [Option(e, k, c) for e in EXPIRIES for k in STRIKES for c in (True, False)]
    table = OptionTable(options)
    for t in (T0, T0 + 3 * DAY + 1234, T0 + 8 * DAY):  # the last one: the first board has expired
        surfaces = _surfaces(t)
        spot = 2987.654321
        scenarios = [(spot, 1.0), (spot * 1.2, 1.5), (spot * 0.8, 1.5)]
        step = StepMarks(t, surfaces, table, scenarios)
        live = [o for o in options if o.expiry > t]
        for spot_, scale in [*scenarios, (spot * 1.05, 1.25)]:  # the last: not prepared, priced when asked
            for size in (1, 2, 5, len(live)):
                pick = [live[i] for i in rng.choice(len(live), size, replace=size > len(live))]
                assert _same(step.of(pick, spot_, scale), marks(pick, spot_, t, surfaces, scale))
        assert _same(step.of([], spot, 1.0), marks([], spot, t, surfaces, 1.0))


def test_an_option_outside_the_step_takes_the_reference_path_and_its_errors():
    t = T0 + 8 * DAY
    listed = [Option(e, k, c) for e in EXPIRIES for k in STRIKES[:2] for c in (True, False)]
    step = StepMarks(t, _surfaces(t), OptionTable(listed), [(3000.0, 1.0)])
    other = Option(EXPIRIES[1], Decimal(3100), True)  # not in the table
    assert _same(step.of([other], 3000.0, 1.0), marks([other], 3000.0, t, _surfaces(t), 1.0))
    with pytest.raises(KeyError):  # an expiry with no surface, as marks() says it
        step.of([Option(T0 + 28 * DAY, Decimal(3000), True)], 3000.0, 1.0)


def _run(model_class, scenario: Scenario) -> Result:
    return Engine(scenario, model_class(scenario), "model").run()


@pytest.mark.parametrize("seed", [2, 7])
def test_a_backtest_is_bitwise_the_reference_one(seed):
    """45 days with the default stress day: trades of every kind, settlements, liquidations."""
    scenario = Scenario(days=45, seed=seed, traders=20)
    new, old = _run(ModelProtocol, scenario), _run(ReferenceModel, scenario)
    assert new.counts == old.counts and new.rejected == old.rejected
    assert new.counts["liquidations"] > 0 and new.counts["settlements"] > 0
    for vault in ("call", "put"):
        assert new.nav[vault] == old.nav[vault]  # lists of floats: equal element by element
        assert new.share_price[vault] == old.share_price[vault]
        assert new.utilisation[vault] == old.utilisation[vault]
        assert new.ledger[vault] == old.ledger[vault]
        assert new.bad_debt[vault] == old.bad_debt[vault]
