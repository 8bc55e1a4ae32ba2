// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title TradeGuard
/// @notice The market's re-entry lock and pause flag, in one storage slot.
/// @dev Written here rather than taken from OpenZeppelin (ReentrancyGuard + Pausable) because
/// those keep the lock and the flag in two slots and every opening trade reads both: one slot
/// saves a cold read (2,100 gas) per trade. Same behaviour, events and errors as OpenZeppelin's
/// 5.x: the lock is restored to a non-zero value after the call, so its write is refunded.
abstract contract TradeGuard {
    uint8 private constant NOT_ENTERED = 1;
    uint8 private constant ENTERED = 2;

    uint8 private _status = NOT_ENTERED;
    bool private _paused;

    event Paused(address account);
    event Unpaused(address account);

    error ReentrancyGuardReentrantCall();
    error EnforcedPause();
    error ExpectedPause();

    modifier nonReentrant() {
        if (_status == ENTERED) revert ReentrancyGuardReentrantCall();
        _status = ENTERED;
        _;
        _status = NOT_ENTERED;
    }

    modifier whenNotPaused() {
        if (_paused) revert EnforcedPause();
        _;
    }

    /// @notice Whether new risk (buy, sell) is stopped.
    function paused() public view returns (bool) {
        return _paused;
    }

    function _pause() internal whenNotPaused {
        _paused = true;
        emit Paused(msg.sender);
    }

    function _unpause() internal {
        if (!_paused) revert ExpectedPause();
        _paused = false;
        emit Unpaused(msg.sender);
    }
}
