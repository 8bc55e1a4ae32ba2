"""Black-76 implied volatility, compiled: a tabulated initial guess and one Householder step a block of
options at a time, with "Let's Be Rational" (Jäckel 2015) where the table does not reach.

The price is reduced to a normalised out-of-the-money call ``β`` at log-moneyness
``x = −|ln(F/K)| ≤ 0`` (subtracting the intrinsic value *on the forward*, and using put-call
symmetry). Then, per option:

1. the initial guess: ``ln s`` from a cubic B-spline in ``ln|x|`` and ``ln √(−2 ln(β/b_max))``
   (:mod:`optio.pricing._iv_guess_table`), within 3e-5 of ``s`` on the benchmark's grids and
   2.5e-4 anywhere in the table's domain (``|x|`` from 1e-8 to 20, ``β/b_max`` from 1e-290 to 0.7);
2. one Householder step of order 4 with the exact normalised Black
   (:func:`optio.pricing._normalised_black_blocks.otm_values`), on ``1/ln b(s) − 1/ln β`` below the
   inflection point ``s_c = √(2|x|)`` and ``b(s) − β`` above it: from a guess off by δ it leaves
   ``c·δ⁴`` (``c`` below 5 over the domain), so a step of at most :data:`ACCEPT_STEP` leaves
   machine precision. A second step where one ulp of ``s`` moves the price by more than 1e-13
   (:data:`POLISH_ELASTICITY`), which lands on the double that reprices the input more often.

Options outside the table's domain, or whose step exceeded :data:`ACCEPT_STEP`, take Jäckel's way
(:func:`_invert`, unchanged): the four-branch rational initial guess (around the inflection point
the inverse ``s(β)`` interpolated by rational cubics, :mod:`optio.pricing._rational_cubic`; in the
two tails on transformed maps whose inverses are closed-form), then two Householder steps (the
first with ``b`` to ~1e-11, :func:`optio.pricing._normalised_black_blocks.otm_values_rough`), and a
third where the second still moved ``s`` by more than :data:`THIRD_STEP_ABOVE`. On the desk and
crypto grids 0.14% and none of the live options go that way; it costs about twice the table's way (three
normalised Black evaluations for the guess and one per step, against one in all).

What the steps do not settle: an option whose β (the normalised time value) is below the
normal doubles, while its time value is not, has lost digits before any step (F and K hundreds
of orders apart, or a price hundreds of orders below them); an option whose steps still move
``s`` after :data:`MAX_STEPS` (a degenerate step, where ``b(s)`` underflowed, never settles)
started where ``b`` rounds to 0 or to ``b_max``. Both take the one-option path's bracketed
inversion in ``ln b`` or ``ln(b_max − b)`` (:func:`optio.pricing.scalar.bracketed_total_vol`,
compiled by :mod:`optio.pricing._compiled_twins`), and are NO_INFORMATION where it does not
settle either: never a σ with status OK that the steps did not converge to.

Why in blocks: per option and one scalar libm call at a time, an erfc is most of the cost of
an option; over a block of options the libm calls run several lanes at a time
(:mod:`optio.pricing._vector_libm`) and the arithmetic in passes that LLVM vectorises (the
passes with many arrays compiled with them marked disjoint, :mod:`optio.pricing._disjoint`). Only
the live options are inverted: a first pass over blocks of :data:`~optio.pricing._black_kernels.CHUNK`
settles the rest (no vol, including a price that carries no information, and at the money) and
queues the live ones, :data:`INVERTED` of which are inverted at a time; the options for Jäckel's
way and for a second step wait in queues of their own.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from optio.pricing import _compiled_twins as twins
from optio.pricing import _iv_guess_table as guess_table
from optio.pricing import _rational_cubic as rc
from optio.pricing import scalar
from optio.pricing._black_kernels import CHUNK, fill_broadcast, input_block, valid_inputs
from optio.pricing._disjoint import DISJOINT
from optio.pricing._normalised_black_blocks import OTM_ROWS, otm_values, otm_values_rough
from optio.pricing._scipy_special import erfinv
from optio.pricing._vector_libm import erfc_block, exp_block, log_block
from optio.pricing.moneyness import add_octaves, ratio_and_octaves, sqrt_product
from optio.pricing.normalised_black import (
    INV_SQRT2,
    INV_SQRT_2PI,
    SQRT_2PI,
    SQRT_PI_OVER_2,
    otm_call_scalar,
    two_term_is_accurate,
)

#: Status codes per option (the values of :class:`optio.pricing.implied_vol.IVStatus`), and
#: :data:`DEFERRED`, which :func:`implied_vol_flat` settles at the end (never returned).
OK, BELOW_INTRINSIC, ABOVE_MAXIMUM, EXPIRED, INVALID_INPUT, NO_INFORMATION = range(6)
DEFERRED = scalar.DEFERRED

#: What each option needs: nothing (its status is not OK), the at-the-money inverse
#: ``s = 2√2·erfinv(β)``, or the full inversion.
_NONE, _AT_THE_MONEY, _LIVE = range(3)
#: Which objective each option iterates on.
LOWEST, MIDDLE, HIGHEST = range(3)
#: A second step that moved ``s`` by more than this (relative) leaves up to ~this⁴: one more step.
THIRD_STEP_ABOVE = 1e-5
#: Householder steps at most: two for all, a third where the second moved ``s`` by more than
#: :data:`THIRD_STEP_ABOVE`. Three were also the rule whatever the third did: from a guess where
#: ``b`` rounds to its bound (``b_max − β`` a few hundred ulps of it) the steps crawl, and at
#: ``x = −180``, ``1 − β/b_max = 2.2e-13`` the third left σ 2.3% off with status OK. An option
#: still moving after the last (or whose step was degenerate) takes the one-option path's
#: bracketed inversion (:func:`optio.pricing.scalar.bracketed_total_vol`, compiled, one option at
#: a time), or is NO_INFORMATION. More steps for the whole inversion instead (up to 10) cost the
#: hard grid 6 ns an option (41.2 against 35.5): a few options a block kept every pass running.
MAX_STEPS = 3

_SQRT3 = math.sqrt(3.0)
_TWO_PI = 2.0 * math.pi
_TWO_PI_OVER_SQRT27 = _TWO_PI / math.sqrt(27.0)
_PI_OVER_6 = math.pi / 6.0
_TINY = float(np.finfo(np.float64).tiny)
#: The double below 1: ``v·_BELOW_ONE`` is the double below ``v`` (one rounding of the exact product).
_BELOW_ONE = 1.0 - 2.0**-53
#: Abramowitz & Stegun 26.2.23: ``Φ⁻¹(p) ≈ −(t − (c0 + c1·t + c2·t²)/(1 + d1·t + d2·t² + d3·t³))``,
#: ``t = √(−2 ln p)``, for ``p ≤ 1/2``, within 4.5e-4 (absolute).
_AS_C0, _AS_C1, _AS_C2 = 2.515517, 0.802853, 0.010328
_AS_D1, _AS_D2, _AS_D3 = 1.432788, 0.189269, 0.001308
_LN_HALF = math.log(0.5)
_LN_SMALLEST = math.log(5e-324)

_PASS = {"cache": True, "error_model": "numpy"}


@numba.njit(**_PASS)
def _out_of_the_money(log_ratio, octaves, x, half_x, count: int) -> None:
    """``x = −|ln(F/K)|`` from ``ln ratio`` and the octaves, and ``x/2`` (in place, if ``x`` is
    ``log_ratio``)."""
    for j in range(count):
        x[j] = -abs(add_octaves(log_ratio[j], octaves[j]))
        half_x[j] = 0.5 * x[j]


@numba.njit(**_PASS)
def _cap(beta, half, count: int) -> None:
    """β can reach ``b_max = e^{x/2}`` through rounding of the intrinsic subtraction: cap it below."""
    for j in range(count):
        beta[j] = min(beta[j], _BELOW_ONE * half[j])


#: F and K both within [2^-500, 2^500]: F/K and F·K are normal doubles, so ``ratio_and_octaves``
#: gives ``(F/K, 0)`` and ``sqrt_product`` ``√(F·K)``, bit for bit (:mod:`optio.pricing.moneyness`).
_SAFE_LO, _SAFE_HI = 2.0**-500, 2.0**500


#: The one-option path's status rule, compiled here: both paths decide an option's status alike.
_status = numba.njit(inline="always")(scalar.verdict)


@numba.njit(inline="always")
def _verdict(p: float, f: float, k: float, t: float, d: float, call: bool, sqrt_fk: float, ok: bool):
    """β and the status of one option (``ok``: its inputs are in the domain); :data:`DEFERRED`
    where β is below the normal doubles but the time value is not (left to
    :func:`optio.pricing.scalar.bracketed_total_vol`)."""
    undiscounted = p / d
    intrinsic = max(f - k, 0.0) if call else max(k - f, 0.0)
    upper = f if call else k
    time_value = undiscounted - intrinsic
    b = time_value / sqrt_fk
    return b, _status(b, time_value, t, undiscounted >= upper) if ok else INVALID_INPUT


@numba.njit(**DISJOINT)
def _check_and_normalise(p, f, k, t, d, call, ratio, octaves, target, status, kind, count: int) -> int:
    """Flag the options outside the domain; ``β = (price/discount − intrinsic on the forward)/√(FK)``
    into ``target``; each option's status and kind (at the money where ``F/K`` is exactly 1, so
    that ``ln(F/K) = 0``); ``F/K = ratio·2^octaves``
    (:func:`~optio.pricing.moneyness.ratio_and_octaves`; 1 and 0 where invalid, so the log is 0).

    ``β = 0`` is :data:`NO_INFORMATION`: a price at the intrinsic value, a zero price out of the
    money, or a time value that underflows once normalised. Every small enough σ gives such a
    price, so it determines none (σ = 0 with status OK was a silent wrong answer). Nothing here
    needs ``ln(F/K)``: only the options left to invert take its log.

    F/K and √(F·K) come directly where F and K are within [2^-500, 2^500] (the same bits as the
    scaled forms there); returns how many are not, which :func:`_renormalise` redoes. As two
    passes, each with the scaled forms' integer work on every option, this cost about 3 ns an
    option more."""
    unsafe = 0
    underflowed = 0
    for j in range(count):
        fj = f[j]
        kj = k[j]
        # The price in the vol's place: |p| is in [0, ∞) exactly when p is finite.
        ok = valid_inputs(fj, kj, t[j], abs(p[j]), d[j])
        safe = (fj >= _SAFE_LO) & (fj <= _SAFE_HI) & (kj >= _SAFE_LO) & (kj <= _SAFE_HI)
        unsafe += not safe
        r = fj / kj
        b, code = _verdict(p[j], fj, kj, t[j], d[j], call[j], math.sqrt(fj * kj), ok)
        ratio[j] = r if ok else 1.0
        octaves[j] = 0.0
        status[j] = code
        kind[j] = _NONE if code != OK else (_AT_THE_MONEY if (r == 1.0) & ok else _LIVE)
        target[j] = b
        underflowed += code == DEFERRED
    return unsafe, underflowed


@numba.njit(cache=True, error_model="numpy")
def _renormalise(p, f, k, t, d, call, ratio, octaves, target, status, kind, count: int) -> int:
    """:func:`_check_and_normalise` for the options outside [2^-500, 2^500], by the scaled forms;
    returns how many of them are :data:`DEFERRED`."""
    underflowed = 0
    for j in range(count):
        fj = f[j]
        kj = k[j]
        if (fj >= _SAFE_LO) & (fj <= _SAFE_HI) & (kj >= _SAFE_LO) & (kj <= _SAFE_HI):
            continue
        ok = valid_inputs(fj, kj, t[j], abs(p[j]), d[j])
        r, n = ratio_and_octaves(fj, kj)
        b, code = _verdict(p[j], fj, kj, t[j], d[j], call[j], sqrt_product(fj, kj), ok)
        ratio[j] = r if ok else 1.0
        octaves[j] = n if ok else 0.0
        status[j] = code
        # At the money only where F/K is exactly 1: a ratio of 1.0 with octaves (F/K = 2^-1100, say)
        # is ln(F/K) = -762, and was taken for at the money (σ ~ 1e-166 with status OK).
        kind[j] = _NONE if code != OK else (_AT_THE_MONEY if (ratio[j] == 1.0) & (octaves[j] == 0.0) else _LIVE)
        target[j] = b
        underflowed += code == DEFERRED
    return underflowed


@numba.njit(**_PASS)
def _centres(x, s_c, erfc_arg, count: int) -> None:
    """The inflection point ``s_c = √(2|x|)``, and ``s_c/√2`` for ``Φ(−s_c)``."""
    for j in range(count):
        s_c[j] = math.sqrt(-2.0 * x[j])
        erfc_arg[j] = math.sqrt(-x[j])


@numba.njit(**_PASS)
def _at_centres(x, s_c, half, erfc_s_c, b_c, gauss_c, count: int) -> None:
    """``b`` and ``e^{−(h²+t²)/2}`` at the inflection point, where ``h + t = 0``: ``b = e^{x/2}/2 −
    e^{−x/2}Φ(−s_c)`` and the Gaussian factor is ``e^{x/2}``. The two-term formula where it is
    accurate (all but |x| below about 1e-3), the scalar function elsewhere: in a second loop,
    which branches on the rare misses, so that the first runs without branches (vectorised)."""
    inaccurate = 0
    for j in range(count):
        first = 0.5 * half[j]
        value = first - 0.5 * erfc_s_c[j] / half[j]
        b_c[j] = value
        gauss_c[j] = half[j]
        inaccurate += not two_term_is_accurate(0.0, -s_c[j], first, value)
    if inaccurate:
        for j in range(count):
            if not two_term_is_accurate(0.0, -s_c[j], 0.5 * half[j], b_c[j]):
                b_c[j] = otm_call_scalar(x[j], s_c[j])


@numba.njit(**_PASS)
def _edges(beta, half, s_c, b_c, gauss_c, s_e, count: int) -> None:
    """The far end of each option's side of the inflection: one Newton step from ``s_c`` to
    ``b = 0`` below it, to ``b = b_max`` above it."""
    for j in range(count):
        v_c = INV_SQRT_2PI * gauss_c[j]
        below = beta[j] < b_c[j]
        s_e[j] = max(s_c[j] - b_c[j] / v_c, _TINY) if below else s_c[j] + (half[j] - b_c[j]) / v_c


@numba.njit(**_PASS)
def _branches(beta, b_c, b_e, branch, count: int) -> None:
    for j in range(count):
        below = beta[j] < b_c[j]
        code = LOWEST if below & (beta[j] < b_e[j]) else MIDDLE
        branch[j] = HIGHEST if (not below) & (beta[j] > b_e[j]) else code


@numba.njit(**_PASS)
def _map_arguments(x, s_e, branch, arg_erfc, arg_a, arg_b, count: int) -> None:
    """Arguments of the erfc and the two exponentials of the tail maps at the edge ``s_e``.

    Lowest: ``Φ(−z)``, ``e^{−z²/2}`` and ``e^{z² + s²/8}`` with ``z = |x|/(√3 s)``. Highest:
    ``Φ(−s/2)``, ``e^{w/2}`` and ``e^{w + s²/8}`` with ``w = (x/s)²``.
    """
    for j in range(count):
        s = s_e[j]
        z = -x[j] / (_SQRT3 * s)
        y = z * z
        w = (x[j] / s) ** 2
        lowest = branch[j] == LOWEST
        arg_erfc[j] = INV_SQRT2 * (z if lowest else 0.5 * s)
        arg_a[j] = -0.5 * y if lowest else 0.5 * w
        arg_b[j] = (y if lowest else w) + 0.125 * s * s


#: Rows of the interpolation nodes each option's guess takes (:func:`_interpolation_nodes`).
_X_L, _X_R, _Y_L, _Y_R, _D_L, _D_R, _CURVATURE = range(7)
NODE_ROWS = 7


@numba.njit(**_PASS)
def _interpolation_nodes(beta, x, half, s_c, b_c, gauss_c, s_e, b_e, gauss_e, branch, erfc_z, exp_a, exp_b, x_l,
                         x_r, y_l, y_r, d_l, d_r, curvature, count: int) -> None:
    """The ends, end slopes and fitted curvature of each option's rational cubic, by branch:

    - lowest: ``f = (2π|x|/√27)·Φ(−|x|/(√3 s))³`` over ``β ∈ (0, b_l]``, curvature at ``b_l``;
    - highest: ``f = Φ(−s/2)`` over ``[b_u, b_max)``, curvature at ``b_u``;
    - middle: ``s`` itself between the edge and the inflection point (slopes 1/vega, zero
      curvature at the inflection, where b'' = 0).

    Every branch's formula runs for every option and selects keep one, so that this pass and
    the uniform one after it (:func:`_interpolate`) run several options at a time. The loop they
    replace branched per option (branches come in random order) and ran its dozen divisions one
    at a time; side by side, implied vol gained about 7 ns an option on both benchmark grids. The
    rows are arrays of their own: written through one 2-D array, the pass stayed scalar (9.7 ns
    an option against 3.5). The formulas of the branches an option does not take may overflow;
    their results are dropped.
    """
    for j in range(count):
        code = branch[j]
        lowest = code == LOWEST
        highest = code == HIGHEST
        below = beta[j] < b_c[j]
        s_edge = s_e[j]
        b_edge = b_e[j]
        # Lowest: the lower map and its first two derivatives in β at the edge s_l.
        ax = -x[j]
        s2 = s_edge * s_edge
        z = ax / (_SQRT3 * s_edge)
        y = z * z
        phi_cdf = 0.5 * erfc_z[j]
        phi_pdf = INV_SQRT_2PI * exp_a[j]
        f_l = _TWO_PI_OVER_SQRT27 * ax * phi_cdf * phi_cdf * phi_cdf
        df_l = _TWO_PI * y * phi_cdf * phi_cdf * exp_b[j]
        d2f_l = (_PI_OVER_6 * y / (s2 * s_edge) * phi_cdf
                 * (8.0 * _SQRT3 * s_edge * ax + (3.0 * s2 * (s2 - 8.0) - 8.0 * ax * ax) * phi_cdf / phi_pdf)
                 * exp_b[j] * exp_b[j])
        # Highest: the upper map and its derivatives at the edge s_u.
        f_u = phi_cdf
        df_u = -0.5 * exp_a[j]
        h = ax / s_edge
        d2f_u = SQRT_PI_OVER_2 * exp_b[j] * h * h / s_edge
        # Middle: from the edge to the inflection point or back.
        inv_v_c = SQRT_2PI / gauss_c[j]
        inv_v_e = SQRT_2PI / gauss_e[j]
        x_l[j] = 0.0 if lowest else (b_edge if highest | below else b_c[j])
        x_r[j] = half[j] if highest else (b_c[j] if below & (not lowest) else b_edge)
        y_l[j] = 0.0 if lowest else (f_u if highest else (s_edge if below else s_c[j]))
        y_r[j] = f_l if lowest else (0.0 if highest else (s_c[j] if below else s_edge))
        d_l[j] = 1.0 if lowest else (df_u if highest else (inv_v_e if below else inv_v_c))
        d_r[j] = df_l if lowest else (-0.5 if highest else (inv_v_c if below else inv_v_e))
        curvature[j] = d2f_l if lowest else (d2f_u if highest else 0.0)


@numba.njit(**_PASS)
def _interpolate(beta, b_c, branch, nodes, out, count: int) -> None:
    """Each option's rational cubic (:func:`_interpolation_nodes`) at its β: the curvature fitted
    at the edge in the tails, at the inflection point in the middle; shape kept in the tails."""
    for j in range(count):
        code = branch[j]
        at_left = (code == HIGHEST) | ((code == MIDDLE) & (beta[j] >= b_c[j]))
        prefer_shape = code != MIDDLE
        x_l, x_r, y_l, y_r = nodes[_X_L, j], nodes[_X_R, j], nodes[_Y_L, j], nodes[_Y_R, j]
        d_l, d_r = nodes[_D_L, j], nodes[_D_R, j]
        r = rc.control_fitting_curvature(x_l, x_r, y_l, y_r, d_l, d_r, nodes[_CURVATURE, j], at_left, prefer_shape)
        out[j] = rc.interpolate(beta[j], x_l, x_r, y_l, y_r, d_l, d_r, r)


@numba.njit(**_PASS)
def _guesses(beta, x, half, b_e, branch, nodes, interpolated, s, tail_p, count: int) -> None:
    """``s`` for the middle branch; for the tails, the probability whose inverse gives ``s``
    (:func:`_tail_guesses`): ``Φ(−|x|/(√3 s))³`` (lowest) or ``Φ(−s/2)`` (highest). A tail map
    interpolated to 0 or below takes the quadratic through its ends instead (the slope of β at
    its far end)."""
    for j in range(count):
        code = branch[j]
        lowest = code == LOWEST
        f = interpolated[j]
        # Where β sits between the map's ends, u in [0, 1] from its far end: one division shared
        # by both tails (divisions are most of this pass).
        u = (beta[j] - (0.0 if lowest else b_e[j])) / (b_e[j] if lowest else half[j] - b_e[j])
        f_l = f if f > 0.0 else (nodes[_Y_R, j] * u + b_e[j] * (1.0 - u)) * u
        f_u = f if f > 0.0 else (nodes[_Y_L, j] * (1.0 - u) + 0.5 * (half[j] - b_e[j]) * u) * (1.0 - u)
        s[j] = f if code == MIDDLE else s[j]
        tail_p[j] = f_l / (_TWO_PI_OVER_SQRT27 * -x[j]) if lowest else (f_u if code == HIGHEST else 0.25)


@numba.njit(**_PASS)
def _tail_guesses(ln_p, x, branch, s, count: int) -> None:
    """``z ≈ Φ⁻¹(q)`` by A&S 26.2.23 from ``ln q`` (``q = p^{1/3}`` in the lowest branch, ``p`` in
    the highest), then ``s = |x|/(√3|z|)`` (lowest) or ``s = −2z`` (highest).

    Why no refinement of ``z``: its error, 4.5e-4 at most, is a small part of the guess's own
    (the interpolated tail maps are within ~10% in the lowest branch), and the Householder steps
    remove both; a Halley step on ``Φ(z) = q`` cost an erfc, two exponentials and a pass (about
    4.5 ns an option on the random grid) and changed no result by more than the steps' own
    rounding. Why not scipy's ndtri: a scalar call of ~25 ns, where this pass runs the block's
    options several at a time.
    """
    for j in range(count):
        # A probability that underflowed to 0 counts as the smallest double.
        lp = max(ln_p[j], _LN_SMALLEST)
        code = branch[j]
        lq = min(lp / 3.0 if code == LOWEST else lp, _LN_HALF)
        t = math.sqrt(-2.0 * lq)
        z = -(t - (_AS_C0 + t * (_AS_C1 + t * _AS_C2)) / (1.0 + t * (_AS_D1 + t * (_AS_D2 + t * _AS_D3))))
        s[j] = x[j] / (_SQRT3 * z) if code == LOWEST else (-2.0 * z if code == HIGHEST else s[j])


@numba.njit(**_PASS)
def _log_arguments(beta, half, b, branch, arg, count: int) -> None:
    """What each objective takes the log of: ``b`` (lowest), ``(b_max − b)/(b_max − β)`` (highest)."""
    for j in range(count):
        gap_ratio = (half[j] - b[j]) / (half[j] - beta[j])
        arg[j] = b[j] if branch[j] == LOWEST else (gap_ratio if branch[j] == HIGHEST else 1.0)


@numba.njit(**_PASS)
def _householder(s, x, beta, ln_beta, half, b, gauss, ln_arg, branch, step, threshold: float, count: int) -> None:
    """One fourth-order Householder step for each option whose last step exceeded ``threshold·s``.

    ``b'`` from ``gauss``; ``b''/b' = x²/s³ − s/4`` and ``b'''/b'`` = its square less
    ``3x²/s⁴ + 1/4``; the objective's own ratios by branch (module docstring).
    """
    for j in range(count):
        sj = s[j]
        b1 = INV_SQRT_2PI * gauss[j]
        x2 = x[j] * x[j]
        inverse_s = 1.0 / sj
        inverse_s2 = inverse_s * inverse_s
        second = x2 * inverse_s2 * inverse_s - 0.25 * sj
        third = second * second - 3.0 * x2 * inverse_s2 * inverse_s2 - 0.25
        # Every branch's ratios for every option, selects keep one, and the stores are selects
        # too: a loop without branches LLVM runs several options at a time. Each division is
        # shared by the branches (its operands selected first): divisions are most of the cost.
        code = branch[j]
        ln_b = ln_arg[j]
        gap = half[j] - b[j]
        lowest = code == LOWEST
        # b(s) rounded to b_max itself: the plain objective b(s) − β there.
        highest = (code == HIGHEST) & (gap > 0.0)
        # b'/b (lowest) or b'/(b_max − b) (highest): the objective's log-derivative.
        ratio = b1 / (b[j] if lowest else gap)
        inverse_ln_b = 1.0 / ln_b
        g2 = -(2.0 + ln_b) * inverse_ln_b
        g3 = (2.0 * ln_b * ln_b + 6.0 * ln_b + 6.0) * inverse_ln_b * inverse_ln_b
        # Newton's step: ln b·(ln β − ln b)/(ln β · b'/b), ln(gap ratio)·gap/b', or (β − b)/b'.
        numerator = ln_b * (ln_beta[j] - ln_b) if lowest else (gap * ln_b if highest else beta[j] - b[j])
        newton = numerator / (ln_beta[j] * ratio if lowest else b1)
        halley = g2 * ratio + second if lowest else (ratio + second if highest else second)
        third_ratio = (g3 * ratio * ratio + 3.0 * g2 * ratio * second + third if lowest
                       else (2.0 * ratio * ratio + 3.0 * ratio * second + third if highest else third))
        update = newton * (1.0 + 0.5 * halley * newton) / (1.0 + newton * (halley + third_ratio * newton / 6.0))
        update = max(update, -0.5 * sj)  # never jump to or below zero
        # A degenerate step (b(s) underflowed to 0, say) keeps the last s and counts as an infinite
        # one: it settles nothing. It counted as 0, and an s stuck where b underflows (x = −761:
        # σ 18% low) passed for converged, with status OK.
        degenerate = not abs(update) < math.inf
        moving = abs(step[j]) > threshold * sj
        s[j] = sj + update if moving & (not degenerate) else sj
        step[j] = (math.inf if degenerate else update) if moving else 0.0


@numba.njit(**_PASS)
def _steps_above(step, s, threshold: float, count: int) -> int:
    """How many last steps exceeded ``threshold·s`` (a count, without divisions, vectorises)."""
    above = 0
    for j in range(count):
        above += abs(step[j]) > threshold * s[j]
    return above


@numba.njit(**_PASS)
def _settle(t, target, kind, vol, count: int) -> None:
    """The vol of every option that needs no inversion; NaN for now where it is queued."""
    at_the_money = 0
    for j in range(count):
        vol[j] = math.nan
        at_the_money += kind[j] == _AT_THE_MONEY
    if at_the_money:
        for j in range(count):
            if kind[j] == _AT_THE_MONEY:
                # b(0, s) = erf(s/(2√2)) exactly.
                vol[j] = 2.0 * math.sqrt(2.0) * erfinv(target[j]) / math.sqrt(t[j])


@numba.njit(**_PASS)
def _enqueue(ratio, octaves, beta, t, kind, start: int, queue, where, queued: int, count: int) -> int:
    """Append the live options of a block (F/K as ratio and octaves, β, T and their place in the
    batch) to the queue;
    return its new length. Every option is written and only the live ones advance the end, so
    the loop has no branch to mispredict."""
    queue_x, queue_n, queue_beta, queue_t = queue[_QX], queue[_QN], queue[_QBETA], queue[_QT]
    for j in range(count):
        queue_x[queued] = ratio[j]
        queue_n[queued] = octaves[j]
        queue_beta[queued] = beta[j]
        queue_t[queued] = t[j]
        where[queued] = start + j
        queued += kind[j] == _LIVE
    return queued


@numba.njit(**_PASS)
def _dequeue(queue, where, done: int, queued: int) -> None:
    """Move what is left past the first ``done`` queued options to the front."""
    for i in range(done, queued):
        for row in range(_QUEUE_ROWS):
            queue[row, i - done] = queue[row, i]
        where[i - done] = where[i]


@numba.njit(**_PASS)
def _results(s, t, where, vol, count: int) -> None:
    """``σ = s/√T`` of the inverted options (in place in ``s``), each to its place in the batch.
    Two loops: the first runs several options at a time, the scattering one cannot."""
    for i in range(count):
        s[i] /= math.sqrt(t[i])
    for i in range(count):
        vol[where[i]] = s[i]


#: Live options inverted together: each pass over them has a fixed cost (a call, loop set-up,
#: the libm calls' last partial vector), and three dozen passes make one inversion. Measured
#: side by side, 1024 against 256 options: random grid 61.5 -> 56.2 ns an option, hard grid
#: unchanged; 2048 was no faster on the random grid and slower on the hard one (L2).
INVERTED = 4 * CHUNK
#: Rows of the queue of live options (F/K's ratio, then x; b_max; β; T; F/K's octaves),
#: :data:`INVERTED` + :data:`CHUNK` long: a block's live options join it, and the first
#: :data:`INVERTED` of them are inverted.
_QX, _QHALF, _QBETA, _QT, _QN = range(5)
_QUEUE_ROWS = 5
#: Rows of :func:`_scratch`; :func:`_invert` leaves ``s`` in row :data:`_S`.
_ROWS = 18
_S = 11
#: Row of :func:`_scratch` where :func:`_invert_by_table` marks the options it settled.
_ACCEPTED = 15


@numba.njit(cache=True, error_model="numpy")
def _scratch(capacity: int = INVERTED):
    """Rows of ``capacity`` doubles (:data:`INVERTED`, or fewer for a small batch), and the int8
    and int64 rows, that one inversion needs."""
    return (np.empty((_ROWS, capacity)), np.empty((OTM_ROWS, capacity)), np.empty((NODE_ROWS, capacity)),
            np.empty(capacity, dtype=np.int8), np.empty(capacity, dtype=np.int8), np.empty(capacity, dtype=np.int64))


@numba.njit(cache=True, error_model="numpy")
def _invert(x, octaves, half, beta, scratch, count: int) -> int:
    """Implied ``s`` of ``count`` live options (``x`` holds ``F/K = x·2^octaves`` and ``0 < β``; ``x`` leaves as
    ``−|ln(F/K)|``, ``half`` as ``b_max = e^{x/2}``, β capped below it) into row :data:`_S` of
    ``scratch``.

    Every option here is live: packing them first means a chain whose far wings price to 0, or
    a batch with invalid rows, spends nothing on them (65% of the hard grid's options).
    Returns how many are not settled after :data:`MAX_STEPS` (their ``s`` is NaN).
    """
    rows, work, nodes, branch, region, index = scratch
    ln_beta, s_c, b_c, gauss_c, s_e, b_e, gauss_e = rows[0], rows[1], rows[2], rows[3], rows[4], rows[5], rows[6]
    arg_erfc, erfc_z, exp_a, exp_b, s, b, gauss = rows[7], rows[8], rows[9], rows[10], rows[_S], rows[12], rows[13]
    ln_arg, step, tail_p = rows[14], rows[15], rows[16]
    log_block(x, x, count)
    _out_of_the_money(x, octaves, x, half, count)
    exp_block(half, half, count)
    _cap(beta, half, count)
    log_block(beta, ln_beta, count)
    # The initial guess: b at the inflection point and at the edge of the option's side.
    _centres(x, s_c, arg_erfc, count)
    erfc_block(arg_erfc, erfc_z, count)
    _at_centres(x, s_c, half, erfc_z, b_c, gauss_c, count)
    _edges(beta, half, s_c, b_c, gauss_c, s_e, count)
    otm_values_rough(x, s_e, half, b_e, gauss_e, work, region, index, count)
    _branches(beta, b_c, b_e, branch, count)
    _map_arguments(x, s_e, branch, arg_erfc, exp_a, exp_b, count)
    erfc_block(arg_erfc, erfc_z, count)
    exp_block(exp_a, exp_a, count)
    exp_block(exp_b, exp_b, count)
    _interpolation_nodes(beta, x, half, s_c, b_c, gauss_c, s_e, b_e, gauss_e, branch, erfc_z, exp_a, exp_b,
                         nodes[_X_L], nodes[_X_R], nodes[_Y_L], nodes[_Y_R], nodes[_D_L], nodes[_D_R],
                         nodes[_CURVATURE], count)
    _interpolate(beta, b_c, branch, nodes, tail_p, count)
    _guesses(beta, x, half, b_e, branch, nodes, tail_p, s, tail_p, count)
    log_block(tail_p, tail_p, count)
    _tail_guesses(tail_p, x, branch, s, count)
    # Householder: two steps for all, more (MAX_STEPS) where the last still moved s.
    step[:count] = math.inf
    # The first step from b to ~1e-11 (its error is the next step's to remove), the rest exact.
    for attempt in range(MAX_STEPS):
        threshold = THIRD_STEP_ABOVE if attempt >= 2 else -1.0
        if attempt >= 2 and _steps_above(step, s, threshold, count) == 0:
            return 0
        if attempt == 0:
            otm_values_rough(x, s, half, b, gauss, work, region, index, count)
        else:
            otm_values(x, s, half, b, gauss, work, region, index, count)
        _log_arguments(beta, half, b, branch, ln_arg, count)
        log_block(ln_arg, ln_arg, count)
        _householder(s, x, beta, ln_beta, half, b, gauss, ln_arg, branch, step, threshold, count)
    return _unsettled(step, s, x, ln_beta, half, beta, count)


@numba.njit(cache=True, error_model="numpy")
def _unsettled(step, s, x, ln_beta, half, beta, count: int) -> int:
    """Where the last step still moved ``s`` by more than :data:`THIRD_STEP_ABOVE` (relative), the
    bracketed inversion's ``s`` instead (:func:`optio.pricing.scalar.bracketed_total_vol`, compiled),
    NaN where it does not settle either; returns how many are NaN."""
    unsettled = 0
    for j in range(count):
        if abs(step[j]) > THIRD_STEP_ABOVE * s[j]:
            s[j] = twins.bracketed_total_vol(x[j], ln_beta[j], half[j], half[j] - beta[j])
            unsettled += s[j] != s[j]
    return unsettled


#: The one exact step from the table's guess (:mod:`optio.pricing._iv_guess_table`, within 3e-5
#: of ``s`` on the benchmark grids and 2.5e-4 anywhere in its domain) leaves ``c·δ⁴`` of a guess
#: off by δ. Measured over the domain, ``c`` is at most 0.13 below the inflection point (the
#: ``1/ln b`` objective) and far above it (``b``), and up to 5 within 10% of it where ``|x| > 2``:
#: a step of at most this (relative) leaves below 3e-17. An option whose step moved ``s`` more may
#: not be there yet, and goes the rational guess's way instead (:func:`_invert`), as does every
#: option outside the table's domain.
ACCEPT_STEP = 5e-5
#: One ulp of ``s`` moves the price by its elasticity ``s·b'/b`` ulps: above this, by more than
#: 1e-13. One step from the guess lands within an ulp or two of the computed function's root;
#: a second step from there lands on it (repricing the input to the bit) more often, 93% of the
#: time against 60% in a sample far out of the money. :func:`_run_polish` takes it for those options
#: only (3% of the desk grid, none of the crypto grid), as the rational guess's three steps did.
POLISH_ELASTICITY = 450.0


@numba.njit(**DISJOINT)
def _table_cells(x, ln_beta, first, p, q, count: int) -> None:
    """Each option's cell of the table (its first coefficient, as a float) and offsets in it, from
    ``a = −x`` and ``−2 ln B = −2(ln β − x/2)``: their logs by :func:`~optio.pricing._iv_guess_table.rough_log`,
    in this pass, several options at a time (:func:`_table_guesses` reads the cells one option at
    a time). Two libm logs and a pass of their own cost 3.5 ns an option more."""
    for j in range(count):
        ln_a = guess_table.rough_log(-x[j])
        ln_b = guess_table.rough_log(-2.0 * ln_beta[j] + x[j])
        u, v = guess_table.coordinates(ln_a, ln_b)
        first[j], p[j], q[j] = guess_table.cell(u, v)


@numba.njit(**_PASS)
def _table_guesses(table, first, p, q, ln_s, count: int) -> None:
    """``ln s`` from the table's B-spline in each option's cell: one option at a time, each
    reading four rows of four floats in vector loads (a loop over options would gather them,
    which costs more here than it saves). Split from :func:`_table_cells`: together, the
    conversions to integers ran one option at a time too (11.8 ns an option against 8.1)."""
    for j in range(count):
        ln_s[j] = guess_table.spline_in_cell(table, np.int64(np.int32(first[j])), p[j], q[j])


@numba.njit(**DISJOINT)
def _table_branches(x, ln_s, s, branch, count: int) -> None:
    """``s`` from the table's ``ln s`` (:func:`~optio.pricing._iv_guess_table.rough_exp`), and the
    objective of each option's step: ``1/ln b`` below the inflection point ``s_c = √(2|x|)``
    (nearly linear in ``s`` there), ``b`` itself above it. The table's domain stops short of the
    upper tail (``B ≤ 0.7``), where the rational guess takes ``ln(b_max − b)``."""
    for j in range(count):
        sj = guess_table.rough_exp(ln_s[j])
        s[j] = sj
        branch[j] = LOWEST if sj * sj < -2.0 * x[j] else MIDDLE


@numba.njit(**_PASS)
def _accepted(x, ln_beta, s, step, count: int) -> int:
    """How many options the table's way leaves unsettled: outside its domain, or a step above
    :data:`ACCEPT_STEP` (or not finite). Step sizes are overwritten with 1 where accepted, 0 where not."""
    rejected = 0
    for j in range(count):
        ok = guess_table.inside(-x[j], ln_beta[j] - 0.5 * x[j]) & (abs(step[j]) <= ACCEPT_STEP * s[j])
        step[j] = 1.0 if ok else 0.0
        rejected += not ok
    return rejected


@numba.njit(cache=True, error_model="numpy")
def _invert_by_table(queue, count: int, scratch, table) -> int:
    """Implied ``s`` of the first ``count`` queued options from the table's guess and one exact
    Householder step, into row :data:`_S` of ``scratch``; row ``_ACCEPTED`` holds 1 for each option
    settled so, 0 for each that goes the rational guess's way (:data:`ACCEPT_STEP`). Returns how
    many do. The queue is left as it was but for β, capped below ``b_max`` (as :func:`_invert` does)."""
    rows, work, _nodes, branch, region, index = scratch
    x, half, ln_beta, ln_s = rows[0], rows[1], rows[2], rows[3]
    s, b, gauss, ln_arg, step = rows[_S], rows[12], rows[13], rows[14], rows[_ACCEPTED]
    beta = queue[_QBETA]
    log_block(queue[_QX], x, count)
    _out_of_the_money(x, queue[_QN], x, half, count)
    exp_block(half, half, count)
    _cap(beta, half, count)
    log_block(beta, ln_beta, count)
    _table_cells(x, ln_beta, rows[5], rows[6], rows[7], count)
    _table_guesses(table, rows[5], rows[6], rows[7], ln_s, count)
    _table_branches(x, ln_s, s, branch, count)
    otm_values(x, s, half, b, gauss, work, region, index, count)
    _log_arguments(beta, half, b, branch, ln_arg, count)
    log_block(ln_arg, ln_arg, count)
    step[:count] = math.inf
    _householder(s, x, beta, ln_beta, half, b, gauss, ln_arg, branch, step, -1.0, count)
    return _accepted(x, ln_beta, s, step, count)


#: Rows of the polish queue (:func:`_queue_polish`): ``x``, ``b_max``, β, ``ln β``, ``s``, the
#: objective, T and the place in the batch.
_PX, _PHALF, _PBETA, _PLN_BETA, _PS, _PBRANCH, _PT, _PWHERE = range(8)
_POLISH_ROWS = 8


@numba.njit(cache=True, error_model="numpy")
def _queue_polish(scratch, queue, where, count: int, polish, polished: int) -> int:
    """Append the accepted options whose elasticity exceeds :data:`POLISH_ELASTICITY` (``b`` and
    ``gauss`` are the first step's, at its start) to the polish queue, for :func:`_run_polish`;
    returns its new length. Queued across inversions: a second step over the 3% of a block that
    need it cost 3 ns an option of the whole desk grid, most of it the fixed cost of its passes."""
    rows, branch = scratch[0], scratch[3]
    x, half, ln_beta, s, b, gauss, accepted = rows[0], rows[1], rows[2], rows[_S], rows[12], rows[13], rows[_ACCEPTED]
    beta, t = queue[_QBETA], queue[_QT]
    # A count first (a pass that runs several options at a time); then, for the few, a loop that
    # branches on each (well predicted where they are rare).
    m = 0
    for j in range(count):
        m += (accepted[j] != 0.0) & (s[j] * gauss[j] > POLISH_ELASTICITY * SQRT_2PI * b[j])
    if m == 0:
        return polished
    for j in range(count):
        if (accepted[j] != 0.0) & (s[j] * gauss[j] > POLISH_ELASTICITY * SQRT_2PI * b[j]):
            polish[_PX, polished] = x[j]
            polish[_PHALF, polished] = half[j]
            polish[_PBETA, polished] = beta[j]
            polish[_PLN_BETA, polished] = ln_beta[j]
            polish[_PS, polished] = s[j]
            polish[_PBRANCH, polished] = branch[j]
            polish[_PT, polished] = t[j]
            polish[_PWHERE, polished] = where[j]  # a row of doubles holds the (exact) index
            polished += 1
    return polished


@numba.njit(cache=True, error_model="numpy")
def _run_polish(polish, count: int, scratch, vol) -> None:
    """The second exact step of the first ``count`` options of the polish queue; ``σ = s/√T`` to
    their places in the batch (over the first step's)."""
    rows, work, branch, region, index = scratch[0], scratch[1], scratch[3], scratch[4], scratch[5]
    b, gauss, ln_arg, step = rows[8], rows[9], rows[10], rows[16]
    x, half, beta, ln_beta, s = polish[_PX], polish[_PHALF], polish[_PBETA], polish[_PLN_BETA], polish[_PS]
    for i in range(count):
        branch[i] = np.int8(polish[_PBRANCH, i])
    otm_values(x, s, half, b, gauss, work, region, index, count)
    _log_arguments(beta, half, b, branch, ln_arg, count)
    log_block(ln_arg, ln_arg, count)
    step[:count] = math.inf
    _householder(s, x, beta, ln_beta, half, b, gauss, ln_arg, branch, step, -1.0, count)
    for i in range(count):
        vol[int(polish[_PWHERE, i])] = s[i] / math.sqrt(polish[_PT, i])


@numba.njit(**_PASS)
def _drop_front(queue, done: int, queued: int) -> None:
    """Move what is left past the first ``done`` columns of a queue to the front."""
    for row in range(queue.shape[0]):
        for i in range(done, queued):
            queue[row, i - done] = queue[row, i]


@numba.njit(**_PASS)
def _settle_or_spare(s, accepted, queue, where, count: int, vol, spare, spare_where, spared: int) -> int:
    """``σ = s/√T`` of each option the table's way settled, to its place in the batch; the others
    join the spare queue (for :func:`_invert`). Returns the spare queue's new length."""
    queue_t = queue[_QT]
    for i in range(count):
        s[i] /= math.sqrt(queue_t[i])
    for i in range(count):
        if accepted[i] != 0.0:
            vol[where[i]] = s[i]
        else:
            for row in range(_QUEUE_ROWS):
                spare[row, spared] = queue[row, i]
            spare_where[spared] = where[i]
            spared += 1
    return spared


@numba.njit(cache=True, error_model="numpy")
def implied_vol_flat(price, forward, strike, expiry_years, discount, is_call, table, vol, status):  # pragma: no cover
    """Black-76 implied vol of ``status.size`` options into ``vol`` and ``status`` (codes :data:`OK` …).

    Each input holds one element per option or one for all. Units as in
    :func:`optio.pricing.implied_vol.implied_vol_black`; ``vol`` is NaN exactly where ``status != OK``.
    The options whose β is below the normal doubles (:data:`DEFERRED` by the first pass) and
    those whose steps do not settle take the one-option path's bracketed inversion, compiled
    (:mod:`optio.pricing._compiled_twins`), at the end.
    ``table`` is :mod:`optio.pricing._iv_guess_table`'s; an empty one sends every option the
    rational guess's way (as while the table is being built).
    """
    n = status.size
    rows = np.empty((8, CHUNK))
    ratio, target, octaves = rows[5], rows[6], rows[7]
    broadcast_call = np.empty(CHUNK, dtype=np.bool_)
    fill_broadcast(price, forward, strike, expiry_years, discount, is_call, rows, broadcast_call)
    kind = np.empty(CHUNK, dtype=np.int8)
    # A chain of 64 options needs rows of 64, not of INVERTED: 360 KB of scratch was a fresh
    # mapping of memory per call, page faults included (about 3 us of a 64-option call's 14).
    capacity = min(INVERTED, max(n, 1))
    scratch = _scratch(capacity)
    inverted = scratch[0][_S]
    queue = np.empty((_QUEUE_ROWS, capacity + CHUNK))
    where = np.empty(capacity + CHUNK, dtype=np.int64)
    # The options the table's way leaves (outside its domain, or a step too large): up to
    # capacity join per inversion, and capacity of them are inverted the rational way at a time.
    spare = np.empty((_QUEUE_ROWS, 2 * capacity))
    spare_where = np.empty(2 * capacity, dtype=np.int64)
    # The options that take a second exact step (POLISH_ELASTICITY), up to capacity a time.
    polish = np.empty((_POLISH_ROWS, 2 * capacity))
    by_table = table.size > 0
    underflowed = 0
    unsettled = 0
    queued = 0
    spared = 0
    polished = 0
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        p, f, k, t, d, call = input_block(price, forward, strike, expiry_years, discount, is_call, rows,
                                          broadcast_call, start, m)
        # The codes go straight to the batch's status (a slice assignment from a block of codes
        # cost about 1 ns an option).
        codes = status[start:start + m]
        unsafe, block_underflowed = _check_and_normalise(p, f, k, t, d, call, ratio, octaves, target, codes, kind, m)
        if unsafe:
            # The first pass's count may include unsafe options it judged by the direct forms: an
            # overcount only makes the caller look (implied_vol_black), and finds none.
            block_underflowed += _renormalise(p, f, k, t, d, call, ratio, octaves, target, codes, kind, m)
        underflowed += block_underflowed
        _settle(t, target, kind, vol[start:start + m], m)
        queued = _enqueue(ratio, octaves, target, t, kind, start, queue, where, queued, m)
        if queued >= capacity and start + m < n:  # the last block's queue is the call after the loop
            spared, polished = _invert_queue(queue, where, capacity, scratch, table, by_table, vol, spare, spare_where,
                                             spared, polish, polished)
            _dequeue(queue, where, capacity, queued)
            queued -= capacity
            if polished >= capacity:
                _run_polish(polish, capacity, scratch, vol)
                _drop_front(polish, capacity, polished)
                polished -= capacity
            if spared >= capacity:
                unsettled += _invert(spare[_QX], spare[_QN], spare[_QHALF], spare[_QBETA], scratch, capacity)
                _results(inverted, spare[_QT], spare_where, vol, capacity)
                _dequeue(spare, spare_where, capacity, spared)
                spared -= capacity
    # What is left, at most capacity at a time (the last block's queue may hold more), and no
    # inversion of zero options (its three dozen empty passes cost a 64-option call ~6 us).
    while queued > 0:
        count = min(queued, capacity)
        spared, polished = _invert_queue(queue, where, count, scratch, table, by_table, vol, spare, spare_where,
                                         spared, polish, polished)
        _dequeue(queue, where, count, queued)
        queued -= count
        while polished >= capacity or (polished > 0 and queued == 0):
            count = min(polished, capacity)
            _run_polish(polish, count, scratch, vol)
            _drop_front(polish, count, polished)
            polished -= count
        while spared >= capacity or (spared > 0 and queued == 0):
            count = min(spared, capacity)
            unsettled += _invert(spare[_QX], spare[_QN], spare[_QHALF], spare[_QBETA], scratch, count)
            _results(inverted, spare[_QT], spare_where, vol, count)
            _dequeue(spare, spare_where, count, spared)
            spared -= count
    # What the last full inversion left in the spare and polish queues, if the batch ended there.
    while spared > 0:
        count = min(spared, capacity)
        unsettled += _invert(spare[_QX], spare[_QN], spare[_QHALF], spare[_QBETA], scratch, count)
        _results(inverted, spare[_QT], spare_where, vol, count)
        _dequeue(spare, spare_where, count, spared)
        spared -= count
    while polished > 0:
        count = min(polished, capacity)
        _run_polish(polish, count, scratch, vol)
        _drop_front(polish, count, polished)
        polished -= count
    if underflowed:
        _settle_underflowed(price, forward, strike, expiry_years, discount, is_call, vol, status, n)
    if unsettled:
        _no_information_where_unsettled(vol, status, n)


@numba.njit(cache=True, error_model="numpy")
def _settle_underflowed(price, forward, strike, expiry_years, discount, is_call, vol, status, n: int) -> None:
    """The :data:`DEFERRED` options (β below the normal doubles, the time value not): σ from
    ``ln β`` (:func:`optio.pricing.scalar.underflowed_vol`, compiled), or NO_INFORMATION. Rare
    (135 of the desk grid's million), so one at a time."""
    for j in range(n):
        if status[j] == DEFERRED:
            p = price[j if price.size > 1 else 0]
            f = forward[j if forward.size > 1 else 0]
            k = strike[j if strike.size > 1 else 0]
            d = discount[j if discount.size > 1 else 0]
            call = is_call[j if is_call.size > 1 else 0]
            intrinsic = max(f - k, 0.0) if call else max(k - f, 0.0)
            vol[j], status[j] = twins.underflowed_vol(f, k, expiry_years[j if expiry_years.size > 1 else 0],
                                                     p / d - intrinsic)


@numba.njit(cache=True, error_model="numpy")
def _no_information_where_unsettled(vol, status, n: int) -> None:
    """NO_INFORMATION for the options that no inversion settled (status OK, σ NaN)."""
    for j in range(n):
        if (status[j] == OK) & (vol[j] != vol[j]):
            status[j] = NO_INFORMATION


@numba.njit(cache=True, error_model="numpy")
def _invert_queue(queue, where, count: int, scratch, table, by_table: bool, vol, spare, spare_where, spared: int,
                  polish, polished: int) -> tuple[int, int]:
    """The first ``count`` queued options: by the table's guess where it settles them (their vols
    written; those to polish also queued for :func:`_run_polish`), the others appended to the
    spare queue; all of them there without a table. Returns the spare and polish queues' new
    lengths."""
    if by_table:
        _invert_by_table(queue, count, scratch, table)
        polished = _queue_polish(scratch, queue, where, count, polish, polished)
        spared = _settle_or_spare(scratch[0][_S], scratch[0][_ACCEPTED], queue, where, count, vol, spare, spare_where,
                                  spared)
        return spared, polished
    for i in range(count):
        for row in range(_QUEUE_ROWS):
            spare[row, spared] = queue[row, i]
        spare_where[spared] = where[i]
        spared += 1
    return spared, polished
