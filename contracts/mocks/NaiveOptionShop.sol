// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title NaiveOptionShop
/// @notice Test mock, never deployed: an options seller whose ask rises with what it has sold
/// (an inventory skew, as the market's), with neither of the market's two defences against
/// re-entry: it mints the ERC-1155 (which calls the buyer's hook) before it records the sale,
/// and it has no lock. The naive version the ERC-1155 re-entry test must beat: a buyer who
/// buys again from the hook pays the first price twice.
contract NaiveOptionShop is ERC1155 {
    using SafeERC20 for IERC20;

    uint256 private constant WAD = 1e18;

    IERC20 public immutable premiumToken;
    /// @notice Ask per option with nothing sold, and its rise per option sold; token units.
    uint256 public immutable basePremium;
    uint256 public immutable skewPerOption;
    mapping(uint256 id => uint256) public sold;

    error PremiumAboveLimit(uint256 premium, uint256 limit);

    constructor(IERC20 premiumToken_, uint256 basePremium_, uint256 skewPerOption_) ERC1155("") {
        premiumToken = premiumToken_;
        basePremium = basePremium_;
        skewPerOption = skewPerOption_;
    }

    /// @notice Premium for `amount` wad options: the ask at the trade's midpoint, times amount.
    function quote(uint256 id, uint256 amount) public view returns (uint256) {
        uint256 midpoint = sold[id] + amount / 2;
        return amount * (basePremium + skewPerOption * midpoint / WAD) / WAD;
    }

    function buy(uint256 id, uint256 amount, uint256 maxPremium, uint256) external returns (uint256 premium) {
        premium = quote(id, amount);
        if (premium > maxPremium) revert PremiumAboveLimit(premium, maxPremium);
        _mint(msg.sender, id, amount, ""); // naive: the receiver's hook runs before the sale is recorded
        sold[id] += amount;
        premiumToken.safeTransferFrom(msg.sender, address(this), premium);
    }
}
