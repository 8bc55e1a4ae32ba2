"""Deploy the whole protocol and write its manifest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace as replace_fields

from web3 import Web3
from web3.utils.address import get_create_address

from optio.sdk.artifacts import artifact
from optio.sdk.chain import LOCAL_CHAIN_IDS, Signer, transact
from optio.sdk.contracts import Client
from optio.sdk.deployment import (
    ContractRecord,
    Deployment,
    MarketRecord,
    load_deployment,
    manifest_path,
    save_deployment,
)
from optio.sdk.errors import InvalidInput, NoDeployment, OptioError
from optio.sdk.units import to_wad

MAX_UINT96 = 2**96 - 1
#: Longest timelock delay accepted (a longer one would lock the admin out in practice).
MAX_TIMELOCK_DELAY = 365 * 24 * 3600


@dataclass(frozen=True)
class DeployConfig:
    """Deployment parameters (seconds, or 18-decimal fractions where named ``_wad``)."""

    spot_max_age: int = 3600
    spot_max_jump_wad: int = to_wad("0.25")  # 25% per update
    settlement_window: int = 3600
    settlement_grace: int = 3600
    vol_max_age: int = 3 * 3600
    vol_max_atm_move_wad: int = to_wad("0.5")  # 50% of each smile point's vol per jump window
    spot_jump_window: int = 3600  # seconds: spot moves at most spot_max_jump_wad per window
    vol_max_age_tau_fraction_wad: int = to_wad("0.5")  # a surface is stale after 50% of its tenor
    vol_jump_window: int = 3600  # seconds: vols move at most vol_max_atm_move_wad per window
    call_decimals_offset: int = 6
    put_decimals_offset: int = 12
    call_deposit_cap: int = MAX_UINT96  # base-asset units
    put_deposit_cap: int = MAX_UINT96  # quote-asset units
    exit_fee_wad: int = to_wad("0.005")  # of what an exit pays, set aside for the protocol (max 2%)
    # Posts spot and vol, fills LP requests (KEEPER_ROLE, VOL_KEEPER_ROLE, FILLER_ROLE); default: deployer.
    keeper: str | None = None
    guardian: str | None = None  # may pause the market and deposits (GUARDIAN_ROLE); default: deployer
    # Options market: AMM fees (fractions of vol, or of spot for base_fee), as optio.pricing.quotes.
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
    dust_wad: int = to_wad("1")  # least short, options: its bonus pays a liquidation (IMarginAccount.dustAmount)
    description: str = "WETH / USDC"
    weth: str | None = None  # existing tokens on real chains; mocks are deployed on local ones
    usdc: str | None = None
    # Options market, appended (review fixes): the move fee and the smallest live open interest.
    move_fee_wad: int = to_wad("0.005")  # the largest unposted spot move (keepers/oracle.py threshold)
    min_live_wad: int = to_wad("1")  # options: an opening trade leaves 0 or at least this much
    # Admin (review finding 10): every contract's DEFAULT_ADMIN_ROLE is held by a timelock.
    lister: str | None = None  # lists boards (market and spot LISTER_ROLE); default: the keeper
    admin: str | None = None  # the timelock's proposer, executor and canceller; default: deployer
    timelock_delay: int = 2 * 24 * 3600  # seconds between scheduling an admin call and running it
    # Further markets (issue 25), each with its own oracles, vaults, book, market and margin
    # account; the first market is this config's (named by ``description``).
    extra_markets: tuple[MarketSpec, ...] = ()


@dataclass(frozen=True)
class MarketSpec:
    """A further market of a deployment: its underlying and its own parameters.

    ``config`` gives the market's oracle, vault, AMM, limit and margin parameters (default: the
    deployment's); its roles, tokens and timelock fields are ignored (the deployment's hold).
    """

    name: str  # "WBTC/USDC": the key in the manifest and the registry
    base_symbol: str = "WBTC"
    base_name: str = "Wrapped BTC"
    base_decimals: int = 8  # of the mock token on local chains
    base: str | None = None  # the existing token on a real chain
    config: DeployConfig | None = None


#: How many ETH options one BTC option is worth, roughly (60,000 / 2,000): the WETH defaults that
#: count options (sizes, the skew's inventory scale, the delta limit) divided by it give the same
#: dollar scale on BTC. The adversary review found the skew scale left at 100 options: the same
#: dollar flow moved WBTC's skew 30 times less (test_markets_adversary.py).
BTC_PER_ETH_OPTIONS = 30


def _btc_sized(options_wad: int) -> int:
    """A WETH default in options (wad), at BTC's dollar scale."""
    return options_wad // BTC_PER_ETH_OPTIONS


