"""The vol clamp at the wings (compromised vol keeper; after round 11's V1 fix, `_between`).

Question: the clamped candidate (`VolOracle._candidateOf`) must lie between its posted surface and
its anchor at the five points where it is clamped (k = z·σ_atm(anchor)·√τ_post). Once it is the
anchor, a post is checked against it at *its own* grid, k = z·σ_atm(candidate)·√τ_now: at ATM the
same k (0), at the wings not. Can a post then take a wing point's vol above 1.5x (1 + m) the
largest vol at that k among all surfaces posted a window or more before it?

WORKS. Between the grid points the clamp promises nothing: the candidate is P times c (c > 1, up
to 2.25) in variance, √c in vol at *every* k, while the old anchor C, the older anchor B and the
stepping stone M (all posted) may dip there (SVI with a small σ: a kink; slopes are far below the
Lee limit at these tenors). The clamp scaled P up (c = 1.929: P's far put point was below a
quarter of C's variance), its ATM vol only to 0.71 of C's, so the candidate's grid is narrower
than C's: its +2 point (k = 0.3006) falls between C's +1 and +2 points (0.212, 0.424 at P's
post), where C, B, M are all below √c·P. A post at 1.5x of that anchor is x1.94 of every surface
posted a window or more before at k = 0.3006 (vol 1.387 against at most 0.715, C's). The bound
of the path: X2 ≤ 1.5·√c·P there and P is itself an old surface, so x(1.5·√c) at most, √c ≤ 1.5
while C and P stay in B's band at nearby points (up to x2.25). The naive rule (candidate as
posted: the anchor is P) refuses that post and allows at most x1.5 at its grid.

Search (tools of the review, not kept): a float model of `post`/`_advanceAnchor`/`_candidateOf`
(`_rates`, `_band`, `_inBand`, `_between`) on round 11's timeline (B, B, C, C, M, P, X1, X2),
per-year SVI shapes for B, C, M, P and the expiry searched by a hill-climb with random restarts,
the objective the wing ratio minus penalties for refused posts and for a clamp that fails
(`_between`); X1 = √(c·1.0005)·P, X2 = P at the largest scale accepted. A plain hill-climb on
the ratio (3,000 paths) never left the unclamped x1.5; the clamp-aware one, 6 restarts x 3,000
steps (18,000 paths), found x1.94 on restart 5; 20 more restarts (100,000 paths) peaked at x1.67
and a polish of the best (20,000 paths) at x1.9413: about 141,000 paths in all. Here the path
runs on the real contract.
"""

from __future__ import annotations

import math

import pytest

from optio.pricing.oracle_units import round_to_wad
from optio.pricing.svi import SviParams
from optio.sdk.errors import ContractRevert
from tests.helpers import call, now, send, set_next_timestamp, warp_to

WAD = 10**18
YEAR = 365 * 86400
REFUSED = ("AtmVolMoveTooLarge", "VolMoveTooLarge")

#: Per-year SVI shapes (a and b variance rates: the same vols at any tenor; m and σ in k).
#: B: the first anchor. C: posted a window later (the next anchor), kinked at k = 0.305.
#: M: a stepping stone from C down to P (kinked at 0.313). P: low, nearly flat, its far put point
#: below a quarter of C's variance (so clamped up), every other point at most C/1.93.
SHAPES = {
    "B": (0.42698553210916534, 0.8178483579290272, -0.9281036100344634, 0.26832890322167646, 0.027091044656997777),
    "C": (0.4945942025010336, 3.57112284777742, -0.08211728893154002, 0.3047733895518425, 0.0007845054286454977),
    "M": (0.4810792990974235, 0.3596516081199792, -0.4485313021106494, 0.31275848724585226, 0.0014000186891218094),
    "P": (0.4289915576891267, 0.011873720564209553, 0.7172913187595851, -0.4121683187097619, 0.0008049791379366064),
}
#: Seconds from X2's post to expiry (9.77 days).
D = 843999
#: The clamp's factor on P (variance), as the float model computes it, and the scales of X1 and
#: X2 (vols times the scale, shape P): X1 = √(c·1.0005) (in C's band: at or below C, and above a
#: quarter of it), X2 just below 1.5·√c (the largest the clamped anchor takes).
C_CLAMP = 1.9293014040733427
X1_SCALE = 1.3893
X2_SCALE = 2.0830
X2_PROBE = 2.0840  # just above: refused at ATM, the error shows the anchor's ATM vol


def _oracle(w3, protocol, deployer, keeper, guardian, version: str):
    if version == "naive":
        from tests.contracts.market.conftest import naive_protocol

        protocol = naive_protocol(w3, deployer, keeper, guardian, VolOracle="NaiveBandVolOracle")
    return protocol.vol_oracle


def _params(name: str, scale: float, tau: int) -> tuple[int, ...]:
    a, b, rho, m, sigma = SHAPES[name]
    f = scale**2 * tau / YEAR
    return round_to_wad(SviParams(a=a * f, b=b * f, rho=rho, m=m, sigma=sigma))


def _post(w3, vol, keeper, expiry: int, name: str, scale: float, t: int) -> tuple[int, ...]:
    params = _params(name, scale, expiry - t)
    warp_to(w3, t)
    set_next_timestamp(w3, t)
    receipt = send(vol, keeper, "post", expiry, params)
    assert w3.eth.get_block(receipt["blockNumber"])["timestamp"] == t
    return params


def _vol(params: tuple[int, ...], k: float, tau: int) -> float:
    p = SviParams(*(x / WAD for x in params))
    return float(p.implied_vol(k, tau / YEAR))


