// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IOptionsMark
/// @notice What a vault asks the options market for when it values its shares: the
/// mark-to-market value of its open options.
interface IOptionsMark {
    /// @notice Net value of the options `vault` is short minus those it is long, in the vault
    /// asset's own decimals, rounded up (a liability: rounding in the vault's favour means
    /// overstating it); negative when the vault is net long. O(1): the book's stored mark (the
    /// last epoch crank's, at its snapshot, plus every trade since at its own mid).
    /// @return assets The net liability, units.
    /// @return fresh False unless that mark is usable for an LP fill: complete, fresh at its
    /// snapshot, not invalidated since (a settlement, a liquidation), and at the spot oracle's
    /// latest post (a fill never uses a price older than the newest one).
    function optionsLiability(address vault) external view returns (int256 assets, bool fresh);
}

/// @title IOptionsBook
/// @notice What a vault asks the market to know whether its mark has a price input.
interface IOptionsBook {
    /// @notice How many options of one side of the book are live (open interest ≠ 0).
    function liveCount(bool isCall) external view returns (uint256);

    /// @notice When the side's stored mark was priced, for the forward rule (Unix s): the
    /// earlier of its spot post and the oldest surface post it used. A fill serves only
    /// requests made before it: the requester saw none of the mark's prices (rounds 9 F7, B3).
    function pricedSince(bool isCall) external view returns (uint256);

    /// @notice When the spot oracle's latest post was observed (Unix s); 0 while it is stale or
    /// has none. A request made before it is committed to its fill (IOptioVault, RequestCommitted).
    function latestSpotAt() external view returns (uint256);
}
