// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IVolOracle
/// @notice Raw SVI parameters of total implied variance per expiry, posted by the vol keeper:
///   w(k) = a + b * (rho * (k - m) + sqrt((k - m)^2 + sigma^2)),  k = ln(K / F),
/// where w is total variance (variance × years to expiry). All parameters are 18-decimal fixed
/// point (1e18 = 1.0); `b` and `sigma` are non-negative.
///
/// Meaning over time (design choice): a post fixes the annualised vols of its smile,
/// σ(k) = √(w_post(k) / τ_post) with τ_post = expiry − updatedAt. Reads serve the total variance
/// of those vols at the time of the read: `getParams` returns a and b multiplied by
/// τ_now / τ_post (ρ, m, σ unchanged), so w_now(k) = w_post(k)·τ_now/τ_post and every reader that
/// annualises with τ_now (√(w/τ_now)) gets the posted vols until the next post — the smile does
/// not inflate as expiry nears. The scaling truncates towards zero (Solidity's signed division):
/// at most 1 wei of a and of b, i.e. ≤ ~1e-18 of total variance, against the ≥ ~1e-10 of a
/// one-minute slice; it can neither turn a sane surface insane nor move a price by a unit.
/// Freshness is tied to the tenor: a surface is fresh while its age is at most `maxAge` AND at
/// most `maxAgeTauFractionWad`·τ_post, so a surface posted hours before expiry cannot price the
/// last minutes. `atmVol` and the post's move bound use the same (posted, annualised) meaning.
///
/// Move bound: a post's vols at five log-moneyness points k = z·σ_atm·√τ_now, z ∈ {−2,−1,0,1,2}
/// (σ_atm the anchor's ATM vol), may differ by at most `maxAtmMoveWad` (relative) from the
/// anchor surface's vols at the same k, and from the previous surface's. The anchor is a surface
/// at least `jumpWindow` old: moves are bounded per unit of time, not per post. The
/// bound is lifted when the previous surface is older than `maxAge` (an outage), not when it is
/// only stale by the tenor rule (the keeper's posts near expiry stay bounded).
///
/// Anchor and candidate (design note, round 10, F4 on a board's surface): the anchor is a
/// candidate at least `jumpWindow` old; when one becomes the anchor, the previous surface becomes
/// the next candidate, clamped into the band of the anchor it will follow, as SpotOracle clamps
/// its links: if one of its five points lies outside that band (the points and the band of the
/// move bound, at the candidate's own tenor), its total variance is scaled by one common factor
/// (a and b times c; ρ, m, σ, so the smile's shape, kept), the factor closest to 1 that puts
/// every point in the band, moved 1e-9 inside it and checked again exactly; where no common
/// factor fits (a shape further from the anchor's than the band is wide), the candidate is the
/// anchor itself. The posted surface is never changed, only the future reference. Every anchor
/// is then within one band of the one before, and the previous surface (within one band of the
/// old anchor) within (1+m)/(1−m) of the new anchor at every point, so the two bands meet: a
/// surface can always be posted (exactly for surfaces of one shape; across shapes up to the
/// points' move with σ_atm and τ). Unclamped, a wild path of accepted surfaces (vols ×1.45, then
/// ×0.55, then ×1.45² within about two windows) left the two bands disjoint and refused every
/// surface until the previous one was `maxAge` old (a board 4 h from expiry went stale for an
/// hour meanwhile). A per-point relaxation of the bound was broken before (round 6, H1: an
/// alternating ladder grew vols ×48 within a window); the clamp only narrows the reference.
interface IVolOracle {
    /* TYPES */

    struct SviParams {
        int256 a;
        int256 b;
        int256 rho;
        int256 m;
        int256 sigma;
    }

    /// @param maxAge Seconds after which a surface is stale for readers.
    /// @param maxAtmMoveWad Largest relative move of the vol at each of the five smile points
    /// (the ATM one included) from the anchor surface within one `jumpWindow`, while the
    /// previous surface is at most `maxAge` old (1e18 = 100%).
    /// @param maxAgeTauFractionWad A surface is also stale once its age exceeds this fraction of
    /// its tenor at the post, expiry − updatedAt (1e18 = 100%; in (0, 1e18), default 0.5e18).
    /// @param jumpWindow Seconds after which the move bound's anchor is reset to the previous
    /// surface; 0 bounds each post against the previous one only; at most `maxAge` (default 3600).
    struct Config {
        uint32 maxAge;
        uint64 maxAtmMoveWad;
        uint64 maxAgeTauFractionWad;
        uint32 jumpWindow;
    }

