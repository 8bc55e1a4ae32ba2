"""Errors the SDK raises. Each carries one readable line for the CLI (``str(err)``)."""

from __future__ import annotations


class OptioError(Exception):
    """Base of every error the SDK raises on purpose."""


class InvalidInput(OptioError):
    """A user- or config-given value is out of its domain; nothing was sent."""


class RpcUnreachable(OptioError):
    """The RPC endpoint did not answer."""


class NoDeployment(OptioError):
    """No usable Optio deployment for this chain."""


class BuildMissing(OptioError):
    """The compiled contracts (ape's .build) are missing."""


class InsufficientBalance(OptioError):
    """The account holds less than the action needs; nothing was sent."""


class ContractRevert(OptioError):
    """The chain refused the call (found by simulation, or a mined revert).

    ``name`` is the custom error's name (``"StalePrice"``) and ``args`` its decoded arguments.
    """

    def __init__(self, name: str, args: dict[str, object], *, action: str = "", mined: bool = False):
        self.name = name
        self.args_by_name = args
        self.mined = mined
        shown = ", ".join(f"{k}={v}" for k, v in args.items())
        where = f"{action}: " if action else ""
        super().__init__(f"{where}reverted with {name}({shown})")
