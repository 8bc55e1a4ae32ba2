"""Margin shorts and liquidation on a real Anvil: requirement, spot crash, vol spike, partial
closes, bad debt, dust, and the batch health view."""

from __future__ import annotations

from decimal import Decimal

import pytest

from optio.pricing.svi import SviParams
from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.errors import InvalidInput
from optio.sdk.market import TradeKind
from tests.contracts.market.conftest import SURFACE, warp
from tests.helpers import admin_send, call, now, reverts, send

WAD = 10**18
USDC = 10**6


def _short_puts(live, signer, collateral: str, strike: str = "2000", amount: str = "10"):
    live.protocol.margin.deposit(signer, False, collateral)
    live.market.trade(signer, live.option(strike, "put"), TradeKind.SELL, amount)
    return live.option(strike, "put")


def _move_spot(live, *prices: str) -> None:
    # Moves beyond the oracle's jump bound take real time: one jump window (1 h) per step.
    for i, p in enumerate(prices):
        warp(live.w3, 3601 if i else 2)
        live.post_spot(p)


def _health(live, account):
    (calls, puts), = call(live.protocol.margin, "healthOf", [account])
    return calls, puts


def test_sell_credits_premium_and_needs_collateral(live, trader):
    m, margin = live.market, live.protocol.margin
    opt = live.option("2000", "put")
    with reverts("BelowRequirement"):
        send(m, trader, "sell", opt.id, WAD, 0, now(live.w3) + 600)
    margin.deposit(trader, False, "1000")
    bid = m.quote(opt, TradeKind.SELL, "1")
    receipt = m.trade(trader, opt, TradeKind.SELL, "1")
    paid = Decimal(m.contract.events.Traded().process_receipt(receipt)[0]["args"]["premium"]) / USDC
    # The trade's block can be a second or two after the quote's: the bid decays by theta.
    assert abs(paid - bid.premium) <= Decimal("1e-4") * bid.premium
    status = margin.status(trader.address)
    assert status.puts.collateral == Decimal(1000) + paid
    assert status.shorts == ((opt, Decimal(1)),)
    assert status.puts.required >= Decimal("0.1") * 2000  # the floor
    assert call(m, "optionState", opt.id)[1] == WAD  # the vault is long


def test_withdraw_keeps_the_requirement(live, trader):
    margin = live.protocol.margin
    _short_puts(live, trader, "2000", amount="2")
    status = margin.status(trader.address)
    free = status.puts.collateral - status.puts.required
    with pytest.raises(InvalidInput, match="can leave"):
        margin.withdraw(trader, False, free + 1)
    with reverts("BelowRequirement"):
        send(margin, trader, "withdraw", False, int((free + 1) * USDC), trader.address)
    margin.withdraw(trader, False, free)
    assert margin.status(trader.address).puts.healthy


def test_close_short_buys_back_from_collateral(live, trader):
    margin, m = live.protocol.margin, live.market
    opt = _short_puts(live, trader, "3000", amount="2")
    ask = m.quote(opt, TradeKind.CLOSE_SHORT, "2")
    before = margin.status(trader.address).puts.collateral
    m.close(trader, opt)
    after = margin.status(trader.address)
    assert after.shorts == ()
    paid = before - after.puts.collateral
    assert ask.premium - ask.premium / 1000 <= paid <= ask.premium  # the ask decays between blocks
    assert after.puts.required == 0


def test_full_collateral_never_liquidates(live, trader, bob):
    opt = _short_puts(live, trader, "20000")  # 10 puts × K 2000 = full
    _move_spot(live, "1600", "1300", "1050")
    puts = _health(live, trader.address)[1]
    assert puts[0] >= puts[1]
    with reverts("AccountHealthy"):
        send(live.protocol.margin, bob, "liquidate", trader.address, opt.id, WAD)


def test_spot_crash_partial_liquidation(live, trader):
    margin = live.protocol.margin
    liquidator = LocalSigner(dev_account(6))
    opt = _short_puts(live, trader, "4650")
    with reverts("AccountHealthy"):
        send(margin, liquidator, "liquidate", trader.address, opt.id, WAD)
    _move_spot(live, "1700")
    collateral, required = _health(live, trader.address)[1]
    assert collateral < required
    # The close factor: at most half of the short per call while the collateral can pay.
    with reverts("LiquidationTooLarge", maxAmount=5 * WAD):
        send(margin, liquidator, "liquidate", trader.address, opt.id, 6 * WAD)
    vault = live.protocol.vault("put")
    vault_before = vault.asset.balance_units(vault.address)
    send(margin, liquidator, "liquidate", trader.address, opt.id, 5 * WAD)
    assert call(margin, "shortOf", trader.address, opt.id) == 5 * WAD
    assert vault.asset.balance_units(liquidator.address) > 0  # the bonus
    assert vault.asset.balance_units(vault.address) > vault_before
    assert call(live.market, "optionState", opt.id)[1] == 5 * WAD
    collateral, required = _health(live, trader.address)[1]
    assert collateral >= required  # partial liquidation restored health
    with reverts("AccountHealthy"):
        send(margin, liquidator, "liquidate", trader.address, opt.id, WAD)


