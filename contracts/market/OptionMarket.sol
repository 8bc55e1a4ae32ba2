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
import {OptionBook} from "./OptionBook.sol";
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
    /// @notice Largest strike, quote wad (the pricing domain's largest spot).
    uint256 public constant MAX_STRIKE = 1e36;

    /* STORAGE */

    /// @notice The ERC-1155 positions (the market has its MARKET_ROLE).
    OptionToken public immutable optionToken;
    /// @notice The vaults' books (live options, stored totals, the epoch crank), created here:
    /// the market is its only writer, and the vaults' mark (IOptionsMark).
    OptionBook public immutable book;
    IOptioVault public immutable callVault;
    IOptioVault public immutable putVault;
    IMarginAccount public marginAccount;
    AmmQuote.FeeParams private _fees;
    RiskLimits private _limits;

    uint256[] private _expiries;
    // False positive: written through a storage pointer (`board`), which slither misses.
    // slither-disable-next-line uninitialized-state
    mapping(uint256 expiry => uint256[]) private _strikes;
    mapping(uint256 expiry => bool) public boardSettled;
    mapping(uint256 id => OptionState) private _options;

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
        book = new OptionBook(pricer_, base, quote_, address(callVault_), address(putVault_));
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
        // The board's live options only (a copy: settling one may take it out of the book).
        uint256[] memory live = book.boardLive(expiry);
        for (uint256 i; i < live.length; ++i) {
            _settleOption(live[i], price, totals);
        }
        // The released collateral and the reserves moved both vaults outside a trade.
        book.settleBoard(expiry);
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
    /// @dev The vault's long left at the margin account's price, not at a mark: the book's copy
    /// of its open interest follows, and the side's totals wait for the next sweep.
    function onShortRemoved(uint256 id, uint256 amount) external {
        if (msg.sender != address(marginAccount)) revert NotMarginAccount(msg.sender);
        (,, bool isCall) = OptionId.decode(id);
        book.onLongRemoved(id, amount, isCall);
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
        return _quote(id, kind, amount);
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
    /// False positive (reentrancy-no-eth): the call before the writes is to `book`, this market's
    /// own contract (created in the constructor), which calls only the pricer's views; and every
    /// caller of `_trade` is nonReentrant.
    // slither-disable-next-line reentrancy-no-eth
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
        (, uint256 strike, bool isCall) = OptionId.decode(id);
        // Priced with its side's totals, which the book holds to the exposure limits and stores.
        OptionPricer.TradeInput memory t = _inputs(id, kind, amount);
        OptionPricer.TradePrice memory p = book.trade(t, _fees, kind == TradeKind.Buy || kind == TradeKind.Sell, isCall);
        TradeQuote memory q;
        (q.perOptionWad, q.midWad, q.volWad, q.vegaWad) = (p.perOption, p.mid, p.vol, p.vega);
        _complete(q, t, isCall);
        premium = q.premium;
        bool traderPays = kind == TradeKind.Buy || kind == TradeKind.CloseShort;
        if (traderPays && premium > limit) revert PremiumAboveLimit(premium, limit);
        if (!traderPays && premium < limit) revert PremiumBelowLimit(premium, limit);
        emit Traded(msg.sender, id, kind, amount, premium, q.midWad, q.volWad, q.spotWad);

        IOptioVault vault = _vault(isCall);
        OptionState storage o = _options[id];
        if (kind == TradeKind.Buy) {
            uint256 shortOI = o.shortOI;
            uint256 lock = _locked(isCall, strike, shortOI + amount) - _locked(isCall, strike, shortOI);
            o.shortOI += uint96(amount); // checked: amount < 2^88 (AmountTooLarge)
            _checkLiveAmount(id, shortOI + amount);
            IERC20(address(_token(isCall))).safeTransferFrom(msg.sender, address(vault), premium);
            _checkUtilisation(vault.lockCollateral(lock));
            optionToken.mint(msg.sender, id, amount); // last: it calls the receiver
        } else if (kind == TradeKind.Sell) {
            o.longOI += uint96(amount);
            _checkLiveAmount(id, o.longOI);
            _checkUtilisation(vault.payFromFreeLiquidity(address(margin), premium));
            margin.openShort(msg.sender, id, amount, premium);
        } else if (kind == TradeKind.CloseLong) {
            uint256 shortOI = o.shortOI;
            uint256 unlock = _locked(isCall, strike, shortOI) - _locked(isCall, strike, shortOI - amount);
            o.shortOI = uint96(shortOI - amount);
            _removeLiveIfFlat(o, id, isCall);
            optionToken.burn(msg.sender, id, amount);
            vault.release(unlock, premium, msg.sender);
        } else {
            _reduceLong(id, amount, isCall);
            margin.closeShort(msg.sender, id, amount, premium, address(vault));
        }
    }

    /// @dev The quote of a trade now, without the book (the `quote` view).
    function _quote(uint256 id, TradeKind kind, uint256 amount) private view returns (TradeQuote memory q) {
        OptionPricer.TradeInput memory t = _inputs(id, kind, amount);
        (uint256 expiry, uint256 strike, bool isCall) = OptionId.decode(id);
        (q.perOptionWad, q.midWad, q.volWad, q.vegaWad) = pricer.tradePrice(
            isCall, t.vaultSells, t.spot, strike, expiry - block.timestamp, t.params, t.inventoryWad, t.utilisationWad, _fees
        );
        _complete(q, t, isCall);
    }

    /// @dev A trade's pricing inputs, read strictly (listing, amount, cutoff, oracles), with the
    /// market's limits and, for a Sell, the delta capacity.
    function _inputs(uint256 id, TradeKind kind, uint256 amount) private view returns (OptionPricer.TradeInput memory t) {
        if (!_options[id].listed) revert UnknownOption(id);
        RiskLimits memory limits = _limits;
        if (amount < limits.minAmount) revert AmountTooSmall(amount, limits.minAmount);
        if (amount > type(uint88).max) revert AmountTooLarge(amount);
        (uint256 expiry, uint256 strike, bool isCall) = OptionId.decode(id);
        uint256 cutoff = expiry - limits.tradingCutoff;
        if (block.timestamp >= cutoff) revert TradingClosed(expiry, cutoff);

        t.id = id;
        t.amount = amount;
        t.vaultSells = kind == TradeKind.Buy || kind == TradeKind.CloseShort;
        t.movesLong = kind == TradeKind.Sell || kind == TradeKind.CloseShort;
        (t.spot,) = spotOracle.latestPrice();
        (t.params, t.surfaceAt, t.surfaceFreshUntil) = volOracle.getParamsUntil(expiry);
        OptionState storage o = _options[id];
        int256 netBefore = int256(uint256(o.shortOI)) - int256(uint256(o.longOI));
        int256 netAfter = t.vaultSells ? netBefore + int256(amount) : netBefore - int256(amount);
        // The skew is linear in inventory, so pricing at the trade's midpoint charges its average.
        t.inventoryWad = _inventory((netBefore + netAfter) / 2, limits.inventoryScale);
        t.utilisationWad = _utilisationAfter(kind, isCall, strike, o.shortOI, amount);
        t.maxNetDelta = limits.maxNetDelta;
        t.maxNetVega = limits.maxNetVega;
        // The delta capacity: the options the vault buys may carry at most maxUtilisation × its
        // unlocked assets in delta (÷ spot for puts) — what collateral bounds for the options it
        // writes — so that neither moves its share price further on a post than the exit fee
        // (see IOptioVault). Unlocked, not idle: closing written options pays out of idle assets
        // up to their collateral, which must not be room for bought delta. Only a Sell raises it;
        // closes are never held up by it.
        t.maxBoughtDelta = type(uint256).max;
        if (kind == TradeKind.Sell) {
            t.maxBoughtDelta = _toWad(isCall, _vault(isCall).unlockedAssets()).mulWad(limits.maxUtilisation);
            if (!isCall) t.maxBoughtDelta = t.maxBoughtDelta.divWad(t.spot);
        }
    }

    /// @dev Copies the inputs into the quote and prices its premium in units, rounded in the
    /// vault's favour (up when the trader pays).
    function _complete(TradeQuote memory q, OptionPricer.TradeInput memory t, bool isCall) private view {
        (q.spotWad, q.inventoryWad, q.utilisationWad) = (t.spot, t.inventoryWad, t.utilisationWad);
        bool up = t.vaultSells;
        q.premium = _units(isCall, t.amount, Collateral.fromQuote(isCall, q.perOptionWad, t.spot, up), up);
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

    /// @dev Settles one live option of the board.
    function _settleOption(uint256 id, uint256 price, uint256[4] memory totals) private {
        (, uint256 strike, bool isCall) = OptionId.decode(id);
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
        if (o.longOI == 0) book.remove(id, isCall);
    }

    function _reduceLong(uint256 id, uint256 amount, bool isCall) private {
        OptionState storage o = _options[id];
        if (amount > o.longOI) revert InsufficientOpenInterest(amount, o.longOI);
        o.longOI -= uint96(amount);
        _removeLiveIfFlat(o, id, isCall);
    }

    function _vault(bool isCall) private view returns (IOptioVault) {
        return isCall ? callVault : putVault;
    }

    /// @dev Vault collateral covering `shortOI` options, units rounded up.
    function _locked(bool isCall, uint256 strike, uint256 shortOI) private view returns (uint256) {
        return _units(isCall, shortOI, Collateral.full(isCall, strike), true);
    }

    /// @dev Takes the option out of the book once nothing of it is left to mark: no open
    /// interest, or once settled, no vault long left (its margin shorts unsettled).
    function _removeLiveIfFlat(OptionState storage o, uint256 id, bool isCall) private {
        bool done = o.settled ? o.longOI == 0 : o.shortOI == 0 && o.longOI == 0;
        if (done) book.remove(id, isCall);
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
