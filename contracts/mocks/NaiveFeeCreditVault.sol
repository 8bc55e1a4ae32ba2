// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {PutVault} from "../vaults/PutVault.sol";

/// @title NaiveFeeCreditPutVault
/// @notice Test mock, never deployed: a put vault that credits every exit fee in full to the LPs
/// who stay (none to the protocol while anyone stays) — the naive version the exit-fee sniping
/// test must beat: a one-unit stake in front of the last LP's exit takes that exit's whole fee.
contract NaiveFeeCreditPutVault is PutVault {
    constructor(IERC20 quote, uint8 decimalsOffset_, uint96 depositCap_, address admin, uint256 exitFeeWad_)
        PutVault(quote, decimalsOffset_, depositCap_, admin, exitFeeWad_)
    {}

    function _protocolShareOf(uint256 gross, uint256 fee, uint256 total) internal pure override returns (uint256) {
        return total > gross ? 0 : fee;
    }
}
