// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISpotOracle} from "../interfaces/ISpotOracle.sol";
import {IVolOracle} from "../interfaces/IVolOracle.sol";

// slither-disable-start unused-return
// False positives, by detector (tools/slither_check.py):
// - unused-return: tuple destructuring names only the values used; the others are dropped on purpose.
/// @title OracleReads
/// @notice Oracle reads for marks, which must give a number: a stale or missing value comes back
/// as `fresh = false` instead of a revert, and the caller falls back to a conservative value.
library OracleReads {
    /// @notice Latest spot (quote wad), or (0, false) when stale or missing.
    function trySpot(ISpotOracle oracle) internal view returns (uint256 spot, bool fresh) {
        try oracle.latestPrice() returns (uint256 p, uint256) {
            return (p, true);
        } catch {
            return (0, false);
        }
    }

    /// @notice SVI parameters of `expiry`, or fresh = false when stale or missing.
    function tryParams(IVolOracle oracle, uint256 expiry)
        internal
        view
        returns (IVolOracle.SviParams memory params, bool fresh)
    {
        (params,,, fresh) = tryParamsUntil(oracle, expiry);
    }

    /// @notice `tryParams` with the surface's post time and the last second it is fresh
    /// (`IVolOracle.getParamsUntil`); zeros when stale or missing.
    function tryParamsUntil(IVolOracle oracle, uint256 expiry)
        internal
        view
        returns (IVolOracle.SviParams memory params, uint256 updatedAt, uint256 freshUntil, bool fresh)
    {
        try oracle.getParamsUntil(expiry) returns (IVolOracle.SviParams memory p, uint256 at, uint256 until) {
            return (p, at, until, true);
        } catch {
            return (params, 0, 0, false);
        }
    }

    /// @notice The price an expired option is valued at: the settlement price once recorded,
    /// else `spot`.
    function expiryPrice(ISpotOracle oracle, uint256 expiry, uint256 spot) internal view returns (uint256) {
        if (!oracle.isSettled(expiry)) return spot;
        (uint256 price,,) = oracle.settlementPrice(expiry);
        return price;
    }
}
// slither-disable-end unused-return
