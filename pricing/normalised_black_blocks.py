"""The normalised Black ``b(x, s)`` of :mod:`pricing.normalised_black`, over a block of options.

Same regions, same series, same error budget as :func:`pricing.normalised_black.otm_call_scalar`;
what differs is the order of work. The scalar function runs one option through its region's
formula; here the options of a block are sorted by region without branches, and each series
runs over all the options of its region at once with the same per-option code
(:func:`~pricing.normalised_black.taylor_bracket`, :func:`~pricing.normalised_black.asymptotic_bracket`),
which LLVM unrolls and vectorises four options at a time; erfcx and the exponentials come four
at a time from :mod:`pricing.vector_libm`. Used where throughput matters (price with Greeks); the
results agree with the scalar function to a few ulp (the vector libm's own rounding).
"""

from __future__ import annotations

import math

import numba

from pricing.normalised_black import (
    _ASYMPTOTIC_TERMS,
    ASYMPTOTIC_Z,
    INV_SQRT2,
    INV_SQRT_2PI,
    SMALL_T,
    SQRT_PI_OVER_2,
    otm_call_scalar,
    taylor_bracket,
    two_term_is_accurate,
)
from pricing.vector_libm import erfc_block, exp_block

#: Veltkamp's splitting constant 2^27 + 1: ``z = hi + lo`` with 26-bit halves, so ``z²`` is exact as a pair.
_SPLIT = 134217729.0

#: Region codes of :func:`series_regions` (and :data:`ERFCX`, where the two-term formula is not
#: accurate).
NAIVE, ASYMPTOTIC, TAYLOR, SCALAR, ERFCX = 0, 1, 2, 3, 4
#: ``Y(u) = erfc(z)·e^{z²}`` (``z = −u/√2``) in lanes while ``e^{z²}`` stays finite: |u| below
#: this (z² < 685); beyond, the scalar function's erfcx.
_LANES_Y_BELOW = 37.0

#: Rows of scratch that the series need (:func:`_series_values`), each a block long.
WORK_ROWS = 12
#: Rows of scratch that :func:`otm_calls` needs: :data:`WORK_ROWS`, then h, t, the erfc and exp
#: arguments, the two erfc values and the two-term formula's first term.
OTM_ROWS = WORK_ROWS + 8
#: Rows of :func:`otm_calls`'s scratch that hold ``h = x/s``, ``t = s/2``, ``erfc(|h + t|/√2)``
#: and ``erfc(−(h − t)/√2)`` when it returns: d1 and Φ(h ± t) for the caller (delta).
H_ROW, T_ROW, ERFC_UP, ERFC_DOWN = WORK_ROWS, WORK_ROWS + 1, WORK_ROWS + 5, WORK_ROWS + 6


@numba.njit(cache=True, error_model="numpy")
def series_regions(h, t, region, count: int) -> int:
    """The region of each option by :func:`otm_call_scalar`'s rules, as far as ``h`` and ``t``
    decide it: :data:`ASYMPTOTIC`, :data:`TAYLOR`, :data:`SCALAR` for ``s`` of 0 or ∞ (or NaN),
    and :data:`NAIVE` for the rest, which the two-term formula's own error estimate may still
    send to the erfcx difference (:data:`ERFCX`). Written as selects, not branches: regions come
    in random order, and a mispredicted branch costs more than the test. Returns how many are
    :data:`NAIVE`.
    """
    naive = 0
    for j in range(count):
        code = TAYLOR if t[j] < SMALL_T else NAIVE
        code = ASYMPTOTIC if h[j] + t[j] < -ASYMPTOTIC_Z else code
        code = SCALAR if not 0.0 < t[j] < math.inf else code
        region[j] = code
        naive += code == NAIVE
    return naive


@numba.njit(cache=True, error_model="numpy")
def _gather(region, wanted: int, h, t, index, packed_h, packed_t, count: int) -> int:
    """Pack the options of region ``wanted`` (their index, h and t) to the front; return how many."""
    m = 0
    for j in range(count):
        index[m] = j
        packed_h[m] = h[j]
        packed_t[m] = t[j]
        m += region[j] == wanted
    return m


