// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {VolOracle} from "../oracles/VolOracle.sol";

/// @title NaiveBandVolOracle
/// @notice Test mock, never deployed: the VolOracle with the strict two-band rule of before round
/// 10, each candidate recorded as the previous surface as it is (not clamped into the band of the
/// anchor it will follow) — the naive version the F4-on-a-board test must beat: after a wild path
/// of accepted surfaces the new anchor's band and the previous surface's can be disjoint, and
/// every surface is refused until the previous one is maxAge old (tests/contracts/
/// test_adversary_vol_band.py).
contract NaiveBandVolOracle is VolOracle {
    constructor(address admin, Config memory config_) VolOracle(admin, config_) {}

    function _candidateOf(uint256, PackedSurface memory prev, PackedSurface memory, uint256)
        internal
        pure
        override
        returns (PackedSurface memory)
    {
        return prev;
    }
}
