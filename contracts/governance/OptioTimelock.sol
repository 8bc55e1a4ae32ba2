// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title OptioTimelock
/// @notice Holds DEFAULT_ADMIN_ROLE of every Optio contract, so that no admin power is instant:
/// an admin call is scheduled by a proposer, waits at least `getMinDelay()` seconds in public
/// (CallScheduled), and only then can an executor run it. LPs and traders who disagree leave
/// during the delay (withdrawals are never paused).
/// @dev OpenZeppelin's TimelockController unchanged; the contract exists so that the build has a
/// local artifact to deploy. Deployed with `admin = address(0)`: changes to its own roles and
/// delay go through the timelock too (`updateDelay`, `grantRole` as scheduled self-calls).
contract OptioTimelock is TimelockController {
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}
}
