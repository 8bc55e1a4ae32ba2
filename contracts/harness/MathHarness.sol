// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BlackScholes} from "../libraries/BlackScholes.sol";

/// @title MathHarness
/// @notice Exposes the math libraries to tests and benchmarks: single calls, gas-metered calls
/// (gas of the library call alone, measured in the EVM with gasleft), and batches for
/// differential tests.
contract MathHarness {
    function price(uint256 spot, uint256 strike, uint256 tau, uint256 vol)
        external
        pure
        returns (BlackScholes.Pricing memory)
    {
        return BlackScholes.price(spot, strike, tau, vol);
    }

    function priceGas(uint256 spot, uint256 strike, uint256 tau, uint256 vol)
        external
        view
        returns (BlackScholes.Pricing memory p, uint256 gasUsed)
    {
        uint256 before = gasleft();
        p = BlackScholes.price(spot, strike, tau, vol);
        gasUsed = before - gasleft();
    }

    function cdf(int256 x) external pure returns (uint256) {
        return BlackScholes.cdf(x);
    }

    function cdfGas(int256 x) external view returns (uint256 value, uint256 gasUsed) {
        uint256 before = gasleft();
        value = BlackScholes.cdf(x);
        gasUsed = before - gasleft();
    }

    /// @notice Prices of many options in one call: [call, put, callDelta, vega] per option.
    function priceBatch(uint256[] calldata spot, uint256[] calldata strike, uint256[] calldata tau, uint256[] calldata vol)
        external
        pure
        returns (uint256[4][] memory out)
    {
        out = new uint256[4][](spot.length);
        for (uint256 i; i < spot.length; ++i) {
            BlackScholes.Pricing memory p = BlackScholes.price(spot[i], strike[i], tau[i], vol[i]);
            out[i] = [p.call, p.put, p.callDelta, p.vega];
        }
    }

    function cdfBatch(int256[] calldata x) external pure returns (uint256[] memory out) {
        out = new uint256[](x.length);
        for (uint256 i; i < x.length; ++i) {
            out[i] = BlackScholes.cdf(x[i]);
        }
    }
}
