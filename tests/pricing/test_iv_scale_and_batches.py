"""Forward and strike anywhere from 1e-300 to 1e300: prices, Greeks and implied vols that are right
or say why not (never inf, never σ = 0 with status OK); the issue's own examples."""

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from optio.pricing.black_scholes import black_greeks, black_price
from optio.pricing.implied_vol import IVStatus, implied_vol_black
from optio.pricing.moneyness import log_moneyness, sqrt_product

EPS = np.finfo(float).eps
MINUTE = 1 / 525600
TINY = np.finfo(float).tiny

log_scale = st.floats(-300.0, 300.0)
#: Forward or strike from 1e-300 to 1e300, any mantissa.
level = log_scale.map(lambda e: 10.0**e)


def mp_price(forward, strike, t, vol, is_call) -> tuple[float, float]:
    """Undiscounted Black-76 price at 50 digits, from the doubles given, and ``F·|∂p/∂F| +
    K·|∂p/∂K|``: what a relative rounding of F/K (of one ulp, in any formula) moves it by."""
    with mp.workdps(50):
        f, k = mp.mpf(forward), mp.mpf(strike)
        s = mp.mpf(vol) * mp.sqrt(mp.mpf(t))
        d1 = mp.log(f / k) / s + s / 2
        d2 = d1 - s
        sign = 1 if is_call else -1
        forward_part, strike_part = f * mp.ncdf(sign * d1), k * mp.ncdf(sign * d2)
        return float(sign * (forward_part - strike_part)), float(forward_part + strike_part)


# --- the examples of the issue ---------------------------------------------------------------


def test_price_at_1e200_is_finite_and_scaled():
    price = float(black_price(1e200, 1.1e200, 0.5, 0.3, is_call=True))
    assert math.isfinite(price)
    assert price == pytest.approx(mp_price(1e200, 1.1e200, 0.5, 0.3, True)[0], rel=1e-14)
    assert price == pytest.approx(1e200 * float(black_price(1.0, 1.1, 0.5, 0.3, is_call=True)), rel=1e-14)


@pytest.mark.parametrize("level", [1e160, 1e-200, 1e300, 1e-300])
def test_at_the_money_vol_at_any_level(level):
    # The issue's 8.447e158 at F = K = 1e160 was 0.0 OK (√(F·K) overflowed); at 1e-200 23.47 OK.
    price = 8.447002662322806e-2 * level
    iv = implied_vol_black(price, level, level, 0.5, is_call=True)
    assert iv.status == IVStatus.OK
    assert float(iv.vol) == pytest.approx(0.3, rel=1e-9)
    assert float(black_price(level, level, 0.5, float(iv.vol), is_call=True)) == pytest.approx(price, rel=1e-14)


def test_issue_example_1e160_exact():
    iv = implied_vol_black(8.447002662322806e158, 1e160, 1e160, 0.5, is_call=True)
    assert iv.status == IVStatus.OK and abs(float(iv.vol) - 0.3) < 1e-9


@pytest.mark.parametrize(("price", "forward", "strike", "t", "is_call"), [
    (4e-323, 3000.0, 2970.15, 3.085, False),  # underflows once normalised (was σ = 0, OK)
    (0.0, 3000.0, 3500.0, 0.25, True),  # zero price out of the money
    (0.0, 3000.0, 3000.0, 0.25, True),  # zero price at the money
    (500.0, 3000.0, 2500.0, 0.25, True),  # exactly the intrinsic value
    (500.0, 3000.0, 3500.0, 0.25, False),
    (500.0, 3000.0, 3500.0, 0.0, False),  # expired, at intrinsic
])
def test_no_information(price, forward, strike, t, is_call):
    iv = implied_vol_black(price, forward, strike, t, is_call=is_call)
    assert iv.status == IVStatus.NO_INFORMATION and np.isnan(iv.vol)
    assert iv.reasons() == ["NO_INFORMATION"]


