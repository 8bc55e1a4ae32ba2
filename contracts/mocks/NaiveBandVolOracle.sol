// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {VolOracle} from "../oracles/VolOracle.sol";

/// @title NaiveBandVolOracle
/// @notice Test mock, never deployed: the VolOracle with the strict two-band rule of round 4 —
/// every point of a post within the bound of the anchor and of the previous surface. The naive
/// version the vol F4 liveness test must beat (see NaiveBandSpotOracle).
contract NaiveBandVolOracle is VolOracle {
    constructor(address admin, Config memory config_) VolOracle(admin, config_) {}

    function _walksBackToAnchor() internal pure override returns (bool) {
        return false;
    }
}
