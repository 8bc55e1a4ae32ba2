// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {CallVault} from "../vaults/CallVault.sol";

/// @title NaiveCancelQueueCallVault
/// @notice Test mock, never deployed: a call vault whose cancelled redeem requests stay in the
/// queue, as the array queue of 6507dee kept them, and every serve walks past them without
/// counting them against its `maxRequests` — the naive version the cancelled-requests test
/// (finding 1) must beat: enough cancelled requests push every release (settle, closeLong,
/// serveQueue) past a block's gas.
contract NaiveCancelQueueCallVault is CallVault {
    constructor(IERC20 base, uint8 decimalsOffset_, uint96 depositCap_, address admin, uint256 exitFeeWad_)
        CallVault(base, decimalsOffset_, depositCap_, admin, exitFeeWad_)
    {}

    function _dropCancelled(Entry storage) internal pure override {}
}

/// @title NaiveStaleFillCallVault
/// @notice Test mock, never deployed: a call vault that pays exits (queued fills, withdraw,
/// redeem) at whatever mark the market reports, fresh or not, as 6507dee did — the naive
/// version the stale-mark test (finding 2) must beat: anyone can fill a queued LP at the
/// conservative mark of a stale oracle (shorts at full collateral).
contract NaiveStaleFillCallVault is CallVault {
    constructor(IERC20 base, uint8 decimalsOffset_, uint96 depositCap_, address admin, uint256 exitFeeWad_)
        CallVault(base, decimalsOffset_, depositCap_, admin, exitFeeWad_)
    {}

    function _exitMark() internal view override returns (uint256 total, bool) {
        (total,) = super._exitMark();
        return (total, true);
    }
}
