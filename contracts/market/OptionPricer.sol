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
    /// @param settled Its board is settled (its shorts are paid from the market's reserves).
    struct BookEntry {
        uint256 id;
        uint256 shortOI;
        uint256 longOI;
        bool settled;
    }

    /// @notice A trade to price with its side's book totals (`tradeTotals`).
    /// @param spot Quote wad, read strictly by the caller. @param params `id`'s expiry surface,
    /// read strictly. @param inventoryWad, utilisationWad As `AmmQuote`.
    /// @param amount Options traded, wad. @param movesLong Whether the trade moves the vault's
    /// long open interest (a Sell or a CloseShort) rather than its short.
    /// @param maxNetDelta, maxNetVega The market's limits (`IOptionMarket.RiskLimits`).
    /// @param maxBoughtDelta Largest Σ longOI·|delta| of the options the vault bought, wad
    /// options of base, after a trade that raises it (the market's delta capacity).
    /// @param surfaceAt, surfaceFreshUntil `params`' post time and the last second it is fresh
    /// (Unix s, `IVolOracle.getParamsUntil`): the totals priced at it are fresh no longer.
    struct TradeInput {
        uint256 id;
        bool vaultSells;
        bool movesLong;
        uint256 spot;
        IVolOracle.SviParams params;
        int256 inventoryWad;
        uint256 utilisationWad;
        uint256 amount;
        uint256 maxNetDelta;
        uint256 maxBoughtDelta;
        uint256 maxNetVega;
        uint256 surfaceAt;
        uint256 surfaceFreshUntil;
    }

    /// @notice `tradePrice`'s four figures: ask or bid, mid (quote wad per option), SVI vol
    /// (wad) and vega (quote wad per 1.00 of vol).
    struct TradePrice {
        uint256 perOption;
        uint256 mid;
        uint256 vol;
        uint256 vega;
    }

    /// @notice A book's (or a page's) sums: net liability in collateral wad (+ a liability;
    /// each entry rounded up as a liability, down as an asset), net delta (wad options of base),
    /// net vega (quote wad per 1.00 of vol), the delta of the options the vault bought
    /// (Σ longOI·|delta|, rounded up; stale ones at |delta| = 1), and bounds on what the stale
    /// entries the Greeks omit may add: |net OI| × 1 to |delta|, |net OI| × the largest vega
    /// S·φ(0)·√τ to |vega|. `fresh`: every entry was marked at fresh inputs. `freshUntil`:
    /// the last second (Unix) every surface a fresh entry was marked at stays fresh, always
    /// before those entries' expiries; `surfacesAt`: the oldest of those surfaces' posts (both
    /// type(uint256).max when no fresh entry used a surface).
    struct Sums {
        int256 liability;
        int256 netDelta;
        int256 netVega;
        uint256 boughtDelta;
        uint256 deltaBound;
        uint256 vegaBound;
        bool fresh;
        uint256 freshUntil;
        uint256 surfacesAt;
    }

    /// @dev The surfaces read during one pass, by expiry, with √(τ in years) (27 decimals, τ
    /// clamped as `_clampTau`): a book interleaves its expiries, and one oracle read and one
    /// root each (not one an entry) is what keeps a mark near its pricing cost. An open-addressed
    /// table keyed by the expiry's day (0: empty): boards a day or more apart take one probe an
    /// entry, where a list scan took half the expiries (~600 gas an entry at 10).
    struct Surfaces {
        uint256[] expiries;
        IVolOracle.SviParams[] params;
        bool[] fresh;
        uint256[] sqrtT27;
    }

    /// @dev Distinct expiries remembered per pass (a power of two); past them each entry reads
    /// its surface.
    uint256 private constant SURFACE_CACHE = 16;

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
        (uint256 spot, bool spotFresh) = OracleReads.trySpot(spotOracle);
        Sums memory sums = _valueBook(isCall, book, spot, spotFresh);
        return (sums.liability, sums.netDelta, sums.netVega, sums.fresh);
    }

    /// @notice `valueBook`'s sums of one page of a book at a given `spot` (an epoch crank's
    /// snapshot), with the bought delta and the stale bounds.
    function valuePage(bool isCall, BookEntry[] calldata page, uint256 spot) external view returns (Sums memory) {
        return _valueBook(isCall, page, spot, true);
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

    /// @notice `tradePrice` of option `t.id`, and its side's totals as the trade leaves them:
    /// `before` plus the trade's own exact contribution (its amount × the option's mid, delta
    /// and vega at this spot and surface; the surface's times in `freshUntil`, `surfacesAt`).
    /// O(1) whatever the book. `before` must be current (the book checks): reverts with
    /// `NetDeltaLimit` (`NetVegaLimit`) when the trade raises |net delta| (|net vega|) and leaves
    /// it, plus the stale entries' bound, above `t.maxNetDelta` (`t.maxNetVega`), and with
    /// `NetDeltaLimit(boughtDelta, capacity)` when a trade that raises the bought delta leaves it
    /// above `t.maxBoughtDelta`. Closes too: a close can lift the vault's exposure (a hedge
    /// closed), and the limits are the book's, not the position's (round B5).
    function tradeTotals(TradeInput calldata t, AmmQuote.FeeParams calldata fees, Sums calldata before)
        external
        view
        returns (TradePrice memory p, Sums memory a)
    {
        (uint256 expiry, uint256 strike, bool isCall) = OptionId.decode(t.id);
        (SurfacePricing.Quote memory q, uint256 price) = _tradePrice(
            isCall, t.vaultSells, t.spot, strike, expiry - block.timestamp, t.params, t.inventoryWad, t.utilisationWad, fees
        );
        p = TradePrice(price, isCall ? q.call : q.put, q.vol, q.vega);
        a = before;
        a.freshUntil = FixedPointMathLib.min(a.freshUntil, t.surfaceFreshUntil);
        a.surfacesAt = FixedPointMathLib.min(a.surfacesAt, t.surfaceAt);
        // The vault's net short moves by ±amount; each Greek enters as −net·Greek, the value as
        // +net·value (a liability up rounded up, down rounded down: in the vault's favour).
        uint256 amount = t.amount;
        int256 delta = isCall ? int256(q.callDelta) : int256(q.callDelta) - int256(WAD);
        int256 moved = t.vaultSells ? int256(amount) : -int256(amount);
        a.netDelta -= moved * delta / int256(WAD);
        a.netVega -= moved * int256(q.vega) / int256(WAD);
        a.liability += t.vaultSells
            ? int256(amount.mulWadUp(Collateral.fromQuote(isCall, p.mid, t.spot, true)))
            : -int256(amount.mulWad(Collateral.fromQuote(isCall, p.mid, t.spot, false)));
        if (t.movesLong) {
            uint256 bought = amount.mulWadUp(FixedPointMathLib.abs(delta));
            if (!t.vaultSells) {
                a.boughtDelta += bought;
            } else {
                bought = amount.mulWad(FixedPointMathLib.abs(delta));
                a.boughtDelta = a.boughtDelta > bought ? a.boughtDelta - bought : 0;
            }
        }
        if (_breaks(a.netDelta, before.netDelta, a.deltaBound, t.maxNetDelta)) {
            revert NetDeltaLimit(a.netDelta, t.maxNetDelta);
        }
        if (_breaks(a.netVega, before.netVega, a.vegaBound, t.maxNetVega)) revert NetVegaLimit(a.netVega, t.maxNetVega);
        // Only a Sell raises the bought delta (the vault buys). Against the bought options alone,
        // not the net: written options are bounded by their collateral, and a net cap let
        // offsetting written legs be closed after.
        if (t.movesLong && !t.vaultSells && a.boughtDelta > t.maxBoughtDelta) {
            revert NetDeltaLimit(int256(a.boughtDelta), t.maxBoughtDelta);
        }
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

    /// @dev The book pass at `spot` (`spotFresh`: whether it may be used): each entry's value
    /// and Greeks, summed (see `Sums`).
    function _valueBook(bool isCall, BookEntry[] calldata book, uint256 spot, bool spotFresh)
        private
        view
        returns (Sums memory sums)
    {
        (sums.fresh, sums.freshUntil, sums.surfacesAt) = (spotFresh, type(uint256).max, type(uint256).max);
        Surfaces memory surfaces = Surfaces(
            new uint256[](SURFACE_CACHE),
            new IVolOracle.SviParams[](SURFACE_CACHE),
            new bool[](SURFACE_CACHE),
            new uint256[](SURFACE_CACHE)
        );
        // Outside the loop: a declaration inside allocated a zeroed struct an entry.
        IVolOracle.SviParams memory params;
        uint256 sqrtT27;
        for (uint256 i; i < book.length; ++i) {
            BookEntry calldata e = book[i];
            (uint256 expiry, uint256 strike,) = OptionId.decode(e.id);
            if (e.settled) {
                // The holders' payouts are reserved in the market; the vault's long is paid by
                // `settleAccounts`, which may fall short: worth zero, and not fresh, until then.
                if (e.longOI != 0) sums.fresh = false;
                continue;
            }
            uint256 tau = expiry > block.timestamp ? expiry - block.timestamp : 0;
            bool ok = spotFresh;
            uint256 at = spot;
            if (ok && tau != 0) (params, ok, sqrtT27) = _surface(surfaces, expiry, sums);
            if (ok && tau == 0) (at, ok) = _expiredAt(expiry, spot);
            if (!ok) {
                sums.fresh = false;
                sums.liability += _stale(isCall, e, strike, tau, spot, sums);
                continue;
            }
            int256 net = int256(e.shortOI) - int256(e.longOI);
            (uint256 value, uint256 callDelta, uint256 vega) =
                _markAt(isCall, strike, at, _clampTau(tau), sqrtT27, params, WAD);
            if (tau == 0 && e.longOI != 0) {
                // Expired, its price known, the vault long: see `valueBook`. Shorts at payoff.
                sums.fresh = false;
                net = int256(e.shortOI);
            }
            // In the protocol's favour both ways: a liability rounded up, an asset (the vault
            // long) rounded down; an asset rounded up was worth more than its payoff (found by
            // the invariant fuzzer: settling shorts then cost the vault a few wei).
            uint256 perOption = Collateral.fromQuote(isCall, value, at, net >= 0);
            sums.liability += net >= 0 ? int256(uint256(net).mulWadUp(perOption)) : -int256(uint256(-net).mulWad(perOption));
            int256 delta = isCall ? int256(callDelta) : int256(callDelta) - int256(WAD);
            sums.netDelta -= net * delta / int256(WAD);
            if (e.longOI != 0) sums.boughtDelta += e.longOI.mulWadUp(FixedPointMathLib.abs(delta));
            sums.netVega -= net * int256(vega) / int256(WAD);
        }
    }

    /// @dev `expiry`'s surface and √(τ in years), read once per pass for the first
    /// SURFACE_CACHE expiries; a fresh one's times enter the sums' `freshUntil` and `surfacesAt`
    /// (a re-read past the cache changes neither: they are minima). `expiry` is in the future.
    function _surface(Surfaces memory c, uint256 expiry, Sums memory sums)
        private
        view
        returns (IVolOracle.SviParams memory p, bool fresh, uint256 sqrtT27)
    {
        uint256 slot;
        // Unchecked: a day index and a probe count far below 2^256.
        unchecked {
            slot = (expiry / 1 days) & (SURFACE_CACHE - 1);
            for (uint256 probes; probes < SURFACE_CACHE; ++probes) {
                uint256 held = c.expiries[slot];
                if (held == expiry) return (c.params[slot], c.fresh[slot], c.sqrtT27[slot]);
                if (held == 0) break;
                slot = (slot + 1) & (SURFACE_CACHE - 1);
            }
        }
        uint256 updatedAt;
        uint256 freshUntil;
        (p, updatedAt, freshUntil, fresh) = OracleReads.tryParamsUntil(volOracle, expiry);
        if (fresh) {
            if (freshUntil < sums.freshUntil) sums.freshUntil = freshUntil;
            if (updatedAt < sums.surfacesAt) sums.surfacesAt = updatedAt;
        }
        sqrtT27 = BlackScholes.sqrtYears27(_clampTau(expiry - block.timestamp));
        // Full after SURFACE_CACHE probes: the loop ended back on an occupied slot.
        if (c.expiries[slot] == 0) {
            (c.expiries[slot], c.params[slot], c.fresh[slot], c.sqrtT27[slot]) = (expiry, p, fresh, sqrtT27);
        }
    }

    /// @dev A stale entry: its shorts' full collateral as the liability (longs at zero), and its
    /// |net OI| added to the delta bound and × the largest vega S·φ(0)·√τ to the vega bound.
    function _stale(bool isCall, BookEntry calldata e, uint256 strike, uint256 tau, uint256 spot, Sums memory sums)
        private
        pure
        returns (int256)
    {
        uint256 absNet = e.shortOI > e.longOI ? e.shortOI - e.longOI : e.longOI - e.shortOI;
        sums.deltaBound += absNet;
        sums.boughtDelta += e.longOI;
        // √(τ in years) rounded up (+1 wei), so the bound stays an upper bound.
        uint256 maxVega = spot.mulWadUp(PHI_0).mulWadUp(FixedPointMathLib.sqrt(tau * WAD * WAD / 365 days) + 1);
        sums.vegaBound += absNet.mulWadUp(maxVega);
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
        tau = _clampTau(tau);
        uint256 sqrtT27 = tau == 0 ? 0 : BlackScholes.sqrtYears27(tau);
        return _markAt(isCall, strike, spot, tau, sqrtT27, params, volFactorWad);
    }

    /// @dev `_mark` with τ already clamped (`_clampTau`) and its √(years) given (27 decimals).
    function _markAt(
        bool isCall,
        uint256 strike,
        uint256 spot,
        uint256 tau,
        uint256 sqrtT27,
        IVolOracle.SviParams memory params,
        uint256 volFactorWad
    ) private pure returns (uint256 value, uint256 callDelta, uint256 vega) {
        uint256 call;
        uint256 put;
        if (tau == 0 || spot > BlackScholes.MAX_SPOT || strike * 20 < spot || strike > spot * 20) {
            (call, put, callDelta, vega) = BlackScholes.atExpiry(spot, strike);
        } else {
            int256 x = BlackScholes.logMoneyness(spot, strike);
            // The trade path's vol (27-decimal variance), so a mark equals a quote's mid.
            uint256 vol = SVI.impliedVolOrZero(params, -x, tau);
            if (volFactorWad != WAD) vol = vol.mulWad(volFactorWad);
            if (vol < BlackScholes.MIN_VOL) vol = BlackScholes.MIN_VOL;
            if (vol > BlackScholes.MAX_VOL) vol = BlackScholes.MAX_VOL;
            (call, put, callDelta, vega) = BlackScholes.priceAtRoot(spot, strike, x, sqrtT27, vol);
        }
        value = isCall ? call : put;
    }

    /// @dev Within a minute of expiry an option is priced with one minute left; 0 stays 0.
    function _clampTau(uint256 tau) private pure returns (uint256) {
        return tau != 0 && tau < BlackScholes.MIN_TAU ? BlackScholes.MIN_TAU : tau;
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
