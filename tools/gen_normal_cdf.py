"""Write contracts/libraries/NormalCDF.sol: Φ's tail in 18-decimal fixed point from rational fits.

    python tools/gen_normal_cdf.py            # rewrites the library (deterministic)
    python tools/gen_normal_cdf.py --check    # exits 1 if the committed file differs

What is approximated: the Mills ratio ``R(x) = Φ(−x)/φ(x)`` on ``[0, X_END)``, one rational function
``P(x)/Q(x)`` per piece, fitted with mpmath at 40 digits and written as integers. ``R`` falls from
1.25 to about 1/x, a shape a rational function follows across the whole range where no
polynomial can: two pieces of degree (5, 5), ten Horner steps and one comparison per CDF, reach
the budget below, where polynomials needed seven pieces of twelve terms and a comparison tree of
depth three (a price cost 2,682 gas with them, 2,454 with these). The contract multiplies by ``φ(x)``, which the
Black-Scholes library computes once for both CDFs of a price, and divides by ``Q`` in the same
step, so the quotient costs one division.

The fit: linearised least squares (minimise ``φ·|P − R·Q|`` over Chebyshev points) reweighted
Lawson-style towards the minimax error, keeping the best iterate on a dense check grid.

Why by hand: Solady and PRBMath have no normal CDF, and the CDFs in DeFi options code (Lyra,
Premia, DeFiMath) are 1e-7 to 1e-12 approximations; this one is within 3e-16 absolute.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import mpmath as mp

WAD = 10**18
#: Where the fits end. Past 9.003 the Black-Scholes library's φ is exactly 0 (expWad of
#: −x²/2 − ln√(2π) underflows), and the density it derives for the other argument of a price
#: (φ(d2) = φ(d1)·S/K, the smaller one) belongs to an argument at most √(9.003² + 2·ln 20) = 9.33;
#: so every φ it passes for x ≥ X_END is 0, and 0·(anything) is what the product needs there.
X_END = mp.mpf("9.5")
#: The two pieces (render() picks between them with one comparison): (from, to, degree of P,
#: degree of Q). Chosen by trying: one (6, 7) piece needs 13 steps, one (6, 6) misses the budget
#: (8e-16), and the split at 1.125 balances the two errors.
PIECES = [(mp.mpf(0), mp.mpf("1.125"), 5, 5), (mp.mpf("1.125"), X_END, 5, 5)]
#: Absolute error budget of each fit, as an error of Φ(−x) = φ(x)·R(x) (before integer rounding).
TOLERANCE = mp.mpf("3e-16")
#: Values of P and Q are integers in units of 2^-SCALE_BITS. x enters in wad as it is and each
#: Horner step is c + (x·acc >> 64), a shift where a division by 1e18 would cost more: the step
#: then multiplies by x·1e18/2^64, so the coefficient of x^j carries the factor (2^64/1e18)^j.
SCALE_BITS = 120
#: Chebyshev points of the least squares, reweighting rounds, and the even grid that picks the best round.
POINTS, LAWSON_STEPS, CHECK_POINTS = 80, 24, 600
OUT = Path(__file__).resolve().parent.parent / "contracts" / "libraries" / "NormalCDF.sol"


def mills_ratio(x: mp.mpf) -> mp.mpf:
    """``Φ(−x)/φ(x)`` at the working precision."""
    return mp.ncdf(-x) / mp.npdf(x)


def rational_error(p: list[mp.mpf], q: list[mp.mpf], xs: list[mp.mpf], rs: list[mp.mpf],
                   pdfs: list[mp.mpf]) -> list[mp.mpf]:
    """``φ(x)·|P(x)/Q(x) − R(x)|`` at each point (coefficients constant first; ``pdfs`` = φ(xs))."""
    return [w * abs(mp.polyval(p[::-1], x) / mp.polyval(q[::-1], x) - r) for x, r, w in zip(xs, rs, pdfs, strict=True)]


def fit(lo: mp.mpf, hi: mp.mpf, m: int, n: int) -> tuple[list[mp.mpf], list[mp.mpf], mp.mpf]:
    """P (degree m) and Q (degree n, Q(0) = 1) near-minimax for φ·|P/Q − R| on [lo, hi], and that error."""
    xs = [(lo + hi) / 2 + (hi - lo) / 2 * mp.cos(mp.pi * (k + mp.mpf(1) / 2) / POINTS) for k in range(POINTS)]
    rs = [mills_ratio(x) for x in xs]
    pdfs = [mp.npdf(x) for x in xs]
    check = mp.linspace(lo, hi, CHECK_POINTS)
    check_rs = [mills_ratio(x) for x in check]
    check_pdfs = [mp.npdf(x) for x in check]
    lawson = [mp.mpf(1)] * POINTS
    q_prev = [mp.mpf(1)] * POINTS
    best = None
    for _ in range(LAWSON_STEPS):
        # Minimise Σ (w/Q_prev)²·(P − R·Q)², linear in the coefficients; dividing by the previous
        # Q makes it the error of P/Q itself once the iteration settles.
        rows, rhs = [], []
        for x, r, w, lw, qp in zip(xs, rs, pdfs, lawson, q_prev, strict=True):
            s = w * mp.sqrt(lw) / qp
            rows.append([s * x**j for j in range(m + 1)] + [-s * r * x**j for j in range(1, n + 1)])
            rhs.append(s * r)
        sol = mp.qr_solve(mp.matrix(rows), mp.matrix(rhs))[0]
        p = [sol[j] for j in range(m + 1)]
        q = [mp.mpf(1)] + [sol[m + 1 + j] for j in range(n)]
        err = max(rational_error(p, q, check, check_rs, check_pdfs))
        if best is None or err < best[2]:
            best = (p, q, err)
        errs = rational_error(p, q, xs, rs, pdfs)
        total = sum(lw * e for lw, e in zip(lawson, errs, strict=True))
        lawson = [lw * e / total for lw, e in zip(lawson, errs, strict=True)]
        q_prev = [mp.polyval(q[::-1], x) for x in xs]
    return best


def to_integers(coefficients: list[mp.mpf]) -> list[int]:
    """The contract's coefficients: c_j·2^SCALE_BITS·(2^64/1e18)^j, rounded (see SCALE_BITS)."""
    return [int(mp.nint(c * 2**SCALE_BITS * (mp.mpf(2**64) / WAD) ** j)) for j, c in enumerate(coefficients)]


