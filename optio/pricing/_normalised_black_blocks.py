"""The normalised Black ``b(x, s)`` of :mod:`optio.pricing.normalised_black`, over a block of options.

Same regions, same series, same error budget as :func:`optio.pricing.normalised_black.otm_call_scalar`;
what differs is the order of work. The scalar function runs one option through its region's
formula; here the regions of a block's options are decided first (from ``h`` and ``t``, then
the two-term formula's error estimate), and each formula runs over the packed options of its
region with the same per-option code (:func:`~optio.pricing.normalised_black.taylor_bracket`, the
asymptotic series by a fixed count of terms, the erfcx difference by two Mills ratios), which
LLVM vectorises; erfc, exp and log come several at a time from :mod:`optio.pricing._vector_libm`. The
results agree with the scalar function to a few ulp (the vector libm's own rounding).
:func:`otm_values_rough` is the cheaper ~1e-11 variant for implied vol's first steps.
"""

from __future__ import annotations

import math

import numba

from optio.pricing._disjoint import DISJOINT
from optio.pricing._vector_libm import erfc_block, exp_block
from optio.pricing.normalised_black import (
    ASYMPTOTIC_Z,
    INV_SQRT2,
    INV_SQRT_2PI,
    NAIVE_ERROR_ULPS,
    SMALL_T,
    SQRT_PI_OVER_2,
    otm_call_scalar,
    taylor_bracket,
    two_term_is_accurate,
)

#: Veltkamp's splitting constant 2^27 + 1: ``z = hi + lo`` with 26-bit halves, so ``z²`` is exact as a pair.
_SPLIT = 134217729.0

#: Asymptotic options with ``z − t`` at least this (``a = 1/(z − t) ≤ 1/20``) converge to 1e-17
#: within :data:`_FAST_TERMS` terms, those nearer the region's edge (``z − t ≥ 10``) within
#: :data:`_SLOW_TERMS`: the k-th term is at most ``(2k−1)!!·(2k+1)·a^{2k}`` of the first
#: (``tests/pricing`` checks both counts against that bound). The count is each option's own,
#: from its ``z − t`` alone (:func:`_asymptotic_values`): never from its neighbours in a block.
_FAST_ASYMPTOTIC_Z = 20.0
_FAST_TERMS = 12
_SLOW_TERMS = 28
#: Terms per run of the series that LLVM unrolls whole (a run of 27 it leaves rolled, and scalar).
_UNROLLED_TERMS = 11
#: Region codes of :func:`_front` (and :data:`ERFCX`, where the two-term formula is not
#: accurate).
NAIVE, ASYMPTOTIC, TAYLOR, SCALAR, ERFCX = 0, 1, 2, 3, 4
#: ``Y(u) = erfc(z)·e^{z²}`` (``z = −u/√2``) in lanes while ``e^{z²}`` stays finite: |u| below
#: this (z² < 685); beyond, the scalar function's erfcx.
_LANES_Y_BELOW = 37.0

#: Rows of scratch that the series need (:func:`_region_values`), each a block long.
WORK_ROWS = 12
#: Rows of scratch that :func:`otm_calls` and its siblings need: :data:`WORK_ROWS`, then h, t,
#: the erfc and exp arguments, the two erfc values, and one more for packing (:func:`_naive_values`).
OTM_ROWS = WORK_ROWS + 8
#: Rows of :func:`otm_calls`'s scratch that hold ``h = x/s``, ``t = s/2``, ``erfc(|h + t|/√2)``
#: and ``erfc(−(h − t)/√2)`` when it returns: d1 and Φ(h ± t) for the caller (delta).
H_ROW, T_ROW, ERFC_UP, ERFC_DOWN = WORK_ROWS, WORK_ROWS + 1, WORK_ROWS + 5, WORK_ROWS + 6


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


