"""SVI.sol and the full quote path (SurfacePricing.quote) against the Python engine, in pyrevm.

SVI vols must equal optio.pricing.svi's for the oracle's wad parameters to float precision; quotes
must meet the price bar (1e-12 × spot) with the engine pricing at the engine's own SVI vol.
"""

from __future__ import annotations

import numpy as np
import pytest
from eth_utils import function_signature_to_4byte_selector

from testkit.math_harness import SVI_TUPLE, WAD, Harness, price_errors, quote_sample, svi_vol_sample

N_SVI = 20_000
N_QUOTES = 20_000


@pytest.fixture(scope="module")
def harness() -> Harness:
    return Harness()


def selector(error: str) -> str:
    return function_signature_to_4byte_selector(error).hex()


def test_svi_vol_matches_the_engine(harness):
    sample = svi_vol_sample(N_SVI, seed=7)
    chain = np.array(harness.svi_vols(sample.params, sample.k, list(map(int, sample.tau))), dtype=float) / WAD
    reference = sample.reference()
    relative = np.abs(chain - reference) / reference
    assert relative.max() <= 1e-13, f"max relative vol error {relative.max():.2e}"


def test_quotes_match_the_engine_at_its_own_svi_vol(harness):
    sample = quote_sample(N_QUOTES, seed=9)
    assert len(sample.params) > 0.9 * N_QUOTES
    out = harness.quotes(*sample.columns())
    chain_vol = out[:, 0].astype(float) / WAD
    assert np.max(np.abs(chain_vol - sample.vol) / sample.vol) <= 1e-13
    errs = price_errors(out[:, 1:], sample.options, vol=sample.vol)
    for name, err in errs.items():
        assert err.max() <= 1e-12, f"{name}: max error {err.max():.2e} (× spot)"


def test_quote_at_expiry_is_intrinsic_with_no_vol(harness):
    surface = (WAD // 10, WAD // 10, 0, 0, WAD // 10)
    out = harness.call(f"quote(uint256,uint256,uint256,{SVI_TUPLE})", ["uint256"] * 3 + [SVI_TUPLE],
                       [3000 * WAD, 2500 * WAD, 0, surface], ["(uint256,uint256,uint256,uint256,uint256)"])[0]
    assert out == (0, 500 * WAD, 0, WAD, 0)


@pytest.mark.parametrize(
    ("surface", "k", "tau", "error"),
    [
        # a < 0 with b = 0: no variance anywhere.
        ((-WAD // 100, 0, 0, 0, WAD // 10), 0, 86400, "NonPositiveTotalVariance(int256,int256)"),
        ((WAD // 100, 0, 0, 0, WAD // 10), 0, 0, "NoTimeToExpiry()"),
    ],
)
def test_svi_bad_input_is_a_custom_error(harness, surface, k, tau, error):
    with pytest.raises(Exception) as info:
        harness.raw_call(f"sviVol({SVI_TUPLE},int256,uint256)", [SVI_TUPLE, "int256", "uint256"], [surface, k, tau])
    assert selector(error) in str(info.value)


def test_quote_with_a_vol_outside_the_domain_is_refused(harness):
    # 0.001 total variance over one minute is a vol of √(0.001·525,600) ≈ 2,290%.
    surface = (WAD // 1000, 0, 0, 0, WAD // 10)
    with pytest.raises(Exception) as info:
        harness.raw_call(f"quote(uint256,uint256,uint256,{SVI_TUPLE})", ["uint256"] * 3 + [SVI_TUPLE],
                         [3000 * WAD, 3000 * WAD, 60, surface])
    assert selector("VolOutOfDomain(uint256)") in str(info.value)
