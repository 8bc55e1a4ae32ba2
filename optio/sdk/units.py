"""Unit conversion between human amounts, token units and 18-decimal fixed point.

Token amounts exist in three forms:
- human: a ``Decimal`` such as ``Decimal("1000.5")`` USDC;
- units: the token's integer amount in its own decimals (USDC: 6, WETH: 18);
- wad: 18-decimal fixed point, the contracts' internal scale.
Conversions are exact or refuse; nothing is rounded silently.
"""

from __future__ import annotations

from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, InvalidOperation

import numpy as np

from optio.sdk.errors import InvalidInput

WAD = 10**18


def _shift(value: Decimal, places: int) -> Decimal:
    """``value`` × 10^places, exactly: ``scaleb`` rounds to the context's precision (28 digits
    by default), so it runs in a context with room for every digit of ``value``."""
    context = Context(prec=max(28, len(value.as_tuple().digits)), Emax=MAX_EMAX, Emin=MIN_EMIN)
    return value.scaleb(places, context=context)


def parse_amount(text: str | int | float | Decimal, *, name: str = "amount") -> Decimal:
    """Parse a human amount, refusing NaN, infinity and non-numbers."""
    try:
        value = Decimal(str(text).strip().replace("_", ""))
    except InvalidOperation:
        raise InvalidInput(f"{name} {text!r} is not a number") from None
    if not value.is_finite():
        raise InvalidInput(f"{name} {text!r} is not a finite number")
    return value


def to_units(amount: str | int | float | Decimal, decimals: int, *, name: str = "amount") -> int:
    """Human amount → integer token units (``decimals`` places), exactly.

    Raises ``InvalidInput`` if the amount has more places than the token supports, rather than
    rounding it away.
    """
    value = parse_amount(amount, name=name)
    scaled = _shift(value, decimals)
    if scaled != scaled.to_integral_value():
        raise InvalidInput(f"{name} {value} has more than {decimals} decimal places")
    return int(scaled)


def from_units(units: int, decimals: int) -> Decimal:
    """Integer token units → human ``Decimal`` (exact)."""
    return _shift(Decimal(units), -decimals)


def to_wad(value: str | int | float | Decimal, *, name: str = "value") -> int:
    """Human number → 18-decimal fixed point integer, exactly (refuses more than 18 places)."""
    return to_units(value, 18, name=name)


def from_wad(wad: int) -> Decimal:
    """18-decimal fixed point integer → ``Decimal``."""
    return from_units(wad, 18)


def format_amount(units: int, decimals: int, places: int = 6) -> str:
    """Token units as a readable string with thousands separators, ``places`` decimals at most."""
    value = from_units(units, decimals)
    shown = min(places, decimals)
    return f"{value:,.{shown}f}"


def wads_to_floats(wads: list[int]) -> np.ndarray:
    """Wads as float64 values (1e18 → 1.0), for array math where a float's 16 digits are enough
    (risk aggregation, plots); never for amounts sent back to the chain."""
    return np.array([w / WAD for w in wads], dtype=float)
