// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @title ISpotOracle
/// @notice Spot price of the base asset in the quote asset, posted by keepers, readable as a
/// Chainlink feed, with a settlement price recorded for every registered expiry.
/// @dev Prices are 18-decimal fixed point (`decimals() == 18`); timestamps are Unix seconds.
///
/// Chainlink face (AggregatorV3Interface), for integrators (see docs/oracles.md):
///  - `latestRoundData` REVERTS (`StalePrice`, `NoPrice`) instead of returning a price older
///    than `maxAge`: an integrator's own `updatedAt` staleness check never sees a stale answer —
///    the revert is the check, so wrap the call in try/catch where a fallback is wanted;
///  - `updatedAt` (and `startedAt`, equal to it) is the observation's timestamp as posted by the
///    keeper, not the block time of the post; `answeredInRound == roundId`;
///  - `getRoundData` serves the last `HISTORY_SIZE` (64) rounds from a ring buffer, without a
///    freshness check (they are history); older rounds and round 0 revert `NoDataForRound`.
///
/// Moves are bounded per unit of time, not per post: a post may move at most `maxJumpWad` away
/// from an anchor price at least `jumpWindow` old (observation time) and from the previous post.
/// So within any `jumpWindow` the price moves at most `maxJumpWad` from where it was, and
/// compounding moves need real time. Each anchor is within `maxJumpWad` of the one before (its
/// candidate is clamped into that band), so some price can always be posted. The bound is lifted
/// when the previous price is stale (an outage: the market may really have moved further).
interface ISpotOracle is AggregatorV3Interface {
    /* ERRORS */

    /// @notice Thrown when a posted price is zero.
    error ZeroPrice();
    /// @notice Thrown when a posted timestamp is not after the latest one.
    error TimestampNotIncreasing(uint256 timestamp, uint256 latestTimestamp);
    /// @notice Thrown when a posted timestamp is after the current block's.
    error TimestampInFuture(uint256 timestamp, uint256 blockTimestamp);
    /// @notice Thrown when a posted price would already be stale on arrival (unless it settles a
    /// pending expiry).
    error TimestampTooOld(uint256 timestamp, uint256 oldestAccepted);
    /// @notice Thrown when a price moves more than `maxJumpWad` (relative, 1e18 = 100%) from the
    /// reference `previousPriceWad` (the anchor, or the previous post) while the previous price
    /// is still fresh.
    error PriceJumpTooLarge(uint256 priceWad, uint256 previousPriceWad, uint256 maxJumpWad);
    /// @notice Thrown when a price is too large for the packed 128-bit storage.
    error PriceTooLarge(uint256 priceWad);
    /// @notice Thrown when a reader asks for a price older than `maxAge` seconds.
    error StalePrice(uint256 updatedAt, uint256 maxAge);
    /// @notice Thrown when a reader asks for a price before any was posted.
    error NoPrice();
    /// @notice Thrown by `getRoundData` for round 0, a future round, or one older than the last
    /// `HISTORY_SIZE` rounds (the ring buffer has overwritten it).
    error NoDataForRound(uint80 roundId);
    /// @notice Thrown when an expiry is registered at or before the latest price's timestamp.
    error ExpiryNotAfterLatestPrice(uint256 expiry, uint256 latestTimestamp);
    /// @notice Thrown when an expiry is registered twice.
    error ExpiryAlreadyRegistered(uint256 expiry);
    /// @notice Thrown when registering would exceed `MAX_PENDING_EXPIRIES`.
    error TooManyPendingExpiries(uint256 max);
    /// @notice Thrown when the fallback is asked for an expiry that is not pending.
    error ExpiryNotPending(uint256 expiry);
    /// @notice Thrown when the fallback is asked for before `expiry + window + grace`.
    error SettlementWindowOpen(uint256 expiry, uint256 fallbackAfter);
    /// @notice Thrown when a settlement price is read before it is recorded.
    error SettlementNotRecorded(uint256 expiry);
    /// @notice Thrown when a configuration value is out of its documented range.
    error InvalidConfig(string field, uint256 value);

