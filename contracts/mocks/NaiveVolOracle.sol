// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {VolOracle} from "../oracles/VolOracle.sol";

/// @title NaiveVolOracle
/// @notice Test mock, never deployed: the VolOracle serving a posted surface's total variance as
/// is at every read, as 6507dee did — the naive version the near-expiry test (finding 9) must
/// beat: readers annualise it over the time left now, √(w/τ_now), so between posts the vols grow
/// as √(τ_post/τ_now) and time value stops decaying (the vault buys options at a multiple of
/// their value in the last minutes).
contract NaiveVolOracle is VolOracle {
    constructor(address admin, Config memory config_) VolOracle(admin, config_) {}

    function _atTauNow(SviParams memory p, uint256, uint256) internal pure override returns (SviParams memory) {
        return p;
    }
}