@numba.njit(cache=True, error_model="numpy")
def mills_ys(h, work, y, count: int) -> None:
    """``Y(h) = √(π/2)·erfcx(−h/√2)`` for ``h ≤ 0``, as ``erfc(z)·e^{z²}`` of one rounded ``z``.

    erfc and the exponential are each steep in ``z``, but in opposite directions: with the same
    ``z`` and ``z²`` carried exactly as a pair, their product is erfcx's, well conditioned.
    """
    z, z_squared, z_squared_low, erfc_z = work[0], work[1], work[2], work[3]
    for j in range(count):
        zj = -INV_SQRT2 * h[j]
        scaled = _SPLIT * zj
        high = scaled - (scaled - zj)
        low = zj - high
        square = zj * zj
        z[j] = zj
        z_squared[j] = square
        z_squared_low[j] = ((high * high - square) + 2.0 * high * low) + low * low
    erfc_block(z, erfc_z, count)
    exp_block(z_squared, z_squared, count)
    for j in range(count):
        y[j] = SQRT_PI_OVER_2 * erfc_z[j] * (z_squared[j] * (1.0 + z_squared_low[j]))


@numba.njit(cache=True, error_model="numpy")
def asymptotic_brackets(h, t, work, bracket, count: int) -> None:
    """``Y(h+t) − Y(h−t)`` for ``h + t ≤ −ASYMPTOTIC_Z``: the series of
    :func:`~pricing.normalised_black.asymptotic_bracket`, one term at a time over every option.

    Why not that function per option: its loop carries a chain of multiplications from term to
    term, which neither unrolls nor vectorises (about 60 ns an option); one pass per term over the
    block runs four options per instruction. The block stops when its worst option (smallest
    ``z − t``) has converged: the k-th term is at most ``(2k−1)!!·(2k+1)·a^{2k}`` of the first,
    with ``a = 1/(z − t)``.
    """
    a, b, a_minus_b, d, b_pow = work[7], work[8], work[9], work[10], work[11]
    a_max = 0.0
    for j in range(count):
        z = -h[j]
        a[j] = 1.0 / (z - t[j])
        b[j] = 1.0 / (z + t[j])
        a_minus_b[j] = 2.0 * t[j] * a[j] * b[j]
        d[j] = a_minus_b[j]
        b_pow[j] = b[j]
        bracket[j] = d[j]
        a_max = max(a_max, a[j])
    coefficient = 1.0
    bound = 1.0
    for k in range(1, _ASYMPTOTIC_TERMS):
        coefficient *= -(2 * k - 1)
        for j in range(count):
            dj = a[j] * d[j] + b_pow[j] * a_minus_b[j]
            power = b_pow[j] * b[j]
            dj = a[j] * dj + power * a_minus_b[j]
            b_pow[j] = power * b[j]
            d[j] = dj
            bracket[j] += coefficient * dj
        bound *= (2 * k - 1) * a_max * a_max
        if bound * (2 * k + 1) <= 1e-17:
            break


@numba.njit(cache=True, error_model="numpy")
def _erfcx_differences(h, t, work, difference, count: int) -> None:
    """``Y(h+t) − Y(h−t)`` by two :func:`mills_ys` in lanes: the scalar function's erfcx difference
    (the same formula, libmvec's erfc and exp for scipy's erfcx: a few ulp of each ``Y``)."""
    up, down, y_up = work[7], work[8], work[9]
    for j in range(count):
        up[j] = h[j] + t[j]
        down[j] = h[j] - t[j]
    mills_ys(up, work, y_up, count)
    mills_ys(down, work, difference, count)
    for j in range(count):
        difference[j] = y_up[j] - difference[j]


@numba.njit(cache=True, error_model="numpy")
def _series_values(h, t, gauss, region, wanted: int, work, value, index, count: int) -> None:
    """``value = e^{−(h²+t²)/2}/√(2π) · (Y(h+t) − Y(h−t))`` for the options of region ``wanted``
    (:data:`TAYLOR`, :data:`ASYMPTOTIC` or :data:`ERFCX`), packed, run through the series or the
    difference, and scattered back."""
    packed_h, packed_t, bracket = work[4], work[5], work[6]
    m = _gather(region, wanted, h, t, index, packed_h, packed_t, count)
    if wanted == TAYLOR:
        mills_ys(packed_h, work, bracket, m)
        for i in range(m):
            bracket[i] = taylor_bracket(packed_h[i], packed_t[i], bracket[i])
    elif wanted == ASYMPTOTIC:
        asymptotic_brackets(packed_h, packed_t, work, bracket, m)
    else:
        _erfcx_differences(packed_h, packed_t, work, bracket, m)
    for i in range(m):
        j = index[i]
        value[j] = INV_SQRT_2PI * gauss[j] * bracket[i]


