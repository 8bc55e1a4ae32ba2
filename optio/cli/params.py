"""Click parameter types shared by the `optio` command and the ape scripts: each refuses a bad
value with one line before anything connects or sends."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import click

#: No token amount or option count is larger: a bigger one is a typo (1e80), and refusing it here
#: keeps it from reaching the ABI encoder (uint256) as a traceback.
MAX_AMOUNT = Decimal(10) ** 30


class PositiveAmount(click.ParamType):
    """A positive, finite decimal of at most 1e30, passed on as the text given (the SDK converts
    it exactly to the token's units)."""

    name = "amount"

    def convert(self, value, param, ctx):
        if value is None or isinstance(value, Decimal):
            return value
        text = str(value).strip()
        try:
            number = Decimal(text.replace("_", ""))
        except InvalidOperation:
            self.fail(f"{text!r} is not a number", param, ctx)
        if not number.is_finite():
            self.fail(f"{text!r} is not a finite number", param, ctx)
        if number <= 0:
            self.fail(f"must be positive, got {text}", param, ctx)
        if number > MAX_AMOUNT:
            self.fail(f"{text} is too large (at most 1e30)", param, ctx)
        return text


class Address(click.ParamType):
    """A 0x address of 40 hex digits, not zero; returned checksummed."""

    name = "address"

    def convert(self, value, param, ctx):
        if value is None:
            return value
        from web3 import Web3  # here, not at the top: `optio --help` and the help of every command load no web3

        text = str(value).strip()
        if not Web3.is_address(text):
            self.fail(f"{text!r} is not an address (0x and 40 hex digits)", param, ctx)
        address = Web3.to_checksum_address(text)
        if int(address, 16) == 0:
            self.fail("the zero address cannot hold a role", param, ctx)
        return address


AMOUNT = PositiveAmount()
ADDRESS = Address()
