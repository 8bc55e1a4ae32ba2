"""Black-76 price, and price with seven Greeks, compiled (numba).

Why compiled by hand: numpy evaluates a formula one whole-array operation at a time, so price
plus Greeks is ~40 passes over memory (about 3M options/s per core). Both kernels work in blocks
that stay in the cache, so that the two Φ, the exponentials and the log of every option run
several at a time through glibc's vector libm (:mod:`optio.pricing._vector_libm`): one scalar call to
``math.erfc`` costs more than the whole rest of the option. They are accurate to an ulp or so,
not fast approximations.

The price is the normalised Black of :mod:`optio.pricing.normalised_black`, accurate far out of the
money where the textbook formula loses every digit, evaluated by
:func:`optio.pricing._normalised_black_blocks.otm_values` for the price and implied vol and by
:func:`~optio.pricing._normalised_black_blocks.otm_calls` (the same ``b``, with Φ(h ± t) for delta) for
the Greeks, so that implied vol inverts exactly the prices these kernels produce. An element outside
the domain gets ``STATUS_INVALID`` and is left unset: the caller re-checks the inputs for the
error message.

Units are those of :mod:`optio.pricing.black_scholes`: forward and strike in one currency, expiry in
years, vol per 1.00, discount the factor ``e^{−rT}``.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from optio.pricing import _compiled_twins as twins
from optio.pricing._disjoint import DISJOINT
from optio.pricing._normalised_black_blocks import (
    ERFC_DOWN,
    ERFC_UP,
    H_ROW,
    OTM_ROWS,
    SCALAR,
    T_ROW,
    otm_calls,
    otm_values,
)
from optio.pricing._vector_libm import LANES, exp_block, log_block
from optio.pricing.moneyness import add_octaves, log_moneyness, ratio_and_octaves, sqrt_product
from optio.pricing.normalised_black import INV_SQRT_2PI, norm_cdf, otm_call_scalar

STATUS_OK = 0
STATUS_INVALID = 1

#: Rows of the Greeks output of :func:`black_greeks_flat`, in :class:`optio.pricing.black_scholes.Greeks` order.
PRICE, DELTA, GAMMA, VEGA, THETA, RHO, VANNA, VOLGA = range(8)
GREEKS = 8
#: Options per block: 16 buffers of this many doubles (32 KiB) stay in the L1/L2 cache.
CHUNK = 64 * LANES


@numba.njit(inline="always")
def valid_inputs(forward: float, strike: float, expiry_years: float, vol: float, discount: float) -> bool:
    # Written so that NaN fails every test, as in optio.pricing.black_scholes._checked. Bitwise & rather
    # than `and`: no short-circuit branches, so the loops that call it vectorise (implied vol's
    # input check went from 6.8 to 1.3 ns an option).
    return ((forward > 0.0) & (forward < math.inf) & (strike > 0.0) & (strike < math.inf)
            & (expiry_years >= 0.0) & (expiry_years < math.inf) & (vol >= 0.0) & (vol < math.inf)
            & (discount > 0.0) & (discount < math.inf))


@numba.njit(cache=True)
def _log_moneyness(forward: float, strike: float) -> float:
    return log_moneyness(forward, strike)


@numba.njit(cache=True)
def _undiscounted(forward: float, strike: float, x: float, s: float, sign: float) -> float:
    """Intrinsic value on the forward plus the out-of-the-money option's time value (parity)."""
    return max(sign * (forward - strike), 0.0) + sqrt_product(forward, strike) * otm_call_scalar(-abs(x), s)


@numba.njit(inline="always")
def _sensitivities(discount: float, forward: float, forward_pdf: float, s: float, sqrt_t: float, vol: float,
                   d1: float, rate: float, price: float) -> tuple[float, float, float, float, float]:
    """Gamma, vega, theta, vanna and volga (units of :func:`_greeks_one`) from ``F·φ(d1)``, the
    total vol ``s = σ√T`` and the rate of the discount: one formula for both paths."""
    pdf = forward_pdf / forward
    d2 = d1 - s
    vega = discount * forward_pdf * sqrt_t
    return (discount * pdf / (forward * s), vega, -discount * forward_pdf * vol / (2.0 * sqrt_t) + rate * price,
            -discount * pdf * d2 / vol, vega * d1 * d2 / vol)