@numba.njit(inline="always")
def _asymptotic_terms(a2: float, b2: float, a_plus_b: float, d: float, e: float, total: float, coefficient: float,
                      first: int, stop: int) -> tuple[float, float, float, float]:
    """Terms ``first … stop − 1`` of :func:`~optio.pricing.normalised_black.asymptotic_bracket`'s series,
    two steps of its recurrence at once: ``D_{n+2} = A²·D_n + (A + B)·E_n`` with ``E_n = Bⁿ·(A − B)``,
    so that each term costs its option one multiply-add in sequence, not two. Returns ``(d, e,
    total, coefficient)`` after them."""
    for k in range(first, stop):
        coefficient *= -(2 * k - 1)
        d = a2 * d + a_plus_b * e
        e *= b2
        total += coefficient * d
    return d, e, total, coefficient


@numba.njit(inline="always")
def _asymptotic_series(h: float, t: float, terms: int) -> float:
    """``Y(h+t) − Y(h−t)`` by the first ``terms`` terms of the asymptotic series, in runs of at
    most :data:`_UNROLLED_TERMS` (each a loop LLVM unrolls whole)."""
    z = -h
    a = 1.0 / (z - t)
    b = 1.0 / (z + t)
    d = 2.0 * t * a * b  # D_1 = A − B
    e = b * d  # E_1
    total = d
    coefficient = 1.0
    for first in range(1, terms, _UNROLLED_TERMS):
        d, e, total, coefficient = _asymptotic_terms(a * a, b * b, a + b, d, e, total, coefficient, first,
                                                     min(first + _UNROLLED_TERMS, terms))
    return total


def _asymptotic_brackets(terms: int):
    """``brackets(h, t, bracket, count)``: ``Y(h+t) − Y(h−t)`` for ``h + t ≤ −ASYMPTOTIC_Z``, each
    option by ``terms`` terms of the series (:func:`_asymptotic_series`), enough for the
    smallest ``z − t`` of the options it is given (:data:`_FAST_TERMS`, :data:`_SLOW_TERMS`).

    Why a count fixed at compile time: LLVM then unrolls the terms and runs the options several at
    a time. The series with a stopping test per option
    (:func:`~optio.pricing.normalised_black.asymptotic_bracket`) carries its chain of multiplications
    one option at a time, about 60 ns an option; one pass per term over the block, with the
    state in rows, was left scalar too (six arrays LLVM could not prove apart), about 1.4 ns an
    option a term. Not cached on disk (a closure); its cached callers carry it compiled in.
    """

    @numba.njit(error_model="numpy")
    def brackets(h, t, bracket, count: int) -> None:
        for j in range(count):
            bracket[j] = _asymptotic_series(h[j], t[j], terms)

    return brackets


#: :func:`_asymptotic_brackets` for ``z − t ≥`` :data:`_FAST_ASYMPTOTIC_Z`, and for the rest.
fast_asymptotic_brackets = _asymptotic_brackets(_FAST_TERMS)
slow_asymptotic_brackets = _asymptotic_brackets(_SLOW_TERMS)


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
def _pack(region, wanted: int, h, t, index, packed_h, packed_t, m: int, count: int) -> None:
    """Pack the ``m`` options of region ``wanted`` (their index, h and t) to the front: under one in
    eight, a loop that branches on the region, well predicted when the region is rare; otherwise a
    loop that writes every option and advances only on the wanted ones, since a branch taken in
    random order mispredicts."""
    k = 0
    if 8 * m >= count:
        for j in range(count):
            index[k] = j
            packed_h[k] = h[j]
            packed_t[k] = t[j]
            k += region[j] == wanted
        return
    for j in range(count):
        if region[j] == wanted:
            index[k] = j
            packed_h[k] = h[j]
            packed_t[k] = t[j]
            k += 1


@numba.njit(**DISJOINT)
def _scatter(index, gauss, bracket, value, m: int) -> None:
    """``value = e^{−(h²+t²)/2}/√(2π) · bracket`` of each packed option, at its place."""
    for i in range(m):
        j = index[i]
        value[j] = INV_SQRT_2PI * gauss[j] * bracket[i]


