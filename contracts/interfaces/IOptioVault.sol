// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IOptioVault
/// @notice ERC-4626 vault that writes fully covered options. While it holds live options, LPs
/// enter and leave through ERC-7540-style requests filled at a later mark (forward-priced);
/// instant deposits and exits only while its mark has no price input.
/// @dev Amounts named `assets` are in the asset's own decimals; `shares` carry
/// `asset decimals + decimalsOffset` decimals.
///
/// Design choices (review of 6507dee):
/// - LP flows are priced forward. While the vault holds a live option its share price moves with
///   spot and vol, and an LP who could enter or leave at the mark she sees would trade on a post
///   she can see coming (a keeper's pending transaction, a missed poll in a fast market): the
///   exit fee bounds that only up to the keeper's threshold (findings B1, B4, D, V of
///   docs/security.md). So then `deposit`, `mint`, `withdraw` and `redeem` revert
///   `InstantFlowClosed` and their maxima are zero; LPs `requestDeposit` (assets escrowed) or
///   `requestRedeem` (shares escrowed), and the requests fill at the mark of a later fill that
///   the requester does not time: only requests made before the latest spot post fill (a fill
///   between posts is at a mark the requester saw, while the market may have moved by up to the
///   keeper's threshold); the filler (FILLER_ROLE, the oracle keeper, which posts and then fills)
///   may fill any of them; anyone else only once the filler has not called `serveQueue` for
///   `fillDelay` and only requests that old (a keeper that stopped filling cannot trap LPs; then
///   the requester can time her own fill, as any exit could before; request age alone let an LP
///   time her own fill behind a head she blocked herself while the keeper was there). Nothing else
///   fills: settle, closeLong and unlocks no longer serve the queue on the side (a holder could
///   time those). Deposits fill first (they never wait on liquidity), then redeems in order.
///   Instant flows stay open while the vault has no live option: its mark is its idle assets,
///   which no price moves, so no one can gain on a post by entering or leaving then.
/// - The queue is a doubly linked FIFO list of the pending requests only: a cancel unlinks its
///   request in O(1), and serving visits pending requests and nothing else, at most
///   `maxRequests` of them. Cancelled or served requests cost later calls nothing, so no number
///   of request/cancel pairs can push `serveQueue` past a block's gas. Deposit and redeem requests
///   share the id space and live in two such lists.
/// - No exit is priced at a bound. While the options cannot be marked (the market's
///   `optionsLiability` says fresh = false: spot or a surface is stale) the vault values its
///   shorts at full collateral; an LP paid at that mark would give the gap to those who stay.
///   So then the queue serves nothing (returns 0, never reverts: settle, closeLong and unlocks go
///   on), `withdraw` and `redeem` revert `MarkNotFresh` and `maxWithdraw`/`maxRedeem` are zero.
///   An LP's way out is delayed while the book cannot be marked — queue it, and it fills at the
///   next fresh mark — never priced at the bound. Deposits are refused at such a mark too.
/// - Every exit (withdraw, redeem, queued fill) pays `exitFeeWad` of the assets it would pay,
///   set aside for the protocol (`protocolFees`, collected by the admin: the timelock), never
///   credited to the LPs who stay: a credit made a stake a claim on other LPs' exits (a
///   one-unit deposit in front of the last LP's exit took her whole fee at 3b651b6), and even
///   capped at the fee rate on the stake it paid back the stake's own exit fee. The fee is a
///   deterrent, not income: default 0.5% (0.005e18): the oracle
///   keeper posts spot when it moves 0.5% (keepers/oracle.py `deviation = 0.005`), so the
///   share price an LP can see coming before a post moves by at most about maxUtilisation ×
///   Δspot (the vault's |net delta| × spot is at most maxUtilisation × its assets: see
///   below), ≤ 0.95 × 0.5% < 0.5% (the second-order gamma term aside): leaving before a post
///   and coming back after costs more than it saves. The same fee makes just-in-time liquidity around a trade (deposit → trade →
///   withdraw) cost more than the spread it would capture. At most `MAX_EXIT_FEE_WAD` (2%).
///   The fee does not depend on who else is in the vault, so no one can change what an exit
///   pays, or receive it, by depositing in front of it. When the last share leaves and nothing
///   is locked, the rounding left in the vault goes to `protocolFees` too: an empty vault holds
///   nothing, and the next depositor starts at the initial share price.
/// - The market keeps the delta of the options each vault buys (options of base; × spot for the
///   put vault) at most `maxUtilisation` × its unlocked assets (see IOptionMarket.RiskLimits);
///   written options are bounded by their collateral, and the two have opposite deltas, so a
///   move of the keeper's 0.5% threshold moves the share price by less than the fee.
interface IOptioVault {
    /* TYPES */

