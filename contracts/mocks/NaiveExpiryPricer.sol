// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IVolOracle} from "../interfaces/IVolOracle.sol";
import {ISpotOracle} from "../interfaces/ISpotOracle.sol";
import {OptionPricer} from "../market/OptionPricer.sol";

/// @title NaiveExpiryPricer
/// @notice Test mock, never deployed: the OptionPricer marking an expired option (τ = 0) at the
/// latest spot even once its settlement price is recorded. The naive version the expiry-edge
/// test must beat: after expiry the vault's NAV keeps moving with a price that no longer
/// changes what it owes, and a depositor buys shares at the wrong price before settlement.
contract NaiveExpiryPricer is OptionPricer {
    constructor(ISpotOracle spotOracle_, IVolOracle volOracle_) OptionPricer(spotOracle_, volOracle_) {}

    function _expiredAt(uint256, uint256 spot) internal pure override returns (uint256, bool) {
        return (spot, true);
    }
}
