"""Deploy Optio on a local chain with Brownie: `brownie run deploy` (or import `deploy`).

The same contracts and wiring as the SDK's `optio.deploy.deploy_protocol`, written for Brownie
users: mock WETH/USDC, both oracles, both vaults, the pricer, the option token, the market and
the margin account, with their roles.
"""

from types import SimpleNamespace

from brownie import (
    CallVault,
    MarginAccount,
    MockERC20,
    OptionMarket,
    OptionPricer,
    OptionToken,
    PutVault,
    SpotOracle,
    VolOracle,
    accounts,
)

WAD = 10**18
MAX_UINT96 = 2**96 - 1


def deploy(deployer):
    """Deploys every contract from `deployer` (also keeper and guardian); returns them by name."""
    tx = {"from": deployer}
    weth = MockERC20.deploy("Wrapped Ether", "WETH", 18, 10**6 * WAD, tx)
    usdc = MockERC20.deploy("USD Coin", "USDC", 6, 10**10 * 10**6, tx)
    spot = SpotOracle.deploy(deployer, "WETH / USDC", (3600, 3600, 3600, WAD // 4, 0), tx)
    vol = VolOracle.deploy(deployer, (3 * 3600, WAD // 2), tx)
    call_vault = CallVault.deploy(weth, 6, MAX_UINT96, deployer, tx)
    put_vault = PutVault.deploy(usdc, 12, MAX_UINT96, deployer, tx)
    pricer = OptionPricer.deploy(spot, vol, tx)
    # The token's minter is the market's address, known before the market is deployed.
    market_address = deployer.get_deployment_address(deployer.nonce + 1)
    token = OptionToken.deploy(market_address, tx)
    fees = (WAD // 50, WAD // 20, 3 * WAD // 10_000, WAD // 20)
    limits = (300, WAD // 1000, 100 * WAD, 10_000 * WAD, 10**8 * WAD, 95 * WAD // 100)
    market = OptionMarket.deploy(pricer, token, call_vault, put_vault, weth, usdc, fees, limits, deployer, tx)
    assert market.address == market_address, "another transaction came between token and market"
    margin_config = (WAD // 5, WAD // 2, WAD // 10, WAD // 10, WAD // 20, WAD // 2, WAD // 100)
    margin = MarginAccount.deploy(pricer, weth, usdc, market, call_vault, put_vault, margin_config, deployer, tx)

    market.setMarginAccount(margin, tx)
    spot.grantRole(spot.LISTER_ROLE(), market, tx)
    for role in ("LISTER_ROLE", "GUARDIAN_ROLE"):
        market.grantRole(getattr(market, role)(), deployer, tx)
    for vault in (call_vault, put_vault):
        vault.grantRole(vault.MARKET_ROLE(), market, tx)
        vault.grantRole(vault.GUARDIAN_ROLE(), deployer, tx)
        vault.setOptionsMark(market, tx)
    spot.grantRole(spot.KEEPER_ROLE(), deployer, tx)
    spot.grantRole(spot.LISTER_ROLE(), deployer, tx)
    vol.grantRole(vol.VOL_KEEPER_ROLE(), deployer, tx)
    return SimpleNamespace(weth=weth, usdc=usdc, spot=spot, vol=vol, call_vault=call_vault, put_vault=put_vault,
                           pricer=pricer, token=token, market=market, margin=margin)


def main():
    optio = deploy(accounts[0])
    for name, contract in vars(optio).items():
        print(f"{name:<11} {contract.address}")
