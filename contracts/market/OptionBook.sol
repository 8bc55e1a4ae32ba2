// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {FixedPointMathLib} from "solady/src/utils/FixedPointMathLib.sol";
import {IOptionBook} from "../interfaces/IOptionBook.sol";
import {AmmQuote} from "../libraries/AmmQuote.sol";
import {OptionId} from "../libraries/OptionId.sol";
import {OptionPricer} from "./OptionPricer.sol";
import {OptionValuation} from "./OptionValuation.sol";

// slither-disable-start unused-return,uninitialized-local,incorrect-equality
// False positives, by detector (tools/slither_check.py):
// - unused-return: tuple destructuring names only the values used; the others are dropped on purpose.
// - uninitialized-local: locals start at zero by the language's rules, and these are meant to.
// - incorrect-equality: the strict equalities compare stored amounts and times with zero or ids, never a balance an outsider can move.
/// @title OptionBook
/// @notice The vaults' books (see IOptionBook): live options, stored totals and the epoch crank.
/// Created by its OptionMarket, the only writer; a separate contract because the market with the
/// totals inside passed the 24,576-byte code limit (EIP-170). It keeps its own copy of each live
/// option's open interest, in the slot of its list positions: a crank reads one slot an option,
/// not a call into the market (~2k gas an option of the 14k budget).
/// @dev Totals move three ways: (1) a trade adds its own option's exact contribution (amount ×
/// mid, delta, vega at the trade's spot and surface), O(1); (2) a sweep (`crank`, in pages) marks
/// every live option at one snapshot spot and replaces them with the exact sum; (3) a settlement
/// or liquidation invalidates them until the next sweep. A trade during a sweep also adds its
/// contribution to the sweep's sums when its option is already marked there (in front of the
/// cursor); the others are read when the crank reaches them.
contract OptionBook is IOptionBook, OptionValuation {
    using FixedPointMathLib for uint256;

    /* CONSTANTS */

    /// @notice Live options per side. No transaction but the crank (in pages of the caller's
    /// size) walks them; the bound is the `portfolio` view's and a sweep's number of pages.
    uint256 public constant MAX_LIVE_OPTIONS = 512;
    /// @notice Live options per board (both sides): `settle` walks a board in one transaction,
    /// ~30k gas an option at most, so 256 keep it under ~8M gas (Deribit lists ~40 strikes an
    /// ETH expiry: 80 options).
    uint256 public constant MAX_BOARD_LIVE = 256;
    /// @notice Oldest totals an opening trade may be checked against (`BookTotalsStale`).
    uint256 public constant TOTALS_MAX_AGE = 1 hours;
    /// @notice Largest spot move since the totals' snapshot at which an opening trade may be
    /// checked against them, wad fraction: the Greeks drift with spot (by gamma) between sweeps.
    uint256 public constant TOTALS_MAX_MOVE_WAD = 0.02e18;

    /* STORAGE */

    address public immutable market;
    address public immutable callVault;
    address public immutable putVault;

    // False positives (uninitialized-state): written through storage pointers, which slither misses.
    // slither-disable-next-line uninitialized-state
    uint256[] private _liveCalls;
    // slither-disable-next-line uninitialized-state
    uint256[] private _livePuts;
    /// @dev The live options of each expiry (both sides): what settlement walks.
    // slither-disable-next-line uninitialized-state
    mapping(uint256 expiry => uint256[]) private _boardLive;
    /// @dev Each live option's list positions and open interest, one slot (zero: not live).
    mapping(uint256 id => Live) private _lives;
    /// @dev Boards the market has settled (their options' shorts are paid from reserves).
    mapping(uint256 expiry => bool) private _settledBoards;

    /// @dev `side`, `board`: index + 1 in the side's and the board's list. `shortOI`, `longOI`:
    /// the market's (OptionState), wad options, kept in step by `trade` and `onLongRemoved`.
    struct Live {
        uint32 side;
        uint32 board;
        uint96 shortOI;
        uint96 longOI;
    }
    /// @dev Per side (0: calls, 1: puts): the stored totals, and the sweep under way.
    BookTotals[2] private _totals;
    BookTotals[2] private _sweeps;

    /* CONSTRUCTOR */

    /// @dev Called by the market's constructor: `msg.sender` is the market.
    constructor(OptionPricer pricer_, IERC20Metadata base, IERC20Metadata quote_, address callVault_, address putVault_)
        OptionValuation(pricer_, base, quote_)
    {
        market = msg.sender;
        callVault = callVault_;
        putVault = putVault_;
    }

    modifier onlyMarket() {
        if (msg.sender != market) revert NotMarket(msg.sender);
        _;
    }

    /* MARKET */

    /// @notice Prices a trade with its side's totals, holds it to the exposure limits, and
    /// stores the totals it leaves; an opening trade (`opens`) makes its option live. Reverts
    /// `BookTotalsStale` on totals that are not current, closes included: on stale totals a
    /// close that lifts the vault's exposure (a hedge closed) went unchecked (round B5), and no
    /// rule on stale totals tells a close that reduces it from one that does not.
    function trade(OptionPricer.TradeInput calldata t, AmmQuote.FeeParams calldata fees, bool opens, bool isCall)
        external
        onlyMarket
        returns (OptionPricer.TradePrice memory p)
    {
        uint256 side = isCall ? 0 : 1;
        if (_live(isCall).length == 0) _reset(side, t.spot);
        BookTotals memory s = _totals[side];
        if (!_current(s) || !_within(t.spot, s.spot, TOTALS_MAX_MOVE_WAD)) revert BookTotalsStale(s.asOf, s.spot, t.spot);
        OptionPricer.Sums memory before = _sums(s);
        OptionPricer.Sums memory a;
        (p, a) = pricer.tradeTotals(t, fees, before);
        _store(_totals[side], a);
        Live storage l = _lives[t.id];
        uint256 position = l.side;
        BookTotals storage w = _sweeps[side];
        if (w.valid && position != 0 && position <= w.cursor) _shift(w, before, a, t);
        if (opens && position == 0) _addLive(t.id, isCall);
        // The market's open interest after the trade. A close of more than is open saturates here
        // and reverts in the market with its own error (InsufficientOpenInterest).
        uint96 amount = uint96(t.amount); // checked by the market: < 2^88
        if (t.movesLong) l.longOI = t.vaultSells ? _less(l.longOI, amount) : l.longOI + amount;
        else l.shortOI = t.vaultSells ? l.shortOI + amount : _less(l.shortOI, amount);
    }

    /// @notice Takes a flat option out of its side's list (no-op if not live).
    function remove(uint256 id, bool isCall) external onlyMarket {
        _removeLive(id, isCall);
    }

    /// @notice The market settled `expiry`: its options are marked as settled from now on, and
    /// both sides' totals wait for a sweep started after it (one under way starts over).
    function settleBoard(uint256 expiry) external onlyMarket {
        _settledBoards[expiry] = true;
        _invalidate(true);
        _invalidate(false);
    }

    /// @notice A margin short of `id` left the market outside a trade (liquidation, expiry):
    /// the vault's long falls by `amount` at the margin account's price, not at a mark, so the
    /// side's totals wait for the next sweep.
    function onLongRemoved(uint256 id, uint256 amount, bool isCall) external onlyMarket {
        Live storage l = _lives[id];
        if (l.side != 0) l.longOI = _less(l.longOI, uint96(amount)); // the market checks amount ≤ longOI
        _invalidate(isCall);
    }

    /* CRANK */

    /// @inheritdoc IOptionBook
    function crank(bool isCall, uint256 maxOptions) external returns (bool done) {
        if (maxOptions == 0) revert ZeroPage();
        (uint256 spot, uint256 spotAt) = spotOracle.latestPrice(); // strict: no snapshot at a stale spot
        uint256 side = isCall ? 0 : 1;
        BookTotals memory s = _sweeps[side];
        // A new spot post or a new surface since the sweep began starts it over: one sweep is
        // at one spot and one set of surfaces.
        if (!s.valid || s.spotAt != spotAt || s.volPosts != _volPosts()) s = _snapshot(spot, spotAt);
        uint256[] storage live = _live(isCall);
        uint256 n = live.length;
        uint256 from = s.cursor;
        uint256 to = FixedPointMathLib.min(n, from + maxOptions);
        if (to > from) _add(s, pricer.valuePage(isCall, _entries(live, from, to), uint256(s.spot)));
        s.cursor = uint16(to); // to ≤ MAX_LIVE_OPTIONS
        done = to == n;
        if (!done) {
            _sweeps[side] = s;
            emit BookCranked(isCall, to, n);
            return false;
        }
        s.cursor = 0;
        _totals[side] = s;
        _sweeps[side].valid = false;
        emit BookMarked(isCall, s.spot, s.asOf, s.liability, s.netDelta, s.netVega, s.fresh);
    }

    /* VIEWS */

    /// @notice IOptionsMark: the vault's stored mark in units (liability rounded up, an asset
    /// down), O(1). Fresh only when usable for an LP fill: valid, fresh at its snapshot, at most
    /// TOTALS_MAX_AGE old, at the spot oracle's latest post and with no surface posted since.
    /// (0, true) for any other address and for a side with no live option.
    function optionsLiability(address vault) external view returns (int256 assets, bool fresh) {
        bool isCall = vault == callVault;
        if (!isCall && vault != putVault) return (0, true);
        if (_live(isCall).length == 0) return (0, true); // nothing to mark: no oracle needed
        BookTotals memory t = _totals[isCall ? 0 : 1];
        assets = _liabilityUnits(isCall, t.liability);
        fresh = t.fresh && _current(t) && _isLatestPost(t.spotAt) && t.volPosts == _volPosts();
    }

    /// @notice IOptionsBook: the earlier of the stored mark's spot post and the oldest surface
    /// post it used (Unix s); a fill serves only requests made before it.
    function pricedSince(bool isCall) external view returns (uint256) {
        BookTotals storage t = _totals[isCall ? 0 : 1];
        return FixedPointMathLib.min(t.spotAt, t.surfacesAt);
    }

    /// @notice IOptionsBook: the spot oracle's latest post time (Unix s), 0 while stale or none.
    function latestSpotAt() external view returns (uint256) {
        try spotOracle.latestPrice() returns (uint256, uint256 updatedAt) {
            return updatedAt;
        } catch {
            return 0;
        }
    }

    /// @notice A side marked now in one pass (a view for monitors and tests: no transaction
    /// walks the book): net value (collateral units, + a liability), net delta (wad options of
    /// base), net vega (quote wad per 1.00 of vol), and whether the oracles were fresh (else
    /// values are conservative bounds and Greeks omit the stale part).
    function portfolio(bool isCall) external view returns (int256 liability, int256 netDelta, int256 netVega, bool fresh) {
        uint256[] storage live = _live(isCall);
        if (live.length == 0) return (0, 0, 0, true); // no options: no oracle, no pricer call
        int256 wad;
        (wad, netDelta, netVega, fresh) = pricer.valueBook(isCall, _entries(live, 0, live.length));
        liability = _liabilityUnits(isCall, wad);
    }

    /// @inheritdoc IOptionBook
    function bookTotals(bool isCall) external view returns (BookTotals memory) {
        return _totals[isCall ? 0 : 1];
    }

    /// @inheritdoc IOptionBook
    function bookSweep(bool isCall) external view returns (BookTotals memory) {
        return _sweeps[isCall ? 0 : 1];
    }

    /// @inheritdoc IOptionBook
    function liveOptions(bool isCall) external view returns (uint256[] memory) {
        return _live(isCall);
    }

    /// @inheritdoc IOptionBook
    function liveCount(bool isCall) external view returns (uint256) {
        return _live(isCall).length;
    }

    /// @notice Index + 1 of `id` in its side's list (0: not live).
    function livePosition(uint256 id) external view returns (uint256) {
        return _lives[id].side;
    }

    /// @notice The side's live options as the pricer marks them (the book's copy of their open
    /// interest; settled: their board was settled).
    function bookEntries(bool isCall) external view returns (OptionPricer.BookEntry[] memory) {
        uint256[] storage live = _live(isCall);
        return _entries(live, 0, live.length);
    }

    /// @notice The live options of `expiry`, both sides (what `OptionMarket.settle` walks).
    function boardLive(uint256 expiry) external view returns (uint256[] memory) {
        return _boardLive[expiry];
    }

    /* INTERNAL */

    function _live(bool isCall) private view returns (uint256[] storage) {
        return isCall ? _liveCalls : _livePuts;
    }

    /// @dev Live options `from` to `to` (exclusive) of a side's list, as a pricer book.
    function _entries(uint256[] storage live, uint256 from, uint256 to)
        private
        view
        returns (OptionPricer.BookEntry[] memory page)
    {
        page = new OptionPricer.BookEntry[](to - from);
        // A book interleaves its expiries: the last one's settled flag is kept, not re-read.
        uint256 lastExpiry;
        bool settled;
        // Unchecked: `i` < `to` ≤ the list's length (the callers' bounds), so no index overflows
        // and no bounds check is needed (a warm length read an option saved).
        unchecked {
            for (uint256 i = from; i < to; ++i) {
                uint256 id;
                assembly ("memory-safe") {
                    mstore(0, live.slot)
                    id := sload(add(keccak256(0, 0x20), i))
                }
                Live storage l = _lives[id];
                (uint256 expiry,,) = OptionId.decode(id);
                // Only an expired board can be settled: a live one skips the read (a cold slot an
                // expiry a page, a warm one at each change of expiry: ~400 gas an option).
                if (expiry != lastExpiry) {
                    (lastExpiry, settled) = (expiry, expiry <= block.timestamp && _settledBoards[expiry]);
                }
                page[i - from] = OptionPricer.BookEntry(id, l.shortOI, l.longOI, settled);
            }
        }
    }

    function _addLive(uint256 id, bool isCall) private {
        uint256[] storage live = _live(isCall);
        if (live.length == MAX_LIVE_OPTIONS) revert TooManyLiveOptions(MAX_LIVE_OPTIONS);
        live.push(id);
        (uint256 expiry,,) = OptionId.decode(id);
        uint256[] storage board = _boardLive[expiry];
        if (board.length == MAX_BOARD_LIVE) revert BoardFull(expiry, MAX_BOARD_LIVE);
        board.push(id);
        // Safe casts: at most MAX_LIVE_OPTIONS a side, and a board's both sides.
        Live storage l = _lives[id];
        (l.side, l.board) = (uint32(live.length), uint32(board.length));
    }

    /// @dev Swap-and-pop, keeping a sweep's marked options in front of its cursor: when a marked
    /// slot frees while unmarked options remain, the last marked option fills it and the last
    /// option (unmarked) takes the last marked slot, which the cursor steps back over. A plain
    /// swap there moved an unmarked option behind the cursor, and the sweep never marked it.
    function _removeLive(uint256 id, bool isCall) private {
        Live memory l = _lives[id];
        if (l.side == 0) return;
        _removeFromBoard(id, l.board);
        uint256 position = l.side;
        uint256[] storage live = _live(isCall);
        uint256 n = live.length;
        BookTotals storage sweep = _sweeps[isCall ? 0 : 1];
        uint256 cursor = sweep.valid ? sweep.cursor : 0;
        uint256 at = position - 1;
        if (at < cursor && cursor < n) {
            _moveLive(live, cursor - 1, at);
            at = cursor - 1;
            sweep.cursor = uint16(at);
        } else if (sweep.valid && cursor == n) {
            sweep.cursor = uint16(n - 1);
        }
        _moveLive(live, n - 1, at);
        live.pop();
        delete _lives[id];
    }

    /// @dev Puts the live option at index `from` of its side's list at index `to` (its old
    /// slot is left as is).
    function _moveLive(uint256[] storage live, uint256 from, uint256 to) private {
        if (from == to) return;
        uint256 id = live[from];
        live[to] = id;
        _lives[id].side = uint32(to + 1);
    }

    /// @dev Swap-and-pop from its board's list (at `position`, index + 1).
    function _removeFromBoard(uint256 id, uint256 position) private {
        (uint256 expiry,,) = OptionId.decode(id);
        uint256[] storage board = _boardLive[expiry];
        uint256 last = board[board.length - 1];
        if (last != id) {
            board[position - 1] = last;
            _lives[last].board = uint32(position);
        }
        board.pop();
    }

    /// @dev An empty side's totals: exactly zero, now, at `spot` (the latest post).
    function _reset(uint256 side, uint256 spot) private {
        // Only the post's time is read here: `spot` is the trade's (slither: unused-return).
        // slither-disable-next-line unused-return
        (, uint256 spotAt) = spotOracle.latestPrice();
        _totals[side] = _snapshot(spot, spotAt);
    }

    function _snapshot(uint256 spot, uint256 spotAt) private view returns (BookTotals memory) {
        return BookTotals(
            0,
            0,
            0,
            0,
            0,
            0,
            uint128(spot),
            uint32(block.timestamp),
            uint32(spotAt),
            0,
            true,
            true,
            _volPosts(),
            type(uint32).max,
            type(uint32).max
        );
    }

    /// @dev Whether totals may price a trade or (with their spot post and surface count) a
    /// fill: valid, at most TOTALS_MAX_AGE old, and every surface they used still fresh.
    function _current(BookTotals memory t) private view returns (bool) {
        return t.valid && block.timestamp <= uint256(t.asOf) + TOTALS_MAX_AGE && block.timestamp <= t.freshUntil;
    }

    /// @dev Totals as the pricer's sums.
    function _sums(BookTotals memory t) private pure returns (OptionPricer.Sums memory) {
        return OptionPricer.Sums(
            t.liability, t.netDelta, t.netVega, t.boughtDelta, t.deltaBound, t.vegaBound, t.fresh, t.freshUntil, t.surfacesAt
        );
    }

    /// @dev Writes a trade's totals (the snapshot's fields stay). The times only move earlier
    /// (minima): the slot is written only when one does, and then below its type(uint32).max,
    /// so the casts are exact.
    function _store(BookTotals storage t, OptionPricer.Sums memory a) private {
        t.liability = SafeCast.toInt128(a.liability);
        t.netDelta = SafeCast.toInt128(a.netDelta);
        t.netVega = SafeCast.toInt128(a.netVega);
        t.boughtDelta = SafeCast.toUint128(a.boughtDelta);
        if (a.freshUntil < t.freshUntil) t.freshUntil = uint32(a.freshUntil);
        if (a.surfacesAt < t.surfacesAt) t.surfacesAt = uint32(a.surfacesAt);
    }

    /// @dev Adds a trade's contribution (`a` less `before`) to a sweep's sums, and its own
    /// surface's times (`t`'s, not `a`'s: those hold the stored totals' older surfaces, which the
    /// sweep did not price at; round R1: a trade between pages held a request back that way).
    function _shift(
        BookTotals storage w,
        OptionPricer.Sums memory before,
        OptionPricer.Sums memory a,
        OptionPricer.TradeInput calldata t
    ) private {
        w.liability = SafeCast.toInt128(w.liability + a.liability - before.liability);
        w.netDelta = SafeCast.toInt128(w.netDelta + a.netDelta - before.netDelta);
        w.netVega = SafeCast.toInt128(w.netVega + a.netVega - before.netVega);
        int256 bought = int256(uint256(w.boughtDelta)) + int256(a.boughtDelta) - int256(before.boughtDelta);
        w.boughtDelta = bought > 0 ? uint128(uint256(bought)) : 0;
        // Below the sweep's type(uint32).max when stored: the casts are exact.
        if (t.surfaceFreshUntil < w.freshUntil) w.freshUntil = uint32(t.surfaceFreshUntil);
        if (t.surfaceAt < w.surfacesAt) w.surfacesAt = uint32(t.surfaceAt);
    }

    /// @dev Its totals wait for a sweep started after now (one under way starts over).
    function _invalidate(bool isCall) private {
        uint256 side = isCall ? 0 : 1;
        _totals[side].valid = false;
        _sweeps[side].valid = false;
        emit BookTotalsInvalidated(isCall);
    }

    /// @dev Adds a page's sums to a sweep's.
    function _add(BookTotals memory s, OptionPricer.Sums memory page) private pure {
        s.liability = SafeCast.toInt128(s.liability + page.liability);
        s.netDelta = SafeCast.toInt128(s.netDelta + page.netDelta);
        s.netVega = SafeCast.toInt128(s.netVega + page.netVega);
        s.boughtDelta = SafeCast.toUint128(s.boughtDelta + page.boughtDelta);
        s.deltaBound = SafeCast.toUint128(s.deltaBound + page.deltaBound);
        s.vegaBound = SafeCast.toUint128(s.vegaBound + page.vegaBound);
        if (!page.fresh) s.fresh = false;
        // Only an earlier time is stored, so below the snapshot's type(uint32).max: the casts
        // are exact (none: type(uint256).max, which leaves it).
        if (page.freshUntil < s.freshUntil) s.freshUntil = uint32(page.freshUntil);
        if (page.surfacesAt < s.surfacesAt) s.surfacesAt = uint32(page.surfacesAt);
    }

    /// @dev A collateral-wad liability in token units, in the vault's favour: a liability
    /// (positive) rounded up, an asset (negative) rounded down.
    function _liabilityUnits(bool isCall, int256 wad) private view returns (int256) {
        return wad >= 0 ? int256(_toUnits(isCall, uint256(wad), true)) : -int256(_toUnits(isCall, uint256(-wad), false));
    }

    /// @dev The VolOracle's post count, low 32 bits: equal counts an hour apart at most
    /// (TOTALS_MAX_AGE) mean no post between them (2^32 posts in an hour cannot happen).
    function _volPosts() private view returns (uint32) {
        return uint32(volOracle.postCount());
    }

    /// @dev Whether the spot oracle is fresh and its latest post is the one at `spotAt`.
    function _isLatestPost(uint256 spotAt) private view returns (bool) {
        try spotOracle.latestPrice() returns (uint256, uint256 updatedAt) {
            return updatedAt == spotAt;
        } catch {
            return false;
        }
    }

    function _less(uint96 a, uint96 b) private pure returns (uint96) {
        return a > b ? a - b : 0;
    }

    /// @dev Whether `spot` is within `moveWad` (a fraction) of `ref`.
    function _within(uint256 spot, uint256 ref, uint256 moveWad) private pure returns (bool) {
        uint256 diff = spot > ref ? spot - ref : ref - spot;
        return diff <= ref.mulWad(moveWad);
    }
}
// slither-disable-end unused-return,uninitialized-local,incorrect-equality