@numba.njit(cache=True, error_model="numpy")
def _region_values(h, t, gauss, region, wanted: int, work, value, index, count: int, m: int, rough: bool) -> None:
    """``value = e^{−(h²+t²)/2}/√(2π) · (Y(h+t) − Y(h−t))`` for the ``m`` options of region ``wanted``
    (:data:`TAYLOR`, :data:`ASYMPTOTIC` or :data:`ERFCX`), packed, run through the series or the
    difference, and scattered back."""
    if m == 0:
        return
    packed_h, packed_t, bracket = work[4], work[5], work[6]
    if wanted == TAYLOR:
        if 8 * m >= 7 * count:
            _taylor_for_all(h, t, gauss, region, work, value, count)
            return
        _pack(region, wanted, h, t, index, packed_h, packed_t, m, count)
        z, z_squared, z_squared_low, erfc_z = work[0], work[1], work[2], work[3]
        _mills_arguments(packed_h, z, z_squared, z_squared_low, m)
        erfc_block(z, erfc_z, m)
        exp_block(z_squared, z_squared, m)
        _taylor_scatter(packed_h, packed_t, erfc_z, z_squared, z_squared_low, index, gauss, value, m)
        return
    if wanted == ASYMPTOTIC and not rough:
        _asymptotic_values(h, t, gauss, region, work, value, index, count, m)
        return
    _pack(region, wanted, h, t, index, packed_h, packed_t, m, count)
    if wanted == ASYMPTOTIC:
        fast_asymptotic_brackets(packed_h, packed_t, bracket, m)
    else:
        _erfcx_differences(packed_h, packed_t, work, bracket, m)
    _scatter(index, gauss, bracket, value, m)


@numba.njit(cache=True, error_model="numpy")
def _asymptotic_values(h, t, gauss, region, work, value, index, count: int, m: int) -> None:
    """The ``m`` asymptotic options, each by the series its own ``z − t`` needs
    (:data:`_FAST_TERMS` terms from :data:`_FAST_ASYMPTOTIC_Z` on, :data:`_SLOW_TERMS` below):
    packed into two lists in one pass (rows 4 and 5 and ``index``; rows 7, 8 and 10), run, and
    scattered back. Before, every one took the short series and those near the edge (71% of
    the desk grid's) the long one too, after a second packing."""
    fast_h, fast_t, fast_bracket = work[4], work[5], work[6]
    near_h, near_t, near_bracket, near_index = work[7], work[8], work[9], work[10]
    fast = 0
    near = 0
    if 8 * m >= count:
        for j in range(count):
            hj = h[j]
            tj = t[j]
            wanted = region[j] == ASYMPTOTIC
            is_near = -hj - tj < _FAST_ASYMPTOTIC_Z
            index[fast] = j
            fast_h[fast] = hj
            fast_t[fast] = tj
            near_index[near] = j  # a row of doubles holds the (exact) index
            near_h[near] = hj
            near_t[near] = tj
            fast += wanted & (not is_near)
            near += wanted & is_near
    else:
        for j in range(count):
            if region[j] == ASYMPTOTIC:
                if -h[j] - t[j] < _FAST_ASYMPTOTIC_Z:
                    near_index[near] = j
                    near_h[near] = h[j]
                    near_t[near] = t[j]
                    near += 1
                else:
                    index[fast] = j
                    fast_h[fast] = h[j]
                    fast_t[fast] = t[j]
                    fast += 1
    if fast:
        fast_asymptotic_brackets(fast_h, fast_t, fast_bracket, fast)
        _scatter(index, gauss, fast_bracket, value, fast)
    if near:
        slow_asymptotic_brackets(near_h, near_t, near_bracket, near)
        for i in range(near):
            j = int(near_index[i])
            value[j] = INV_SQRT_2PI * gauss[j] * near_bracket[i]


@numba.njit(**DISJOINT)
def _mills_arguments(h, z, z_squared, z_squared_low, count: int) -> None:
    """:func:`mills_ys`' first pass: ``z = −h/√2`` and ``z²`` as an exact pair (Veltkamp's split)."""
    for j in range(count):
        zj = -INV_SQRT2 * h[j]
        scaled = _SPLIT * zj
        high = scaled - (scaled - zj)
        low = zj - high
        square = zj * zj
        z[j] = zj
        z_squared[j] = square
        z_squared_low[j] = ((high * high - square) + 2.0 * high * low) + low * low


