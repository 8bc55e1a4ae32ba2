// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SpotOracle} from "../oracles/SpotOracle.sol";

/// @title NaiveSettlementOracle
/// @notice Test mock, never deployed: the SpotOracle with Lyra V1's settlement rule — an expiry
/// settles at the latest spot when someone asks, not at the first price observed in the window
/// after expiry. The naive version the settlement-timing test must beat: whoever settles picks
/// the price (the latest print, even one from before expiry).
contract NaiveSettlementOracle is SpotOracle {
    constructor(address admin, string memory description_, Config memory config_)
        SpotOracle(admin, description_, config_)
    {}

    function settlementPrice(uint256 expiry) external view override returns (uint256, uint256, bool) {
        if (block.timestamp < expiry) revert SettlementNotRecorded(expiry);
        (uint256 priceWad, uint256 updatedAt) = latestPrice();
        return (priceWad, updatedAt, false);
    }

    function isSettled(uint256 expiry) external view override returns (bool) {
        return block.timestamp >= expiry;
    }
}
