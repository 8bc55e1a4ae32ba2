"""Eleventh adversarial round, on 47c20d5 (against 0fb683c: deposit requests O(1), refused only
when the deposits queued pass the cap on their own, the cap checked at the fill which fills what
fits and refunds the rest; VolOracle's candidate clamped into its anchor's band by a common
variance factor). Each attack prints its figures; WORKS tests assert the damage, HELD tests the
defence.

S1 (Medium; found WORKS, fixed in 9e00081): cap squatting was free again once the vault was at
its cap. A request of the whole cap, refunded whole at a fill with no room (nothing deposited,
nothing lost), refused every other deposit request while it waited (the request counted the queue
against the cap); re-made after each fill, it held the queue for gas only. Now a request is
refused only when it alone passes the cap: the others are taken and filled in order as room frees
(the squatter, first, gets that room by a real deposit), refunded whole otherwise.

V1 (Low, compromised vol keeper; found WORKS, fixed): the vol clamp scaled a candidate by one
common variance factor; when one smile point was below the anchor's band the factor lifted every
point, so the next anchor was a surface nobody posted. A post then passed at x1.89 of every
surface posted a window or more before it (the naive rule, whose anchor is a posted surface a
window old, allows x1.5). Now every clamped point must lie between its posted and anchor values,
else the candidate is the anchor. The long-run envelope, (1 + m) per anchor step, held either way.

K2 (keeper side) is in tests/keepers/test_adversary_keepers_round11.py.
"""

from __future__ import annotations

import pytest

from optio.sdk.errors import ContractRevert
from tests.contracts.market.conftest import live, trader, warp  # noqa: F401 (fixtures)
from tests.contracts.test_adversary import _fill, _signer
from tests.contracts.vaults.test_forward_flows import _approve, _live_call
from tests.contracts.vaults.test_forward_flows import _request_deposit as _req_deposit
from tests.helpers import admin_send, call, now, request_id_of, send

WAD = 10**18
USDC = 10**6
PENDING, CLAIMABLE, CLAIMED, CANCELLED = 1, 2, 3, 4


def _status(vault, rid) -> int:
    return call(vault, "redeemRequest", rid)[1]


# --- S1. Cap squatting at a full vault: free, repeatable --------------------------------------


def test_cap_squatting_at_a_full_vault_no_longer_refuses_anyone(live, trader, alice):  # noqa: F811
    """S1 (Medium), fixed. The call vault (live options: requests only) is at its cap. Each cycle
    mallory (back-running the keeper's fill) requests the whole cap. On the first version honest's
    1 WETH request was refused every time (`ERC4626ExceededMaxDeposit`, max 0: the request counted
    the queue against the cap), 3 of 3, while mallory lost nothing. Now a request is refused only
    when it alone passes the cap: honest's requests are all taken, filled in order as room frees
    (mallory, first, takes the room alice's redeem frees: a real deposit), refunded otherwise."""
    vault = _live_call(live, trader)
    mallory, honest = _signer(5), _signer(6)
    cap = call(vault, "totalAssets")  # full: no room (theta only raises the total)
    admin_send(live.protocol, vault, "setDepositCap", cap)
    _approve(vault, mallory, 3 * cap)  # a whole-cap request each cycle (its refunds left unclaimed)
    _approve(vault, honest, 3 * WAD)
    redeem = request_id_of(vault, send(vault, alice, "requestRedeem", call(vault, "convertToShares", 5 * WAD),
                                       alice.address, alice.address))
    taken = []
    for _ in range(3):
        send(vault, mallory, "requestDeposit", cap, mallory.address, mallory.address)
        taken.append(_req_deposit(vault, honest, WAD))  # never refused
        _fill(vault)
    statuses = [_status(vault, rid) for rid in taken]
    refunds = call(vault, "depositRefunds", honest.address)
    held = call(vault, "convertToAssets", call(vault, "balanceOf", mallory.address))
    print(f"\nS1: vault at its cap {cap / WAD:.4f} WETH; honest's 3 requests taken, statuses {statuses} "
          f"(3 = filled, 4 = refunded whole); refunds {refunds / WAD:.4f} WETH; mallory holds {held / WAD:.6f} WETH")
    assert len(taken) == 3 and all(s in (CLAIMED, CANCELLED) for s in statuses)
    # What honest did not get in is owed back whole; what mallory got in is a real deposit of the
    # room alice's redeem freed (5 WETH at the fill's price), not a free hold.
    filled = sum(WAD for s in statuses if s == CLAIMED)
    assert refunds == 3 * WAD - filled
    assert held >= 5 * WAD - filled - 10**12
    assert _status(vault, redeem) == CLAIMABLE
    assert call(vault, "pendingDepositAssets") == 0


# --- V1. The clamp lifts the reference above every surface posted ------------------------------

