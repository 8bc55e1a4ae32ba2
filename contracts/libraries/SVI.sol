// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FixedPointMathLib} from "solady/src/utils/FixedPointMathLib.sol";
import {IVolOracle} from "../interfaces/IVolOracle.sol";

/// @title SVI
/// @notice Raw SVI total implied variance and the implied vol it gives, from the VolOracle's
/// 18-decimal parameters: w(k) = a + b·(ρ(k − m) + √((k − m)² + σ²)), k = ln(K/F) in wad.
/// Internally w is kept at 27 decimals, so that the vol of a one-minute option (w ~ 1e-10) keeps
/// 17 significant digits; results are truncated. Checked arithmetic: parameters are bounded by
/// the oracle (magnitudes ≤ 1e27), far inside what overflows.
library SVI {
    using FixedPointMathLib for uint256;

    /* ERRORS */

    /// @notice Thrown when the surface gives no positive variance at `k` (wad).
    error NonPositiveTotalVariance(int256 k, int256 totalVarianceWad);
    /// @notice Thrown when asked for an implied vol at or after expiry.
    error NoTimeToExpiry();

    /* CONSTANTS */

    uint256 internal constant SECONDS_PER_YEAR = 365 days;

    /* FUNCTIONS */

    /// @notice Total variance w(k) (variance × years), wad; may be ≤ 0 for parameters the
    /// oracle would reject.
    function totalVariance(IVolOracle.SviParams memory p, int256 k) internal pure returns (int256) {
        return _totalVariance27(p, k) / 1e9;
    }

    /// @notice Annualised implied vol √(w(k)/T) in wad (1e18 = 100%) at log-moneyness `k`
    /// (wad) with `tau` seconds to expiry (365-day years); reverts when w(k) ≤ 0 or tau = 0.
    function impliedVol(IVolOracle.SviParams memory p, int256 k, uint256 tau) internal pure returns (uint256) {
        int256 w27 = _totalVariance27(p, k);
        if (w27 <= 0) revert NonPositiveTotalVariance(k, w27 / 1e9);
        return _annualise27(uint256(w27), tau);
    }

    /// @notice `impliedVol`, or 0 where w(k) ≤ 0 (for marks, which must not revert); tau > 0.
    function impliedVolOrZero(IVolOracle.SviParams memory p, int256 k, uint256 tau) internal pure returns (uint256) {
        int256 w27 = _totalVariance27(p, k);
        return w27 > 0 ? _annualise27(uint256(w27), tau) : 0;
    }

    /// @notice √(w/T) in wad from a total variance `totalVarianceWad` (wad) and `tau` > 0 seconds.
    function annualisedVol(uint256 totalVarianceWad, uint256 tau) internal pure returns (uint256) {
        return _annualise27(totalVarianceWad * 1e9, tau);
    }

    /* PRIVATE */

    /// @dev w(k) with 27 decimals.
    function _totalVariance27(IVolOracle.SviParams memory p, int256 k) private pure returns (int256) {
        int256 d = k - p.m;
        // (d² + σ²) has 36 decimals; × 1e18 gives a root with 27.
        int256 root27 = int256((uint256(d * d + p.sigma * p.sigma) * 1e18).sqrt());
        return p.a * 1e9 + p.b * (p.rho * d / 1e9 + root27) / 1e18;
    }

    /// @dev √(w/T) in wad from a total variance with 27 decimals; reverts when tau = 0.
    function _annualise27(uint256 totalVariance27, uint256 tau) private pure returns (uint256) {
        if (tau == 0) revert NoTimeToExpiry();
        // 27 + 9 = 36 decimals of variance per year under the root: 18 decimals of vol.
        return (totalVariance27 * SECONDS_PER_YEAR * 1e9 / tau).sqrt();
    }
}
