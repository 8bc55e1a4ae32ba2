"""Price with Greeks by blocks (libmvec lanes, series per region) equals the scalar path per option."""

import math

import mpmath as mp
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optio.pricing._black_kernels import GREEKS, _greeks_one
from optio.pricing._inputs import PricingInputError
from optio.pricing._normalised_black_blocks import (
    _FAST_ASYMPTOTIC_Z,
    _FAST_TERMS,
    _SLOW_TERMS,
    ERFCX,
    OTM_ROWS,
    WORK_ROWS,
    fast_asymptotic_brackets,
    mills_ys,
    otm_values,
    slow_asymptotic_brackets,
)
from optio.pricing._vector_libm import ERFC_ZERO, EXP_ZERO, erfc_block, exp_block, log_block
from optio.pricing.black_scholes import Greeks, black_greeks, black_price
from optio.pricing.normalised_black import ASYMPTOTIC_Z, asymptotic_bracket, mills_y, otm_call_scalar

MINUTE = 1 / 525600
EPS = np.finfo(float).eps


@numba.njit
def _scalar_greeks(forward, strike, expiry_years, vol, discount, is_call, out, status):
    for i in range(status.size):
        _greeks_one(forward[i], strike[i], expiry_years[i], vol[i], discount[i], is_call[i], out, status, i)


def scalar_greeks(forward, strike, expiry_years, vol, discount, is_call) -> Greeks:
    """The reference: every option through :func:`_greeks_one`, the scalar path of every region."""
    n = strike.size
    out, status = np.empty((GREEKS, n)), np.empty(n, dtype=np.int8)
    _scalar_greeks(*(np.broadcast_to(a, (n,)).astype(float) for a in (forward, strike, expiry_years, vol, discount)),
                   np.broadcast_to(is_call, (n,)).astype(bool), out, status)
    return Greeks(*out)


def wide_grid(n: int, seed: int):
    """K/F 0.05–20, a minute to 5 years, vol 1–1000%, calls and puts, some discounting."""
    rng = np.random.default_rng(seed)
    m = np.exp(rng.uniform(np.log(0.05), np.log(20), n))
    t = np.exp(rng.uniform(np.log(MINUTE), np.log(5.0), n))
    vol = np.exp(rng.uniform(np.log(0.01), np.log(10.0), n))
    discount = np.where(rng.random(n) < 0.5, 1.0, np.exp(-0.05 * t))
    return m, t, vol, discount, rng.random(n) < 0.5


def assert_close(ours: Greeks, reference: Greeks, strike, forward: float = 1.0, carry: float = 0.0):
    """Each Greek within 1e-12 relative, or within 1e-14 of its own scale (theta and vanna cancel
    between two terms; far from the money every Greek is a tail). ``carry``: the size of theta's
    discount term ``r·price``, which an ulp of the price moves."""
    for name in ("price", "delta", "gamma", "vega", "theta", "rho", "vanna", "volga"):
        a, b = getattr(ours, name), getattr(reference, name)
        scale = np.max(np.abs(b[np.isfinite(b)]))
        if name == "theta":
            scale = max(scale, 100 * carry)
        bad = ~((a == b) | (np.abs(a - b) <= 1e-12 * np.abs(b) + 1e-14 * scale))
        assert not bad.any(), (name, a[bad][:3], b[bad][:3])
    # Prices to a few ulp of max(F, K) everywhere (the on-chain comparison needs 1e-12 of spot).
    assert np.all(np.abs(ours.price - reference.price) <= 4 * EPS * np.maximum(forward, strike))


@pytest.mark.parametrize("seed", [1, 2])
def test_blocks_equal_the_scalar_path_across_the_domain(seed):
    m, t, vol, discount, calls = wide_grid(200_000, seed)
    ours = black_greeks(1.0, m, t, vol, is_call=calls, discount=discount)
    assert_close(ours, scalar_greeks(1.0, m, t, vol, discount, calls), m)


@settings(max_examples=200, deadline=None)
@given(st.floats(0.05, 20), st.floats(MINUTE, 5.0), st.floats(0.01, 10.0), st.booleans(), st.floats(0.5, 1.0))
def test_one_option_equals_the_scalar_path(m, t, vol, is_call, discount):
    args = [np.array([x]) for x in (1.0, m, t, vol, discount)]
    ours = black_greeks(1.0, m, t, vol, is_call=is_call, discount=discount)
    reference = scalar_greeks(*args, np.array([is_call]))
    carry = abs(np.log(discount) / t * float(ours.price))
    assert_close(Greeks(*(np.atleast_1d(getattr(ours, f)) for f in Greeks.__dataclass_fields__)), reference, m,
                 carry=carry)


