"""Bid and ask for any strike and expiry: the one formula the options AMM uses on-chain.

With spot ``S``, SVI vol ``σ`` at the strike, Black-Scholes mid ``P`` and vega ``V`` (per 1.00 of
vol, zero rates: the AMM settles in the collateral asset), for one option:

    spread = V·σ·half_spread                      (a fraction of vol, charged both ways)
    skew   = V·σ·skew·inventory                   (inventory ∈ [−1, 1], + when the vault is net short)
    move   = ½·S·m·min(1, |Δ| + Γ·S·m)            (m = ``move``, the largest unposted spot move)
    fee    = base_fee·S + utilisation_fee·utilisation·V·σ + move
    ask    = max(P + spread + skew + fee, 0)        (a strong negative skew cannot make it negative)
    bid    = max(P − spread + skew − fee, 0)

Every other term is a vol move of the mid to first order (``V·σ·x`` is the price change of moving
vol by a fraction ``x``), so one price and one vega suffice on-chain. The move fee prices the spot
move a trader sees coming (the keeper posts spot on a move of ``m`` and its transaction is public
before it lands): by convexity ``|V(S(1±m)) − V(S)| ≤ S·m·|Δ at the moved spot| ≤
S·m·min(1, |Δ| + Γ·S·m)``, half charged on each side, so a round trip around a post pays the move's
whole value change; ``Γ·S = V/(S·σ·T)`` (T in years), so it needs no new transcendental. The
contract rounds the ask up and the bid down; these floats are the reference it is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optio.pricing._inputs import as_arrays
from optio.pricing.black_scholes import bsm_greeks
from optio.pricing.svi import SviParams


@dataclass(frozen=True)
class QuoteParams:
    """Fractions, not percentages: ``half_spread = 0.02`` is 2% of vol; ``move = 0.005`` a 0.5%
    spot move (the spot keeper's deviation threshold, ``keepers/oracle.py``)."""

    half_spread: float = 0.02
    skew: float = 0.05
    base_fee: float = 0.0003
    utilisation_fee: float = 0.05
    move: float = 0.005

    def __post_init__(self):
        for name in ("half_spread", "skew", "base_fee", "utilisation_fee", "move"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"QuoteParams.{name} must be ≥ 0 and finite, got {value!r}")


@dataclass(frozen=True)
class Quote:
    """Per option, in the spot's currency (arrays)."""

    vol: np.ndarray
    mid: np.ndarray
    bid: np.ndarray
    ask: np.ndarray
    delta: np.ndarray
    vega: np.ndarray


def quote(spot, strike, expiry_years, surface: SviParams, *, is_call, inventory=0.0, utilisation=0.0,
          params: QuoteParams = QuoteParams()) -> Quote:
    """Bid/ask from an SVI slice (units: module docstring; ``expiry_years`` > 0 in years)."""
    spot, strike, expiry_years, inventory, utilisation = as_arrays(spot, strike, expiry_years, inventory, utilisation)
    if np.any(np.abs(inventory) > 1):
        raise ValueError("inventory must be within [-1, 1]")
    if np.any((utilisation < 0) | (utilisation > 1)):
        raise ValueError("utilisation must be within [0, 1]")
    vol = surface.implied_vol(np.log(strike / spot), expiry_years)
    g = bsm_greeks(spot, strike, expiry_years, vol, is_call=is_call)
    vol_move = g.vega * vol
    spread = vol_move * params.half_spread
    skew = vol_move * params.skew * inventory
    gamma_move = g.vega * params.move / (spot * vol * expiry_years)  # Γ·S·m
    move = 0.5 * spot * params.move * np.minimum(1.0, np.abs(g.delta) + gamma_move)
    fee = params.base_fee * spot + params.utilisation_fee * utilisation * vol_move + move
    ask = np.maximum(g.price + spread + skew + fee, 0.0)
    bid = np.maximum(g.price - spread + skew - fee, 0.0)
    return Quote(vol=vol, mid=g.price, bid=bid, ask=ask, delta=g.delta, vega=g.vega)
