"""Black-76 price, and price with seven Greeks, compiled (numba).

Why compiled by hand: numpy evaluates a formula one whole-array operation at a time, so price
plus Greeks is ~40 passes over memory (about 3M options/s per core). The price is one fused
loop per option (a gufunc, which gives numpy broadcasting for free). Price with Greeks works in
blocks that stay in the L1 cache, so that the two Φ and two exponentials of every option run
four at a time through glibc's vector libm (:mod:`pricing.vector_libm`): one scalar call to
``math.erfc`` costs more than the whole rest of the option. Both are accurate to an ulp or so,
not fast approximations.

The price is the normalised Black of :mod:`pricing.normalised_black`, accurate far out of the
money where the textbook formula loses every digit. Both kernels and implied vol take the
log-moneyness from :func:`log_moneyness` (libm's log, not numpy's SIMD one, which can differ by an
ulp), so that implied vol inverts exactly the prices these kernels produce. An element outside the domain gets
``STATUS_INVALID`` and is left unset: the caller re-checks the inputs for the error message.

Units are those of :mod:`pricing.black_scholes`: forward and strike in one currency, expiry in
years, vol per 1.00, discount the factor ``e^{−rT}``.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from pricing.normalised_black import INV_SQRT2, INV_SQRT_2PI, norm_cdf, otm_call_scalar
from pricing.normalised_black_blocks import SCALAR, WORK_ROWS, otm_calls_block
from pricing.vector_libm import LANES, erfc_block, exp_block, log_block

STATUS_OK = 0
STATUS_INVALID = 1

#: Rows of the Greeks output of :func:`black_greeks_flat`, in :class:`pricing.black_scholes.Greeks` order.
PRICE, DELTA, GAMMA, VEGA, THETA, RHO, VANNA, VOLGA = range(8)
GREEKS = 8
#: Options per block: 16 buffers of this many doubles (32 KiB) stay in the L1/L2 cache.
CHUNK = 64 * LANES


@numba.njit(inline="always")
def _valid(forward: float, strike: float, expiry_years: float, vol: float, discount: float) -> bool:
    # Written so that NaN fails every test, as in pricing.black_scholes._checked.
    return (0.0 < forward < math.inf and 0.0 < strike < math.inf and 0.0 <= expiry_years < math.inf
            and 0.0 <= vol < math.inf and 0.0 < discount < math.inf)


@numba.njit(cache=True)
def _log_moneyness(forward: float, strike: float) -> float:
    return math.log(forward / strike)


@numba.vectorize(["f8(f8, f8)"], cache=True)
def log_moneyness(forward, strike):  # pragma: no cover - compiled
    """``x = ln(F/K)`` (forward and strike in one currency)."""
    return _log_moneyness(forward, strike)


@numba.njit(cache=True)
def _undiscounted(forward: float, strike: float, x: float, s: float, sign: float) -> float:
    """Intrinsic value on the forward plus the out-of-the-money option's time value (parity)."""
    return max(sign * (forward - strike), 0.0) + math.sqrt(forward * strike) * otm_call_scalar(-abs(x), s)


@numba.guvectorize(["void(f8, f8, f8, f8, f8, b1, f8[:], i1[:])"], "(),(),(),(),(),()->(),()",
                   nopython=True, cache=True)
def black_price_kernel(forward, strike, expiry_years, vol, discount, is_call, price, status):  # pragma: no cover
    """One option: discounted Black-76 price."""
    if not _valid(forward, strike, expiry_years, vol, discount):
        status[0] = STATUS_INVALID
        return
    status[0] = STATUS_OK
    s = vol * math.sqrt(expiry_years)
    price[0] = discount * _undiscounted(forward, strike, _log_moneyness(forward, strike), s, 1.0 if is_call else -1.0)


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
    if not _valid(forward, strike, expiry_years, vol, discount):
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
def _read(source, start: int, count: int, into) -> None:
    """``into[:count]`` = the block's elements of ``source`` (or its one element, broadcast)."""
    if source.size == 1:
        into[:count] = source[0]
    else:
        into[:count] = source[start:start + count]


