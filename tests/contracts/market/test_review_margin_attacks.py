"""Margin attacks from the outside review of 6507dee (findings 7, 8 and 13), each run on a real
Anvil against the fixed MarginAccount and, where marked ``[naive]``, against a margin account
that keeps 6507dee's behaviour (contracts/mocks/NaiveMarginAccounts.sol), where the attack must
still work (else the test proves nothing).

- 7: a short seller withdraws everything between expiry and the settlement post (the
  requirement used to drop to the payoff at the last pre-expiry spot, unstressed), and the
  settlement leaves the put vault with bad debt;
- 8: one stale board inflates a multi-board account's requirement to full collateral and a
  liquidator takes the penalty from a healthy account;
- 13: a self-liquidation of an under-collateralised account takes the liquidator's bonus out of
  the vault's recovery; a short too small to pay a liquidation's gas is refused.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from web3.logs import DISCARD

from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.errors import ContractRevert
from optio.sdk.market import Option, TradeKind
from tests.contracts.market.conftest import SURFACE, WEEK, naive_live, warp
from tests.helpers import call, now, reverts, send, set_risk_limits, warp_to

WAD = 10**18
USDC = 10**6
#: What a liquidation's gas is priced at for the minimum short size (see IMarginAccount).
GAS_PRICE_WEI = 30 * 10**9
ETH_USD = 2000


def _put_vault_balance(live) -> int:
    vault = live.protocol.vault("put")
    return vault.asset.balance_units(vault.address)


# --- 7: expiry to settlement -----------------------------------------------------------------


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_no_withdrawal_between_expiry_and_settlement(w3, live, trader, deployer, keeper, guardian, alice, version):
    """A seller of 50 ATM puts, after expiry and before the settlement price is posted, asks to
    withdraw down to the payoff at the last pre-expiry spot (2000: nothing owed). The settlement
    comes in at 1980 (20 USDC a put, 1,000 USDC in all): the collateral must still be there.
    Naive: the requirement after expiry is that unstressed payoff (NaiveExpiryMarginAccount)."""
    if version == "naive":
        live = naive_live(w3, deployer, keeper, guardian, alice, trader, MarginAccount="NaiveExpiryMarginAccount")
    margin = live.protocol.margin
    live.market.quote_token.faucet(trader, "100000")
    margin.deposit(trader, False, "100000")
    put = live.option("2000", "put")
    live.market.trade(trader, put, TradeKind.SELL, "50")
    warp_to(live.w3, live.expiry - 60)
    live.refresh("2000")
    warp_to(live.w3, live.expiry + 30)  # the pre-expiry spot is still fresh; nothing settled yet
    collateral = call(margin, "putCollateral", trader.address)
    unstressed = 0  # 50 × max(2000 − 2000, 0)
    owed = 50 * (2000 - 1980) * USDC  # at the settlement price below
    if version == "naive":
        send(margin, trader, "withdraw", False, collateral - unstressed, trader.address)
        live.post_spot("1980")  # in the window: the settlement price
        vault_before = _put_vault_balance(live)
        send(margin, keeper, "settleAccounts", live.expiry, [trader.address])
        bad, paid = call(margin, "putBadDebt"), _put_vault_balance(live) - vault_before
        print(
            f"\nnaive: withdrew {collateral / USDC:,.2f} USDC after expiry; the settlement at 1980 "
            f"paid the vault {paid / USDC:,.2f} and left {bad / USDC:,.2f} USDC of bad debt"
        )
        assert paid == 0 and bad == owed, (paid, bad, owed)
        return
    try:
        send(margin, trader, "withdraw", False, collateral - unstressed, trader.address)
    except ContractRevert as err:
        assert err.name == "BelowRequirement", f"expected BelowRequirement, got {err}"
    else:
        live.post_spot("1980")  # in the window: the settlement price
        send(margin, keeper, "settleAccounts", live.expiry, [trader.address])
        bad = call(margin, "putBadDebt")
        raise AssertionError(
            f"withdrew {collateral / USDC:,.2f} USDC after expiry; the settlement at 1980 "
            f"left {bad / USDC:,.2f} USDC of bad debt"
        )
    # The stressed requirement: the payoff at 2000 × (1 − 0.2), 400 USDC a put.
    assert call(margin, "required", trader.address, False) == 50 * 400 * USDC
    live.post_spot("1980")
    assert call(live.protocol.spot_oracle, "isSettled", live.expiry)
    # Once recorded, the requirement is the exact payoff: the rest may leave, and nothing is lost.
    assert call(margin, "required", trader.address, False) == 50 * 20 * USDC
    send(margin, trader, "withdraw", False, collateral - 50 * 20 * USDC, trader.address)
    vault_before = _put_vault_balance(live)
    send(margin, keeper, "settleAccounts", live.expiry, [trader.address])
    assert call(margin, "putBadDebt") == 0
    assert _put_vault_balance(live) - vault_before == 50 * 20 * USDC


def test_expired_short_on_a_stale_spot_needs_full_collateral(live, trader):
    """Between expiry and settlement with no fresh spot, the requirement is the full collateral."""
    margin = live.protocol.margin
    margin.deposit(trader, False, "3000")
    live.market.trade(trader, live.option("2000", "put"), TradeKind.SELL, "1")
    warp_to(live.w3, live.expiry + 3601)
    assert not call(live.protocol.spot_oracle, "isSettled", live.expiry)
    assert call(margin, "required", trader.address, False) == 2000 * USDC


# --- 8: one stale board ----------------------------------------------------------------------


def _second_board(live) -> int:
    """A board a week after the fixture's, strikes 1800/2000/2200, the same vols."""
    expiry = live.expiry + WEEK
    live.market.list_strikes(live.keeper, expiry, ["1800", "2000", "2200"])
    _post_surface(live, expiry)
    return expiry