    enum RequestStatus {
        None,
        Pending,
        Claimable,
        Claimed,
        Cancelled
    }

    /// @param controller Who may claim or cancel (a deposit's shares are minted to it).
    /// @param isDeposit A deposit request (assets escrowed) or a redeem request (shares escrowed).
    /// @param requestedAt When it was made, while it is pending (zero once filled or cancelled).
    /// @param shares A redeem: shares escrowed. A deposit: shares minted at its fill (zero before).
    /// @param assets A redeem: assets reserved at its fill (zero before). A deposit: assets escrowed,
    /// then those that filled (less a part refunded past the cap).
    struct Request {
        address controller;
        RequestStatus status;
        bool isDeposit;
        uint64 requestedAt;
        uint128 shares;
        uint128 assets;
    }

    /* ERRORS */

    /// @notice Thrown when an amount that must be positive is zero.
    error ZeroAmount();
    /// @notice Thrown when a request id does not exist.
    error UnknownRequest(uint256 requestId);
    /// @notice Thrown when the caller is not the request's controller.
    error NotController(uint256 requestId, address caller, address controller);
    /// @notice Thrown when a request is not in the status the action needs.
    error WrongRequestStatus(uint256 requestId, RequestStatus status, RequestStatus expected);
    /// @notice Thrown when the market locks more than the free liquidity.
    error InsufficientFreeLiquidity(uint256 requested, uint256 available);
    /// @notice Thrown when the market unlocks more than is locked.
    error UnlockExceedsLocked(uint256 requested, uint256 locked);
    /// @notice Thrown when a value does not fit its packed storage.
    error AmountTooLarge(uint256 amount);
    /// @notice Thrown when a zero address is given where an account is needed.
    error ZeroAddress();
    /// @notice Thrown when an instant exit is asked while the options cannot be marked (a stale
    /// oracle): the exit would be priced at a bound. Queue it instead (`requestRedeem`).
    error MarkNotFresh();
    /// @notice Thrown when the options mark is set a second time: the wiring is immutable.
    error OptionsMarkAlreadySet(address current);
    /// @notice Thrown when an exit fee above `MAX_EXIT_FEE_WAD` is set.
    error ExitFeeTooHigh(uint256 exitFeeWad, uint256 maxExitFeeWad);
    /// @notice Thrown by an instant deposit, mint, withdraw or redeem while the vault holds live
    /// options (its share price moves with spot and vol): use `requestDeposit`/`requestRedeem`.
    error InstantFlowClosed();
    /// @notice Thrown when a deposit request names an owner other than the caller (the assets
    /// come from the caller).
    error OwnerNotSender(address owner, address sender);
    /// @notice Thrown when a request is of the other kind (a deposit cancelled as a redeem, …).
    error WrongRequestKind(uint256 requestId, bool isDeposit);
    /// @notice Thrown when a fill delay above `MAX_FILL_DELAY` is set.
    error FillDelayTooLong(uint256 fillDelay, uint256 maxFillDelay);
    /// @notice Thrown when a request is cancelled after a spot post it was made before, before
    /// the filler served it at that mark (round 6, P1); `cancellableAt`: when it may go anyway.
    error RequestCommitted(uint256 requestId, uint256 cancellableAt);
    /// @notice Thrown when a fill delay below `MIN_FILL_DELAY` is set.
    error FillDelayTooShort(uint256 fillDelay, uint256 minFillDelay);

    /* EVENTS */

