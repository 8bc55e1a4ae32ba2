"""Black-76 (options on a forward) and Black-Scholes-Merton (on spot) prices and Greeks, vectorised.

Units, for every function here:
    forward, spot, strike: price of the underlying, any currency (the result is in the same one);
    expiry_years: time to expiry in years (365-day years); rate, dividend: continuous, per year;
    vol: annualised volatility, 1.0 = 100%; discount: discount factor to expiry, ``e^{−rT}``.
Greek conventions: vega per 1.00 of vol (divide by 100 for per vol point), theta per year of
calendar time (``Greeks.theta_per_day`` divides by 365), rho per 1.00 of rate, delta and gamma in
the underlying given (forward for Black-76, spot for BSM).

Limits: at ``T = 0`` or ``σ = 0`` prices are the intrinsic value on the forward (discounted), and
Greeks are their limits; only gamma and theta at exactly the money at ``T·σ = 0`` are infinite
(the Dirac limit), never NaN. Inputs are broadcast; bad ones raise :class:`PricingInputError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optio.pricing._black_kernels import GREEKS, STATUS_INVALID, black_greeks_flat, black_price_flat
from optio.pricing._inputs import as_arrays, call_flags, flat_inputs, require

DAYS_PER_YEAR = 365.0
#: Expiries in seconds convert to years with this (the contracts' ``SECONDS_PER_YEAR``, 365 days).
SECONDS_PER_YEAR = 365 * 86400


@dataclass(frozen=True)
class Greeks:
    """Price and sensitivities of each option (arrays of one shape; units in the module docstring)."""

    price: np.ndarray
    delta: np.ndarray
    gamma: np.ndarray
    vega: np.ndarray
    theta: np.ndarray
    rho: np.ndarray
    vanna: np.ndarray
    volga: np.ndarray

    @property
    def theta_per_day(self) -> np.ndarray:
        """Theta per calendar day (365 a year)."""
        return self.theta / DAYS_PER_YEAR

    @property
    def vega_per_point(self) -> np.ndarray:
        """Vega per 1 vol point (0.01 of vol)."""
        return self.vega / 100.0


def intrinsic_on_forward(forward, strike, calls) -> np.ndarray:
    """Undiscounted intrinsic value ``max(±(F − K), 0)``: the floor of every price, and what IV subtracts."""
    return np.where(calls, np.maximum(forward - strike, 0.0), np.maximum(strike - forward, 0.0))


def forward_and_discount(spot, expiry_years, rate, dividend) -> tuple[np.ndarray, np.ndarray]:
    """``(S·e^{(r−q)T}, e^{−rT})``: how BSM on spot becomes Black-76 on the forward."""
    return spot * np.exp((rate - dividend) * expiry_years), np.exp(-rate * expiry_years)


def _checked(forward, strike, expiry_years, vol, discount):
    forward, strike, expiry_years, vol, discount = as_arrays(forward, strike, expiry_years, vol, discount)
    require((forward > 0) & np.isfinite(forward), "forward/spot", "positive and finite", forward)
    require((strike > 0) & np.isfinite(strike), "strike", "positive and finite", strike)
    require((expiry_years >= 0) & np.isfinite(expiry_years), "expiry_years", "≥ 0 and finite", expiry_years)
    require((vol >= 0) & np.isfinite(vol), "vol", "≥ 0 and finite", vol)
    require((discount > 0) & np.isfinite(discount), "discount", "positive and finite", discount)
    return forward, strike, expiry_years, vol, discount


def black_price(forward, strike, expiry_years, vol, *, is_call, discount=1.0) -> np.ndarray:
    """Black-76 price: ``discount · (intrinsic + √(F·K)·b(−|x|, σ√T))`` with Jäckel's normalised ``b``.

    Accurate to about 1e-14 relative even far out of the money (where the textbook formula loses
    every digit). Example (Hull, 10th ed., example 18.6 as a futures option): F=20, K=20, T=4/12,
    σ=0.25, r=9% gives a put of 1.1166:

    >>> round(float(black_price(20, 20, 4/12, 0.25, is_call=False, discount=np.exp(-0.09*4/12))), 4)
    1.1166
    """
    (price,) = _run(black_price_flat, 1, forward, strike, expiry_years, vol, discount, call_flags(is_call))
    return price


def black_greeks(forward, strike, expiry_years, vol, *, is_call, discount=1.0) -> Greeks:
    """Black-76 price and Greeks with respect to the forward (delta, gamma in F; rho: discount only)."""
    return Greeks(*_run(black_greeks_flat, GREEKS, forward, strike, expiry_years, vol, discount, call_flags(is_call)))


def bsm_price(spot, strike, expiry_years, vol, *, is_call, rate=0.0, dividend=0.0) -> np.ndarray:
    """Black-Scholes-Merton price (Hull example 15.6: S=42, K=40, r=10%, σ=20%, T=0.5 → call 4.76).

    >>> round(float(bsm_price(42, 40, 0.5, 0.2, is_call=True, rate=0.1)), 2)
    4.76
    """
    spot, expiry_years, rate, dividend = as_arrays(spot, expiry_years, rate, dividend)
    forward, discount = forward_and_discount(spot, expiry_years, rate, dividend)
    return black_price(forward, strike, expiry_years, vol, is_call=is_call, discount=discount)


def bsm_greeks(spot, strike, expiry_years, vol, *, is_call, rate=0.0, dividend=0.0) -> Greeks:
    """BSM price and Greeks with respect to spot; theta per year, rho per 1.00 of ``rate``.

    Hull example 19.1 (S=49, K=50, r=5%, σ=20%, T=0.3846): call delta 0.522.

    >>> round(float(bsm_greeks(49, 50, 0.3846, 0.2, is_call=True, rate=0.05).delta), 3)
    0.522
    """
    spot, strike, expiry_years, vol, rate, dividend = as_arrays(spot, strike, expiry_years, vol, rate, dividend)
    require(np.isfinite(rate), "rate", "finite", rate)
    require(np.isfinite(dividend), "dividend", "finite", dividend)
    forward, discount = forward_and_discount(spot, expiry_years, rate, dividend)
    g = Greeks(*_run(black_greeks_flat, GREEKS, forward, strike, expiry_years, vol, discount, call_flags(is_call)))
    # Spot Greeks from forward Greeks: dF/dS = e^{(r−q)T}.
    growth = forward / spot
    delta = g.delta * growth
    gamma = g.gamma * growth * growth
    vanna = g.vanna * growth
    # Theta on spot: holding S fixed the forward drifts; −∂V/∂T at fixed S.
    theta = g.theta - (rate - dividend) * forward * g.delta
    # Rho on spot: ∂/∂r moves both the discount and the forward.
    rho = -expiry_years * g.price + expiry_years * forward * g.delta
    return Greeks(price=g.price, delta=delta, gamma=gamma, vega=g.vega, theta=theta, rho=rho, vanna=vanna,
                  volga=g.volga)


def _run(kernel, rows: int, forward, strike, expiry_years, vol, discount, calls) -> list[np.ndarray]:
    """One compiled kernel (:mod:`optio.pricing._black_kernels`) over the broadcast inputs: ``rows``
    results per option, each in the broadcast shape. If it rejects any option, the inputs are
    checked again here for the error message."""
    flat, shape = flat_inputs(forward, strike, expiry_years, vol, discount, flags=calls)
    n = int(np.prod(shape))
    out = np.empty((rows, n))
    status = np.empty(n, dtype=np.int8)
    if n:
        kernel(*flat, out if rows > 1 else out[0], status)
    _raise_if_rejected(status, [forward, strike, expiry_years, vol, discount])
    return [row.reshape(shape) for row in out]


def _raise_if_rejected(status: np.ndarray, inputs: list[np.ndarray]) -> None:
    """If a kernel rejected any element, check the inputs again here for the error message."""
    if np.any(status == STATUS_INVALID):
        _checked(*inputs)
        raise AssertionError("a pricing kernel rejected an input that _checked accepts")
