// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IOptionsMark
/// @notice What a vault asks the options market for when it values its shares: the
/// mark-to-market value of the options the vault has written, a liability of the vault.
/// @dev Implemented by the OptionMarket (a later issue); until one is set the vault holds no
/// options and the liability is zero.
interface IOptionsMark {
    /// @notice Value of the open options written by `vault`, in the vault asset's own decimals,
    /// rounded up (a liability: rounding in the vault's favour means overstating it).
    function optionsLiability(address vault) external view returns (uint256 assets);
}
