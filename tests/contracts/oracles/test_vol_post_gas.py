"""What a vol post costs on its dearest paths, against the gas limit every post gets
(`VolOracle.POST_GAS` in the SDK): the estimate at the head, where the reference is not due to
advance, falls short in the block where it does (the anchor and the candidate written, the
candidate clamped)."""

from __future__ import annotations

from web3.exceptions import ContractCustomError

from optio.pricing.oracle_units import round_to_wad
from optio.pricing.svi import SviParams
from optio.sdk.chain import GAS_HEADROOM
from optio.sdk.contracts import VolOracle
from tests.contracts.test_adversary_round11 import BASE, SHAPE_C, SHAPE_M, SHAPE_P, YEAR
from tests.helpers import call, now, send, set_next_timestamp, warp_to


def _params(shape, scale: float, expiry: int, t: int):
    a, b, rho, m, sigma = shape
    f = scale**2 * (expiry - t) / YEAR
    return round_to_wad(SviParams(a=a * f, b=b * f, rho=rho, m=m, sigma=sigma))


def _path(t0: int, window: int):
    """Round 11's V1 path (base, C a window later, M, P, X1 = P x 1.46): its posts advance the
    anchor, write and clamp candidates."""
    return [(BASE, 1.0, t0), (BASE, 1.0, t0 + 10), (SHAPE_C, 1.0, t0 + window + 10), (SHAPE_C, 1.0, t0 + window + 20),
            (SHAPE_M, 1.0, t0 + 2 * window), (SHAPE_P, 1.0, t0 + 2 * window + 5), (SHAPE_P, 1.46, t0 + 2 * window + 15)]


def _estimate_at(w3, vol, keeper, data: str, t: int) -> int | None:
    """The post's estimate in a block at time ``t`` (a snapshot, reverted); None where the post
    would be refused then."""
    snap = w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        warp_to(w3, t)
        return w3.eth.estimate_gas({"from": keeper.address, "to": vol.address, "data": data})
    except ContractCustomError:
        return None
    finally:
        w3.provider.make_request("evm_revert", [snap])


def test_each_post_fits_the_post_gas_and_a_head_estimate_can_fall_short(w3, protocol, keeper):
    """Every post of the path uses less than POST_GAS / 1.2 (room for the 63/64 rule); and the
    a post estimated at a head before its reference advances (the keeper's head, a block early)
    uses more at its block than the estimate with the usual headroom: what a keeper's post ran out of."""
    vol = protocol.vol_oracle
    window = call(vol, "config")[3]
    t0 = now(w3) + 100
    expiry = t0 + 30 * 86400
    used, short = [], []
    for shape, scale, t in _path(t0, window):
        params = _params(shape, scale, expiry, t)
        data = vol.contract.encode_abi("post", args=[expiry, params])
        # The cheapest estimate a keeper could have made at a head up to a minute earlier.
        early = min((g for dt in (1, 5, 11, 21, 60) if (g := _estimate_at(w3, vol, keeper, data, t - dt))),
                    default=None) if used else None
        warp_to(w3, t)
        set_next_timestamp(w3, t)
        receipt = send(vol, keeper, "post", expiry, params)
        used.append(receipt["gasUsed"])
        if early:
            short.append(receipt["gasUsed"] / early)
    print(f"\nvol post gas used along the path: {used}; used at the block / cheapest estimate up to 60 s earlier: "
          f"{[round(x, 3) for x in short]}; POST_GAS {VolOracle.POST_GAS:,}")
    assert max(used) * 1.2 < VolOracle.POST_GAS
    assert max(short) > GAS_HEADROOM  # a head estimate alone can run out
