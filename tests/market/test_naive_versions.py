"""Market, oracle and margin attacks, each run against the real protocol and a naive version
that lacks one defence (the same contracts with that defence configured away): the attack must
fail on ours and succeed on the naive one.

- a jumping and a stale oracle: naive = no practical maximum age and a 100% jump bound (the
  loosest configuration the SpotOracle accepts: it refuses none at all);
- dust liquidation: naive = no dust floor, so a partial liquidation leaves a short too small
  to be worth liquidating;
- the free option around withdraw: naive = a vault that values itself at cash (no options mark),
  so an LP leaves at a price that ignores the options it wrote.
"""

from __future__ import annotations

import pytest

from optio.chain import LocalSigner, dev_account
from optio.contracts import Client
from optio.deploy import deploy_contract
from optio.errors import ContractRevert
from optio.market import TradeKind
from tests.helpers import call, now, reverts, send
from tests.market.conftest import warp

WAD = 10**18


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_jumping_and_stale_oracle(w3, protocol, deployer, keeper, version):
    if version == "ours":
        oracle = protocol.spot_oracle
    else:
        # The loosest the contract accepts: no practical age limit, a jump bound of 100%.
        config = (2**32 - 1, 3600, 3600, WAD, 0)
        address = deploy_contract(w3, deployer, "SpotOracle", deployer.address, "naive", config)
        oracle = Client(w3, address, artifact_name="SpotOracle")
        send(oracle, deployer, "grantRole", call(oracle, "KEEPER_ROLE"), keeper.address)
    send(oracle, keeper, "post", 2000 * WAD, now(w3))
    warp(w3, 12)
    manipulated = 200 * WAD  # a 90% crash in one update: a manipulated or broken feed
    if version == "ours":
        with reverts("PriceJumpTooLarge"):
            send(oracle, keeper, "post", manipulated, now(w3))
    else:
        send(oracle, keeper, "post", manipulated, now(w3))
        assert call(oracle, "latestPrice")[0] == manipulated
    warp(w3, 10 * 86400)  # the feed stops for ten days
    if version == "ours":
        with reverts("StalePrice"):
            call(oracle, "latestPrice")
    else:
        assert call(oracle, "latestPrice")[1] < now(w3) - 9 * 86400  # served ten days old


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_dust_liquidation(live, trader, deployer, version):
    margin = live.protocol.margin
    if version == "naive":
        config = list(call(margin, "config"))
        config[6] = 0  # no dust floor
        send(margin, deployer, "setConfig", tuple(config))
    live.protocol.margin.deposit(trader, False, "6")
    opt = live.option("2000", "put")
    live.market.trade(trader, opt, TradeKind.SELL, "0.015")
    warp(live.w3, 2)
    live.post_spot("1600")
    liquidator = LocalSigner(dev_account(6))
    if version == "ours":  # under twice the dust floor: it closes whole, nothing is left behind
        send(margin, liquidator, "liquidate", trader.address, opt.id, 15 * 10**15)
        assert call(margin, "shortOf", trader.address, opt.id) == 0
    else:  # only half may go, and the half left is dust no liquidator's gas would pay for
        with pytest.raises(ContractRevert, match="LiquidationTooLarge"):
            send(margin, liquidator, "liquidate", trader.address, opt.id, 15 * 10**15)
        send(margin, liquidator, "liquidate", trader.address, opt.id, 75 * 10**14)
        assert 0 < call(margin, "shortOf", trader.address, opt.id) < 10**16


@pytest.mark.parametrize("version", ["ours", "naive"])
def test_free_option_around_withdraw(live, trader, deployer, version):
    """An LP who sees the vault's written calls go deep in the money withdraws before they
    settle: at a fair price he takes his share of the loss; at a cash price the LPs who stay
    pay his share."""
    vault = live.protocol.vault("call")
    carol = LocalSigner(dev_account(4))
    vault.asset.faucet(carol, "100")
    vault.deposit(carol, "100")
    live.market.trade(trader, live.option("2000", "call"), TradeKind.BUY, "20")
    if version == "naive":
        send(vault, deployer, "setOptionsMark", "0x" + "00" * 20)
    for price in ("2400", "2900"):
        warp(live.w3, 2)
        live.post_spot(price)
    live.post_surface()
    shares = call(vault, "balanceOf", carol.address)
    fair = shares * (call(live.market, "optionsLiability", vault.address)[0] * -1
                     + vault.asset.balance_units(vault.address) + 1) // (call(vault, "totalSupply") + 10**6)
    before = vault.asset.balance_units(carol.address)
    send(vault, carol, "redeem", shares, carol.address, carol.address)
    paid = vault.asset.balance_units(carol.address) - before
    if version == "ours":
        assert paid <= fair
    else:
        assert paid > fair + WAD // 100, f"naive vault paid {paid}, fair {fair}"
