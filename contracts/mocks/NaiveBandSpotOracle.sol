// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SpotOracle} from "../oracles/SpotOracle.sol";

/// @title NaiveBandSpotOracle
/// @notice Test mock, never deployed: the SpotOracle of round 4, whose candidate is the previous
/// post as it is (not clamped into the band of the anchor it will follow). The naive version the
/// F4 liveness test must beat: after a wild path the next anchor's band and the previous post's
/// do not meet, and no price posts until the previous post is maxAge old.
contract NaiveBandSpotOracle is SpotOracle {
    constructor(address admin, string memory description_, Config memory config_)
        SpotOracle(admin, description_, config_)
    {}

    function _candidateOf(Anchor memory prev, uint256, uint256) internal pure override returns (Anchor memory) {
        return prev;
    }
}
