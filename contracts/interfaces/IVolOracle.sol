// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IVolOracle
/// @notice Raw SVI parameters of total implied variance per expiry, posted by the vol keeper:
///   w(k) = a + b * (rho * (k - m) + sqrt((k - m)^2 + sigma^2)),  k = ln(K / F),
/// where w is total variance (variance × years to expiry). All parameters are 18-decimal fixed
/// point (1e18 = 1.0); `b` and `sigma` are non-negative.
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
    /// @param maxAtmMoveWad Largest relative move of the ATM vol per update while the previous
    /// surface is fresh (1e18 = 100%).
    struct Config {
        uint32 maxAge;
        uint64 maxAtmMoveWad;
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
    /// @notice Thrown when the ATM vol moves more than `maxAtmMoveWad` against a fresh surface.
    error AtmVolMoveTooLarge(uint256 newAtmVolWad, uint256 previousAtmVolWad, uint256 maxAtmMoveWad);
    /// @notice Thrown when a reader asks for an expiry that has no surface.
    error NoSurface(uint256 expiry);
    /// @notice Thrown when a reader asks for a surface older than `maxAge`.
    error StaleSurface(uint256 expiry, uint256 updatedAt, uint256 maxAge);
    /// @notice Thrown when a configuration value is out of range.
    error InvalidConfig(string field, uint256 value);

    /* EVENTS */

    /// @notice Emitted for every accepted surface; `atmVolWad` is the annualised ATM vol.
    event SurfacePosted(
        uint256 indexed expiry, int256 a, int256 b, int256 rho, int256 m, int256 sigma, uint256 atmVolWad, address indexed keeper
    );
    /// @notice Emitted when the admin changes the configuration.
    event ConfigUpdated(uint256 maxAge, uint256 maxAtmMoveWad);

    /* FUNCTIONS */

    /// @notice Posts the SVI parameters of `expiry`. Vol-keeper role only.
    function post(uint256 expiry, SviParams calldata params) external;

    /// @notice Parameters of `expiry`; reverts `NoSurface` or `StaleSurface`.
    /// @return params 18 decimals. @return updatedAt Unix seconds of the post.
    function getParams(uint256 expiry) external view returns (SviParams memory params, uint256 updatedAt);

    /// @notice Annualised ATM (k = 0) implied vol of `expiry` now, 18 decimals (1e18 = 100%);
    /// reverts like `getParams`, and `ExpiryNotInFuture` once expired.
    function atmVol(uint256 expiry) external view returns (uint256 volWad);

    /// @notice The current configuration.
    function config() external view returns (Config memory);
}