@numba.njit(cache=True)
def _greeks_one(forward: float, strike: float, expiry_years: float, vol: float, discount: float, is_call: bool,
                out, status, i: int) -> None:
    """Option ``i`` by the scalar path: every region of the normalised Black and every limit.

    ``out`` rows: price, delta and gamma in F, vega per 1.00 vol, theta per year at fixed F (plus
    the discount's carry), rho through the discount only, vanna, volga.
    """
    if not valid_inputs(forward, strike, expiry_years, vol, discount):
        status[i] = STATUS_INVALID
        return
    status[i] = STATUS_OK
    sign = 1.0 if is_call else -1.0
    x = _log_moneyness(forward, strike)
    rate = _rate(discount, expiry_years)
    sqrt_t = math.sqrt(expiry_years)
    s = vol * sqrt_t
    # The price has its limits built in: intrinsic value at s = 0, the upper bound at s = ∞.
    p = discount * _undiscounted(forward, strike, x, s, sign)
    out[PRICE, i] = p
    out[RHO, i] = -expiry_years * p
    if not 0.0 < s < math.inf:
        # Greeks' limits: at zero total vol a step delta and a Dirac gamma at the money; at
        # infinite total vol (σ√T overflowed) the call's delta is 1 and the put's 0.
        at_money = x == 0.0 and s == 0.0
        in_money = is_call if s == math.inf else sign * x > 0.0
        out[DELTA, i] = discount * sign * (0.5 if at_money else (1.0 if in_money else 0.0))
        out[GAMMA, i] = math.inf if at_money else 0.0
        out[VEGA, i] = discount * forward * INV_SQRT_2PI * sqrt_t if at_money else 0.0
        out[THETA, i] = (-math.inf if at_money and vol > 0.0 else 0.0) + rate * p
        out[VANNA, i] = 0.0
        out[VOLGA, i] = 0.0
        return
    d1 = x / s + 0.5 * s
    forward_pdf = forward * INV_SQRT_2PI * math.exp(-0.5 * d1 * d1)
    out[DELTA, i] = discount * sign * norm_cdf(sign * d1)
    (out[GAMMA, i], out[VEGA, i], out[THETA, i], out[VANNA, i],
     out[VOLGA, i]) = _sensitivities(discount, forward, forward_pdf, s, sqrt_t, vol, d1, rate, p)


@numba.njit(cache=True)
def _rate(discount: float, expiry_years: float) -> float:
    """The continuous rate per year implied by ``discount = e^{−rT}`` (0 at T = 0 or no discount)."""
    return -math.log(discount) / expiry_years if discount != 1.0 and expiry_years > 0.0 else 0.0



# The block passes below each do one thing over a few arrays: LLVM vectorises a loop only when
# its run-time overlap checks stay few, and the fused loops over many buffers ran largely scalar.
# Division by zero gives inf/NaN as in numpy (those options go the scalar way), not an exception.
_PASS = {"cache": True, "error_model": "numpy"}


@numba.njit(**_PASS)
def fill_broadcast(a, b, c, d, e, is_call, rows, call) -> None:
    """``rows[0:5]`` and ``call`` filled with each input's first element: where :func:`input_block`
    reads an input of one element for all."""
    rows[0][:] = a[0]
    rows[1][:] = b[0]
    rows[2][:] = c[0]
    rows[3][:] = d[0]
    rows[4][:] = e[0]
    call[:] = is_call[0]


@numba.njit(inline="always")
def _block_of(values, broadcast, start: int, count: int):
    return values[start:start + count] if values.size > 1 else broadcast


@numba.njit(inline="always")
def input_block(a, b, c, d, e, is_call, rows, call, start: int, count: int):
    """The block's elements of the five float inputs and the call flags: slices of the batch, read
    in place, or for an input of one element its row filled once (:func:`fill_broadcast`).
    Copying each block into rows instead cost implied vol about 3 ns an option."""
    return (_block_of(a, rows[0], start, count), _block_of(b, rows[1], start, count),
            _block_of(c, rows[2], start, count), _block_of(d, rows[3], start, count),
            _block_of(e, rows[4], start, count), _block_of(is_call, call, start, count))


#: F and K both within [2^-500, 2^500]: F/K and F·K are normal doubles, so ``ratio_and_octaves``
#: gives ``(F/K, 0)`` and ``sqrt_product`` ``√(F·K)``, bit for bit (:mod:`optio.pricing.moneyness`).
_SAFE_LO, _SAFE_HI = 2.0**-500, 2.0**500