@numba.njit(**DISJOINT)
def _taylor_scatter(h, t, erfc_z, exp_z_squared, z_squared_low, index, gauss, value, m: int) -> None:
    """``Y(h)`` as :func:`mills_ys` forms it, the Taylor bracket from it, and ``b`` of each packed
    option at its place: one pass (three before)."""
    for i in range(m):
        y = SQRT_PI_OVER_2 * erfc_z[i] * (exp_z_squared[i] * (1.0 + z_squared_low[i]))
        bracket = taylor_bracket(h[i], t[i], y)
        j = index[i]
        value[j] = INV_SQRT_2PI * gauss[j] * bracket


@numba.njit(cache=True, error_model="numpy")
def _taylor_for_all(h, t, gauss, region, work, value, count: int) -> None:
    """Where nearly all options take the Taylor series (all of the crypto grid's), it runs over
    every option, unpacked, and only theirs keep its value: packing them and scattering back cost
    more than the others' share of the work (2 ns an option of the crypto grid; at the desk
    grid's 74% it was 2 ns slower). The same series and lanes either way, so the same bits."""
    # The others' h replaced by 0 (their results are dropped): far out of the money, e^{h²/2}
    # overflows, and libmvec takes such lanes the slow way.
    taylor_h = work[4]
    z, z_squared, z_squared_low, erfc_z = work[0], work[1], work[2], work[3]
    _taylor_arguments(h, region, taylor_h, z, z_squared, z_squared_low, count)
    erfc_block(z, erfc_z, count)
    exp_block(z_squared, z_squared, count)
    _taylor_in_place(taylor_h, t, erfc_z, z_squared, z_squared_low, region, gauss, value, count)


@numba.njit(**DISJOINT)
def _taylor_arguments(h, region, taylor_h, z, z_squared, z_squared_low, count: int) -> None:
    """:func:`_mills_arguments` of every option's ``h``, 0 for those outside :data:`TAYLOR`."""
    for j in range(count):
        hj = h[j] if region[j] == TAYLOR else 0.0
        taylor_h[j] = hj
        zj = -INV_SQRT2 * hj
        scaled = _SPLIT * zj
        high = scaled - (scaled - zj)
        low = zj - high
        square = zj * zj
        z[j] = zj
        z_squared[j] = square
        z_squared_low[j] = ((high * high - square) + 2.0 * high * low) + low * low


@numba.njit(**DISJOINT)
def _taylor_in_place(h, t, erfc_z, exp_z_squared, z_squared_low, region, gauss, value, count: int) -> None:
    """:func:`_taylor_scatter` unpacked: every option's series, kept where it is :data:`TAYLOR`."""
    for j in range(count):
        y = SQRT_PI_OVER_2 * erfc_z[j] * (exp_z_squared[j] * (1.0 + z_squared_low[j]))
        bracket = taylor_bracket(h[j], t[j], y)
        value[j] = INV_SQRT_2PI * gauss[j] * bracket if region[j] == TAYLOR else value[j]


@numba.njit(inline="always")
def _two_term(h: float, t: float, half: float, erfc_up: float, erfc_down: float) -> tuple[float, float]:
    """``first = e^{x/2}Φ(h + t)`` and the two-term ``b = first − e^{−x/2}Φ(h − t)``, from the
    erfc values of :func:`_arguments`' arguments."""
    tail = 0.5 * erfc_up
    first = half * (tail if h + t <= 0.0 else 1.0 - tail)
    return first, first - 0.5 * erfc_down / half


@numba.njit(inline="always")
def _inaccurate_region(h: float, t: float) -> int:
    """Where the two-term formula is not accurate: :data:`TAYLOR` for small ``t`` (only the rough
    evaluation tries it there), else :data:`ERFCX` (lanes) unless ``h − t`` is too far out for
    them."""
    region = ERFCX if h - t > -_LANES_Y_BELOW else SCALAR
    return TAYLOR if t < SMALL_T else region


