// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {CallVault} from "../vaults/CallVault.sol";
import {PutVault} from "../vaults/PutVault.sol";

/// @title NaiveInstantCallVault
/// @notice Test mock, never deployed: the call vault with instant deposits and exits whatever its
/// book holds, as before forward-priced LP flows (docs/security.md, B1, B4, D, V): an LP enters
/// and leaves at the mark she sees, around a post she can see coming.
contract NaiveInstantCallVault is CallVault {
    constructor(IERC20 base, uint8 decimalsOffset_, uint96 depositCap_, address admin, uint256 exitFeeWad_)
        CallVault(base, decimalsOffset_, depositCap_, admin, exitFeeWad_)
    {}

    function _hasLiveOptions() internal pure override returns (bool) {
        return false;
    }
}

/// @title NaiveInstantPutVault
/// @notice Test mock, never deployed: the put vault of NaiveInstantCallVault.
contract NaiveInstantPutVault is PutVault {
    constructor(IERC20 quote, uint8 decimalsOffset_, uint96 depositCap_, address admin, uint256 exitFeeWad_)
        PutVault(quote, decimalsOffset_, depositCap_, admin, exitFeeWad_)
    {}

    function _hasLiveOptions() internal pure override returns (bool) {
        return false;
    }
}