@numba.njit(inline="always")
def _safe(forward: float, strike: float) -> bool:
    return (forward >= _SAFE_LO) & (forward <= _SAFE_HI) & (strike >= _SAFE_LO) & (strike <= _SAFE_HI)


@numba.njit(**DISJOINT)
def _check(f, k, t, v, d, ratio, octaves, sqrt_fk, invalid, count: int) -> int:
    """Flag the options outside the domain; ``F/K = ratio·2^octaves``
    (:func:`~optio.pricing.moneyness.ratio_and_octaves`; 1 and 0 where invalid, so the log is 0)
    and ``√(F·K)`` (:func:`~optio.pricing.moneyness.sqrt_product`), directly where F and K are
    within [2^-500, 2^500] (the same bits there); returns how many are not, which
    :func:`_recheck` redoes. The scaled forms' integer work on every option cost 1.5 ns an option."""
    unsafe = 0
    for j in range(count):
        ok = valid_inputs(f[j], k[j], t[j], v[j], d[j])
        invalid[j] = not ok
        unsafe += not _safe(f[j], k[j])
        ratio[j] = f[j] / k[j] if ok else 1.0
        octaves[j] = 0.0
        sqrt_fk[j] = math.sqrt(f[j] * k[j])
    return unsafe


@numba.njit(cache=True, error_model="numpy")
def _recheck(f, k, ratio, octaves, sqrt_fk, invalid, count: int) -> None:
    """:func:`_check` for the options outside [2^-500, 2^500], by the scaled forms."""
    for j in range(count):
        if _safe(f[j], k[j]):
            continue
        r, n = ratio_and_octaves(f[j], k[j])
        ratio[j] = 1.0 if invalid[j] else r
        octaves[j] = 0.0 if invalid[j] else n
        sqrt_fk[j] = sqrt_product(f[j], k[j])


@numba.njit(**_PASS)
def _arguments(log_ratio, octaves, t, v, sqrt_t, x, s, half_x, count: int) -> None:
    """``ln(F/K)`` from ``ln ratio`` and the octaves (in place), ``x = −|ln(F/K)|`` (the
    out-of-the-money side), ``s = σ√T`` and ``x/2`` (for ``e^{x/2}``)."""
    for j in range(count):
        log_ratio[j] = add_octaves(log_ratio[j], octaves[j])
        sqrt_t[j] = math.sqrt(t[j])
        s[j] = v[j] * sqrt_t[j]
        x[j] = -abs(log_ratio[j])
        half_x[j] = 0.5 * x[j]


@numba.njit(**_PASS)
def _rates(d, t, log_d, rate, count: int) -> None:
    """The continuous rate per year of ``discount = e^{−rT}``, from ``log_d = ln d`` (0 at T = 0)."""
    for j in range(count):
        rate[j] = -log_d[j] / t[j] if t[j] > 0.0 else 0.0


@numba.njit(**DISJOINT)
def _greeks_from_parts(f, k, t, v, d, call, rows, work, price, delta, gamma, vega, theta, rho, vanna, volga,
                       count: int) -> None:
    """Price and Greeks of a block from ``b`` and what it was built from (units of :func:`_greeks_one`).

    From ``rows``: ``ln(F/K)``, ``√T``, ``b``, the Gaussian factor and the rate; from ``work``
    (:func:`~optio.pricing._normalised_black_blocks.otm_calls`): ``h = −|x|/s``, ``s/2``,
    ``erfc(|h + s/2|/√2)`` and ``erfc(−(h − s/2)/√2)``. Φ(d1) and Φ(−d1) come from these, so a
    put's tiny delta far in the money keeps its digits.

    Compiled with the arrays marked disjoint (:mod:`optio.pricing._disjoint`; the eight outputs
    are rows of the caller's result, overlapping nothing else here): with run-time overlap checks
    LLVM needed some hundred of them, gave up, and this pass ran one option at a time, about 9 ns
    an option of the desk grid more.
    """
    for j in range(count):
        h = work[H_ROW, j]
        half_s = work[T_ROW, j]
        u = h + half_s
        tail_up = 0.5 * work[ERFC_UP, j]
        cdf_down = 0.5 * work[ERFC_DOWN, j]
        cdf_up = 1.0 - tail_up if u > 0.0 else tail_up
        cdf_minus_up = tail_up if u > 0.0 else 1.0 - tail_up
        sqrt_fk = rows[_SQRT_FK, j]
        intrinsic = max((f[j] - k[j]) if call[j] else (k[j] - f[j]), 0.0)
        p = d[j] * (intrinsic + sqrt_fk * rows[_VALUE, j])
        # F·φ(d1) = K·φ(d2) = √(FK)·e^{−(h² + s²/4)/2}/√(2π): symmetric, no overflow.
        forward_pdf = sqrt_fk * rows[_GAUSS, j] * INV_SQRT_2PI
        # d1 = h + s/2 below the money, −(h − s/2) above; Φ(±d1) from the same values.
        in_the_money = rows[_LOG_RATIO, j] > 0.0
        d1 = half_s - h if in_the_money else u
        cdf_d1 = (1.0 - cdf_down) if in_the_money else cdf_up
        cdf_minus_d1 = cdf_down if in_the_money else cdf_minus_up
        price[j] = p
        delta[j] = d[j] * (cdf_d1 if call[j] else -cdf_minus_d1)
        rho[j] = -t[j] * p
        gamma[j], vega[j], theta[j], vanna[j], volga[j] = _sensitivities(d[j], f[j], forward_pdf, 2.0 * half_s,
                                                                          rows[_SQRT_T, j], v[j], d1, rows[_RATE, j], p)


