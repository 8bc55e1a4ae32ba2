"""The ERC-1155 option id, ``OptionId.encode`` of the contracts: ``expiry << 160 | strike << 1 |
isCall`` (expiry Unix s in the top 96 bits, strike a quote wad in 159 bits, the call flag last).
The one place in Python that knows the layout."""

from __future__ import annotations

import numpy as np

#: optio.sdk.units.WAD, not imported: optio.sdk.errors names options by their id through this
#: module, and units imports errors.
WAD = 10**18

_EXPIRY_SHIFT = 160
_STRIKE_MASK = (1 << 159) - 1


def encode(expiry: int, strike_wad: int, is_call: bool) -> int:
    """The id of (expiry Unix s, strike quote wad, call?)."""
    return (expiry << _EXPIRY_SHIFT) | (strike_wad << 1) | int(is_call)


def expiry_of(option_id: int) -> int:
    """The option's expiry (Unix s)."""
    return option_id >> _EXPIRY_SHIFT


def strike_wad_of(option_id: int) -> int:
    """The option's strike (quote wad)."""
    return (option_id >> 1) & _STRIKE_MASK


def is_call(option_id: int) -> bool:
    return bool(option_id & 1)


def decode_ids(ids: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(expiry Unix s as int64, strike in quote units as float, is call) of many ids, as arrays."""
    expiry = np.array([expiry_of(i) for i in ids], dtype=np.int64)
    strike = np.array([strike_wad_of(i) / WAD for i in ids], dtype=float)
    calls = np.array([is_call(i) for i in ids], dtype=bool)
    return expiry, strike, calls
