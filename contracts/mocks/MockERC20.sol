// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockERC20
/// @notice Test token with a capped faucet, for local chains only (Anvil 31337, Ganache 1337).
contract MockERC20 is ERC20 {
    /// @notice Thrown when deployed on a chain that is not a local test chain.
    error NotLocalChain(uint256 chainId);
    /// @notice Thrown when one faucet call asks for more than `faucetLimit`.
    error FaucetLimitExceeded(uint256 amount, uint256 limit);

    uint8 private immutable _decimals;
    /// @notice Most one faucet call may mint, in token units.
    uint256 public immutable faucetLimit;

    constructor(string memory name_, string memory symbol_, uint8 decimals_, uint256 faucetLimit_)
        ERC20(name_, symbol_)
    {
        if (block.chainid != 31337 && block.chainid != 1337) revert NotLocalChain(block.chainid);
        _decimals = decimals_;
        faucetLimit = faucetLimit_;
    }

    /// @notice Mints `amount` (token units) to the caller.
    function faucet(uint256 amount) external {
        if (amount > faucetLimit) revert FaucetLimitExceeded(amount, faucetLimit);
        _mint(msg.sender, amount);
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }
}