def test_vol_spike_makes_an_account_liquidatable(live, trader):
    opt = _short_puts(live, trader, "2300", strike="1800")
    assert _health(live, trader.address)[1][0] >= _health(live, trader.address)[1][1]
    warp(live.w3, 2)
    live.post_spot("2000")
    live.post_surface(SviParams(a=SURFACE.a * 2, b=SURFACE.b * 2, rho=SURFACE.rho, m=SURFACE.m, sigma=SURFACE.sigma))
    collateral, required = _health(live, trader.address)[1]
    assert collateral < required
    send(live.protocol.margin, LocalSigner(dev_account(6)), "liquidate", trader.address, opt.id, 5 * WAD)


def test_bad_debt_is_recorded(live, trader):
    margin = live.protocol.margin
    opt = _short_puts(live, trader, "6500", strike="2200")
    _move_spot(live, "1600", "1300", "1000")
    liquidator = LocalSigner(dev_account(6))
    # The collateral cannot pay for the whole short: it closes whole, and the rest is bad debt.
    send(margin, liquidator, "liquidate", trader.address, opt.id, 10 * WAD)
    assert call(margin, "shortOf", trader.address, opt.id) == 0
    assert call(margin, "putCollateral", trader.address) == 0
    bad = call(margin, "putBadDebt")
    assert bad > 0
    logs = margin.contract.events.BadDebt.get_logs(from_block=live.w3.eth.block_number)
    assert logs and logs[0]["args"]["amount"] == bad


def test_dust_short_closes_whole(live, trader):
    margin = live.protocol.margin
    dust = call(margin, "config")[6]
    amount = 15 * dust // 10  # below 2 × dust: half would leave less than dust
    opt = _short_puts(live, trader, str(600 * dust // WAD), amount=str(Decimal(amount) / WAD))
    _move_spot(live, "1600")
    collateral, required = _health(live, trader.address)[1]
    if collateral >= required:
        pytest.fail(f"setup: expected an unhealthy account, got {collateral} ≥ {required}")
    send(margin, LocalSigner(dev_account(6)), "liquidate", trader.address, opt.id, amount)
    assert call(margin, "shortOf", trader.address, opt.id) == 0


def test_expired_short_is_settled_not_liquidated(live, trader, keeper):
    margin = live.protocol.margin
    opt = _short_puts(live, trader, "2000", amount="1")
    warp(live.w3, live.expiry - now(live.w3) + 60)
    live.post_spot("1900")
    with reverts("PositionExpired"):
        send(margin, keeper, "liquidate", trader.address, opt.id, WAD)
    # Expired: the requirement is the payoff owed, 100 USDC.
    assert _health(live, trader.address)[1][1] == 100 * USDC
    send(margin, keeper, "settleAccounts", live.expiry, [trader.address])
    assert call(margin, "shortOf", trader.address, opt.id) == 0


def test_health_of_many_accounts_in_one_call(live, trader):
    accounts = [LocalSigner(dev_account(20 + i)).address for i in range(50)] + [trader.address]
    _short_puts(live, trader, "1000", amount="1")
    health = call(live.protocol.margin, "healthOf", accounts)
    assert len(health) == 51
    assert all(h[1][0] == 0 and h[1][1] == 0 for h in health[:50])
    assert health[50][1][1] > 0


def test_margin_bad_input(live, trader, deployer):
    margin = live.protocol.margin
    with reverts("ZeroAmount"):
        send(margin, trader, "deposit", True, 0)
    with reverts("NotMarket"):
        send(margin, trader, "openShort", trader.address, 1, 1, 0)
    with reverts("InvalidConfig"):
        admin_send(live.protocol, margin, "setConfig", (WAD, 0, 0, 0, 0, WAD, 0))
    with pytest.raises(InvalidInput, match="amount must be positive"):
        margin.deposit(trader, True, "-1")


def test_no_liquidation_on_a_stale_price(live, trader):
    """A stale oracle makes the requirement the full collateral, but nobody may liquidate on it:
    the liquidation reverts with the oracle's error until a fresh price arrives."""
    opt = _short_puts(live, trader, "3000", amount="2")
    warp(live.w3, 3601)
    collateral, required = _health(live, trader.address)[1]
    assert required == 2 * 2000 * USDC and collateral < required
    assert not live.protocol.margin.status(trader.address).puts.fresh
    with reverts("StalePrice"):
        send(live.protocol.margin, LocalSigner(dev_account(6)), "liquidate", trader.address, opt.id, WAD)
    live.refresh("2000")
    assert live.protocol.margin.status(trader.address).puts.fresh
    with reverts("AccountHealthy"):
        send(live.protocol.margin, LocalSigner(dev_account(6)), "liquidate", trader.address, opt.id, WAD)
