// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;


/// @title IOptionMarket
/// @notice The options AMM: lists boards (expiries) and strikes, sells and buys European calls and
/// puts against the vaults at Black-Scholes on the SpotOracle's spot and the VolOracle's SVI vol
/// plus spread and fees, holds long positions as ERC-1155 tokens, settles at the recorded expiry
/// price and pays every ITM holder.
/// @dev Units: option amounts are wad (1e18 = one option on one base unit); prices and strikes
/// are quote-asset wad; premiums and payouts move in the option's collateral asset (calls: the
/// base asset, puts: the quote asset) in that token's own decimals ("units").
interface IOptionMarket {
    /* TYPES */

    enum TradeKind {
        Buy, // trader buys from the vault, which writes (ask)
        Sell, // trader sells to the vault, short on margin (bid)
        CloseLong, // holder sells tokens back to the vault (bid)
        CloseShort // margin seller buys the short back (ask)
    }

    /// @dev A trade writes only the first slot. The vault collateral locked for an option is
    /// not stored: it is always `shortOI` covered, rounded up to a token unit, so each trade locks
    /// or unlocks the difference.
    /// @param shortOI Options the vault wrote and traders hold as tokens, wad.
    /// @param longOI Options the vault bought from margin sellers, wad.
    /// @param listed Set by listing, so the first trade finds its slot already written.
    /// @param reserveUnits After settlement: payouts held here for unexercised holders, units.
    /// @param payoffWad After settlement: payout per option in the collateral asset, wad.
    struct OptionState {
        uint96 shortOI;
        uint96 longOI;
        bool listed;
        bool settled;
        uint128 reserveUnits;
        uint128 payoffWad;
    }

    /// @param tradingCutoff Seconds before expiry at which trading stops (≥ 60: the pricing
    /// domain's shortest expiry).
    /// @param minAmount Smallest trade, wad options.
    /// @param inventoryScale Net short options per strike at which the skew is full, wad.
    /// @param maxNetDelta Largest |net delta| per vault, wad options of base. The delta capacity
    /// comes on top: a Sell (the vault buys) must leave the delta of the options the vault bought,
    /// Σ longOI·|delta|, within `maxUtilisation` × its unlocked assets (idle less locked; in base
    /// for calls, divided by spot for puts), else `NetDeltaLimit(boughtDelta, capacity)`. Written options meet that
    /// bound through their collateral; bought ones are paid with premium, and without it a book
    /// long 10× its premium in delta moved the share price three times the exit fee on a 0.5%
    /// post. Written and bought options of one vault have opposite deltas, so |net| stays within
    /// it too. On the bought options, not the net: a net cap blocked holders' closes in a mixed
    /// book, and let offsetting written legs be opened and closed around it.
    /// @param maxNetVega Largest |net vega| per vault, quote wad per 1.00 of vol.
    /// @param maxUtilisation Largest locked / gross assets per vault after a trade, wad fraction.
    /// @param minLiveAmount Smallest open interest an opening trade may leave on the side it
    /// opens (the vault's short OI for a Buy, its long OI for a Sell), wad options: filling the
    /// book's MAX_LIVE_OPTIONS slots with dust costs that many options' ask and collateral. It
    /// is also every token holder's smallest non-zero position (OptionToken.minBalance: buys,
    /// closes and transfers alike), so no close or transfer can
    /// leave a live option's short open interest as dust; margin shorts keep their own minimum
    /// (IMarginAccount.dustAmount), liquidations included.
    struct RiskLimits {
        uint32 tradingCutoff;
        uint96 minAmount;
        uint128 inventoryScale;
        uint96 maxNetDelta;
        uint96 maxNetVega;
        uint64 maxUtilisation;
        uint96 minLiveAmount;
    }

    /// @notice What a trade would cost or pay now (see `quote`).
    /// @param premium Collateral-asset units the trader pays (Buy, CloseShort) or gets.
    /// @param perOptionWad Price per option after spread and fees, quote wad.
    /// @param midWad Black-Scholes mid per option, quote wad.
    /// @param volWad SVI vol at the strike, wad.
    /// @param spotWad Spot used, quote wad.
    struct TradeQuote {
        uint256 premium;
        uint256 perOptionWad;
        uint256 midWad;
        uint256 volWad;
        uint256 spotWad;
        uint256 vegaWad;
        int256 inventoryWad;
        uint256 utilisationWad;
    }

    /* ERRORS */