@numba.njit(cache=True, error_model="numpy")
def _arguments(x, s, h, t, arg_up, arg_down, arg_pdf, count: int) -> None:
    """``h = x/s``, ``t = s/2``, and the arguments of erfc and exp for Φ(h ± t) and
    ``e^{−(h²+t²)/2}`` (Φ(u) = erfc(−u/√2)/2; Φ(h + t) from erfc of its absolute value, so that
    its small tail above the money keeps its digits)."""
    for j in range(count):
        hj = x[j] / s[j]
        tj = 0.5 * s[j]
        h[j] = hj
        t[j] = tj
        arg_up[j] = abs(hj + tj) * INV_SQRT2
        arg_down[j] = -(hj - tj) * INV_SQRT2
        arg_pdf[j] = -0.5 * (hj * hj + tj * tj)


@numba.njit(inline="always")
def _two_term(h: float, t: float, half: float, erfc_up: float, erfc_down: float) -> tuple[float, float]:
    """``first = e^{x/2}Φ(h + t)`` and the two-term ``b = first − e^{−x/2}Φ(h − t)``, from the
    erfc values of :func:`_arguments`' arguments."""
    tail = 0.5 * erfc_up
    first = half * (tail if h + t <= 0.0 else 1.0 - tail)
    return first, first - 0.5 * erfc_down / half


@numba.njit(inline="always")
def _inaccurate_region(h: float, t: float) -> int:
    """Where the two-term formula is not accurate: :data:`ERFCX` (lanes) unless ``h − t`` is too
    far out for them."""
    return ERFCX if h - t > -_LANES_Y_BELOW else SCALAR


@numba.njit(cache=True, error_model="numpy")
def _two_terms(h, t, half, erfc_up, erfc_down, region, value, count: int) -> None:
    """The two-term ``b`` of every option; a :data:`NAIVE` one where it is not accurate becomes
    :data:`ERFCX` (the series overwrite their own options' values)."""
    for j in range(count):
        first, two_term = _two_term(h[j], t[j], half[j], erfc_up[j], erfc_down[j])
        value[j] = two_term
        inaccurate = not two_term_is_accurate(h[j] + t[j], first, two_term)
        region[j] = _inaccurate_region(h[j], t[j]) if (region[j] == NAIVE) & inaccurate else region[j]


@numba.njit(cache=True, error_model="numpy")
def _series_and_scalar(x, s, h, t, gauss, region, work, value, index, count: int) -> None:
    """``b`` of the options outside the two-term formula: each series, and the erfcx difference,
    over its region's packed options; the scalar function for the :data:`SCALAR` ones (limits, and
    erfcx differences too far out for lanes)."""
    _series_values(h, t, gauss, region, ASYMPTOTIC, work, value, index, count)
    _series_values(h, t, gauss, region, TAYLOR, work, value, index, count)
    _series_values(h, t, gauss, region, ERFCX, work, value, index, count)
    for j in range(count):
        if region[j] == SCALAR:
            value[j] = otm_call_scalar(x[j], s[j])


@numba.njit(cache=True, error_model="numpy")
def otm_calls(x, s, half, value, gauss, work, region, index, count: int) -> None:
    """``value = b(x, s)`` and ``gauss = e^{−(h²+t²)/2}`` (so ``∂b/∂s = gauss/√(2π)``) for a block,
    leaving h, t and the erfc of both Φ(h ± t) of every option in ``work`` (rows :data:`H_ROW`,
    :data:`T_ROW`, :data:`ERFC_UP`, :data:`ERFC_DOWN`) for the Greeks.

    ``x ≤ 0`` and ``s ≥ 0`` as in :func:`~pricing.normalised_black.otm_call_scalar`, ``half =
    e^{x/2}``; ``work`` is :data:`OTM_ROWS` blocks of scratch, ``region`` a block of int8 and
    ``index`` one of int64. The two-term formula for every option (two erfc and one exp, four
    lanes at a time), the series where :func:`series_regions` says, the scalar function for the
    rest (s of 0 or ∞, the erfcx region). :func:`otm_values` gives the same ``b`` for less work.
    """
    h, t, arg_up, arg_down = work[H_ROW], work[T_ROW], work[WORK_ROWS + 2], work[WORK_ROWS + 3]
    arg_pdf, erfc_up, erfc_down = work[WORK_ROWS + 4], work[ERFC_UP], work[ERFC_DOWN]
    _arguments(x, s, h, t, arg_up, arg_down, arg_pdf, count)
    erfc_block(arg_up, erfc_up, count)
    erfc_block(arg_down, erfc_down, count)
    exp_block(arg_pdf, gauss, count)
    series_regions(h, t, region, count)
    _two_terms(h, t, half, erfc_up, erfc_down, region, value, count)
    _series_and_scalar(x, s, h, t, gauss, region, work, value, index, count)


