// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IVolOracle} from "../interfaces/IVolOracle.sol";
import {BlackScholes} from "../libraries/BlackScholes.sol";
import {SurfacePricing} from "../libraries/SurfacePricing.sol";
import {SVI} from "../libraries/SVI.sol";

// slither-disable-start unused-return
// False positives, by detector (tools/slither_check.py):
// - unused-return: the gas probes call a function only to measure it (test harness, never deployed).
/// @title MathHarness
/// @notice Exposes the math libraries to tests and benchmarks: single calls, gas-metered calls
/// (gas of the library call alone, measured in the EVM with gasleft; `emptyGas` shows what the
/// metering itself adds: 2 gas), and batches for differential tests.
contract MathHarness {
    /* SINGLE CALLS */

    function price(uint256 spot, uint256 strike, uint256 tau, uint256 vol)
        external
        pure
        returns (uint256 call, uint256 put, uint256 callDelta, uint256 vega)
    {
        return BlackScholes.price(spot, strike, tau, vol);
    }

    function cdf(int256 x) external pure returns (uint256) {
        return BlackScholes.cdf(x);
    }

    function sviVol(IVolOracle.SviParams calldata p, int256 k, uint256 tau) external pure returns (uint256) {
        return SVI.impliedVol(p, k, tau);
    }

    function quote(uint256 spot, uint256 strike, uint256 tau, IVolOracle.SviParams calldata p)
        external
        pure
        returns (SurfacePricing.Quote memory)
    {
        return SurfacePricing.quote(spot, strike, tau, p);
    }

    /* GAS-METERED */

    function emptyGas() external view returns (uint256 gasUsed) {
        uint256 before = gasleft();
        gasUsed = before - gasleft();
    }

    function priceGas(uint256 spot, uint256 strike, uint256 tau, uint256 vol) external view returns (uint256 gasUsed) {
        uint256 before = gasleft();
        BlackScholes.price(spot, strike, tau, vol);
        gasUsed = before - gasleft();
    }

    function callGas(uint256 spot, uint256 strike, uint256 tau, uint256 vol) external view returns (uint256 gasUsed) {
        uint256 before = gasleft();
        BlackScholes.callPrice(spot, strike, tau, vol);
        gasUsed = before - gasleft();
    }

    function putGas(uint256 spot, uint256 strike, uint256 tau, uint256 vol) external view returns (uint256 gasUsed) {
        uint256 before = gasleft();
        BlackScholes.putPrice(spot, strike, tau, vol);
        gasUsed = before - gasleft();
    }

    function cdfGas(int256 x) external view returns (uint256 gasUsed) {
        uint256 before = gasleft();
        BlackScholes.cdf(x);
        gasUsed = before - gasleft();
    }

    function sviVolGas(IVolOracle.SviParams calldata p, int256 k, uint256 tau) external view returns (uint256 gasUsed) {
        IVolOracle.SviParams memory params = p;
        uint256 before = gasleft();
        SVI.impliedVol(params, k, tau);
        gasUsed = before - gasleft();
    }

    function quoteGas(uint256 spot, uint256 strike, uint256 tau, IVolOracle.SviParams calldata p)
        external
        view
        returns (uint256 gasUsed)
    {
        IVolOracle.SviParams memory params = p;
        uint256 before = gasleft();
        SurfacePricing.quote(spot, strike, tau, params);
        gasUsed = before - gasleft();
    }

    /* BATCHES */

    /// @notice Prices of many options in one call: [call, put, callDelta, vega] per option.
    function priceBatch(uint256[] calldata spot, uint256[] calldata strike, uint256[] calldata tau, uint256[] calldata vol)
        external
        pure
        returns (uint256[4][] memory out)
    {
        out = new uint256[4][](spot.length);
        for (uint256 i; i < spot.length; ++i) {
            (out[i][0], out[i][1], out[i][2], out[i][3]) = BlackScholes.price(spot[i], strike[i], tau[i], vol[i]);
        }
    }

    function cdfBatch(int256[] calldata x) external pure returns (uint256[] memory out) {
        out = new uint256[](x.length);
        for (uint256 i; i < x.length; ++i) {
            out[i] = BlackScholes.cdf(x[i]);
        }
    }

    /// @notice SVI implied vols, one surface per element (params[i] at k[i], tau[i]).
    function sviVolBatch(IVolOracle.SviParams[] calldata params, int256[] calldata k, uint256[] calldata tau)
        external
        pure
        returns (uint256[] memory out)
    {
        out = new uint256[](k.length);
        for (uint256 i; i < k.length; ++i) {
            out[i] = SVI.impliedVol(params[i], k[i], tau[i]);
        }
    }

    /// @notice Full quotes, one surface per element: [vol, call, put, callDelta, vega].
    function quoteBatch(
        uint256[] calldata spot,
        uint256[] calldata strike,
        uint256[] calldata tau,
        IVolOracle.SviParams[] calldata params
    ) external pure returns (uint256[5][] memory out) {
        out = new uint256[5][](spot.length);
        for (uint256 i; i < spot.length; ++i) {
            SurfacePricing.Quote memory q = SurfacePricing.quote(spot[i], strike[i], tau[i], params[i]);
            out[i] = [q.vol, q.call, q.put, q.callDelta, q.vega];
        }
    }
}
// slither-disable-end unused-return