def test_no_information_in_a_batch_keeps_its_neighbours():
    prices = np.array([4e-323, 100.0, 0.0, 500.0])
    strikes = np.array([2970.15, 3000.0, 3500.0, 2500.0])
    expiries = np.array([3.085, 0.5, 0.25, 0.25])
    iv = implied_vol_black(prices, 3000.0, strikes, expiries, is_call=[False, True, True, True])
    assert iv.reasons() == ["NO_INFORMATION", "OK", "NO_INFORMATION", "NO_INFORMATION"]
    assert np.isfinite(iv.vol[1]) and np.isnan(iv.vol[[0, 2, 3]]).all()


# --- the scale-free pieces ----------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(level, level)
@example(1e300, 1e-300)
@example(1e-300, 1e300)
@example(5e-324, 1.7976931348623157e308)
@example(1.7976931348623157e308, 1.7976931348623157e308)
def test_moneyness_pieces_are_exact_where_direct_ones_are(forward, strike):
    assume(forward > 0 and strike > 0)
    root = sqrt_product(forward, strike)
    with mp.workdps(40):
        true_root = float(mp.sqrt(mp.mpf(forward) * mp.mpf(strike)))
        true_log = float(mp.log(mp.mpf(forward) / mp.mpf(strike)))
    assert root == pytest.approx(true_root, rel=2 * EPS)
    assert log_moneyness(forward, strike) == pytest.approx(true_log, rel=4 * EPS, abs=4 * EPS)
    product = forward * strike
    if TINY <= product < math.inf:
        assert root == math.sqrt(product)  # bitwise the direct formula where it is representable
    ratio = forward / strike
    if TINY <= ratio < math.inf:
        assert log_moneyness(forward, strike) == math.log(ratio)


# --- prices, Greeks and implied vols from 1e-300 to 1e300 ------------------------------------


@settings(max_examples=250, deadline=None)
@given(log_scale, st.floats(math.log(0.05), math.log(20.0)), st.floats(MINUTE, 5.0), st.floats(0.01, 10.0),
       st.booleans())
@example(200.0, math.log(1.1), 0.5, 0.3, True)
@example(-200.0, 0.0, 0.5, 0.3, True)
@example(300.0, math.log(20.0), 5.0, 10.0, False)
@example(-300.0, math.log(0.05), MINUTE, 0.01, True)
@example(-55.0, 0.1171875, 0.1171875, 0.01, True)  # a subnormal price (4.2e-316): σ to its ulp, CI 2026-12-07
def test_price_greeks_and_iv_at_any_level(exponent, log_m, t, vol, is_call):
    forward = 10.0**exponent
    strike = forward * math.exp(log_m)
    assume(TINY < strike < 1e300)
    price = float(black_price(forward, strike, t, vol, is_call=is_call))
    truth, moneyness_sensitivity = mp_price(forward, strike, t, vol, is_call)
    assert math.isfinite(price)
    intrinsic = max(forward - strike, 0.0) if is_call else max(strike - forward, 0.0)
    scale = math.sqrt(forward) * math.sqrt(strike)
    # The time value to 1e-13 (the out-of-the-money side's accuracy), plus what the rounding of
    # F/K to a double moves the price by (no formula in doubles avoids it), plus the subnormals.
    assert abs(price - truth) <= (1e-13 * max(truth - intrinsic, 0.0) + 4 * EPS * moneyness_sensitivity
                                  + 1e-300 * scale)
    g = black_greeks(forward, strike, t, vol, is_call=is_call)
    for name in ("price", "delta", "gamma", "vega", "theta", "rho", "vanna", "volga"):
        assert not np.isnan(getattr(g, name)), name
    assert float(g.price) == pytest.approx(price, rel=1e-12, abs=1e-300 * scale)
    iv = implied_vol_black(price, forward, strike, t, is_call=is_call)
    if price - intrinsic < TINY and (price - intrinsic) / scale < TINY:  # both subnormal: no σ to tell
        assert iv.status == IVStatus.NO_INFORMATION and np.isnan(iv.vol)
        return
    upper = forward if is_call else strike
    if price >= upper * (1 - 4 * EPS):
        assert iv.status in (IVStatus.OK, IVStatus.ABOVE_MAXIMUM)
        return
    assert iv.status == IVStatus.OK and math.isfinite(float(iv.vol))
    # What the double price can tell about σ: its rounding, seen through vega. An ulp, not EPS ×
    # price: a subnormal price (4.2e-316 at F = 1e-55) has far fewer digits, and 4·EPS·price
    # underflowed to 0 there while σ was right to a fifth of what one ulp of it moves.
    resolvable = 4 * max(EPS * price, math.ulp(price)) / float(g.vega) if g.vega > 0 else math.inf
    if price > 1e-290 * scale and resolvable < 1e-3 * vol:
        assert abs(float(iv.vol) - vol) <= 1e-12 * vol + resolvable