    /* EVENTS */

    /// @notice Emitted for every accepted price.
    event PricePosted(uint80 indexed roundId, uint256 priceWad, uint256 timestamp, address indexed keeper);
    /// @notice Emitted when an expiry is registered for settlement.
    event ExpiryRegistered(uint256 indexed expiry);
    /// @notice Emitted when an expiry's settlement price is fixed; `isFallback` when no price
    /// arrived inside [expiry, expiry + window] and the last price before expiry was used.
    event SettlementRecorded(uint256 indexed expiry, uint256 priceWad, uint256 priceTimestamp, bool isFallback);
    /// @notice Emitted when the admin changes the configuration.
    event ConfigUpdated(
        uint256 maxAge, uint256 maxJumpWad, uint256 settlementWindow, uint256 settlementGrace, uint256 jumpWindow
    );

    /* TYPES */

    /// @param maxAge Seconds after which a price is stale for readers.
    /// @param maxJumpWad Largest relative move from the anchor price within one `jumpWindow` while
    /// the previous price is fresh (1e18 = 100%).
    /// @param settlementWindow Seconds after an expiry in which a price timestamp counts as the
    /// settlement price.
    /// @param settlementGrace Further seconds in which an in-window price may still be delivered,
    /// after which anyone may record the fallback; an observation delivered later settles nothing
    /// in-window (the fallback stands).
    /// @param nextExpiry Internal cursor (the earliest pending expiry); ignored by `setConfig`.
    /// @param jumpWindow Seconds (observation time) after which the anchor of the jump bound is
    /// reset to the previous price; 0 bounds each post against the previous price only. At most
    /// `maxAge`, so that after an outage the anchor is always reset (default 3600).
    struct Config {
        uint32 maxAge;
        uint32 settlementWindow;
        uint32 settlementGrace;
        uint64 maxJumpWad;
        uint64 nextExpiry;
        uint32 jumpWindow;
    }

    /* FUNCTIONS */

    /// @notice Posts a price observed at `timestamp`. Keeper role only.
    /// @param priceWad Price of one base unit in quote units, 18 decimals.
    /// @param timestamp Unix seconds of the observation; strictly after the latest, not in the
    /// future, not older than `maxAge` on arrival — unless it is an in-window observation
    /// [E, E + settlementWindow] of a pending expiry E delivered before
    /// E + settlementWindow + settlementGrace (after that the fallback stands, and a post that
    /// crosses E records the fallback, not its own price).
    function post(uint256 priceWad, uint256 timestamp) external;

    /// @notice Registers an expiry whose settlement price the oracle must record. Lister role only.
    function registerExpiry(uint256 expiry) external;

    /// @notice Records the fallback settlement price (last price before `expiry`) once
    /// `expiry + window + grace` has passed with no price in the window. Anyone may call.
    function recordFallbackSettlement(uint256 expiry) external;

    /// @notice Latest price, reverting with `StalePrice` or `NoPrice` instead of returning a
    /// stale one.
    /// @return priceWad 18 decimals. @return updatedAt Unix seconds.
    function latestPrice() external view returns (uint256 priceWad, uint256 updatedAt);

    /// @notice Settlement price of `expiry`; reverts `SettlementNotRecorded` until it is fixed.
    function settlementPrice(uint256 expiry)
        external
        view
        returns (uint256 priceWad, uint256 priceTimestamp, bool isFallback);

    /// @notice Whether the settlement price of `expiry` is fixed.
    function isSettled(uint256 expiry) external view returns (bool);

    /// @notice Expiries registered and not yet settled, ascending.
    function pendingExpiries() external view returns (uint256[] memory);

    /// @notice The current configuration.
    function config() external view returns (Config memory);
}
