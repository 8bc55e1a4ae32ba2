"""The textbook examples in the pricing docstrings (Hull) are checked, not just shown."""

import doctest

import optio.pricing.black_scholes


def test_black_scholes_docstring_examples():
    result = doctest.testmod(optio.pricing.black_scholes)
    assert result.attempted >= 3 and result.failed == 0
