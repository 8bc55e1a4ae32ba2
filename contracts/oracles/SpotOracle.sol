// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ISpotOracle} from "../interfaces/ISpotOracle.sol";

// slither-disable-start uninitialized-local
// False positives, by detector (tools/slither_check.py):
// - uninitialized-local: locals start at zero by the language's rules, and these are meant to.
/// @title SpotOracle
/// @notice Keeper-posted spot price with freshness checks, a Chainlink-compatible read path and
/// settlement prices for registered expiries.
/// @dev Settlement rule, fixed by history and chosen by nobody:
///  - the settlement price of expiry E is the first posted price whose timestamp lies in
///    [E, E + settlementWindow];
///  - if the first price at or after E lies beyond the window, or none arrives before
///    E + settlementWindow + settlementGrace (the grace lets a late keeper deliver an in-window
///    observation), the settlement price is the last price posted before E, flagged `isFallback`.
///    Timestamps only increase, so once the window has closed with no price in it the outcome
///    can no longer change: funds never wait on a price that will not come.
/// The latest round is kept in one slot (readers pay one SLOAD), the anchor of the jump bound and
/// its ring of links' state in another, the links in `ANCHOR_LINKS` more, and the last
/// `HISTORY_SIZE` rounds in a ring buffer for `getRoundData`: a post writes two slots, three or
/// four when a link matures or is recorded (measured with a post a minute: ~45.8k gas steady,
/// ~49.7k when a link matures, ~58.0k when one is recorded, each four times a window, ~46.8k on
/// average; more while the rings fill for the first time; ~35k before the rings and the anchor).
/// Settlement is recorded at post time for the expiries registered in advance, which is why
/// expiries must be registered before prices pass them.
contract SpotOracle is ISpotOracle, AccessControl {
    /* CONSTANTS */

    bytes32 public constant KEEPER_ROLE = keccak256("KEEPER_ROLE");
    bytes32 public constant LISTER_ROLE = keccak256("LISTER_ROLE");
    /// @notice Bound on pending expiries, which bounds the work of one `post`.
    uint256 public constant MAX_PENDING_EXPIRIES = 64;
    uint64 private constant NO_EXPIRY = type(uint64).max;
    /// @notice Rounds served by `getRoundData` (the ring buffer's length).
    uint256 public constant HISTORY_SIZE = 64;
    /// @notice Links in the chain of next anchors, one recorded every `jumpWindow / ANCHOR_LINKS`:
    /// the anchor is between one window and one window plus one spacing old (see `_advanceAnchor`).
    uint256 public constant ANCHOR_LINKS = 4;

    /* STORAGE */

    /// @dev Latest round, packed into one slot.
    struct Round {
        uint128 priceWad;
        uint64 updatedAt;
        uint64 roundId;
    }

    /// @dev The jump bound's reference: a price and its observation time.
    struct Anchor {
        uint128 priceWad;
        uint64 timestamp;
    }

    /// @dev The anchor and where its successors lie in `_links`, one slot: a post reads it and,
    /// to see whether the oldest link has matured, that link.
    struct AnchorState {
        uint128 priceWad;
        uint64 timestamp;
        uint40 newestAt; // the newest link's observation time
        uint8 head; // index of the oldest link
        uint8 length; // links recorded, at most ANCHOR_LINKS
    }

    struct Settlement {
        uint128 priceWad;
        uint64 priceTimestamp;
        bool isFallback;
        bool recorded;
    }

    Round private _latest;
    Config private _config;
    /// @dev Registered, unsettled expiries, ascending.
    uint64[] private _pending;
    mapping(uint256 expiry => Settlement) private _settlements;
    string private _description;
    AnchorState private _anchor;
    /// @dev The next anchors, oldest first from `_anchor.head` (a ring; see `_advanceAnchor`).
    Anchor[ANCHOR_LINKS] private _links;
    /// @dev Round r lives at index r % HISTORY_SIZE.
    Round[HISTORY_SIZE] private _history;

    /* CONSTRUCTOR */

    constructor(address admin, string memory description_, Config memory config_) {
        _description = description_;
        _setConfig(config_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /* KEEPER */

    /// @inheritdoc ISpotOracle
    function post(uint256 priceWad, uint256 timestamp) external onlyRole(KEEPER_ROLE) {
        Round memory prev = _latest;
        Config memory cfg = _config;

        if (priceWad == 0) revert ZeroPrice();
        if (priceWad > type(uint128).max) revert PriceTooLarge(priceWad);
        if (timestamp <= prev.updatedAt) revert TimestampNotIncreasing(timestamp, prev.updatedAt);
        if (timestamp > block.timestamp) revert TimestampInFuture(timestamp, block.timestamp);
        // A price stale on arrival is refused, unless it is the in-window observation of a
        // pending expiry whose grace is still open: the grace exists so that such a price can
        // arrive late, and only until the grace ends (then the fallback stands).
        if (timestamp + cfg.maxAge < block.timestamp && !_settlesInGrace(timestamp, cfg)) {
            revert TimestampTooOld(timestamp, block.timestamp - cfg.maxAge);
        }
        // The jump bound only applies against a fresh previous price: after an outage the market
        // may really have moved further, and refusing it would brick the feed (the post then
        // becomes the anchor). It is measured from an anchor at least `jumpWindow` old (an anchor
        // reset to the previous post at the window's edge let two posts two seconds apart
        // compound two jumps: 2000 → 2500 → 3125) and from the previous post (against the anchor
        // alone, posts seconds apart swung 2500 → 1500 → 2500).
        if (prev.roundId != 0 && timestamp - prev.updatedAt <= cfg.maxAge) {
            Anchor memory anchor =
                _advanceAnchor(Anchor(prev.priceWad, prev.updatedAt), timestamp, cfg.jumpWindow, cfg.maxJumpWad);
            _checkJump(priceWad, anchor.priceWad, cfg.maxJumpWad);
            _checkJump(priceWad, prev.priceWad, cfg.maxJumpWad);
        } else {
            // Safe casts: priceWad checked above; timestamp <= block.timestamp. An empty chain.
            _anchor = AnchorState(uint128(priceWad), uint64(timestamp), 0, 0, 0);
        }

        uint64 roundId = prev.roundId + 1;
        // Safe casts: priceWad checked above; timestamp <= block.timestamp.
        Round memory round = Round(uint128(priceWad), uint64(timestamp), roundId);
        _latest = round;
        _history[roundId % HISTORY_SIZE] = round;
        emit PricePosted(roundId, priceWad, timestamp, msg.sender);

        if (timestamp >= cfg.nextExpiry) _crossExpiries(priceWad, timestamp, prev, cfg);
    }

    /// @dev |price − reference| ≤ reference·maxJump + 1 wei, compared without division. The wei of
    /// slack keeps the feed live at the bands' edge: a new anchor's band and the previous post's
    /// can meet in a single real point, A(1 − maxJump²), and when it was not a whole wei no price
    /// posted until the previous post was maxAge old (round 7, L1); with it they share a whole wei.
    function _checkJump(uint256 priceWad, uint256 referenceWad, uint256 maxJumpWad) private pure {
        uint256 diff = priceWad > referenceWad ? priceWad - referenceWad : referenceWad - priceWad;
        if (diff * 1e18 > maxJumpWad * referenceWad + 1e18) {
            revert PriceJumpTooLarge(priceWad, referenceWad, maxJumpWad);
        }
    }

    /// @dev The jump bound's reference for a post at `timestamp`: an anchor, a price observed at
    /// least `window` before the post, and a chain of the next ones (`_links`), each a previous
    /// post recorded at least window/ANCHOR_LINKS after the one before it. A link a window old
    /// becomes the anchor, at most one a post. With one candidate the anchor was one to two
    /// windows old, so a keeper tracking a steady fall could follow only (1 − maxJump) per two
    /// windows while a compromised one could move (1 + maxJump) per window (rounds 3 and 7, trend
    /// lag); with links window/4 apart the anchor is one window to one and a quarter old (plus
    /// the gap between posts). The growth bound holds as before: every post is within maxJump of
    /// a price observed a window earlier (links are posted prices, or clamped between a posted
    /// price and an older link), and posts less than a window apart stay within maxJump of one
    /// another through the previous-post bound (`post`).
    /// Each link is recorded clamped into a quarter (1/ANCHOR_LINKS) of the band of the link
    /// before it (the anchor it will follow; `_candidateOf`), and at most one link matures a
    /// post, so the anchor a post is measured against is within maxJump/4 of the one the previous
    /// post was measured against, and the previous post within (1 + maxJump)/(1 − maxJump/4) of
    /// it: the two bands meet and some price can always be posted (round 5, F4: unclamped, they
    /// could be disjoint after a wild path, refusing every price until the last post was maxAge
    /// old). Why a quarter: up to four links mature a window, and clamped into a whole band each
    /// could turn the anchor a whole jump, so a compromised keeper swung the price x2.96 within
    /// one window (x2.22 on the single-candidate rule; round 8, S1). A quarter moves the anchor at
    /// most (1 + maxJump/4)^4 ≈ (1 + maxJump) a window, as fast as the growth bound lets prices
    /// move (x2.02); an honest fall faster than (1 − maxJump/4) a spacing lags (round 8, T1).
    function _advanceAnchor(Anchor memory prev, uint256 timestamp, uint256 window, uint256 maxJumpWad)
        private
        returns (Anchor memory)
    {
        // A zero window is the per-post bound (each post against the previous): the naive rule.
        if (window == 0) return prev;
        AnchorState memory s = _anchor;
        bool changed;
        if (s.length != 0) {
            Anchor memory oldest = _links[s.head];
            if (timestamp - oldest.timestamp >= window) {
                (s.priceWad, s.timestamp) = (oldest.priceWad, oldest.timestamp);
                s.head = uint8((s.head + 1) % ANCHOR_LINKS);
                s.length--;
                changed = true;
            }
        }
        // A full ring (posts further apart than the links' spacing) records nothing: the anchor
        // is then older than it needs to be, which only narrows what the feed accepts.
        if (s.length < ANCHOR_LINKS && (s.length == 0 || prev.timestamp >= s.newestAt + window / ANCHOR_LINKS)) {
            uint256 refWad =
                s.length == 0 ? s.priceWad : _links[(s.head + s.length - 1) % ANCHOR_LINKS].priceWad;
            _links[(s.head + s.length) % ANCHOR_LINKS] = _candidateOf(prev, refWad, maxJumpWad);
            s.length++;
            // Safe cast: a post's timestamp is at most block.timestamp, far below 2^40 (past it,
            // in the year 36812, the cast wraps and only the spacing is lost: round 8, I1).
            s.newestAt = uint40(prev.timestamp);
            changed = true;
        }
        if (changed) _anchor = s;
        return Anchor(s.priceWad, s.timestamp);
    }

    /// @dev `prev` clamped into [anchor − d, anchor + d], d = anchor·maxJump/ANCHOR_LINKS rounded
    /// down (inside a quarter of the band; see `_advanceAnchor`). A clamp, not a refusal: the link
    /// is only a future reference, the posted price stands. Virtual only for the test mock that
    /// records the previous post as it is (contracts/mocks/NaiveBandSpotOracle.sol).
    function _candidateOf(Anchor memory prev, uint256 anchorWad, uint256 maxJumpWad)
        internal
        pure
        virtual
        returns (Anchor memory)
    {
        uint256 d = anchorWad * maxJumpWad / 1e18 / ANCHOR_LINKS;
        uint256 price = prev.priceWad;
        if (price > anchorWad + d) price = anchorWad + d;
        else if (price + d < anchorWad) price = anchorWad - d;
        // Safe cast: between the anchor and the previous post, both uint128.
        return Anchor(uint128(price), prev.timestamp);
    }

    /* SETTLEMENT */

    /// @inheritdoc ISpotOracle
    function registerExpiry(uint256 expiry) external onlyRole(LISTER_ROLE) {
        uint256 latestTimestamp = _latest.updatedAt;
        if (expiry <= latestTimestamp || expiry <= block.timestamp) {
            revert ExpiryNotAfterLatestPrice(expiry, latestTimestamp > block.timestamp ? latestTimestamp : block.timestamp);
        }
        if (expiry >= NO_EXPIRY) revert InvalidConfig("expiry", expiry);
        if (_settlements[expiry].recorded) revert ExpiryAlreadyRegistered(expiry);
        uint256 n = _pending.length;
        if (n >= MAX_PENDING_EXPIRIES) revert TooManyPendingExpiries(MAX_PENDING_EXPIRIES);

        // Insertion into the ascending list: n is bounded by MAX_PENDING_EXPIRIES.
        _pending.push(uint64(expiry));
        uint256 i = n;
        while (i > 0 && _pending[i - 1] > expiry) {
            _pending[i] = _pending[i - 1];
            i--;
        }
        if (i > 0 && _pending[i - 1] == expiry) revert ExpiryAlreadyRegistered(expiry);
        _pending[i] = uint64(expiry);
        _config.nextExpiry = _pending[0];
        emit ExpiryRegistered(expiry);
    }

    /// @inheritdoc ISpotOracle
    function recordFallbackSettlement(uint256 expiry) external {
        Config memory cfg = _config;
        // A pending expiry is never recorded: being pending is the whole check.
        if (!_isPending(expiry)) revert ExpiryNotPending(expiry);
        uint256 fallbackAfter = expiry + cfg.settlementWindow + cfg.settlementGrace;
        if (block.timestamp <= fallbackAfter) revert SettlementWindowOpen(expiry, fallbackAfter);
        Round memory last = _latest;
        if (last.roundId == 0) revert NoPrice();

        // Every pending expiry up to `expiry` is in the same state: its window closed with no
        // price, and the latest price (before all of them) is its fallback.
        uint256 settled;
        uint256 n = _pending.length;
        while (settled < n && _pending[settled] <= expiry) {
            _record(_pending[settled], last.priceWad, last.updatedAt, true);
            settled++;
        }
        _dropSettled(settled);
    }

    /* ADMIN */

    /// @notice Replaces the configuration (keeps the pending-expiry cursor). Admin only.
    /// A new jumpWindow or maxJumpWad restarts the anchor chain from the latest post, as an outage
    /// does: the chain was built under the old rule (frozen while jumpWindow was 0, or clamped to
    /// the old maxJump), and its anchor's band and the latest post's could be disjoint under the
    /// new one, refusing every price until the latest post was maxAge old (round 8, C1). The
    /// growth bound then counts from the latest post: at most one extra jump, once per change.
    function setConfig(Config calldata config_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Config memory c = config_;
        Config memory old = _config;
        c.nextExpiry = old.nextExpiry;
        if (c.jumpWindow != old.jumpWindow || c.maxJumpWad != old.maxJumpWad) {
            Round memory last = _latest;
            _anchor = AnchorState(last.priceWad, last.updatedAt, 0, 0, 0);
        }
        _setConfig(c);
    }

    /* VIEWS */

    /// @inheritdoc ISpotOracle
    function latestPrice() public view returns (uint256 priceWad, uint256 updatedAt) {
        Round memory r = _latest;
        if (r.roundId == 0) revert NoPrice();
        uint256 maxAge = _config.maxAge;
        // An addition, not `block.timestamp − updatedAt`: a read at a time before the post (an
        // eth_call on Anvil under interval mining was seen to run so) is fresh, not a Panic.
        if (block.timestamp > r.updatedAt + maxAge) revert StalePrice(r.updatedAt, maxAge);
        return (r.priceWad, r.updatedAt);
    }

    /// @notice Chainlink read path; reverts `StalePrice`/`NoPrice` rather than serve a stale price.
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        (uint256 priceWad, uint256 updatedAt) = latestPrice();
        uint80 roundId = _latest.roundId;
        // Safe cast: priceWad < 2^128.
        return (roundId, int256(priceWad), updatedAt, updatedAt, roundId);
    }

    /// @notice Chainlink read path for the last `HISTORY_SIZE` rounds; older ones (overwritten in
    /// the ring buffer), round 0 and future rounds revert `NoDataForRound`. No freshness check,
    /// as for any historical round.
    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80) {
        uint256 latestId = _latest.roundId;
        if (roundId == 0 || roundId > latestId || latestId - roundId >= HISTORY_SIZE) revert NoDataForRound(roundId);
        Round memory r = _history[roundId % HISTORY_SIZE];
        return (roundId, int256(uint256(r.priceWad)), r.updatedAt, r.updatedAt, roundId);
    }

    function decimals() external pure returns (uint8) {
        return 18;
    }

    function description() external view returns (string memory) {
        return _description;
    }

    function version() external pure returns (uint256) {
        return 1;
    }

    /// @inheritdoc ISpotOracle
    function settlementPrice(uint256 expiry) external view virtual returns (uint256, uint256, bool) {
        Settlement memory s = _settlements[expiry];
        if (!s.recorded) revert SettlementNotRecorded(expiry);
        return (s.priceWad, s.priceTimestamp, s.isFallback);
    }

    /// @inheritdoc ISpotOracle
    function isSettled(uint256 expiry) external view virtual returns (bool) {
        return _settlements[expiry].recorded;
    }

    /// @inheritdoc ISpotOracle
    function pendingExpiries() external view returns (uint256[] memory expiries) {
        uint256 n = _pending.length;
        expiries = new uint256[](n);
        for (uint256 i; i < n; i++) {
            expiries[i] = _pending[i];
        }
    }

    /// @inheritdoc ISpotOracle
    function config() external view returns (Config memory) {
        return _config;
    }

    /* INTERNAL */

    /// @dev Records every pending expiry at or before `timestamp`, in order. An in-window
    /// observation counts only while the expiry's grace is open: once it has ended the fallback
    /// was already due (anyone could have recorded it), and a late post must not change it.
    function _crossExpiries(uint256 priceWad, uint256 timestamp, Round memory prev, Config memory cfg) private {
        uint256 crossed;
        uint256 n = _pending.length;
        while (crossed < n && _pending[crossed] <= timestamp) {
            uint256 expiry = _pending[crossed];
            uint256 windowEnd = expiry + cfg.settlementWindow;
            if (timestamp <= windowEnd && block.timestamp <= windowEnd + cfg.settlementGrace) {
                _record(expiry, priceWad, timestamp, false);
            } else if (prev.roundId != 0) {
                _record(expiry, prev.priceWad, prev.updatedAt, true);
            } else {
                // No price was ever posted before this one: it is the only observation there is.
                _record(expiry, priceWad, timestamp, true);
            }
            crossed++;
        }
        _dropSettled(crossed);
    }

    function _record(uint256 expiry, uint256 priceWad, uint256 priceTimestamp, bool isFallback) private {
        // Safe casts: values come from a stored Round.
        _settlements[expiry] = Settlement(uint128(priceWad), uint64(priceTimestamp), isFallback, true);
        emit SettlementRecorded(expiry, priceWad, priceTimestamp, isFallback);
    }

    /// @dev Removes the first `count` entries of `_pending` and refreshes the cached head.
    function _dropSettled(uint256 count) private {
        if (count == 0) return;
        uint256 n = _pending.length;
        for (uint256 i = count; i < n; i++) {
            _pending[i - count] = _pending[i];
        }
        for (uint256 i; i < count; i++) {
            _pending.pop();
        }
        _config.nextExpiry = _pending.length == 0 ? NO_EXPIRY : _pending[0];
    }

    /// @dev Whether an observation at `timestamp` is in the window [E, E + settlementWindow] of a
    /// pending expiry E whose grace (E + settlementWindow + settlementGrace) is still open.
    /// Bounded by MAX_PENDING_EXPIRIES; only run for observations stale on arrival.
    function _settlesInGrace(uint256 timestamp, Config memory cfg) private view returns (bool) {
        if (timestamp < cfg.nextExpiry) return false;
        uint256 n = _pending.length;
        for (uint256 i; i < n && _pending[i] <= timestamp; i++) {
            uint256 windowEnd = uint256(_pending[i]) + cfg.settlementWindow;
            if (timestamp <= windowEnd && block.timestamp <= windowEnd + cfg.settlementGrace) return true;
        }
        return false;
    }

    function _isPending(uint256 expiry) private view returns (bool) {
        uint256 n = _pending.length;
        for (uint256 i; i < n; i++) {
            if (_pending[i] == expiry) return true;
        }
        return false;
    }

    function _setConfig(Config memory c) private {
        if (c.maxAge == 0) revert InvalidConfig("maxAge", c.maxAge);
        if (c.maxJumpWad == 0 || c.maxJumpWad > 1e18) revert InvalidConfig("maxJumpWad", c.maxJumpWad);
        if (c.settlementWindow == 0) revert InvalidConfig("settlementWindow", c.settlementWindow);
        // jumpWindow <= maxAge: the anchor is never older than the outage rule's reach, so the
        // first post after an outage always resets it (see `post`).
        if (c.jumpWindow > c.maxAge) revert InvalidConfig("jumpWindow", c.jumpWindow);
        if (c.nextExpiry == 0) c.nextExpiry = NO_EXPIRY;
        _config = c;
        emit ConfigUpdated(c.maxAge, c.maxJumpWad, c.settlementWindow, c.settlementGrace, c.jumpWindow);
    }
}
// slither-disable-end uninitialized-local
