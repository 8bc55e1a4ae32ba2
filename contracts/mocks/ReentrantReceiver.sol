// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IOptionMarket} from "../interfaces/IOptionMarket.sol";

// slither-disable-start unused-return
// False positives, by detector (tools/slither_check.py):
// - unused-return: the attack needs the reentrant call to happen, not its result (test mock, never deployed).
/// @notice Test attacker: buys options and, from the ERC-1155 receiver hook, tries to re-enter
/// the market (buy again, or sell the fresh tokens back) before the first trade has finished.
contract ReentrantReceiver is IERC1155Receiver {
    IOptionMarket public immutable market;
    uint8 public mode; // 0: accept quietly, 1: re-enter buy once, 2: re-enter closeLong once

    constructor(IOptionMarket market_) {
        market = market_;
    }

    function attack(IERC20 token, uint256 id, uint256 amount, uint256 maxPremium, uint8 mode_) external {
        mode = mode_;
        token.approve(address(market), type(uint256).max);
        market.buy(id, amount, maxPremium, block.timestamp);
    }

    function onERC1155Received(address, address, uint256 id, uint256 amount, bytes calldata)
        external
        returns (bytes4)
    {
        uint8 reenter = mode;
        mode = 0; // re-enter once: the nested trade's own hook accepts quietly
        if (reenter == 1) market.buy(id, amount, type(uint256).max, block.timestamp);
        if (reenter == 2) market.closeLong(id, amount, 0, block.timestamp);
        return this.onERC1155Received.selector;
    }

    function onERC1155BatchReceived(address, address, uint256[] calldata, uint256[] calldata, bytes calldata)
        external
        pure
        returns (bytes4)
    {
        return this.onERC1155BatchReceived.selector;
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC1155Receiver).interfaceId || interfaceId == type(IERC165).interfaceId;
    }
}
// slither-disable-end unused-return
