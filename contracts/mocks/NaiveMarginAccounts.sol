// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IOptionMarket} from "../interfaces/IOptionMarket.sol";
import {Collateral} from "../libraries/Collateral.sol";
import {MarginAccount} from "../market/MarginAccount.sol";
import {OptionPricer} from "../market/OptionPricer.sol";

/// @title NaiveExpiryMarginAccount
/// @notice Test mock, never deployed: a margin account that asks an expired short, before its
/// settlement price is recorded, for its payoff at the latest spot with no stress, as 6507dee
/// did — the naive version the expiry-to-settlement test (finding 7) must beat: a seller of ATM
/// puts withdraws everything after expiry and the settlement leaves the vault bad debt.
contract NaiveExpiryMarginAccount is MarginAccount {
    constructor(
        OptionPricer pricer_,
        IERC20Metadata base,
        IERC20Metadata quote_,
        IOptionMarket market_,
        address callVault_,
        address putVault_,
        MarginConfig memory config_,
        address admin
    ) MarginAccount(pricer_, base, quote_, market_, callVault_, putVault_, config_, admin) {}

    function _expiredRequirement(bool isCall, uint256 strike, uint256 spot, uint256, uint256, uint256)
        internal
        pure
        override
        returns (uint256)
    {
        return Collateral.payoff(isCall, strike, spot);
    }
}

/// @title NaiveStaleLiquidationMarginAccount
/// @notice Test mock, never deployed: a margin account that liquidates on a requirement a stale
/// board inflated (its shorts at full collateral), as 6507dee did — the naive version the
/// stale-board test (finding 8) must beat: a liquidator takes the penalty from an account that
/// is healthy on fresh data.
contract NaiveStaleLiquidationMarginAccount is MarginAccount {
    constructor(
        OptionPricer pricer_,
        IERC20Metadata base,
        IERC20Metadata quote_,
        IOptionMarket market_,
        address callVault_,
        address putVault_,
        MarginConfig memory config_,
        address admin
    ) MarginAccount(pricer_, base, quote_, market_, callVault_, putVault_, config_, admin) {}

    function _liquidatesOn(bool) internal pure override returns (bool) {
        return true;
    }
}

/// @title NaiveBonusFirstMarginAccount
/// @notice Test mock, never deployed: a margin account that pays the liquidator's bonus out of
/// the collateral before the vault, as 6507dee did — the naive version the self-liquidation
/// test (finding 13) must beat: when the collateral cannot pay the vault, the bonus comes out of
/// the vault's recovery, and an owner liquidating himself from a second address takes it.
contract NaiveBonusFirstMarginAccount is MarginAccount {
    constructor(
        OptionPricer pricer_,
        IERC20Metadata base,
        IERC20Metadata quote_,
        IOptionMarket market_,
        address callVault_,
        address putVault_,
        MarginConfig memory config_,
        address admin
    ) MarginAccount(pricer_, base, quote_, market_, callVault_, putVault_, config_, admin) {}

    function _liquidationSplit(uint256 cost, uint256 maxBonus, uint256 collateral)
        internal
        pure
        override
        returns (uint256 toVault, uint256 bonus)
    {
        bonus = maxBonus < collateral ? maxBonus : collateral;
        toVault = cost - bonus < collateral - bonus ? cost - bonus : collateral - bonus;
    }
}
