// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IOptionsMark} from "./IOptionsMark.sol";

/// @title IOptionBook
/// @notice The vaults' books as stored totals: each side's live options, its net liability, delta
/// and vega as one figure each, kept O(1) per trade, and re-based to the exact sum by a paged,
/// permissionless epoch crank. The vaults mark their shares with it (IOptionsMark), so no trade,
/// LP action or settlement walks the book. Lyra V1's OptionGreekCache keeps one cache per board
/// and gates trades on each board's staleness; here one figure per side is enough, because each
/// trade adds its own option's exact contribution and only the crank re-marks the others.
/// @dev Units: liability in collateral wad (+ a liability), delta in wad options of base, vega in
/// quote wad per 1.00 of vol. The market (its creator) is the only writer. It also answers
/// IOptionsBook (`liveCount`, and `spotOracle` through OptionValuation's public immutable).
interface IOptionBook is IOptionsMark {
    /// @notice A side's stored totals, or a crank's running sums.
    /// @param liability Net value of the options written less those bought, collateral wad,
    /// each entry rounded in the vault's favour. @param netDelta Wad options of base.
    /// @param netVega Quote wad per 1.00 of vol. @param boughtDelta Σ longOI·|delta| of the
    /// options bought (the delta capacity's figure). @param deltaBound, vegaBound What entries
    /// that could not be marked (stale surface) may add to |netDelta| and |netVega|.
    /// @param spot The snapshot's spot, quote wad. @param asOf The snapshot's time.
    /// @param spotAt The snapshot spot's post time (the spot oracle's `updatedAt`).
    /// @param cursor Crank only: the live options marked so far (they are in front).
    /// @param fresh Every option was marked at fresh inputs (else shorts that could not be
    /// marked count at full collateral, longs at zero).
    /// @param valid Totals: nothing outside a trade (a settlement, a liquidation) has moved the
    /// book since the snapshot. Crank: a sweep is under way.
    /// @param volPosts The VolOracle's `postCount` at the snapshot (its low 32 bits): a surface
    /// posted since makes the mark not fresh, and restarts a sweep under way. Times are uint32
    /// (seconds until 2106) and the cursor uint16 (≤ MAX_LIVE_OPTIONS) so that it fits the
    /// snapshot's slot.
    /// @param freshUntil The last second every surface a fresh option was marked at (by the
    /// sweep or a trade since) stays fresh: always before those options' expiries, so a mark is
    /// never fresh past a surface's max age or an expiry it priced (rounds B4, B6).
    /// @param surfacesAt The oldest post among those surfaces: a fill serves only requests made
    /// before it and before the spot post (round B3). Both type(uint32).max when none.
    struct BookTotals {
        int128 liability;
        int128 netDelta;
        int128 netVega;
        uint128 boughtDelta;
        uint128 deltaBound;
        uint128 vegaBound;
        uint128 spot;
        uint32 asOf;
        uint32 spotAt;
        uint16 cursor;
        bool fresh;
        bool valid;
        uint32 volPosts;
        uint32 freshUntil;
        uint32 surfacesAt;
    }

    error NotMarket(address caller);
    error TooManyLiveOptions(uint256 max);
    /// @notice A trade needs current totals: a snapshot at most TOTALS_MAX_AGE old, its surfaces
    /// still fresh (`freshUntil`), at a spot within TOTALS_MAX_MOVE_WAD of the trade's, not
    /// invalidated since; closes too, since the exposure limits hold on them (round B5), and
    /// anyone's crank makes them current. Settlement, exercise, liquidation and LP exits never
    /// wait on it.
    error BookTotalsStale(uint256 asOf, uint256 totalsSpot, uint256 spot);
    /// @notice A new option would pass its board's MAX_BOARD_LIVE (settlement walks a board in
    /// one transaction: the bound keeps it within a block).
    error BoardFull(uint256 expiry, uint256 max);
    error ZeroPage();

    /// @notice A crank finished a sweep: the side's totals are now its exact mark at `spot`.
    event BookMarked(
        bool indexed isCall, uint256 spot, uint256 asOf, int256 liability, int256 netDelta, int256 netVega, bool fresh
    );
    /// @notice A crank marked more live options of a sweep still under way (`cursor` of `live`).
    event BookCranked(bool indexed isCall, uint256 cursor, uint256 live);
    /// @notice A settlement or a liquidation moved the side's book outside a trade: its totals
    /// wait for the next sweep (trades and LP fills wait; settlement, exercise and exits do not).
    event BookTotalsInvalidated(bool indexed isCall);

    /// @notice Marks up to `maxOptions` more live options of one side at the sweep's snapshot spot
    /// (a sweep starts when none is under way, or over when the spot oracle has posted since its
    /// snapshot) and, when the last is marked, stores the exact sums as the side's totals.
    /// Anyone may call; reverts with the oracle's error while spot is stale or missing.
    /// @return done Whether this call finished the sweep.
    function crank(bool isCall, uint256 maxOptions) external returns (bool done);

    function bookTotals(bool isCall) external view returns (BookTotals memory);

    /// @notice The side's sweep under way (`valid` false: none).
    function bookSweep(bool isCall) external view returns (BookTotals memory);

    /// @notice Ids of the live options of one side, in book order.
    function liveOptions(bool isCall) external view returns (uint256[] memory);

    /// @notice How many options of one side are live (IOptionsBook).
    function liveCount(bool isCall) external view returns (uint256);
}
