"""One convert-and-check step for every vectorised entry point: float64 arrays, broadcast."""

from __future__ import annotations

import numpy as np

from optio.pricing._errors import PricingInputError

__all__ = ["PricingInputError", "as_arrays", "call_flags", "flat_inputs", "require"]

_CALL_WORDS = {"c": True, "call": True, "p": False, "put": False}


def as_arrays(*values) -> list[np.ndarray]:
    """Broadcast the arguments together as float64 arrays (read-only views are copied)."""
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in values))
    return [np.array(a, dtype=np.float64) for a in arrays]


def flat_inputs(*values, flags=None) -> tuple[list[np.ndarray], tuple[int, ...]]:
    """float64 inputs (and boolean ``flags``) laid out flat for a compiled kernel, and their
    broadcast shape. One element stays one (the kernels broadcast it); anything else is a flat
    view unless it needs broadcasting."""
    inputs = [np.asarray(v, dtype=np.float64) for v in values]
    if flags is not None:
        inputs.append(np.asarray(flags, dtype=np.bool_))
    shapes = {a.shape for a in inputs if a.ndim}
    if len(shapes) <= 1:
        # The usual call (scalars and arrays of one shape): the same flat arrays as below without
        # numpy's broadcasting machinery, which cost a 64-option call ~15 us of its ~45.
        shape = shapes.pop() if shapes else ()
        flat = [a.reshape(1) if a.size == 1 else _read_only(a.reshape(-1) if a.flags.c_contiguous
                                                              else np.ascontiguousarray(a).reshape(-1))
                for a in inputs]
        return flat, shape
    shape = np.broadcast_shapes(*(a.shape for a in inputs))
    flat = [a.reshape(1) if a.size == 1 else np.ascontiguousarray(np.broadcast_to(a, shape)).reshape(-1)
            for a in inputs]
    return flat, shape


def _read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view, as ``np.broadcast_to`` gives: the compiled kernels see one array type."""
    view = a.view()
    view.flags.writeable = False
    return view


def call_flags(is_call) -> np.ndarray:
    """Booleans from booleans, ±1, or 'c'/'p'/'call'/'put' (any case); anything else is an error."""
    raw = np.asarray(is_call)
    if raw.dtype == np.bool_:
        return raw
    if raw.dtype.kind in "iuf":
        if not np.all(np.isin(raw, (1, -1))):
            raise PricingInputError("is_call: numeric flags must be +1 (call) or -1 (put)")
        return raw > 0
    if raw.dtype.kind in "US" or raw.dtype == object:
        words = np.char.lower(raw.astype(str))
        known = np.isin(words, list(_CALL_WORDS))
        if not np.all(known):
            bad = words[~known].ravel()[0]
            raise PricingInputError(f"is_call: {bad!r} is not one of c, p, call, put")
        return np.isin(words, ("c", "call"))
    raise PricingInputError(f"is_call: cannot read flags of type {raw.dtype}")


def require(condition: np.ndarray, name: str, rule: str, values: np.ndarray) -> None:
    """Raise :class:`PricingInputError` if any element breaks ``rule`` (NaN breaks every rule)."""
    bad = ~np.asarray(condition)
    if bad.any():
        index = np.unravel_index(int(np.argmax(bad)), bad.shape) if bad.ndim else ()
        raise PricingInputError(f"{name} must be {rule}; got {values[index]!r} at index {index}")