@numba.njit(**_PASS)
def _check(f, k, t, v, d, ratio, invalid, count: int) -> None:
    """Flag the options outside the domain; ``ratio = F/K`` (1 where invalid, so its log is 0)."""
    for j in range(count):
        # Written so that NaN fails every test, as in pricing.black_scholes._checked.
        ok = ((f[j] > 0.0) & (f[j] < math.inf) & (k[j] > 0.0) & (k[j] < math.inf) & (t[j] >= 0.0)
              & (t[j] < math.inf) & (v[j] >= 0.0) & (v[j] < math.inf) & (d[j] > 0.0) & (d[j] < math.inf))
        invalid[j] = not ok
        ratio[j] = f[j] / k[j] if ok else 1.0


@numba.njit(**_PASS)
def _arguments(x, t, v, sqrt_t, h, half_s, arg_up, arg_down, arg_half, arg_pdf, count: int) -> None:
    """``h = −|x|/s``, ``s/2``, and the arguments of erfc and exp for Φ(h ± s/2), e^{−|x|/2} and φ
    (Φ(u) = erfc(−u/√2)/2, on the out-of-the-money side ``h ≤ 0``)."""
    for j in range(count):
        sqrt_t[j] = math.sqrt(t[j])
        s = v[j] * sqrt_t[j]
        h[j] = -abs(x[j]) / s
        half_s[j] = 0.5 * s
        # Φ(h + s/2) from erfc of |its argument|: the small tail comes out to an ulp.
        arg_up[j] = abs(h[j] + half_s[j]) * INV_SQRT2
        arg_down[j] = -(h[j] - half_s[j]) * INV_SQRT2
        arg_half[j] = -0.5 * abs(x[j])
        arg_pdf[j] = -0.5 * (h[j] * h[j] + half_s[j] * half_s[j])


@numba.njit(**_PASS)
def _two_term(h, half_s, half, erfc_up, erfc_down, cdf_up, cdf_minus_up, first, value, count: int) -> None:
    """``Φ(±(h + t))`` from ``erfc(|h + t|/√2)``; ``first = e^{x/2}Φ(h + t)``; and the two-term
    normalised Black ``first − e^{−x/2}Φ(h − t)`` (``t = s/2``)."""
    for j in range(count):
        tail = 0.5 * erfc_up[j]
        below = h[j] + half_s[j] <= 0.0
        cdf_up[j] = tail if below else 1.0 - tail
        cdf_minus_up[j] = 1.0 - tail if below else tail
        up = half[j] * cdf_up[j]
        first[j] = up
        value[j] = up - 0.5 * erfc_down[j] / half[j]


@numba.njit(**_PASS)
def _rates(d, t, log_d, rate, count: int) -> None:
    """The continuous rate per year of ``discount = e^{−rT}``, from ``log_d = ln d`` (0 at T = 0)."""
    for j in range(count):
        rate[j] = -log_d[j] / t[j] if t[j] > 0.0 else 0.0


@numba.njit(**_PASS)
def _greeks_from_parts(f, k, t, v, d, call, x, rate, sqrt_t, half_s, cdf_up, cdf_minus_up, erfc_down, gauss, value,
                       price, delta, gamma, vega, theta, rho, vanna, volga, count: int) -> None:
    """Price and Greeks of a block from ``b`` and the two Φ (units of :func:`_greeks_one`)."""
    for j in range(count):
        s = 2.0 * half_s[j]
        cdf_down = 0.5 * erfc_down[j]
        sqrt_fk = math.sqrt(f[j] * k[j])
        intrinsic = max((f[j] - k[j]) if call[j] else (k[j] - f[j]), 0.0)
        p = d[j] * (intrinsic + sqrt_fk * value[j])
        # F·φ(d1) = K·φ(d2) = √(FK)·e^{−(h² + s²/4)/2}/√(2π): symmetric, no overflow.
        forward_pdf = sqrt_fk * gauss[j] * INV_SQRT_2PI
        d1 = x[j] / s + half_s[j]
        # Φ(d1) and Φ(−d1) from the same values: d1 = h + s/2 below the money, −(h − s/2) above.
        cdf_d1 = (1.0 - cdf_down) if x[j] > 0.0 else cdf_up[j]
        cdf_minus_d1 = cdf_down if x[j] > 0.0 else cdf_minus_up[j]
        price[j] = p
        delta[j] = d[j] * (cdf_d1 if call[j] else -cdf_minus_d1)
        rho[j] = -t[j] * p
        gamma[j], vega[j], theta[j], vanna[j], volga[j] = _sensitivities(d[j], f[j], forward_pdf, s, sqrt_t[j], v[j],
                                                                          d1, rate[j], p)


