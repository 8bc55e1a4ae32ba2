"""Implied vol: round trips to machine precision across the domain, reason codes, never a silent NaN."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from optio.pricing.black_scholes import black_greeks, black_price, bsm_price
from optio.pricing.implied_vol import IVStatus, implied_vol_black, implied_vol_bsm
from optio.pricing.normalised_black import otm_call

MINUTE = 1 / 525600
EPS = np.finfo(float).eps
TINY = np.finfo(float).tiny


def elasticity(x, s):
    """d ln b / d ln s: the repricing error one ulp of s cannot avoid is this times 2^-53."""
    return s * np.exp(-0.5 * ((x / s) ** 2 + s * s / 4)) / np.sqrt(2 * np.pi) / otm_call(x, s)


@settings(max_examples=300, deadline=None)
@given(st.floats(0.05, 20), st.floats(MINUTE, 5.0), st.floats(0.01, 10.0), st.booleans())
def test_iv_of_price_is_vol(m, t, vol, is_call):
    g = black_greeks(1.0, m, t, vol, is_call=is_call)
    # The price IV inverts is black_price's (black_greeks' agrees to a few ulp × its conditioning).
    price = float(black_price(1.0, m, t, vol, is_call=is_call))
    upper = 1.0 if is_call else m
    iv = implied_vol_black(price, 1.0, m, t, is_call=is_call)
    # What the double-precision input price can tell: its rounding, seen through vega.
    resolvable = 4 * max(EPS * price, math.ulp(price)) / float(g.vega) if g.vega > 0 else np.inf  # an ulp: subnormals
    intrinsic = max(1.0 - m, 0.0) if is_call else max(m - 1.0, 0.0)
    if price - intrinsic < TINY and (price - intrinsic) / np.sqrt(m) < TINY:
        # At the intrinsic value, or a time value (and β) below the normal doubles: no vol, and a
        # status that says so.
        assert iv.status == IVStatus.NO_INFORMATION and np.isnan(iv.vol)
        return
    if price < 1e-290 or resolvable > 1e-3 * vol or price >= upper * (1 - 4 * EPS):
        assert iv.status in (IVStatus.OK, IVStatus.ABOVE_MAXIMUM)  # vega negligible: no σ to recover
        return
    assert iv.status == IVStatus.OK
    assert abs(float(iv.vol) - vol) <= 1e-12 * vol + resolvable


def offending(m, t, vol, calls, price, iv, rel, floor, bad, limit: int = 20) -> str:
    """The elements a grid test failed on, one line each, so that a CI log shows what to reproduce."""
    count = int(bad.sum())
    lines = [f"{count} elements fail; first {min(limit, count)} (m, t, vol, call, price, iv, rel, floor):"]
    for j in np.flatnonzero(bad)[:limit]:
        lines.append(f"  {m[j]!r}, {t[j]!r}, {vol[j]!r}, {bool(calls[j])}, {price[j]!r}, {iv[j]!r}, {rel[j]:.3e}, "
                     f"{floor[j]:.3e}")
    return "\n".join(lines)


def test_batch_accuracy_on_a_wide_grid():
    rng = np.random.default_rng(11)
    n = 200_000
    m = np.exp(rng.uniform(np.log(0.05), np.log(20), n))
    t = np.exp(rng.uniform(np.log(MINUTE), np.log(5.0), n))
    vol = np.exp(rng.uniform(np.log(0.01), np.log(10.0), n))
    calls = rng.random(n) < 0.5
    g = black_greeks(1.0, m, t, vol, is_call=calls)
    price = black_price(1.0, m, t, vol, is_call=calls)
    iv = implied_vol_black(price, 1.0, m, t, is_call=calls)
    at_bound = price >= np.where(calls, 1.0, m) * (1 - 4 * EPS)
    # A time value, and β, below the normal doubles: NO_INFORMATION (a subnormal has lost digits;
    # σ from 5.47e-321 at K/F = 162755 came out 7e-5 off with status OK).
    time_value = price - np.where(calls, np.maximum(1.0 - m, 0.0), np.maximum(m - 1.0, 0.0))
    no_time_value = (time_value < TINY) & (time_value / np.sqrt(m) < TINY)
    assert np.all(iv.ok | (at_bound & (iv.status == IVStatus.ABOVE_MAXIMUM))
                  | (no_time_value & (iv.status == IVStatus.NO_INFORMATION)))
    assert np.all((iv.status == IVStatus.NO_INFORMATION) == (no_time_value & ~(at_bound & ~iv.ok)))
    assert np.isfinite(iv.vol[iv.ok]).all()  # never a silent NaN, even for prices of a few denormals
    x, s = -np.abs(np.log(m)), vol * np.sqrt(t)
    b = otm_call(x, s)
    live = (b > 1e-250) & iv.ok
    reprice = black_price(1.0, m[live], t[live], iv.vol[live], is_call=calls[live])
    rel = np.abs(reprice - price[live]) / price[live]
    # One ulp of σ moves the price by elasticity × time value × 2^-53: no double does better.
    # And the price itself, computed twice (given and repriced), carries the Gaussian factor
    # e^{-q}: one ulp of q is q ulps of each (with scalar libm, 1.004e-13 at q = 50 against an
    # elasticity floor of 9.2e-14).
    h, half_s = x[live] / s[live], s[live] / 2
    q = 0.5 * (h * h + half_s * half_s)
    floor = 4 * EPS * (elasticity(x[live], s[live]) * np.sqrt(m[live]) * b[live] / price[live] + q)
    bad = rel > np.maximum(1e-13, floor)
    assert not bad.any(), offending(m[live], t[live], vol[live], calls[live], price[live], iv.vol[live], rel, floor,
                                    bad)
    # Over the options with a time value to invert: before NO_INFORMATION, the 15811 at their
    # intrinsic value counted here too (σ = 0 repriced them exactly), and the share was 0.99910.
    assert np.mean(rel <= 1e-13) > 0.998
    # σ itself wherever the price still responds to it (vega not negligible).
    with np.errstate(divide="ignore"):
        resolvable = 4 * EPS * price / g.vega
    sensitive = iv.ok & (price > 1e-290) & (resolvable < 1e-3 * vol)
    assert np.all(np.abs(iv.vol[sensitive] - vol[sensitive]) <= 1e-12 * vol[sensitive] + resolvable[sensitive])
    assert sensitive.mean() > 0.3  # the rest: minutes to expiry far from the money, no time value


def test_reason_codes_per_element():
    forward, strike, t = 100.0, np.array([90.0, 90.0, 110.0, 110.0, 100.0, 100.0, 100.0]), 0.5
    prices = np.array([9.0, 101.0, 5.0, 3.0, 0.0, np.nan, 4.0])
    is_call = np.array([True, True, False, True, True, True, True])
    texp = np.array([t, t, t, t, t, t, 0.0])
    iv = implied_vol_black(prices, forward, strike, texp, is_call=is_call)
    assert iv.reasons() == ["BELOW_INTRINSIC", "ABOVE_MAXIMUM", "BELOW_INTRINSIC", "OK", "NO_INFORMATION",
                            "INVALID_INPUT", "EXPIRED"]
    assert np.isnan(iv.vol[iv.status != IVStatus.OK]).all()
    assert np.isfinite(iv.vol[iv.ok]).all()
    # At intrinsic (here a zero price at the money): every small enough vol gives it, so none.
    assert np.isnan(iv.vol[4]) and iv.status[4] == IVStatus.NO_INFORMATION


def test_bsm_round_trip_with_rates():
    price = bsm_price(100.0, 120.0, 2.0, 0.8, is_call=False, rate=0.05, dividend=0.02)
    iv = implied_vol_bsm(price, 100.0, 120.0, 2.0, is_call="put", rate=0.05, dividend=0.02)
    assert abs(float(iv.vol) - 0.8) < 1e-14
