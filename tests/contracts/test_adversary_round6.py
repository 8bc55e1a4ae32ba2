"""Sixth adversarial round, on 006b2af: the first F4 fix of the oracle bounds (a post outside the
anchor's band passed when it was no further from the anchor than the previous post; on a surface,
per smile point). Threat: a compromised keeper posting within whatever the rules accept.

Fixed: H1 the alternating ladder. In each window the keeper walked from one extreme to the
opposite one, ending a window after the previous extreme; the previous extreme became the anchor
and the new extreme its candidate, so the next window started with the previous post on the far
side of the anchor, and the relaxation let it walk back across the anchor's band to its far
edge. The extremes grew as (1+j)^n and (1-j)^n on both sides at once, each window's walk (seconds
long) spanning the whole range: measured on 006b2af, spot 4879 -> 634 within one window after
eight windows (x7.70), a board's vols x48.3. The relaxation is gone: the spot oracle clamps each
candidate into the band of the anchor it will follow (every anchor within a jump of the one
before, so the bands of a new anchor and of the previous post always meet: F4 stays fixed), and
the vol oracle now clamps its candidate the same way (round 10, F4 on a board fixed:
test_adversary_vol_band.py). The tests below assert the ladder is
refused within one anchor's band, and, on the spot feed, that a price can still be posted where
the round-4 rule (NaiveBandSpotOracle) refuses every price."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from optio.sdk.errors import ContractRevert
from tests.contracts.market.conftest import live, naive_protocol  # noqa: F401 (fixtures)
from tests.helpers import call, now, send, warp_to

WAD = 10**18


def _steps(start: float, target: float, f: float) -> list[float]:
    """From start to target in multiplicative steps of at most f (the last one exactly target)."""
    out, p = [], start
    while abs(p - target) > 1e-12 * target:
        p = min(p * (1 + f), target) if target > p else max(p * (1 - f), target)
        out.append(p)
    return out


def _ladder(
    w3, post: Callable[[float, int], None], start: float, f: float, window: int, windows: int, spacing: int = 3
) -> tuple[list[list[tuple[int, float]]], str | None]:
    """The alternating ladder. ``post(value, t)`` posts at time t. Returns the bursts (each the list
    of (t, value) accepted, the previous extreme first) and the first refusal (or None)."""
    slack = 10
    t0 = now(w3) + 10
    post(start, t0)  # after an outage: the anchor
    post(start, t0 + 2)  # candidate := start (t0)
    ext = [(t0, start), (t0 + 2, start)]  # extremes (t, value); the last two: anchor-to-be, prev
    bursts = []
    for _ in range(windows):
        (_, x2), (t1, x1) = ext[-2], ext[-1]
        target = x2 * (1 + f) if x1 <= x2 else x2 * (1 - f)
        path = _steps(x1, target, f)
        end = (t0 if len(bursts) == 0 else t1) + window - slack
        t = end - spacing * (len(path) - 1)
        burst = [(t1, x1)]
        for value in path:
            try:
                post(value, t)
            except ContractRevert as err:
                bursts.append(burst)
                return bursts, f"{err.name} posting {value:.4g} after {burst[-1][1]:.4g} (anchor {x2:.4g})"
            burst.append((t, value))
            t += spacing
        bursts.append(burst)
        ext.append(burst[-1])
    return bursts, None


def _report(label: str, bursts, window: int) -> tuple[float, float]:
    """Prints each burst; returns (largest ratio between two posts less than a window apart, the
    largest ratio within one burst)."""
    pts = [p for b in bursts for p in b]
    one_window = max(max(a[1], b[1]) / min(a[1], b[1]) for a in pts for b in pts if abs(a[0] - b[0]) < window)
    in_burst = 1.0
    for i, b in enumerate(bursts):
        vals = [v for _, v in b]
        secs = b[-1][0] - b[1][0] if len(b) > 1 else 0
        ratio = max(vals[1:] or vals) / min(vals[1:] or vals)
        in_burst = max(in_burst, ratio)
        print(f"{label} window {i + 1}: {vals[0]:.4g} -> {[f'{v:.4g}' for v in vals[1:]]} ({secs}s, x{ratio:.2f})")
    print(f"{label}: largest ratio within one window x{one_window:.2f}, within one burst x{in_burst:.2f}")
    return one_window, in_burst


# --- H1. The alternating ladder on the spot feed --------------------------------------------------


def _spot_poster(w3, oracle, keeper) -> Callable[[float, int], None]:
    def post(value: float, t: int) -> None:
        warp_to(w3, t)
        oracle.post(keeper, Decimal(f"{value:.6f}"), t)

    return post


def _postable(post: Callable[[float, int], None], prev: float, j: float, t: int) -> list[float]:
    """Tries five prices across prev·(1 ± j), one a second from t (well within the ladder's slack
    before prev is maxAge old, when any price would post), until one posts; those posted."""
    for i in range(5):
        value = prev * (1 - j + 2 * j * i / 4)
        try:
            post(value, t + i)
            return [value]
        except ContractRevert as err:
            assert err.name == "PriceJumpTooLarge", err
    return []


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_spot_alternating_ladder(w3, protocol, deployer, keeper, guardian, version):
    """HELD on both (j = 25%, window = maxAge = 1 h, steps of 0.999 j). On the single-candidate
    rule the fourth window's first post was refused, and nothing posted spanned more than one
    anchor's band (x1.67 within a walk, x2.08 within a window; the first fix reached x7.70 within a
    window after eight). On the links rule of round 8: ours refuses the third window's third post
    (2929 after 2344: more than a jump above the anchor, the extreme 2500 kept as a link within a
    quarter band of the one before), x1.67 within a window, x1.25 within a walk; the naive rule
    refuses the fourth window's third (1319 after 2344 and 1758), x2.08 and x1.67 as before.
    Then a price
    within a jump of the last post: ours posts one (the clamped anchor's band meets the last
    post's). The round-4 rule (NaiveBandSpotOracle, candidates not clamped) refused all five on
    the single-candidate rule; on the links rule the ladder stops two posts later, at 1758, within
    a jump of the anchor 1500, and it posts one too (its bricking on the links rule is shown by
    the retimed wild path of round 5, F4)."""
    if version == "naive":
        protocol = naive_protocol(w3, deployer, keeper, guardian, SpotOracle="NaiveBandSpotOracle")
    oracle = protocol.spot_oracle
    cfg = call(oracle, "config")
    max_age, j, window = cfg[0], cfg[3] / WAD, cfg[5]
    warp_to(w3, now(w3) + max_age + 100)
    poster = _spot_poster(w3, oracle, keeper)
    bursts, refusal = _ladder(w3, poster, 2000.0, 0.999 * j, window, 8)
    print(f"\nH1 spot {version}: maxJump {j}, window {window}s, maxAge {max_age}s; refusal: {refusal}")
    one_window, in_burst = _report(f"H1 spot {version}", bursts, window)
    # ours: refused in the third window after two posts (was: the fourth window's first post);
    # naive: in the fourth window after two posts (the previous extreme first in each burst)
    assert refusal is not None and [len(b) for b in bursts[2:]] == ([3] if version == "ours" else [5, 3])
    assert one_window < (1.67 if version == "ours" else 2.09) and in_burst < 1.67
    prev = bursts[-1][-1][1]  # the last post accepted
    posted = _postable(poster, prev, j, now(w3) + 1)
    print(f"H1 spot {version}: after the refusal, posted {posted} (last post {prev:.4g})")
    assert posted  # naive: was [] on the single-candidate rule


# --- H1 on a board's surface: every smile point's vol x s per post ---------------------------------


def test_vol_alternating_ladder(w3, protocol, keeper):
    """HELD (move bound m = 50% per window, steps of 0.9 m: vols x1.45 / x0.55 a post, all five
    smile points alike; window 1 h, maxAge 3 h): the fourth window's first surface is refused, and
    nothing posted spans more than one anchor's band (the first fix reached x48.3 within a window
    after eight). Since round 10 the candidate is clamped into its anchor's band (F4 on a board):
    the same refusal, x2.64 within a walk, x3.82 within a window."""
    from optio.pricing.oracle_units import round_to_wad
    from optio.pricing.svi import SviParams

    vol = protocol.vol_oracle
    max_age, move, _, window = call(vol, "config")
    warp_to(w3, now(w3) + max_age + 100)
    expiry = now(w3) + 30 * 86400
    base = SviParams(a=0.002, b=0.02, rho=-0.3, m=0.0, sigma=0.1)
    atm = []

    def post(scale: float, t: int) -> None:
        warp_to(w3, t - 1)
        p = SviParams(a=base.a * scale**2, b=base.b * scale**2, rho=base.rho, m=base.m, sigma=base.sigma)
        send(vol, keeper, "post", expiry, round_to_wad(p))
        atm.append(call(vol, "atmVol", expiry) / WAD)

    bursts, refusal = _ladder(w3, post, 1.0, 0.9 * move / WAD, window, 8)
    print(f"\nH1 vol: move {move / WAD}, window {window}s, maxAge {max_age}s; refusal: {refusal}")
    print(f"H1 vol: ATM vol from {atm[0]:.1%} to {min(atm):.1%} .. {max(atm):.1%}")
    one_window, in_burst = _report("H1 vol", bursts, window)
    assert refusal is not None and len(bursts) == 4 and len(bursts[-1]) == 1
    assert in_burst < 3.3 and one_window < 3.9
