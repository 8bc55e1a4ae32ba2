// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IMarginAccount
/// @notice Collateral of traders who sell options to the AMM. Each account has two sides, each in
/// its options' settlement asset: calls in the base asset (WETH), puts in the quote asset (USDC).
/// A side's requirement is, per short, min(full, max(floor·full, worst value under shocked spot
/// and vol)), where full is the covered collateral (1 base unit per call, K per put): a fully
/// collateralised side never liquidates. Below its requirement anyone may liquidate.
/// @dev Amounts are collateral units (token decimals) unless named wad.
interface IMarginAccount {
    /* TYPES */

    /// @param spotShockWad Relative spot move of the stress (0.3e18: up 30% for calls, down for puts).
    /// @param volShockWad Relative vol rise of the stress (0.5e18: σ × 1.5).
    /// @param floorWad Least requirement as a fraction of full collateral.
    /// @param penaltyWad Premium over mid a liquidated short is bought back at.
    /// @param bonusWad Part of that premium (of mid) paid to the liquidator; ≤ penalty.
    /// @param closeFactorWad Largest fraction of a short one liquidation may close.
    /// @param dustAmount Options below which a short is closed whole, wad.
    struct MarginConfig {
        uint64 spotShockWad;
        uint64 volShockWad;
        uint64 floorWad;
        uint64 penaltyWad;
        uint64 bonusWad;
        uint64 closeFactorWad;
        uint128 dustAmount;
    }

    /// @notice A side's standing, units.
    struct SideHealth {
        uint256 collateral;
        uint256 required;
    }

    struct Health {
        SideHealth calls;
        SideHealth puts;
    }

    /* ERRORS */

    error ZeroAmount();
    error ZeroAddress();
    error NotMarket(address caller);
    error InsufficientCollateral(uint256 needed, uint256 available);
    error BelowRequirement(uint256 collateral, uint256 required);
    error TooManyPositions(uint256 max);
    error NoPosition(address account, uint256 id);
    error AccountHealthy(uint256 collateral, uint256 required);
    error LiquidationTooLarge(uint256 amount, uint256 maxAmount);
    error PositionExpired(uint256 id);
    error NotExpired(uint256 expiry);
    error InvalidConfig(string field, uint256 value);

    /* EVENTS */

    event CollateralDeposited(address indexed account, bool indexed callSide, uint256 amount);
    event CollateralWithdrawn(address indexed account, bool indexed callSide, uint256 amount, address to);
    event ShortOpened(address indexed account, uint256 indexed id, uint256 amount, uint256 premium);
    event ShortClosed(address indexed account, uint256 indexed id, uint256 amount, uint256 premium);
    event Liquidated(
        address indexed account,
        address indexed liquidator,
        uint256 indexed id,
        uint256 amount,
        uint256 paidToVault,
        uint256 bonus,
        uint256 badDebt
    );
    event ShortSettled(address indexed account, uint256 indexed id, uint256 amount, uint256 paid, uint256 badDebt);
    /// @notice A loss the vault of `callSide` takes because an account could not pay.
    event BadDebt(address indexed account, uint256 indexed id, bool callSide, uint256 amount);
    event MarginConfigSet(MarginConfig config);

    /* FUNCTIONS */

    function deposit(bool callSide, uint256 amount) external;

    function withdraw(bool callSide, uint256 amount, address to) external;

    /// @notice Closes up to `amount` of `account`'s short `id` below its requirement: the vault
    /// is paid mid × (1 + penalty − bonus), the caller mid × bonus, from the account's collateral;
    /// what the collateral cannot cover is recorded as bad debt.
    function liquidate(address account, uint256 id, uint256 amount) external returns (uint256 bonus);

    /// @notice Settles every short of `accounts` expiring at `expiry` at its settlement price.
    function settleAccounts(uint256 expiry, address[] calldata accounts) external;

    function healthOf(address[] calldata accounts) external view returns (Health[] memory);

    function positionsOf(address account) external view returns (uint256[] memory ids, uint256[] memory amounts);

    /// @notice Market only: records a short sold to the vault and credits its premium.
    function openShort(address account, uint256 id, uint256 amount, uint256 premium) external;

    /// @notice Market only: removes a bought-back short, paying `premium` to the vault.
    function closeShort(address account, uint256 id, uint256 amount, uint256 premium, address vault) external;
}
