"""The AMM's price is the pricing engine's: `OptionPricer.tradePrice` on a real Anvil against
`optio.pricing.quotes.quote`, over the pricing domain, any surface, inventory, utilisation and fees."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optio.pricing.oracle_units import svi_from_wad
from optio.pricing.quotes import QuoteParams, quote
from optio.sdk.contracts import Client
from testkit.math_harness import YEAR, quote_sample

WAD = 10**18
INPUTS = quote_sample(400, seed=5)

fractions = st.floats(min_value=0.0, max_value=0.2)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    index=st.integers(min_value=0, max_value=len(INPUTS.vol) - 1),
    inventory=st.floats(min_value=-1.0, max_value=1.0),
    utilisation=st.floats(min_value=0.0, max_value=1.0),
    half_spread=fractions,
    skew=fractions,
    base_fee=st.floats(min_value=0.0, max_value=0.01),
    utilisation_fee=fractions,
    move=st.floats(min_value=0.0, max_value=0.02),
    is_call=st.booleans(),
)
def test_trade_price_equals_engine(protocol, index, inventory, utilisation, half_spread, skew, base_fee,
                                   utilisation_fee, move, is_call):
    pricer = Client(protocol.w3, protocol.deployment.address("OptionPricer"), artifact_name="OptionPricer")
    o = INPUTS.options
    spot, strike, tau, params = o.spot[index], o.strike[index], int(o.tau[index]), INPUTS.params[index]
    wad = [round(x * WAD) for x in (inventory, utilisation, half_spread, skew, base_fee, utilisation_fee, move)]
    engine = quote(
        spot / WAD,
        strike / WAD,
        tau / YEAR,
        svi_from_wad(params),
        is_call=is_call,
        inventory=wad[0] / WAD,
        utilisation=wad[1] / WAD,
        params=QuoteParams(*(w / WAD for w in wad[2:])),
    )
    s = spot / WAD
    for vault_sells, expected in ((True, engine.ask), (False, engine.bid)):
        per_option, mid, vol, _ = pricer.call(
            "tradePrice", is_call, vault_sells, spot, strike, tau, params, wad[0], wad[1], tuple(wad[2:])
        )
        assert abs(mid / WAD - float(engine.mid)) <= 1e-12 * s
        assert abs(vol / WAD - float(engine.vol)) <= 1e-12 * max(float(engine.vol), 1.0)
        # Fee terms are products of the mid path's outputs: the same 1e-12·S bar, plus the
        # engine's float rounding of a sum of terms up to ~S.
        assert abs(per_option / WAD - float(expected)) <= 1e-12 * s + 4e-16 * float(np.abs(expected)), (
            vault_sells, per_option / WAD, float(expected))
