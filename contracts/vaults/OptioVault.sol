// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IOptioVault} from "../interfaces/IOptioVault.sol";
import {IOptionsBook, IOptionsMark} from "../interfaces/IOptionsMark.sol";

// slither-disable-start uninitialized-local,incorrect-equality
// False positives, by detector (tools/slither_check.py):
// - uninitialized-local: locals start at zero by the language's rules, and these are meant to.
// - incorrect-equality: the strict equalities compare stored amounts and times with zero or ids, never a balance an outsider can move.
/// @title OptioVault
/// @notice Shared logic of the call and put vaults: ERC-4626 shares over a collateral asset,
/// marked to market by the options market, with forward-priced deposit and redeem requests.
/// @dev Design notes (forward-priced LP flows, linked queues, no exit at a stale mark, exit fee)
/// in IOptioVault.
/// Valuation: totalAssets = balance − assets reserved for fulfilled requests − mark of the
/// options written (a liability). Rounding follows ERC-4626 in the vault's favour: shares minted
/// and assets paid round down; shares burnt round up. Inflation attacks are made unprofitable by
/// OpenZeppelin's virtual shares with `decimalsOffset` (10^offset virtual shares per asset unit).
/// A pause stops deposits, mints and deposit requests (and their fills) only: withdrawals, redeem
/// requests, claims and cancels stay open.
abstract contract OptioVault is IOptioVault, ERC4626, AccessControl, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using Math for uint256;

    /* CONSTANTS */

    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    bytes32 public constant MARKET_ROLE = keccak256("MARKET_ROLE");
    /// @notice Fills requests at once (the oracle keeper, right after its posts).
    bytes32 public constant FILLER_ROLE = keccak256("FILLER_ROLE");
    /// @notice Largest fill delay: a day (a keeper's outage must not trap LPs for longer).
    uint256 public constant MAX_FILL_DELAY = 1 days;
    /// @notice Smallest fill delay: 10 minutes, the keepers' longest fill hold
    /// (`oracle.fill_hold_max_s`). At 0 anyone filled at once, undoing the filler-only rule
    /// (round 9, F1) and the fill hold (round 6, P6).
    uint256 public constant MIN_FILL_DELAY = 10 minutes;
    /// @notice Largest exit fee, wad (2%).
    uint256 public constant MAX_EXIT_FEE_WAD = 0.02e18;
    /// @dev A request's fee (Entry.feeMicros): the exit fee in force when it was made, in units
    /// of 1e12 wad (0.0001%), rounded up; its fill pays the lower of it and the fee in force then.
    uint256 private constant FEE_UNIT = 1e12;

    uint8 private immutable _offset;

    /* STORAGE */

    /// @notice Collateral locked under written options, asset units.
    uint128 public lockedAssets;
    /// @notice Assets of fulfilled, unclaimed requests (no longer part of totalAssets).
    uint128 public claimableAssets;
    /// @notice Source of the options liability; zero while no market is attached.
    // False positive (uninitialized-state): setOptionsMark writes it; only the test mocks
    // NaiveCash*Vault (contracts/mocks) override that setter away, to be valued at cash.
    // slither-disable-next-line uninitialized-state
    IOptionsMark public optionsMark;
    /// @notice Largest totalAssets that deposits may reach, asset units.
    uint96 public depositCap;
    /// @notice Shares escrowed by pending requests.
    uint256 public pendingShares;
    /// @dev First and last pending requests as links (request id + 1; 0: none).
    uint40 private _head;
    uint40 private _tail;
    /// @inheritdoc IOptioVault
    uint64 public exitFeeWad;
    /// @inheritdoc IOptioVault
    uint96 public protocolFees;
    /// @dev First and last pending deposit requests as links (request id + 1; 0: none).
    uint40 private _depositHead;
    uint40 private _depositTail;
    /// @inheritdoc IOptioVault
    uint128 public pendingDepositAssets;
    /// @inheritdoc IOptioVault
    uint32 public fillDelay = 1 hours;
    /// @inheritdoc IOptioVault
    uint40 public lastFillerServe;
    /// @dev The latest request time the filler's last serve could fill (its `madeBy`): a request
    /// made by then was offered its fill at that mark (round 6, P1).
    uint40 private _fillerReach;
    Entry[] private _requests;
    /// @inheritdoc IOptioVault
    mapping(address controller => uint256) public depositRefunds;

    /// @dev A request as stored: its neighbours in its list of pending requests (links: request
    /// id + 1, 0 for none), packed into the controller's slot; `amount`, the shares (a redeem) or
    /// assets (a deposit) escrowed; `result`, while pending the request's time, then what its fill
    /// gave (a redeem's assets owed, a deposit's shares minted): the two are never needed at once,
    /// and sharing the word keeps a request at two slots. A redeem's `feeMicros` is the exit fee
    /// in force when it was made (a raise does not reach a queued LP, who may be unable to leave
    /// before it runs; fees go to the protocol, so a raise on her took her money).
    struct Entry {
        address controller;
        RequestStatus status;
        bool isDeposit;
        uint40 prev;
        uint40 next;
        uint112 amount;
        uint128 result;
        uint16 feeMicros;
    }

    /* CONSTRUCTOR */

    /// @param decimalsOffset_ Extra share decimals (virtual shares) against inflation attacks.
    /// @param exitFeeWad_ Exit fee, wad (see IOptioVault); at most MAX_EXIT_FEE_WAD.
    constructor(
        IERC20 asset_,
        string memory name_,
        string memory symbol_,
        uint8 decimalsOffset_,
        uint96 depositCap_,
        address admin,
        uint256 exitFeeWad_
    ) ERC4626(asset_) ERC20(name_, symbol_) {
        if (admin == address(0)) revert ZeroAddress();
        _offset = decimalsOffset_;
        depositCap = depositCap_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        emit DepositCapSet(depositCap_);
        _setExitFee(exitFeeWad_);
    }

    /* ERC-4626 ENTRY POINTS */

    // Each entry point marks the options once (`_mark`) and converts at that total: ERC-4626's
    // own paths would ask the market again for every max, preview and conversion, and a mark
    // costs a pass over the vault's live options.

    /// @dev `whenNotPaused` first, so a paused deposit reverts `EnforcedPause` rather than a
    /// zero-max error.
    function deposit(uint256 assets, address receiver)
        public
        override
        nonReentrant
        whenNotPaused
        returns (uint256 shares)
    {
        _requireInstantFlows();
        (uint256 total, bool fresh) = _mark();
        uint256 maxAssets = _maxDepositAt(total, fresh);
        if (assets > maxAssets) revert ERC4626ExceededMaxDeposit(receiver, assets, maxAssets);
        shares = _toShares(assets, total, Math.Rounding.Floor);
        _deposit(_msgSender(), receiver, assets, shares);
    }

    function mint(uint256 shares, address receiver) public override nonReentrant whenNotPaused returns (uint256) {
        _requireInstantFlows();
        return super.mint(shares, receiver);
    }

    function withdraw(uint256 assets, address receiver, address owner)
        public
        override
        nonReentrant
        returns (uint256 shares)
    {
        _requireInstantFlows();
        (uint256 total, bool fresh) = _exitMark();
        if (!fresh) revert MarkNotFresh();
        uint256 maxAssets = _maxWithdrawAt(owner, total);
        if (assets > maxAssets) revert ERC4626ExceededMaxWithdraw(owner, assets, maxAssets);
        uint256 gross = _grossOf(assets);
        shares = _toShares(gross, total, Math.Rounding.Ceil);
        _withdraw(_msgSender(), receiver, owner, assets, shares);
        _accrueProtocolFee(_protocolShareOf(gross, gross - assets, total));
    }

    function redeem(uint256 shares, address receiver, address owner)
        public
        override
        nonReentrant
        returns (uint256 assets)
    {
        _requireInstantFlows();
        (uint256 total, bool fresh) = _exitMark();
        if (!fresh) revert MarkNotFresh();
        uint256 maxShares = _maxRedeemAt(owner, total);
        if (shares > maxShares) revert ERC4626ExceededMaxRedeem(owner, shares, maxShares);
        uint256 gross = _toAssets(shares, total, Math.Rounding.Floor);
        assets = _netOf(gross);
        _withdraw(_msgSender(), receiver, owner, assets, shares);
        _accrueProtocolFee(_protocolShareOf(gross, gross - assets, total));
    }

    /* REQUESTS */

    /// @inheritdoc IOptioVault
    function requestDeposit(uint256 assets, address controller, address owner)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 requestId)
    {
        if (owner != msg.sender) revert OwnerNotSender(owner, msg.sender);
        // O(1): no mark here (a pass over the book); only a request that can never fit alone is
        // refused. The fill checks the cap at its own mark, in order, fills what fits and refunds
        // the rest, so the queue may hold more than the cap: counting the queue here let one
        // request of the whole cap refuse every other request at a full vault, for gas only
        // (round 11, S1).
        uint256 cap = depositCap;
        if (assets > cap) revert ERC4626ExceededMaxDeposit(controller, assets, cap);
        requestId = _enqueue(true, controller, assets, 0);
        // Safe cast: the queued total is part of the vault's balance, < 2^128 for any real token supply.
        pendingDepositAssets = uint128(pendingDepositAssets + assets);
        emit DepositRequest(controller, owner, requestId, msg.sender, assets);
        IERC20(asset()).safeTransferFrom(msg.sender, address(this), assets); // the owner, checked above
    }

    /// @inheritdoc IOptioVault
    function cancelDepositRequest(uint256 requestId) external nonReentrant {
        _cancel(requestId, true);
    }

    /// @inheritdoc IOptioVault
    function requestRedeem(uint256 shares, address controller, address owner)
        external
        nonReentrant
        returns (uint256 requestId)
    {
        if (owner != msg.sender) _spendAllowance(owner, msg.sender, shares);
        // Safe cast: the fee is at most 2e16 / 1e12 = 20,000 < 2^16.
        requestId = _enqueue(false, controller, shares, uint16((uint256(exitFeeWad) + FEE_UNIT - 1) / FEE_UNIT));
        pendingShares += shares;
        _transfer(owner, address(this), shares);
        emit RedeemRequest(controller, owner, requestId, msg.sender, shares);
    }

    /// @inheritdoc IOptioVault
    function cancelRedeemRequest(uint256 requestId) external nonReentrant {
        _cancel(requestId, false);
    }

    /// @inheritdoc IOptioVault
    function claim(uint256 requestId, address receiver) external nonReentrant returns (uint256 assets) {
        if (receiver == address(0)) revert ZeroAddress();
        Entry storage r = _controlledRequest(requestId, RequestStatus.Claimable);
        assets = r.result;
        r.status = RequestStatus.Claimed;
        claimableAssets -= uint128(assets);
        emit RedeemClaimed(requestId, r.controller, receiver, assets);
        IERC20(asset()).safeTransfer(receiver, assets);
    }

    /// @inheritdoc IOptioVault
    function claimDepositRefund(address receiver) external nonReentrant returns (uint256 assets) {
        if (receiver == address(0)) revert ZeroAddress();
        assets = depositRefunds[msg.sender];
        if (assets == 0) revert ZeroAmount();
        depositRefunds[msg.sender] = 0;
        claimableAssets -= uint128(assets);
        emit DepositRefundClaimed(msg.sender, receiver, assets);
        IERC20(asset()).safeTransfer(receiver, assets);
    }

    /// @inheritdoc IOptioVault
    function serveQueue(uint256 maxRequests) external nonReentrant returns (uint256 served) {
        uint256 madeBy = type(uint256).max;
        if (hasRole(FILLER_ROLE, msg.sender)) {
            bool atMark;
            (served, atMark, madeBy) = _serveQueue(maxRequests, madeBy);
            // The filler's presence, even when nothing could be filled (a head request too big
            // for the liquidity: round 9, F1), but only for a serve that had a budget and a fresh
            // mark: `serveQueue(0)`, or a call between a post and its crank, filled nothing and
            // held anyone's fill back for good (round 6, P3). Its reach stops before this second:
            // a request later in this block was not offered its fill. Safe casts: < 2^40.
            if (atMark) {
                lastFillerServe = uint40(block.timestamp);
                _fillerReach = uint40(Math.min(madeBy, block.timestamp - 1));
            }
            return served;
        } else {
            // Anyone else fills only while the filler has been away `fillDelay`, and only requests
            // that old. Request age alone let an LP time her own fill while the keeper was there:
            // a request of hers too big for the liquidity blocked the head (the keeper's fills
            // waited behind it), and once hers was old she cancelled the blocker, or freed the
            // collateral she had locked, in front of a post she saw coming (round 9, F1).
            uint256 delay = fillDelay;
            if (block.timestamp < uint256(lastFillerServe) + delay) return 0;
            madeBy = block.timestamp - delay;
        }
        (served,,) = _serveQueue(maxRequests, madeBy);
    }

    /* MARKET */

    /// @notice Locks `assets` of free liquidity as option collateral. Market role only.
    function lockCollateral(uint256 assets) external onlyRole(MARKET_ROLE) returns (uint256 utilisationAfter) {
        uint256 idle = _idleAssets();
        uint256 available = _freeLiquidityNow(idle);
        if (assets > available) revert InsufficientFreeLiquidity(assets, available);
        // Safe cast: locked + assets <= balance < 2^128 for any real token supply.
        uint128 locked = lockedAssets + uint128(assets);
        lockedAssets = locked;
        emit CollateralLocked(assets, locked);
        return _utilisation(locked, idle);
    }

    /// @notice Releases `assets` of collateral. Market role only.
    function unlockCollateral(uint256 assets) external onlyRole(MARKET_ROLE) nonReentrant {
        _release(assets, 0, address(0));
    }

    /// @notice Releases `unlock` of collateral and pays `pay` to `to` out of what is not locked (a
    /// holder's payout comes before the queue). Market role only. Serves no request: a holder
    /// could time the call, and fills must not be timed by anyone with a stake in their price.
    function release(uint256 unlock, uint256 pay, address to) external onlyRole(MARKET_ROLE) nonReentrant {
        _release(unlock, pay, to);
    }

    /// @notice Pays `assets` to `to` out of free liquidity (premium for an option the vault
    /// buys: never out of what the queue is owed). Market role only.
    function payFromFreeLiquidity(address to, uint256 assets)
        external
        onlyRole(MARKET_ROLE)
        nonReentrant
        returns (uint256 utilisationAfter)
    {
        uint256 available = freeLiquidity();
        if (assets > available) revert InsufficientFreeLiquidity(assets, available);
        emit Paid(to, assets);
        IERC20(asset()).safeTransfer(to, assets);
        return _utilisation(lockedAssets, _idleAssets());
    }

    /* ADMIN */

    function setDepositCap(uint96 cap) external onlyRole(DEFAULT_ADMIN_ROLE) {
        depositCap = cap;
        emit DepositCapSet(cap);
    }

    /// @notice Wires the vault to its market, once: the liability source is what every share
    /// price rests on, so it is immutable once set.
    function setOptionsMark(IOptionsMark mark) external virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        IOptionsMark current = optionsMark;
        if (address(current) != address(0)) revert OptionsMarkAlreadySet(address(current));
        if (address(mark) == address(0)) revert ZeroAddress();
        optionsMark = mark;
        emit OptionsMarkSet(address(mark));
    }

    /// @inheritdoc IOptioVault
    function setExitFee(uint256 exitFeeWad_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setExitFee(exitFeeWad_);
    }

    /// @notice Sets how long a request waits for the filler before anyone may fill it. Admin only.
    function setFillDelay(uint32 delay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (delay > MAX_FILL_DELAY) revert FillDelayTooLong(delay, MAX_FILL_DELAY);
        if (delay < MIN_FILL_DELAY) revert FillDelayTooShort(delay, MIN_FILL_DELAY);
        fillDelay = delay;
        emit FillDelaySet(delay);
    }

    /// @inheritdoc IOptioVault
    function collectProtocolFees(address to) external onlyRole(DEFAULT_ADMIN_ROLE) nonReentrant returns (uint256 assets) {
        if (to == address(0)) revert ZeroAddress();
        assets = protocolFees;
        protocolFees = 0;
        emit ProtocolFeesCollected(to, assets);
        IERC20(asset()).safeTransfer(to, assets);
    }

    /// @notice Stops deposits, mints and deposit requests (queued ones wait); never withdrawals,
    /// redeem requests, fills of redeems, claims or cancels.
    function pause() external onlyRole(GUARDIAN_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(GUARDIAN_ROLE) {
        _unpause();
    }

    /* VIEWS */

    /// @notice Balance less reserved claims less the options' net liability, floored at zero.
    function totalAssets() public view override returns (uint256 total) {
        (total,) = _mark();
    }

    /// @inheritdoc IOptioVault
    function utilisation() external view returns (uint256) {
        return _utilisation(lockedAssets, _idleAssets());
    }

    /// @inheritdoc IOptioVault
    function idleAssets() external view returns (uint256) {
        return _idleAssets();
    }

    /// @inheritdoc IOptioVault
    function unlockedAssets() external view returns (uint256) {
        uint256 idle = _idleAssets();
        uint256 locked = lockedAssets;
        return idle > locked ? idle - locked : 0;
    }

    /// @inheritdoc IOptioVault
    function freeLiquidity() public view returns (uint256) {
        return _freeLiquidityNow(_idleAssets());
    }

    /// @notice Deposit room under the cap; zero while paused or while the options cannot be
    /// marked (a stale oracle): a deposit must never buy shares at a wrong price.
    function maxDeposit(address) public view override returns (uint256) {
        if (paused() || !instantFlowsOpen()) return 0;
        (uint256 total, bool fresh) = _mark();
        return _maxDepositAt(total, fresh);
    }

    function maxMint(address) public view override returns (uint256) {
        if (paused() || !instantFlowsOpen()) return 0;
        (uint256 total, bool fresh) = _mark();
        return _toShares(_maxDepositAt(total, fresh), total, Math.Rounding.Floor);
    }

    /// @notice The owner's assets less the exit fee, capped by free liquidity; zero while the
    /// options cannot be marked (an exit then reverts `MarkNotFresh`).
    function maxWithdraw(address owner) public view override returns (uint256) {
        if (!instantFlowsOpen()) return 0;
        (uint256 total, bool fresh) = _exitMark();
        return fresh ? _maxWithdrawAt(owner, total) : 0;
    }

    /// @notice The owner's shares, capped by the shares free liquidity can pay net of the exit
    /// fee (rounded down); zero while the options cannot be marked.
    function maxRedeem(address owner) public view override returns (uint256) {
        if (!instantFlowsOpen()) return 0;
        (uint256 total, bool fresh) = _exitMark();
        return fresh ? _maxRedeemAt(owner, total) : 0;
    }

    /// @notice Shares burnt to withdraw `assets` after the exit fee: the gross rounded up, then
    /// its shares rounded up (both in the vault's favour).
    function previewWithdraw(uint256 assets) public view override returns (uint256) {
        return _toShares(_grossOf(assets), totalAssets(), Math.Rounding.Ceil);
    }

    /// @notice Assets paid for `shares` after the exit fee (rounded down, the fee up).
    function previewRedeem(uint256 shares) public view override returns (uint256) {
        return _netOf(_toAssets(shares, totalAssets(), Math.Rounding.Floor));
    }

    /// @inheritdoc IOptioVault
    function instantFlowsOpen() public view returns (bool) {
        return !_hasLiveOptions();
    }

    /// @inheritdoc IOptioVault
    function pendingDepositRequest(uint256 requestId, address controller) external view returns (uint256) {
        return _amountIn(requestId, controller, RequestStatus.Pending, true);
    }

    /// @inheritdoc IOptioVault
    function pendingRedeemRequest(uint256 requestId, address controller) external view returns (uint256) {
        return _amountIn(requestId, controller, RequestStatus.Pending, false);
    }

    /// @inheritdoc IOptioVault
    function claimableRedeemRequest(uint256 requestId, address controller) external view returns (uint256) {
        return _amountIn(requestId, controller, RequestStatus.Claimable, false);
    }

    /// @inheritdoc IOptioVault
    function redeemRequest(uint256 requestId) external view returns (Request memory q) {
        if (requestId >= _requests.length) revert UnknownRequest(requestId);
        Entry storage e = _requests[requestId];
        (q.controller, q.status, q.isDeposit) = (e.controller, e.status, e.isDeposit);
        bool pending = e.status == RequestStatus.Pending;
        // Safe cast: a pending request's `result` is its time.
        if (pending) q.requestedAt = uint64(e.result);
        uint128 filled = pending ? 0 : e.result;
        (q.shares, q.assets) = e.isDeposit ? (filled, uint128(e.amount)) : (uint128(e.amount), filled);
    }

    /// @inheritdoc IOptioVault
    function queueLength() external view returns (uint256) {
        return _requests.length;
    }

    /// @inheritdoc IOptioVault
    function queueHead() external view returns (uint256) {
        uint256 head = _head;
        return head == 0 ? _requests.length : head - 1;
    }

    /// @inheritdoc IOptioVault
    function depositQueueHead() external view returns (uint256) {
        uint256 head = _depositHead;
        return head == 0 ? _requests.length : head - 1;
    }

    /// @inheritdoc IOptioVault
    function newestPendingRequest() external view returns (uint256) {
        // Ids grow with time, so the newer of the two lists' tails (links: id + 1, 0 for none).
        uint256 tail = Math.max(_tail, _depositTail);
        return tail == 0 ? _requests.length : tail - 1;
    }

    /// @inheritdoc IOptioVault
    function nextPendingRequest(uint256 requestId) external view returns (uint256) {
        if (requestId >= _requests.length) return _requests.length;
        Entry storage e = _requests[requestId];
        uint256 next = e.next;
        return e.status != RequestStatus.Pending || next == 0 ? _requests.length : next - 1;
    }

    /* INTERNAL */

    function _decimalsOffset() internal view override returns (uint8) {
        return _offset;
    }

    /// @dev ERC-4626's conversions, at the one mark of the calling entry point.
    function _convertToShares(uint256 assets, Math.Rounding rounding) internal view override returns (uint256) {
        return _toShares(assets, totalAssets(), rounding);
    }

    function _convertToAssets(uint256 shares, Math.Rounding rounding) internal view override returns (uint256) {
        return _toAssets(shares, totalAssets(), rounding);
    }

    /// @dev Net assets (balance less reserved claims less the options' net liability, floored at
    /// zero) and whether the market could mark the options: one call to the market.
    function _mark() private view returns (uint256 total, bool fresh) {
        int256 liability;
        IOptionsMark mark = optionsMark;
        fresh = true;
        if (address(mark) != address(0)) (liability, fresh) = mark.optionsLiability(address(this));
        uint256 gross = _idleAssets();
        if (liability < 0) return (gross + uint256(-liability), fresh);
        total = gross > uint256(liability) ? gross - uint256(liability) : 0;
    }

    /// @dev The mark every exit is priced at (withdraw, redeem, their maxima, queued fills):
    /// `_mark`, which refuses them while it is not fresh. Virtual for the test mock that exits at
    /// any mark, as 6507dee did (contracts/mocks/NaiveQueueVaults.sol, finding 2).
    function _exitMark() internal view virtual returns (uint256 total, bool fresh) {
        return _mark();
    }

    /// @dev OpenZeppelin's conversion formula (virtual shares and the +1 virtual asset) at `total`.
    function _toShares(uint256 assets, uint256 total, Math.Rounding rounding) private view returns (uint256) {
        return assets.mulDiv(totalSupply() + 10 ** _offset, total + 1, rounding);
    }

    function _toAssets(uint256 shares, uint256 total, Math.Rounding rounding) private view returns (uint256) {
        return shares.mulDiv(total + 1, totalSupply() + 10 ** _offset, rounding);
    }

    /// @dev Instant deposit room under the cap at `total`: the deposits queued count, so an instant
    /// one cannot take the room they wait for (round 10, R7).
    function _maxDepositAt(uint256 total, bool fresh) private view returns (uint256) {
        uint256 cap = depositCap;
        total += pendingDepositAssets;
        return fresh && cap > total ? cap - total : 0;
    }

    /// @dev Idle assets less locked collateral less the value owed to pending requests.
    function _freeLiquidityAt(uint256 total) private view returns (uint256) {
        return _freeLiquidityOf(_idleAssets(), total);
    }

    /// @dev Free liquidity now, given idle assets. The queue's claim needs the share price (a
    /// mark: a pass over the live options) only when something is queued.
    function _freeLiquidityNow(uint256 idle) private view returns (uint256) {
        return _freeLiquidityOf(idle, pendingShares == 0 ? 0 : totalAssets());
    }

    /// @dev Free liquidity given idle assets and the total the queue's shares convert at.
    function _freeLiquidityOf(uint256 idle, uint256 total) private view returns (uint256) {
        uint256 pending = pendingShares;
        uint256 owedToQueue = lockedAssets + (pending == 0 ? 0 : _toAssets(pending, total, Math.Rounding.Ceil));
        return idle > owedToQueue ? idle - owedToQueue : 0;
    }

    /// @dev An exit's whole gross (payout and fee) must be free: the fee's protocol share
    /// leaves the LPs' assets too (`_grossOf(_netOf(x)) <= x`, so the withdraw fits).
    function _maxWithdrawAt(address owner, uint256 total) private view returns (uint256) {
        return _netOf(Math.min(_toAssets(balanceOf(owner), total, Math.Rounding.Floor), _freeLiquidityAt(total)));
    }

    function _maxRedeemAt(address owner, uint256 total) private view returns (uint256) {
        uint256 shares = balanceOf(owner);
        uint256 free = _freeLiquidityAt(total);
        // All of them when free liquidity covers their gross (converting the liquidity back to
        // shares would round a whole position down by a few wei).
        if (_toAssets(shares, total, Math.Rounding.Floor) <= free) return shares;
        return _toShares(free, total, Math.Rounding.Floor);
    }

    /// @dev The part of an exit's `fee` that leaves the LPs' assets for the protocol: all of it.
    /// A fee credited to the LPs who stay made a stake a claim on other LPs' exits: a one-unit
    /// deposit in front of the last LP's exit took all of her fee, and even capped at the fee
    /// rate on the stake, the credit paid back the stake's own exit fee, which is what makes a
    /// deposit just around a trade or a post cost more than it captures. The fee deters those
    /// round trips; it does not need to go to anyone in the vault. Virtual for the test mock
    /// that credits the stayers (contracts/mocks/NaiveFeeCreditVault.sol).
    function _protocolShareOf(uint256, uint256 fee, uint256) internal view virtual returns (uint256) {
        return fee;
    }

    /// @dev Moves `assets` out of the LPs' assets into protocol fees; once no share is left and
    /// nothing is locked, the rounding left behind too (a wei left in an empty vault would make
    /// the next depositor's share price twice the initial one).
    function _accrueProtocolFee(uint256 assets) private {
        if (totalSupply() == 0 && lockedAssets == 0) assets = _idleAssets();
        if (assets == 0) return;
        // Safe cast: the fees are part of the vault's balance, < 2^96 for any real token supply.
        protocolFees += uint96(assets);
        emit ProtocolFeeAccrued(assets);
    }

    /// @dev What an exit paying `gross` (before the fee) pays out: the fee rounded up, so the
    /// payout rounds down (in the favour of the LPs who stay).
    function _netOf(uint256 gross) private view returns (uint256) {
        return _netAt(gross, exitFeeWad);
    }

    function _netAt(uint256 gross, uint256 feeWad) private pure returns (uint256) {
        return gross - gross.mulDiv(feeWad, 1e18, Math.Rounding.Ceil);
    }

    /// @dev The gross an exit must give up to pay `net`, rounded up (the leaver pays the rounding).
    function _grossOf(uint256 net) private view returns (uint256) {
        return net.mulDiv(1e18, 1e18 - exitFeeWad, Math.Rounding.Ceil);
    }

    function _setExitFee(uint256 feeWad) private {
        if (feeWad > MAX_EXIT_FEE_WAD) revert ExitFeeTooHigh(feeWad, MAX_EXIT_FEE_WAD);
        exitFeeWad = uint64(feeWad); // safe cast: at most 2e16
        emit ExitFeeSet(feeWad);
    }

    /// @dev A cancelled request leaves the list of pending requests, so no serve walks it.
    /// Virtual for the test mock that leaves it there, as the array queue of 6507dee did
    /// (contracts/mocks/NaiveQueueVaults.sol, finding 1).
    function _dropCancelled(Entry storage e) internal virtual {
        _unlink(e);
    }

    /// @dev Takes a pending request out of its list of pending requests, in O(1).
    function _unlink(Entry storage e) private {
        uint40 prev = e.prev;
        uint40 next = e.next;
        bool isDeposit = e.isDeposit;
        if (prev != 0) _requests[prev - 1].next = next;
        else if (isDeposit) _depositHead = next;
        else _head = next;
        if (next != 0) _requests[next - 1].prev = prev;
        else if (isDeposit) _depositTail = prev;
        else _tail = prev;
        e.prev = 0;
        e.next = 0;
    }

    /// @dev Appends a pending request to the tail of its list; `result` holds its time until filled.
    function _enqueue(bool isDeposit, address controller, uint256 amount, uint16 feeMicros)
        private
        returns (uint256 requestId)
    {
        if (amount == 0) revert ZeroAmount();
        if (controller == address(0)) revert ZeroAddress();
        if (amount > type(uint112).max) revert AmountTooLarge(amount);
        requestId = _requests.length;
        // Links are ids + 1 in 40 bits: 2^40 requests are beyond any chain's gas.
        if (requestId >= type(uint40).max) revert AmountTooLarge(requestId);
        uint40 link = uint40(requestId + 1);
        uint40 tail = isDeposit ? _depositTail : _tail;
        // Safe cast: amount checked above.
        _requests.push(
            Entry(controller, RequestStatus.Pending, isDeposit, tail, 0, uint112(amount), uint128(block.timestamp), feeMicros)
        );
        if (tail != 0) _requests[tail - 1].next = link;
        else if (isDeposit) _depositHead = link;
        else _head = link;
        if (isDeposit) _depositTail = link;
        else _tail = link;
    }

    /// @dev Reverts unless instant flows are open (see IOptioVault: forward-priced LP flows).
    function _requireInstantFlows() private view {
        if (_hasLiveOptions()) revert InstantFlowClosed();
    }

    /// @dev Whether the market holds live options of this vault's side: its mark then moves with
    /// spot and vol. Virtual for the test mock that keeps instant flows open whatever the book
    /// (contracts/mocks/NaiveInstantFlowVaults.sol), as they were before forward pricing.
    function _hasLiveOptions() internal view virtual returns (bool) {
        IOptionsMark mark = optionsMark;
        return address(mark) != address(0) && IOptionsBook(address(mark)).liveCount(_isCall()) != 0;
    }

    /// @dev The side of the book this vault collateralises (CallVault: true; PutVault: false).
    function _isCall() internal pure virtual returns (bool);

    function _release(uint256 unlock, uint256 pay, address to) private {
        uint128 locked = lockedAssets;
        if (unlock > locked) revert UnlockExceedsLocked(unlock, locked);
        locked -= uint128(unlock);
        lockedAssets = locked;
        emit CollateralUnlocked(unlock, locked);
        if (pay != 0) {
            uint256 idle = _idleAssets();
            uint256 available = idle > locked ? idle - locked : 0;
            if (pay > available) revert InsufficientFreeLiquidity(pay, available);
            emit Paid(to, pay);
            IERC20(asset()).safeTransfer(to, pay);
        }
    }

    /// @dev Locked over idle assets, wad, rounded up (a limit must not pass on rounding).
    function _utilisation(uint256 locked, uint256 idle) private pure returns (uint256) {
        return idle == 0 ? 0 : Math.mulDiv(locked, 1e18, idle, Math.Rounding.Ceil);
    }

    /// @dev Assets held for LPs: the balance less what fulfilled requests and the protocol are
    /// owed and what pending deposit requests escrow.
    function _idleAssets() private view returns (uint256) {
        return IERC20(asset()).balanceOf(address(this)) - claimableAssets - protocolFees - pendingDepositAssets;
    }

    /// @dev Fills pending requests made at or before `madeBy` at the current mark: deposits first
    /// (they add liquidity and never wait on it), in order, none while paused; then redeems in
    /// order at the share price less the exit fee until one does not fit the liquidity not locked
    /// as collateral, never skipping ahead (FIFO fairness). Walks the lists of pending requests
    /// only, each step filling one or stopping, so the gas is bounded by `maxRequests` whatever
    /// was cancelled. Fills nothing at a mark that is not fresh (a bound, not a price).
    /// `atMark`: the call had a budget and a fresh mark (or found no request), so it counts as
    /// the filler's presence; `reach`: the latest request time it could fill.
    function _serveQueue(uint256 maxRequests, uint256 madeBy)
        private
        returns (uint256 served, bool atMark, uint256 reach)
    {
        if (maxRequests == 0) return (0, false, 0);
        if (_head == 0 && _depositHead == 0) return (0, true, madeBy);
        // Marked once: each fill moves assets and shares by what it converts at, so the total is
        // carried forward instead of re-marked.
        (uint256 total, bool fresh) = _exitMark();
        if (!fresh) return (0, false, 0);
        atMark = true;
        if (_hasLiveOptions()) madeBy = Math.min(madeBy, _pricedSince());
        reach = madeBy;
        uint256 deposits;
        if (!paused()) (deposits, total) = _fillDeposits(maxRequests, madeBy, total);
        // Each list its own budget: dust deposit requests in front cannot starve redeems (round 9, F2).
        served = deposits + _fillRedeems(maxRequests, madeBy, total);
    }

    /// @dev The latest request time a fill may serve: strictly before the mark's spot post and
    /// every surface post it used. A fill between posts is at a mark the requester saw, and the
    /// market may have moved since by up to the keepers' thresholds, which an LP could enter or
    /// leave on (round 9, F7; round B3 for surfaces): a request waits for the next posts (the
    /// keepers post when requests wait). Only while the vault holds a live option (else its mark
    /// has no price input).
    function _pricedSince() private view returns (uint256) {
        return IOptionsBook(address(optionsMark)).pricedSince(_isCall()) - 1;
    }

    /// @dev Mints each deposit's shares at `total` (rounded down: the depositor gets no more than
    /// her assets are worth) and carries the total forward; the part of a deposit that would take
    /// the total past the cap is refunded (`depositRefunds`), a deposit refunded whole is Cancelled.
    function _fillDeposits(uint256 maxRequests, uint256 madeBy, uint256 total)
        private
        returns (uint256 served, uint256 totalAfter)
    {
        uint40 link = _depositHead;
        uint256 filledAssets;
        uint256 refunded;
        uint256 cap = depositCap;
        while (link != 0 && served < maxRequests) {
            uint256 id = link - 1;
            Entry storage r = _requests[id];
            if (r.status != RequestStatus.Pending) {
                link = r.next; // the naive mock's cancelled requests, as in `_fillRedeems`
                continue;
            }
            if (r.result > madeBy) break;
            uint256 assets = r.amount;
            link = r.next;
            r.next = 0;
            filledAssets += assets;
            served++;
            // The part past the cap at this mark is refunded (pulled by `claimDepositRefund`: a
            // transfer here could revert and hold the list); the rest fills. Filling a part, not
            // refunding the whole, keeps the order: a drift or a donation of a few wei cannot
            // push a request out for the one behind it (round 10, R4), and a request of the
            // whole cap is a deposit of the room, not a free hold on it (R3).
            uint256 room = cap > total ? cap - total : 0;
            if (assets > room) {
                uint256 refund = assets - room;
                depositRefunds[r.controller] += refund;
                refunded += refund;
                emit DepositRefunded(id, r.controller, refund);
                assets = room;
                // Safe cast: at most the request's amount, a uint112.
                r.amount = uint112(assets);
                if (assets == 0) {
                    r.status = RequestStatus.Cancelled;
                    r.result = 0;
                    continue;
                }
            }
            uint256 shares = _toShares(assets, total, Math.Rounding.Floor);
            r.status = RequestStatus.Claimed;
            // The record saturates: 2^112 assets times 10^offset shares per unit can pass 2^128
            // (a put vault's offset is 12). Truncating recorded a wrong amount (round 9, F6), and a
            // checked cast made every fill revert behind such a request; the mint and the events
            // carry the exact amount.
            r.result = uint128(Math.min(shares, type(uint128).max));
            _mint(r.controller, shares);
            total += assets;
            emit DepositFulfilled(id, r.controller, assets, shares);
            emit Deposit(r.controller, r.controller, assets, shares);
        }
        if (served == 0) return (0, total);
        pendingDepositAssets -= uint128(filledAssets);
        if (refunded != 0) claimableAssets += uint128(refunded);
        _depositHead = link;
        if (link == 0) _depositTail = 0;
        else _requests[link - 1].prev = 0;
        return (served, total);
    }

    function _fillRedeems(uint256 maxRequests, uint256 madeBy, uint256 total) private returns (uint256 served) {
        uint40 link = _head;
        uint256 locked = lockedAssets;
        uint256 idle = _idleAssets();
        uint256 toProtocol;
        uint256 feeWad = exitFeeWad;
        while (link != 0 && served < maxRequests) {
            uint256 id = link - 1;
            Entry storage r = _requests[id];
            if (r.status != RequestStatus.Pending) {
                // Never on ours (a cancel unlinks): the naive mock's cancelled requests stay
                // linked and are passed over without counting, as the array queue of 6507dee did.
                link = r.next;
                continue;
            }
            if (r.result > madeBy) break;
            uint256 shares = r.amount;
            // Gross rounded down, fee rounded up: the leaver gets no more than the shares are worth.
            uint256 gross = _toAssets(shares, total, Math.Rounding.Floor);
            if (gross > (idle > locked ? idle - locked : 0)) break;
            uint256 assets = _netAt(gross, Math.min(uint256(r.feeMicros) * FEE_UNIT, feeWad));
            uint256 fee = _protocolShareOf(gross, gross - assets, total);

            link = r.next;
            r.status = RequestStatus.Claimable;
            r.result = uint128(assets);
            r.next = 0;
            pendingShares -= shares;
            claimableAssets += uint128(assets);
            _burn(address(this), shares);
            total -= assets + fee;
            idle -= assets + fee;
            toProtocol += fee;
            emit RedeemFulfilled(id, r.controller, shares, assets);
            served++;
        }
        if (served == 0) return 0;
        _head = link;
        if (link == 0) _tail = 0;
        else _requests[link - 1].prev = 0;
        _accrueProtocolFee(toProtocol);
    }

    /// @dev Cancels the caller's pending request: unlinked in O(1), its escrow (a deposit's
    /// assets, a redeem's shares) returned to the controller.
    function _cancel(uint256 requestId, bool isDeposit) private {
        Entry storage r = _pendingOfKind(requestId, isDeposit);
        _revertIfCommitted(requestId, r.result);
        uint256 amount = r.amount;
        _dropCancelled(r);
        r.status = RequestStatus.Cancelled;
        r.result = 0;
        if (isDeposit) {
            pendingDepositAssets -= uint128(amount);
            emit DepositCancelled(requestId, r.controller, amount);
            IERC20(asset()).safeTransfer(r.controller, amount);
        } else {
            pendingShares -= amount;
            _transfer(address(this), r.controller, amount);
            emit RedeemCancelled(requestId, r.controller, amount);
        }
    }

    /// @dev Round 6, P1: a request made before the latest spot post is committed to its fill at
    /// that post's epoch mark, until the filler has served a mark that could fill it (filled, or
    /// it did not fit). A cancel once the post, its crank or the market since were known let the
    /// requester keep the fills that suited her and walk away from the others. After `fillDelay`
    /// it may go (the keepers may be down). Only while the vault holds a live option (else its
    /// mark has no price input). `madeAt`: the request's time (its `result` while pending).
    function _revertIfCommitted(uint256 requestId, uint256 madeAt) private view {
        uint256 until = madeAt + fillDelay;
        if (block.timestamp >= until || madeAt <= _fillerReach || !_hasLiveOptions()) return;
        if (madeAt < IOptionsBook(address(optionsMark)).latestSpotAt()) revert RequestCommitted(requestId, until);
    }

    function _controlledRequest(uint256 requestId, RequestStatus expected)
        private
        view
        returns (Entry storage r)
    {
        if (requestId >= _requests.length) revert UnknownRequest(requestId);
        r = _requests[requestId];
        if (r.controller != msg.sender) revert NotController(requestId, msg.sender, r.controller);
        if (r.status != expected) revert WrongRequestStatus(requestId, r.status, expected);
    }

    function _pendingOfKind(uint256 requestId, bool isDeposit) private view returns (Entry storage r) {
        r = _controlledRequest(requestId, RequestStatus.Pending);
        if (r.isDeposit != isDeposit) revert WrongRequestKind(requestId, r.isDeposit);
    }

    function _amountIn(uint256 requestId, address controller, RequestStatus status, bool isDeposit)
        private
        view
        returns (uint256)
    {
        if (requestId >= _requests.length) return 0;
        Entry storage r = _requests[requestId];
        return r.controller == controller && r.status == status && r.isDeposit == isDeposit ? r.amount : 0;
    }
}
// slither-disable-end uninitialized-local,incorrect-equality