@numba.njit(cache=True, error_model="numpy")
def black_greeks_flat(forward, strike, expiry_years, vol, discount, is_call, out, status):  # pragma: no cover
    """Price and seven Greeks of ``status.size`` options into ``out`` (rows :data:`PRICE` …
    :data:`VOLGA`), in blocks of :data:`CHUNK`.

    Each input holds one element per option or a single one for all (a broadcast scalar). Per
    block: the inputs are read and checked; the logs, the two Φ and the two exponentials of every
    option go through libmvec four lanes at a time (:mod:`pricing.vector_libm`); the normalised
    Black comes from :func:`pricing.normalised_black_blocks.otm_calls_block` (the scalar
    function's regions and series, a block at a time); branch-free passes, which LLVM vectorises,
    form the price and the Greeks from the same Φ values; a last pass re-does by
    :func:`_greeks_one` every option that only the scalar path handles (a limit σ√T = 0 or ∞, the
    erfcx region) or that is invalid.
    """
    n = status.size
    buffers = np.empty((24, CHUNK))
    f, k, t, v, d, x, rate, ratio = (buffers[0], buffers[1], buffers[2], buffers[3], buffers[4], buffers[5],
                                     buffers[6], buffers[7])
    h, half_s, sqrt_t, log_d = buffers[8], buffers[9], buffers[10], buffers[11]
    arg_up, arg_down, arg_half, arg_pdf = buffers[12], buffers[13], buffers[14], buffers[15]
    erfc_up, erfc_down, half, gauss = buffers[16], buffers[17], buffers[18], buffers[19]
    cdf_up, cdf_minus_up, first, value = buffers[20], buffers[21], buffers[22], buffers[23]
    work = np.empty((WORK_ROWS, CHUNK))
    region = np.empty(CHUNK, dtype=np.int8)
    index = np.empty(CHUNK, dtype=np.int64)
    invalid = np.empty(CHUNK, dtype=np.bool_)
    call = np.empty(CHUNK, dtype=np.bool_)
    discounted = discount.size > 1 or discount[0] != 1.0
    rate[:] = 0.0
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        _read(forward, start, m, f)
        _read(strike, start, m, k)
        _read(expiry_years, start, m, t)
        _read(vol, start, m, v)
        _read(discount, start, m, d)
        _read(is_call, start, m, call)
        _check(f, k, t, v, d, ratio, invalid, m)
        log_block(ratio, x, m)
        if discounted:
            log_block(d, log_d, m)
            _rates(d, t, log_d, rate, m)
        _arguments(x, t, v, sqrt_t, h, half_s, arg_up, arg_down, arg_half, arg_pdf, m)
        erfc_block(arg_up, erfc_up, m)
        erfc_block(arg_down, erfc_down, m)
        exp_block(arg_half, half, m)
        exp_block(arg_pdf, gauss, m)
        _two_term(h, half_s, half, erfc_up, erfc_down, cdf_up, cdf_minus_up, first, value, m)
        otm_calls_block(h, half_s, first, value, gauss, region, work, index, m)
        end = start + m
        _greeks_from_parts(f, k, t, v, d, call, x, rate, sqrt_t, half_s, cdf_up, cdf_minus_up, erfc_down, gauss, value,
                           out[PRICE, start:end], out[DELTA, start:end], out[GAMMA, start:end],
                           out[VEGA, start:end], out[THETA, start:end], out[RHO, start:end],
                           out[VANNA, start:end], out[VOLGA, start:end], m)
        status[start:end] = STATUS_OK
        for j in range(m):
            if invalid[j] or region[j] == SCALAR:
                _greeks_one(f[j], k[j], t[j], v[j], d[j], call[j], out, status, start + j)
