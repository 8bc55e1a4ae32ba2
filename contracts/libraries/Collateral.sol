// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FixedPointMathLib} from "solady/src/utils/FixedPointMathLib.sol";

/// @title Collateral
/// @notice Option values in the option's collateral asset (wad): calls in the base asset, puts
/// in the quote asset, as the vaults and margin accounts hold them.
library Collateral {
    using FixedPointMathLib for uint256;

    uint256 internal constant WAD = 1e18;

    /// @notice A quote-asset value (wad) in the collateral asset: calls at `spot`.
    function fromQuote(bool isCall, uint256 quoteWad, uint256 spot, bool roundUp) internal pure returns (uint256) {
        if (!isCall) return quoteWad;
        return roundUp ? quoteWad.divWadUp(spot) : quoteWad.divWad(spot);
    }

    /// @notice Covered collateral per option: one base unit per call, K per put.
    function full(bool isCall, uint256 strike) internal pure returns (uint256) {
        return isCall ? WAD : strike;
    }

    /// @notice Payoff per option at `price`, rounded down (what a holder is owed; reserves round
    /// the total up).
    function payoff(bool isCall, uint256 strike, uint256 price) internal pure returns (uint256) {
        if (isCall) return price > strike ? (price - strike).divWad(price) : 0;
        return strike > price ? strike - price : 0;
    }
}