@settings(max_examples=200, deadline=None)
@given(level, level, st.floats(MINUTE, 5.0), st.floats(0.01, 10.0), st.booleans())
@example(1e300, 1e-300, 1.0, 30.0, False)
@example(1e-300, 1e300, 1.0, 30.0, True)
@example(1e300, 1e-300, 5.0, 10.0, True)
def test_forward_and_strike_independent(forward, strike, t, vol, is_call):
    """F and K each anywhere: never inf or NaN, never a vol with status OK that does not reprice."""
    price = float(black_price(forward, strike, t, vol, is_call=is_call))
    assert math.isfinite(price) and price >= 0.0
    g = black_greeks(forward, strike, t, vol, is_call=is_call)
    assert not any(np.isnan(getattr(g, name)) for name in ("price", "delta", "vega", "theta", "rho"))
    iv = implied_vol_black(price, forward, strike, t, is_call=is_call)
    assert iv.status in (IVStatus.OK, IVStatus.NO_INFORMATION, IVStatus.ABOVE_MAXIMUM)
    assert np.isnan(iv.vol) == (iv.status != IVStatus.OK)
    if iv.status == IVStatus.OK:
        back = float(black_price(forward, strike, t, float(iv.vol), is_call=is_call))
        # The reprice is the price to its own resolution: a relative 1e-12 of the time value,
        # or an ulp or two of the intrinsic value it sits on.
        intrinsic = max(forward - strike, 0.0) if is_call else max(strike - forward, 0.0)
        assert abs(back - price) <= 1e-12 * (price - intrinsic) + 4 * EPS * price + 1e-300


@settings(max_examples=200, deadline=None)
@given(st.floats(-250.0, 250.0), st.floats(math.log(0.05), math.log(20.0)), st.floats(MINUTE, 5.0),
       st.floats(0.01, 10.0), st.booleans(), st.integers(-150, 150))
def test_power_of_two_scaling_is_exact(exponent, log_m, t, vol, is_call, octaves):
    """(2ⁿF, 2ⁿK) prices to 2ⁿ times the price, to the bit, and inverts to the very same σ."""
    forward = 10.0**exponent
    strike = forward * math.exp(log_m)
    lam = 2.0**octaves
    price = float(black_price(forward, strike, t, vol, is_call=is_call))
    scaled = float(black_price(lam * forward, lam * strike, t, vol, is_call=is_call))
    assume(price > 1e-280 * max(forward, strike) and min(price, scaled) > 1e-290)
    assert scaled == lam * price
    a = implied_vol_black(price, forward, strike, t, is_call=is_call)
    b = implied_vol_black(lam * price, lam * forward, lam * strike, t, is_call=is_call)
    assert a.status == b.status
    assert np.array_equal(a.vol, b.vol, equal_nan=True)


# --- an option's result is its own: not its neighbours', its place's or the scratch's -----------


def determinism_grid(n: int = 3000, seed: int = 21):
    """The wide grid, plus options in the asymptotic region near its edge (10 ≤ z − t < 20, the
    longer series) and farther out (the shorter one), some discounted."""
    rng = np.random.default_rng(seed)
    m = np.exp(rng.uniform(np.log(0.05), np.log(20), n))
    t = np.exp(rng.uniform(np.log(MINUTE), np.log(5.0), n))
    vol = np.exp(rng.uniform(np.log(0.01), np.log(10.0), n))
    # z − t = |x|/s − s/2 from 10 to 40 at s = σ√T of 0.002 to 0.05.
    k = n // 6
    s = np.exp(rng.uniform(np.log(0.002), np.log(0.05), k))
    gap = rng.uniform(10.0, 40.0, k)
    m[:k] = np.exp((gap + s / 2) * s * np.where(rng.random(k) < 0.5, 1.0, -1.0))
    t[:k] = rng.uniform(1e-4, 0.02, k)
    vol[:k] = s / np.sqrt(t[:k])
    discount = np.where(rng.random(n) < 0.5, 1.0, np.exp(-0.05 * t))
    order = rng.permutation(n)
    return m[order], t[order], vol[order], discount[order], (rng.random(n) < 0.5)[order]