def test_price_matches_black_price_to_its_conditioning():
    # One front end for both (optio.pricing._black_kernels._normalised_black); only the options of the
    # scalar path (limits, the erfcx region) take their log-moneyness from scalar libm instead.
    m, t, vol, discount, calls = wide_grid(100_000, 3)
    ours = black_greeks(1.0, m, t, vol, is_call=calls, discount=discount).price
    theirs = black_price(1.0, m, t, vol, is_call=calls, discount=discount)
    assert np.all(np.abs(ours - theirs) <= 4 * EPS * np.maximum(1.0, m))
    # Relative to the price: a few ulp of each of Φ, exp and log, amplified far from the money by
    # the price's elasticity to them (~(x/s)²), as for any double evaluation.
    x, s = np.log(m), vol * np.sqrt(t)
    live = theirs > 1e-290
    elasticity = 1.0 + (x[live] / s[live]) ** 2
    assert np.all(np.abs(ours[live] - theirs[live]) <= 16 * EPS * elasticity * theirs[live])
    assert np.mean(ours == theirs) > 0.9


def test_far_tail_price_against_mpmath():
    # Deep out of the money at minutes to expiry: the asymptotic series, with Φ's tails at 0.
    mp.mp.dps = 40
    m = np.array([0.9, 1.1, 0.5, 2.0, 0.99])
    t = np.array([1e-4, 1e-4, 0.01, 0.01, 1e-5])
    vol = np.array([0.3, 0.3, 0.2, 0.2, 0.5])
    calls = m > 1
    ours = black_greeks(1.0, m, t, vol, is_call=calls).price
    for price, k, tt, v in zip(ours, m, t, vol, strict=True):
        s = mp.mpf(float(v)) * mp.sqrt(mp.mpf(float(tt)))
        x = -abs(mp.log(mp.mpf(float(k))))
        truth = mp.sqrt(mp.mpf(float(k))) * (mp.e ** (x / 2) * mp.ncdf(x / s + s / 2)
                                             - mp.e ** (-x / 2) * mp.ncdf(x / s - s / 2))
        assert truth > 0 and abs(price - truth) <= 1e-12 * truth + 1e-300


def test_limits_and_extremes_go_the_scalar_way():
    strikes = np.array([0.5, 1.0, 2.0, 1e-200, 1e200])
    for t, vol in ((0.0, 0.5), (1.0, 0.0), (1e300, 1e300), (1.0, 1e-300)):
        ours = black_greeks(1.0, strikes, t, vol, is_call=np.array([True, True, False, True, False]))
        reference = scalar_greeks(1.0, strikes, t, vol, 1.0, np.array([True, True, False, True, False]))
        for name in Greeks.__dataclass_fields__:
            a, b = getattr(ours, name), getattr(reference, name)
            assert np.array_equal(a, b, equal_nan=True), (t, vol, name, a, b)
            assert not np.isnan(a).any(), (t, vol, name)


def test_broadcasting_and_shapes():
    strikes = np.linspace(50, 150, 7)[None, :]
    years = np.array([[0.1], [1.0], [2.0]])
    g = black_greeks(100.0, strikes, years, 0.4, is_call=True)
    assert g.price.shape == g.volga.shape == (3, 7)
    flat = black_greeks(100.0, np.tile(strikes, (3, 1)).ravel(), np.repeat(years.ravel(), 7), 0.4, is_call=True)
    assert np.array_equal(g.delta.ravel(), flat.delta)
    assert black_greeks(100.0, 100.0, 1.0, 0.4, is_call=False).price.shape == ()
    assert black_greeks(100.0, np.array([]), 1.0, 0.4, is_call=True).price.shape == (0,)


def test_one_bad_element_names_itself_and_nothing_is_returned():
    strikes = np.full(1000, 100.0)
    strikes[700] = -1.0
    with pytest.raises(PricingInputError, match=r"strike must be positive and finite; got -1.0 at index \(700,\)"):
        black_greeks(100.0, strikes, 1.0, 0.4, is_call=True)


