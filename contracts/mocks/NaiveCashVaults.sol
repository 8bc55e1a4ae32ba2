// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IOptionsMark} from "../interfaces/IOptionsMark.sol";
import {CallVault} from "../vaults/CallVault.sol";
import {PutVault} from "../vaults/PutVault.sol";

/// @title NaiveCashCallVault
/// @notice Test mock, never deployed: a call vault that ignores its options mark (the deployment's
/// `setOptionsMark` does nothing), so it values itself at cash — the naive version the "free
/// option around withdraw" test must beat. (The real vault's mark is set once and for good.)
contract NaiveCashCallVault is CallVault {
    constructor(IERC20 base, uint8 decimalsOffset_, uint96 depositCap_, address admin, uint256 exitFeeWad_)
        CallVault(base, decimalsOffset_, depositCap_, admin, exitFeeWad_)
    {}

    function setOptionsMark(IOptionsMark) external override {}
}

/// @title NaiveCashPutVault
/// @notice Test mock, never deployed: the put vault valued at cash (see NaiveCashCallVault).
contract NaiveCashPutVault is PutVault {
    constructor(IERC20 quote, uint8 decimalsOffset_, uint96 depositCap_, address admin, uint256 exitFeeWad_)
        PutVault(quote, decimalsOffset_, depositCap_, admin, exitFeeWad_)
    {}

    function setOptionsMark(IOptionsMark) external override {}
}
