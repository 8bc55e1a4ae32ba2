"""Implied vol's tabulated initial guess: its accuracy over the table's domain and the benchmark
grids, the B-spline's prefilter, the plain-arithmetic log and exp of its coordinates, and the way
back to the rational guess for every option the table does not settle."""

import math

import numba
import numpy as np
import pytest
from scipy.ndimage import spline_filter

from benchmarks.pricing import FORWARD, crypto_grid, desk_grid, hard_grid
from optio.pricing import _implied_vol_blocks as ivb
from optio.pricing import _iv_guess_table as guess_table
from optio.pricing import implied_vol as iv_module
from optio.pricing._inputs import call_flags, flat_inputs
from optio.pricing.black_scholes import black_price
from optio.pricing.normalised_black import otm_call

EPS = np.finfo(float).eps


@numba.njit
def _guesses(table, x, ln_beta, out):
    """The kernel's own guess passes over a block: cells, spline, ``s``."""
    n = x.size
    first, p, q, ln_s = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    branch = np.empty(n, dtype=np.int8)
    ivb._table_cells(x, ln_beta, first, p, q, n)
    ivb._table_guesses(table, first, p, q, ln_s, n)
    ivb._table_branches(x, ln_s, out, branch, n)


def guess_errors(a, b_share):
    """Relative error of the table's guess of ``s`` at ``x = −a``, ``β = B·e^{−a/2}``, against the
    rational way's converged ``s``."""
    x = -a
    beta = b_share * np.exp(0.5 * x)
    truth = iv_module._normalised_vols(a, b_share)
    guess = np.empty(a.size)
    _guesses(iv_module._guess_table(), x, np.log(beta), guess)
    return np.abs(guess / truth - 1.0)


def test_prefilter_is_scipys_mirror_spline_filter():
    values = np.random.default_rng(1).standard_normal((17, 29))
    assert np.allclose(guess_table._prefilter(values), spline_filter(values, order=3, mode="mirror"), atol=1e-13)


def test_rough_log_and_exp():
    @numba.njit
    def apply(fn, values, out):
        for j in range(values.size):
            out[j] = fn(values[j])

    rng = np.random.default_rng(2)
    v = np.exp(rng.uniform(-700, 700, 20_000))
    out = np.empty_like(v)
    apply(guess_table.rough_log, v, out)
    assert np.max(np.abs(out - np.log(v))) < 1e-9
    y = rng.uniform(-700, 700, 20_000)
    apply(guess_table.rough_exp, y, out)
    assert np.max(np.abs(out / np.exp(y) - 1.0)) < 3e-10


def test_guess_within_its_bound_over_the_domain():
    rng = np.random.default_rng(3)
    n = 40_000
    a = np.exp(rng.uniform(math.log(guess_table.A_LO), math.log(guess_table.A_HI), n))
    b_share = np.exp(rng.uniform(guess_table.LN_B_LO, guess_table.LN_B_HI, n))
    errors = guess_errors(a, b_share)
    assert np.max(errors) < 2.5e-4
    # Sampled evenly in (ln a, ln B), where the hard corners (a → 0 near the inflection, B → 0.7)
    # weigh far more than in any chain, 1.9% of the guesses are off by more than the acceptance
    # bound: those options go the rational way (none of the desk or crypto grids', below).
    assert np.mean(errors > ivb.ACCEPT_STEP) < 0.03


@pytest.mark.parametrize("grid", [desk_grid, crypto_grid, hard_grid])
def test_guess_on_the_benchmark_grids(grid):
    if grid is hard_grid:
        m, t, vol, _ = grid(40_000, seed=4)
    else:
        strike, t, vol, _ = grid(40_000, np.random.default_rng(4))
        m = strike / FORWARD
    a, s = np.abs(np.log(m)), vol * np.sqrt(t)
    b_share = otm_call(-a, s) * np.exp(0.5 * a)
    ln_b = np.log(np.where(b_share > 0, b_share, 1e-300))
    inside = (
        (a >= guess_table.A_LO)
        & (a <= guess_table.A_HI)
        & (ln_b >= guess_table.LN_B_LO)
        & (ln_b <= guess_table.LN_B_HI)
    )
    assert np.max(guess_errors(a[inside], b_share[inside])) < 3e-5


