// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title OptionId
/// @notice The ERC-1155 id of an option: expiry, strike and type packed into one word, so an id
/// is readable off-chain without a lookup: `expiry << 160 | strike << 1 | isCall`.
/// @dev Strikes are wad (18 decimals) below 2^159; expiries are Unix seconds below 2^96.
library OptionId {
    uint256 private constant STRIKE_MASK = (1 << 159) - 1;

    /// @notice The id of the option `(expiry, strike, isCall)`; the caller bounds strike < 2^159.
    function encode(uint256 expiry, uint256 strike, bool isCall) internal pure returns (uint256 id) {
        assembly {
            id := or(or(shl(160, expiry), shl(1, strike)), isCall)
        }
    }

    /// @notice The fields of `id`.
    function decode(uint256 id) internal pure returns (uint256 expiry, uint256 strike, bool isCall) {
        expiry = id >> 160;
        strike = (id >> 1) & STRIKE_MASK;
        isCall = id & 1 == 1;
    }
}
