// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {FixedPointMathLib} from "solady/src/utils/FixedPointMathLib.sol";
import {IVolOracle} from "../interfaces/IVolOracle.sol";
import {SVI} from "../libraries/SVI.sol";

// slither-disable-start incorrect-equality
// False positives, by detector (tools/slither_check.py):
// - incorrect-equality: the strict equalities compare stored amounts and times with zero or ids, never a balance an outsider can move.
/// @title VolOracle
/// @notice Per-expiry SVI surface posted by the vol keeper, checked for sanity and for its move
/// across the smile on write, for freshness on every read, and served as the total variance of
/// the posted vols at the time of the read (see IVolOracle).
contract VolOracle is IVolOracle, AccessControl {
    using FixedPointMathLib for uint256;

    /* CONSTANTS */

    bytes32 public constant VOL_KEEPER_ROLE = keccak256("VOL_KEEPER_ROLE");
    /// @notice Largest accepted |a|, b, |m|, sigma: 1e9 (in 1e18 units), far beyond any real
    /// surface and within the packed 96-bit storage.
    int256 public constant MAX_PARAM_WAD = 1e27;
    int256 private constant WAD = 1e18;

    /* STORAGE */

    /// @dev SVI parameters packed into two slots; each fits by the checks in `post`.
    struct PackedSurface {
        int96 a;
        int96 m;
        uint64 updatedAt;
        uint96 b;
        int64 rho;
        uint96 sigma;
    }

    Config private _config;
    mapping(uint256 expiry => PackedSurface) private _surfaces;
    /// @dev The move bound's reference per expiry: a surface at least `jumpWindow` old (or the
    /// first after an outage).
    mapping(uint256 expiry => PackedSurface) private _anchors;
    /// @dev The next anchor per expiry, once it is a window old.
    mapping(uint256 expiry => PackedSurface) private _candidates;
    /// @inheritdoc IVolOracle
    uint64 public postCount;

    /* CONSTRUCTOR */

    constructor(address admin, Config memory config_) {
        _setConfig(config_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /* KEEPER */

    /// @inheritdoc IVolOracle
    function post(uint256 expiry, SviParams calldata p) external onlyRole(VOL_KEEPER_ROLE) {
        if (expiry <= block.timestamp) revert ExpiryNotInFuture(expiry, block.timestamp);
        _checkParams(p);
        int256 atmVariance = SVI.totalVariance(p, 0);
        if (atmVariance <= 0) revert AtmVarianceNotPositive(atmVariance);
        uint256 tau = expiry - block.timestamp;
        uint256 atmVolWad = SVI.annualisedVol(uint256(atmVariance), tau);

        PackedSurface memory prev = _surfaces[expiry];
        Config memory cfg = _config;
        // The move bound only applies against a previous surface at most maxAge old, for the
        // same reason as the spot jump bound: after an outage the market may really have moved
        // further. Only maxAge, not the tenor rule: near expiry the keeper's posts stay bounded.
        // Against an anchor at least a jump window old, so that posts cannot compound across the
        // window's edge, and against the previous surface, so that they cannot swing around the
        // anchor (as in SpotOracle.post); the first post after an outage becomes the anchor.
        if (prev.updatedAt != 0 && block.timestamp - prev.updatedAt <= cfg.maxAge) {
            PackedSurface memory anchor = _advanceAnchor(expiry, prev, cfg);
            _checkMove(p, tau, _unpack(anchor), expiry - anchor.updatedAt, cfg.maxAtmMoveWad);
            // By content, not by time: a clamped candidate keeps its post's time, and two posts
            // can share a second.
            if (!_same(anchor, prev)) {
                _checkMove(p, tau, _unpack(prev), expiry - prev.updatedAt, cfg.maxAtmMoveWad);
            }
        } else {
            delete _candidates[expiry];
            _anchors[expiry] = _pack(p);
        }

        _surfaces[expiry] = _pack(p);
        ++postCount;
        emit SurfacePosted(expiry, p.a, p.b, p.rho, p.m, p.sigma, atmVolWad, msg.sender);
    }

    /// @dev The move bound's reference for a post now (see SpotOracle._advanceAnchor): a
    /// candidate a window old becomes the anchor, the previous surface the next candidate,
    /// clamped into the band of the anchor it will follow (`_candidateOf`; round 10, F4 on a
    /// board's surface).
    function _advanceAnchor(uint256 expiry, PackedSurface memory prev, Config memory cfg)
        private
        returns (PackedSurface memory anchor)
    {
        if (cfg.jumpWindow == 0) return prev; // the per-post bound, as SpotOracle
        anchor = _anchors[expiry];
        PackedSurface memory candidate = _candidates[expiry];
        if (candidate.updatedAt == 0) {
            _candidates[expiry] = _candidateOf(expiry, prev, anchor, cfg.maxAtmMoveWad);
        } else if (block.timestamp - candidate.updatedAt >= cfg.jumpWindow) {
            anchor = candidate;
            _anchors[expiry] = candidate;
            _candidates[expiry] = _candidateOf(expiry, prev, candidate, cfg.maxAtmMoveWad);
        }
    }

    /// @dev `prev` as the next anchor: as posted when its five smile points lie in the band of
    /// `anchor` (the one it will follow; the points and the band of `_checkMove` at prev's own
    /// tenor), else its variance scaled by one common factor c (a and b times c: ρ, m, σ and so
    /// the smile's shape kept), the factor closest to 1 that puts every point in the band, moved
    /// 1e-9 further in (rounding: the scaled surface is checked again, exactly), and only when
    /// every scaled point lies between prev's and the anchor's at that point (the clamp only
    /// narrows the reference, never lifts a point above both sources). Where no common factor
    /// fits (prev's shape differs from the anchor's by more than the band's width), a point would
    /// leave its sources, or the check fails, the candidate is the anchor itself (the reference does not move; it matures at
    /// the next post, whose previous surface is then tried). A clamp, not a refusal: the
    /// candidate is only a future reference, the posted surface stands. As in SpotOracle, every
    /// anchor is then within one band of the one before, and the previous surface (within one
    /// band of the old anchor) within (1+m)/(1−m) of the new one at every point, so the two bands
    /// meet: some surface can be posted (exactly so for surfaces of one shape, whose vol ratios
    /// are the same at every k; across shapes, up to the points' move as σ_atm and τ change).
    /// Virtual only for the test mock that records the previous surface as it is
    /// (contracts/mocks/NaiveBandVolOracle.sol).
    function _candidateOf(uint256 expiry, PackedSurface memory prev, PackedSurface memory anchor, uint256 maxMove)
        internal
        pure
        virtual
        returns (PackedSurface memory)
    {
        if (_same(prev, anchor)) return prev;
        uint256 tau = expiry - prev.updatedAt;
        uint256 anchorTau = expiry - anchor.updatedAt;
        SviParams memory ref = _unpack(anchor);
        SviParams memory p = _unpack(prev);
        (, uint256[5] memory newRates, uint256[5] memory oldRates) = _rates(p, tau, ref, anchorTau);
        (uint256 hiWad, uint256 loWad) = _band(maxMove);
        if (_inBand(newRates, oldRates, hiWad, loWad)) return prev;

        // c·newRate ≤ hi·oldRate and ≥ lo·oldRate at every point (c wad): c in [cLo, cHi].
        uint256 cHi = type(uint256).max;
        uint256 cLo = 0; // raised to the largest lower bound below
        for (uint256 i; i < 5; i++) {
            if (newRates[i] == 0) return anchor; // no factor lifts a zero variance
            uint256 up = FixedPointMathLib.fullMulDiv(hiWad * oldRates[i], 1e18, newRates[i]);
            uint256 down = FixedPointMathLib.fullMulDivUp(loWad * oldRates[i], 1e18, newRates[i]);
            if (up < cHi) cHi = up;
            if (down > cLo) cLo = down;
        }
        // Out of the band at c = 1: cHi < 1 (scale down to the upper edge) or cLo > 1 (up to the
        // lower one). A factor beyond 1e18 either way is no smile of this market: the anchor.
        uint256 c = cHi < 1e18 ? cHi - cHi / 1e9 : cLo + cLo / 1e9;
        if (c < cLo || c > cHi || c == 0 || c > 1e36) return anchor;

        int256 a = p.a * int256(c) / WAD;
        int256 b = p.b * int256(c) / WAD;
        if (a > MAX_PARAM_WAD || a < -MAX_PARAM_WAD || b > MAX_PARAM_WAD) return anchor;
        p.a = a;
        p.b = b;
        uint256[5] memory postedRates = newRates;
        (, newRates, oldRates) = _rates(p, tau, ref, anchorTau);
        if (newRates[0] == 0 || !_inBand(newRates, oldRates, hiWad, loWad)) return anchor;
        // One factor moves every point: one point below the band lifts the others, maybe above
        // both the surface posted and the anchor (a reference nobody posted, above them all:
        // round 11, V1). Each point must stay between its two sources, else the anchor.
        if (!_between(newRates, postedRates, oldRates)) return anchor;
        // Safe casts: a and b within MAX_PARAM_WAD (checked above), b ≥ 0 (c > 0).
        return PackedSurface({
            a: int96(a),
            m: prev.m,
            updatedAt: prev.updatedAt,
            b: uint96(uint256(b)),
            rho: prev.rho,
            sigma: prev.sigma
        });
    }

    /// @dev Whether two stored surfaces are the same (parameters and time).
    function _same(PackedSurface memory x, PackedSurface memory y) private pure returns (bool) {
        return x.updatedAt == y.updatedAt && x.a == y.a && x.b == y.b && x.rho == y.rho && x.m == y.m
            && x.sigma == y.sigma;
    }

    /// @dev A posted surface as stored now. Safe casts: ranges checked in `_checkParams`.
    function _pack(SviParams calldata p) private view returns (PackedSurface memory) {
        return PackedSurface({
            a: int96(p.a),
            m: int96(p.m),
            updatedAt: uint64(block.timestamp),
            b: uint96(uint256(p.b)),
            rho: int64(p.rho),
            sigma: uint96(uint256(p.sigma))
        });
    }

    /* ADMIN */

    /// @notice Replaces the configuration. Admin only. Counts as a post: a mark stores the
    /// `freshUntil` its surfaces had under the old `maxAge`, and a lowered one must end it now,
    /// not at the old horizon (finding A1).
    function setConfig(Config calldata config_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setConfig(config_);
        ++postCount;
    }

    /* VIEWS */

    /// @inheritdoc IVolOracle
    function getParams(uint256 expiry) external view returns (SviParams memory params, uint256 updatedAt) {
        (params, updatedAt,) = getParamsUntil(expiry);
    }

    /// @inheritdoc IVolOracle
    function getParamsUntil(uint256 expiry)
        public
        view
        returns (SviParams memory params, uint256 updatedAt, uint256 freshUntil)
    {
        PackedSurface memory s;
        (s, freshUntil) = _freshSurface(expiry);
        params = _unpack(s);
        if (block.timestamp > s.updatedAt) {
            // Fresh implies age <= fraction·τ_post < τ_post, so expiry > block.timestamp here.
            params = _atTauNow(params, expiry - block.timestamp, expiry - s.updatedAt);
        }
        return (params, s.updatedAt, freshUntil);
    }

    /// @inheritdoc IVolOracle
    function atmVol(uint256 expiry) external view returns (uint256 volWad) {
        (PackedSurface memory s,) = _freshSurface(expiry);
        if (expiry <= block.timestamp) revert ExpiryNotInFuture(expiry, block.timestamp);
        // The posted vol exactly (the one `SurfacePosted` reported), not a rescaled recomputation.
        return SVI.annualisedVol(uint256(SVI.totalVariance(_unpack(s), 0)), expiry - s.updatedAt);
    }

    /// @inheritdoc IVolOracle
    function config() external view returns (Config memory) {
        return _config;
    }

    /* INTERNAL */

    function _checkParams(SviParams memory p) private pure {
        if (p.b < 0) revert NegativeB(p.b);
        if (p.rho <= -WAD || p.rho >= WAD) revert RhoOutOfRange(p.rho);
        if (p.sigma <= 0) revert NonPositiveSigma(p.sigma);
        if (p.a > MAX_PARAM_WAD || p.a < -MAX_PARAM_WAD) revert ParameterOutOfRange("a", p.a);
        if (p.b > MAX_PARAM_WAD) revert ParameterOutOfRange("b", p.b);
        if (p.m > MAX_PARAM_WAD || p.m < -MAX_PARAM_WAD) revert ParameterOutOfRange("m", p.m);
        if (p.sigma > MAX_PARAM_WAD) revert ParameterOutOfRange("sigma", p.sigma);

        uint256 absRho = uint256(p.rho >= 0 ? p.rho : -p.rho);
        // Lee's moment bound: the wing slopes b(1 ± rho) of total variance are at most 2.
        uint256 slope = uint256(p.b) * (1e18 + absRho) / 1e18;
        if (slope > 2e18) revert WingTooSteep(slope);

        // Minimum of w over k: a + b·sigma·sqrt(1 - rho²). Rounded down (the sqrt floors), so
        // a surface is never accepted on rounding alone.
        uint256 oneMinusRho2 = 1e18 - absRho * absRho / 1e18;
        int256 root = int256((oneMinusRho2 * 1e18).sqrt());
        // Floor division first on purpose: the bound must round down, and pricing.oracle_units
        // reproduces exactly these steps (min_variance_wad).
        // slither-disable-next-line divide-before-multiply
        int256 minVariance = p.a + (p.b * p.sigma / WAD) * root / WAD;
        if (minVariance < 0) revert NegativeMinimumVariance(minVariance);
    }

    /// @dev The stored surface of `expiry` and the last second it is fresh, reverting `NoSurface`
    /// or `StaleSurface`. The tenor bound fraction·τ_post rounds down: a surface is never fresh
    /// on rounding alone.
    function _freshSurface(uint256 expiry) private view returns (PackedSurface memory s, uint256 freshUntil) {
        s = _surfaces[expiry];
        if (s.updatedAt == 0) revert NoSurface(expiry);
        Config memory cfg = _config;
        uint256 maxAge = (expiry - s.updatedAt) * cfg.maxAgeTauFractionWad / 1e18;
        if (maxAge > cfg.maxAge) maxAge = cfg.maxAge;
        // An addition: a read at a time before the post is fresh, not a Panic (as SpotOracle).
        freshUntil = s.updatedAt + maxAge;
        if (block.timestamp > freshUntil) revert StaleSurface(expiry, s.updatedAt, maxAge);
    }

    /// @dev Compares the posted vols of `p` (tenor `tau`) with the anchor's posted vols (tenor
    /// `anchorTau`, its own τ_post) at k = z·σ_atm·√τ, z ∈ {−2, −1, 0, 1, 2}, σ_atm the anchor's
    /// ATM vol: both sides in the same, annualised meaning, at the same k.
    function _checkMove(SviParams memory p, uint256 tau, SviParams memory anchor, uint256 anchorTau, uint256 maxMove)
        private
        pure
    {
        (int256[5] memory ks, uint256[5] memory newRates, uint256[5] memory oldRates) = _rates(p, tau, anchor, anchorTau);
        (uint256 hiWad, uint256 loWad) = _band(maxMove);
        for (uint256 i; i < 5; i++) {
            // The squares are wads on purpose (see `_band`), so the products stay far from overflow.
            if (newRates[i] > hiWad * oldRates[i] || newRates[i] < loWad * oldRates[i]) {
                // The vols themselves only for the error.
                uint256 newVol = SVI.impliedVolOrZero(p, ks[i], tau);
                uint256 oldVol = SVI.impliedVolOrZero(anchor, ks[i], anchorTau);
                if (ks[i] == 0) revert AtmVolMoveTooLarge(newVol, oldVol, maxMove);
                revert VolMoveTooLarge(ks[i], newVol, oldVol, maxMove);
            }
        }
    }

    /// @dev The five smile points k (ATM first, so that a move of the whole smile reports as the
    /// ATM move it is) and, at each, the two sides of the comparison: newRate = w_p(k)·τ_anchor·1e18
    /// and oldRate = w_anchor(k)·τ. |σ_new − σ_old| ≤ m·σ_old is (1 − m)² ≤ (w_new/τ) /
    /// (w_old/τ_anchor) ≤ (1 + m)²: compared cross-multiplied, without the two square roots per
    /// point.
    function _rates(SviParams memory p, uint256 tau, SviParams memory anchor, uint256 anchorTau)
        private
        pure
        returns (int256[5] memory ks, uint256[5] memory newRates, uint256[5] memory oldRates)
    {
        // σ_atm·√τ = √(w_anchor(0)·τ/τ_anchor), wad; w_anchor(0) > 0 by the check at its post (a
        // clamped candidate's by `_candidateOf`).
        uint256 anchorAtmVariance = uint256(SVI.totalVariance(anchor, 0));
        int256 step = int256((anchorAtmVariance * tau * 1e18 / anchorTau).sqrt());
        int8[5] memory zs = [int8(0), -1, 1, -2, 2];
        for (uint256 i; i < 5; i++) {
            int256 k = zs[i] * step;
            ks[i] = k;
            newRates[i] = _nonNegative(SVI.totalVariance(p, k)) * anchorTau * 1e18;
            oldRates[i] = _nonNegative(SVI.totalVariance(anchor, k)) * tau;
        }
    }

    /// @dev The band on the variance ratio, (1 − m)² to (1 + m)², wads. Both squares round towards
    /// the stricter bound (hi down, lo up), by at most 1e-18 of the variance ratio.
    function _band(uint256 maxMove) private pure returns (uint256 hiWad, uint256 loWad) {
        hiWad = (1e18 + maxMove) * (1e18 + maxMove) / 1e18;
        loWad = ((1e18 - maxMove) * (1e18 - maxMove) + 1e18 - 1) / 1e18;
    }

    /// @dev Whether every point's rates lie in the band (`_checkMove` without the revert).
    function _inBand(uint256[5] memory newRates, uint256[5] memory oldRates, uint256 hiWad, uint256 loWad)
        private
        pure
        returns (bool)
    {
        for (uint256 i; i < 5; i++) {
            if (newRates[i] > hiWad * oldRates[i] || newRates[i] < loWad * oldRates[i]) return false;
        }
        return true;
    }

    /// @dev Whether every point's new rate lies between its rate as posted and its anchor rate
    /// (both ends included). New and posted rates carry the wad factor of `_rates`, anchor rates not.
    function _between(uint256[5] memory newRates, uint256[5] memory postedRates, uint256[5] memory anchorRates)
        private
        pure
        returns (bool)
    {
        for (uint256 i; i < 5; i++) {
            uint256 anchorRate = anchorRates[i] * 1e18;
            (uint256 lo, uint256 hi) =
                postedRates[i] < anchorRate ? (postedRates[i], anchorRate) : (anchorRate, postedRates[i]);
            if (newRates[i] < lo || newRates[i] > hi) return false;
        }
        return true;
    }

    /// @dev The posted surface `p` (total variance over `tauPost`) as the total variance of the
    /// same vols over `tauNow`: a and b scaled by τ_now/τ_post. Truncates towards zero: at most
    /// 1 wei of a and b, far below any slice's variance (see IVolOracle). Virtual for the test
    /// mock that serves the posted total variance as is, as 6507dee did: read over a shorter τ,
    /// its vols grow as √(τ_post/τ_now) (contracts/mocks/NaiveVolOracle.sol, finding 9).
    function _atTauNow(SviParams memory p, uint256 tauNow, uint256 tauPost)
        internal
        pure
        virtual
        returns (SviParams memory)
    {
        p.a = p.a * int256(tauNow) / int256(tauPost);
        p.b = p.b * int256(tauNow) / int256(tauPost);
        return p;
    }

    /// @dev A total variance as a rate's numerator: ≤ 0 (a surface the checks would reject at
    /// that k) counts as 0, as `SVI.impliedVolOrZero` does.
    function _nonNegative(int256 w) private pure returns (uint256) {
        return w > 0 ? uint256(w) : 0;
    }

    function _unpack(PackedSurface memory s) private pure returns (SviParams memory) {
        return SviParams({a: s.a, b: int256(uint256(s.b)), rho: s.rho, m: s.m, sigma: int256(uint256(s.sigma))});
    }

    function _setConfig(Config memory c) private {
        if (c.maxAge == 0) revert InvalidConfig("maxAge", c.maxAge);
        if (c.maxAtmMoveWad == 0 || c.maxAtmMoveWad > 1e18) revert InvalidConfig("maxAtmMoveWad", c.maxAtmMoveWad);
        // Below 100%: a surface is stale before its expiry, so a fresh read always has τ_now > 0.
        if (c.maxAgeTauFractionWad == 0 || c.maxAgeTauFractionWad >= 1e18) {
            revert InvalidConfig("maxAgeTauFractionWad", c.maxAgeTauFractionWad);
        }
        // At most maxAge: the first post after an outage always resets the anchor (see `post`).
        if (c.jumpWindow > c.maxAge) revert InvalidConfig("jumpWindow", c.jumpWindow);
        _config = c;
        emit ConfigUpdated(c.maxAge, c.maxAtmMoveWad, c.maxAgeTauFractionWad, c.jumpWindow);
    }
}
// slither-disable-end incorrect-equality
