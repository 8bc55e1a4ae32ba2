// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IVolOracle} from "../interfaces/IVolOracle.sol";
import {BlackScholes} from "./BlackScholes.sol";
import {SVI} from "./SVI.sol";

/// @title SurfacePricing
/// @notice The full quote path the AMM calls: implied vol from the SVI surface at the option's
/// strike, then Black-Scholes price, delta and vega at that vol. One logarithm serves both
/// (k = ln(K/S) = −ln(S/K) at zero rate). Units and domain as in BlackScholes; the vol the
/// surface gives must lie in [1%, 1000%] (else `BlackScholes.VolOutOfDomain`).
library SurfacePricing {
    /// @param vol Implied vol used, wad (1e18 = 100%); 0 at expiry, where no vol is needed.
    /// @param call Call price, quote asset wad.
    /// @param put Put price, quote asset wad.
    /// @param callDelta ∂call/∂spot, wad; the put's is callDelta − 1e18.
    /// @param vega ∂price/∂vol per 1.00 of vol, quote asset wad.
    struct Quote {
        uint256 vol;
        uint256 call;
        uint256 put;
        uint256 callDelta;
        uint256 vega;
    }

    /// @notice Quote for `strike` with `tau` seconds to expiry on the surface `params`.
    function quote(uint256 spot, uint256 strike, uint256 tau, IVolOracle.SviParams memory params)
        internal
        pure
        returns (Quote memory q)
    {
        BlackScholes.checkOption(spot, strike, tau);
        if (tau == 0) {
            (q.call, q.put, q.callDelta, q.vega) = BlackScholes.atExpiry(spot, strike);
            return q;
        }
        int256 x = BlackScholes.logMoneyness(spot, strike);
        q.vol = SVI.impliedVol(params, -x, tau);
        BlackScholes.checkVol(q.vol);
        (q.call, q.put, q.callDelta, q.vega) = BlackScholes.priceAt(spot, strike, x, tau, q.vol);
    }
}