    /// @notice ERC-7540: shares moved from `owner` into the redeem queue.
    event RedeemRequest(
        address indexed controller, address indexed owner, uint256 indexed requestId, address sender, uint256 shares
    );
    /// @notice ERC-7540: `assets` moved from `owner` into the deposit queue.
    event DepositRequest(
        address indexed controller, address indexed owner, uint256 indexed requestId, address sender, uint256 assets
    );
    /// @notice A deposit request was filled: `shares` minted to the controller for `assets`.
    event DepositFulfilled(uint256 indexed requestId, address indexed controller, uint256 assets, uint256 shares);
    /// @notice A pending deposit request was cancelled and its assets returned to the controller.
    event DepositCancelled(uint256 indexed requestId, address indexed controller, uint256 assets);
    /// @notice At its fill, `assets` of a deposit request were past the deposit cap: they are
    /// refunded to the controller (`depositRefunds`, `claimDepositRefund`); the rest filled.
    event DepositRefunded(uint256 indexed requestId, address indexed controller, uint256 assets);
    /// @notice A controller's refunded deposit assets were paid out.
    event DepositRefundClaimed(address indexed controller, address receiver, uint256 assets);
    /// @notice A queued request was served: `shares` burnt, `assets` set aside for the controller.
    event RedeemFulfilled(uint256 indexed requestId, address indexed controller, uint256 shares, uint256 assets);
    /// @notice Fulfilled assets were paid out.
    event RedeemClaimed(uint256 indexed requestId, address indexed controller, address receiver, uint256 assets);
    /// @notice A pending request was cancelled and its shares returned to the controller.
    event RedeemCancelled(uint256 indexed requestId, address indexed controller, uint256 shares);
    /// @notice Collateral locked or unlocked by the market; `lockedAssets` is the new total.
    event CollateralLocked(uint256 assets, uint256 lockedAssets);
    event CollateralUnlocked(uint256 assets, uint256 lockedAssets);
    /// @notice The market paid `assets` out of the vault (a premium, a payout reserve).
    event Paid(address indexed to, uint256 assets);
    /// @notice Admin changes.
    event DepositCapSet(uint256 depositCap);
    event OptionsMarkSet(address optionsMark);
    event ExitFeeSet(uint256 exitFeeWad);
    event FillDelaySet(uint256 fillDelay);
    /// @notice The protocol's share of an exit fee (or an empty vault's rounding) was set aside.
    event ProtocolFeeAccrued(uint256 assets);
    event ProtocolFeesCollected(address indexed to, uint256 assets);

    /* LP */

    /// @notice Queues `assets` of the caller (`owner` must be the caller) for deposit at the share
    /// price of its fill; the shares are minted to `controller` then. O(1) in the book: refused now
    /// only when it alone passes the cap (the queue may hold more); the fill checks the cap at
    /// its own mark, fills what fits and refunds the rest (`DepositRefunded`,
    /// `claimDepositRefund`; a request refunded whole ends Cancelled). Taken at a stale mark too
    /// (it waits for a fresh fill). Refused while paused.
    /// @return requestId Index in the queue (shared with redeem requests).
    function requestDeposit(uint256 assets, address controller, address owner) external returns (uint256 requestId);

    /// @notice Cancels a pending deposit request and returns its assets to the controller.
    function cancelDepositRequest(uint256 requestId) external;

    /// @notice Queues `shares` of `owner` for redemption at the price of fulfilment.
    /// @return requestId Index in the FIFO queue.
    function requestRedeem(uint256 shares, address controller, address owner) external returns (uint256 requestId);

    /// @notice Cancels a pending request (unlinked from the queue in O(1)) and returns its
    /// shares to the controller.
    function cancelRedeemRequest(uint256 requestId) external;

    /// @notice Pays a fulfilled request's assets to `receiver`. Controller only.
    function claim(uint256 requestId, address receiver) external returns (uint256 assets);

    /// @notice Pays the caller's refunded deposit assets (`depositRefunds`) to `receiver`.
    function claimDepositRefund(address receiver) external returns (uint256 assets);

    /// @notice Fills pending requests made before the latest spot post, at the current mark: up
    /// to `maxRequests` deposits (none while paused), then up to `maxRequests` redeems in order
    /// while liquidity allows, each at the share price less the exit fee; fills nothing while the
    /// options cannot be marked fresh. The filler (FILLER_ROLE) fills any such request; anyone
    /// else only while the filler has not called for `fillDelay`, and only requests that old. A
    /// filler's call counts only with a budget and a fresh mark. Visits only pending requests.
    /// @return served Requests filled.
    function serveQueue(uint256 maxRequests) external returns (uint256 served);

    /* MARKET */