#: The smallest normal double.
_TINY = 2.2250738585072014e-308


@numba.njit(**_PASS)
def _prices(f, k, d, call, sqrt_fk, value, invalid, price, status, count: int) -> int:
    """``discount · (intrinsic on the forward + √(FK)·b)``; invalid options are flagged, not priced.
    Returns how many ``b`` are below the normal doubles (:func:`_subnormal_values`)."""
    subnormal = 0
    for j in range(count):
        intrinsic = max((f[j] - k[j]) if call[j] else (k[j] - f[j]), 0.0)
        price[j] = d[j] * (intrinsic + sqrt_fk[j] * value[j])
        status[j] = STATUS_INVALID if invalid[j] else STATUS_OK
        subnormal += value[j] < _TINY
    return subnormal


@numba.njit(cache=True, error_model="numpy")
def _subnormal_values(f, k, d, call, sqrt_fk, x, s, value, invalid, price, count: int) -> None:
    """The price again where ``b`` is below the normal doubles, its time value from ``ln b``
    (:func:`optio.pricing.scalar.time_value`, compiled): ``b`` has lost digits there, the time
    value need not have (one at a time: rare, and each a log-space evaluation)."""
    for j in range(count):
        if (value[j] < _TINY) & (not invalid[j]):
            intrinsic = max((f[j] - k[j]) if call[j] else (k[j] - f[j]), 0.0)
            price[j] = d[j] * (intrinsic + twins.time_value(sqrt_fk[j], x[j], s[j], value[j]))


#: Rows of the block scratch: the inputs of one element for all first (:func:`fill_broadcast`), then
#: what :func:`_normalised_black` fills.
_RATIO, _LOG_RATIO, _SQRT_T, _X, _S, _HALF_X, _HALF, _VALUE, _GAUSS, _OCTAVES = range(5, 15)
#: Rows of the rate of each option's discount and of its log (the Greeks only).
_RATE, _LOG_D = 15, 16
#: Row of √(F·K) (:func:`_check`).
_SQRT_FK = 17
_SCRATCH_ROWS = 18


@numba.njit(cache=True, error_model="numpy")
def _scratch():
    """Rows of :data:`CHUNK` doubles and the flags one block needs."""
    return (np.empty((_SCRATCH_ROWS, CHUNK)), np.empty((OTM_ROWS, CHUNK)), np.empty(CHUNK, dtype=np.int8),
            np.empty(CHUNK, dtype=np.int64), np.empty(CHUNK, dtype=np.bool_), np.empty(CHUNK, dtype=np.bool_))


