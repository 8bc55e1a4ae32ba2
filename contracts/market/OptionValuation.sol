// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {FixedPointMathLib} from "solady/src/utils/FixedPointMathLib.sol";
import {ISpotOracle} from "../interfaces/ISpotOracle.sol";
import {IVolOracle} from "../interfaces/IVolOracle.sol";
import {OptionPricer} from "./OptionPricer.sol";

/// @title OptionValuation
/// @notice What the market and the margin account share: the oracles, the pricer and the two
/// collateral tokens, with conversion between collateral wad and token units.
abstract contract OptionValuation {
    uint256 internal constant WAD = 1e18;

    ISpotOracle public immutable spotOracle;
    IVolOracle public immutable volOracle;
    OptionPricer public immutable pricer;
    /// @notice Collateral and premium asset of calls (WETH).
    IERC20Metadata public immutable baseToken;
    /// @notice Collateral and premium asset of puts (USDC).
    IERC20Metadata public immutable quoteToken;
    uint256 private immutable _baseScale;
    uint256 private immutable _quoteScale;

    constructor(OptionPricer pricer_, IERC20Metadata base, IERC20Metadata quote_) {
        pricer = pricer_;
        spotOracle = pricer_.spotOracle();
        volOracle = pricer_.volOracle();
        baseToken = base;
        quoteToken = quote_;
        _baseScale = 10 ** (18 - base.decimals());
        _quoteScale = 10 ** (18 - quote_.decimals());
    }

    function _token(bool isCall) internal view returns (IERC20Metadata) {
        return isCall ? baseToken : quoteToken;
    }

    /// @dev Collateral-asset wad to token units.
    function _toUnits(bool isCall, uint256 wad, bool roundUp) internal view returns (uint256) {
        uint256 scale = isCall ? _baseScale : _quoteScale;
        return roundUp ? FixedPointMathLib.divUp(wad, scale) : wad / scale;
    }

    /// @dev Token units to collateral-asset wad.
    function _toWad(bool isCall, uint256 units) internal view returns (uint256) {
        return units * (isCall ? _baseScale : _quoteScale);
    }

    /// @dev `amount` options at `perOptionWad` (collateral wad) in token units.
    function _units(bool isCall, uint256 amount, uint256 perOptionWad, bool roundUp) internal view returns (uint256) {
        uint256 wad = roundUp
            ? FixedPointMathLib.mulWadUp(amount, perOptionWad)
            : FixedPointMathLib.mulWad(amount, perOptionWad);
        return _toUnits(isCall, wad, roundUp);
    }
}
