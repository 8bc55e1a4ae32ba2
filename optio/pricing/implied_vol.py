"""Implied volatility to machine precision, vectorised: a tabulated initial guess and one Householder
step, with Jäckel's "Let's Be Rational" (2015) for the rest.

The inversion itself is compiled and works a block of options at a time
(:mod:`optio.pricing._implied_vol_blocks`, where the method is described); this module gives it numpy
broadcasting and per-element reason codes, and builds the guess's table the first time it is
wanted (:mod:`optio.pricing._iv_guess_table`, some 40 ms once compiled). A batch never raises on a price: every
element gets an :class:`IVStatus`, and the volatility is NaN exactly where the status is not ``OK``.

Accuracy, measured by the tests and ``python -m benchmarks.pricing``: the vol reprices its input
to 1e-13 relative wherever one ulp of σ moves the price by less than that, and recovers σ to
1e-12 wherever vega is not negligible, from a minute to five years and vols of 1% to 1000%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from optio.pricing import _implied_vol_blocks as blocks
from optio.pricing import _iv_guess_table as guess_table
from optio.pricing._inputs import as_arrays, call_flags, flat_inputs
from optio.pricing.black_scholes import forward_and_discount


class IVStatus(IntEnum):
    """Why an element has (or has no) implied volatility."""

    OK = blocks.OK
    #: The price is below the intrinsic value on the forward (no volatility gives it).
    BELOW_INTRINSIC = blocks.BELOW_INTRINSIC
    #: The price is at or above the model's upper bound (F for a call, K for a put, undiscounted).
    ABOVE_MAXIMUM = blocks.ABOVE_MAXIMUM
    #: Zero time to expiry and a price other than the intrinsic value.
    EXPIRED = blocks.EXPIRED
    #: A non-finite or out-of-domain input (negative forward, strike, time or discount).
    INVALID_INPUT = blocks.INVALID_INPUT
    #: The price determines no volatility: it is the intrinsic value on the forward exactly (a zero
    #: price out of the money included; every small enough σ gives it, and σ = 0 would be a
    #: guess, not an answer), its time value and β = time value/√(F·K) are both below the
    #: normal doubles (a subnormal has lost digits), or no inversion settles on a σ (neither
    #: Householder's steps nor the bracketed one, :func:`optio.pricing.scalar.bracketed_total_vol`).
    NO_INFORMATION = blocks.NO_INFORMATION


@dataclass(frozen=True)
class ImpliedVol:
    """Result of a batch inversion.

    Attributes:
        vol: annualised volatility (1.0 = 100%), NaN exactly where ``status != OK``.
        status: :class:`IVStatus` codes, int8, same shape as ``vol``.
    """

    vol: np.ndarray
    status: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        return self.status == IVStatus.OK

    def reasons(self) -> list[str]:
        """Status names, flattened, for reports."""
        return [IVStatus(int(code)).name for code in self.status.ravel()]


def implied_vol_black(price, forward, strike, expiry_years, *, is_call, discount=1.0) -> ImpliedVol:
    """Black-76 implied volatility.

    Args:
        price: option price in the same currency as ``forward`` and ``strike`` (discounted).
        forward: forward price of the underlying at expiry.
        strike: strike price.
        expiry_years: time to expiry in years (365-day years).
        is_call: True for calls, False for puts (or ``'c'``/``'p'``/``'call'``/``'put'``), broadcast.
        discount: discount factor to expiry, ``e^{−rT}`` (1.0 for undiscounted).

    Returns:
        :class:`ImpliedVol` with annualised vols and per-element status.
    """
    flat, shape = flat_inputs(price, forward, strike, expiry_years, discount, flags=call_flags(is_call))
    n = math.prod(shape)
    vol = np.empty(n)
    status = np.empty(n, dtype=np.int8)
    if n:
        blocks.implied_vol_flat(*flat, _guess_table(), vol, status)
    return ImpliedVol(vol=vol.reshape(shape), status=status.reshape(shape))


#: Without a table every option takes the rational guess; :func:`_guess_table` builds the table
#: from that way's vols once per process, the first time it is wanted.
_NO_TABLE = np.empty((0, 0), dtype=np.float32)
_table = _NO_TABLE


def _normalised_vols(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Implied total vol ``s`` at ``x = −a`` of the out-of-the-money share ``B`` of its bound (the
    rational guess's way: the table is not there yet)."""
    flat, _shape = flat_inputs(b, 1.0, np.exp(a), 1.0, 1.0, flags=call_flags(True))
    vol = np.empty(a.size)
    status = np.empty(a.size, dtype=np.int8)
    blocks.implied_vol_flat(*flat, _NO_TABLE, vol, status)
    return vol


def _guess_table() -> np.ndarray:
    global _table
    if _table.size == 0:
        _table = guess_table.build_table(_normalised_vols)
    return _table


def implied_vol_bsm(price, spot, strike, expiry_years, *, is_call, rate=0.0, dividend=0.0) -> ImpliedVol:
    """Black-Scholes-Merton implied volatility (continuous ``rate`` and ``dividend`` yield, per year).

    The forward is ``spot·e^{(rate−dividend)·T}`` and the discount ``e^{−rate·T}``; see
    :func:`implied_vol_black` for the other arguments.
    """
    spot, expiry_years, rate, dividend = as_arrays(spot, expiry_years, rate, dividend)
    forward, discount = forward_and_discount(spot, expiry_years, rate, dividend)
    return implied_vol_black(price, forward, strike, expiry_years, is_call=is_call, discount=discount)


__all__ = ["IVStatus", "ImpliedVol", "implied_vol_black", "implied_vol_bsm"]
