// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FixedPointMathLib} from "solady/src/utils/FixedPointMathLib.sol";
import {NormalCDF} from "./NormalCDF.sol";

/// @title BlackScholes
/// @notice Black-Scholes prices and Greeks at zero rate (the forward is the spot), 18-decimal
/// fixed point. Spot and strike in wad of the quote asset; `tau` in seconds to expiry (365-day
/// years); `vol` annualised, 1e18 = 100%. Prices are in the quote asset per unit of underlying.
/// Accuracy: Φ is within 3e-16 absolute (NormalCDF), so prices are within about 1e-15 × spot
/// plus 3e-16 × strike and a few wei (measured: 1.1e-14 × spot at most, K/S up to 20); the
/// Python engine (pricing.black_scholes) is the reference, checked by differential tests.
/// Results are truncated (never rounded up); a caller that charges or pays a price rounds in
/// the protocol's favour itself (the AMM adds its spread to the exact figure).
/// Domain: strike/spot in [0.05, 20], spot at most 1e36 (1e18 units of the quote asset), tau in
/// [1 minute, 5 years] or exactly 0 (intrinsic value), vol in [1%, 1000%]; outside it a custom
/// error, never a number. Inside it no intermediate can overflow (bounds next to each step), so
/// the arithmetic is unchecked.
library BlackScholes {
    using FixedPointMathLib for uint256;

    /* ERRORS */

    /// @notice Thrown when strike/spot is outside [0.05, 20], spot is 0 or above `MAX_SPOT`.
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
    /// @notice Largest spot (wad): 1e18 units of the quote asset, far above any real price.
    uint256 internal constant MAX_SPOT = 1e36;
    /// @dev ln √(2π) in wad, rounded to nearest: φ(x) = exp(−x²/2 − ln √(2π)), one exponential.
    uint256 internal constant LN_SQRT_2PI = 918938533204672742;

    /* PRICES */

    /// @notice Call and put prices, call delta and vega.
    /// @return call Call price, quote asset wad.
    /// @return put Put price, quote asset wad.
    /// @return callDelta ∂call/∂spot in wad (0..1e18); the put's is callDelta − 1e18.
    /// @return vega ∂price/∂vol per 1.00 of vol, quote asset wad (equal for call and put).
    function price(uint256 spot, uint256 strike, uint256 tau, uint256 vol)
        internal
        pure
        returns (uint256 call, uint256 put, uint256 callDelta, uint256 vega)
    {
        checkDomain(spot, strike, tau, vol);
        if (tau == 0) return atExpiry(spot, strike);
        return priceAt(spot, strike, logMoneyness(spot, strike), tau, vol);
    }

    /// @notice `price` for a caller that has checked the domain (`checkDomain`), handled
    /// tau = 0 (`atExpiry`) and computed x = ln(spot/strike) (`logMoneyness`): the quote path
    /// shares x with the SVI surface. Unchecked: outside the domain the result is meaningless.
    function priceAt(uint256 spot, uint256 strike, int256 x, uint256 tau, uint256 vol)
        internal
        pure
        returns (uint256 call, uint256 put, uint256 callDelta, uint256 vega)
    {
        return priceAtRoot(spot, strike, x, sqrtYears27(tau), vol);
    }

    /// @notice `priceAt` with √(tau in years) given, 27 decimals (`sqrtYears27`): a book pass
    /// computes it once an expiry, not once an option. The same digits as `priceAt`.
    function priceAtRoot(uint256 spot, uint256 strike, int256 x, uint256 sqrtT27, uint256 vol)
        internal
        pure
        returns (uint256 call, uint256 put, uint256 callDelta, uint256 vega)
    {
        uint256 cdf2;
        uint256 pdf1;
        uint256 s36;
        unchecked {
            // vol·√T ≤ 1e19·2.3e27: total vol with 36 decimals, ≥ 0.01·√(60 s/year)·1e36 ≈ 1.4e31.
            s36 = vol * sqrtT27 / 1e9;
        }
        (callDelta, cdf2, pdf1) = _normals(x, s36, spot, strike);
        unchecked {
            // spot·φ/WAD ≤ 4e35, times √T (27 decimals) ≤ 2.3e27.
            // Dividing first keeps spot·φ·√T inside 256 bits (the bound above); the truncation is
            // one wei of spot·φ, inside the documented error (intentional, not a precision bug).
            // slither-disable-next-line divide-before-multiply
            vega = spot * pdf1 / WAD * sqrtT27 / 1e27;
            // spot·Φ ≤ 1e36·1e18; one division, so the difference is truncated once. S·Φ(d1) ≥
            // K·Φ(d2) in exact arithmetic; rounding may cross by a few wei at the tails.
            call = spot * callDelta > strike * cdf2 ? (spot * callDelta - strike * cdf2) / WAD : 0;
            // Put-call parity at zero rate: exact in integers, since Φ(−d) = 1 − Φ(d) here.
            put = call + strike > spot ? call + strike - spot : 0;
        }
    }

    /// @notice Call price only (same accuracy and domain as `price`).
    function callPrice(uint256 spot, uint256 strike, uint256 tau, uint256 vol) internal pure returns (uint256 call) {
        (call,,,) = price(spot, strike, tau, vol);
    }

    /// @notice Put price only (same accuracy and domain as `price`).
    function putPrice(uint256 spot, uint256 strike, uint256 tau, uint256 vol) internal pure returns (uint256 put) {
        (, put,,) = price(spot, strike, tau, vol);
    }

    /// @notice Standard normal CDF Φ(x), x and result in wad, within 3e-16 absolute.
    function cdf(int256 x) internal pure returns (uint256) {
        uint256 ax = FixedPointMathLib.abs(x);
        // Past X_END the tail is below 1e-20, so 0; the check also keeps ax² in _pdf from wrapping.
        return _reflect(x, ax < NormalCDF.X_END ? NormalCDF.lowerTail(ax, _pdf(ax)) : 0);
    }

    /* BUILDING BLOCKS (for the quote path) */

    /// @notice Reverts with the domain's custom error unless the inputs are inside it.
    function checkDomain(uint256 spot, uint256 strike, uint256 tau, uint256 vol) internal pure {
        bool bad;
        bool badMoneyness = _badMoneyness(spot, strike);
        bool badTau = _badTau(tau);
        bool badVol = _badVol(vol);
        /// @solidity memory-safe-assembly
        assembly {
            // One branch on the happy path; the error is told apart only when something is wrong.
            bad := or(or(badMoneyness, badTau), badVol)
        }
        if (bad) {
            checkOption(spot, strike, tau);
            checkVol(vol);
        }
    }

    /// @notice The domain's checks on spot, strike and time to expiry.
    function checkOption(uint256 spot, uint256 strike, uint256 tau) internal pure {
        if (_badMoneyness(spot, strike)) revert MoneynessOutOfDomain(spot, strike);
        if (_badTau(tau)) revert ExpiryOutOfDomain(tau);
    }

    /// @notice The domain's check on vol.
    function checkVol(uint256 vol) internal pure {
        if (_badVol(vol)) revert VolOutOfDomain(vol);
    }

    /// @notice ln(spot/strike) in wad (Solady's lnWad: within a wei of the rounded ratio).
    function logMoneyness(uint256 spot, uint256 strike) internal pure returns (int256) {
        int256 ratio;
        /// @solidity memory-safe-assembly
        assembly {
            // spot ≤ 1e36, so spot·WAD < 2^255, and strike ≥ spot/20 > 0 (no zero check needed);
            // the ratio is ≥ 5e16, so its truncation is ≤ 2e-17 relative.
            ratio := div(mul(spot, WAD), strike)
        }
        return FixedPointMathLib.lnWad(ratio);
    }

    /// @notice Value at expiry: intrinsic, and the limit of Φ(d1) as tau → 0 for the delta (a
    /// step, ½ exactly at the money); vega is 0.
    function atExpiry(uint256 spot, uint256 strike)
        internal
        pure
        returns (uint256 call, uint256 put, uint256 callDelta, uint256 vega)
    {
        if (spot > strike) return (spot - strike, 0, WAD, 0);
        if (spot < strike) return (0, strike - spot, 0, 0);
        return (0, 0, WAD / 2, 0);
    }

    /* PRIVATE */

    // The domain predicates are written in assembly because checked Solidity spends ~300 gas on
    // them; each is branch-free.

    function _badMoneyness(uint256 spot, uint256 strike) private pure returns (bool bad) {
        /// @solidity memory-safe-assembly
        assembly {
            // strike/spot in [0.05, 20] ⇔ strike ≤ 20·spot and 20·strike ≥ spot. 20·spot cannot
            // overflow once spot ≤ MAX_SPOT; 20·strike may, but only for a strike that fails the
            // first test.
            bad := or(or(iszero(spot), gt(spot, MAX_SPOT)), or(gt(strike, mul(spot, 20)), lt(mul(strike, 20), spot)))
        }
    }

    function _badTau(uint256 tau) private pure returns (bool bad) {
        /// @solidity memory-safe-assembly
        assembly {
            // 0 < tau < MIN_TAU ⇔ tau − 1 < MIN_TAU − 1 (tau = 0 wraps to the top).
            bad := or(lt(sub(tau, 1), sub(MIN_TAU, 1)), gt(tau, MAX_TAU))
        }
    }

    function _badVol(uint256 vol) private pure returns (bool bad) {
        /// @solidity memory-safe-assembly
        assembly {
            // vol ∉ [MIN, MAX] ⇔ vol − MIN > MAX − MIN (below MIN wraps to the top).
            bad := gt(sub(vol, MIN_VOL), sub(MAX_VOL, MIN_VOL))
        }
    }

    /// @dev √(tau in years) with 27 decimals, within 1e-27 (the root is floored).
    /// @notice √(tau / SECONDS_PER_YEAR) with 27 decimals, rounded down; tau ≤ MAX_TAU.
    function sqrtYears27(uint256 tau) internal pure returns (uint256) {
        unchecked {
            // tau·1e54 ≤ 1.6e62.
            return (tau * 1e54 / SECONDS_PER_YEAR).sqrt();
        }
    }

    /// @dev Φ(d1), Φ(d2) and φ(d1) for log-moneyness x (wad) and total vol s36 = σ√T (36
    /// decimals, so that d1 = x/s + s/2 keeps 18 digits even when s ~ 1e-5). One exponential
    /// serves both densities: φ(d2) = φ(d1)·S/K, since d1² − d2² = 2x. The smaller |d| is
    /// exponentiated and the other density derived with a ratio ≤ 1, so no error is amplified.
    /// No branch for the tails: past NormalCDF.X_END both densities are exactly 0 (the exponent
    /// underflows past |d| = 9.003, and the derived density, the smaller, belongs to a |d| at most
    /// √(9.003² + 2·ln 20) = 9.33), and lowerTail gives 0 for a zero density.
    function _normals(int256 x, uint256 s36, uint256 spot, uint256 strike)
        private
        pure
        returns (uint256 cdf1, uint256 cdf2, uint256 pdf1)
    {
        int256 d1;
        int256 d2;
        uint256 a1;
        uint256 a2;
        /// @solidity memory-safe-assembly
        assembly {
            // |x| ≤ 3e18, so x·1e36 ≤ 3e54; s36 ≥ 1.4e31, so |d1| ≤ 2.2e23.
            d1 := add(sdiv(mul(x, 1000000000000000000000000000000000000), s36), div(s36, 2000000000000000000))
            d2 := sub(d1, div(s36, WAD))
            // |d| without a branch: (d + m) ^ m with m = d >> 255 (all ones when negative).
            let m := sar(255, d1)
            a1 := xor(add(d1, m), m)
            m := sar(255, d2)
            a2 := xor(add(d2, m), m)
        }
        uint256 pdf2;
        if (a1 <= a2) {
            pdf1 = _pdf(a1);
            /// @solidity memory-safe-assembly
            assembly {
                // φ ≤ 0.4e18 and spot, strike ≤ 2e37: the products stay below 1e56.
                pdf2 := div(mul(pdf1, spot), strike)
            }
        } else {
            pdf2 = _pdf(a2);
            /// @solidity memory-safe-assembly
            assembly {
                pdf1 := div(mul(pdf2, strike), spot)
            }
        }
        cdf1 = _reflect(d1, NormalCDF.lowerTail(a1, pdf1));
        cdf2 = _reflect(d2, NormalCDF.lowerTail(a2, pdf2));
    }

    /// @dev φ(|x|) in wad, as one exponential with the normalising constant in the exponent
    /// (0 from |x| = 9.003, where the exponent passes expWad's −41.45; |x| < 2^120).
    function _pdf(uint256 ax) private pure returns (uint256) {
        int256 exponent;
        /// @solidity memory-safe-assembly
        assembly {
            exponent := sub(0, add(div(mul(ax, ax), 2000000000000000000), LN_SQRT_2PI))
        }
        return uint256(FixedPointMathLib.expWad(exponent));
    }

    /// @dev Φ(x) from the lower tail Φ(−|x|): itself for x < 0, 1 − tail for x ≥ 0.
    function _reflect(int256 x, uint256 tail) private pure returns (uint256 p) {
        /// @solidity memory-safe-assembly
        assembly {
            // Branch-free: for x ≥ 0 add WAD − 2·tail (mask all ones), for x < 0 nothing (mask 0).
            p := add(tail, and(not(sar(255, x)), sub(WAD, shl(1, tail))))
        }
    }
}
