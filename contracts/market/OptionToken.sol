// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";

/// @title OptionToken
/// @notice Long option positions as ERC-1155 tokens, one id per (expiry, strike, type) as
/// `OptionId` packs it; amounts are wad options. Only the market mints and burns.
/// @dev A contract of its own (as Lyra's OptionToken) so the market stays under the 24,576-byte
/// code limit. A mint calls the receiver's hook: the market mints last in every trade and
/// guards every entry point against re-entry. The market is an immutable, not a role: every
/// trade mints or burns, and a role is a cold storage read (2,100 gas) each time. The deployer
/// passes the market's address before the market exists (its CREATE address) and checks it
/// once the market is deployed (`optio.deploy`).
contract OptionToken is ERC1155 {
    /// @notice The only minter and burner.
    address public immutable market;
    /// @notice Smallest non-zero position, wad options (the market's `minLiveAmount`): every
    /// balance is zero or at least this, so an option's open interest (the sum of its balances)
    /// is too, and a live slot cannot be held by dust — whether closed to dust or split off by a
    /// transfer — while every holder can still close a whole position.
    uint256 public minBalance;

    error NotMarket(address caller);
    error ZeroMarket();
    error BalanceBelowMinimum(address account, uint256 id, uint256 balance, uint256 minimum);
    error TransferBelowMinimum(uint256 id, uint256 amount, uint256 minimum);

    /// @param minBalance_ The market's `minLiveAmount` at deployment: the market sets it on every
    /// later change, but not from its constructor (a call from a constructor to a contract bound
    /// to its address fails where a node simulates the creation at another address: Ganache).
    constructor(address market_, uint256 minBalance_) ERC1155("") {
        if (market_ == address(0)) revert ZeroMarket();
        market = market_;
        minBalance = minBalance_;
    }

    modifier onlyMarket() {
        if (msg.sender != market) revert NotMarket(msg.sender);
        _;
    }

    function mint(address to, uint256 id, uint256 amount) external onlyMarket {
        _mint(to, id, amount, "");
    }

    function burn(address from, uint256 id, uint256 amount) external onlyMarket {
        _burn(from, id, amount);
    }

    function setMinBalance(uint256 minimum) external onlyMarket {
        minBalance = minimum;
    }

    /// @dev Every mint, burn and transfer leaves both sides at zero or at least `minBalance`, and
    /// a transfer between holders moves at least `minBalance`: a smaller gift would leave its
    /// receiver unable to close the position she had exactly (her close would leave dust). One
    /// exception: a whole position moved to an address holding none makes no dust (a wallet
    /// migration stays possible after the minimum was raised above a position).
    function _update(address from, address to, uint256[] memory ids, uint256[] memory values) internal override {
        super._update(from, to, ids, values);
        uint256 minimum = minBalance;
        if (minimum == 0) return;
        bool transfer = from != address(0) && to != address(0);
        for (uint256 i; i < ids.length; ++i) {
            uint256 id = ids[i];
            if (transfer) {
                if (balanceOf(from, id) == 0 && balanceOf(to, id) == values[i]) continue;
                if (values[i] < minimum) revert TransferBelowMinimum(id, values[i], minimum);
            }
            _checkBalance(from, id, minimum);
            _checkBalance(to, id, minimum);
        }
    }

    function _checkBalance(address account, uint256 id, uint256 minimum) private view {
        if (account == address(0)) return;
        uint256 balance = balanceOf(account, id);
        if (balance != 0 && balance < minimum) revert BalanceBelowMinimum(account, id, balance, minimum);
    }
}