def horner_int(coefficients: list[int], u: int) -> tuple[int, int]:
    """The contract's Horner evaluation in Python integers (EVM sar is a floor shift, as here),
    and the largest |u·acc| it formed, for :func:`check_piece`'s overflow bound."""
    acc, largest = coefficients[-1], 0
    for c in reversed(coefficients[:-1]):
        largest = max(largest, abs(u * acc))
        acc = c + ((u * acc) >> 64)
    return acc, largest


def check_piece(lo: mp.mpf, hi: mp.mpf, p: list[int], q: list[int]) -> None:
    """What the contract relies on, checked on the integers at 4,000 points of [lo, hi]: Q > 0
    (no pole, and the contract's unsigned division is the quotient), no product beyond 2^250, and
    the whole integer path φ·P/Q (φ exact, then truncated as the contract does) within TOLERANCE
    plus 4 wei."""
    bound = 0
    for x in mp.linspace(lo, hi, 4000):
        u = int(x * WAD)
        (num, num_bound), (den, den_bound) = horner_int(p, u), horner_int(q, u)
        pdf = int(mp.npdf(x) * WAD)
        if den <= 0 or num <= 0:
            raise RuntimeError(f"P or Q not positive at {x}")
        bound = max(bound, num_bound, den_bound, pdf * num)
        error = abs(mp.mpf(pdf * num // den) / WAD - mp.ncdf(-x))
        if error > TOLERANCE + mp.mpf(4) / WAD:
            raise RuntimeError(f"integer path off by {mp.nstr(error, 3)} at {x}")
    if bound >= 2**250:
        raise RuntimeError(f"a product reaches 2^{bound.bit_length()} on [{lo}, {hi})")


def pieces() -> list[tuple[mp.mpf, mp.mpf, list[int], list[int], mp.mpf]]:
    out = []
    for lo, hi, m, n in PIECES:
        p, q, err = fit(lo, hi, m, n)
        if err >= TOLERANCE:
            raise RuntimeError(f"[{lo}, {hi}) with ({m}, {n}): {mp.nstr(err, 3)} ≥ {TOLERANCE}")
        p_int, q_int = to_integers(p), to_integers(q)
        check_piece(lo, hi, p_int, q_int)
        out.append((lo, hi, p_int, q_int, err))
    return out


def literal(c: int) -> str:
    """A Yul literal for ``c``: Yul has none for negatives, so −n is written ``not(n − 1)``."""
    return str(c) if c >= 0 else f"not({-c - 1})"


def horner(coefficients: list[int]) -> str:
    """One nested Yul expression: c0 + (x·(c1 + (x·(…) >> 64)) >> 64) with x in wad (see SCALE_BITS).

    Every recursive part is the rightmost argument, which Yul evaluates first, so no operand
    waits on the stack and the nesting costs no depth; there is no reassignment either, so no
    stack shuffling between steps (about 21 gas a step: mul, sar, add, a dup and two pushes).
    """
    expr = literal(coefficients[-1])
    for c in reversed(coefficients[:-1]):
        expr = f"add({literal(c)}, sar(64, mul(x, {expr})))"
    return expr


def wad(value: mp.mpf) -> int:
    return int(value * WAD)


def render() -> str:
    mp.mp.dps = 40
    (_, split, p0, q0, e0), (_, hi1, p1, q1, e1) = pieces()
    table = (
        f"[0, {mp.nstr(split, 4)}): ({len(p0) - 1}, {len(q0) - 1}), fit within {mp.nstr(e0, 2)}; "
        f"[{mp.nstr(split, 4)}, {mp.nstr(hi1, 3)}): ({len(p1) - 1}, {len(q1) - 1}), fit within {mp.nstr(e1, 2)}"
    )
    return f"""// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// GENERATED by tools/gen_normal_cdf.py: do not edit; change the generator and run it.

/// @title NormalCDF
/// @notice The lower tail Φ(−x) = φ(x)·R(x), with the Mills ratio R by rational functions P/Q
/// in x. Their values are integers in units of 2^-{SCALE_BITS}, and each Horner step shifts by 64
/// bits instead of dividing by 1e18: the coefficient of x^j carries (2^64/1e18)^j to match.
/// Pieces, degrees of P and Q, and each fit's largest error of φ·R: {table}.
/// The integers and truncating steps add a few wei (the generator checks the integer path).
library NormalCDF {{
    /// @notice Where the fits end: for x ≥ X_END only pdf = 0 gives a meaningful result (0).
    uint256 internal constant X_END = {wad(X_END)};

    /// @notice Φ(−x) in wad for 0 ≤ x < X_END (x in wad), given pdf = φ(x) in wad (as rounded by
    /// the caller: its error passes through multiplied by R ≤ 1.26), truncated. For x ≥ X_END
    /// the rational functions are not evaluated meaningfully (their Horner products may wrap),
    /// so the caller must pass pdf = 0 there, which makes the result 0 (Φ(−9.5) < 1e-20). No revert.
    function lowerTail(uint256 x, uint256 pdf) internal pure returns (uint256 p) {{
        /// @solidity memory-safe-assembly
        assembly {{
            // P > 0 and Q > 0 on [0, X_END), so the unsigned division is the quotient; pdf·P < 2^250.
            switch lt(x, {wad(split)})
            case 0 {{
                p := div(mul(pdf, {horner(p1)}), {horner(q1)})
            }}
            default {{
                p := div(mul(pdf, {horner(p0)}), {horner(q0)})
            }}
        }}
    }}
}}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file is not current")
    args = parser.parse_args()
    text = render()
    if args.check:
        current = OUT.read_text() if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is out of date: run python tools/gen_normal_cdf.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