def _vols(price, strike, t, calls, table):
    flat, _shape = flat_inputs(price, 1.0, strike, t, 1.0, flags=call_flags(calls))
    vol, status = np.empty(price.size), np.empty(price.size, dtype=np.int8)
    ivb.implied_vol_flat(*flat, table, vol, status)
    return vol, status


def test_options_outside_the_table_take_the_rational_way_to_the_bit():
    # |x| below 1e-8 or above 20, B above 0.7 (σ√T of 3 at the money), B below 1e-200.
    strike = np.array([1 + 1e-9, 1 - 5e-9, np.exp(25.0), np.exp(-22.0), 1.05, 0.97, 2.0, np.exp(-3.0)])
    t = np.array([0.5, 0.5, 5.0, 5.0, 9.0, 9.0, 1e-4, 1e-4])
    vol = np.array([0.3, 0.3, 4.0, 4.0, 1.2, 1.2, 0.02, 0.15])
    calls = strike >= 1.0
    price = black_price(1.0, strike, t, vol, is_call=calls)
    with_table = _vols(price, strike, t, calls, iv_module._guess_table())
    without = _vols(price, strike, t, calls, iv_module._NO_TABLE)
    assert np.array_equal(with_table[1], without[1])
    assert np.array_equal(with_table[0], without[0], equal_nan=True)


def test_a_poor_guess_is_caught_and_the_rational_way_taken():
    # Every coefficient off by 1e-3 (a guess off by 0.1%): no step is small enough to accept, and
    # every option gets the rational way's bits; off by 1e-6, every option is settled the
    # table's way and to machine precision still.
    strike, t, vol, calls = desk_grid(5_000, np.random.default_rng(6))
    strike = strike / FORWARD
    price = black_price(1.0, strike, t, vol, is_call=calls)
    table = iv_module._guess_table()
    without = _vols(price, strike, t, calls, iv_module._NO_TABLE)
    poor = _vols(price, strike, t, calls, (table + np.float32(1e-3)).astype(np.float32))
    assert np.array_equal(poor[0], without[0], equal_nan=True) and np.array_equal(poor[1], without[1])
    near = _vols(price, strike, t, calls, (table + np.float32(1e-6)).astype(np.float32))
    ok = without[1] == 0
    assert np.array_equal(near[1], without[1])
    assert np.all(np.abs(near[0][ok] - without[0][ok]) <= 8 * EPS * without[0][ok])


def test_table_way_scratch_contents_do_not_matter():
    """:func:`_invert_by_table` with its scratch holding NaN, infinities, zeros or garbage: the same bits."""
    strike, t, vol, _calls = desk_grid(3000, np.random.default_rng(7))
    m = strike / FORWARD
    s = vol * np.sqrt(t)
    beta = otm_call(-np.abs(np.log(m)), s)
    live = np.flatnonzero(beta > 0)[:1000]
    table = iv_module._guess_table()
    rng = np.random.default_rng(8)
    for count in (1000, 13, 1):
        results = []
        for fill in (np.nan, np.inf, 0.0, None):
            scratch = ivb._scratch()
            for rows in scratch:
                if rows.dtype == np.float64:
                    rows[...] = rng.standard_normal(rows.shape) * 1e200 if fill is None else fill
                else:
                    rows[...] = 3 if fill is None else 0
            queue = np.full((ivb._QUEUE_ROWS, ivb.INVERTED), np.nan if fill is None else fill)
            queue[ivb._QX, :count] = m[live[:count]]
            queue[ivb._QN, :count] = 0.0
            queue[ivb._QBETA, :count] = beta[live[:count]]
            queue[ivb._QT, :count] = t[live[:count]]
            ivb._invert_by_table(queue, count, scratch, table)
            results.append((scratch[0][ivb._S][:count].copy(), scratch[0][ivb._ACCEPTED][:count].copy()))
        for got, accepted in results[1:]:
            assert np.array_equal(got, results[0][0]) and np.array_equal(accepted, results[0][1]), count
        assert np.isfinite(results[0][0]).all()
