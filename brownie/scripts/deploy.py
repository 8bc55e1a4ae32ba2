"""Deploy Optio on a local chain with Brownie: `brownie run deploy` (or import `deploy`).

The same contracts and wiring as the SDK's `optio.sdk.deploy.deploy_protocol`, written for Brownie
users: mock WETH/USDC, both oracles, both vaults, the pricer, the option token, the market and
the margin account, with their roles; then every contract's admin role goes to a timelock
(OptioTimelock, the deployer its proposer and executor) and the deployer renounces its own, so
no admin call is instant (docs/admin.md).
"""

from types import SimpleNamespace

from brownie import (
    CallVault,
    MarginAccount,
    MockERC20,
    OptionMarket,
    OptionPricer,
    OptionToken,
    OptioTimelock,
    PutVault,
    SpotOracle,
    VolOracle,
    accounts,
)

WAD = 10**18
MAX_UINT96 = 2**96 - 1
#: optio.sdk.deploy.DeployConfig's defaults, by its field names (the SDK cannot be imported in Brownie's
#: virtualenv); tests/tools/test_brownie_deploy.py checks that they agree.
CONFIG = {
    "spot_max_age": 3600,
    "spot_max_jump_wad": WAD // 4,
    "settlement_window": 3600,
    "settlement_grace": 3600,
    "vol_max_age": 3 * 3600,
    "vol_max_atm_move_wad": WAD // 2,
    "spot_jump_window": 3600,
    "vol_max_age_tau_fraction_wad": WAD // 2,
    "vol_jump_window": 3600,
    "call_decimals_offset": 6,
    "put_decimals_offset": 12,
    "call_deposit_cap": MAX_UINT96,
    "put_deposit_cap": MAX_UINT96,
    "exit_fee_wad": 5 * WAD // 1000,
    "half_spread_wad": WAD // 50,
    "skew_wad": WAD // 20,
    "base_fee_wad": 3 * WAD // 10_000,
    "utilisation_fee_wad": WAD // 20,
    "move_fee_wad": 5 * WAD // 1000,  # the largest unposted spot move (the oracle keeper's threshold)
    "trading_cutoff": 300,
    "min_trade_wad": WAD // 1000,
    "inventory_scale_wad": 100 * WAD,
    "max_net_delta_wad": 10_000 * WAD,
    "max_net_vega_wad": 10**8 * WAD,
    "max_utilisation_wad": 95 * WAD // 100,
    "min_live_wad": WAD,  # options: an opening trade leaves 0 or at least this much open interest
    "spot_shock_wad": WAD // 5,
    "vol_shock_wad": WAD // 2,
    "margin_floor_wad": WAD // 10,
    "liquidation_penalty_wad": WAD // 10,
    "liquidator_bonus_wad": WAD // 20,
    "close_factor_wad": WAD // 2,
    "dust_wad": WAD,  # 1 option: a smaller short's bonus cannot pay its liquidation
    "timelock_delay": 2 * 24 * 3600,  # seconds before a scheduled admin call may run
}


def _values(*names):
    return tuple(CONFIG[n] for n in names)


def deploy(deployer):
    """Deploys every contract from `deployer` (also keeper and guardian); returns them by name."""
    tx = {"from": deployer}
    weth = MockERC20.deploy("Wrapped Ether", "WETH", 18, 10**6 * WAD, tx)
    usdc = MockERC20.deploy("USD Coin", "USDC", 6, 10**10 * 10**6, tx)
    spot_config = (*_values("spot_max_age", "settlement_window", "settlement_grace", "spot_max_jump_wad"), 0,
                   *_values("spot_jump_window"))
    spot = SpotOracle.deploy(deployer, "WETH / USDC", spot_config, tx)
    vol_config = _values("vol_max_age", "vol_max_atm_move_wad", "vol_max_age_tau_fraction_wad", "vol_jump_window")
    vol = VolOracle.deploy(deployer, vol_config, tx)
    call_vault = CallVault.deploy(weth, *_values("call_decimals_offset", "call_deposit_cap"), deployer,
                                  CONFIG["exit_fee_wad"], tx)
    put_vault = PutVault.deploy(usdc, *_values("put_decimals_offset", "put_deposit_cap"), deployer,
                                CONFIG["exit_fee_wad"], tx)
    pricer = OptionPricer.deploy(spot, vol, tx)
    # The token's minter is the market's address, known before the market is deployed.
    market_address = deployer.get_deployment_address(deployer.nonce + 1)
    token = OptionToken.deploy(market_address, CONFIG["min_live_wad"], tx)  # the market's minLiveAmount
    fees = _values("half_spread_wad", "skew_wad", "base_fee_wad", "utilisation_fee_wad", "move_fee_wad")
    limits = _values("trading_cutoff", "min_trade_wad", "inventory_scale_wad", "max_net_delta_wad",
                     "max_net_vega_wad", "max_utilisation_wad", "min_live_wad")
    market = OptionMarket.deploy(pricer, token, call_vault, put_vault, weth, usdc, fees, limits, deployer, tx)
    assert market.address == market_address, "another transaction came between token and market"
    margin_config = _values("spot_shock_wad", "vol_shock_wad", "margin_floor_wad", "liquidation_penalty_wad",
                            "liquidator_bonus_wad", "close_factor_wad", "dust_wad")
    margin = MarginAccount.deploy(pricer, weth, usdc, market, call_vault, put_vault, margin_config, deployer, tx)

    market.setMarginAccount(margin, tx)
    spot.grantRole(spot.LISTER_ROLE(), market, tx)
    for role in ("LISTER_ROLE", "GUARDIAN_ROLE"):
        market.grantRole(getattr(market, role)(), deployer, tx)
    for vault in (call_vault, put_vault):
        vault.grantRole(vault.MARKET_ROLE(), market, tx)
        vault.grantRole(vault.GUARDIAN_ROLE(), deployer, tx)
        vault.setOptionsMark(market.book(), tx)  # the OptionBook the market created: the vaults' mark
    spot.grantRole(spot.KEEPER_ROLE(), deployer, tx)
    spot.grantRole(spot.LISTER_ROLE(), deployer, tx)
    vol.grantRole(vol.VOL_KEEPER_ROLE(), deployer, tx)

    timelock = OptioTimelock.deploy(CONFIG["timelock_delay"], [deployer], [deployer], "0x" + "00" * 20, tx)
    admin_role = "0x" + "00" * 32
    for contract in (spot, vol, call_vault, put_vault, market, margin):
        contract.grantRole(admin_role, timelock, tx)
        contract.renounceRole(admin_role, deployer, tx)
    return SimpleNamespace(weth=weth, usdc=usdc, spot=spot, vol=vol, call_vault=call_vault, put_vault=put_vault,
                           pricer=pricer, token=token, market=market, margin=margin, timelock=timelock)


def main():
    optio = deploy(accounts[0])
    for name, contract in vars(optio).items():
        print(f"{name:<11} {contract.address}")
