// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FixedPointMathLib} from "solady/src/utils/FixedPointMathLib.sol";

/// @title AmmQuote
/// @notice Bid and ask per option around the Black-Scholes mid: the formula of
/// `pricing/quotes.py`, written once for the chain. With mid P, vega V (per 1.00 of vol), vol σ,
/// spot S, inventory i ∈ [−1, 1] (+ when the vault is net short), utilisation u ∈ [0, 1] and the
/// move fee M (`moveFee`):
///     ask = P + V·σ·(halfSpread + skew·i + utilisationFee·u) + baseFee·S + M
///     bid = max(P − V·σ·(halfSpread − skew·i + utilisationFee·u) − baseFee·S − M, 0)
/// @dev All values wad (quote asset per option, fractions with 1e18 = 1). Rounding favours the
/// protocol: every term raises the ask rounded up and lowers the bid rounded up.
///
/// The move fee prices the spot move a trader can see coming: the keeper posts spot only when it
/// has moved by the deviation threshold m (`moveWad`), and its transaction is public before it
/// lands. An option's value is convex in spot, so for a move of at most m,
///     |V(S(1 ± m)) − V(S)| ≤ S·m·|Δ at the moved spot| ≤ S·m·min(1, |Δ| + Γ·S·m)
/// (|Δ| ≤ 1 for a call or a put, and Δ moves by at most Γ·S·m to first order). Charging half of
/// that bound on each side, M = ½·S·m·min(1, |Δ| + Γ·S·m), a buy before the post and a sell
/// after it (or the reverse) pay the whole move's value change. Γ·S = φ(d1)/(σ√T) = V/(S·σ·T)
/// with V per 1.00 of vol and T in years, so no transcendental beyond the quote's is needed.
library AmmQuote {
    using FixedPointMathLib for uint256;

    uint256 internal constant WAD = 1e18;
    uint256 internal constant SECONDS_PER_YEAR = 365 days;

    /// @param halfSpreadWad Half the spread as a fraction of vol (0.02e18 = 2% of σ).
    /// @param skewWad Inventory skew as a fraction of vol at full inventory.
    /// @param baseFeeWad Fee as a fraction of spot per option.
    /// @param utilisationFeeWad Fee as a fraction of vol at full utilisation.
    /// @param moveWad The largest spot move not yet posted, a fraction of spot (0.005e18 = 0.5%:
    /// the spot keeper's deviation threshold); priced by `moveFee`.
    struct FeeParams {
        uint64 halfSpreadWad;
        uint64 skewWad;
        uint64 baseFeeWad;
        uint64 utilisationFeeWad;
        uint64 moveWad;
    }

    /// @notice Ask per option, wad, rounded up; `move` is `moveFee`, added before the floor.
    function ask(uint256 mid, uint256 spot, uint256 vega, uint256 vol, int256 inventoryWad, uint256 utilisationWad,
        uint256 move, FeeParams memory f) internal pure returns (uint256)
    {
        uint256 volMove = vega.mulWadUp(vol);
        uint256 up = uint256(f.halfSpreadWad) + uint256(f.utilisationFeeWad).mulWadUp(utilisationWad);
        uint256 skew = uint256(f.skewWad).mulWadUp(FixedPointMathLib.abs(inventoryWad));
        uint256 price = mid + volMove.mulWadUp(up) + spot.mulWadUp(f.baseFeeWad) + move;
        if (inventoryWad >= 0) return price + volMove.mulWadUp(skew);
        uint256 discount = volMove.mulWad(skew);
        return price > discount ? price - discount : 0;
    }

    /// @notice Bid per option, wad, rounded down, floored at zero; `move` is `moveFee`.
    function bid(uint256 mid, uint256 spot, uint256 vega, uint256 vol, int256 inventoryWad, uint256 utilisationWad,
        uint256 move, FeeParams memory f) internal pure returns (uint256)
    {
        uint256 volMove = vega.mulWadUp(vol);
        uint256 down = uint256(f.halfSpreadWad) + uint256(f.utilisationFeeWad).mulWadUp(utilisationWad);
        uint256 skew = uint256(f.skewWad).mulWad(FixedPointMathLib.abs(inventoryWad));
        uint256 cut = volMove.mulWadUp(down) + spot.mulWadUp(f.baseFeeWad) + move;
        uint256 price = inventoryWad >= 0 ? mid + vega.mulWad(vol).mulWad(skew) : mid;
        if (inventoryWad < 0) cut += volMove.mulWadUp(skew);
        return price > cut ? price - cut : 0;
    }

    /// @notice The move fee ½·S·m·min(1, |Δ| + Γ·S·m) per option, wad, rounded up (see the
    /// library's notes), with Γ·S·m = V·m/(S·σ·T). At expiry or zero vol (no Γ) it is ½·S·m.
    /// @param absDelta |Δ| of the option, wad. @param tau Seconds to expiry.
    function moveFee(uint256 spot, uint256 absDelta, uint256 vega, uint256 vol, uint256 tau, uint256 moveWad)
        internal
        pure
        returns (uint256)
    {
        if (moveWad == 0) return 0;
        uint256 cover = WAD;
        uint256 denominator = spot.mulWad(vol) * tau; // rounded down: Γ·S·m rounds up
        if (denominator != 0) {
            uint256 gammaMove = FixedPointMathLib.fullMulDivUp(vega * moveWad, SECONDS_PER_YEAR, denominator);
            cover = FixedPointMathLib.min(WAD, absDelta + gammaMove);
        }
        return spot.mulWadUp(moveWad).mulWadUp(cover).divUp(2);
    }
}
