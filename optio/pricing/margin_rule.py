"""The margin accounts' requirement rule (contracts/market/MarginAccount.sol), off the chain.

One short of ``full`` collateral per option (calls: 1 base unit, puts: the strike in quote units)
requires min(full, max(floor·full, value)), where ``value`` is the option's value in the same
units at the stressed spot (up by the spot shock for calls, down for puts) and vol (times
1 + the vol shock). Floats: the contracts round up in 18 decimals; these agree to ~1e-12.
"""

from __future__ import annotations

import numpy as np


def stressed_spot(spot: float, spot_shock: float, *, is_call: bool) -> float:
    """The spot a side's requirement is priced at, quote per base: up for calls, down for puts."""
    return spot * (1 + spot_shock if is_call else 1 - spot_shock)


def bounded_requirement(value, full, floor: float):
    """Requirement per option: ``value`` bounded below by ``floor`` × ``full`` and above by
    ``full`` (arrays or floats, collateral units per option; ``floor`` a fraction)."""
    return np.minimum(full, np.maximum(floor * np.asarray(full), value))
