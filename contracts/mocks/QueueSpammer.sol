// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IOptioVault} from "../interfaces/IOptioVault.sol";

/// @title QueueSpammer
/// @notice Test mock, never deployed: holds a few wei of vault shares and fills the redeem
/// queue with cancelled requests (requestRedeem(1) then cancel, `n` times a call) — the attack
/// that froze settlement while serving walked every cancelled entry.
contract QueueSpammer {
    IOptioVault public immutable vault;

    constructor(IOptioVault vault_) {
        vault = vault_;
    }

    function spam(uint256 n) external {
        for (uint256 i; i < n; ++i) {
            uint256 id = vault.requestRedeem(1, address(this), address(this));
            vault.cancelRedeemRequest(id);
        }
    }
}
