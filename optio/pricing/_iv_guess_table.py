"""Implied vol's initial guess from a table: ``ln s`` as a cubic B-spline of ``ln|x|`` and ``ln √(−2 ln B)``.

The normalised problem has two inputs, ``a = |x| = |ln(F/K)|`` and the out-of-the-money price
``β``, or its share of the upper bound ``B = β/b_max = β·e^{a/2}`` in (0, 1). In the coordinates

    ξ = ln a,        ζ = ln √(−2 ln B)

the implied total vol's logarithm ``ln s(ξ, ζ)`` is smooth and slowly varying: far below the money
``s ≈ a/√(−2 ln B)``, so ``ln s ≈ ξ − ζ``, a plane; near the money (``a → 0``) ``s`` tends to its
at-the-money value ``2√2·erfinv(B)``, exponentially fast in ξ. A cubic B-spline through ``ln s``
at the nodes of a 96 × 160 grid over ``a`` in [1e-8, 20] and ``B`` in [1e-290, 0.7] (four nodes
of padding on each side) gives ``s`` within 2.5e-4 relative anywhere in that domain, within 3e-5
on the benchmark's desk, crypto and hard grids (``tests/pricing/test_iv_guess_table.py``).
One Householder step of order four from a guess off by δ leaves ``c·δ⁴``, with ``c`` at most
0.13 away from the inflection point and up to 5 near it where ``|x| > 2``: below 1e-18 on the
benchmark grids, machine precision (:mod:`optio.pricing._implied_vol_blocks`). Before, "Let's
Be Rational"'s four-branch rational guess (within 10% in its lowest branch) needed a second
step, and the guess itself cost three normalised Black evaluations (at the inflection point, at
the edge of the option's branch, and the tail map).

Why a table, not a formula: the two coordinates take one logarithm each (:func:`rough_log`), the
spline sixteen coefficients and an exponential (:func:`rough_exp`); nothing else. Why a
B-spline: it interpolates to fourth order with only 4 × 4 coefficients per point, read as four
rows of four neighbouring floats (:func:`spline_in_cell`), and its coefficients are single
precision (70 KB rather than 140, within the L2 cache; a relative 6e-8 of ``ln s``, far below
the spline's own error).

The table is built once per process, on first use, from the engine's own inversion (the
rational guess and its steps, which every option outside the domain still takes): ``ln s`` at
each node, then the B-spline's prefilter (:func:`_prefilter`, the recursive filter of Unser et
al. with mirror boundaries, scipy.ndimage's ``spline_filter``). Nothing here is fitted by hand.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from optio.pricing.moneyness import _bits, _double

#: The domain the table covers: ``a = |ln(F/K)|`` and ``B = β/b_max`` (beyond, the rational guess).
A_LO, A_HI = 1e-8, 20.0
B_LO, B_HI = 1e-290, 0.7
#: Nodes along ξ = ln a and ζ = ln √(−2 ln B) inside the domain, and of padding on each side.
NODES_A, NODES_Z = 96, 160
PAD = 4
ROWS, COLUMNS = NODES_A + 2 * PAD, NODES_Z + 2 * PAD
XI_LO, XI_HI = math.log(A_LO), math.log(A_HI)
ZETA_LO, ZETA_HI = 0.5 * math.log(-2.0 * math.log(B_HI)), 0.5 * math.log(-2.0 * math.log(B_LO))
STEP_XI = (XI_HI - XI_LO) / (NODES_A - 1)
STEP_ZETA = (ZETA_HI - ZETA_LO) / (NODES_Z - 1)
#: ``ln B`` at most this (B ≤ B_HI) and at least that (B ≥ B_LO), as the kernels test it.
LN_B_HI, LN_B_LO = math.log(B_HI), math.log(B_LO)
#: The cubic B-spline's pole (Unser, Aldroubi, Eden 1991).
_POLE = math.sqrt(3.0) - 2.0


def node_coordinates() -> tuple[np.ndarray, np.ndarray]:
    """``ξ`` of each row and ``ζ`` of each column of the table, padding included."""
    xi = XI_LO + STEP_XI * np.arange(-PAD, NODES_A + PAD)
    zeta = ZETA_LO + STEP_ZETA * np.arange(-PAD, NODES_Z + PAD)
    return xi, zeta


def _prefilter_axis(values: np.ndarray, axis: int) -> np.ndarray:
    """Cubic B-spline coefficients along one axis, mirror boundaries (scipy.ndimage's ``mirror``)."""
    c = np.moveaxis(np.array(values, dtype=np.float64), axis, 0)
    n = c.shape[0]
    z = _POLE
    c *= (1.0 - z) * (1.0 - 1.0 / z)
    # Causal initialisation: the mirror-symmetric sum Σ z^k c[k] (k = 0 … n−1 and back).
    powers = z ** np.arange(n)
    mirrored = z ** (2 * (n - 1) - np.arange(n))
    c0 = np.tensordot(powers + np.where(np.arange(n) > 0, mirrored, 0.0) * (np.arange(n) < n - 1), c, axes=1)
    c[0] = c0 / (1.0 - z ** (2 * (n - 1)))
    for k in range(1, n):
        c[k] += z * c[k - 1]
    # Anti-causal initialisation and pass.
    c[n - 1] = (z / (z * z - 1.0)) * (z * c[n - 2] + c[n - 1])
    for k in range(n - 2, -1, -1):
        c[k] = z * (c[k + 1] - c[k])
    return np.moveaxis(c, 0, axis)


def _prefilter(values: np.ndarray) -> np.ndarray:
    """Cubic B-spline coefficients of a 2-D array of samples (the spline through them)."""
    return _prefilter_axis(_prefilter_axis(values, 0), 1)


def build_table(implied_s) -> np.ndarray:
    """The table: single-precision B-spline coefficients of ``ln s`` at the nodes, where
    ``implied_s(a, B)`` is the implied total vol of the normalised problem (arrays)."""
    xi, zeta = node_coordinates()
    a = np.exp(xi)[:, None] * np.ones(zeta.size)
    ln_b = (-0.5 * np.exp(2.0 * zeta))[None, :] * np.ones((xi.size, 1))
    # The padding past B_LO reaches prices that underflow (β = B·e^{−a/2} below the smallest
    # normal double): there ln s continues the row's last two nodes in a straight line (far below
    # the money ln s ≈ ξ − ζ, a plane). Only the spline's shape at the domain's edge depends on it.
    computable = ln_b - 0.5 * a > math.log(1e-300)
    s = np.full(a.shape, np.nan)
    s[computable] = implied_s(a[computable], np.exp(ln_b[computable]))
    if not np.all(np.isfinite(s[computable]) & (s[computable] > 0.0)):
        raise RuntimeError("implied vol's guess table: a node without a vol")
    ln_s = np.log(s)
    for row in range(ln_s.shape[0]):
        last = int(np.flatnonzero(computable[row])[-1])
        step = ln_s[row, last] - ln_s[row, last - 1]
        for column in range(last + 1, ln_s.shape[1]):
            ln_s[row, column] = ln_s[row, last] + (column - last) * step
        if PAD <= row < PAD + NODES_A and last < ln_s.shape[1] - 1 - PAD:
            raise RuntimeError("implied vol's guess table: a node inside the domain without a vol")
    return np.ascontiguousarray(_prefilter(ln_s), dtype=np.float32)


#: B-spline weights of the four nodes around a point, as polynomials in its fractional offset p:
#: ``w = C0 + p·(C1 + p·(C2 + p·C3))`` (nodes i−1, i, i+1, i+2).
_C0 = (1.0 / 6.0, 4.0 / 6.0, 1.0 / 6.0, 0.0)
_C1 = (-3.0 / 6.0, 0.0, 3.0 / 6.0, 0.0)
_C2 = (3.0 / 6.0, -6.0 / 6.0, 3.0 / 6.0, 0.0)
_C3 = (-1.0 / 6.0, 3.0 / 6.0, -3.0 / 6.0, 1.0 / 6.0)


@intrinsic
def _spline_block(typingctx, table, base, p, q):
    """``Σ_r Σ_c w_r(p)·w_c(q)·table[base + r·COLUMNS + c]`` over r, c in 0 … 3, in vector
    arithmetic: four rows of four floats each one load, the weights one vector each, the sum in a
    fixed order (so that every option gets the same bits wherever it sits)."""
    double = ir.DoubleType()
    vector = ir.VectorType(double, 4)
    floats = ir.VectorType(ir.FloatType(), 4)

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        start, p_value, q_value = args[1], args[2], args[3]

        def weights(offset):
            splat = builder.insert_element(ir.Constant(vector, ir.Undefined), offset, ir.Constant(ir.IntType(32), 0))
            splat = builder.shuffle_vector(
                splat, ir.Constant(vector, ir.Undefined), ir.Constant(ir.VectorType(ir.IntType(32), 4), [0, 0, 0, 0])
            )
            w = ir.Constant(vector, list(_C3))
            for coefficients in (_C2, _C1, _C0):
                w = builder.fadd(builder.fmul(w, splat), ir.Constant(vector, list(coefficients)))
            return w

        row_weights = weights(p_value)
        column_weights = weights(q_value)
        total = None
        for r in range(4):
            index = builder.add(start, ir.Constant(start.type, r * COLUMNS))
            pointer = builder.bitcast(builder.gep(array.data, [index]), floats.as_pointer())
            row = builder.fpext(builder.load(pointer, align=4), vector)
            weight = builder.extract_element(row_weights, ir.Constant(ir.IntType(32), r))
            splat = builder.insert_element(ir.Constant(vector, ir.Undefined), weight, ir.Constant(ir.IntType(32), 0))
            splat = builder.shuffle_vector(
                splat, ir.Constant(vector, ir.Undefined), ir.Constant(ir.VectorType(ir.IntType(32), 4), [0, 0, 0, 0])
            )
            term = builder.fmul(row, splat)
            total = term if total is None else builder.fadd(total, term)
        products = builder.fmul(total, column_weights)
        lanes = [builder.extract_element(products, ir.Constant(ir.IntType(32), c)) for c in range(4)]
        return builder.fadd(builder.fadd(lanes[0], lanes[1]), builder.fadd(lanes[2], lanes[3]))

    return types.float64(table, base, p, q), codegen


_LN2 = math.log(2.0)
_LOG2_E = 1.0 / _LN2
_SQRT2 = math.sqrt(2.0)
_TWO_52 = 2.0**52
_TWO_52_BITS = 0x4330000000000000
#: ``2/(2k+1)``: ``ln m = Σ 2f^{2k+1}/(2k+1)`` with ``f = (m − 1)/(m + 1)``.
_A0, _A1, _A2, _A3, _A4 = (2.0 / (2 * k + 1) for k in range(5))
#: ``1/k!`` for the exponential's polynomial.
_E0, _E1, _E2, _E3, _E4, _E5, _E6, _E7, _E8 = (1.0 / math.factorial(k) for k in range(9))


@numba.njit(inline="always")
def rough_log(v: float) -> float:
    """``ln v`` within 1e-9 (absolute) for a positive normal double, in plain arithmetic (LLVM runs
    it several lanes at a time; a libm call ends a pass): the exponent from the bits, the mantissa
    moved into [√½, √2), and ``2·atanh((m − 1)/(m + 1))`` by five terms. Anything else gives some
    finite or NaN value, which the table's coordinates clamp. For the table's coordinates only: an
    error of 1e-9 there moves ``ln s`` by far less than the spline's own error (3e-5)."""
    bits = _bits(v)
    # The biased exponent as a double without an int64 conversion (AVX2 has none): the bits of
    # 2^52 + k, less 2^52.
    exponent = _double(_TWO_52_BITS | ((bits >> 52) & 0x7FF)) - _TWO_52 - 1023.0
    mantissa = _double((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)
    high = mantissa > _SQRT2
    m = 0.5 * mantissa if high else mantissa
    e = exponent + 1.0 if high else exponent
    f = (m - 1.0) / (m + 1.0)
    f2 = f * f
    f4 = f2 * f2
    # Estrin's scheme: Horner's chain of dependent steps left the lanes waiting on each other.
    series = (_A0 + _A1 * f2) + f4 * ((_A2 + _A3 * f2) + f4 * _A4)
    return e * _LN2 + f * series


@numba.njit(inline="always")
def rough_exp(y: float) -> float:
    """``e^y`` within 3e-10 (relative) for ``|y| < 700``, in plain arithmetic: ``y = n·ln 2 + r``
    with ``|r| ≤ ln2/2``, ``e^r`` by nine terms, ``2^n`` from its bits. For the table's ``ln s``
    (within 3e-5 of the truth on the benchmark grids), where 3e-10 is nothing."""
    n = np.floor(y * _LOG2_E + 0.5)  # np.floor stays a double (math.floor gives an int64)
    r = y - n * _LN2
    r2 = r * r
    r4 = r2 * r2
    # Estrin's scheme, as in rough_log.
    series = ((_E0 + _E1 * r) + r2 * (_E2 + _E3 * r)) + r4 * (((_E4 + _E5 * r) + r2 * (_E6 + _E7 * r)) + r4 * _E8)
    # 2^n from its bits, through an int32 (a conversion to int64 would run one lane at a time).
    return series * _double((np.int64(np.int32(n)) + 1023) << 52)


@numba.njit(inline="always")
def coordinates(ln_a: float, ln_minus_2_ln_b: float) -> tuple[float, float]:
    """The table's (row, column) coordinates of ``ξ = ln a`` and ``ζ = ½·ln(−2 ln B)``, clamped
    to the padded table (an option outside the domain never reads past it)."""
    u = (ln_a - XI_LO) * (1.0 / STEP_XI) + PAD
    v = (0.5 * ln_minus_2_ln_b - ZETA_LO) * (1.0 / STEP_ZETA) + PAD
    return min(max(u, 1.0), ROWS - 3.0), min(max(v, 1.0), COLUMNS - 3.0)


@numba.njit(inline="always")
def cell(u: float, v: float) -> tuple[float, float, float]:
    """The first of the 4 × 4 coefficients around table coordinates ``(u, v)``, as a float (an
    exact integer: a double-to-int32 conversion runs several lanes at a time, to int64 it does not),
    and the offsets within the cell."""
    row = np.floor(u)
    column = np.floor(v)
    return (row - 1.0) * COLUMNS + (column - 1.0), u - row, v - column


@numba.njit(inline="always")
def spline_in_cell(table, first: int, p: float, q: float) -> float:
    """The B-spline at offsets ``(p, q)`` within the cell whose first coefficient is ``first``: ``ln s``."""
    return _spline_block(table, first, p, q)


@numba.njit(inline="always")
def inside(a: float, ln_b: float) -> bool:
    """Whether ``(a, ln B)`` lies in the table's domain (branch-free: a select in a vector loop)."""
    return (a >= A_LO) & (a <= A_HI) & (ln_b >= LN_B_LO) & (ln_b <= LN_B_HI)
