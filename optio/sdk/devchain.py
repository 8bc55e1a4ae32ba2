"""Helpers for local test chains only (Anvil, Ganache): post a price or a flat surface as the
keeper, move the clock, grant a role without waiting for the timelock. Every function refuses
any chain id outside ``LOCAL_CHAIN_IDS`` before it sends anything: on a real chain these would be
a keeper's or the admin's job, through their own keys and the timelock."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from web3 import Web3

from optio.pricing.black_scholes import SECONDS_PER_YEAR
from optio.pricing.svi import SviParams
from optio.sdk.chain import LOCAL_CHAIN_IDS, Signer, send_unsimulated
from optio.sdk.contracts import Client
from optio.sdk.errors import InvalidInput, OptioError
from optio.sdk.localchain import set_next_timestamp
from optio.sdk.protocol import Protocol

#: The roles `grant_role` knows, and the manifest's contracts that define each.
ROLES = ("KEEPER_ROLE", "VOL_KEEPER_ROLE", "LISTER_ROLE", "GUARDIAN_ROLE", "FILLER_ROLE")


def require_local(w3: Web3, what: str = "optio dev") -> int:
    """The chain id, if it is a local test chain; ``InvalidInput`` (nothing sent) otherwise."""
    chain_id = w3.eth.chain_id
    if chain_id not in LOCAL_CHAIN_IDS:
        ids = ", ".join(str(i) for i in sorted(LOCAL_CHAIN_IDS))
        raise InvalidInput(f"{what} works only on local chains (chain id {ids}); this RPC is chain {chain_id}")
    return chain_id


def chain_time(w3: Web3) -> int:
    """The latest block's timestamp (Unix s)."""
    return int(w3.eth.get_block("latest")["timestamp"])


def post_price(protocol: Protocol, signer: Signer, price: Decimal | str) -> int:
    """Post spot ``price`` (USDC per WETH) observed at the latest block's time; that time."""
    w3 = protocol.w3
    require_local(w3)
    now = chain_time(w3)
    last = protocol.spot_oracle.feed().updated_at
    if last is not None and last >= now:  # posted in this very second: the next one must be later
        w3.provider.make_request("evm_mine", [])
        now = chain_time(w3)
    protocol.spot_oracle.post(signer, price, now)
    return now


def flat_surface(vol: float, tau_years: float) -> SviParams:
    """An SVI slice with the same implied ``vol`` at every strike for a tenor of ``tau_years``:
    total variance ``vol² τ`` everywhere (b = 0; sigma must be positive, its value is unused)."""
    if not 0 < vol <= 5:
        raise InvalidInput(f"vol {vol} must be in (0, 5] (0.6 = 60%)")
    return SviParams(a=vol * vol * tau_years, b=0.0, rho=0.0, m=0.0, sigma=0.1)


@dataclass(frozen=True)
class PostedSlice:
    expiry: int
    vol: float


def post_flat_surfaces(protocol: Protocol, signer: Signer, vol: float) -> list[PostedSlice]:
    """Post a flat ``vol`` slice for every listed expiry still in the future (tenor measured from
    the block the post lands in, the next second at the earliest)."""
    require_local(protocol.w3)
    now = chain_time(protocol.w3)
    expiries = [e for e in protocol.market.expiries() if e > now + 1]
    if not expiries:
        raise InvalidInput("no listed expiry in the future: list a board first (optio trade list)")
    posted = []
    for expiry in expiries:
        tau = (expiry - (chain_time(protocol.w3) + 1)) / SECONDS_PER_YEAR
        protocol.vol_oracle.post(signer, expiry, flat_surface(vol, tau))
        posted.append(PostedSlice(expiry, vol))
    return posted


def warp_to(w3: Web3, timestamp: int) -> int:
    """Mine a block at ``timestamp`` (Unix s, later than the head); the new head's timestamp."""
    require_local(w3)
    now = chain_time(w3)
    if timestamp <= now:
        raise InvalidInput(f"cannot warp back: the chain is at {now}, asked for {timestamp}")
    set_next_timestamp(w3, timestamp)
    w3.provider.make_request("evm_mine", [])
    return chain_time(w3)


def next_expiry(protocol: Protocol) -> int:
    """The earliest listed expiry after the latest block (``InvalidInput`` if none)."""
    now = chain_time(protocol.w3)
    later = sorted(e for e in protocol.market.expiries() if e > now)
    if not later:
        raise InvalidInput("no listed expiry after the chain's time: give seconds to warp instead")
    return later[0]


def role_contracts(protocol: Protocol, role: str) -> dict[str, Client]:
    """The deployment's contracts that define ``role`` (a constant of theirs), by manifest key."""
    found = {}
    for key, rec in protocol.deployment.contracts.items():
        if rec.artifact in ("MockERC20", "OptioTimelock", "MarketRegistry"):
            continue
        client = Client(protocol.w3, rec.address, artifact_name=rec.artifact)
        if any(item.get("name") == role and item.get("type") == "function" for item in client.contract.abi):
            found[key] = client
    return found


def normalise_role(role: str) -> str:
    """``keeper``, ``KEEPER``, ``keeper_role`` → ``KEEPER_ROLE`` (``InvalidInput`` if unknown)."""
    name = role.strip().upper().replace("-", "_")
    name = name if name.endswith("_ROLE") else f"{name}_ROLE"
    if name not in ROLES:
        raise InvalidInput(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    return name


def grant_role(protocol: Protocol, role: str, account: str) -> list[str]:
    """Grant ``role`` to ``account`` on every contract that defines it, as the timelock (the
    admin) without its delay: Anvil impersonates the timelock. The contracts' manifest keys."""
    w3 = protocol.w3
    require_local(w3)
    role = normalise_role(role)
    if not Web3.is_address(account):
        raise InvalidInput(f"{account!r} is not an address (0x and 40 hex digits)")
    account = Web3.to_checksum_address(account)
    timelock = protocol.deployment.address("Timelock")
    targets = role_contracts(protocol, role)
    reply = w3.provider.make_request("anvil_impersonateAccount", [timelock])
    if "error" in reply:
        raise OptioError("granting a role without the timelock's delay needs Anvil (anvil_impersonateAccount); "
                         "elsewhere schedule grantRole through the timelock (docs/admin.md)")
    w3.provider.make_request("anvil_setBalance", [timelock, hex(10**18)])
    try:
        for client in targets.values():
            data = client.contract.encode_abi("grantRole", args=[client.role_id(role), account])
            send_unsimulated(w3, timelock, client.address, data, gas=200_000, action=f"grant {role}")
    finally:
        w3.provider.make_request("anvil_stopImpersonatingAccount", [timelock])
    return list(targets)