    error ZeroAddress();
    error ExpiryTooSoon(uint256 expiry, uint256 earliest);
    error StrikeOutOfRange(uint256 strike);
    error StrikeAlreadyListed(uint256 expiry, uint256 strike);
    error BoardNotListed(uint256 expiry);
    error UnknownOption(uint256 id);
    error TradingClosed(uint256 expiry, uint256 cutoff);
    error DeadlinePassed(uint256 deadline);
    error AmountTooSmall(uint256 amount, uint256 minAmount);
    error AmountTooLarge(uint256 amount);
    error PremiumAboveLimit(uint256 premium, uint256 maxPremium);
    error PremiumBelowLimit(uint256 premium, uint256 minPremium);
    error InsufficientOptions(uint256 amount, uint256 held);
    error InsufficientOpenInterest(uint256 amount, uint256 available);
    error NetDeltaLimit(int256 netDelta, uint256 maxNetDelta);
    error NetVegaLimit(int256 netVega, uint256 maxNetVega);
    error UtilisationLimit(uint256 utilisation, uint256 maxUtilisation);
    error NotExpired(uint256 expiry);
    error AlreadySettled(uint256 expiry);
    error NotSettled(uint256 expiry);
    error NotMarginAccount(address caller);
    error InvalidConfig(string field, uint256 value);
    error LiveAmountTooSmall(uint256 id, uint256 openInterest, uint256 minLiveAmount);
    error MarginAccountAlreadySet(address marginAccount);

    /* EVENTS */

    event StrikeListed(uint256 indexed expiry, uint256 strike, uint256 callId, uint256 putId);
    event Traded(
        address indexed trader,
        uint256 indexed id,
        TradeKind kind,
        uint256 amount,
        uint256 premium,
        uint256 midWad,
        uint256 volWad,
        uint256 spotWad
    );
    event BoardSettled(uint256 indexed expiry, uint256 priceWad, uint256 paidToHolders, uint256 unlockedCall, uint256 unlockedPut);
    event Exercised(address indexed holder, uint256 indexed id, uint256 amount, uint256 payout);
    event FeesSet(uint64 halfSpreadWad, uint64 skewWad, uint64 baseFeeWad, uint64 utilisationFeeWad, uint64 moveWad);
    event RiskLimitsSet(RiskLimits limits);
    event MarginAccountSet(address marginAccount);

    /* FUNCTIONS */

    /// @notice Lists `strikes` (quote wad) on the board of `expiry`, creating it and registering
    /// the expiry with the SpotOracle if new. Lister role only.
    function listStrikes(uint256 expiry, uint256[] calldata strikes) external;

    /// @notice Buys `amount` options `id` from the vault, paying at most `maxPremium` units.
    /// @dev Every trade (Buy, Sell, CloseLong, CloseShort) checks the vault's net delta and vega
    /// limits, but reverts only when it increases |net delta| (resp. |net vega|) and leaves it
    /// above the limit: a trade that reduces exposure always passes, and liquidations and
    /// settlements are never checked. Book entries the pricer cannot mark (stale surface) count
    /// at a bound: |net OI| × 1 of delta and |net OI| × S·φ(0)·√τ of vega, added to |net|.
    /// The quote's utilisation fee is charged on the utilisation a Buy leaves: (locked + the
    /// trade's lock) / (free liquidity + locked), which is at least the vault's figure after it.
    function buy(uint256 id, uint256 amount, uint256 maxPremium, uint256 deadline) external returns (uint256 premium);

    /// @notice Sells `amount` options `id` to the vault short on margin, for at least
    /// `minPremium` units credited to the seller's margin account.
    function sell(uint256 id, uint256 amount, uint256 minPremium, uint256 deadline) external returns (uint256 premium);

    /// @notice Sells `amount` held tokens `id` back to the vault for at least `minPremium` units.
    function closeLong(uint256 id, uint256 amount, uint256 minPremium, uint256 deadline)
        external
        returns (uint256 premium);

    /// @notice Buys back `amount` of the caller's margin short `id`, paying at most `maxPremium`
    /// units from the margin account.
    function closeShort(uint256 id, uint256 amount, uint256 maxPremium, uint256 deadline)
        external
        returns (uint256 premium);

    /// @notice Fixes payouts of `expiry` at the SpotOracle's settlement price, releases the
    /// vaults' collateral and keeps holders' payouts here. Anyone may call.
    /// @dev Walks that board's live options only (`OptionBook.boardLive`): its gas is bounded
    /// per live option of the expiry, whatever is listed or live elsewhere. An option without
    /// open interest needs no work: `optionState` shows its payoff and `exerciseFor` pays nothing
    /// (no one holds it). Both sides' book totals then wait for the next sweep (OptionBook).
    function settle(uint256 expiry) external;

    /// @notice Pays each of `holders` the settled value of their tokens `id` (burning them).
    /// Anyone may call: a keeper pays everyone so no ITM option expires unpaid.
    function exerciseFor(uint256 id, address[] calldata holders) external returns (uint256 paid);

    /// @notice Quote of `kind` for `amount` options `id` now; reverts like the trade would on
    /// the oracles, the listing and the pricing domain.
    function quote(uint256 id, TradeKind kind, uint256 amount) external view returns (TradeQuote memory);

    /// @notice Called by the MarginAccount when a short leaves it (liquidation, expiry).
    function onShortRemoved(uint256 id, uint256 amount) external;
}
