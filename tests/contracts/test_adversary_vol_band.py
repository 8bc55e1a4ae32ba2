"""F4 on a board's surface (round 10, liveness): the VolOracle's two bands (the anchor's and the
previous surface's) could fail to meet after a wild path of accepted surfaces, refusing every
surface until the previous one was maxAge old; meanwhile a board near expiry went stale (its marks
not fresh: LP fills and exits wait).

The path (every smile point's vol times the same factor per post, steps of at most 45% against a
bound m = 50% a window; window 1 h, maxAge 3 h): 1 -> 1.45 (held a window) -> 0.80 -> 0.55 just
before 1.45 becomes the anchor, then at once back up 0.80 -> 1.16 -> 1.68 -> 2.10 against the
anchor 1.45. The candidate recorded then is 0.55; a window later it becomes the anchor while the
previous surface is 2.10: the bands [0.275, 0.80] and [1.05, 3.05] are disjoint.

Fixed: a candidate is recorded clamped into the band of the anchor it will follow, its variance
scaled by one common factor (`VolOracle._candidateOf`): 0.55 is kept as 0.725 (the lower edge of
1.45's band), and the bands [0.3625, 1.0875] and [1.05, 3.05] meet. The naive rule
(`NaiveBandVolOracle`: candidates not clamped) runs the same path beside ours."""

from __future__ import annotations

import pytest

from optio.pricing.oracle_units import round_to_wad
from optio.pricing.svi import SviParams
from optio.sdk.errors import ContractRevert
from tests.contracts.market.conftest import SURFACE, WEEK, naive_protocol
from tests.helpers import call, now, send, set_next_timestamp, warp_to

WAD = 10**18
STEP = 0.45  # each post moves every smile point's vol by at most 45% (the bound is 50%)
#: The board's tenor at the path's last post: stale by the tenor rule 2 h later, before maxAge (3 h).
TAU_LAST = 4 * 3600
REFUSED = ("AtmVolMoveTooLarge", "VolMoveTooLarge")


def _oracle(w3, protocol, deployer, keeper, guardian, version: str):
    if version == "naive":
        protocol = naive_protocol(w3, deployer, keeper, guardian, VolOracle="NaiveBandVolOracle")
    return protocol.vol_oracle


def _surface(scale: float, tau: int, shape: SviParams = SURFACE) -> tuple[int, ...]:
    """``shape`` (total variance over a week) with every vol times ``scale``, over ``tau`` seconds."""
    f = scale**2 * tau / WEEK
    return round_to_wad(SviParams(a=shape.a * f, b=shape.b * f, rho=shape.rho, m=shape.m, sigma=shape.sigma))


class Board:
    """Posts to one expiry at chosen times; keeps the gas of each accepted post."""

    def __init__(self, w3, vol, keeper, expiry: int):
        self.w3, self.vol, self.keeper, self.expiry = w3, vol, keeper, expiry
        self.gas: list[tuple[int, float, int]] = []

    def post(self, scale: float, t: int, shape: SviParams = SURFACE) -> None:
        warp_to(self.w3, t)  # the simulation runs at t
        set_next_timestamp(self.w3, t)  # and so does the post
        receipt = send(self.vol, self.keeper, "post", self.expiry, _surface(scale, self.expiry - t, shape))
        mined = self.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
        assert mined == t, (mined, t)  # the timing is exact
        self.gas.append((t, scale, receipt["gasUsed"]))

    def tries(self, scales, t: int) -> list[float]:
        """Posts each scale in turn, one a second from t; those refused."""
        refused = []
        for scale in scales:
            try:
                self.post(scale, t)
            except ContractRevert as err:
                assert err.name in REFUSED, err
                refused.append(scale)
            t += 1
        return refused

    def fresh(self) -> bool:
        try:
            call(self.vol, "getParams", self.expiry)
            return True
        except ContractRevert as err:
            assert err.name == "StaleSurface", err
            return False


