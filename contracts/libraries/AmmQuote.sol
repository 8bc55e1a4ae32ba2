// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FixedPointMathLib} from "solady/src/utils/FixedPointMathLib.sol";

/// @title AmmQuote
/// @notice Bid and ask per option around the Black-Scholes mid: the formula of
/// `pricing/quotes.py`, written once for the chain. With mid P, vega V (per 1.00 of vol), vol σ,
/// spot S, inventory i ∈ [−1, 1] (+ when the vault is net short) and utilisation u ∈ [0, 1]:
///     ask = P + V·σ·(halfSpread + skew·i + utilisationFee·u) + baseFee·S
///     bid = max(P − V·σ·(halfSpread − skew·i + utilisationFee·u) − baseFee·S, 0)
/// @dev All values wad (quote asset per option, fractions with 1e18 = 1). Rounding favours the
/// protocol: every term raises the ask rounded up and lowers the bid rounded up.
library AmmQuote {
    using FixedPointMathLib for uint256;

    uint256 internal constant WAD = 1e18;

    /// @param halfSpreadWad Half the spread as a fraction of vol (0.02e18 = 2% of σ).
    /// @param skewWad Inventory skew as a fraction of vol at full inventory.
    /// @param baseFeeWad Fee as a fraction of spot per option.
    /// @param utilisationFeeWad Fee as a fraction of vol at full utilisation.
    struct FeeParams {
        uint64 halfSpreadWad;
        uint64 skewWad;
        uint64 baseFeeWad;
        uint64 utilisationFeeWad;
    }

    /// @notice Ask per option, wad, rounded up.
    function ask(uint256 mid, uint256 spot, uint256 vega, uint256 vol, int256 inventoryWad, uint256 utilisationWad,
        FeeParams memory f) internal pure returns (uint256)
    {
        uint256 volMove = vega.mulWadUp(vol);
        uint256 up = uint256(f.halfSpreadWad) + uint256(f.utilisationFeeWad).mulWadUp(utilisationWad);
        uint256 skew = uint256(f.skewWad).mulWadUp(FixedPointMathLib.abs(inventoryWad));
        uint256 price = mid + volMove.mulWadUp(up) + spot.mulWadUp(f.baseFeeWad);
        if (inventoryWad >= 0) return price + volMove.mulWadUp(skew);
        uint256 discount = volMove.mulWad(skew);
        return price > discount ? price - discount : 0;
    }

    /// @notice Bid per option, wad, rounded down, floored at zero.
    function bid(uint256 mid, uint256 spot, uint256 vega, uint256 vol, int256 inventoryWad, uint256 utilisationWad,
        FeeParams memory f) internal pure returns (uint256)
    {
        uint256 volMove = vega.mulWadUp(vol);
        uint256 down = uint256(f.halfSpreadWad) + uint256(f.utilisationFeeWad).mulWadUp(utilisationWad);
        uint256 skew = uint256(f.skewWad).mulWad(FixedPointMathLib.abs(inventoryWad));
        uint256 cut = volMove.mulWadUp(down) + spot.mulWadUp(f.baseFeeWad);
        uint256 price = inventoryWad >= 0 ? mid + vega.mulWad(vol).mulWad(skew) : mid;
        if (inventoryWad < 0) cut += volMove.mulWadUp(skew);
        return price > cut ? price - cut : 0;
    }
}
