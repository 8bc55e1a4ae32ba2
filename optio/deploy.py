"""Deploy the whole protocol and write its manifest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from web3 import Web3
from web3.utils.address import get_create_address

from optio.artifacts import artifact
from optio.chain import LOCAL_CHAIN_IDS, Signer, transact
from optio.contracts import Client
from optio.deployment import ContractRecord, Deployment, save_deployment
from optio.errors import InvalidInput, OptioError
from optio.units import to_wad

MAX_UINT96 = 2**96 - 1


@dataclass(frozen=True)
class DeployConfig:
    """Deployment parameters (seconds, or 18-decimal fractions where named ``_wad``)."""

    spot_max_age: int = 3600
    spot_max_jump_wad: int = to_wad("0.25")  # 25% per update
    settlement_window: int = 3600
    settlement_grace: int = 3600
    vol_max_age: int = 3 * 3600
    vol_max_atm_move_wad: int = to_wad("0.5")  # 50% of the ATM vol per update
    call_decimals_offset: int = 6
    put_decimals_offset: int = 12
    call_deposit_cap: int = MAX_UINT96  # base-asset units
    put_deposit_cap: int = MAX_UINT96  # quote-asset units
    keeper: str | None = None  # gets the spot, lister and vol keeper roles; default: deployer
    guardian: str | None = None  # may pause deposits; default: deployer
    # Options market: AMM fees (fractions of vol, or of spot for base_fee), as pricing.quotes.
    half_spread_wad: int = to_wad("0.02")
    skew_wad: int = to_wad("0.05")
    base_fee_wad: int = to_wad("0.0003")
    utilisation_fee_wad: int = to_wad("0.05")
    # Risk limits per vault.
    trading_cutoff: int = 300  # seconds before expiry when trading stops
    min_trade_wad: int = to_wad("0.001")  # options
    inventory_scale_wad: int = to_wad("100")  # net short options per strike at full skew
    max_net_delta_wad: int = to_wad("10000")  # options of base
    max_net_vega_wad: int = to_wad("100000000")  # quote per 1.00 of vol
    max_utilisation_wad: int = to_wad("0.95")
    # Margin accounts.
    spot_shock_wad: int = to_wad("0.2")
    vol_shock_wad: int = to_wad("0.5")
    margin_floor_wad: int = to_wad("0.1")
    liquidation_penalty_wad: int = to_wad("0.1")
    liquidator_bonus_wad: int = to_wad("0.05")
    close_factor_wad: int = to_wad("0.5")
    dust_wad: int = to_wad("0.01")
    description: str = "WETH / USDC"
    weth: str | None = None  # existing tokens on real chains; mocks are deployed on local ones
    usdc: str | None = None


def deploy_contract(w3: Web3, signer: Signer, name: str, *args: object) -> str:
    """Deploys the compiled contract `name` with constructor `args`; returns its address."""
    art = artifact(name)
    data = w3.eth.contract(abi=art.abi, bytecode=art.bytecode).constructor(*args).data_in_transaction
    receipt = transact(w3, signer, None, data, action=f"deploy {name}")
    return receipt["contractAddress"]


def _grant(w3: Web3, signer: Signer, address: str, name: str, role: str, account: str) -> None:
    client = Client(w3, address, artifact_name=name)
    client.transact(signer, "grantRole", client.call(role), account, action=f"grant {role}")


#: The protocol's contracts, by the artifact each is deployed from.
PROTOCOL_CONTRACTS = (
    "SpotOracle", "VolOracle", "CallVault", "PutVault", "OptionPricer", "OptionToken", "OptionMarket", "MarginAccount"
)


def deploy_protocol(
    w3: Web3,
    signer: Signer,
    config: DeployConfig | None = None,
    *,
    save: bool = True,
    replace: Mapping[str, str] | None = None,
) -> Deployment:
    """Deploy tokens (mocks on local chains), oracles and both vaults; grant roles; write
    ``deployments/<chain-id>.json`` (unless ``save`` is false) and return the manifest.

    ``replace`` maps a contract of ``PROTOCOL_CONTRACTS`` to the artifact deployed in its place,
    a subclass with the same constructor (the attack tests' naive versions)."""
    cfg = config or DeployConfig()
    swaps = dict(replace or {})
    unknown = sorted(set(swaps) - set(PROTOCOL_CONTRACTS))
    if unknown:
        raise InvalidInput(f"replace: unknown contract(s) {', '.join(unknown)}; expected one of {PROTOCOL_CONTRACTS}")
    chain_id = w3.eth.chain_id
    deployer = signer.address
    start_block = w3.eth.block_number + 1
    records: dict[str, ContractRecord] = {}

    def record(key: str, name: str, address: str) -> str:
        records[key] = ContractRecord(address=address, artifact=name, bytecode_hash=artifact(name).bytecode_hash)
        return address

    def deploy(key: str, *args: object) -> str:
        """Deploys protocol contract ``key`` (or its replacement) and records it."""
        name = swaps.get(key, key)
        return record(key, name, deploy_contract(w3, signer, name, *args))

    if (cfg.weth is None or cfg.usdc is None) and chain_id not in LOCAL_CHAIN_IDS:
        raise InvalidInput(f"chain {chain_id} is not a local chain: give the WETH and USDC token addresses")
    weth = cfg.weth or record(
        "WETH", "MockERC20", deploy_contract(w3, signer, "MockERC20", "Wrapped Ether", "WETH", 18, 10**6 * 10**18)
    )
    usdc = cfg.usdc or record(
        "USDC", "MockERC20", deploy_contract(w3, signer, "MockERC20", "USD Coin", "USDC", 6, 10**10 * 10**6)
    )

    spot_config = (cfg.spot_max_age, cfg.settlement_window, cfg.settlement_grace, cfg.spot_max_jump_wad, 0)
    spot = deploy("SpotOracle", deployer, cfg.description, spot_config)
    vol = deploy("VolOracle", deployer, (cfg.vol_max_age, cfg.vol_max_atm_move_wad))
    call_vault = deploy("CallVault", weth, cfg.call_decimals_offset, cfg.call_deposit_cap, deployer)
    put_vault = deploy("PutVault", usdc, cfg.put_decimals_offset, cfg.put_deposit_cap, deployer)

    pricer = deploy("OptionPricer", spot, vol)
    # The token's minter is an immutable: the market's CREATE address, the deployment after it
    # (checked once the market is deployed).
    market_address = get_create_address(deployer, w3.eth.get_transaction_count(deployer, "pending") + 1)
    token = deploy("OptionToken", market_address)
    fees = (cfg.half_spread_wad, cfg.skew_wad, cfg.base_fee_wad, cfg.utilisation_fee_wad)
    limits = (
        cfg.trading_cutoff,
        cfg.min_trade_wad,
        cfg.inventory_scale_wad,
        cfg.max_net_delta_wad,
        cfg.max_net_vega_wad,
        cfg.max_utilisation_wad,
    )
    market = deploy("OptionMarket", pricer, token, call_vault, put_vault, weth, usdc, fees, limits, deployer)
    if market != market_address:  # another transaction from the deployer came in between
        raise OptioError(f"OptionToken was bound to {market_address} but OptionMarket deployed at {market}: redeploy")
    margin_config = (
        cfg.spot_shock_wad,
        cfg.vol_shock_wad,
        cfg.margin_floor_wad,
        cfg.liquidation_penalty_wad,
        cfg.liquidator_bonus_wad,
        cfg.close_factor_wad,
        cfg.dust_wad,
    )
    margin = deploy("MarginAccount", pricer, weth, usdc, market, call_vault, put_vault, margin_config, deployer)

    keeper = cfg.keeper or deployer
    guardian = cfg.guardian or deployer
    market_client = Client(w3, market, artifact_name="OptionMarket")
    market_client.transact(signer, "setMarginAccount", margin, action="setMarginAccount")
    _grant(w3, signer, spot, "SpotOracle", "LISTER_ROLE", market)
    _grant(w3, signer, market, "OptionMarket", "LISTER_ROLE", keeper)
    _grant(w3, signer, market, "OptionMarket", "GUARDIAN_ROLE", guardian)
    for address, name in ((call_vault, "CallVault"), (put_vault, "PutVault")):
        _grant(w3, signer, address, name, "MARKET_ROLE", market)
        Client(w3, address, artifact_name=name).transact(signer, "setOptionsMark", market, action="setOptionsMark")
    _grant(w3, signer, spot, "SpotOracle", "KEEPER_ROLE", keeper)
    _grant(w3, signer, spot, "SpotOracle", "LISTER_ROLE", keeper)
    _grant(w3, signer, vol, "VolOracle", "VOL_KEEPER_ROLE", keeper)
    for address, name in ((call_vault, "CallVault"), (put_vault, "PutVault")):
        _grant(w3, signer, address, name, "GUARDIAN_ROLE", guardian)

    deployment = Deployment(
        chain_id=chain_id,
        deployer=deployer,
        deploy_block=start_block,
        contracts=records,
        params={"WETH": weth, "USDC": usdc, "keeper": keeper, "guardian": guardian},
    )
    if save:
        save_deployment(deployment)
    return deployment
