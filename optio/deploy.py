"""Deploy the whole protocol and write its manifest."""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3

from optio.artifacts import artifact
from optio.chain import LOCAL_CHAIN_IDS, Signer, transact
from optio.contracts import Client
from optio.deployment import ContractRecord, Deployment, save_deployment
from optio.errors import InvalidInput
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


def deploy_protocol(w3: Web3, signer: Signer, config: DeployConfig | None = None, *, save: bool = True) -> Deployment:
    """Deploy tokens (mocks on local chains), oracles and both vaults; grant roles; write
    ``deployments/<chain-id>.json`` (unless ``save`` is false) and return the manifest."""
    cfg = config or DeployConfig()
    chain_id = w3.eth.chain_id
    deployer = signer.address
    start_block = w3.eth.block_number + 1
    records: dict[str, ContractRecord] = {}

    def record(key: str, name: str, address: str) -> str:
        records[key] = ContractRecord(address=address, artifact=name, bytecode_hash=artifact(name).bytecode_hash)
        return address

    if (cfg.weth is None or cfg.usdc is None) and chain_id not in LOCAL_CHAIN_IDS:
        raise InvalidInput(f"chain {chain_id} is not a local chain: give the WETH and USDC token addresses")
    weth = cfg.weth or record(
        "WETH", "MockERC20", deploy_contract(w3, signer, "MockERC20", "Wrapped Ether", "WETH", 18, 10**6 * 10**18)
    )
    usdc = cfg.usdc or record(
        "USDC", "MockERC20", deploy_contract(w3, signer, "MockERC20", "USD Coin", "USDC", 6, 10**10 * 10**6)
    )

    spot_config = (cfg.spot_max_age, cfg.settlement_window, cfg.settlement_grace, cfg.spot_max_jump_wad, 0)
    spot_address = deploy_contract(w3, signer, "SpotOracle", deployer, cfg.description, spot_config)
    spot = record("SpotOracle", "SpotOracle", spot_address)
    vol = record(
        "VolOracle",
        "VolOracle",
        deploy_contract(w3, signer, "VolOracle", deployer, (cfg.vol_max_age, cfg.vol_max_atm_move_wad)),
    )
    call_vault = record(
        "CallVault",
        "CallVault",
        deploy_contract(w3, signer, "CallVault", weth, cfg.call_decimals_offset, cfg.call_deposit_cap, deployer),
    )
    put_vault = record(
        "PutVault",
        "PutVault",
        deploy_contract(w3, signer, "PutVault", usdc, cfg.put_decimals_offset, cfg.put_deposit_cap, deployer),
    )

    keeper = cfg.keeper or deployer
    guardian = cfg.guardian or deployer
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
