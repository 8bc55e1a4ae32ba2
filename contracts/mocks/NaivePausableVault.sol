// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

/// @title NaivePausableVault
/// @notice Test mock, never deployed: an ERC-4626 vault whose pause stops everything, withdrawals
/// included — the naive version the "pause must not trap funds" test must beat.
contract NaivePausableVault is ERC4626, Pausable {
    constructor(IERC20 asset_) ERC20("Naive pausable vault", "NPAUSE") ERC4626(asset_) {}

    function pause() external {
        _pause();
    }

    function _update(address from, address to, uint256 value) internal override whenNotPaused {
        super._update(from, to, value);
    }
}
