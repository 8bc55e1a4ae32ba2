"""Unit conversion: exact or refused, never silently rounded."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optio.sdk.errors import InvalidInput
from optio.sdk.units import from_units, from_wad, to_units, to_wad


@given(units=st.integers(0, 10**40), decimals=st.sampled_from([0, 6, 8, 18]))
def test_units_round_trip(units, decimals):
    assert to_units(from_units(units, decimals), decimals) == units


@given(units=st.integers(0, 10**40))
def test_wad_round_trip(units):
    assert to_wad(from_wad(units)) == units


@pytest.mark.parametrize("text", ["1.0000001", "0.0000005"])
def test_refuses_more_places_than_the_token_has(text):
    with pytest.raises(InvalidInput, match="more than 6 decimal places"):
        to_units(text, 6)


@pytest.mark.parametrize("text", ["abc", "", "NaN", "inf", "1e", "--1"])
def test_refuses_non_numbers(text):
    with pytest.raises(InvalidInput):
        to_units(text, 6)


def test_accepts_readable_forms():
    assert to_units("1_000.5", 6) == 1_000_500_000
    assert to_units(" 2 ", 18) == 2 * 10**18
    assert to_units(Decimal("1e3"), 6) == 10**9
