// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FixedPointMathLib} from "solady/src/utils/FixedPointMathLib.sol";
import {NormalCDF} from "./NormalCDF.sol";

/// @title BlackScholes
/// @notice Black-Scholes prices and Greeks at zero rate (the forward is the spot), 18-decimal
/// fixed point. Spot and strike in wad of the quote asset; `tau` in seconds to expiry (365-day
/// years); `vol` annualised, 1e18 = 100%. Prices are in the quote asset per unit of underlying.
/// Accuracy: Φ is within 1e-16 absolute (NormalCDF), so prices are within about 1e-15 × spot;
/// the Python engine (pricing.black_scholes) is the reference, checked by differential tests.
/// Domain: strike/spot in [0.05, 20], tau in [1 minute, 5 years] or exactly 0 (intrinsic value),
/// vol in [1%, 1000%]; outside it a custom error, never a number.
library BlackScholes {
    using FixedPointMathLib for uint256;

    /* TYPES */

    /// @notice Prices and first-order Greeks of the call and put at one strike.
    /// @param callDelta ∂call/∂spot in wad (0..1e18); the put's is callDelta − 1e18.
    /// @param vega ∂price/∂vol per 1.00 of vol, in quote asset wad (equal for call and put).
    struct Pricing {
        uint256 call;
        uint256 put;
        uint256 callDelta;
        uint256 vega;
    }

    /* ERRORS */

    /// @notice Thrown when strike/spot is outside [0.05, 20] (or either is zero).
    error MoneynessOutOfDomain(uint256 spot, uint256 strike);
    /// @notice Thrown when 0 < tau < 1 minute or tau > 5 years.
    error ExpiryOutOfDomain(uint256 tau);
    /// @notice Thrown when vol is outside [1%, 1000%].
    error VolOutOfDomain(uint256 vol);

    /* CONSTANTS */

    uint256 internal constant WAD = 1e18;
    uint256 internal constant SECONDS_PER_YEAR = 365 days;
    uint256 internal constant MIN_TAU = 1 minutes;
    uint256 internal constant MAX_TAU = 5 * 365 days;
    uint256 internal constant MIN_VOL = 0.01e18;
    uint256 internal constant MAX_VOL = 10e18;
    /// @dev 1/√(2π) in wad, rounded to nearest.
    uint256 internal constant INV_SQRT_2PI = 398942280401432678;

    /* PRICES */

    /// @notice Call and put prices, call delta and vega (units in the struct's docs).
    function price(uint256 spot, uint256 strike, uint256 tau, uint256 vol) internal pure returns (Pricing memory p) {
        _checkDomain(spot, strike, tau, vol);
        if (tau == 0) return _atExpiry(spot, strike);
        (int256 d1, int256 d2, uint256 sqrtT) = _d1d2(spot, strike, tau, vol);
        (uint256 pdf1, uint256 pdf2) = _densities(d1, d2, spot, strike);
        p.callDelta = _cdf(d1, pdf1);
        p.vega = spot * pdf1 / WAD * sqrtT / WAD;
        // S·Φ(d1) ≥ K·Φ(d2) in exact arithmetic; rounding may cross by a few wei at the far tails.
        uint256 a = spot * p.callDelta / WAD;
        uint256 b = strike * _cdf(d2, pdf2) / WAD;
        p.call = a > b ? a - b : 0;
        // Put-call parity at zero rate: exact in integers, since Φ(−d) = 1 − Φ(d) here.
        p.put = p.call + strike >= spot ? p.call + strike - spot : 0;
    }

    /// @notice Call price only (same accuracy and domain as `price`).
    function callPrice(uint256 spot, uint256 strike, uint256 tau, uint256 vol) internal pure returns (uint256) {
        return price(spot, strike, tau, vol).call;
    }

    /// @notice Put price only (same accuracy and domain as `price`).
    function putPrice(uint256 spot, uint256 strike, uint256 tau, uint256 vol) internal pure returns (uint256) {
        return price(spot, strike, tau, vol).put;
    }

    /// @notice Standard normal CDF Φ(x), x and result in wad, within 1e-16 absolute.
    function cdf(int256 x) internal pure returns (uint256) {
        return _cdf(x, _pdf(FixedPointMathLib.abs(x)));
    }

    /* PRIVATE */

    function _checkDomain(uint256 spot, uint256 strike, uint256 tau, uint256 vol) private pure {
        // strike/spot in [0.05, 20] ⇔ 20·strike ≥ spot and strike ≤ 20·spot.
        if (spot == 0 || strike * 20 < spot || strike > spot * 20) revert MoneynessOutOfDomain(spot, strike);
        if ((tau != 0 && tau < MIN_TAU) || tau > MAX_TAU) revert ExpiryOutOfDomain(tau);
        if (vol < MIN_VOL || vol > MAX_VOL) revert VolOutOfDomain(vol);
    }

    /// @dev d1, d2 (wad) and √T (wad, exact to a wei from the integer square root). Total vol
    /// is kept at 36 decimals so that d1 = x/s + s/2 keeps 18 digits even when s ~ 1e-5.
    function _d1d2(uint256 spot, uint256 strike, uint256 tau, uint256 vol)
        private
        pure
        returns (int256 d1, int256 d2, uint256 sqrtT)
    {
        int256 x = FixedPointMathLib.lnWad(int256(spot * WAD / strike));
        sqrtT = (tau * 1e36 / SECONDS_PER_YEAR).sqrt();
        uint256 s36 = vol * sqrtT;
        d1 = x * 1e36 / int256(s36) + int256(s36 / 2e18);
        d2 = d1 - int256(s36 / 1e18);
    }

    function _atExpiry(uint256 spot, uint256 strike) private pure returns (Pricing memory p) {
        p.call = spot > strike ? spot - strike : 0;
        p.put = strike > spot ? strike - spot : 0;
        // The limit of Φ(d1) as tau → 0: a step, ½ exactly at the money.
        p.callDelta = spot > strike ? WAD : (spot == strike ? WAD / 2 : 0);
    }

    /// @dev φ(d1) and φ(d2) from one exponential: φ(d2) = φ(d1)·S/K. The smaller |d| is
    /// exponentiated and the other derived with a ratio ≤ 1, so no error is amplified.
    function _densities(int256 d1, int256 d2, uint256 spot, uint256 strike)
        private
        pure
        returns (uint256 pdf1, uint256 pdf2)
    {
        uint256 a1 = FixedPointMathLib.abs(d1);
        uint256 a2 = FixedPointMathLib.abs(d2);
        if (a1 <= a2) {
            pdf1 = _pdf(a1);
            pdf2 = pdf1 * spot / strike;
        } else {
            pdf2 = _pdf(a2);
            pdf1 = pdf2 * strike / spot;
        }
    }

    /// @dev φ(|x|) in wad; 0 where |x| ≥ X_MAX (below 1e-16, and no CDF needs it there).
    function _pdf(uint256 ax) private pure returns (uint256) {
        if (ax >= NormalCDF.X_MAX) return 0;
        return uint256(FixedPointMathLib.expWad(-int256(ax * ax / 2e18))) * INV_SQRT_2PI / WAD;
    }

    /// @dev Φ(x) given φ(x): φ·R(|x|) for the lower tail, reflected for x > 0; beyond X_MAX
    /// the tail is 0.
    function _cdf(int256 x, uint256 pdf) private pure returns (uint256) {
        uint256 ax = FixedPointMathLib.abs(x);
        uint256 lower = ax >= NormalCDF.X_MAX ? 0 : pdf * uint256(NormalCDF.millsRatio(ax)) / WAD;
        return x >= 0 ? WAD - lower : lower;
    }
}