#: The second market a local deployment carries (``optio deploy``, ``--wbtc`` elsewhere; the demo; the
#: isolation tests): WBTC (8 decimals) against the shared USDC, every limit counted in options at
#: BTC's size (vega and fees are in quote units or fractions: the same).
WBTC_MARKET = MarketSpec(
    name="WBTC/USDC",
    config=DeployConfig(
        description="WBTC / USDC",
        min_live_wad=to_wad("0.05"),
        min_trade_wad=to_wad("0.0001"),
        dust_wad=to_wad("0.05"),
        inventory_scale_wad=_btc_sized(DeployConfig.inventory_scale_wad),
        max_net_delta_wad=_btc_sized(DeployConfig.max_net_delta_wad),
    ),
)


def market_name(description: str) -> str:
    """The manifest and registry key of a market: its description without spaces."""
    return description.replace(" ", "")


def deploy_contract(w3: Web3, signer: Signer, name: str, *args: object) -> str:
    """Deploys the compiled contract `name` with constructor `args`; returns its address."""
    art = artifact(name)
    data = w3.eth.contract(abi=art.abi, bytecode=art.bytecode).constructor(*args).data_in_transaction
    receipt = transact(w3, signer, None, data, action=f"deploy {name}")
    return receipt["contractAddress"]


def _grant(w3: Web3, signer: Signer, address: str, name: str, role: str, account: str) -> None:
    client = Client(w3, address, artifact_name=name)
    client.transact(signer, "grantRole", client.call(role), account, action=f"grant {role}")


def _role_holder(name: str, value: str | None, default: str) -> str:
    """``value`` as a checksummed address (``InvalidInput``, one line, if it is not one)."""
    if value is None:
        return default
    if not isinstance(value, str) or not Web3.is_address(value):
        raise InvalidInput(f"{name}: {value!r} is not an address (0x and 40 hex digits)")
    address = Web3.to_checksum_address(value)
    if int(address, 16) == 0:
        raise InvalidInput(f"{name}: the zero address cannot hold a role")
    return address


def live_manifest(w3: Web3) -> str | None:
    """The manifest of ``w3``'s chain if it is a real chain's (not a local one) and still matches
    the chain (code at every address): a deploy would overwrite it. None otherwise (local chains
    are redeployed at will; a stale manifest records nothing live)."""
    if w3.eth.chain_id in LOCAL_CHAIN_IDS:
        return None
    try:
        load_deployment(w3)
    except NoDeployment:
        return None
    return str(manifest_path(w3.eth.chain_id))


def check_timelock_delay(delay: object) -> int:
    """The delay in whole seconds, 0..MAX_TIMELOCK_DELAY (``InvalidInput`` otherwise)."""
    if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= MAX_TIMELOCK_DELAY:
        raise InvalidInput(f"timelock delay {delay!r} must be whole seconds from 0 to {MAX_TIMELOCK_DELAY} (365 days)")
    return delay


