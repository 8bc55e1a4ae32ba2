"""VolOracle: sanity checks against a Python reference, freshness, and the ATM move bound."""

from __future__ import annotations

import math
from decimal import Decimal, getcontext

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optio.pricing.oracle_units import round_to_wad
from optio.sdk.chain import simulate
from optio.sdk.contracts import SviParams
from optio.sdk.errors import ContractRevert
from tests.helpers import call, now, reverts, send, warp

WAD = 10**18
YEAR = 365 * 86400
GOOD = SviParams(a=0.002, b=0.02, rho=-0.3, m=0.0, sigma=0.1)
getcontext().prec = 50


@pytest.fixture
def vol(protocol):
    return protocol.vol_oracle


def post(vol, keeper, expiry: int, params: SviParams | tuple):
    wad = round_to_wad(params) if isinstance(params, SviParams) else params
    return send(vol, keeper, "post", expiry, wad)


def atm_total_variance(p: tuple[int, ...]) -> Decimal:
    a, b, rho, m, sigma = (Decimal(x) / WAD for x in p)
    return a + b * (-rho * m + (m * m + sigma * sigma).sqrt())


def reference_verdict(p: tuple[int, ...]) -> str | None:
    """Which check the contract must fail first, or None if the surface is acceptable."""
    a, b, rho, m, sigma = p
    limit = 10**27
    if b < 0:
        return "NegativeB"
    if not -WAD < rho < WAD:
        return "RhoOutOfRange"
    if sigma <= 0:
        return "NonPositiveSigma"
    if abs(a) > limit or b > limit or abs(m) > limit or sigma > limit:
        return "ParameterOutOfRange"
    if b * (WAD + abs(rho)) // WAD > 2 * WAD:
        return "WingTooSteep"
    rd = Decimal(rho) / WAD
    min_var = Decimal(a) / WAD + Decimal(b) / WAD * Decimal(sigma) / WAD * (1 - rd * rd).sqrt()
    if min_var < Decimal("-1e-15"):
        return "NegativeMinimumVariance"
    if min_var < Decimal("1e-15"):
        return "borderline"
    if atm_total_variance(p) <= 0:
        return "AtmVarianceNotPositive"
    return None


def test_post_round_trip_and_atm_vol(w3, vol, keeper):
    expiry = now(w3) + 30 * 86400
    post(vol, keeper, expiry, GOOD)
    params, updated = call(vol, "getParams", expiry)
    assert tuple(params) == round_to_wad(GOOD)
    block_time = now(w3)
    assert updated == block_time
    expected = math.sqrt(float(atm_total_variance(round_to_wad(GOOD))) * YEAR / (expiry - block_time))
    assert call(vol, "atmVol", expiry) / WAD == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("params", "error"),
    [
        (SviParams(0.01, -0.01, 0.0, 0.0, 0.1), "NegativeB"),
        (SviParams(0.01, 0.1, 1.0, 0.0, 0.1), "RhoOutOfRange"),
        (SviParams(0.01, 0.1, -1.0, 0.0, 0.1), "RhoOutOfRange"),
        (SviParams(0.01, 0.1, 0.0, 0.0, 0.0), "NonPositiveSigma"),
        (SviParams(-0.05, 0.1, 0.0, 0.0, 0.1), "NegativeMinimumVariance"),
        (SviParams(0.01, 1.6, 0.3, 0.0, 0.1), "WingTooSteep"),
        (SviParams(2e9, 0.1, 0.0, 0.0, 0.1), "ParameterOutOfRange"),
    ],
)
def test_rejects_insane_parameters(w3, vol, keeper, params, error):
    with reverts(error):
        post(vol, keeper, now(w3) + 86400, params)


def test_rejects_expired_expiry_and_non_keeper(w3, vol, keeper, alice):
    with reverts("ExpiryNotInFuture"):
        post(vol, keeper, now(w3), GOOD)
    with reverts("AccessControlUnauthorizedAccount", account=alice.address):
        post(vol, alice, now(w3) + 86400, GOOD)


def test_reads_revert_when_missing_or_stale(w3, vol, keeper):
    expiry = now(w3) + 30 * 86400
    with reverts("NoSurface", expiry=expiry):
        call(vol, "getParams", expiry)
    post(vol, keeper, expiry, GOOD)
    warp(w3, 3 * 3600 + 1)
    with reverts("StaleSurface"):
        call(vol, "getParams", expiry)
    with reverts("StaleSurface"):
        call(vol, "atmVol", expiry)


def test_atm_move_bound(w3, vol, keeper):
    expiry = now(w3) + 30 * 86400
    post(vol, keeper, expiry, GOOD)
    # ATM total variance ×4 → ATM vol ×2: a 100% move against a 50% bound.
    doubled = SviParams(a=GOOD.a * 4, b=GOOD.b * 4, rho=GOOD.rho, m=GOOD.m, sigma=GOOD.sigma)
    with reverts("AtmVolMoveTooLarge", maxAtmMoveWad=WAD // 2):
        post(vol, keeper, expiry, doubled)
    # +30% in vol (×1.69 in variance) is inside the bound.
    post(vol, keeper, expiry, SviParams(a=GOOD.a * 1.69, b=GOOD.b * 1.69, rho=GOOD.rho, m=GOOD.m, sigma=GOOD.sigma))
    # After the surface went stale, any sane surface is accepted (the market may have moved).
    warp(w3, 3 * 3600 + 1)
    post(vol, keeper, expiry, doubled)


svi_component = st.integers(min_value=-3 * WAD, max_value=3 * WAD)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    a=st.integers(-WAD // 2, WAD // 2),
    b=st.integers(-WAD // 10, 3 * WAD),
    rho=st.integers(-WAD - 10, WAD + 10),
    m=svi_component,
    sigma=st.integers(-WAD // 10, 2 * WAD),
)
def test_contract_accepts_exactly_what_the_reference_accepts(w3, vol, keeper, a, b, rho, m, sigma):
    """Simulated posts (eth_call): the first failing check matches the Python reference."""
    params = (a, b, rho, m, sigma)
    expected = reference_verdict(params)
    if expected == "borderline":
        return  # within 1e-15 of zero minimum variance: either verdict is right
    tx = {
        "from": keeper.address,
        "to": vol.address,
        "data": vol.contract.encode_abi("post", args=[now(w3) + 86400, params]),
    }
    try:
        simulate(w3, tx, "post")
        verdict = None
    except ContractRevert as err:
        verdict = err.name
    assert verdict == expected, params