    /* ERRORS */

    /// @notice Thrown when posting for an expiry that is not in the future.
    error ExpiryNotInFuture(uint256 expiry, uint256 blockTimestamp);
    /// @notice Thrown when `b < 0`.
    error NegativeB(int256 b);
    /// @notice Thrown when `|rho| >= 1`.
    error RhoOutOfRange(int256 rho);
    /// @notice Thrown when `sigma <= 0`.
    error NonPositiveSigma(int256 sigma);
    /// @notice Thrown when a parameter's magnitude exceeds `MAX_PARAM_WAD`.
    error ParameterOutOfRange(string name, int256 value);
    /// @notice Thrown when the minimum total variance `a + b·sigma·sqrt(1 - rho²)` is negative.
    error NegativeMinimumVariance(int256 minVarianceWad);
    /// @notice Thrown when ATM total variance is not positive.
    error AtmVarianceNotPositive(int256 atmVarianceWad);
    /// @notice Thrown when a wing slope `b·(1 + |rho|)` exceeds 2 (Lee's moment bound, in
    /// total-variance units).
    error WingTooSteep(uint256 slopeWad);
    /// @notice Thrown when the ATM vol moves more than `maxAtmMoveWad` from the anchor surface's.
    error AtmVolMoveTooLarge(uint256 newAtmVolWad, uint256 previousAtmVolWad, uint256 maxAtmMoveWad);
    /// @notice Thrown when the vol at log-moneyness `k` (wad, k ≠ 0) moves more than
    /// `maxAtmMoveWad` from the anchor surface's vol at the same k.
    error VolMoveTooLarge(int256 k, uint256 newVolWad, uint256 previousVolWad, uint256 maxAtmMoveWad);
    /// @notice Thrown when a reader asks for an expiry that has no surface.
    error NoSurface(uint256 expiry);
    /// @notice Thrown when a reader asks for a surface older than `maxAge`, the effective bound:
    /// min(config maxAge, maxAgeTauFractionWad·(expiry − updatedAt)).
    error StaleSurface(uint256 expiry, uint256 updatedAt, uint256 maxAge);
    /// @notice Thrown when a configuration value is out of range.
    error InvalidConfig(string field, uint256 value);

    /* EVENTS */

    /// @notice Emitted for every accepted surface; `atmVolWad` is the annualised ATM vol.
    event SurfacePosted(
        uint256 indexed expiry, int256 a, int256 b, int256 rho, int256 m, int256 sigma, uint256 atmVolWad, address indexed keeper
    );
    /// @notice Emitted when the admin changes the configuration.
    event ConfigUpdated(uint256 maxAge, uint256 maxAtmMoveWad, uint256 maxAgeTauFractionWad, uint256 jumpWindow);

    /* FUNCTIONS */

    /// @notice Surfaces posted since deployment, any expiry, and configuration changes (a new
    /// `maxAge` re-dates every surface's freshness): a mark taken at one count is at the surfaces
    /// and configuration of the last post before it (the OptionBook's epoch mark checks it).
    function postCount() external view returns (uint64);

    /// @notice Posts the SVI parameters of `expiry`. Vol-keeper role only.
    function post(uint256 expiry, SviParams calldata params) external;

    /// @notice Parameters of `expiry` as total variance at the time of the read (a and b scaled by
    /// τ_now/τ_post, truncated towards zero; see the interface notes); reverts `NoSurface` or
    /// `StaleSurface`.
    /// @return params 18 decimals. @return updatedAt Unix seconds of the post.
    function getParams(uint256 expiry) external view returns (SviParams memory params, uint256 updatedAt);

    /// @notice `getParams`, and the last second (Unix) the surface is fresh: `updatedAt` plus
    /// its max age (the tenor rule included; always before `expiry`). A mark taken at these
    /// parameters is a mark at fresh inputs until then (the OptionBook's stored totals).
    function getParamsUntil(uint256 expiry)
        external
        view
        returns (SviParams memory params, uint256 updatedAt, uint256 freshUntil);

    /// @notice Annualised ATM (k = 0) implied vol of `expiry` as posted (held until the next post),
    /// 18 decimals (1e18 = 100%); reverts like `getParams`, and `ExpiryNotInFuture` once expired.
    function atmVol(uint256 expiry) external view returns (uint256 volWad);

    /// @notice The current configuration.
    function config() external view returns (Config memory);
}