def everything(m, t, vol, discount, calls, price=None):
    """Price, the eight Greeks' rows, implied vol and its status of each option: one array each."""
    if price is None:
        price = black_price(3000.0, 3000.0 * m, t, vol, is_call=calls, discount=discount)
    g = black_greeks(3000.0, 3000.0 * m, t, vol, is_call=calls, discount=discount)
    iv = implied_vol_black(price, 3000.0, 3000.0 * m, t, is_call=calls, discount=discount)
    return [price, *(getattr(g, f) for f in ("price", "delta", "gamma", "vega", "theta", "rho", "vanna", "volga")),
            iv.vol, iv.status.astype(float)]


def assert_same_bits(a, b, what):
    for name, x, y in zip(("price", "g.price", "delta", "gamma", "vega", "theta", "rho", "vanna", "volga", "iv",
                           "status"), a, b, strict=True):
        differ = ~((x == y) | (np.isnan(x) & np.isnan(y)))
        assert not differ.any(), (what, name, np.flatnonzero(differ)[:5], x[differ][:3], y[differ][:3])


def test_same_bits_alone_permuted_and_at_any_position():
    m, t, vol, discount, calls = determinism_grid()
    batch = everything(m, t, vol, discount, calls)
    assert (batch[-1] == IVStatus.OK).mean() > 0.3
    # The whole batch in another order: every option in another block, queue slot and lane.
    order = np.random.default_rng(3).permutation(m.size)
    permuted = everything(m[order], t[order], vol[order], discount[order], calls[order], batch[0][order])
    assert_same_bits([row[order] for row in batch], permuted, "permuted")
    # Options alone, and among other options at places around the block, queue and vector edges.
    filler = determinism_grid(1600, seed=22)
    for j in range(0, m.size, 97):
        one = [np.array([a[j]]) for a in (m, t, vol, discount, calls)]
        assert_same_bits([row[j:j + 1] for row in batch], everything(*one, batch[0][j:j + 1]), ("alone", j))
        # Small batches: the inputs are read in place, so a block's rows are the caller's own
        # arrays, whose last few elements have no room for a whole vector.
        for size in (2, 3, 9):
            for place in range(size):
                among = [np.resize(a[(j + 1) % m.size:], size).copy() for a in (m, t, vol, discount, calls)]
                for a, b in zip(among, (m, t, vol, discount, calls), strict=True):
                    a[place] = b[j]
                prices = np.resize(batch[0][(j + 1) % m.size:], size).copy()
                prices[place] = batch[0][j]
                got = everything(*among, prices)
                assert_same_bits([row[j:j + 1] for row in batch], [row[place:place + 1] for row in got],
                                 (j, size, place))
        for place in (0, 5, 255, 256, 1023, 1024, 1599):
            among = [a.copy() for a in filler]
            for a, b in zip(among, (m, t, vol, discount, calls), strict=True):
                a[place] = b[j]
            prices = black_price(3000.0, 3000.0 * among[0], among[1], among[2], is_call=among[4], discount=among[3])
            prices[place] = batch[0][j]
            got = everything(*among, prices)
            assert_same_bits([row[j:j + 1] for row in batch], [row[place:place + 1] for row in got], (j, place))


