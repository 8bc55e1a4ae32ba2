// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title OptionToken
/// @notice Long option positions as ERC-1155 tokens, one id per (expiry, strike, type) as
/// `OptionId` packs it; amounts are wad options. Only the market mints and burns.
/// @dev A contract of its own (as Lyra's OptionToken) so the market stays under the 24,576-byte
/// code limit. A mint calls the receiver's hook: the market mints last in every trade and
/// guards every entry point against re-entry.
contract OptionToken is ERC1155, AccessControl {
    bytes32 public constant MARKET_ROLE = keccak256("MARKET_ROLE");

    constructor(address admin) ERC1155("") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    function mint(address to, uint256 id, uint256 amount) external onlyRole(MARKET_ROLE) {
        _mint(to, id, amount, "");
    }

    function burn(address from, uint256 id, uint256 amount) external onlyRole(MARKET_ROLE) {
        _burn(from, id, amount);
    }

    function supportsInterface(bytes4 interfaceId) public view override(ERC1155, AccessControl) returns (bool) {
        return super.supportsInterface(interfaceId);
    }
}
