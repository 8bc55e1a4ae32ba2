// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SpotOracle} from "../oracles/SpotOracle.sol";

/// @title NaiveBandSpotOracle
/// @notice Test mock, never deployed: the SpotOracle with the strict two-band rule of round 4 —
/// every post within a jump of the anchor and of the previous post. The naive version the F4
/// liveness test must beat: after a wild path the two bands do not meet and no price posts.
contract NaiveBandSpotOracle is SpotOracle {
    constructor(address admin, string memory description_, Config memory config_)
        SpotOracle(admin, description_, config_)
    {}

    function _checkAgainstAnchor(uint256 priceWad, uint256 anchorWad, uint256, uint256 maxJumpWad)
        internal
        pure
        override
    {
        if (!_withinJump(priceWad, anchorWad, maxJumpWad)) revert PriceJumpTooLarge(priceWad, anchorWad, maxJumpWad);
    }
}
