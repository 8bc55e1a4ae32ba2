"""Black-76 price, and price with seven Greeks, compiled (numba).

Why compiled by hand: numpy evaluates a formula one whole-array operation at a time, so price
plus Greeks is ~40 passes over memory (about 3M options/s per core). Both kernels work in blocks
that stay in the cache, so that the two Φ, the exponentials and the log of every option run
several at a time through glibc's vector libm (:mod:`optio.pricing._vector_libm`): one scalar call to
``math.erfc`` costs more than the whole rest of the option. They are accurate to an ulp or so,
not fast approximations.

The price is the normalised Black of :mod:`optio.pricing.normalised_black`, accurate far out of the
money where the textbook formula loses every digit, evaluated by
:func:`optio.pricing._normalised_black_blocks.otm_values` for the price, the Greeks and implied vol
(the Greeks add one erfc an option for delta's Φ(d1)), so that implied vol inverts exactly the
prices these kernels produce. An element outside
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
    H_ROW,
    OTM_ROWS,
    SCALAR,
    T_ROW,
    WORK_ROWS,
    otm_values_from_half_x,
)
from optio.pricing._vector_libm import LANES, erfc_block, log_block
from optio.pricing.moneyness import add_octaves, log_moneyness, ratio_and_octaves, sqrt_product
from optio.pricing.normalised_black import INV_SQRT2, INV_SQRT_2PI, norm_cdf, otm_call_scalar

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
def _undiscounted(forward: float, strike: float, sqrt_fk: float, x: float, s: float, sign: float) -> float:
    """Intrinsic value on the forward plus the out-of-the-money option's time value (parity), the
    latter from ``ln b`` where ``b`` is below the normal doubles (:func:`optio.pricing.scalar.time_value`)."""
    out = -abs(x)
    return max(sign * (forward - strike), 0.0) + twins.time_value(sqrt_fk, out, s, otm_call_scalar(out, s))


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
    s = vol * math.sqrt(expiry_years)
    # The price has its limits built in: intrinsic value at s = 0, the upper bound at s = ∞.
    p = discount * _undiscounted(forward, strike, sqrt_product(forward, strike), x, s, sign)
    _greeks_at_price(forward, strike, expiry_years, vol, discount, is_call, p, out, i)


@numba.njit(cache=True)
def _greeks_at_price(forward: float, strike: float, expiry_years: float, vol: float, discount: float, is_call: bool,
                     p: float, out, i: int) -> None:
    """The rest of :func:`_greeks_one` given the (discounted) price ``p``, for valid inputs: the
    blocks pass black_price's price of an option they redo here (:data:`SCALAR`), formed from
    their own ``ln(F/K)``, which may differ from this path's in its last bits (and the price by
    ``|x|/2`` ulps of it where √(F·K)·e^{x/2} is the price: F = 7.8e132, K = 3.05, σ = 67)."""
    sign = 1.0 if is_call else -1.0
    x = _log_moneyness(forward, strike)
    rate = _rate(discount, expiry_years)
    sqrt_t = math.sqrt(expiry_years)
    s = vol * sqrt_t
    sqrt_fk = sqrt_product(forward, strike)
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
    # F·φ(d1) as the blocks form it, √(FK)·e^{−(h²+t²)/2}/√(2π) (h = −|x|/s, t = s/2), and from
    # logs where the Gaussian factor is subnormal: F·e^{−d1²/2} underflowed where √(FK) lifts the
    # product back (F = 2.4e298, K = 5.1e-37, σ√T = 38.4: vega 0 for 2.1e-37).
    forward_pdf = twins.forward_pdf(sqrt_fk, -abs(x) / s, 0.5 * s)
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
def _greeks_from_parts(f, k, t, v, d, call, rows, work, invalid, region, price, delta, gamma, vega, theta, rho,
                       vanna, volga, count: int) -> int:
    """Price and Greeks of a block from ``b`` and what it was built from (units of :func:`_greeks_one`).

    From ``rows``: ``ln(F/K)``, ``√T``, ``b``, the Gaussian factor and the rate; from ``work``
    (:func:`~optio.pricing._normalised_black_blocks.otm_values`): ``h = −|x|/s``, ``s/2``, and
    the erfc of Φ(d1)'s smaller side (:func:`_delta_arguments`). Φ(d1) and Φ(−d1) come from
    it, so a put's tiny delta far in the money keeps its digits. Returns how many options the
    scalar path must redo (invalid, :data:`SCALAR`, or ``b`` or the Gaussian factor below the
    normal doubles, which :func:`_needs_logs` looks at): the kernel's loop over them is skipped
    where there are none, as in nearly every block.

    Compiled with the arrays marked disjoint (:mod:`optio.pricing._disjoint`; the eight outputs
    are rows of the caller's result, overlapping nothing else here): with run-time overlap checks
    LLVM needed some hundred of them, gave up, and this pass ran one option at a time, about 9 ns
    an option of the desk grid more.
    """
    redo = 0
    for j in range(count):
        h = work[H_ROW, j]
        half_s = work[T_ROW, j]
        u = h + half_s
        # Φ(d1)'s smaller side, from the one erfc of :func:`_delta_arguments`.
        tail = 0.5 * work[_ERFC_DELTA, j]
        cdf_up = 1.0 - tail if u > 0.0 else tail
        cdf_minus_up = tail if u > 0.0 else 1.0 - tail
        sqrt_fk = rows[_SQRT_FK, j]
        intrinsic = max((f[j] - k[j]) if call[j] else (k[j] - f[j]), 0.0)
        p = d[j] * (intrinsic + sqrt_fk * rows[_VALUE, j])
        # F·φ(d1) = K·φ(d2) = √(FK)·e^{−(h² + s²/4)/2}/√(2π): symmetric, no overflow.
        forward_pdf = sqrt_fk * rows[_GAUSS, j] * INV_SQRT_2PI
        # d1 = h + s/2 below the money, −(h − s/2) above; Φ(±d1) from the same values.
        in_the_money = rows[_LOG_RATIO, j] > 0.0
        d1 = half_s - h if in_the_money else u
        cdf_d1 = (1.0 - tail) if in_the_money else cdf_up
        cdf_minus_d1 = tail if in_the_money else cdf_minus_up
        price[j] = p
        delta[j] = d[j] * (cdf_d1 if call[j] else -cdf_minus_d1)
        rho[j] = -t[j] * p
        gamma[j], vega[j], theta[j], vanna[j], volga[j] = _sensitivities(d[j], f[j], forward_pdf, 2.0 * half_s,
                                                                          rows[_SQRT_T, j], v[j], d1, rows[_RATE, j], p)
        redo += invalid[j] | (region[j] == SCALAR) | (rows[_VALUE, j] < _TINY) | (rows[_GAUSS, j] < _TINY)
    return redo


#: Rows of :func:`otm_values`' scratch free once it returns: the erfc argument of Φ(d1)'s smaller
#: side and its erfc (:func:`_delta_arguments`).
_DELTA_ARGUMENT, _ERFC_DELTA = WORK_ROWS + 2, WORK_ROWS + 3


@numba.njit(**DISJOINT)
def _delta_arguments(h, t, log_ratio, argument, count: int) -> None:
    """The erfc argument of Φ(d1)'s smaller side (Φ(u) = erfc(−u/√2)/2): below the money d1 = h + t,
    from ``|h + t|/√2``; above it Φ(−d1) = Φ(h − t), from ``−(h − t)/√2`` (h = −|x|/s, t = s/2).
    Delta needs only this one; the two-term ``b`` wants both Φ(h ± t), but only for its own
    options (:func:`~optio.pricing._normalised_black_blocks.otm_values` packs them): the Taylor
    and asymptotic ones, 86% of a desk's grid, took a second erfc for nothing."""
    for j in range(count):
        argument[j] = -(h[j] - t[j]) * INV_SQRT2 if log_ratio[j] > 0.0 else abs(h[j] + t[j]) * INV_SQRT2


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


#: ``ln b`` never exceeds this above ``−(h²+t²)/2`` where ``h + t ≤`` :data:`_LOG_B_SPLIT`
#: (``b = e^{−(h²+t²)/2}/√(2π)·(Y(h+t) − Y(h−t))`` and ``Y(h+t)/√(2π) ≤ 1.15`` there), and never
#: exceeds ``x/2`` (``b ≤ e^{x/2}``) anywhere.
_LOG_B_SPLIT = 0.85
_LOG_B_ABOVE_GAUSS = 0.15
#: ``e^y`` is 0 in doubles below this (with a margin): a time value or ``F·φ(d1)`` whose log is
#: below it is 0 (or a few subnormal ulps) whichever way it is formed.
_LOG_UNDERFLOW = -746.0


@numba.njit(inline="always")
def _needs_logs(value: float, gauss: float, sqrt_fk: float, x: float, h: float, t: float) -> bool:
    """Whether an option's price or ``F·φ(d1)`` must come from logs (:func:`_greeks_from_logs`, as
    :func:`optio.pricing.scalar.black_greeks` forms them): ``b`` or the Gaussian factor is below the
    normal doubles (digits lost), and √(F·K) may lift the product back above the underflow. A
    bound on ``ln b`` (:data:`_LOG_B_ABOVE_GAUSS`) keeps the many options of a desk's far wings
    whose time value is 0 either way (``b`` ~ e^{−2000}) out of the one-at-a-time path."""
    if not ((value < _TINY) | (gauss < _TINY)) or not sqrt_fk > 1.0:
        return False
    q = 0.5 * (h * h + t * t)
    log_b = 0.5 * x if h + t > _LOG_B_SPLIT else _LOG_B_ABOVE_GAUSS - q
    return math.log(sqrt_fk) + max(log_b, -q) > _LOG_UNDERFLOW


@numba.njit(inline="always")
def _block_price(f, k, d, call, rows, j: int) -> float:
    """Option ``j``'s price as :func:`black_price_flat` forms it (:func:`_prices`, and
    :func:`_subnormal_values` where ``b`` is below the normal doubles: the same bits either way)."""
    intrinsic = max((f[j] - k[j]) if call[j] else (k[j] - f[j]), 0.0)
    return d[j] * (intrinsic + twins.time_value(rows[_SQRT_FK, j], rows[_X, j], rows[_S, j], rows[_VALUE, j]))


@numba.njit(cache=True, error_model="numpy")
def _greeks_from_logs(f, k, t, v, d, call, rows, work, out, j: int, i: int) -> None:
    """Option ``j`` of the block (``i`` of the batch) again where :func:`_needs_logs` says so: its
    time value from ``ln b`` where ``b`` is below the normal doubles (the code, and so the bits, of
    :func:`_subnormal_values`: black_price's price), ``F·φ(d1)`` from logs where the Gaussian factor
    is (:func:`optio.pricing.scalar.forward_pdf`), and the Greeks that carry either; delta keeps the
    block's value (Φ(d1) has not lost digits). The block's ``b``, not the scalar function's: the
    price stays black_price's to the bit."""
    sqrt_fk, half_s, h = rows[_SQRT_FK, j], work[T_ROW, j], work[H_ROW, j]
    p = _block_price(f, k, d, call, rows, j)
    gauss = rows[_GAUSS, j]
    forward_pdf = sqrt_fk * gauss * INV_SQRT_2PI if gauss >= _TINY else twins.forward_pdf(sqrt_fk, h, half_s)
    d1 = half_s - h if rows[_LOG_RATIO, j] > 0.0 else h + half_s
    out[PRICE, i] = p
    out[RHO, i] = -t[j] * p
    (out[GAMMA, i], out[VEGA, i], out[THETA, i], out[VANNA, i],
     out[VOLGA, i]) = _sensitivities(d[j], f[j], forward_pdf, 2.0 * half_s, rows[_SQRT_T, j], v[j], d1,
                                     rows[_RATE, j], p)


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
    both kernels (``b`` by :func:`~optio.pricing._normalised_black_blocks.otm_values`). ``with_phi``
    also leaves the erfc of Φ(d1)'s smaller side in the work rows, for the Greeks' delta
    (:func:`_delta_arguments`; :func:`~optio.pricing._normalised_black_blocks.otm_calls` gave
    both Φ(h ± t) of every option, the same bits, for one erfc an option more)."""
    rows, work, region, index, invalid = scratch[0], scratch[1], scratch[2], scratch[3], scratch[4]
    ratio, log_ratio, sqrt_t, x, s = rows[_RATIO], rows[_LOG_RATIO], rows[_SQRT_T], rows[_X], rows[_S]
    half_x, half, value, gauss, octaves = rows[_HALF_X], rows[_HALF], rows[_VALUE], rows[_GAUSS], rows[_OCTAVES]
    if _check(f, k, t, v, d, ratio, octaves, rows[_SQRT_FK], invalid, m):
        _recheck(f, k, ratio, octaves, rows[_SQRT_FK], invalid, m)
    log_block(ratio, log_ratio, m)
    _arguments(log_ratio, octaves, t, v, sqrt_t, x, s, half_x, m)
    otm_values_from_half_x(x, s, half_x, half, value, gauss, work, region, index, m)
    if with_phi:
        _delta_arguments(work[H_ROW], work[T_ROW], log_ratio, work[_DELTA_ARGUMENT], m)
        erfc_block(work[_DELTA_ARGUMENT], work[_ERFC_DELTA], m)


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
    the same two Φ values. A last pass re-does by the scalar path every option that only it
    handles (a limit σ√T = 0 or ∞, the erfcx region: :func:`_greeks_at_price`, at the block's
    price, black_price's) or that is invalid (:func:`_greeks_one`).
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
        redo = _greeks_from_parts(f, k, t, v, d, call, rows, work, invalid, region, out[PRICE, start:end],
                                  out[DELTA, start:end], out[GAMMA, start:end], out[VEGA, start:end],
                                  out[THETA, start:end], out[RHO, start:end], out[VANNA, start:end],
                                  out[VOLGA, start:end], m)
        status[start:end] = STATUS_OK
        if redo == 0:
            continue
        for j in range(m):
            if invalid[j]:
                _greeks_one(f[j], k[j], t[j], v[j], d[j], call[j], out, status, start + j)
            elif region[j] == SCALAR:
                # The Greeks by the scalar path, at black_price's price (the block's b, x and s).
                _greeks_at_price(f[j], k[j], t[j], v[j], d[j], call[j], _block_price(f, k, d, call, rows, j), out,
                                 start + j)
            elif _needs_logs(rows[_VALUE, j], rows[_GAUSS, j], rows[_SQRT_FK, j], rows[_X, j], work[H_ROW, j],
                             work[T_ROW, j]):
                _greeks_from_logs(f, k, t, v, d, call, rows, work, out, j, start + j)