    /// @notice Locks `assets` of free liquidity under written options.
    /// @return utilisationAfter `utilisation()` after the lock, wad.
    function lockCollateral(uint256 assets) external returns (uint256 utilisationAfter);

    function unlockCollateral(uint256 assets) external;

    function release(uint256 unlock, uint256 pay, address to) external;

    /// @notice Pays `assets` to `to` out of free liquidity.
    /// @return utilisationAfter `utilisation()` after the payment, wad.
    function payFromFreeLiquidity(address to, uint256 assets) external returns (uint256 utilisationAfter);

    /* VIEWS */

    /// @notice Collateral locked under written options, asset units.
    function lockedAssets() external view returns (uint128);

    /// @notice Locked collateral over gross assets, wad (1e18 = all locked), rounded up.
    function utilisation() external view returns (uint256);

    /// @notice Assets that may leave now: idle assets less locked collateral less the value of
    /// pending requests (which come first).
    function freeLiquidity() external view returns (uint256 assets);

    /// @notice ERC-7540: assets of deposit request `requestId` still pending for `controller`.
    function pendingDepositRequest(uint256 requestId, address controller) external view returns (uint256 assets);
    /// @notice Whether instant deposits and exits are open: the vault holds no live option.
    function instantFlowsOpen() external view returns (bool);
    /// @notice Seconds after which anyone may fill a request (the filler may at once), once the
    /// filler has not called `serveQueue` for as long.
    function fillDelay() external view returns (uint32);
    /// @notice The newest pending request (deposit or redeem), or `queueLength()` when none: the
    /// keepers post for a request made after the latest posts, whatever was cancelled since.
    function newestPendingRequest() external view returns (uint256);
    /// @notice When the filler last called `serveQueue` with a budget at a fresh mark (Unix s).
    function lastFillerServe() external view returns (uint40);
    /// @notice Assets escrowed by pending deposit requests (not part of totalAssets).
    function pendingDepositAssets() external view returns (uint128);
    /// @notice Deposit assets refunded to `controller` at fills (past the cap), not yet claimed;
    /// reserved like claims (not part of totalAssets).
    function depositRefunds(address controller) external view returns (uint256);
    /// @notice The first pending deposit request, or `queueLength()` when none is pending.
    function depositQueueHead() external view returns (uint256);
    /// @notice ERC-7540: shares of `requestId` still pending for `controller`.
    function pendingRedeemRequest(uint256 requestId, address controller) external view returns (uint256 shares);

    /// @notice ERC-7540: shares of `requestId` fulfilled and claimable by `controller`.
    function claimableRedeemRequest(uint256 requestId, address controller) external view returns (uint256 shares);

    function redeemRequest(uint256 requestId) external view returns (Request memory);

    /// @notice Requests ever made (the next request's id).
    function queueLength() external view returns (uint256);

    /// @notice The first pending redeem request (the next to be served), or `queueLength()` when
    /// none is pending.
    function queueHead() external view returns (uint256);

    /// @notice The pending request after `requestId` in the queue, or `queueLength()` when
    /// `requestId` is the last pending one or not pending at all.
    function nextPendingRequest(uint256 requestId) external view returns (uint256);

    /// @notice Fraction of the assets an exit would pay that is withheld for the protocol, wad
    /// (0.005e18 = 0.5%). See the design notes above.
    function exitFeeWad() external view returns (uint64);

    /// @notice Sets the exit fee (at most `MAX_EXIT_FEE_WAD`, 2%). Admin only. A raise applies
    /// to requests made after it: those already queued pay at most the fee in force when they
    /// were made (they may be unable to leave before the raise runs, timelock or not).
    function setExitFee(uint256 exitFeeWad) external;

    /// @notice Exit fees set aside for the protocol (not part of `totalAssets`), asset units.
    function protocolFees() external view returns (uint96);

    /// @notice Pays every protocol fee set aside to `to`. Admin only.
    function collectProtocolFees(address to) external returns (uint256 assets);

    /// @notice The vault's balance less what fulfilled requests and the protocol are owed,
    /// asset units (locked collateral included).
    function idleAssets() external view returns (uint256);

    /// @notice Idle assets less the collateral locked under written options, asset units: what
    /// the vault's bought options may carry in delta (IOptionMarket.RiskLimits.maxNetDelta).
    function unlockedAssets() external view returns (uint256);
}
