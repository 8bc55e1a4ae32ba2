"""BlackScholes.sol against the Python engine, differentially, in an in-process EVM (pyrevm).

The reference is optio.pricing.black_scholes on the same (wad-rounded) inputs; the bar is the issue's:
max absolute error ≤ 1e-12 × spot for prices and vega, across the whole domain.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from eth_utils import function_signature_to_4byte_selector

from testkit.math_harness import WAD, YEAR, Harness, domain_sample, price_errors

#: The issue's 1,000,000 random options, in every CI run (about 25 s in pyrevm); `make fuzz-math`
#: draws another 1,000,000 and prints the error distribution (benchmarks.math_gas --n).
N_DIFFERENTIAL = 1_000_000


@pytest.fixture(scope="module")
def harness() -> Harness:
    return Harness()


def errors(harness: Harness, n: int, seed: int) -> dict[str, np.ndarray]:
    options = domain_sample(n, seed)
    return price_errors(harness.prices(options.spot, options.strike, options.tau, options.vol), options)


def test_prices_delta_vega_match_the_engine_across_the_domain(harness):
    errs = errors(harness, N_DIFFERENTIAL, seed=1)
    for name, err in errs.items():
        assert err.max() <= 1e-12, f"{name}: max error {err.max():.2e} (× spot)"


def worst_cdf_error(harness: Harness, xs: list[int]) -> mp.mpf:
    """The largest |Φ(x) − mpmath's| over ``xs`` (wad), absolute."""
    mp.mp.dps = 30
    values = harness.cdfs(xs)
    return max(abs(mp.mpf(v) / WAD - mp.ncdf(mp.mpf(x) / WAD)) for v, x in zip(values, xs, strict=True))


def test_cdf_within_3e_16_of_mpmath(harness):
    xs = [int(x * WAD) for x in np.linspace(-9.0, 9.0, 3001)] + [0, 1, -1, 8_500_000_000_000_000_000]
    assert worst_cdf_error(harness, xs) <= 3e-16


def test_cdf_is_exactly_0_or_1_past_the_fits(harness):
    """Past NormalCDF.X_END (9.5) the rational fits are not evaluated meaningfully (their Horner
    products may wrap): Φ must still be exactly 0 or 1 there, up to the largest |x| an int256 holds."""
    far = [9_500_000_000_000_000_000, 9_500_000_000_000_000_001, 10**19, 123 * WAD, 2**120, 2**128 + 7, 2**254]
    xs = far + [-x for x in far] + [-(2**255) + 1]
    assert harness.cdfs(xs) == [WAD] * len(far) + [0] * (len(far) + 1)


def test_cdf_just_inside_the_fits_end(harness):
    """Just below X_END the fit is used with a density of a few wei: Φ stays within its bar."""
    xs = [int(x * WAD) for x in np.linspace(8.0, 9.5, 301)][:-1]
    assert worst_cdf_error(harness, xs + [-x for x in xs]) <= 3e-16


def test_expiry_gives_intrinsic_and_a_step_delta(harness):
    sig = "price(uint256,uint256,uint256,uint256)"
    out = ["(uint256,uint256,uint256,uint256)"]
    itm = harness.call(sig, ["uint256"] * 4, [3000 * WAD, 2500 * WAD, 0, WAD // 2], out)[0]
    atm = harness.call(sig, ["uint256"] * 4, [3000 * WAD, 3000 * WAD, 0, WAD // 2], out)[0]
    assert itm == (500 * WAD, 0, WAD, 0)
    assert atm == (0, 0, WAD // 2, 0)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((3000 * WAD, 3000 * WAD * 21, 86400, WAD), "MoneynessOutOfDomain(uint256,uint256)"),
        ((3000 * WAD, 3000 * WAD // 21, 86400, WAD), "MoneynessOutOfDomain(uint256,uint256)"),
        ((0, 3000 * WAD, 86400, WAD), "MoneynessOutOfDomain(uint256,uint256)"),
        ((10**36 + 1, 10**36, 86400, WAD), "MoneynessOutOfDomain(uint256,uint256)"),
        ((3000 * WAD, 2**255, 86400, WAD), "MoneynessOutOfDomain(uint256,uint256)"),
        ((3000 * WAD, 2**256 - 1, 86400, WAD), "MoneynessOutOfDomain(uint256,uint256)"),
        ((3000 * WAD, 3000 * WAD, 59, WAD), "ExpiryOutOfDomain(uint256)"),
        ((3000 * WAD, 3000 * WAD, 5 * YEAR + 1, WAD), "ExpiryOutOfDomain(uint256)"),
        ((3000 * WAD, 3000 * WAD, 86400, WAD // 100 - 1), "VolOutOfDomain(uint256)"),
        ((3000 * WAD, 3000 * WAD, 86400, 10 * WAD + 1), "VolOutOfDomain(uint256)"),
    ],
)
def test_outside_the_domain_is_a_custom_error(harness, args, error):
    with pytest.raises(Exception) as info:
        harness.raw_call("price(uint256,uint256,uint256,uint256)", ["uint256"] * 4, list(args))
    assert function_signature_to_4byte_selector(error).hex() in str(info.value)