def _path(w3, vol, keeper, t0: int, window: int, expiry: int) -> list[tuple[int, tuple[int, ...]]]:
    """B, B, C, C, M, P, X1: (time, params) of each accepted post. C becomes the anchor at X1,
    which records P's candidate against C: clamped up by c (ours) or P as posted (naive)."""
    steps = [("B", 1.0, t0), ("B", 1.0, t0 + 10), ("C", 1.0, t0 + window + 10), ("C", 1.0, t0 + window + 20),
             ("M", 1.0, t0 + 2 * window), ("P", 1.0, t0 + 2 * window + 5), ("P", X1_SCALE, t0 + 2 * window + 15)]
    return [(t, _post(w3, vol, keeper, expiry, name, scale, t)) for name, scale, t in steps]


def _ratios(posted, x2: tuple[int, ...], t: int, expiry: int, atm_anchor_vol: float, window: int):
    """X2's vol at its anchor-grid points over the largest (and smallest) vol at the same k among
    the surfaces posted a window or more before t."""
    old = [(tt, p) for tt, p in posted if tt <= t - window]
    step = atm_anchor_vol * math.sqrt((expiry - t) / YEAR)  # σ_atm(anchor)·√τ, as `_rates`
    out = {}
    for z in (-2, -1, 1, 2):
        k = z * step
        v = _vol(x2, k, expiry - t)
        olds = [_vol(p, k, expiry - tt) for tt, p in old]
        out[z] = (k, v, max(olds), v / max(olds), v / min(olds))
    return out


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_the_clamped_anchor_lifts_a_wing_above_every_surface_posted(w3, protocol, deployer, keeper, guardian,
                                                                      version):
    """WORKS (Low; compromised vol keeper). Path (m = 50%, window 1 h, maxAge 3 h, expiry 9.9 days
    after t0): B; B; C a window later (kinked at k = 0.305); C;
    M; P (its far put point below a quarter of C's) just before C becomes the anchor; X1 = P x
    1.3893 records P's candidate against C: clamped up by c = 1.929 (every point between P and C
    at C's grid). A window after P, the clamped P is the anchor: X2 = P x 2.083 (1.5·√c) passes,
    its +2 point (k = 0.3006, the clamped anchor's narrower grid) at x1.94 of every surface posted
    a window or more before (vol 1.387 against C's 0.715, M's 0.698, P's 0.666, B's 0.661).
    The naive rule (anchor P as posted) refuses X2 and takes at most P x 1.5: x1.5 at most."""
    vol = _oracle(w3, protocol, deployer, keeper, guardian, version)
    max_age, move, _, window = call(vol, "config")
    assert (max_age, move, window) == (3 * 3600, WAD // 2, 3600)
    t0 = now(w3) + 100
    t2 = t0 + 3 * window + 5  # P (t0 + 2 window + 5) a window old: its candidate is the anchor
    expiry = t2 + D
    posted = _path(w3, vol, keeper, t0, window, expiry)

    # The probe just above X2 shows the anchor's ATM vol (the first point checked).
    with pytest.raises(ContractRevert) as probe:
        _post(w3, vol, keeper, expiry, "P", X2_PROBE, t2)
    assert probe.value.name == "AtmVolMoveTooLarge"
    atm_anchor = probe.value.args_by_name["previousAtmVolWad"] / WAD
    t_p, p_params = posted[5]
    t_c, c_params = posted[2]
    atm_p = _vol(p_params, 0.0, expiry - t_p)
    atm_c = _vol(c_params, 0.0, expiry - t_c)

    if version == "naive":
        assert atm_anchor == pytest.approx(atm_p, rel=1e-9)  # the anchor is P as posted
        with pytest.raises(ContractRevert) as refused:
            _post(w3, vol, keeper, expiry, "P", X2_SCALE, t2)
        assert refused.value.name in REFUSED
        x2 = _post(w3, vol, keeper, expiry, "P", 1.4999, t2)
        ratios = _ratios(posted, x2, t2, expiry, atm_anchor, window)
        print(f"\nnaive: anchor P (ATM {atm_p:.4f}); X2 = P x {X2_SCALE} refused ({refused.value.name}); "
              f"P x 1.4999 taken: " + ", ".join(f"z={z} k={k:.4f} x{r:.3f}" for z, (k, _, _, r, _) in ratios.items()))
        assert max(r for _, _, _, r, _ in ratios.values()) < 1.5
        return

    # Ours: the anchor is P clamped up by c (ATM √c·P's, below C's), not C nor P.
    assert atm_anchor == pytest.approx(math.sqrt(C_CLAMP) * atm_p, rel=1e-6)
    assert atm_anchor < 0.9 * atm_c
    x2 = _post(w3, vol, keeper, expiry, "P", X2_SCALE, t2)
    got = call(vol, "atmVol", expiry) / WAD
    assert got == pytest.approx(X2_SCALE * atm_p, rel=1e-6)
    ratios = _ratios(posted, x2, t2, expiry, atm_anchor, window)
    k, v, old_max, ratio, _ = ratios[2]
    print(f"\nours: anchor = P clamped x{C_CLAMP:.4f} in variance (ATM {atm_anchor:.4f}; P {atm_p:.4f}, "
          f"C {atm_c:.4f}); "
          f"X2 = P x {X2_SCALE} taken; at its +2 point k = {k:.4f}: vol {v:.4f}, largest of the surfaces a window "
          f"old {old_max:.4f}: x{ratio:.3f}; all wings: "
          + ", ".join(f"z={z} x{r:.3f}" for z, (_, _, _, r, _) in ratios.items()))
    assert ratio > 1.9  # x1.94 of every surface posted a window or more before: above 1 + m = 1.5
    assert k == pytest.approx(0.3006, abs=1e-3)