YEAR = 365 * 86400
#: The base smile (SURFACE per year: ATM vol 79.1%) and two shapes found by a search (per year,
#: a and b; the same vols at any tenor), m = 50%, window 1 h: C lifts the smile (ATM +4%, wings
#: +45%), P lowers C's far put wing to half (-2 sigma point at 0.345 of C's) and keeps the rest.
#: M is a step between them (every post is also bounded by the previous one).
BASE = (0.01 * YEAR / (7 * 86400), 0.02 * YEAR / (7 * 86400), -0.3, 0.0, 0.1)
SHAPE_C = (-0.09030110144022856, 4.968383768421867, -0.3554267816382568, -0.10566141841959212, 0.16138430984942367)
SHAPE_P = (0.19307192850051685, 1.072260130268886, 0.6707144884192205, -0.2713826377398895, 0.12761421053878788)
SHAPE_M = (0.803499109585438, 0.3638745188650674, -0.09709608491407161, -0.03342488599832711, 0.34928949248360175)
VOL_REFUSED = ("AtmVolMoveTooLarge", "VolMoveTooLarge")


def _vol_oracle(w3, protocol, deployer, keeper, guardian, version: str):
    from tests.contracts.market.conftest import naive_protocol

    if version == "naive":
        protocol = naive_protocol(w3, deployer, keeper, guardian, VolOracle="NaiveBandVolOracle")
    return protocol.vol_oracle


def _post_shape(w3, vol, keeper, expiry: int, shape, scale: float, t: int) -> None:
    """Posts ``shape`` (per-year a, b) with every vol times ``scale``, at time t, over expiry - t."""
    from optio.pricing.oracle_units import round_to_wad
    from optio.pricing.svi import SviParams
    from tests.helpers import set_next_timestamp, warp_to

    a, b, rho, m, sigma = shape
    f = scale**2 * (expiry - t) / YEAR
    warp_to(w3, t)
    set_next_timestamp(w3, t)
    receipt = send(vol, keeper, "post", expiry, round_to_wad(SviParams(a=a * f, b=b * f, rho=rho, m=m, sigma=sigma)))
    assert w3.eth.get_block(receipt["blockNumber"])["timestamp"] == t


def _clamp_path(w3, vol, keeper, t0: int, window: int, expiry: int) -> list[tuple[int, float]]:
    """The path up to the lift; (time, ATM vol) of each accepted post."""
    atm = []
    lift = 1.449  # the factor the clamp applies to P (its -2 sigma point to the edge of C's band)
    f1 = 1.46  # X1 = P x 1.46: in C's band and in P's
    steps = [(BASE, 1.0, t0), (BASE, 1.0, t0 + 10), (SHAPE_C, 1.0, t0 + window + 10), (SHAPE_C, 1.0, t0 + window + 20),
             (SHAPE_M, 1.0, t0 + 2 * window), (SHAPE_P, 1.0, t0 + 2 * window + 5),
             (SHAPE_P, f1, t0 + 2 * window + 15)]  # C is the anchor; candidate := P clamped up x1.449
    for shape, scale, t in steps:
        _post_shape(w3, vol, keeper, expiry, shape, scale, t)
        atm.append((t, call(vol, "atmVol", expiry) / WAD))
    return atm, 1.5 * lift * 0.995


@pytest.mark.parametrize("version", ["naive", "ours"])
def test_the_clamp_no_longer_lifts_the_reference_above_every_surface_posted(w3, protocol, deployer, keeper,
                                                                               guardian, version):
    """V1 (Low; compromised vol keeper), fixed. The clamp scales a candidate by one common variance
    factor into its anchor's band; when one smile point was below that band the factor lifted
    every point, so the reference (the next anchor) was a surface nobody posted, above all of
    them. Path (m = 50%, window 1 h): base; C (wings +45%) a window later; M, then P (C's far put
    wing halved) just before C becomes the anchor; X1 = P x 1.46 (in the bands of C and P) recorded
    P clamped up x1.449 as the candidate. Found on 47c20d5: a window after P, X2 = P x 2.16 (ATM
    1.82) passed: x1.89 of every surface posted a window or more before (ATM <= 0.964). Now a
    clamped point must stay between its posted and anchor values, else the candidate is the anchor
    (C): X2 is refused, as by the naive rule (candidate as posted), and both take X1 again and then
    X2 once X1 is a window old (the reference still follows what was posted)."""
    vol = _vol_oracle(w3, protocol, deployer, keeper, guardian, version)
    max_age, move, _, window = call(vol, "config")
    assert (max_age, move, window) == (3 * 3600, WAD // 2, 3600)
    t0 = now(w3) + 100
    expiry = t0 + 30 * 86400
    atm, x2 = _clamp_path(w3, vol, keeper, t0, window, expiry)
    t2 = t0 + 3 * window + 5  # P (t0 + 2 window + 5) a window old: its candidate is the anchor
    old = max(v for t, v in atm if t <= t2 - window)
    with pytest.raises(ContractRevert) as refused:
        _post_shape(w3, vol, keeper, expiry, SHAPE_P, x2, t2)
    assert refused.value.name in VOL_REFUSED
    # X1 again (accepted), then X2 once X1 is a window old: the reference moves with the posts.
    _post_shape(w3, vol, keeper, expiry, SHAPE_P, 1.46, t2)
    _post_shape(w3, vol, keeper, expiry, SHAPE_P, x2, t2 + 11)
    got = call(vol, "atmVol", expiry) / WAD
    print(f"\nV1 {version}: ATM vols posted {[f'{v:.4f}' for _, v in atm]}; X2 = P x {x2:.4f} at t0 + {t2 - t0} s: "
          f"refused ({refused.value.name}); X1 again, then X2 at t0 + {t2 + 11 - t0} s: ATM {got:.4f} "
          f"(x{got / old:.3f} of every surface a window old, X1 the anchor)")