@numba.njit(**DISJOINT)
def _two_terms(h, t, half, erfc_up, erfc_down, region, value, ulps: float, count: int) -> tuple[int, int, int]:
    """The two-term ``b`` of every option; a :data:`NAIVE` one whose error estimate exceeds
    ``ulps`` goes to :func:`_inaccurate_region` (the series overwrite their own options' values).
    Returns how many went to :data:`TAYLOR`, :data:`ERFCX` and :data:`SCALAR`."""
    taylor = 0
    erfcx = 0
    scalar = 0
    for j in range(count):
        first, two_term = _two_term(h[j], t[j], half[j], erfc_up[j], erfc_down[j])
        value[j] = two_term
        inaccurate = not two_term_is_accurate(h[j] + t[j], h[j] - t[j], first, two_term, ulps)
        moved = (region[j] == NAIVE) & inaccurate
        code = _inaccurate_region(h[j], t[j]) if moved else region[j]
        region[j] = code
        taylor += moved & (code == TAYLOR)
        erfcx += moved & (code == ERFCX)
        scalar += moved & (code == SCALAR)
    return taylor, erfcx, scalar


@numba.njit(cache=True, error_model="numpy")
def _series_and_scalar(x, s, h, t, gauss, region, work, value, index, count: int, rough: bool, asymptotic: int,
                       taylor: int, erfcx: int, scalar: int) -> None:
    """``b`` of the options outside the two-term formula (their counts by region given): each
    series, and the erfcx difference, over its region's packed options; the scalar function for
    the :data:`SCALAR` ones (limits, and erfcx differences too far out for lanes). ``rough``: the
    asymptotic series by :data:`_FAST_TERMS` terms whatever ``z − t`` (within 8e-12 at the
    region's edge)."""
    _region_values(h, t, gauss, region, ASYMPTOTIC, work, value, index, count, asymptotic, rough)
    _region_values(h, t, gauss, region, TAYLOR, work, value, index, count, taylor, rough)
    _region_values(h, t, gauss, region, ERFCX, work, value, index, count, erfcx, rough)
    if scalar:
        for j in range(count):
            if region[j] == SCALAR:
                value[j] = otm_call_scalar(x[j], s[j])


@numba.njit(**DISJOINT)
def _front(x, s, h, t, arg_pdf, arg_up, arg_down, region, taylor_below: float, count: int) -> tuple[int, int, int, int]:
    """One pass for what every option needs first: ``h = x/s``, ``t = s/2``, the arguments of
    ``e^{−(h²+t²)/2}`` and of the two Φ(h ± t) (Φ(u) = erfc(−u/√2)/2; Φ(h + t) from erfc of its
    absolute value, so that its small tail above the money keeps its digits), and the region by
    :func:`otm_call_scalar`'s rules as far as ``h`` and ``t`` decide it: :data:`ASYMPTOTIC`,
    :data:`TAYLOR` for ``t`` below ``taylor_below`` (:data:`~optio.pricing.normalised_black.SMALL_T`;
    0 for the rough evaluation, whose two-term formula tries small ``t`` first), :data:`SCALAR`
    for ``s`` of 0 or ∞ (or NaN), and :data:`NAIVE` for the rest, which the two-term formula's own
    error estimate may still send elsewhere (:func:`_inaccurate_region`); as selects, not branches
    (regions come in random order). Returns how many are :data:`NAIVE`,
    :data:`ASYMPTOTIC`, :data:`TAYLOR` and :data:`SCALAR` (four passes before, and a count pass
    per region after)."""
    naive = 0
    asymptotic = 0
    taylor = 0
    scalar = 0
    for j in range(count):
        hj = x[j] / s[j]
        tj = 0.5 * s[j]
        h[j] = hj
        t[j] = tj
        arg_pdf[j] = -0.5 * (hj * hj + tj * tj)
        arg_up[j] = abs(hj + tj) * INV_SQRT2
        arg_down[j] = -(hj - tj) * INV_SQRT2
        code = TAYLOR if tj < taylor_below else NAIVE
        code = ASYMPTOTIC if hj + tj < -ASYMPTOTIC_Z else code
        code = SCALAR if not 0.0 < tj < math.inf else code
        region[j] = code
        naive += code == NAIVE
        asymptotic += code == ASYMPTOTIC
        taylor += code == TAYLOR
        scalar += code == SCALAR
    return naive, asymptotic, taylor, scalar


