// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISpotOracle} from "./ISpotOracle.sol";

/// @title IOptionsMark
/// @notice What a vault asks the options market for when it values its shares: the
/// mark-to-market value of its open options.
interface IOptionsMark {
    /// @notice Net value of the options `vault` is short minus those it is long, in the vault
    /// asset's own decimals, rounded up (a liability: rounding in the vault's favour means
    /// overstating it); negative when the vault is net long.
    /// @return assets The net liability, units.
    /// @return fresh False when an oracle is stale or missing: the value is then a conservative
    /// bound (shorts at their full collateral, longs at zero) and the vault takes no deposits.
    function optionsLiability(address vault) external view returns (int256 assets, bool fresh);
}

/// @title IOptionsBook
/// @notice What a vault asks the market to know whether its mark has a price input.
interface IOptionsBook {
    /// @notice Ids of the live options (open interest ≠ 0) of one side of the book.
    function liveOptions(bool isCall) external view returns (uint256[] memory);

    /// @notice The spot oracle the book is marked with (a fill serves only requests made before
    /// its latest post).
    function spotOracle() external view returns (ISpotOracle);
}
