"""Compiled twins of a few pure-Python functions of :mod:`optio.pricing.scalar`: the very same code
objects, with the helpers they call by name (erfcx, Φ, the series, ``ln(F/K)``, IEEE ``exp``/``log``/
division) bound to the compiled functions of the same mathematics instead.

Why: the inversions that Householder's steps do not settle (:func:`~optio.pricing.scalar.bracketed_total_vol`,
:func:`~optio.pricing.scalar.underflowed_vol`), and the time value where ``b`` is below the normal
doubles (:func:`~optio.pricing.scalar.time_value`, and :func:`~optio.pricing.scalar.forward_pdf` where the
Gaussian factor is), are needed by both paths. Written once in pure
Python, the one-option path runs them as they are; the vectorised engine runs them compiled, in
its kernel, so that the ~135 options a million of the desk grid that need them (β below the
normal doubles) cost it microseconds, not the 29 ms their Python calls did.
"""

from __future__ import annotations

import math
import types

import numba

from optio.pricing import moneyness, scalar
from optio.pricing import normalised_black as nb


@numba.njit(inline="always", error_model="numpy")
def _exp(v: float) -> float:
    return math.exp(v)


@numba.njit(inline="always", error_model="numpy")
def _log(v: float) -> float:
    return math.log(v) if v > 0.0 else (-math.inf if v == 0.0 else math.nan)


@numba.njit(inline="always", error_model="numpy")
def _div(a: float, b: float) -> float:
    return a / b


def _twin(function, **names):
    """``function``'s code with its globals, but ``names`` bound to compiled functions; compiled."""
    bound = dict(function.__globals__)
    bound.update(names)
    twin = types.FunctionType(function.__code__, bound, function.__name__, function.__defaults__)
    return numba.njit(error_model="numpy")(twin)


_HELPERS = {"_exp": _exp, "_log": _log, "_div": _div, "norm_cdf": nb.norm_cdf, "mills_y": nb.mills_y,
            "asymptotic_bracket": nb.asymptotic_bracket, "taylor_bracket": nb.taylor_bracket,
            "second_term": nb.second_term, "log_moneyness": moneyness.log_moneyness,
            "sqrt_product": moneyness.sqrt_product}
_log_value_and_ratio = _twin(scalar._log_value_and_ratio, **_HELPERS)
_objective = _twin(scalar._objective, _log_value_and_ratio=_log_value_and_ratio, **_HELPERS)
bracketed_total_vol = _twin(scalar.bracketed_total_vol, _objective=_objective, **_HELPERS)
underflowed_vol = _twin(scalar.underflowed_vol, bracketed_total_vol=bracketed_total_vol, **_HELPERS)
time_value = _twin(scalar.time_value, _log_value_and_ratio=_log_value_and_ratio, **_HELPERS)
forward_pdf = _twin(scalar.forward_pdf, **_HELPERS)
