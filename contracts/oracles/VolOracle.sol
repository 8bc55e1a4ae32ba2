// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {FixedPointMathLib} from "solady/src/utils/FixedPointMathLib.sol";
import {IVolOracle} from "../interfaces/IVolOracle.sol";
import {SVI} from "../libraries/SVI.sol";

// slither-disable-start incorrect-equality
// False positives, by detector (tools/slither_check.py):
// - incorrect-equality: the strict equalities compare stored amounts and times with zero or ids, never a balance an outsider can move.
/// @title VolOracle
/// @notice Per-expiry SVI surface posted by the vol keeper, checked for sanity on write and for
/// freshness on every read.
contract VolOracle is IVolOracle, AccessControl {
    using FixedPointMathLib for uint256;

    /* CONSTANTS */

    bytes32 public constant VOL_KEEPER_ROLE = keccak256("VOL_KEEPER_ROLE");
    /// @notice Largest accepted |a|, b, |m|, sigma: 1e9 (in 1e18 units), far beyond any real
    /// surface and within the packed 96-bit storage.
    int256 public constant MAX_PARAM_WAD = 1e27;
    int256 private constant WAD = 1e18;

    /* STORAGE */

    /// @dev SVI parameters packed into two slots; each fits by the checks in `post`.
    struct PackedSurface {
        int96 a;
        int96 m;
        uint64 updatedAt;
        uint96 b;
        int64 rho;
        uint96 sigma;
    }

    Config private _config;
    mapping(uint256 expiry => PackedSurface) private _surfaces;

    /* CONSTRUCTOR */

    constructor(address admin, Config memory config_) {
        _setConfig(config_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /* KEEPER */

    /// @inheritdoc IVolOracle
    function post(uint256 expiry, SviParams calldata p) external onlyRole(VOL_KEEPER_ROLE) {
        if (expiry <= block.timestamp) revert ExpiryNotInFuture(expiry, block.timestamp);
        _checkParams(p);
        int256 atmVariance = SVI.totalVariance(p, 0);
        if (atmVariance <= 0) revert AtmVarianceNotPositive(atmVariance);
        uint256 atmVolWad = SVI.annualisedVol(uint256(atmVariance), expiry - block.timestamp);

        PackedSurface memory prev = _surfaces[expiry];
        Config memory cfg = _config;
        // The move bound only applies against a fresh previous surface, for the same reason as
        // the spot jump bound: after an outage the market may really have moved further.
        if (prev.updatedAt != 0 && block.timestamp - prev.updatedAt <= cfg.maxAge) {
            uint256 prevVol = SVI.annualisedVol(uint256(SVI.totalVariance(_unpack(prev), 0)), expiry - prev.updatedAt);
            uint256 diff = atmVolWad > prevVol ? atmVolWad - prevVol : prevVol - atmVolWad;
            if (diff * 1e18 > uint256(cfg.maxAtmMoveWad) * prevVol) {
                revert AtmVolMoveTooLarge(atmVolWad, prevVol, cfg.maxAtmMoveWad);
            }
        }

        // Safe casts: ranges checked in `_checkParams`.
        _surfaces[expiry] = PackedSurface({
            a: int96(p.a),
            m: int96(p.m),
            updatedAt: uint64(block.timestamp),
            b: uint96(uint256(p.b)),
            rho: int64(p.rho),
            sigma: uint96(uint256(p.sigma))
        });
        emit SurfacePosted(expiry, p.a, p.b, p.rho, p.m, p.sigma, atmVolWad, msg.sender);
    }

    /* ADMIN */

    /// @notice Replaces the configuration. Admin only.
    function setConfig(Config calldata config_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setConfig(config_);
    }

    /* VIEWS */

    /// @inheritdoc IVolOracle
    function getParams(uint256 expiry) public view returns (SviParams memory params, uint256 updatedAt) {
        PackedSurface memory s = _surfaces[expiry];
        if (s.updatedAt == 0) revert NoSurface(expiry);
        uint256 maxAge = _config.maxAge;
        // An addition: a read at a time before the post is fresh, not a Panic (as SpotOracle).
        if (block.timestamp > s.updatedAt + maxAge) revert StaleSurface(expiry, s.updatedAt, maxAge);
        return (_unpack(s), s.updatedAt);
    }

    /// @inheritdoc IVolOracle
    function atmVol(uint256 expiry) external view returns (uint256 volWad) {
        (SviParams memory p,) = getParams(expiry);
        if (expiry <= block.timestamp) revert ExpiryNotInFuture(expiry, block.timestamp);
        return SVI.annualisedVol(uint256(SVI.totalVariance(p, 0)), expiry - block.timestamp);
    }

    /// @inheritdoc IVolOracle
    function config() external view returns (Config memory) {
        return _config;
    }

    /* INTERNAL */

    function _checkParams(SviParams memory p) private pure {
        if (p.b < 0) revert NegativeB(p.b);
        if (p.rho <= -WAD || p.rho >= WAD) revert RhoOutOfRange(p.rho);
        if (p.sigma <= 0) revert NonPositiveSigma(p.sigma);
        if (p.a > MAX_PARAM_WAD || p.a < -MAX_PARAM_WAD) revert ParameterOutOfRange("a", p.a);
        if (p.b > MAX_PARAM_WAD) revert ParameterOutOfRange("b", p.b);
        if (p.m > MAX_PARAM_WAD || p.m < -MAX_PARAM_WAD) revert ParameterOutOfRange("m", p.m);
        if (p.sigma > MAX_PARAM_WAD) revert ParameterOutOfRange("sigma", p.sigma);

        uint256 absRho = uint256(p.rho >= 0 ? p.rho : -p.rho);
        // Lee's moment bound: the wing slopes b(1 ± rho) of total variance are at most 2.
        uint256 slope = uint256(p.b) * (1e18 + absRho) / 1e18;
        if (slope > 2e18) revert WingTooSteep(slope);

        // Minimum of w over k: a + b·sigma·sqrt(1 - rho²). Rounded down (the sqrt floors), so
        // a surface is never accepted on rounding alone.
        uint256 oneMinusRho2 = 1e18 - absRho * absRho / 1e18;
        int256 root = int256((oneMinusRho2 * 1e18).sqrt());
        // Floor division first on purpose: the bound must round down, and pricing.oracle_units
        // reproduces exactly these steps (min_variance_wad).
        // slither-disable-next-line divide-before-multiply
        int256 minVariance = p.a + (p.b * p.sigma / WAD) * root / WAD;
        if (minVariance < 0) revert NegativeMinimumVariance(minVariance);
    }

    function _unpack(PackedSurface memory s) private pure returns (SviParams memory) {
        return SviParams({a: s.a, b: int256(uint256(s.b)), rho: s.rho, m: s.m, sigma: int256(uint256(s.sigma))});
    }

    function _setConfig(Config memory c) private {
        if (c.maxAge == 0) revert InvalidConfig("maxAge", c.maxAge);
        if (c.maxAtmMoveWad == 0 || c.maxAtmMoveWad > 1e18) revert InvalidConfig("maxAtmMoveWad", c.maxAtmMoveWad);
        _config = c;
        emit ConfigUpdated(c.maxAge, c.maxAtmMoveWad);
    }
}
// slither-disable-end incorrect-equality