#: Contracts with a DEFAULT_ADMIN_ROLE, which the timelock takes over at the end of the deploy.
ADMINISTERED = ("SpotOracle", "VolOracle", "CallVault", "PutVault", "OptionMarket", "MarginAccount")

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
    """Deploy tokens (mocks on local chains), then each market (``config``'s, then
    ``config.extra_markets``): its oracles, both vaults, the market and the margin account, with
    the keeper, lister and guardian roles; a MarketRegistry naming the markets; hand every
    contract's admin role to a timelock (``cfg.timelock_delay``, proposer and executor
    ``cfg.admin``) and renounce the deployer's; write ``deployments/<chain-id>.json`` (unless
    ``save`` is false) and return the manifest.

    ``replace`` maps a contract of ``PROTOCOL_CONTRACTS`` to the artifact deployed in its place,
    a subclass with the same constructor (the attack tests' naive versions; every market)."""
    cfg = config or DeployConfig()
    swaps = dict(replace or {})
    unknown = sorted(set(swaps) - set(PROTOCOL_CONTRACTS))
    if unknown:
        raise InvalidInput(f"replace: unknown contract(s) {', '.join(unknown)}; expected one of {PROTOCOL_CONTRACTS}")
    chain_id = w3.eth.chain_id
    local = chain_id in LOCAL_CHAIN_IDS
    deployer = signer.address
    roles = _Roles(
        keeper=(keeper := _role_holder("keeper", cfg.keeper, deployer)),
        guardian=_role_holder("guardian", cfg.guardian, deployer),
        lister=_role_holder("lister", cfg.lister, keeper),
    )
    admin = _role_holder("admin", cfg.admin, deployer)
    delay = check_timelock_delay(cfg.timelock_delay)
    main_name = market_name(cfg.description)
    names = [main_name, *(spec.name for spec in cfg.extra_markets)]
    if len(set(names)) != len(names) or any(not name for name in names):
        raise InvalidInput(f"market names must be distinct and non-empty; got {names}")
    if (cfg.weth is None or cfg.usdc is None) and not local:
        raise InvalidInput(f"chain {chain_id} is not a local chain: give the WETH and USDC token addresses "
                           "(the mock tokens refuse any chain but 31337 and 1337)")
    missing = [spec.name for spec in cfg.extra_markets if spec.base is None and not local]
    if missing:
        raise InvalidInput(f"chain {chain_id} is not a local chain: give the base token address of "
                           f"{', '.join(missing)}")
    start_block = w3.eth.block_number + 1

    def token(symbol: str, given: str | None, name: str, decimals: int, supply: int) -> tuple[str, dict]:
        """The token's address, and its manifest record if it is a mock deployed here (an
        existing token is a parameter, not a contract of ours)."""
        if given is not None:
            return _role_holder(f"{symbol} token", given, deployer), {}
        address = deploy_contract(w3, signer, "MockERC20", name, symbol, decimals, supply * 10**decimals)
        return address, {symbol: _record("MockERC20", address)}

    weth, weth_record = token("WETH", cfg.weth, "Wrapped Ether", 18, 10**6)
    usdc, shared = token("USDC", cfg.usdc, "USD Coin", 6, 10**10)
    markets: dict[str, MarketRecord] = {}
    main = _deploy_market(w3, signer, cfg, weth, usdc, roles, swaps)
    markets[main_name] = MarketRecord(contracts=weth_record | main,
                                      params={"base": "WETH", "WETH": weth, "description": cfg.description})
    for spec in cfg.extra_markets:
        market_cfg = spec.config or replace_fields(cfg, description=spec.name.replace("/", " / "))
        base, base_record = token(spec.base_symbol, spec.base, spec.base_name, spec.base_decimals, 10**6)
        own = _deploy_market(w3, signer, market_cfg, base, usdc, roles, swaps)
        markets[spec.name] = MarketRecord(contracts=base_record | own, params={
            "base": spec.base_symbol, spec.base_symbol: base, "description": market_cfg.description})

    registry = deploy_contract(w3, signer, "MarketRegistry", deployer)
    shared["MarketRegistry"] = _record("MarketRegistry", registry)
    registry_client = Client(w3, registry, artifact_name="MarketRegistry")
    for name, record in markets.items():
        registry_client.transact(signer, "register", name, record.contracts["OptionMarket"].address,
                                 action=f"register {name}")

    # Nothing instant: the timelock becomes every contract's admin, the deployer renounces.
    # admin = address(0): the timelock administers itself (its roles change only by its own delay).
    zero = "0x" + "00" * 20
    timelock = deploy_contract(w3, signer, "OptioTimelock", delay, [admin], [admin], zero)
    shared["Timelock"] = _record("OptioTimelock", timelock)
    administered = [("MarketRegistry", shared["MarketRegistry"])]
    administered += [
        (f"{name} {key}", record.contracts[key]) for name, record in markets.items() for key in ADMINISTERED
    ]
    admin_role = b"\x00" * 32
    for label, rec in administered:
        client = Client(w3, rec.address, artifact_name=rec.artifact)
        client.transact(signer, "grantRole", admin_role, timelock, action=f"grant {label} admin to the timelock")
        client.transact(signer, "renounceRole", admin_role, deployer, action=f"renounce {label} admin")

    first = markets[main_name].contracts
    deployment = Deployment(
        chain_id=chain_id,
        deployer=deployer,
        deploy_block=start_block,
        contracts={**first, **shared},
        params={
            "WETH": weth,
            "USDC": usdc,
            "keeper": roles.keeper,
            "guardian": roles.guardian,
            "lister": roles.lister,
            "admin": admin,
            "timelock_delay": delay,
        },
        markets=markets,
    )
    if save:
        save_deployment(deployment)
    return deployment