@numba.njit(cache=True, error_model="numpy")
def _erfc_arguments(h, t, arg_up, arg_down, count: int) -> None:
    """The erfc arguments of Φ(h ± t) (Φ(u) = erfc(−u/√2)/2; Φ(h + t) from erfc of its absolute
    value, so that its small tail above the money keeps its digits)."""
    for j in range(count):
        arg_up[j] = abs(h[j] + t[j]) * INV_SQRT2
        arg_down[j] = -(h[j] - t[j]) * INV_SQRT2


@numba.njit(cache=True, error_model="numpy")
def _naive_values(h, t, half, region, work, value, index, ulps: float, count: int,
                  naive: int, lazy: bool) -> tuple[int, int, int]:
    """The two-term ``b`` of the :data:`NAIVE` options only, packed to the front, then scattered
    back; :func:`_inaccurate_region` where its error estimate exceeds ``ulps``. Returns how many
    went to :data:`TAYLOR`, :data:`ERFCX` and :data:`SCALAR`. ``lazy``: ``half`` holds ``x/2``,
    and ``e^{x/2}`` is taken of the packed options only (the same lanes, so the same bits)."""
    packed_h, packed_t, packed_half = work[WORK_ROWS + 2], work[WORK_ROWS + 3], work[WORK_ROWS + 5]
    arg_up, arg_down, erfc_up, erfc_down = work[WORK_ROWS + 6], work[WORK_ROWS + 7], work[0], work[1]
    # As in _pack: none, nothing; a few, a loop that branches on them (well predicted where they
    # are rare); more, one that writes every option and advances on theirs.
    if naive == 0:
        return 0, 0, 0
    m = 0
    if 8 * naive < count:
        for j in range(count):
            if region[j] == NAIVE:
                index[m] = j
                packed_h[m] = h[j]
                packed_t[m] = t[j]
                packed_half[m] = half[j]
                m += 1
    else:
        for j in range(count):
            index[m] = j
            packed_h[m] = h[j]
            packed_t[m] = t[j]
            packed_half[m] = half[j]
            m += region[j] == NAIVE
    if lazy:
        exp_block(packed_half, packed_half, m)
    _erfc_arguments(packed_h, packed_t, arg_up, arg_down, m)
    erfc_block(arg_up, erfc_up, m)
    erfc_block(arg_down, erfc_down, m)
    taylor = 0
    erfcx = 0
    scalar = 0
    for i in range(m):
        first, two_term = _two_term(packed_h[i], packed_t[i], packed_half[i], erfc_up[i], erfc_down[i])
        j = index[i]
        value[j] = two_term
        if not two_term_is_accurate(packed_h[i] + packed_t[i], packed_h[i] - packed_t[i], first, two_term, ulps):
            code = _inaccurate_region(packed_h[i], packed_t[i])
            region[j] = code
            taylor += code == TAYLOR
            erfcx += code == ERFCX
            scalar += code == SCALAR
    return taylor, erfcx, scalar


#: The two-term formula's error estimate that :func:`otm_values_rough` accepts, in ulps: about
#: 1.5e-11 relative.
ROUGH_ERROR_ULPS = 2.0**16


@numba.njit(cache=True, error_model="numpy")
def _normalised_black(x, s, half, value, gauss, work, region, index, rough: bool, every_phi: bool,
                      count: int, half_x, lazy: bool) -> None:
    """``b`` and ``gauss`` for a block, the one body of :func:`otm_calls`, :func:`otm_values` and
    :func:`otm_values_rough`.

    The regions come first, from ``h`` and ``t`` alone; then the two-term formula (two erfc, one
    exp) over every option where ``every_phi`` (the Greeks want Φ(h ± t)) or most options keep
    it, else over the packed ones that do (packing costs more than it saves when they are the
    majority); then the series, the erfcx difference and the scalar function for the rest.
    ``rough``: the two-term formula wherever its error estimate allows :data:`ROUGH_ERROR_ULPS`
    (small ``t`` too), and the asymptotic series by its shorter count. ``lazy``: ``half`` is
    scratch and ``half_x`` holds ``x/2``, whose exponential is taken only where the two-term
    formula runs (:func:`otm_values_from_half_x`); otherwise ``half_x`` is ``half``.
    """
    h, t, arg_up, arg_down = work[H_ROW], work[T_ROW], work[WORK_ROWS + 2], work[WORK_ROWS + 3]
    arg_pdf, erfc_up, erfc_down = work[WORK_ROWS + 4], work[ERFC_UP], work[ERFC_DOWN]
    ulps = ROUGH_ERROR_ULPS if rough else NAIVE_ERROR_ULPS
    naive, asymptotic, taylor, scalar = _front(x, s, h, t, arg_pdf, arg_up, arg_down, region,
                                               0.0 if rough else SMALL_T, count)
    exp_block(arg_pdf, gauss, count)
    if every_phi or 2 * naive > count:
        if lazy:
            exp_block(half_x, half, count)
        erfc_block(arg_up, erfc_up, count)
        erfc_block(arg_down, erfc_down, count)
        more_taylor, erfcx, more_scalar = _two_terms(h, t, half, erfc_up, erfc_down, region, value, ulps, count)
    else:
        more_taylor, erfcx, more_scalar = _naive_values(h, t, half_x, region, work, value, index, ulps, count, naive,
                                                        lazy)
    _series_and_scalar(x, s, h, t, gauss, region, work, value, index, count, rough, asymptotic, taylor + more_taylor,
                       erfcx, scalar + more_scalar)


