// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {OptioVault} from "./OptioVault.sol";

/// @title CallVault
/// @notice Writes covered calls: collateral is the base asset (WETH), one unit per option.
contract CallVault is OptioVault {
    constructor(IERC20 base, uint8 decimalsOffset_, uint96 depositCap_, address admin, uint256 exitFeeWad_)
        OptioVault(base, "Optio Call Vault", "oCALL", decimalsOffset_, depositCap_, admin, exitFeeWad_)
    {}

    function _isCall() internal pure override returns (bool) {
        return true;
    }
}