def test_scratch_contents_do_not_matter():
    """The block functions' results, with their scratch (and the rows past ``count``) holding NaN,
    infinities, zeros or random garbage: the same bits."""
    from optio.pricing import _implied_vol_blocks as ivb
    from optio.pricing._normalised_black_blocks import OTM_ROWS, otm_calls, otm_values, otm_values_rough

    m, t, vol, _discount, _calls = determinism_grid(4000, seed=23)
    x, s = -np.abs(np.log(m)), vol * np.sqrt(t)
    rng = np.random.default_rng(4)
    fills = [np.nan, np.inf, -np.inf, 0.0, 1e308, None]

    def filled(shape, fill, dtype=float):
        if dtype is not float:
            return np.full(shape, 3, dtype=dtype) if fill is None else np.zeros(shape, dtype=dtype)
        return rng.standard_normal(shape) * 1e200 if fill is None else np.full(shape, fill)

    for function in (otm_calls, otm_values, otm_values_rough):
        for start, count in ((0, 256), (256, 203), (600, 1), (900, 7)):
            results = []
            for fill in fills:
                xs, ss = filled(256, fill), filled(256, fill)
                xs[:count], ss[:count] = x[start:start + count], s[start:start + count]
                half = filled(256, fill)
                half[:count] = np.exp(0.5 * xs[:count])
                value, gauss, work = filled(256, fill), filled(256, fill), filled((OTM_ROWS, 256), fill)
                region, index = filled(256, fill, np.int8), filled(256, fill, np.int64)
                function(xs, ss, half, value, gauss, work, region, index, count)
                results.append((value[:count].copy(), gauss[:count].copy()))
            for value, gauss in results[1:]:
                assert np.array_equal(value, results[0][0]) and np.array_equal(gauss, results[0][1]), function
    # The inversion itself, with its whole scratch and the queue past count in each state.
    price = black_price(1.0, m, t, vol, is_call=m > 1)
    beta = (price - np.where(m > 1, 0.0, 0.0)) / np.sqrt(m)  # out of the money: the time value
    live = np.flatnonzero(beta > 0)[:1000]
    for count in (1000, 13, 1):
        results = []
        for fill in fills:
            scratch = ivb._scratch()
            for rows in scratch:
                rows[...] = filled(rows.shape, fill, float if rows.dtype == np.float64 else rows.dtype)
            ratio, octaves, half, b = (filled(ivb.INVERTED, fill) for _ in range(4))
            ratio[:count], octaves[:count], b[:count] = 1.0 / m[live[:count]], 0.0, beta[live[:count]]
            ivb._invert(ratio, octaves, half, b, scratch, count)
            results.append(scratch[0][ivb._S][:count].copy())
        for got in results[1:]:
            assert np.array_equal(got, results[0]), count
        assert np.isfinite(results[0]).all()


@pytest.mark.parametrize("name", ["erfc", "exp", "log"])
def test_libm_blocks_give_each_element_the_same_bits_anywhere(name):
    """An element's erfc/exp/log is the same whether it sits in a long row, in a short array with
    no room for a whole vector (the caller's own inputs, read in place), or among NaN: every
    element goes through the same vector function (before, the last few of a short array took
    scalar libm, which differs from libmvec in about a quarter of the last bits)."""
    from optio.pricing import _vector_libm as vector_libm

    block = getattr(vector_libm, f"{name}_block")
    rng = np.random.default_rng(8)
    values = {"erfc": rng.uniform(-6, 27, 64), "exp": rng.uniform(-745, 700, 64),
              "log": np.exp(rng.uniform(-30, 30, 64))}[name]
    reference = np.empty(64)
    block(values, reference, 64)
    for size in range(1, 18):
        for offset in (0, 17, 64 - size):
            src = values[offset:offset + size].copy()
            dst = np.full(size, -7.0)
            block(src, dst, size)
            assert np.array_equal(dst, reference[offset:offset + size]), (size, offset)
            padded_src = np.concatenate([src, np.full(9, np.nan)])
            padded_dst = np.full(size + 9, -7.0)
            block(padded_src, padded_dst, size)
            assert np.array_equal(padded_dst[:size], dst) and np.all(padded_dst[size:] == -7.0)


_WITHOUT_AVX512 = """
import llvmlite.binding as llvm
_host_features = llvm.get_host_cpu_features
def _without_avx512():
    features = _host_features()
    for key in list(features):
        if key.startswith("avx512"):
            features[key] = False
    return features
llvm.get_host_cpu_features = _without_avx512
"""

