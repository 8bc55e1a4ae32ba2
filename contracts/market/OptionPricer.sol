// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FixedPointMathLib} from "solady/src/utils/FixedPointMathLib.sol";
import {IVolOracle} from "../interfaces/IVolOracle.sol";
import {BlackScholes} from "../libraries/BlackScholes.sol";
import {SVI} from "../libraries/SVI.sol";
import {SurfacePricing} from "../libraries/SurfacePricing.sol";
import {AmmQuote} from "../libraries/AmmQuote.sol";
import {Collateral} from "../libraries/Collateral.sol";
import {OptionId} from "../libraries/OptionId.sol";
import {OracleReads} from "../libraries/OracleReads.sol";
import {ISpotOracle} from "../interfaces/ISpotOracle.sol";

// slither-disable-start unused-return,uninitialized-local,incorrect-equality
// False positives, by detector (tools/slither_check.py):
// - unused-return: tuple destructuring names only the values used; the others are dropped on purpose.
// - uninitialized-local: locals start at zero by the language's rules, and these are meant to.
// - incorrect-equality: the strict equalities compare stored amounts and times with zero or ids, never a balance an outsider can move.
/// @title OptionPricer
/// @notice The option math as a contract without state, deployed once and called by the market
/// and the margin account: a trade's price, one option's mark, and a book's value and Greeks.
/// Why not inlined: the compiler inlines the libraries at every call site, and the copies put
/// the market over the 24,576-byte code limit (EIP-170); a warm external call costs ~1,000 gas.
contract OptionPricer {
    using FixedPointMathLib for uint256;

    uint256 private constant WAD = 1e18;

    /// @notice One option of a vault's book.
    /// @param shortOI Options the vault wrote, wad. @param longOI Options it bought, wad.
    /// @param payoffWad Settled payoff per option in the collateral asset (if `settled`).
    struct BookEntry {
        uint256 id;
        uint256 shortOI;
        uint256 longOI;
        uint256 payoffWad;
        bool settled;
    }

    /// @notice A trade to price with its book (`tradePriceWithBook`).
    /// @param spot Quote wad, read strictly by the caller. @param params `id`'s expiry surface,
    /// read strictly. @param inventoryWad, utilisationWad As `AmmQuote`.
    /// @param amount Options traded, wad: the trade's own share of the book's Greeks.
    /// @param maxNetDelta, maxNetVega The market's limits (`IOptionMarket.RiskLimits`).
    /// @param maxBoughtDelta Largest Σ longOI·|delta| of the options the vault bought, wad
    /// options of base, after a trade that raises it (the market's delta capacity).
    struct TradeInput {
        uint256 id;
        bool vaultSells;
        uint256 spot;
        IVolOracle.SviParams params;
        int256 inventoryWad;
        uint256 utilisationWad;
        uint256 amount;
        uint256 maxNetDelta;
        uint256 maxBoughtDelta;
        uint256 maxNetVega;
    }

    /// @notice `tradePrice`'s four figures, and the book's net delta (wad options of base) and
    /// net vega (quote wad per 1.00 of vol) after the trade and before it (after minus the
    /// trade's own contribution), and bounds on what the stale entries the Greeks omit may add:
    /// |net OI| × 1 to |delta|, |net OI| × the largest vega S·φ(0)·√τ to |vega|.
    struct TradePrice {
        uint256 perOption;
        uint256 mid;
        uint256 vol;
        uint256 vega;
        int256 netDelta;
        int256 netVega;
        int256 netDeltaBefore;
        int256 netVegaBefore;
        uint256 deltaBound;
        uint256 vegaBound;
    }

    /// @dev What `_valueBook` knows before its pass (see there), the stale bounds it sums, and
    /// the delta of the options the vault bought (Σ longOI·|delta|, stale ones at |delta| = 1).
    struct BookCache {
        uint256 expiry;
        IVolOracle.SviParams params;
        bool paramsFresh;
        uint256 id;
        uint256 value;
        uint256 callDelta;
        uint256 vega;
        uint256 deltaBound;
        uint256 vegaBound;
        uint256 boughtDelta;
    }

    /// @dev φ(0) = 1/√(2π), wad: the largest vega per 1.00 of vol is S·φ(0)·√τ.
    uint256 private constant PHI_0 = 398942280401432678;

    /// @notice As `IOptionMarket`'s (same selectors): the market's trade reverts with them.
    error NetDeltaLimit(int256 netDelta, uint256 maxNetDelta);
    error NetVegaLimit(int256 netVega, uint256 maxNetVega);

    ISpotOracle public immutable spotOracle;
    IVolOracle public immutable volOracle;

    constructor(ISpotOracle spotOracle_, IVolOracle volOracle_) {
        spotOracle = spotOracle_;
        volOracle = volOracle_;
    }

    /// @notice A vault's book: net value in collateral wad (+ a liability; rounded up when a
    /// liability, down when an asset), net delta (wad options of base) and net vega (quote wad per
    /// 1.00 of vol) of the vault's side, and whether the mark is fresh. Not fresh: shorts count
    /// at their full collateral and longs at zero (a bound: what is recoverable for sure), and
    /// Greeks omit them. Not fresh are: a stale spot or surface; an expired option whose
    /// settlement price is not yet recorded; and a vault long past expiry (settled or not) until
    /// the margin accounts short of it are settled (`IMarginAccount.settleAccounts`), since the
    /// short side may not pay in full: such a long counts at zero, not at its payoff.
    function valueBook(bool isCall, BookEntry[] calldata book)
        external
        view
        returns (int256 valueWad, int256 netDelta, int256 netVega, bool fresh)
    {
        if (book.length == 0) return (0, 0, 0, true); // nothing to mark: no oracle needed
        uint256 spot;
        (spot, fresh) = OracleReads.trySpot(spotOracle);
        BookCache memory cache;
        return _valueBook(isCall, book, spot, fresh, cache);
    }

    /// @notice Price per option of a trade (quote wad): the strict quote path
    /// (`SurfacePricing.quote`, reverting outside the pricing domain), then `AmmQuote`'s ask when
    /// the vault sells or bid when it buys, at `inventoryWad` and `utilisationWad`.
    /// @return perOption Ask or bid.
    /// @return mid Black-Scholes value.
    /// @return vol SVI vol, wad.
    /// @return vega Per 1.00 of vol, quote wad.
    function tradePrice(
        bool isCall,
        bool vaultSells,
        uint256 spot,
        uint256 strike,
        uint256 tau,
        IVolOracle.SviParams calldata params,
        int256 inventoryWad,
        uint256 utilisationWad,
        AmmQuote.FeeParams calldata fees
    ) external pure returns (uint256 perOption, uint256 mid, uint256 vol, uint256 vega) {
        (SurfacePricing.Quote memory q, uint256 price) =
            _tradePrice(isCall, vaultSells, spot, strike, tau, params, inventoryWad, utilisationWad, fees);
        return (price, isCall ? q.call : q.put, q.vol, q.vega);
    }

    /// @notice `tradePrice` of option `t.id` and the net delta and vega of its vault's book as
    /// the trade leaves it (`bookAfter`), in one call: the trade's spot and surface, and the
    /// traded option's Greeks, serve the book too (an exposure check without a second pass).
    /// Reverts with `NetDeltaLimit` (`NetVegaLimit`) when the trade raises |net delta| (|net
    /// vega|) and leaves it, plus the stale entries' bound, above `t.maxNetDelta` (`t.maxNetVega`):
    /// the market's exposure check for every trade kind (here to keep the market under EIP-170).
    /// @return p Price as `tradePrice`; book Greeks as `valueBook` (its value is not returned).
    function tradePriceWithBook(TradeInput calldata t, AmmQuote.FeeParams calldata fees, BookEntry[] calldata bookAfter)
        external
        view
        returns (TradePrice memory p)
    {
        (uint256 expiry, uint256 strike, bool isCall) = OptionId.decode(t.id);
        (SurfacePricing.Quote memory q, uint256 price) = _tradePrice(
            isCall, t.vaultSells, t.spot, strike, expiry - block.timestamp, t.params, t.inventoryWad, t.utilisationWad, fees
        );
        p.perOption = price;
        p.mid = isCall ? q.call : q.put;
        p.vol = q.vol;
        p.vega = q.vega;
        BookCache memory cache = BookCache(expiry, t.params, true, t.id, p.mid, q.callDelta, q.vega, 0, 0, 0);
        (,p.netDelta, p.netVega,) = _valueBook(isCall, bookAfter, t.spot, true, cache);
        (p.deltaBound, p.vegaBound) = (cache.deltaBound, cache.vegaBound);
        // The trade moved the option's net short by ±amount; its Greeks entered as −net·Greek.
        int256 moved = t.vaultSells ? int256(t.amount) : -int256(t.amount);
        int256 delta = isCall ? int256(q.callDelta) : int256(q.callDelta) - int256(WAD);
        p.netDeltaBefore = p.netDelta + moved * delta / int256(WAD);
        p.netVegaBefore = p.netVega + moved * int256(q.vega) / int256(WAD);
        if (_breaks(p.netDelta, p.netDeltaBefore, p.deltaBound, t.maxNetDelta)) {
            revert NetDeltaLimit(p.netDelta, t.maxNetDelta);
        }
        if (_breaks(p.netVega, p.netVegaBefore, p.vegaBound, t.maxNetVega)) revert NetVegaLimit(p.netVega, t.maxNetVega);
        // Only a Sell raises the bought delta (the vault buys); the market passes the capacity
        // for Sells only. Against the bought options alone, not the net: written options are
        // bounded by their collateral, and a net cap let offsetting written legs be closed after.
        if (cache.boughtDelta > t.maxBoughtDelta) revert NetDeltaLimit(int256(cache.boughtDelta), t.maxBoughtDelta);
    }

    /// @dev A limit breaks when the trade raises |net| and leaves |net| + the stale bound above
    /// it; a trade that reduces exposure always passes.
    function _breaks(int256 net, int256 before, uint256 bound, uint256 max) private pure returns (bool) {
        uint256 after_ = FixedPointMathLib.abs(net);
        return after_ > FixedPointMathLib.abs(before) && after_ + bound > max;
    }

    function _tradePrice(
        bool isCall,
        bool vaultSells,
        uint256 spot,
        uint256 strike,
        uint256 tau,
        IVolOracle.SviParams memory params,
        int256 inventoryWad,
        uint256 utilisationWad,
        AmmQuote.FeeParams memory fees
    ) private pure returns (SurfacePricing.Quote memory q, uint256 perOption) {
        q = SurfacePricing.quote(spot, strike, tau, params);
        uint256 mid = isCall ? q.call : q.put;
        uint256 move = AmmQuote.moveFee(spot, isCall ? q.callDelta : WAD - q.callDelta, q.vega, q.vol, tau, fees.moveWad);
        perOption = vaultSells
            ? AmmQuote.ask(mid, spot, q.vega, q.vol, inventoryWad, utilisationWad, move, fees)
            : AmmQuote.bid(mid, spot, q.vega, q.vol, inventoryWad, utilisationWad, move, fees);
    }

    /// @dev The book pass. `cache` holds the surface of the last expiry read (a board's strikes
    /// share one) and, when `cache.id` is set, that option's value and Greeks already computed.
    function _valueBook(bool isCall, BookEntry[] calldata book, uint256 spot, bool fresh, BookCache memory cache)
        private
        view
        returns (int256 valueWad, int256 netDelta, int256 netVega, bool)
    {
        bool allFresh = fresh;
        for (uint256 i; i < book.length; ++i) {
            BookEntry calldata e = book[i];
            (uint256 expiry, uint256 strike,) = OptionId.decode(e.id);
            if (e.settled) {
                // The holders' payouts are reserved in the market; the vault's long is paid by
                // `settleAccounts`, which may fall short: worth zero, and not fresh, until then.
                if (e.longOI != 0) allFresh = false;
                continue;
            }
            uint256 tau = expiry > block.timestamp ? expiry - block.timestamp : 0;
            bool ok = fresh;
            uint256 at = spot;
            if (ok && tau != 0 && expiry != cache.expiry) {
                (cache.params, cache.paramsFresh) = OracleReads.tryParams(volOracle, expiry);
                cache.expiry = expiry;
            }
            if (ok && tau != 0) ok = cache.paramsFresh;
            if (ok && tau == 0) (at, ok) = _expiredAt(expiry, spot);
            if (!ok) {
                allFresh = false;
                valueWad += _stale(isCall, e, strike, tau, spot, cache);
                continue;
            }
            int256 net = int256(e.shortOI) - int256(e.longOI);
            (uint256 value, uint256 callDelta, uint256 vega) = e.id == cache.id
                ? (cache.value, cache.callDelta, cache.vega)
                : _mark(isCall, strike, at, tau, cache.params, WAD);
            if (tau == 0 && e.longOI != 0) {
                // Expired, its price known, the vault long: see `valueBook`. Shorts at payoff.
                allFresh = false;
                net = int256(e.shortOI);
            }
            // In the protocol's favour both ways: a liability rounded up, an asset (the vault
            // long) rounded down; an asset rounded up was worth more than its payoff (found by
            // the invariant fuzzer: settling shorts then cost the vault a few wei).
            uint256 perOption = Collateral.fromQuote(isCall, value, at, net >= 0);
            valueWad += net >= 0 ? int256(uint256(net).mulWadUp(perOption)) : -int256(uint256(-net).mulWad(perOption));
            int256 delta = isCall ? int256(callDelta) : int256(callDelta) - int256(WAD);
            netDelta -= net * delta / int256(WAD);
            _addBought(cache, e.longOI, delta);
            netVega -= net * int256(vega) / int256(WAD);
        }
        return (valueWad, netDelta, netVega, allFresh);
    }

    /// @dev Adds `longOI` options of `delta` (wad, signed) to the bought delta, rounded up.
    function _addBought(BookCache memory cache, uint256 longOI, int256 delta) private pure {
        if (longOI != 0) cache.boughtDelta += longOI.mulWadUp(FixedPointMathLib.abs(delta));
    }

    /// @dev A stale entry: its shorts' full collateral as the liability (longs at zero), and its
    /// |net OI| added to the delta bound and × the largest vega S·φ(0)·√τ to the vega bound.
    function _stale(bool isCall, BookEntry calldata e, uint256 strike, uint256 tau, uint256 spot, BookCache memory cache)
        private
        pure
        returns (int256)
    {
        uint256 absNet = e.shortOI > e.longOI ? e.shortOI - e.longOI : e.longOI - e.shortOI;
        cache.deltaBound += absNet;
        cache.boughtDelta += e.longOI;
        // √(τ in years) rounded up (+1 wei), so the bound stays an upper bound.
        uint256 maxVega = spot.mulWadUp(PHI_0).mulWadUp(FixedPointMathLib.sqrt(tau * WAD * WAD / 365 days) + 1);
        cache.vegaBound += absNet.mulWadUp(maxVega);
        return int256(e.shortOI.mulWadUp(Collateral.full(isCall, strike)));
    }

    /// @notice Value of one option, quote wad, at `spot` with `tau` seconds left and vol from the
    /// surface at the strike times `volFactorWad`; call delta (wad) and vega (quote wad per 1.00).
    /// Never reverts: within a minute of expiry it uses one minute; beyond K/S ∈ [0.05, 20] it
    /// uses intrinsic value (the time value there is below 1e-6 of spot up to 100% vol over a
    /// year); an SVI vol outside [1%, 1000%] is clamped into it.
    function mark(
        bool isCall,
        uint256 strike,
        uint256 spot,
        uint256 tau,
        IVolOracle.SviParams calldata params,
        uint256 volFactorWad
    ) external pure returns (uint256 value, uint256 callDelta, uint256 vega) {
        return _mark(isCall, strike, spot, tau, params, volFactorWad);
    }

    function _mark(
        bool isCall,
        uint256 strike,
        uint256 spot,
        uint256 tau,
        IVolOracle.SviParams memory params,
        uint256 volFactorWad
    ) private pure returns (uint256 value, uint256 callDelta, uint256 vega) {
        uint256 call;
        uint256 put;
        if (tau == 0 || spot > BlackScholes.MAX_SPOT || strike * 20 < spot || strike > spot * 20) {
            (call, put, callDelta, vega) = BlackScholes.atExpiry(spot, strike);
        } else {
            if (tau < BlackScholes.MIN_TAU) tau = BlackScholes.MIN_TAU;
            int256 x = BlackScholes.logMoneyness(spot, strike);
            // The trade path's vol (27-decimal variance), so a mark equals a quote's mid.
            uint256 vol = SVI.impliedVolOrZero(params, -x, tau).mulWad(volFactorWad);
            if (vol < BlackScholes.MIN_VOL) vol = BlackScholes.MIN_VOL;
            if (vol > BlackScholes.MAX_VOL) vol = BlackScholes.MAX_VOL;
            (call, put, callDelta, vega) = BlackScholes.priceAt(spot, strike, x, tau, vol);
        }
        value = isCall ? call : put;
    }

    /// @dev The price an expired, unsettled option is marked at (τ = 0): the expiry's settlement
    /// price once the SpotOracle has recorded it (`recorded`); before, nothing is known for sure
    /// and the entry is valued as stale. Virtual only so that the attack tests can deploy a
    /// naive pricer that marks at the latest spot for ever.
    function _expiredAt(uint256 expiry, uint256 spot) internal view virtual returns (uint256 at, bool recorded) {
        if (!spotOracle.isSettled(expiry)) return (spot, false);
        (at,,) = spotOracle.settlementPrice(expiry);
        return (at, true);
    }
}
// slither-disable-end unused-return,uninitialized-local,incorrect-equality
