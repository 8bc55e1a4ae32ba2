// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {FixedPointMathLib} from "solady/src/utils/FixedPointMathLib.sol";
import {IMarginAccount} from "../interfaces/IMarginAccount.sol";
import {IOptionMarket} from "../interfaces/IOptionMarket.sol";
import {IVolOracle} from "../interfaces/IVolOracle.sol";
import {Collateral} from "../libraries/Collateral.sol";
import {OptionId} from "../libraries/OptionId.sol";
import {OracleReads} from "../libraries/OracleReads.sol";
import {OptionPricer} from "./OptionPricer.sol";
import {OptionValuation} from "./OptionValuation.sol";

// slither-disable-start unused-return,uninitialized-local,incorrect-equality
// False positives, by detector (tools/slither_check.py):
// - unused-return: tuple destructuring names only the values used; the others are dropped on purpose.
// - uninitialized-local: locals start at zero by the language's rules, and these are meant to.
// - incorrect-equality: the strict equalities compare stored amounts and times with zero or ids, never a balance an outsider can move.
/// @title MarginAccount
/// @notice Collateral and short positions of traders who sell options to the AMM (see
/// IMarginAccount for the requirement). Shorts are opened and closed through the OptionMarket;
/// liquidation and expiry settlement are open to anyone.
/// @dev The requirement uses the stress that hurts each type: spot up for calls, down for puts
/// (both values are monotone in spot), vol up. Marks never revert (`OptionPricer.mark`). With a
/// stale oracle the requirement is the full collateral, so no withdrawal leans on an old price;
/// liquidation needs a fresh price and a requirement made of fresh inputs only.
contract MarginAccount is IMarginAccount, OptionValuation, AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using FixedPointMathLib for uint256;

    /// @notice Shorts per account: bounds the gas of a health check.
    uint256 public constant MAX_POSITIONS = 16;

    IOptionMarket public immutable market;
    address public immutable callVault;
    address public immutable putVault;
    MarginConfig private _config;

    mapping(address account => uint256) public callCollateral;
    mapping(address account => uint256) public putCollateral;
    mapping(address account => uint256[]) private _positions;
    mapping(address account => mapping(uint256 id => uint256)) public shortOf;
    /// @notice Losses the call (base units) and put (quote units) vaults took from accounts
    /// that could not pay.
    uint256 public callBadDebt;
    uint256 public putBadDebt;

    constructor(
        OptionPricer pricer_,
        IERC20Metadata base,
        IERC20Metadata quote_,
        IOptionMarket market_,
        address callVault_,
        address putVault_,
        MarginConfig memory config_,
        address admin
    ) OptionValuation(pricer_, base, quote_) {
        if (address(market_) == address(0) || admin == address(0)) revert ZeroAddress();
        market = market_;
        callVault = callVault_;
        putVault = putVault_;
        _setConfig(config_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /* COLLATERAL */

    /// @inheritdoc IMarginAccount
    function deposit(bool callSide, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        _addCollateral(msg.sender, callSide, amount);
        emit CollateralDeposited(msg.sender, callSide, amount);
        IERC20(address(_token(callSide))).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IMarginAccount
    function withdraw(bool callSide, uint256 amount, address to) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        uint256 collateral = _collateral(msg.sender, callSide);
        if (amount > collateral) revert InsufficientCollateral(amount, collateral);
        // Fresh or not: a stale input counts full collateral, the conservative side for a withdrawal.
        (uint256 required,) = _required(msg.sender, callSide);
        if (collateral - amount < required) revert BelowRequirement(collateral - amount, required);
        _setCollateral(msg.sender, callSide, collateral - amount);
        emit CollateralWithdrawn(msg.sender, callSide, amount, to);
        IERC20(address(_token(callSide))).safeTransfer(to, amount);
    }

    /* MARKET */

    /// @inheritdoc IMarginAccount
    function openShort(address account, uint256 id, uint256 amount, uint256 premium) external {
        _onlyMarket();
        (,, bool isCall) = OptionId.decode(id);
        if (shortOf[account][id] == 0) {
            if (_positions[account].length == MAX_POSITIONS) revert TooManyPositions(MAX_POSITIONS);
            _positions[account].push(id);
        }
        uint256 position = shortOf[account][id] + amount;
        _checkMinimum(account, id, position);
        shortOf[account][id] = position;
        _addCollateral(account, isCall, premium);
        uint256 collateral = _collateral(account, isCall);
        (uint256 required,) = _required(account, isCall);
        if (collateral < required) revert BelowRequirement(collateral, required);
        emit ShortOpened(account, id, amount, premium);
    }

    /// @inheritdoc IMarginAccount
    function closeShort(address account, uint256 id, uint256 amount, uint256 premium, address vault) external {
        _onlyMarket();
        (,, bool isCall) = OptionId.decode(id);
        uint256 collateral = _collateral(account, isCall);
        if (premium > collateral) revert InsufficientCollateral(premium, collateral);
        // Buying back may not deepen a shortfall (it may cure one).
        (uint256 requiredBefore,) = _required(account, isCall);
        uint256 shortfallBefore = requiredBefore > collateral ? requiredBefore - collateral : 0;
        _reduceShort(account, id, amount);
        _checkMinimum(account, id, shortOf[account][id]);
        collateral -= premium;
        _setCollateral(account, isCall, collateral);
        (uint256 requiredAfter,) = _required(account, isCall);
        uint256 shortfallAfter = requiredAfter > collateral ? requiredAfter - collateral : 0;
        if (shortfallAfter > shortfallBefore) revert BelowRequirement(collateral, requiredAfter);
        emit ShortClosed(account, id, amount, premium);
        IERC20(address(_token(isCall))).safeTransfer(vault, premium);
    }

    /* LIQUIDATION */

    /// @inheritdoc IMarginAccount
    function liquidate(address account, uint256 id, uint256 amount) external nonReentrant returns (uint256 bonus) {
        uint256 position = shortOf[account][id];
        if (position == 0) revert NoPosition(account, id);
        if (amount == 0) revert ZeroAmount();
        (uint256 expiry, uint256 strike, bool isCall) = OptionId.decode(id);
        if (expiry <= block.timestamp) revert PositionExpired(id);
        uint256 collateral = _collateral(account, isCall);
        (uint256 required, bool fresh) = _required(account, isCall);
        if (collateral >= required) revert AccountHealthy(collateral, required);

        (uint256 spot,) = spotOracle.latestPrice(); // reverts StalePrice / NoPrice: never on an old price
        // A stale surface on any board of the side counted its shorts full: that shortfall is
        // the keepers' lateness, not the account's.
        if (!_liquidatesOn(fresh)) revert RequirementNotFresh(account, isCall);
        (IVolOracle.SviParams memory params,) = volOracle.getParams(expiry);
        (uint256 mid,,) = pricer.mark(isCall, strike, spot, expiry - block.timestamp, params, WAD);
        uint256 midWad = Collateral.fromQuote(isCall, mid, spot, true);
        MarginConfig memory c = _config;
        uint256 maxAmount = _maxLiquidation(isCall, position, collateral, midWad, c);
        if (amount > maxAmount) revert LiquidationTooLarge(amount, maxAmount);
        // A partial liquidation leaves at least dust, so that the rest is worth liquidating.
        _checkMinimum(account, id, position - amount);

        // The cost rounds up and the bonus down: both in the vault's favour.
        uint256 midUnits = _units(isCall, amount, midWad, true);
        uint256 cost = _units(isCall, amount, midWad.mulWadUp(WAD + c.penaltyWad), true);
        uint256 maxBonus = _units(isCall, amount, midWad.mulWad(c.bonusWad), false);
        // The vault first, then the liquidator from what is left: a bonus paid before the vault
        // would come out of the vault's recovery whenever the collateral cannot pay the cost
        // (and a self-liquidator would take it). maxBonus ≤ mid·bonus ≤ mid·penalty, as
        // bonusWad ≤ penaltyWad (setConfig), so cost − maxBonus ≥ midUnits: the vault's share
        // covers mid before any bonus is paid.
        uint256 toVault;
        (toVault, bonus) = _liquidationSplit(cost, maxBonus, collateral);
        uint256 badDebt = midUnits > toVault ? midUnits - toVault : 0;

        _reduceShort(account, id, amount);
        _setCollateral(account, isCall, collateral - bonus - toVault);
        _recordBadDebt(account, id, isCall, badDebt);
        emit Liquidated(account, msg.sender, id, amount, toVault, bonus, badDebt);
        market.onShortRemoved(id, amount);
        IERC20 token = IERC20(address(_token(isCall)));
        if (toVault != 0) token.safeTransfer(_vaultOf(isCall), toVault);
        if (bonus != 0) token.safeTransfer(msg.sender, bonus);
    }

    /* SETTLEMENT */

    // False positive (reentrancy-no-eth): the one call inside the loop is to the market
    // (onShortRemoved, immutable and only callable from here), which calls nothing out; this
    // entry point is nonReentrant, and tokens move only after the loop.
    // slither-disable-start reentrancy-no-eth
    /// @inheritdoc IMarginAccount
    function settleAccounts(uint256 expiry, address[] calldata accounts) external nonReentrant {
        if (block.timestamp < expiry) revert NotExpired(expiry);
        (uint256 price,,) = spotOracle.settlementPrice(expiry); // reverts until recorded
        uint256[2] memory toVaults; // calls, puts
        for (uint256 a; a < accounts.length; ++a) {
            address account = accounts[a];
            uint256[] storage ids = _positions[account];
            for (uint256 i = ids.length; i > 0; --i) {
                uint256 id = ids[i - 1];
                (uint256 e, uint256 strike, bool isCall) = OptionId.decode(id);
                if (e != expiry) continue;
                toVaults[isCall ? 0 : 1] += _settleShort(account, id, strike, isCall, price);
            }
        }
        if (toVaults[0] != 0) IERC20(address(baseToken)).safeTransfer(callVault, toVaults[0]);
        if (toVaults[1] != 0) IERC20(address(quoteToken)).safeTransfer(putVault, toVaults[1]);
    }
    // slither-disable-end reentrancy-no-eth

    /* ADMIN */

    function setConfig(MarginConfig calldata config_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setConfig(config_);
    }

    /* VIEWS */

    /// @inheritdoc IMarginAccount
    function healthOf(address[] calldata accounts) external view returns (Health[] memory health) {
        health = new Health[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            address account = accounts[i];
            (uint256 callsRequired,) = _required(account, true);
            (uint256 putsRequired,) = _required(account, false);
            health[i].calls = SideHealth(callCollateral[account], callsRequired);
            health[i].puts = SideHealth(putCollateral[account], putsRequired);
        }
    }

    /// @inheritdoc IMarginAccount
    function freshnessOf(address[] calldata accounts) external view returns (Freshness[] memory fresh) {
        fresh = new Freshness[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            (, fresh[i].calls) = _required(accounts[i], true);
            (, fresh[i].puts) = _required(accounts[i], false);
        }
    }

    /// @inheritdoc IMarginAccount
    function positionsOf(address account) external view returns (uint256[] memory ids, uint256[] memory amounts) {
        ids = _positions[account];
        amounts = new uint256[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            amounts[i] = shortOf[account][ids[i]];
        }
    }

    /// @notice The requirement of `account`'s `callSide`, units.
    function required(address account, bool callSide) external view returns (uint256 total) {
        (total,) = _required(account, callSide);
    }

    function config() external view returns (MarginConfig memory) {
        return _config;
    }

    /* INTERNAL */

    /// @dev Σ over the side's shorts of min(full, max(floor·full, stressed value)), units rounded
    /// up. An expired short owes its payoff at the settlement price once recorded, and until
    /// then its payoff at the stressed spot (bounded the same way). A stale spot, or a live
    /// short's stale surface, counts full collateral and makes `fresh` false.
    function _required(address account, bool callSide) private view returns (uint256 total, bool fresh) {
        fresh = true;
        uint256[] storage ids = _positions[account];
        if (ids.length == 0) return (0, true);
        MarginConfig memory c = _config;
        (uint256 spot, bool spotFresh) = OracleReads.trySpot(spotOracle);
        uint256 stressed = callSide ? spot.mulWad(WAD + c.spotShockWad) : spot.mulWad(WAD - c.spotShockWad);
        for (uint256 i; i < ids.length; ++i) {
            uint256 id = ids[i];
            (uint256 expiry, uint256 strike, bool isCall) = OptionId.decode(id);
            if (isCall != callSide) continue;
            uint256 amount = shortOf[account][id];
            uint256 full = Collateral.full(isCall, strike);
            uint256 perOption = full;
            bool expired = expiry <= block.timestamp;
            if (expired && spotOracle.isSettled(expiry)) {
                // The settlement price is final: no stress, no freshness to wait for.
                (uint256 price,,) = spotOracle.settlementPrice(expiry);
                perOption = Collateral.payoff(isCall, strike, price);
            } else if (!spotFresh) {
                fresh = false;
            } else if (expired) {
                perOption = _expiredRequirement(isCall, strike, spot, stressed, full, c.floorWad);
            } else {
                (IVolOracle.SviParams memory params, bool ok) = OracleReads.tryParams(volOracle, expiry);
                if (ok) {
                    (uint256 value,,) =
                        pricer.mark(isCall, strike, stressed, expiry - block.timestamp, params, WAD + c.volShockWad);
                    perOption = _bounded(full, c.floorWad, Collateral.fromQuote(isCall, value, stressed, true));
                } else {
                    fresh = false;
                }
            }
            total += _units(isCall, amount, perOption, true);
        }
    }

    /// @dev Per option, an expired short whose settlement price is not recorded yet: its payoff
    /// at the stressed spot, bounded as a live short's (the settlement price may still move).
    /// Virtual for the test mock that asks the payoff at the latest spot, unstressed, as 6507dee
    /// did (contracts/mocks/NaiveMarginAccounts.sol, finding 7).
    function _expiredRequirement(bool isCall, uint256 strike, uint256, uint256 stressed, uint256 full, uint256 floorWad)
        internal
        pure
        virtual
        returns (uint256)
    {
        return _bounded(full, floorWad, _payoffUp(isCall, strike, stressed));
    }

    /// @dev Whether a liquidation may rest on a requirement whose inputs were `fresh`: only then
    /// (a stale board counts its shorts full, the keepers' lateness, not the account's). Virtual
    /// for the test mock that liquidates on it, as 6507dee did (NaiveMarginAccounts.sol, finding 8).
    function _liquidatesOn(bool fresh) internal pure virtual returns (bool) {
        return fresh;
    }

    /// @dev A liquidation's `collateral` split between the vault and the liquidator: the vault
    /// first, up to `cost − maxBonus`, the liquidator from what is left. Virtual for the test
    /// mock that pays the bonus first, as 6507dee did (NaiveMarginAccounts.sol, finding 13).
    function _liquidationSplit(uint256 cost, uint256 maxBonus, uint256 collateral)
        internal
        pure
        virtual
        returns (uint256 toVault, uint256 bonus)
    {
        toVault = FixedPointMathLib.min(cost - maxBonus, collateral);
        bonus = FixedPointMathLib.min(maxBonus, collateral - toVault);
    }

    /// @dev min(full, max(floor·full, value)), the floor rounded up.
    function _bounded(uint256 full, uint256 floorWad, uint256 value) private pure returns (uint256) {
        return FixedPointMathLib.min(full, FixedPointMathLib.max(full.mulWadUp(floorWad), value));
    }

    /// @dev Payoff per option at `price`, rounded up (a requirement: `Collateral.payoff` rounds
    /// down, as a holder's claim).
    function _payoffUp(bool isCall, uint256 strike, uint256 price) private pure returns (uint256) {
        if (isCall) return price > strike ? (price - strike).divWadUp(price) : 0;
        return strike > price ? strike - price : 0;
    }

    /// @dev A short is zero or at least the dust amount, so that its liquidation pays its gas.
    function _checkMinimum(address account, uint256 id, uint256 position) private view {
        uint256 minimum = _config.dustAmount;
        if (position != 0 && position < minimum) revert ShortBelowMinimum(account, id, position, minimum);
    }

    /// @dev Close factor, except that a short left below dust, or one the collateral cannot pay
    /// for at the penalty price, closes whole.
    function _maxLiquidation(bool isCall, uint256 position, uint256 collateral, uint256 midWad, MarginConfig memory c)
        private
        view
        returns (uint256)
    {
        uint256 partial_ = position.mulWad(c.closeFactorWad);
        if (position - partial_ < c.dustAmount) return position;
        if (collateral < _units(isCall, position, midWad.mulWadUp(WAD + c.penaltyWad), true)) return position;
        return partial_;
    }

    /// @dev Pays the vault an expired short's payoff from the collateral; the rest is bad debt.
    function _settleShort(address account, uint256 id, uint256 strike, bool isCall, uint256 price)
        private
        returns (uint256 paid)
    {
        uint256 amount = shortOf[account][id];
        uint256 owed = _units(isCall, amount, Collateral.payoff(isCall, strike, price), true);
        uint256 collateral = _collateral(account, isCall);
        paid = FixedPointMathLib.min(owed, collateral);
        uint256 badDebt = owed - paid;
        _reduceShort(account, id, amount);
        _setCollateral(account, isCall, collateral - paid);
        _recordBadDebt(account, id, isCall, badDebt);
        emit ShortSettled(account, id, amount, paid, badDebt);
        market.onShortRemoved(id, amount);
    }

    function _reduceShort(address account, uint256 id, uint256 amount) private {
        uint256 position = shortOf[account][id];
        if (amount > position) revert NoPosition(account, id);
        uint256 rest = position - amount;
        shortOf[account][id] = rest;
        if (rest != 0) return;
        uint256[] storage ids = _positions[account];
        for (uint256 i; i < ids.length; ++i) {
            if (ids[i] == id) {
                ids[i] = ids[ids.length - 1];
                ids.pop();
                return;
            }
        }
    }

    function _recordBadDebt(address account, uint256 id, bool isCall, uint256 amount) private {
        if (amount == 0) return;
        if (isCall) callBadDebt += amount;
        else putBadDebt += amount;
        emit BadDebt(account, id, isCall, amount);
    }

    function _collateral(address account, bool callSide) private view returns (uint256) {
        return callSide ? callCollateral[account] : putCollateral[account];
    }

    function _setCollateral(address account, bool callSide, uint256 amount) private {
        if (callSide) callCollateral[account] = amount;
        else putCollateral[account] = amount;
    }

    function _addCollateral(address account, bool callSide, uint256 amount) private {
        _setCollateral(account, callSide, _collateral(account, callSide) + amount);
    }

    function _vaultOf(bool isCall) private view returns (address) {
        return isCall ? callVault : putVault;
    }

    function _onlyMarket() private view {
        if (msg.sender != address(market)) revert NotMarket(msg.sender);
    }

    function _setConfig(MarginConfig memory c) private {
        if (c.spotShockWad >= WAD) revert InvalidConfig("spotShockWad", c.spotShockWad);
        if (c.volShockWad > 10 * WAD) revert InvalidConfig("volShockWad", c.volShockWad);
        if (c.floorWad > WAD) revert InvalidConfig("floorWad", c.floorWad);
        if (c.penaltyWad > 0.5e18) revert InvalidConfig("penaltyWad", c.penaltyWad);
        if (c.bonusWad > c.penaltyWad) revert InvalidConfig("bonusWad", c.bonusWad);
        if (c.closeFactorWad == 0 || c.closeFactorWad > WAD) revert InvalidConfig("closeFactorWad", c.closeFactorWad);
        _config = c;
        emit MarginConfigSet(c);
    }
}
// slither-disable-end unused-return,uninitialized-local,incorrect-equality