_CHECKS = """
from optio.pricing import _vector_libm as vector_libm
assert vector_libm.WIDE_LIBM is False and vector_libm.VECTOR_LIBM is {vector}
from tests.pricing import test_implied_vol as iv_tests, test_iv_scale_and_batches as batch_tests
iv_tests.test_batch_accuracy_on_a_wide_grid()
batch_tests.test_same_bits_alone_permuted_and_at_any_position()
batch_tests.test_scratch_contents_do_not_matter()
for name in ("erfc", "exp", "log"):
    batch_tests.test_libm_blocks_give_each_element_the_same_bits_anywhere(name)
# The blocks equal the scalar path per option (moved here from test_greeks_blocks: one compile).
from tests.pricing.test_greeks_blocks import assert_close, scalar_greeks, wide_grid
from optio.pricing.black_scholes import black_greeks
m, t, vol, discount, calls = wide_grid(20_000, 4)
assert_close(black_greeks(1.0, m, t, vol, is_call=calls, discount=discount),
             scalar_greeks(1.0, m, t, vol, discount, calls), m)
"""


@pytest.mark.parametrize("mode", ["without AVX-512", "scalar libm"])
def test_other_machines(mode, tmp_path):
    """As on a CPU without AVX-512 (its features hidden from numba and from vector_libm, so that
    everything compiles for AVX2 and exp/log take four lanes), and as without libmvec
    (OPTIO_SCALAR_LIBM=1), each in a fresh process and numba cache: the wide-grid accuracy and the
    same-bits tests hold there too."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = os.environ | {"NUMBA_CACHE_DIR": str(tmp_path)}
    if mode == "scalar libm":
        script = _CHECKS.format(vector=False)
        env["OPTIO_SCALAR_LIBM"] = "1"
    else:
        script = _WITHOUT_AVX512 + _CHECKS.format(vector=True)
    run = subprocess.run([sys.executable, "-c", script], env=env, cwd=Path(__file__).resolve().parents[2],
                         capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stderr[-4000:]


def test_values_from_half_x_are_otm_values():
    """The kernels' :func:`otm_values_from_half_x` (``e^{x/2}`` only of the options that take the
    two-term formula) gives :func:`otm_values`' bits given ``e^{x/2}`` by the same vector exp, with
    its ``half`` row holding garbage, on blocks where those options are the minority (packed) and
    the majority (every option)."""
    from optio.pricing._normalised_black_blocks import OTM_ROWS, otm_values, otm_values_from_half_x
    from optio.pricing._vector_libm import exp_block

    rng = np.random.default_rng(29)
    for mostly_naive in (False, True):
        m, t, vol, _discount, _calls = determinism_grid(4000, seed=31)
        if mostly_naive:  # σ√T above the Taylor region, near the money: the two-term formula
            vol = np.sqrt(rng.uniform(0.2, 1.0, m.size) / t)
            m = np.exp(rng.uniform(-0.3, 0.3, m.size))
        x, s = -np.abs(np.log(m)), vol * np.sqrt(t)
        for start, count in ((0, 256), (256, 203), (600, 1), (900, 7)):
            xs, ss = x[start:start + count].copy(), s[start:start + count].copy()
            half_x = 0.5 * xs
            half = np.empty(count)
            exp_block(half_x, half, count)
            outputs = []
            garbage = rng.standard_normal(count)
            for function, args in ((otm_values, (half,)), (otm_values_from_half_x, (half_x, garbage))):
                value, gauss = np.full(count, np.nan), np.full(count, np.nan)
                work = rng.standard_normal((OTM_ROWS, 256)) * 1e200
                region, index = np.full(256, 3, dtype=np.int8), np.zeros(256, dtype=np.int64)
                function(xs, ss, *args, value, gauss, work, region, index, count)
                outputs.append((value, gauss))
            assert np.array_equal(outputs[0][0], outputs[1][0]) and np.array_equal(outputs[0][1], outputs[1][1]), (
                mostly_naive, start, count)