def _post_surface(live, expiry: int) -> None:
    f = (expiry - now(live.w3)) / WEEK
    s = SURFACE
    live.protocol.vol_oracle.post(live.keeper, expiry, type(s)(a=s.a * f, b=s.b * f, rho=s.rho, m=s.m, sigma=s.sigma))


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_no_liquidation_on_a_stale_board(w3, live, trader, deployer, keeper, guardian, alice, version):
    """Puts sold on two boards, the account healthy on fresh data (10% above its requirement).
    Board 2's surface goes stale (spot and board 1 stay fresh): its shorts count full collateral
    for withdrawals, but the inflated requirement must not let anyone liquidate. Naive: the
    liquidation rests on it (NaiveStaleLiquidationMarginAccount)."""
    if version == "naive":
        live = naive_live(
            w3, deployer, keeper, guardian, alice, trader, MarginAccount="NaiveStaleLiquidationMarginAccount"
        )
    margin = live.protocol.margin
    expiry2 = _second_board(live)
    put1, put2 = live.option("2000", "put"), Option(expiry2, Decimal(2000), False)
    margin.deposit(trader, False, "30000")
    live.market.trade(trader, put1, TradeKind.SELL, "5")
    live.market.trade(trader, put2, TradeKind.SELL, "5")
    required = call(margin, "required", trader.address, False)
    collateral = call(margin, "putCollateral", trader.address)
    send(margin, trader, "withdraw", False, collateral - required * 11 // 10, trader.address)
    warp(live.w3, 3 * 3600 + 1)  # every surface and the spot are stale…
    live.refresh("2000")  # …then spot and board 1 come back; board 2 does not
    fresh_required = required
    required = call(margin, "required", trader.address, False)
    collateral = call(margin, "putCollateral", trader.address)
    assert collateral < required and required > 5 * 2000 * USDC  # board 2 counts full
    liquidator = LocalSigner(dev_account(6))
    if version == "naive":
        receipt = send(margin, liquidator, "liquidate", trader.address, put1.id, WAD)
        (event,) = margin.contract.events.Liquidated().process_receipt(receipt, errors=DISCARD)
        bonus, to_vault = live.market.quote_token.balance_units(liquidator.address), event["args"]["paidToVault"]
        lost = collateral - call(margin, "putCollateral", trader.address)
        _post_surface(live, expiry2)  # board 2 back: the account was healthy all along
        after = call(margin, "putCollateral", trader.address) - call(margin, "required", trader.address, False)
        print(
            f"\nnaive: requirement {fresh_required / USDC:,.0f} -> {required / USDC:,.0f} USDC with board 2 "
            f"stale; a healthy account liquidated, 1 put bought back for {lost / USDC:,.2f} USDC "
            f"({to_vault / USDC:,.2f} to the vault), liquidator's bonus {bonus / USDC:,.2f} USDC; "
            f"on fresh data it is {after / USDC:,.2f} USDC above its requirement"
        )
        assert bonus > 0 and event["args"]["bonus"] == bonus and after > 0
        return
    try:
        send(margin, liquidator, "liquidate", trader.address, put1.id, WAD)
    except ContractRevert as err:
        assert err.name == "RequirementNotFresh", f"expected RequirementNotFresh, got {err}"
    else:
        bonus = live.market.quote_token.balance_units(liquidator.address)
        raise AssertionError(
            f"healthy account liquidated: requirement {fresh_required / USDC:,.0f} -> "
            f"{required / USDC:,.0f} USDC with board 2 stale; liquidator's bonus "
            f"{bonus / USDC:,.2f} USDC"
        )
    with reverts("RequirementNotFresh"):
        send(margin, liquidator, "liquidate", trader.address, put2.id, WAD)
    # Withdrawals still use the conservative requirement.
    with reverts("BelowRequirement"):
        send(margin, trader, "withdraw", False, 1, trader.address)
    # The view says which side is not fresh.
    ((_, puts_fresh),) = call(margin, "freshnessOf", [trader.address])
    assert puts_fresh is False
    # Board 2 back: healthy again, not liquidatable.
    _post_surface(live, expiry2)
    assert call(margin, "freshnessOf", [trader.address]) == [(True, True)]
    with reverts("AccountHealthy"):
        send(margin, liquidator, "liquidate", trader.address, put1.id, WAD)


# --- 13: who is paid first, and the minimum short ---------------------------------------------


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_self_liquidation_takes_no_bonus_from_the_vault(w3, live, trader, deployer, keeper, guardian, alice, version):
    """10 puts K 2200 on 6,500 USDC, spot down to 1000: the collateral is below mid (bad debt).
    The owner liquidates from his second address: the vault must get every unit of the collateral
    and the liquidator nothing. Naive: the bonus is paid first (NaiveBonusFirstMarginAccount)."""
    if version == "naive":
        live = naive_live(w3, deployer, keeper, guardian, alice, trader, MarginAccount="NaiveBonusFirstMarginAccount")
    margin = live.protocol.margin
    margin.deposit(trader, False, "6500")
    put = live.option("2200", "put")
    live.market.trade(trader, put, TradeKind.SELL, "10")
    for price in ("1600", "1300", "1000"):
        warp(live.w3, 3601)  # −50% takes more than one jump window (1 h) of the oracle
        live.post_spot(price)
    live.post_surface()
    second = LocalSigner(dev_account(6))  # the owner's second address
    usdc = live.market.quote_token
    collateral = call(margin, "putCollateral", trader.address)
    vault_before, own_before = _put_vault_balance(live), usdc.balance_units(second.address)
    send(margin, second, "liquidate", trader.address, put.id, 10 * WAD)
    bonus = usdc.balance_units(second.address) - own_before
    to_vault = _put_vault_balance(live) - vault_before
    if version == "naive":  # the bonus came out of what the vault would have recovered
        print(
            f"\nnaive self-liquidation: bonus {bonus / USDC:,.2f} USDC to the owner's second address, "
            f"{to_vault / USDC:,.2f} of {collateral / USDC:,.2f} USDC collateral to the vault, "
            f"bad debt {call(margin, 'putBadDebt') / USDC:,.2f} USDC"
        )
        assert bonus > 0 and to_vault + bonus == collateral, (bonus, to_vault, collateral)
        return
    assert bonus == 0 and to_vault == collateral, (
        f"self-liquidation: bonus {bonus / USDC:,.2f} USDC to the owner's second address, "
        f"{to_vault / USDC:,.2f} of {collateral / USDC:,.2f} USDC collateral to the vault, "
        f"bad debt {call(margin, 'putBadDebt') / USDC:,.2f} USDC"
    )
    assert call(margin, "putCollateral", trader.address) == 0


def test_short_below_the_minimum_is_refused(live, trader):
    margin = live.protocol.margin
    minimum = call(margin, "config")[6]
    margin.deposit(trader, False, "20000")
    # The market's own minimum open interest (finding 4) off: this tests the margin account's.
    set_risk_limits(live.protocol, live.market, minLiveAmount=0)
    put = live.option("2000", "put")
    with reverts("ShortBelowMinimum", minimum=minimum):
        send(live.market, trader, "sell", put.id, minimum - 1, 0, now(live.w3) + 600)
    send(live.market, trader, "sell", put.id, minimum, 0, now(live.w3) + 600)
    assert call(margin, "shortOf", trader.address, put.id) == minimum
    # Adding to it is fine at any size; buying part back may not leave less than the minimum.
    step = 10**15  # the market's least trade
    send(live.market, trader, "sell", put.id, step, 0, now(live.w3) + 600)
    with reverts("ShortBelowMinimum", minimum=minimum):
        send(live.market, trader, "closeShort", put.id, 2 * step, 2**256 - 1, now(live.w3) + 600)
    live.market.close(trader, put)
    assert call(margin, "shortOf", trader.address, put.id) == 0


def test_minimum_short_pays_for_its_liquidation(live, trader):
    """A minimum-size ATM put sold at the edge of its requirement, spot down 15%: the
    liquidator's bonus pays for the liquidation's gas at 30 gwei and ETH = 2,000 USD."""
    margin = live.protocol.margin
    minimum = call(margin, "config")[6]
    put = live.option("2000", "put")
    margin.deposit(trader, False, "20000")
    send(live.market, trader, "sell", put.id, minimum, 0, now(live.w3) + 600)
    free = call(margin, "putCollateral", trader.address) - call(margin, "required", trader.address, False)
    send(margin, trader, "withdraw", False, free, trader.address)
    warp(live.w3, 2)
    live.post_spot("1700")
    liquidator = LocalSigner(dev_account(6))
    receipt = send(margin, liquidator, "liquidate", trader.address, put.id, minimum)
    bonus_usd = live.market.quote_token.balance_units(liquidator.address) / USDC
    gas_usd = receipt["gasUsed"] * GAS_PRICE_WEI / WAD * ETH_USD
    print(
        f"minimum {minimum / WAD} puts: liquidation gas {receipt['gasUsed']}, {gas_usd:.2f} USD; "
        f"bonus {bonus_usd:.2f} USD"
    )
    assert bonus_usd >= gas_usd, f"bonus {bonus_usd:.2f} USD < gas {gas_usd:.2f} USD ({receipt['gasUsed']} gas)"
