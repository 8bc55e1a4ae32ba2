// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";

/// @title OptionToken
/// @notice Long option positions as ERC-1155 tokens, one id per (expiry, strike, type) as
/// `OptionId` packs it; amounts are wad options. Only the market mints and burns.
/// @dev A contract of its own (as Lyra's OptionToken) so the market stays under the 24,576-byte
/// code limit. A mint calls the receiver's hook: the market mints last in every trade and
/// guards every entry point against re-entry. The market is an immutable, not a role: every
/// trade mints or burns, and a role is a cold storage read (2,100 gas) each time. The deployer
/// passes the market's address before the market exists (its CREATE address) and checks it
/// once the market is deployed (`optio.deploy`).
contract OptionToken is ERC1155 {
    /// @notice The only minter and burner.
    address public immutable market;

    error NotMarket(address caller);
    error ZeroMarket();

    constructor(address market_) ERC1155("") {
        if (market_ == address(0)) revert ZeroMarket();
        market = market_;
    }

    modifier onlyMarket() {
        if (msg.sender != market) revert NotMarket(msg.sender);
        _;
    }

    function mint(address to, uint256 id, uint256 amount) external onlyMarket {
        _mint(to, id, amount, "");
    }

    function burn(address from, uint256 id, uint256 amount) external onlyMarket {
        _burn(from, id, amount);
    }
}
