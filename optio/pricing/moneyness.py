"""Forward and strike as the pricing kernels use them: through ``ln(F/K)`` and ``√(F·K)`` only,
each computed so that it neither overflows nor underflows for any positive finite F and K.

Why: the price is ``√(FK)·b(ln(F/K), σ√T)`` (plus the intrinsic value), so F and K enter only
through their ratio and the scale ``√(FK)``. Written directly, ``F·K`` overflows from about 1e154
each (``black_price(1e200, 1.1e200, …)`` was inf, an implied vol at F = K = 1e160 was 0 with
status OK) and underflows below 1e-154 each (F = 1e-200 gave σ = 23.47, OK), and ``F/K``
overflows or loses digits as a subnormal when they are three hundred orders apart.

Both functions scale by powers of two, which is exact: wherever ``F·K`` (resp. ``F/K``) is a
normal double they give the very bits of ``math.sqrt(F*K)`` (resp. ``F/K``), so nothing changes
on ordinary inputs; elsewhere they give the correctly scaled result instead of inf, 0 or a
subnormal. Both are branch-free (integer operations on the exponent bits), so the block passes
that call them still run several options at a time.
"""

from __future__ import annotations

import math

import numba
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

#: ``ln 2`` as ``LN2_HI + LN2_LO`` with ``LN2_HI`` short enough (32 significant bits) that
#: ``n·LN2_HI`` is exact for every exponent difference ``|n| < 2^21`` (fdlibm's split).
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
_TINY = 2.2250738585072014e-308


@intrinsic
def _bits(typingctx, value):
    """The IEEE bits of a double as an int64 (a bitcast: no conversion)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _double(typingctx, bits):
    """The double whose IEEE bits are ``bits`` (a bitcast)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@numba.njit(inline="always")
def _exponent(value: float) -> int:
    """The binary exponent of a positive finite double, clamped to [−1022, 1022] (subnormals count
    as −1022): ``value·2^{−e}`` is then a normal double in [2^{−52}, 4)."""
    return min(max(((_bits(value) >> 52) & 0x7FF) - 1023, -1022), 1022)


@numba.njit(inline="always")
def power_of_two(n: int) -> float:
    """``2.0**n`` for ``n`` in [−1022, 1023], built from its bits."""
    return _double((n + 1023) << 52)


@numba.njit(inline="always")
def sqrt_product(forward: float, strike: float) -> float:
    """``√(F·K)`` for any positive finite F and K: each scaled by an even power of two into [2^{-52}, 4),
    the root of the product of those, scaled back. Bitwise ``math.sqrt(F*K)`` wherever ``F·K``
    and the root are normal doubles (scaling by 4ⁿ commutes with the roundings there)."""
    a = _exponent(forward) >> 1
    c = _exponent(strike) >> 1
    return math.sqrt((forward * power_of_two(-2 * a)) * (strike * power_of_two(-2 * c))) * power_of_two(a + c)


@numba.njit(inline="always")
def ratio_and_octaves(forward: float, strike: float) -> tuple[float, float]:
    """``(r, n)`` with ``F/K = r·2ⁿ`` and ``r`` a normal double: ``(F/K, 0)`` wherever ``F/K`` is
    a normal double, else the ratio of the two mantissas and the difference of the exponents.
    ``ln(F/K) = ln r + n·ln 2`` (:func:`log_moneyness` adds it in two parts)."""
    q = forward / strike
    normal = (q >= _TINY) & (q < math.inf)
    a = _exponent(forward)
    c = _exponent(strike)
    scaled = (forward * power_of_two(-a)) / (strike * power_of_two(-c))
    return (q if normal else scaled), (0.0 if normal else float(a - c))


@numba.njit(inline="always")
def add_octaves(log_r: float, octaves: float) -> float:
    """``ln r + n·ln 2`` with ``ln 2`` in two parts (exactly ``ln r`` where ``n = 0``)."""
    return (octaves * LN2_HI + log_r) + octaves * LN2_LO


@numba.njit(inline="always")
def log_moneyness(forward: float, strike: float) -> float:
    """``ln(F/K)`` for any positive finite F and K (scalar libm's log; the blocks take libmvec's)."""
    r, n = ratio_and_octaves(forward, strike)
    return add_octaves(math.log(r), n)