@dataclass(frozen=True)
class _Roles:
    keeper: str
    guardian: str
    lister: str


def _record(name: str, address: str) -> ContractRecord:
    return ContractRecord(address=address, artifact=name, bytecode_hash=artifact(name).bytecode_hash)


def _deploy_market(
    w3: Web3, signer: Signer, cfg: DeployConfig, weth: str, usdc: str, roles: _Roles, swaps: Mapping[str, str]
) -> dict[str, ContractRecord]:
    """One market's contracts on base token ``weth`` and quote token ``usdc``, wired and with its
    roles granted; the deployer keeps their admin role (handed to the timelock after)."""
    records: dict[str, ContractRecord] = {}
    deployer = signer.address

    def deploy(key: str, *args: object) -> str:
        """Deploys protocol contract ``key`` (or its replacement) and records it."""
        name = swaps.get(key, key)
        records[key] = _record(name, deploy_contract(w3, signer, name, *args))
        return records[key].address

    spot_config = (
        cfg.spot_max_age, cfg.settlement_window, cfg.settlement_grace, cfg.spot_max_jump_wad, 0, cfg.spot_jump_window
    )
    spot = deploy("SpotOracle", deployer, cfg.description, spot_config)
    vol_config = (cfg.vol_max_age, cfg.vol_max_atm_move_wad, cfg.vol_max_age_tau_fraction_wad, cfg.vol_jump_window)
    vol = deploy("VolOracle", deployer, vol_config)
    call_vault = deploy("CallVault", weth, cfg.call_decimals_offset, cfg.call_deposit_cap, deployer, cfg.exit_fee_wad)
    put_vault = deploy("PutVault", usdc, cfg.put_decimals_offset, cfg.put_deposit_cap, deployer, cfg.exit_fee_wad)

    pricer = deploy("OptionPricer", spot, vol)
    # The token's minter is an immutable: the market's CREATE address, the deployment after it
    # (checked once the market is deployed).
    market_address = get_create_address(deployer, w3.eth.get_transaction_count(deployer, "pending") + 1)
    token = deploy("OptionToken", market_address, cfg.min_live_wad)  # the market's minLiveAmount
    fees = (cfg.half_spread_wad, cfg.skew_wad, cfg.base_fee_wad, cfg.utilisation_fee_wad, cfg.move_fee_wad)
    limits = (
        cfg.trading_cutoff,
        cfg.min_trade_wad,
        cfg.inventory_scale_wad,
        cfg.max_net_delta_wad,
        cfg.max_net_vega_wad,
        cfg.max_utilisation_wad,
        cfg.min_live_wad,
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

    market_client = Client(w3, market, artifact_name="OptionMarket")
    # The market creates its book (the vaults' stored totals and epoch crank): the vaults' mark.
    book = market_client.call("book")
    records["OptionBook"] = _record("OptionBook", book)
    market_client.transact(signer, "setMarginAccount", margin, action="setMarginAccount")
    _grant(w3, signer, spot, "SpotOracle", "LISTER_ROLE", market)
    _grant(w3, signer, market, "OptionMarket", "LISTER_ROLE", roles.lister)
    _grant(w3, signer, market, "OptionMarket", "GUARDIAN_ROLE", roles.guardian)
    for address, name in ((call_vault, "CallVault"), (put_vault, "PutVault")):
        _grant(w3, signer, address, name, "MARKET_ROLE", market)
        Client(w3, address, artifact_name=name).transact(signer, "setOptionsMark", book, action="setOptionsMark")
    _grant(w3, signer, spot, "SpotOracle", "KEEPER_ROLE", roles.keeper)
    _grant(w3, signer, spot, "SpotOracle", "LISTER_ROLE", roles.lister)  # registers expiries ahead of listing
    _grant(w3, signer, vol, "VolOracle", "VOL_KEEPER_ROLE", roles.keeper)
    for address, name in ((call_vault, "CallVault"), (put_vault, "PutVault")):
        _grant(w3, signer, address, name, "GUARDIAN_ROLE", roles.guardian)
        # The keeper that posts spot fills LP requests right after its posts (forward pricing).
        _grant(w3, signer, address, name, "FILLER_ROLE", roles.keeper)
    return records
