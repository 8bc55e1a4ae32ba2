// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {FixedPointMathLib} from "solady/src/utils/FixedPointMathLib.sol";
import {IOptionMarket} from "../interfaces/IOptionMarket.sol";
import {IOptioVault} from "../interfaces/IOptioVault.sol";
import {IMarginAccount} from "../interfaces/IMarginAccount.sol";
import {IVolOracle} from "../interfaces/IVolOracle.sol";
import {AmmQuote} from "../libraries/AmmQuote.sol";
import {Collateral} from "../libraries/Collateral.sol";
import {OptionId} from "../libraries/OptionId.sol";
import {OptionPricer} from "./OptionPricer.sol";
import {OptionToken} from "./OptionToken.sol";
import {OptionValuation} from "./OptionValuation.sol";
import {TradeGuard} from "./TradeGuard.sol";

// slither-disable-start unused-return,uninitialized-local,incorrect-equality
// False positives, by detector (tools/slither_check.py):
// - unused-return: tuple destructuring names only the values used; the others are dropped on purpose.
// - uninitialized-local: locals start at zero by the language's rules, and these are meant to.
// - incorrect-equality: the strict equalities compare stored amounts and times with zero or ids, never a balance an outsider can move.
/// @title OptionMarket
/// @notice The options AMM (see IOptionMarket). Every option the vaults write is covered (a call
/// by one base unit, a put by K quote units); options bought from traders are covered by their
/// margin accounts.
/// @dev Expiry boundary: trading is open while `block.timestamp < expiry − tradingCutoff`; from
/// `expiry` on the option is expired (valued at intrinsic) and settles once the SpotOracle has
/// recorded the expiry's price. A pause stops Buy and Sell (new risk) only: closing, settling,
/// exercising and liquidating stay open. Every entry point that moves tokens is nonReentrant,
/// and ERC-1155 mints (which call the receiver) come last.
contract OptionMarket is IOptionMarket, OptionValuation, AccessControl, TradeGuard {
    using SafeERC20 for IERC20;
    using FixedPointMathLib for uint256;

    /* CONSTANTS */

    bytes32 public constant LISTER_ROLE = keccak256("LISTER_ROLE");
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @notice Options with open interest per vault: bounds the gas of NAV and exposure checks.
    uint256 public constant MAX_LIVE_OPTIONS = 64;
    /// @notice Largest strike, quote wad (the pricing domain's largest spot).
    uint256 public constant MAX_STRIKE = 1e36;

    /* STORAGE */

    /// @notice The ERC-1155 positions (the market has its MARKET_ROLE).
    OptionToken public immutable optionToken;
    IOptioVault public immutable callVault;
    IOptioVault public immutable putVault;
    IMarginAccount public marginAccount;
    AmmQuote.FeeParams private _fees;
    RiskLimits private _limits;

    uint256[] private _expiries;
    // False positive: written through storage pointers (`board`, `_live(isCall)`), which slither misses.
    // slither-disable-next-line uninitialized-state
    mapping(uint256 expiry => uint256[]) private _strikes;
    mapping(uint256 expiry => bool) public boardSettled;
    mapping(uint256 id => OptionState) private _options;
    // False positive: written through storage pointers (`board`, `_live(isCall)`), which slither misses.
    // slither-disable-next-line uninitialized-state
    uint256[] private _liveCalls;
    // False positive: written through storage pointers (`board`, `_live(isCall)`), which slither misses.
    // slither-disable-next-line uninitialized-state
    uint256[] private _livePuts;

    /* CONSTRUCTOR */

    constructor(
        OptionPricer pricer_,
        OptionToken optionToken_,
        IOptioVault callVault_,
        IOptioVault putVault_,
        IERC20Metadata base,
        IERC20Metadata quote_,
        AmmQuote.FeeParams memory fees_,
        RiskLimits memory limits,
        address admin
    ) OptionValuation(pricer_, base, quote_) {
        if (admin == address(0) || address(callVault_) == address(0) || address(putVault_) == address(0)) {
            revert ZeroAddress();
        }
        optionToken = optionToken_;
        callVault = callVault_;
        putVault = putVault_;
        _setFees(fees_);
        _setRiskLimits(limits);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /* LISTING */

    /// @inheritdoc IOptionMarket
    function listStrikes(uint256 expiry, uint256[] calldata strikes) external onlyRole(LISTER_ROLE) {
        uint256 earliest = block.timestamp + _limits.tradingCutoff;
        if (expiry <= earliest || expiry >= 1 << 64) revert ExpiryTooSoon(expiry, earliest + 1);
        uint256[] storage board = _strikes[expiry];
        if (board.length == 0) {
            _expiries.push(expiry);
            spotOracle.registerExpiry(expiry); // the market registers its own expiries
        }
        for (uint256 i; i < strikes.length; ++i) {
            uint256 strike = strikes[i];
            if (strike == 0 || strike > MAX_STRIKE) revert StrikeOutOfRange(strike);
            uint256 callId = OptionId.encode(expiry, strike, true);
            if (_options[callId].listed) revert StrikeAlreadyListed(expiry, strike);
            uint256 putId = OptionId.encode(expiry, strike, false);
            _options[callId].listed = true;
            _options[putId].listed = true;
            board.push(strike);
            emit StrikeListed(expiry, strike, callId, putId);
        }
    }

    /* TRADES */

    /// @inheritdoc IOptionMarket
    function buy(uint256 id, uint256 amount, uint256 maxPremium, uint256 deadline)
        external
        nonReentrant
        whenNotPaused
        returns (uint256)
    {
        return _trade(TradeKind.Buy, id, amount, maxPremium, deadline);
    }

    /// @inheritdoc IOptionMarket
    function sell(uint256 id, uint256 amount, uint256 minPremium, uint256 deadline)
        external
        nonReentrant
        whenNotPaused
        returns (uint256)
    {
        return _trade(TradeKind.Sell, id, amount, minPremium, deadline);
    }

    /// @inheritdoc IOptionMarket
    function closeLong(uint256 id, uint256 amount, uint256 minPremium, uint256 deadline)
        external
        nonReentrant
        returns (uint256)
    {
        return _trade(TradeKind.CloseLong, id, amount, minPremium, deadline);
    }

    /// @inheritdoc IOptionMarket
    function closeShort(uint256 id, uint256 amount, uint256 maxPremium, uint256 deadline)
        external
        nonReentrant
        returns (uint256)
    {
        return _trade(TradeKind.CloseShort, id, amount, maxPremium, deadline);
    }

    /* SETTLEMENT */

    /// @inheritdoc IOptionMarket
    function settle(uint256 expiry) external nonReentrant {
        uint256[] storage board = _strikes[expiry];
        if (board.length == 0) revert BoardNotListed(expiry);
        if (block.timestamp < expiry) revert NotExpired(expiry);
        if (boardSettled[expiry]) revert AlreadySettled(expiry);
        (uint256 price,,) = spotOracle.settlementPrice(expiry);
        boardSettled[expiry] = true;

        uint256[4] memory totals; // unlock and pay: calls, then puts
        _settleLive(true, expiry, price, totals);
        _settleLive(false, expiry, price, totals);
        if (totals[0] != 0 || totals[1] != 0) callVault.release(totals[0], totals[1], address(this));
        if (totals[2] != 0 || totals[3] != 0) putVault.release(totals[2], totals[3], address(this));
        emit BoardSettled(expiry, price, totals[1] + totals[3], totals[0] - totals[1], totals[2] - totals[3]);
    }

    // False positive (reentrancy-no-eth): the loop's calls go to the protocol's OptionToken (a burn:
    // no receiver hook) and to the immutable collateral token (ERC-20: no hook); the function is
    // nonReentrant, and each holder's state is written before that holder is paid.
    // slither-disable-start reentrancy-no-eth
    /// @inheritdoc IOptionMarket
    function exerciseFor(uint256 id, address[] calldata holders) external nonReentrant returns (uint256 paid) {
        OptionState storage o = _options[id];
        (uint256 expiry,, bool isCall) = OptionId.decode(id);
        // An option without open interest at settlement is not settled one by one: no one holds it.
        if (!boardSettled[expiry]) revert NotSettled(expiry);
        IERC20 token = IERC20(address(_token(isCall)));
        uint256 payoff = o.payoffWad;
        for (uint256 i; i < holders.length; ++i) {
            address holder = holders[i];
            uint256 amount = optionToken.balanceOf(holder, id);
            if (amount == 0) continue;
            uint256 payout = _units(isCall, amount, payoff, false);
            optionToken.burn(holder, id, amount);
            o.shortOI -= uint96(amount);
            o.reserveUnits -= uint128(payout);
            paid += payout;
            emit Exercised(holder, id, amount, payout);
            if (payout != 0) token.safeTransfer(holder, payout);
        }
        // Once every option is paid, the rounding left in the reserve goes back to the LPs.
        if (o.shortOI == 0 && o.reserveUnits != 0) {
            uint256 dust = o.reserveUnits;
            o.reserveUnits = 0;
            token.safeTransfer(address(_vault(isCall)), dust);
        }
    }
    // slither-disable-end reentrancy-no-eth

    /* MARGIN ACCOUNT */

    /// @inheritdoc IOptionMarket
    function onShortRemoved(uint256 id, uint256 amount) external {
        if (msg.sender != address(marginAccount)) revert NotMarginAccount(msg.sender);
        (,, bool isCall) = OptionId.decode(id);
        _reduceLong(id, amount, isCall);
    }

    /* ADMIN */

    /// @notice Wires the MarginAccount, once: it holds the shorts the vaults' longs are owed by,
    /// so it can never be swapped (a second call reverts with `MarginAccountAlreadySet`).
    function setMarginAccount(IMarginAccount margin) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(margin) == address(0)) revert ZeroAddress();
        if (address(marginAccount) != address(0)) revert MarginAccountAlreadySet(address(marginAccount));
        marginAccount = margin;
        emit MarginAccountSet(address(margin));
    }

    function setFees(AmmQuote.FeeParams calldata fees_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setFees(fees_);
    }

    /// @notice Replaces the limits; the option token's smallest position follows `minLiveAmount`
    /// (at deployment the token is given it: see OptionToken's constructor).
    function setRiskLimits(RiskLimits calldata limits) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setRiskLimits(limits);
        // Positions are zero or at least the live minimum (OptionToken.minBalance), so closes
        // and transfers cannot leave an option's open interest as dust in a live slot.
        optionToken.setMinBalance(limits.minLiveAmount);
    }

    /// @notice Stops Buy and Sell; never closing, settlement, exercise or liquidation.
    function pause() external onlyRole(GUARDIAN_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(GUARDIAN_ROLE) {
        _unpause();
    }

    /* VIEWS */

    /// @inheritdoc IOptionMarket
    function quote(uint256 id, TradeKind kind, uint256 amount) external view returns (TradeQuote memory) {
        return _quote(id, kind, amount, false);
    }

    /// @notice IOptionsMark: the vault's `portfolio` value; (0, true) for any other address.
    function optionsLiability(address vault) external view returns (int256 assets, bool fresh) {
        if (vault != address(callVault) && vault != address(putVault)) return (0, true);
        (assets,,, fresh) = portfolio(vault == address(callVault));
    }

    /// @notice A vault's open options: net value (collateral units, + a liability), net delta
    /// (wad options of base) and net vega (quote wad per 1.00 of vol), and whether the oracles
    /// were fresh (else values are conservative bounds and Greeks omit the stale part).
    /// @dev Gas grows linearly with the vault's live options (bounded by MAX_LIVE_OPTIONS).
    function portfolio(bool isCall) public view returns (int256 liability, int256 netDelta, int256 netVega, bool fresh) {
        uint256[] storage live = _live(isCall);
        if (live.length == 0) return (0, 0, 0, true); // no options: no oracle, no pricer call
        int256 valueWad;
        (valueWad, netDelta, netVega, fresh) = pricer.valueBook(isCall, _book(isCall, 0));
        liability = valueWad >= 0
            ? int256(_toUnits(isCall, uint256(valueWad), true))
            : -int256(_toUnits(isCall, uint256(-valueWad), false));
    }

    function isListed(uint256 id) external view returns (bool) {
        return _options[id].listed;
    }

    /// @notice An option's state; for one without open interest when its board settled (which
    /// `settle` skips), as if settled: its payoff at the settlement price, nothing reserved.
    function optionState(uint256 id) external view returns (OptionState memory s) {
        s = _options[id];
        (uint256 expiry, uint256 strike, bool isCall) = OptionId.decode(id);
        if (s.settled || !s.listed || !boardSettled[expiry]) return s;
        (uint256 price,,) = spotOracle.settlementPrice(expiry);
        s.settled = true;
        s.payoffWad = uint128(Collateral.payoff(isCall, strike, price));
    }

    function expiries() external view returns (uint256[] memory) {
        return _expiries;
    }

    function strikesOf(uint256 expiry) external view returns (uint256[] memory) {
        return _strikes[expiry];
    }

    function liveOptions(bool isCall) external view returns (uint256[] memory) {
        return _live(isCall);
    }

    function fees() external view returns (AmmQuote.FeeParams memory) {
        return _fees;
    }

    function riskLimits() external view returns (RiskLimits memory) {
        return _limits;
    }

    /// @notice The ERC-1155 id of `(expiry, strike, isCall)`.
    function optionId(uint256 expiry, uint256 strike, bool isCall) external pure returns (uint256) {
        return OptionId.encode(expiry, strike, isCall);
    }

    /* INTERNAL */

    /// @dev One path for the four trades: deadline, quote, premium limit (a maximum when the
    /// trader pays, a minimum when paid), then the kind's effects and interactions.
    function _trade(TradeKind kind, uint256 id, uint256 amount, uint256 limit, uint256 deadline)
        private
        returns (uint256 premium)
    {
        if (block.timestamp > deadline) revert DeadlinePassed(deadline);
        if (kind == TradeKind.CloseLong) {
            uint256 held = optionToken.balanceOf(msg.sender, id);
            if (amount > held) revert InsufficientOptions(amount, held);
        }
        IMarginAccount margin;
        if (kind == TradeKind.Sell || kind == TradeKind.CloseShort) {
            margin = marginAccount;
            if (address(margin) == address(0)) revert ZeroAddress();
        }
        // With the book, the pricer also checks the net delta and vega limits (`tradePriceWithBook`).
        TradeQuote memory q = _quote(id, kind, amount, true);
        premium = q.premium;
        bool traderPays = kind == TradeKind.Buy || kind == TradeKind.CloseShort;
        if (traderPays && premium > limit) revert PremiumAboveLimit(premium, limit);
        if (!traderPays && premium < limit) revert PremiumBelowLimit(premium, limit);
        emit Traded(msg.sender, id, kind, amount, premium, q.midWad, q.volWad, q.spotWad);

        (, uint256 strike, bool isCall) = OptionId.decode(id);
        IOptioVault vault = _vault(isCall);
        OptionState storage o = _options[id];
        if (kind == TradeKind.Buy) {
            uint256 shortOI = o.shortOI;
            uint256 lock = _locked(isCall, strike, shortOI + amount) - _locked(isCall, strike, shortOI);
            o.shortOI += uint96(amount); // checked: amount < 2^88 (AmountTooLarge)
            _checkLiveAmount(id, shortOI + amount);
            _addLive(o, id, isCall);
            IERC20(address(_token(isCall))).safeTransferFrom(msg.sender, address(vault), premium);
            _checkUtilisation(vault.lockCollateral(lock));
            optionToken.mint(msg.sender, id, amount); // last: it calls the receiver
        } else if (kind == TradeKind.Sell) {
            o.longOI += uint96(amount);
            _checkLiveAmount(id, o.longOI);
            _addLive(o, id, isCall);
            _checkUtilisation(vault.payFromFreeLiquidity(address(margin), premium));
            margin.openShort(msg.sender, id, amount, premium);
        } else if (kind == TradeKind.CloseLong) {
            uint256 shortOI = o.shortOI;
            uint256 unlock = _locked(isCall, strike, shortOI) - _locked(isCall, strike, shortOI - amount);
            o.shortOI = uint96(shortOI - amount);
            _removeLiveIfFlat(o, isCall);
            optionToken.burn(msg.sender, id, amount);
            vault.release(unlock, premium, msg.sender);
        } else {
            _reduceLong(id, amount, isCall);
            margin.closeShort(msg.sender, id, amount, premium, address(vault));
        }
    }

    /// @dev The trade's quote; with `withBook`, priced with its vault's book as the trade would
    /// leave it, so that the pricer checks the net delta and vega limits in the same call.
    function _quote(uint256 id, TradeKind kind, uint256 amount, bool withBook)
        private
        view
        returns (TradeQuote memory q)
    {
        if (!_options[id].listed) revert UnknownOption(id);
        RiskLimits memory limits = _limits;
        if (amount < limits.minAmount) revert AmountTooSmall(amount, limits.minAmount);
        if (amount > type(uint88).max) revert AmountTooLarge(amount);
        (uint256 expiry, uint256 strike, bool isCall) = OptionId.decode(id);
        uint256 cutoff = expiry - limits.tradingCutoff;
        if (block.timestamp >= cutoff) revert TradingClosed(expiry, cutoff);

        (q.spotWad,) = spotOracle.latestPrice();
        (IVolOracle.SviParams memory params,) = volOracle.getParams(expiry);
        OptionState storage o = _options[id];
        bool vaultSells = kind == TradeKind.Buy || kind == TradeKind.CloseShort;
        int256 netBefore = int256(uint256(o.shortOI)) - int256(uint256(o.longOI));
        int256 netAfter = vaultSells ? netBefore + int256(amount) : netBefore - int256(amount);
        // The skew is linear in inventory, so pricing at the trade's midpoint charges its average.
        q.inventoryWad = _inventory((netBefore + netAfter) / 2, limits.inventoryScale);
        q.utilisationWad = _utilisationAfter(kind, isCall, strike, o.shortOI, amount);
        if (withBook) {
            // The delta capacity: the options the vault buys may carry at most maxUtilisation ×
            // its unlocked assets in delta (÷ spot for puts) — what collateral bounds for the
            // options it writes — so that neither moves its share price further on a post than
            // the exit fee (see IOptioVault). Unlocked, not idle: closing written options pays
            // out of idle assets up to their collateral, which must not be room for bought delta.
            // Only a Sell raises it; closes are never held up by it.
            uint256 capacity = type(uint256).max;
            if (kind == TradeKind.Sell) {
                capacity = _toWad(isCall, _vault(isCall).unlockedAssets()).mulWad(limits.maxUtilisation);
                if (!isCall) capacity = capacity.divWad(q.spotWad);
            }
            OptionPricer.TradePrice memory p = pricer.tradePriceWithBook(
                OptionPricer.TradeInput(
                    id,
                    vaultSells,
                    q.spotWad,
                    params,
                    q.inventoryWad,
                    q.utilisationWad,
                    amount,
                    limits.maxNetDelta,
                    capacity,
                    limits.maxNetVega
                ),
                _fees,
                _bookAfter(id, isCall, vaultSells, amount)
            );
            (q.perOptionWad, q.midWad, q.volWad, q.vegaWad) = (p.perOption, p.mid, p.vol, p.vega);
        } else {
            (q.perOptionWad, q.midWad, q.volWad, q.vegaWad) = pricer.tradePrice(
                isCall,
                vaultSells,
                q.spotWad,
                strike,
                expiry - block.timestamp,
                params,
                q.inventoryWad,
                q.utilisationWad,
                _fees
            );
        }
        q.premium = _units(isCall, amount, Collateral.fromQuote(isCall, q.perOptionWad, q.spotWad, vaultSells), vaultSells);
    }

    /// @dev The utilisation the quote charges: for a Buy, the one it leaves (a deposit just
    /// before the trade must not buy a lower fee), as (locked + lock) / (free + locked) rounded
    /// up, at most 1: free + locked is the vault's idle assets less what its queue is owed, so
    /// this is at least the vault's own figure after the trade (which also counts the premium
    /// in). Other trades lock nothing: the vault's utilisation now.
    function _utilisationAfter(TradeKind kind, bool isCall, uint256 strike, uint256 shortOI, uint256 amount)
        private
        view
        returns (uint256)
    {
        IOptioVault vault = _vault(isCall);
        if (kind != TradeKind.Buy) return vault.utilisation();
        uint256 locked = vault.lockedAssets();
        uint256 idle = vault.freeLiquidity() + locked;
        uint256 lock = _locked(isCall, strike, shortOI + amount) - _locked(isCall, strike, shortOI);
        if (idle == 0) return WAD;
        return FixedPointMathLib.min(WAD, FixedPointMathLib.divUp((locked + lock) * WAD, idle));
    }

    function _inventory(int256 netShort, uint256 scale) private pure returns (int256 inv) {
        inv = netShort * int256(WAD) / int256(scale);
        if (inv > int256(WAD)) inv = int256(WAD);
        if (inv < -int256(WAD)) inv = -int256(WAD);
    }

    /// @dev The vault's live options as a pricer book, with `spare` empty entries at the end.
    function _book(bool isCall, uint256 spare) private view returns (OptionPricer.BookEntry[] memory book) {
        uint256[] storage live = _live(isCall);
        uint256 n = live.length;
        book = new OptionPricer.BookEntry[](n + spare);
        for (uint256 i; i < n; ++i) {
            book[i] = _entry(live[i]);
        }
    }

    /// @dev The book as a trade of `amount` options of `id` leaves it: that option's open
    /// interest moved, and the option appended when not yet live.
    function _bookAfter(uint256 id, bool isCall, bool vaultSells, uint256 amount)
        private
        view
        returns (OptionPricer.BookEntry[] memory book)
    {
        uint256 position = _options[id].livePosition;
        book = _book(isCall, position == 0 ? 1 : 0);
        uint256 at = position == 0 ? book.length - 1 : position - 1;
        if (position == 0) book[at] = _entry(id);
        if (vaultSells) book[at].shortOI += amount;
        else book[at].longOI += amount;
    }

    function _entry(uint256 id) private view returns (OptionPricer.BookEntry memory) {
        OptionState storage o = _options[id];
        // The payoff's slot is read only once settled: a live option's book entry costs one slot.
        bool settled = o.settled;
        return OptionPricer.BookEntry(id, o.shortOI, o.longOI, settled ? o.payoffWad : 0, settled);
    }

    /// @dev An opening trade may not leave the side it opens with dust (see `minLiveAmount`).
    function _checkLiveAmount(uint256 id, uint256 openInterest) private view {
        uint256 min = _limits.minLiveAmount;
        if (openInterest < min) revert LiveAmountTooSmall(id, openInterest, min);
    }

    /// @dev The vault's utilisation limit (after the trade).
    function _checkUtilisation(uint256 utilisation) private view {
        uint256 max = _limits.maxUtilisation;
        if (utilisation > max) revert UtilisationLimit(utilisation, max);
    }

    /// @dev Settles the live options of `expiry` on one side. `_settleOption` may remove the
    /// entry at `i` (swap with the last and pop), so `i` only moves on past an entry kept.
    function _settleLive(bool isCall, uint256 expiry, uint256 price, uint256[4] memory totals) private {
        uint256[] storage live = _live(isCall);
        uint256 i;
        while (i < live.length) {
            uint256 id = live[i];
            (uint256 e, uint256 strike,) = OptionId.decode(id);
            if (e != expiry || !_settleOption(id, strike, isCall, price, totals)) ++i;
        }
    }

    /// @dev Settles one live option; true when that removed it from the live list.
    function _settleOption(uint256 id, uint256 strike, bool isCall, uint256 price, uint256[4] memory totals)
        private
        returns (bool removed)
    {
        OptionState storage o = _options[id];
        uint256 payoff = Collateral.payoff(isCall, strike, price);
        uint256 locked = _locked(isCall, strike, o.shortOI);
        uint256 reserve = FixedPointMathLib.min(_units(isCall, o.shortOI, payoff, true), locked);
        o.payoffWad = uint128(payoff);
        o.settled = true;
        o.reserveUnits = uint128(reserve);
        uint256 k = isCall ? 0 : 2;
        totals[k] += locked;
        totals[k + 1] += reserve;
        removed = o.longOI == 0;
        if (removed) _removeLive(o, isCall);
    }

    function _reduceLong(uint256 id, uint256 amount, bool isCall) private {
        OptionState storage o = _options[id];
        if (amount > o.longOI) revert InsufficientOpenInterest(amount, o.longOI);
        o.longOI -= uint96(amount);
        _removeLiveIfFlat(o, isCall);
    }

    function _live(bool isCall) private view returns (uint256[] storage) {
        return isCall ? _liveCalls : _livePuts;
    }

    function _vault(bool isCall) private view returns (IOptioVault) {
        return isCall ? callVault : putVault;
    }

    /// @dev Vault collateral covering `shortOI` options, units rounded up.
    function _locked(bool isCall, uint256 strike, uint256 shortOI) private view returns (uint256) {
        return _units(isCall, shortOI, Collateral.full(isCall, strike), true);
    }

    function _addLive(OptionState storage o, uint256 id, bool isCall) private {
        if (o.livePosition != 0) return;
        uint256[] storage live = _live(isCall);
        if (live.length == MAX_LIVE_OPTIONS) revert TooManyLiveOptions(MAX_LIVE_OPTIONS);
        live.push(id);
        o.livePosition = uint48(live.length);
    }

    function _removeLiveIfFlat(OptionState storage o, bool isCall) private {
        bool done = o.settled ? o.longOI == 0 : o.shortOI == 0 && o.longOI == 0;
        if (done) _removeLive(o, isCall);
    }

    function _removeLive(OptionState storage o, bool isCall) private {
        uint256 position = o.livePosition;
        if (position == 0) return;
        uint256[] storage live = _live(isCall);
        uint256 last = live[live.length - 1];
        live[position - 1] = last;
        _options[last].livePosition = uint48(position);
        live.pop();
        o.livePosition = 0;
    }

    function _setFees(AmmQuote.FeeParams memory f) private {
        if (f.halfSpreadWad > WAD) revert InvalidConfig("halfSpreadWad", f.halfSpreadWad);
        if (f.skewWad > WAD) revert InvalidConfig("skewWad", f.skewWad);
        if (f.baseFeeWad > 0.1e18) revert InvalidConfig("baseFeeWad", f.baseFeeWad);
        if (f.utilisationFeeWad > WAD) revert InvalidConfig("utilisationFeeWad", f.utilisationFeeWad);
        if (f.moveWad > 0.25e18) revert InvalidConfig("moveWad", f.moveWad); // the oracle's largest jump
        _fees = f;
        emit FeesSet(f.halfSpreadWad, f.skewWad, f.baseFeeWad, f.utilisationFeeWad, f.moveWad);
    }

    function _setRiskLimits(RiskLimits memory l) private {
        if (l.tradingCutoff < 60 || l.tradingCutoff > 7 days) revert InvalidConfig("tradingCutoff", l.tradingCutoff);
        if (l.minAmount == 0) revert InvalidConfig("minAmount", 0);
        if (l.inventoryScale == 0) revert InvalidConfig("inventoryScale", 0);
        if (l.maxUtilisation > WAD) revert InvalidConfig("maxUtilisation", l.maxUtilisation);
        _limits = l;
        emit RiskLimitsSet(l);
    }
}
// slither-disable-end unused-return,uninitialized-local,incorrect-equality
