"""Write contracts/libraries/NormalCDF.sol: Φ in 18-decimal fixed point from piecewise polynomials.

    python tools/gen_normal_cdf.py            # rewrites the library (deterministic)
    python tools/gen_normal_cdf.py --check    # exits 1 if the committed file differs

What is approximated: the Mills ratio ``R(x) = Φ(−x)/φ(x)`` on ``[0, X_MAX)``, one polynomial per
interval in the centred variable ``u = x − centre``, Chebyshev-interpolated with mpmath at 40
digits and rounded to integers (1e18 = 1.0). Intervals are chosen greedily, as wide as the term
budget allows, and picked in the contract by a comparison tree on x. ``R`` is entire and slowly
varying (from 1.25 to about 1/x), so a few coefficients per interval reach the tolerance below,
where ``Φ`` itself would need many more (its derivatives grow with x). The contract multiplies by ``φ(x)``, which
the Black-Scholes library computes once for both CDFs of a price.

Why by hand: Solady and PRBMath have no normal CDF, and the CDFs in DeFi options code (Lyra,
Premia, DeFiMath) are 1e-7 to 1e-12 approximations; this one is within 3e-16 absolute.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import mpmath as mp

WAD = 10**18
#: Φ(−8.5) ≈ 9.5e-18: beyond it the CDF is 0 or 1 to within the budget.
X_MAX = mp.mpf("8.5")
#: Absolute error budget of each fit, as an error of Φ(−x) = φ(x)·R(x) (before integer rounding).
TOLERANCE = mp.mpf("2e-16")
#: Terms per polynomial: the most any interval may use. 12 balances the Horner steps (≈21 gas
#: each, measured) against the depth of the comparison tree that picks the interval (≈30 gas a
#: level): 10 terms need 12 intervals, 14 need 5, and both cost more per evaluation.
MAX_TERMS = 12
#: Interval ends lie on this grid so that every centre is an exact wad.
GRID = mp.mpf(1) / 8
OUT = Path(__file__).resolve().parent.parent / "contracts" / "libraries" / "NormalCDF.sol"


def mills_ratio(x: mp.mpf) -> mp.mpf:
    """``Φ(−x)/φ(x)`` at the working precision."""
    return mp.ncdf(-x) / mp.npdf(x)


def fit(lo: mp.mpf, hi: mp.mpf, terms: int) -> list[int] | None:
    """Integer coefficients in ``u = x − centre``, constant first, or None if outside TOLERANCE.

    The error is weighted by φ at the interval's left end (φ's largest value there), because the
    library's product φ·R is what must meet the budget: far in the tail few terms suffice.
    """
    centre = (lo + hi) / 2
    poly, err = mp.chebyfit(lambda u: mills_ratio(centre + u), [lo - centre, hi - centre], terms, error=True)
    if err * mp.npdf(lo) >= TOLERANCE:
        return None
    return [int(mp.nint(c * WAD)) for c in reversed(poly)]  # chebyfit gives highest first


def intervals() -> list[tuple[mp.mpf, mp.mpf, list[int]]]:
    """Greedy cover of [0, X_MAX): each interval as wide as MAX_TERMS allows, then the fewest terms."""
    out, lo = [], mp.mpf(0)
    while lo < X_MAX:
        for steps in range(24, 0, -1):
            hi = min(lo + steps * GRID, X_MAX)
            if fit(lo, hi, MAX_TERMS) is not None:
                break
        else:
            raise RuntimeError(f"no fit from {lo}")
        coefficients = next(c for t in range(2, MAX_TERMS + 1) if (c := fit(lo, hi, t)) is not None)
        out.append((lo, hi, coefficients))
        lo = hi
    return out


def literal(c: int) -> str:
    """A Yul literal for ``c``: Yul has none for negatives, so −n is written ``not(n − 1)``."""
    return str(c) if c >= 0 else f"not({-c - 1})"


def horner(coefficients: list[int]) -> str:
    """One nested Yul expression: c0 + u·(c1 + u·(…)) with u in 64.64 binary fixed point.

    Every recursive part is the rightmost argument, which Yul evaluates first, so no operand
    waits on the stack and the nesting costs no depth; there is no reassignment either, so no
    stack shuffling between steps (about 21 gas a step: mul, sar, add, a dup and two pushes).
    """
    expr = literal(coefficients[-1])
    for c in reversed(coefficients[:-1]):
        expr = f"add({literal(c)}, sar(64, mul(u, {expr})))"
    return expr


def wad(value: mp.mpf) -> int:
    return int(value * WAD)


def branch(leaves: list[tuple[mp.mpf, mp.mpf, list[int]]], depth: int) -> list[str]:
    """A binary search on x over the intervals, each leaf one Horner evaluation."""
    pad = "    " * depth
    if len(leaves) == 1 and leaves[0][2] is None:
        return [f"{pad}// x ≥ X_MAX: r stays 0 (callers' tail φ·R is then 0, as Φ(−x) < 1e-17)."]
    if len(leaves) == 1:
        lo, hi, coefficients = leaves[0]
        centre = wad((lo + hi) / 2)
        return [f"{pad}let u := sdiv(shl(64, sub(x, {centre})), WAD)", f"{pad}r := {horner(coefficients)}"]
    half = len(leaves) // 2
    # `case 0` compiles to one ISZERO before the jump, where `case 1` costs a PUSH and an EQ.
    out = [f"{pad}switch lt(x, {wad(leaves[half][0])})", f"{pad}case 0 {{"]
    out += branch(leaves[half:], depth + 1)
    out += [f"{pad}}}", f"{pad}default {{"]
    out += branch(leaves[:half], depth + 1)
    out += [f"{pad}}}"]
    return out


def render() -> str:
    mp.mp.dps = 40
    leaves = intervals()
    table = ", ".join(f"[{mp.nstr(lo, 4)}, {mp.nstr(hi, 4)}): {len(c)}" for lo, hi, c in leaves)
    # One more leaf for x ≥ X_MAX, so the tail needs no branch of its own in the callers.
    body = "\n".join("            " + line for line in branch([*leaves, (X_MAX, None, None)], 0))
    return f"""// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// GENERATED by tools/gen_normal_cdf.py: do not edit; change the generator and run it.

/// @title NormalCDF
/// @notice Mills ratio R(x) = Φ(−x)/φ(x) for 0 ≤ x < {mp.nstr(X_MAX, 3)}, 18-decimal fixed point, by
/// piecewise polynomials in u = x − (interval centre), u in 64.64 binary fixed point (so
/// each Horner step shifts instead of dividing). Intervals and terms:
/// {table}.
/// Each fit keeps φ(x)·R(x) within {mp.nstr(TOLERANCE, 2)} of Φ(−x) before rounding; the integer
/// coefficients and truncating steps add a few wei of R. Callers form Φ(−x) = φ(x)·R(x); for
/// x ≥ {mp.nstr(X_MAX, 3)} the function returns 0, so that product is 0 (true value below 1e-17).
library NormalCDF {{
    int256 internal constant WAD = 1e18;
    /// @notice Arguments at or above this have Φ(−x) below 1e-17: `millsRatio` returns 0 there.
    uint256 internal constant X_MAX = {wad(X_MAX)};

    /// @notice R(x) for 0 ≤ x < X_MAX (x in wad), within a few wei, and 0 for x ≥ X_MAX; no revert.
    function millsRatio(uint256 x) internal pure returns (uint256 r) {{
        /// @solidity memory-safe-assembly
        assembly {{
{body}
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