def _wild_path(board: Board, t0: int, window: int) -> int:
    """Posts the wild path from t0; returns the time of its last post."""
    board.post(1.0, t0)  # a new board: the anchor 1 (t0)
    board.post(1.0, t0 + 10)  # candidate := 1 (t0)
    up = 1 + STEP
    board.post(up, t0 + window + 10)  # the anchor 1 (t0); candidate := 1 (t0 + 10)
    board.post(up, t0 + window + 20)  # the anchor 1 (t0 + 10); candidate := up (t0 + window + 10)
    low = 1 - STEP
    board.post(up * low, t0 + 2 * window)  # -45% from up, -20% from the anchor 1
    board.post(low, t0 + 2 * window + 5)  # -45% from the anchor 1, 10 s before up matures
    t, p = t0 + 2 * window + 15, low  # up is the anchor; candidate := low (ours: clamped to 0.725)
    while p < up * up:
        p = min(p * up, up * up)  # +45% from the previous post, at most +45% from the anchor up
        board.post(p, t)
        t += 5
    return t - 5


@pytest.mark.parametrize("version", ["naive", "ours"])
def test_board_stays_postable_after_the_wild_path(w3, protocol, deployer, keeper, guardian, version):
    """FIXED (F4 on a board). Naive: once low (0.55) is the anchor (a window after it was posted),
    every surface is refused (the previous 2.10, its -45% 1.16, 1.07, the anchors 1.45 and 0.55)
    for 7,221 s, until 2.10 is maxAge old; the board, 4 h from expiry at 2.10, is stale from 2 h
    after it: 3,600 s with no fresh surface (marks not fresh, fills wait). Ours: 1.07 posts at
    once (in both bands: [0.3625, 1.0875] and [1.05, 3.05]); the board stays fresh."""
    vol = _oracle(w3, protocol, deployer, keeper, guardian, version)
    max_age, move, _, window = call(vol, "config")
    assert (max_age, move, window) == (3 * 3600, WAD // 2, 3600)  # the timing below
    t0 = now(w3) + 100
    expiry = t0 + 2 * window + 30 + TAU_LAST
    board = Board(w3, vol, keeper, expiry)
    last = _wild_path(board, t0, window)
    scales = [s for _, s, _ in board.gas]
    print(f"\nF4 vol {version}: path {[f'{s:.4g}' for s in scales]} (last at t0 + {last - t0} s)")

    t = t0 + 3 * window + 10  # low (t0 + 2 window + 5) is a window old: the next anchor
    tries = (2.1025, 1.16, 1.45, 0.55, 1.07)
    refused = board.tries(tries, t)
    print(f"F4 vol {version}: at t0 + {t - t0} s refused {refused} of {list(tries)}")
    if version == "ours":
        assert refused == [2.1025, 1.16, 1.45, 0.55]  # 1.07 posts, in both bands
        stale_at = t0 + 4 * window + 600  # 2.10 would be stale by the tenor rule here
        board.post(1.07, stale_at)  # the keeper's next post: the board stays fresh
        assert board.fresh()
        print(f"F4 vol ours: posted 1.07 at t0 + {t - t0 + 4} s and again at t0 + {stale_at - t0} s: fresh")
        clamp = next(g for tt, _, g in board.gas if tt == t0 + 2 * window + 15)
        print(f"F4 vol ours: gas of the post recording the clamped candidate {clamp:,}")
        return
    assert refused == list(tries)
    # The keeper tries the last surface and 1.07 every 10 minutes: refused until 2.10 is maxAge
    # old, when the bound lifts (an outage); the board is stale by the tenor rule before that.
    t, stale_from, fresh = t + 600, last + TAU_LAST // 2 + 1, []
    while t < last + max_age:
        assert board.tries((2.1025, 1.07), t) == [2.1025, 1.07]
        fresh.append(board.fresh())
        t += 600
    assert board.tries((2.1025,), last + max_age) == [2.1025]  # the bound holds to the second
    assert fresh[0] and not fresh[-1]  # the board went stale (at stale_from, the tenor rule)
    accepted = last + max_age + 1
    assert board.tries((2.1025,), accepted) == []
    first_try = t0 + 3 * window + 10
    print(
        f"F4 vol naive: every surface refused from t0 + {first_try - t0} s to t0 + {accepted - t0} s "
        f"({accepted - first_try} s, the window is {window} s); the board stale (4 h from expiry at "
        f"the last post) from t0 + {stale_from - t0} s: {accepted - stale_from} s with no fresh surface"
    )
    clamp = next(g for tt, _, g in board.gas if tt == t0 + 2 * window + 15)
    print(f"F4 vol naive: gas of the post recording the candidate {clamp:,}")
    assert accepted - first_try > window and accepted - stale_from == window


# --- The claim on random wild paths: the two bands always meet ------------------------------------


class Model:
    """The vol oracle's anchor and candidate for surfaces of one shape, in vol scale (each
    surface's vols are its scale times the shape's: every smile point's ratio is the ratio of the
    scales). ``clamp`` False is the naive rule."""

    def __init__(self, move: float, window: int, max_age: int, clamp: bool = True):
        self.m, self.window, self.max_age, self.clamp = move, window, max_age, clamp
        self.anchor = self.candidate = self.prev = None

    def _candidate_of(self, prev, anchor):
        lo, hi = anchor[0] * (1 - self.m), anchor[0] * (1 + self.m)
        if not self.clamp or lo <= prev[0] <= hi:
            return prev
        # the contract moves the factor 1e-9 inside the edge (in variance: half that in vol)
        return (hi * (1 - 5e-10) if prev[0] > hi else lo * (1 + 5e-10), prev[1])

    def band(self, t: int) -> tuple[float, float]:
        """The scales a post at t may have (without changing the state)."""
        if self.prev is None or t - self.prev[1] > self.max_age:
            return 0.0, float("inf")
        anchor, _ = self._advanced(t)
        lo = max(anchor[0], self.prev[0])
        hi = min(anchor[0], self.prev[0])
        return lo * (1 - self.m), hi * (1 + self.m)

    def _advanced(self, t: int):
        if self.candidate is None:
            return self.anchor, self._candidate_of(self.prev, self.anchor)
        if t - self.candidate[1] >= self.window:
            return self.candidate, self._candidate_of(self.prev, self.candidate)
        return self.anchor, self.candidate

    def post(self, scale: float, t: int) -> None:
        if self.prev is None or t - self.prev[1] > self.max_age:
            self.anchor, self.candidate = (scale, t), None
        else:
            self.anchor, self.candidate = self._advanced(t)
        self.prev = (scale, t)


@pytest.mark.parametrize("seed", range(4))
def test_random_wild_paths_leave_a_surface_to_post(w3, protocol, keeper, seed):
    """FIXED (F4 on a board), held on random paths: 60 posts, runs in one direction to an extreme
    of what the bound accepts (1% inside), or anywhere within it, 3 s to a window and a bit apart.
    Before every post the two bands meet (the model of the rule: the anchor, clamped, and the
    previous surface), and the contract accepts the post the model says it accepts. The naive
    rule's model, fed the same posts, counts how often its bands were disjoint (then it restarts
    from ours' state: the count is of the model only)."""
    import random

    vol = protocol.vol_oracle
    max_age, move, _, window = call(vol, "config")
    rng = random.Random(seed)
    t = now(w3) + 100
    board = Board(w3, vol, keeper, t + 30 * 86400)
    ours = Model(move / WAD, window, max_age)
    naive = Model(move / WAD, window, max_age, clamp=False)
    naive_dead, widths, up = 0, [], True
    for i in range(60):
        lo, hi = ours.band(t)
        assert lo < hi, (i, lo, hi)
        if hi < float("inf"):
            widths.append(hi / lo)
        nlo, nhi = naive.band(t)
        naive_dead += nlo >= nhi
        up = up if rng.random() < 0.7 else not up
        if i == 0:
            scale = 1.0
        elif rng.random() < 0.8:
            scale = hi * 0.99 if up else lo * 1.01
        else:
            scale = lo + (hi - lo) * rng.random()
        board.post(scale, t)
        if not nlo * 0.999999 <= scale <= nhi * 1.000001:
            naive.anchor, naive.candidate, naive.prev = ours.anchor, ours.candidate, ours.prev
        ours.post(scale, t)
        naive.post(scale, t)
        t += rng.choice((3, 5, 60, 600, 900, window // 4, window // 2, window - 3, window + 3))
    print(f"\nF4 vol random path {seed}: narrowest band x{min(widths):.6f}; naive bands disjoint {naive_dead} times")
    assert min(widths) > 1