def test_vector_libm_within_two_ulp_of_libm():
    rng = np.random.default_rng(5)
    z = np.concatenate([rng.uniform(-6, 27, 4096), [0.0, 1e-300, 26.5, ERFC_ZERO, 3.0]])
    y = np.concatenate([rng.uniform(-745, 700, z.size - 3), [EXP_ZERO, -746.0, -1e300]])
    r = np.exp(rng.uniform(-30, 30, z.size))
    for block, scalar, arg in ((erfc_block, math.erfc, z), (exp_block, math.exp, y), (log_block, math.log, r)):
        out = np.full(arg.size + 3, -1.0)
        block(arg, out, arg.size)  # an odd count: whole vectors, then one with benign lanes past it
        assert np.all(out[arg.size:] == -1.0)  # nothing written past count
        out = out[:arg.size]
        reference = np.array([scalar(a) for a in arg])
        normal = np.abs(reference) > 2.3e-308  # denormal results carry fewer digits
        assert np.all(np.abs(out[normal] - reference[normal]) <= 3 * EPS * np.abs(reference[normal])), block
        assert np.all(out[reference == 0.0] == 0.0), block  # underflow: 0, also where the block writes it
    # The cut-offs that spare libmvec its slow lanes change nothing: the results there are 0.
    assert math.erfc(ERFC_ZERO) == 0.0 and math.exp(EXP_ZERO) == 0.0


def test_mills_ratio_by_erfc_and_exp_matches_erfcx():
    h = -np.concatenate([np.linspace(0, 10.5, 4000), [1e-12]])
    work, y = np.empty((WORK_ROWS, h.size)), np.empty(h.size)
    mills_ys(h, work, y, h.size)
    reference = np.array([mills_y(u) for u in h])
    assert np.all(np.abs(y - reference) <= 8 * EPS * reference)


def _last_term_bound(terms: int, a: float) -> float:
    """The asymptotic series' term ``terms − 1`` relative to its first: ``(2k−1)!!·(2k+1)·a^{2k}``."""
    bound = 1.0
    for k in range(1, terms):
        bound *= (2 * k - 1) * a * a
    return bound * (2 * terms - 1)


def test_asymptotic_term_counts_reach_the_series_bound():
    # The last term each fixed count includes is within 1e-17 of the first, at the nearest z − t
    # each count is used for; one term fewer would not be.
    for terms, nearest in ((_FAST_TERMS, _FAST_ASYMPTOTIC_Z), (_SLOW_TERMS, ASYMPTOTIC_Z)):
        assert _last_term_bound(terms, 1 / nearest) <= 1e-17 < _last_term_bound(terms - 1, 1 / nearest)


@pytest.mark.parametrize(("brackets", "near", "far"), [(slow_asymptotic_brackets, ASYMPTOTIC_Z, 1e4),
                                                       (fast_asymptotic_brackets, _FAST_ASYMPTOTIC_Z, 1e4)])
def test_fixed_count_asymptotic_series_equals_the_scalar_series(brackets, near, far):
    rng = np.random.default_rng(5)
    t = np.exp(rng.uniform(np.log(1e-3), np.log(5.0), 4000))
    z = t + np.exp(rng.uniform(np.log(near), np.log(far), t.size))  # z − t from the bound out
    h = -z
    ours = np.empty(t.size)
    brackets(h, t, ours, t.size)
    reference = np.array([asymptotic_bracket(a, b) for a, b in zip(h, t, strict=True)])
    assert np.all(np.abs(ours - reference) <= 4 * EPS * reference)


def test_erfcx_difference_in_lanes_matches_the_scalar_function():
    # Where the two-term formula is not accurate and no series applies: two mills_ys in lanes
    # against scipy's erfcx in the scalar function, and both against mpmath.
    m, t, vol, _discount, _calls = wide_grid(200_000, 9)
    x, s = -np.abs(np.log(m)), vol * np.sqrt(t)
    value, gauss = np.empty(256), np.empty(256)
    work, region, index = np.empty((OTM_ROWS, 256)), np.empty(256, dtype=np.int8), np.empty(256, dtype=np.int64)
    picked_x, picked_s, picked = [], [], []
    for start in range(0, x.size, 256):
        xs, ss = x[start:start + 256], s[start:start + 256]
        otm_values(xs, ss, np.exp(0.5 * xs), value, gauss, work, region, index, xs.size)
        chosen = region[:xs.size] == ERFCX
        picked_x.append(xs[chosen])
        picked_s.append(ss[chosen])
        picked.append(value[:xs.size][chosen])
    xs, ss, ours = np.concatenate(picked_x), np.concatenate(picked_s), np.concatenate(picked)
    assert xs.size > 1000
    scalar = np.array([otm_call_scalar(a, b) for a, b in zip(xs, ss, strict=True)])
    assert np.all(np.abs(ours - scalar) <= 3e-14 * scalar)
    mp.mp.dps = 40
    for a, b, value_ in list(zip(xs, ss, ours, strict=True))[:: xs.size // 50]:
        xa, sa = mp.mpf(float(a)), mp.mpf(float(b))
        truth = mp.e ** (xa / 2) * mp.ncdf(xa / sa + sa / 2) - mp.e ** (-xa / 2) * mp.ncdf(xa / sa - sa / 2)
        assert abs(value_ - truth) <= 3e-14 * truth
