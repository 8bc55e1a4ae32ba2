// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {OptioVault} from "./OptioVault.sol";

/// @title PutVault
/// @notice Writes cash-secured puts: collateral is the quote asset (USDC), the strike per option.
contract PutVault is OptioVault {
    constructor(IERC20 quote, uint8 decimalsOffset_, uint96 depositCap_, address admin, uint256 exitFeeWad_)
        OptioVault(quote, "Optio Put Vault", "oPUT", decimalsOffset_, depositCap_, admin, exitFeeWad_)
    {}

    function _isCall() internal pure override returns (bool) {
        return false;
    }
}
