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


#: Roles of the protocol's contracts (AccessControl, the timelock), by name: a revert names the
#: role, never its hash.
ROLE_NAMES = ("DEFAULT_ADMIN_ROLE", "KEEPER_ROLE", "VOL_KEEPER_ROLE", "LISTER_ROLE", "GUARDIAN_ROLE", "MARKET_ROLE",
              "PROPOSER_ROLE", "EXECUTOR_ROLE", "CANCELLER_ROLE")
#: Error fields that are times (Unix s), shown as UTC dates; durations, shown in seconds.
TIME_FIELDS = {"expiry", "timestamp", "latestTimestamp", "blockTimestamp", "oldestAccepted", "updatedAt",
               "fallbackAfter", "earliest", "cutoff", "deadline", "cancellableAt"}
DURATION_FIELDS = {"maxAge", "tau", "fillDelay", "minFillDelay", "maxFillDelay"}
#: Fields that are amounts of a token: in its units once the raising call says which token.
TOKEN_FIELDS = {"collateral", "required", "premium", "maxPremium", "minPremium", "needed", "available", "requested",
                "locked", "assets", "maxAssets"}
#: Fields that are 18-decimal numbers: options (an amount of options), strikes and prices.
WAD_FIELDS = {"strike", "amount", "minAmount", "maxAmount", "openInterest", "minLiveAmount", "minimum", "spot",
              "maxNetDelta", "netDelta", "netVega", "maxNetVega", "utilisation", "maxUtilisation"}


def _role_name(value: object) -> str | None:
    if not (isinstance(value, str) and value.startswith("0x") and len(value) == 66):
        return None
    from eth_utils import keccak

    for name in ROLE_NAMES:
        role = b"\x00" * 32 if name == "DEFAULT_ADMIN_ROLE" else keccak(text=name)
        if value.lower() == "0x" + role.hex():
            return name
    return None


def _shown(field: str, value: object, token: tuple[str, int] | None, wads: bool) -> str:
    """One error field as a person reads it: a role by name, a time as a UTC date, a token amount
    in the token's units, an option id as the option."""
    from decimal import Decimal

    from optio.sdk.utc import utc_time

    role = _role_name(value)
    if role:
        return role
    if isinstance(value, bool) or not isinstance(value, int):
        return str(value)
    if field in TIME_FIELDS and 10**9 <= value < 10**11:
        return utc_time(value)
    if field in DURATION_FIELDS:
        return f"{value} s"
    if field == "id" and value >= 2**160:
        from optio.sdk.option_id import expiry_of, is_call, strike_wad_of

        strike = Decimal(strike_wad_of(value)).scaleb(-18).normalize()
        when = utc_time(expiry_of(value), seconds=False)
        return f"{'call' if is_call(value) else 'put'} {strike:f} @ {when}"
    if token is not None and field in TOKEN_FIELDS:
        symbol, decimals = token
        return f"{Decimal(value).scaleb(-decimals).normalize():f} {symbol}"
    if field.endswith("Wad") or (wads and field in WAD_FIELDS):
        return f"{Decimal(value).scaleb(-18).normalize():f}"
    return str(value)


class ContractRevert(OptioError):
    """The chain refused the call (found by simulation, or a mined revert).

    ``name`` is the custom error's name (``"StalePrice"``) and ``args`` its decoded arguments (raw,
    as emitted); the message shows them in human units: roles by name, times as UTC dates, option
    ids as options, 18-decimal fields as decimals, and token amounts in the token's units once
    :meth:`in_token` says which token.
    """

    def __init__(self, name: str, args: dict[str, object], *, action: str = "", mined: bool = False,
                 token: tuple[str, int] | None = None, wads: bool = False):
        self.name = name
        self.args_by_name = args
        self.mined = mined
        self.action = action
        shown = ", ".join(f"{k}={_shown(k, v, token, wads)}" for k, v in args.items())
        where = f"{action}: " if action else ""
        super().__init__(f"{where}reverted with {name}({shown})")

    def in_token(self, symbol: str, decimals: int, *, wads: bool = True) -> ContractRevert:
        """The same revert, its token amounts in ``symbol`` (``decimals`` places) and, with
        ``wads``, its option amounts and strikes as decimals (the market's and margin's errors)."""
        return ContractRevert(self.name, self.args_by_name, action=self.action, mined=self.mined,
                              token=(symbol, decimals), wads=wads)
