"""The pricing engine's input error, in a module of its own that imports nothing: the vectorised
entry points (:mod:`optio.pricing._inputs`) and the one-option path (:mod:`optio.pricing.scalar`,
which must load without numpy) raise the same class."""

from __future__ import annotations


class PricingInputError(ValueError):
    """An input outside the model's domain, naming the parameter and the first bad element."""
