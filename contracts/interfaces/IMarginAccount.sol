// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IMarginAccount
/// @notice Collateral of traders who sell options to the AMM. Each account has two sides, each in
/// its options' settlement asset: calls in the base asset (WETH), puts in the quote asset (USDC).
/// A side's requirement is, per short, min(full, max(floor·full, worst value under shocked spot
/// and vol)), where full is the covered collateral (1 base unit per call, K per put): a fully
/// collateralised side never liquidates. Below its requirement anyone may liquidate.
///
/// Design choices (security review of 6507dee):
/// - An expired short whose settlement price the SpotOracle has not yet recorded keeps a
///   stressed requirement: its payoff at the spot shocked the way that hurts (up for calls, down
///   for puts; the vol shock is moot at τ = 0), at least the floor, at most full. The last
///   pre-expiry spot says little about the settlement price, and a seller who could withdraw
///   down to the unstressed payoff between expiry and the post would leave the vault bad debt.
///   Once recorded, the requirement is the exact payoff at the settlement price, fresh or not.
/// - A stale input (spot, or the surface of a live short's board) makes that short count full
///   collateral, so no withdrawal leans on an old price; such a requirement is "not fresh", and
///   `liquidate` refuses it (`RequirementNotFresh`): staleness is the keepers' fault, not the
///   account's, and must not hand a liquidator the penalty on a healthy account.
/// - In a liquidation the vault is paid before the liquidator (see `liquidate`), and a short is
///   either zero or at least `dustAmount` options, so that every short's bonus can pay for the
///   gas of liquidating it.
/// @dev Amounts are collateral units (token decimals) unless named wad.
interface IMarginAccount {
    /* TYPES */

    /// @param spotShockWad Relative spot move of the stress (0.3e18: up 30% for calls, down for puts).
    /// @param volShockWad Relative vol rise of the stress (0.5e18: σ × 1.5).
    /// @param floorWad Least requirement as a fraction of full collateral.
    /// @param penaltyWad Premium over mid a liquidated short is bought back at.
    /// @param bonusWad Part of that premium (of mid) paid to the liquidator; ≤ penalty.
    /// @param closeFactorWad Largest fraction of a short one liquidation may close.
    /// @param dustAmount Least short per (account, option), options wad: a sale (`openShort`) or a
    /// partial buy-back (`closeShort`) that would leave a short in (0, dustAmount) reverts
    /// `ShortBelowMinimum`, and a partial liquidation that would leave less closes the short
    /// whole. Sized so the liquidator's bonus on a minimum short pays for the liquidation's gas:
    /// measured on Anvil, a liquidation of an account's only short costs ~137k gas (each further
    /// short on the side adds a requirement term, ~20-30k), 0.0041 ETH = 8.2 USD at 30 gwei and
    /// ETH = 2,000 USD; a short liquidated after a 15% spot move against it (an ATM put at 1,700)
    /// has a mid near 300 USDC, so a 5% bonus is ~15 USD an option. Default 1 option (1e18);
    /// the old 0.01 paid 0.15 USD. Far out-of-the-money shorts, whose mid is small when they
    /// become liquidatable, pay less: raise it where gas is dearer.
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

    /// @notice Per side, whether its requirement was computed from fresh oracle inputs only
    /// (false: a stale spot or surface made some short count full collateral).
    struct Freshness {
        bool calls;
        bool puts;
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
    /// @notice Thrown by `liquidate` when a stale oracle input inflated the side's requirement.
    error RequirementNotFresh(address account, bool callSide);
    /// @notice Thrown when a short of `account` in option `id` would be left in (0, minimum).
    error ShortBelowMinimum(address account, uint256 id, uint256 amount, uint256 minimum);

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

    /// @notice Closes up to `amount` of `account`'s short `id` below its requirement, buying it
    /// back from the account's collateral at mid × (1 + penalty). The vault is paid first, up to
    /// mid × (1 + penalty − bonus); the caller's bonus (at most mid × bonus) comes only from what
    /// collateral is left after that, so an under-collateralised account (collateral below the
    /// vault's share; in particular below mid) pays the vault everything and the caller nothing,
    /// and self-liquidation cannot take a bonus out of the vault's recovery. What the collateral
    /// cannot cover of mid is recorded as bad debt. Reverts `RequirementNotFresh` when a stale
    /// input inflated the side's requirement, and with the oracle's error on a stale spot.
    function liquidate(address account, uint256 id, uint256 amount) external returns (uint256 bonus);

    /// @notice Settles every short of `accounts` expiring at `expiry` at its settlement price.
    function settleAccounts(uint256 expiry, address[] calldata accounts) external;

    function healthOf(address[] calldata accounts) external view returns (Health[] memory);

    /// @notice Per account, whether each side's requirement (as `healthOf` reports it) rests on
    /// fresh oracle inputs only; a side that is not fresh cannot be liquidated.
    function freshnessOf(address[] calldata accounts) external view returns (Freshness[] memory);

    function positionsOf(address account) external view returns (uint256[] memory ids, uint256[] memory amounts);

    /// @notice Market only: records a short sold to the vault and credits its premium. Reverts
    /// `ShortBelowMinimum` when the short would be left below `dustAmount`.
    function openShort(address account, uint256 id, uint256 amount, uint256 premium) external;

    /// @notice Market only: removes a bought-back short, paying `premium` to the vault. Reverts
    /// `ShortBelowMinimum` when a partial buy-back leaves less than `dustAmount`.
    function closeShort(address account, uint256 id, uint256 amount, uint256 premium, address vault) external;
}
