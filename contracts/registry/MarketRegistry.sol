// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title MarketRegistry
/// @notice The markets of one deployment, one per underlying ("WETH/USDC", "WBTC/USDC"), each
/// an OptionMarket with its own oracles, vaults, book, margin account and limits. The registry
/// holds no funds and no rules: it only names markets, so that a wallet, a keeper or the SDK
/// finds them on-chain. Markets share no state through it, so a stale oracle or a guardian pause
/// in one cannot reach another.
/// @dev Append-only: a market is never removed (its positions would vanish from view); a market
/// wound down is paused by its guardian. Admin: the deployment's timelock.
contract MarketRegistry is AccessControl {
    /* TYPES */

    struct Entry {
        string name;
        address market;
    }

    /* ERRORS */

    error ZeroAddress();
    error EmptyName();
    error NameTaken(string name);
    error MarketTaken(address market);
    error UnknownMarket(string name);

    /* EVENTS */

    event MarketRegistered(uint256 indexed index, string name, address indexed market);

    /* STORAGE */

    Entry[] private _markets;
    mapping(bytes32 nameHash => address market) private _byName;
    mapping(address market => bool) private _registered;

    /* CONSTRUCTOR */

    constructor(address admin) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /* ADMIN */

    /// @notice Adds `market` under `name` (unique, non-empty). Admin only.
    function register(string calldata name, address market) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (market == address(0)) revert ZeroAddress();
        if (bytes(name).length == 0) revert EmptyName();
        bytes32 key = keccak256(bytes(name));
        if (_byName[key] != address(0)) revert NameTaken(name);
        if (_registered[market]) revert MarketTaken(market);
        _byName[key] = market;
        _registered[market] = true;
        _markets.push(Entry(name, market));
        emit MarketRegistered(_markets.length - 1, name, market);
    }

    /* VIEWS */

    /// @notice The market registered as `name`; reverts `UnknownMarket` if none.
    function marketOf(string calldata name) external view returns (address market) {
        market = _byName[keccak256(bytes(name))];
        if (market == address(0)) revert UnknownMarket(name);
    }

    /// @notice Every market, in the order registered.
    function markets() external view returns (Entry[] memory) {
        return _markets;
    }

    /// @notice How many markets are registered.
    function marketCount() external view returns (uint256) {
        return _markets.length;
    }
}