@numba.njit(cache=True, error_model="numpy")
def _normalised_black(f, k, t, v, d, m: int, scratch, with_phi: bool) -> None:
    """Check a block of options (forward, strike, years, vol, discount) and leave ``b(−|x|, σ√T)``
    and what it was built from in ``scratch`` (rows ``_RATIO`` … ``_GAUSS``): the front end of
    both kernels. ``with_phi`` also leaves Φ(h ± t) in the work rows, for the Greeks
    (:func:`~optio.pricing._normalised_black_blocks.otm_calls`); the price needs only ``b``
    (:func:`~optio.pricing._normalised_black_blocks.otm_values`, the same ``b``)."""
    rows, work, region, index, invalid = scratch[0], scratch[1], scratch[2], scratch[3], scratch[4]
    ratio, log_ratio, sqrt_t, x, s = rows[_RATIO], rows[_LOG_RATIO], rows[_SQRT_T], rows[_X], rows[_S]
    half_x, half, value, gauss, octaves = rows[_HALF_X], rows[_HALF], rows[_VALUE], rows[_GAUSS], rows[_OCTAVES]
    if _check(f, k, t, v, d, ratio, octaves, rows[_SQRT_FK], invalid, m):
        _recheck(f, k, ratio, octaves, rows[_SQRT_FK], invalid, m)
    log_block(ratio, log_ratio, m)
    _arguments(log_ratio, octaves, t, v, sqrt_t, x, s, half_x, m)
    exp_block(half_x, half, m)
    if with_phi:
        otm_calls(x, s, half, value, gauss, work, region, index, m)
    else:
        otm_values(x, s, half, value, gauss, work, region, index, m)


@numba.njit(cache=True, error_model="numpy")
def black_price_flat(forward, strike, expiry_years, vol, discount, is_call, price, status):  # pragma: no cover
    """Discounted Black-76 price of ``status.size`` options into ``price``, in blocks of :data:`CHUNK`.

    Each input holds one element per option or a single one for all (a broadcast scalar). The
    normalised Black comes from :func:`optio.pricing._normalised_black_blocks.otm_values` (libmvec
    lanes, the scalar function's regions and series): the same ``b`` as the Greeks kernel's and
    as implied vol inverts.
    """
    scratch = _scratch()
    rows, invalid, broadcast_call = scratch[0], scratch[4], scratch[5]
    fill_broadcast(forward, strike, expiry_years, vol, discount, is_call, rows, broadcast_call)
    for start in range(0, status.size, CHUNK):
        m = min(CHUNK, status.size - start)
        f, k, t, v, d, call = input_block(forward, strike, expiry_years, vol, discount, is_call, rows, broadcast_call,
                                          start, m)
        _normalised_black(f, k, t, v, d, m, scratch, False)
        end = start + m
        if _prices(f, k, d, call, rows[_SQRT_FK], rows[_VALUE], invalid, price[start:end], status[start:end], m):
            _subnormal_values(f, k, d, call, rows[_SQRT_FK], rows[_X], rows[_S], rows[_VALUE], invalid,
                              price[start:end], m)


@numba.njit(cache=True, error_model="numpy")
def black_greeks_flat(forward, strike, expiry_years, vol, discount, is_call, out, status):  # pragma: no cover
    """Price and seven Greeks of ``status.size`` options into ``out`` (rows :data:`PRICE` …
    :data:`VOLGA`), in blocks of :data:`CHUNK`.

    The front end is :func:`black_price_flat`'s; then the rates of the discounts (one vector log),
    and a branch-free pass, which LLVM vectorises, forms the price and the Greeks from ``b`` and
    the same two Φ values. A last pass re-does by :func:`_greeks_one` every option that only the
    scalar path handles (a limit σ√T = 0 or ∞, the erfcx region) or that is invalid.
    """
    n = status.size
    scratch = _scratch()
    rows, work, region, invalid, broadcast_call = scratch[0], scratch[1], scratch[2], scratch[4], scratch[5]
    rows[_RATE][:] = 0.0
    discounted = discount.size > 1 or discount[0] != 1.0
    fill_broadcast(forward, strike, expiry_years, vol, discount, is_call, rows, broadcast_call)
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        f, k, t, v, d, call = input_block(forward, strike, expiry_years, vol, discount, is_call, rows, broadcast_call,
                                          start, m)
        _normalised_black(f, k, t, v, d, m, scratch, True)
        if discounted:
            log_block(d, rows[_LOG_D], m)
            _rates(d, t, rows[_LOG_D], rows[_RATE], m)
        end = start + m
        _greeks_from_parts(f, k, t, v, d, call, rows, work, out[PRICE, start:end], out[DELTA, start:end],
                           out[GAMMA, start:end], out[VEGA, start:end], out[THETA, start:end], out[RHO, start:end],
                           out[VANNA, start:end], out[VOLGA, start:end], m)
        status[start:end] = STATUS_OK
        for j in range(m):
            if invalid[j] or region[j] == SCALAR:
                _greeks_one(f[j], k[j], t[j], v[j], d[j], call[j], out, status, start + j)