@numba.njit(cache=True, error_model="numpy")
def _gaussian_arguments(x, s, h, t, arg_pdf, count: int) -> None:
    """``h = x/s``, ``t = s/2`` and the argument of ``e^{−(h²+t²)/2}``, as :func:`_arguments`."""
    for j in range(count):
        hj = x[j] / s[j]
        tj = 0.5 * s[j]
        h[j] = hj
        t[j] = tj
        arg_pdf[j] = -0.5 * (hj * hj + tj * tj)


@numba.njit(cache=True, error_model="numpy")
def _erfc_arguments(h, t, arg_up, arg_down, count: int) -> None:
    """The erfc arguments of Φ(h ± t), as :func:`_arguments`."""
    for j in range(count):
        arg_up[j] = abs(h[j] + t[j]) * INV_SQRT2
        arg_down[j] = -(h[j] - t[j]) * INV_SQRT2


@numba.njit(cache=True, error_model="numpy")
def _naive_values(h, t, half, region, work, value, index, count: int) -> None:
    """The two-term ``b`` of the :data:`NAIVE` options only, packed to the front, then scattered
    back; :data:`ERFCX` where it is not accurate."""
    packed_h, packed_t, packed_half = work[WORK_ROWS + 2], work[WORK_ROWS + 3], work[WORK_ROWS + 5]
    arg_up, arg_down, erfc_up, erfc_down = work[WORK_ROWS + 6], work[WORK_ROWS + 7], work[0], work[1]
    m = 0
    for j in range(count):
        index[m] = j
        packed_h[m] = h[j]
        packed_t[m] = t[j]
        packed_half[m] = half[j]
        m += region[j] == NAIVE
    _erfc_arguments(packed_h, packed_t, arg_up, arg_down, m)
    erfc_block(arg_up, erfc_up, m)
    erfc_block(arg_down, erfc_down, m)
    for i in range(m):
        first, two_term = _two_term(packed_h[i], packed_t[i], packed_half[i], erfc_up[i], erfc_down[i])
        j = index[i]
        value[j] = two_term
        if not two_term_is_accurate(packed_h[i] + packed_t[i], first, two_term):
            region[j] = _inaccurate_region(packed_h[i], packed_t[i])


@numba.njit(cache=True, error_model="numpy")
def otm_values(x, s, half, value, gauss, work, region, index, count: int) -> None:
    """:func:`otm_calls`' ``value`` and ``gauss``, for the price and implied vol, which need no Φ
    of their own. The regions come first, from ``h`` and ``t`` alone, so that the two erfc of
    the two-term formula run only over the options that keep it (most options of a desk's chain
    take a series: 84% of the benchmark's random grid). Where most keep it, packing costs more
    than it saves, and the two-term formula runs over the whole block as in :func:`otm_calls`.
    Same arguments, same lanes, so the same ``b`` as :func:`otm_calls` to the bit.
    """
    h, t, arg_up, arg_down = work[H_ROW], work[T_ROW], work[WORK_ROWS + 2], work[WORK_ROWS + 3]
    arg_pdf, erfc_up, erfc_down = work[WORK_ROWS + 4], work[ERFC_UP], work[ERFC_DOWN]
    _gaussian_arguments(x, s, h, t, arg_pdf, count)
    exp_block(arg_pdf, gauss, count)
    naive = series_regions(h, t, region, count)
    if 2 * naive > count:
        _erfc_arguments(h, t, arg_up, arg_down, count)
        erfc_block(arg_up, erfc_up, count)
        erfc_block(arg_down, erfc_down, count)
        _two_terms(h, t, half, erfc_up, erfc_down, region, value, count)
    else:
        _naive_values(h, t, half, region, work, value, index, count)
    _series_and_scalar(x, s, h, t, gauss, region, work, value, index, count)
