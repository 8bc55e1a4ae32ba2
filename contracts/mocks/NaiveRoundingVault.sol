// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title NaiveRoundingVault
/// @notice Test mock, never deployed: an ERC-4626 vault that rounds every conversion up, in the
/// user's favour — the naive version the rounding-extraction attack test must beat.
contract NaiveRoundingVault is ERC4626 {
    using Math for uint256;

    constructor(IERC20 asset_) ERC20("Naive rounding vault", "NAIVE") ERC4626(asset_) {}

    function _convertToShares(uint256 assets, Math.Rounding) internal view override returns (uint256) {
        return assets.mulDiv(totalSupply() + 1, totalAssets() + 1, Math.Rounding.Ceil);
    }

    function _convertToAssets(uint256 shares, Math.Rounding) internal view override returns (uint256) {
        return shares.mulDiv(totalAssets() + 1, totalSupply() + 1, Math.Rounding.Ceil);
    }
}