@numba.njit(cache=True, error_model="numpy")
def otm_calls(x, s, half, value, gauss, work, region, index, count: int) -> None:
    """``value = b(x, s)`` and ``gauss = e^{−(h²+t²)/2}`` (so ``∂b/∂s = gauss/√(2π)``) for a block,
    leaving h, t and the erfc of both Φ(h ± t) of every option in ``work`` (rows :data:`H_ROW`,
    :data:`T_ROW`, :data:`ERFC_UP`, :data:`ERFC_DOWN`) for the Greeks.

    ``x ≤ 0`` and ``s ≥ 0`` as in :func:`~optio.pricing.normalised_black.otm_call_scalar`, ``half =
    e^{x/2}``; ``work`` is :data:`OTM_ROWS` blocks of scratch, ``region`` a block of int8 and
    ``index`` one of int64. :func:`otm_values` gives the same ``b`` for less work.
    """
    _normalised_black(x, s, half, value, gauss, work, region, index, False, True, count, half, False)


@numba.njit(cache=True, error_model="numpy")
def otm_values(x, s, half, value, gauss, work, region, index, count: int) -> None:
    """:func:`otm_calls`' ``value`` and ``gauss``, for the price and implied vol, which need no Φ
    of their own: the two erfc of the two-term formula run only over the options that keep it
    where they are the minority (most options of a desk's chain take a series: 84% of the
    benchmark's random grid). Same arguments, same lanes, so the same ``b`` to the bit.
    """
    _normalised_black(x, s, half, value, gauss, work, region, index, False, False, count, half, False)


@numba.njit(cache=True, error_model="numpy")
def otm_values_rough(x, s, half, value, gauss, work, region, index, count: int) -> None:
    """:func:`otm_values` to about 1e-11 relative instead of a few ulp, for about half the work
    on a desk's chain: the two-term formula wherever its error estimate allows
    :data:`ROUGH_ERROR_ULPS`, which spares the Taylor series nearly every option it would take
    (99.6% of them on the benchmark's random grid).

    For implied vol's initial guess and first Householder step, whose error the last (exact)
    step removes: a step from an error δ leaves about δ⁴, and 1e-11 in ``b`` moves ``s`` by less
    than the 1e-6 the first step leaves anyway. ``gauss`` is exact (the derivatives use it).
    """
    _normalised_black(x, s, half, value, gauss, work, region, index, True, False, count, half, False)


@numba.njit(cache=True, error_model="numpy")
def otm_values_from_half_x(x, s, half_x, half, value, gauss, work, region, index, count: int) -> None:
    """:func:`otm_values` given ``x/2`` rather than ``e^{x/2}`` (``half`` is scratch): the
    exponential only of the options that take the two-term formula (packed, where they are the
    minority), the same lanes and so the same bits. For the price and Greeks kernels, which need
    ``e^{x/2}`` for nothing else: it was an exponential of every option, 1.5 ns an option of the
    desk grid, where 14% of them use it."""
    _normalised_black(x, s, half, value, gauss, work, region, index, False, False, count, half_x, True)
