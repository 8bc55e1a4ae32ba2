"""Admin powers are timelocked (review finding 10).

Before: the deployer held DEFAULT_ADMIN_ROLE of every contract and could act at once, e.g. grant
itself MARKET_ROLE on a vault and take the LPs' free liquidity with payFromFreeLiquidity in two
transactions. Now every contract's admin is an OpenZeppelin TimelockController (minimum delay
``DeployConfig.timelock_delay``, 2 days by default) and the deployer renounces its roles: the
admin key can only schedule, and an LP sees the call coming and leaves during the delay.

Each test deploys its own protocol with the default delay (the session's protocol uses 0).
"""

from __future__ import annotations

import pytest

from optio.sdk import admin
from optio.sdk.deploy import DeployConfig, deploy_protocol
from optio.sdk.errors import ContractRevert
from optio.sdk.protocol import Protocol
from tests.helpers import reverts, warp

TWO_DAYS = 2 * 24 * 3600
LP_DEPOSIT = "1000000"  # USDC in the put vault


@pytest.fixture
def timelocked(w3, deployer, alice) -> Protocol:
    """A deployment with the default delay, its put vault funded by alice."""
    p = Protocol(w3, deploy_protocol(w3, deployer, DeployConfig(), save=False))
    vault = p.vault("put")
    vault.asset.faucet(alice, LP_DEPOSIT)
    vault.deposit(alice, LP_DEPOSIT)
    return p


def test_admin_cannot_drain_the_vault_at_once(timelocked, deployer):
    """grantRole(MARKET_ROLE, admin) then payFromFreeLiquidity(admin, all): the old drain."""
    vault = timelocked.vault("put")
    before = vault.asset.balance_units(deployer.address)
    refused = None
    try:
        vault.transact(deployer, "grantRole", vault.call("MARKET_ROLE"), deployer.address)
        vault.transact(deployer, "payFromFreeLiquidity", deployer.address, vault.call("freeLiquidity"))
    except ContractRevert as err:
        refused = err.name
    drained = vault.asset.balance_units(deployer.address) - before
    assert drained == 0, f"the admin drained {drained / 1e6:,.0f} USDC of the LPs' {LP_DEPOSIT} in two transactions"
    assert refused == "AccessControlUnauthorizedAccount"


@pytest.mark.parametrize(
    ("contract", "fn", "args"),
    [
        ("market", "setRiskLimits", (60, 10**15, 10**20, 10**22, 10**26, 95 * 10**16, 10**18)),
        ("market", "setFees", (0, 0, 0, 0, 0)),
        ("market", "setMarginAccount", "0x" + "11" * 20),
        ("margin", "setConfig", (2 * 10**17, 5 * 10**17, 10**17, 10**17, 5 * 10**16, 5 * 10**17, 10**16)),
        ("spot_oracle", "setConfig", (3600, 3600, 3600, 10**18, 0, 3600)),
        ("vol_oracle", "setConfig", (3600, 10**18, 5 * 10**17, 3600)),
        ("call", "setDepositCap", 0),
        ("put", "setOptionsMark", "0x" + "00" * 20),
    ],
)
def test_admin_cannot_act_directly(timelocked, deployer, contract, fn, args):
    client = timelocked.vault(contract) if contract in ("call", "put") else getattr(timelocked, contract)
    with reverts("AccessControlUnauthorizedAccount", account=deployer.address):
        client.transact(deployer, fn, args)


def test_admin_can_only_schedule(w3, timelocked, deployer):
    """The admin schedules; executing early fails with one line and nothing is sent; after the
    delay the call goes through."""
    market = timelocked.market
    fees = (0, 0, 0, 0, 0)
    op = admin.schedule(deployer, market, "setFees", fees, timelock=admin.timelock_of(timelocked))
    assert admin.status(op).state == "waiting"
    with pytest.raises(admin.NotReady, match=r"^setFees on .* is not executable before .*\(in (2d 0h 0m|1d 23h)"):
        admin.execute(deployer, op)
    with reverts("TimelockUnexpectedOperationState"):  # the chain refuses it too
        admin.timelock_of(timelocked).transact(deployer, "execute", op.target, 0, op.data, op.predecessor, op.salt)
    warp(w3, TWO_DAYS)
    admin.execute(deployer, op)
    assert admin.status(op).state == "done"
    assert tuple(market.call("fees")) == fees


def test_lp_leaves_during_the_delay(w3, timelocked, deployer, alice):
    """The drain, scheduled: the LP withdraws everything before it can execute."""
    vault = timelocked.vault("put")
    timelock = admin.timelock_of(timelocked)
    op = admin.schedule(deployer, vault, "grantRole", vault.call("MARKET_ROLE"), deployer.address, timelock=timelock)
    vault.withdraw(alice, None)  # during the delay: instant, in full
    assert vault.asset.balance(alice.address) == int(LP_DEPOSIT) * 995 // 1000  # less the exit fee
    warp(w3, TWO_DAYS)
    admin.execute(deployer, op)
    assert vault.call("freeLiquidity") == 0  # nothing left to take


def test_separate_keys_per_role(w3, deployer, alice, bob, attacker, keeper):
    """keeper, lister, guardian and admin each get their roles only; the deployer keeps none of
    the admin roles, and the manifest records the timelock."""
    from optio.sdk.admin import has_role

    lister, guardian, owner = alice, bob, attacker  # owner: the timelock's proposer (e.g. a Safe)
    config = DeployConfig(keeper=keeper.address, lister=lister.address, guardian=guardian.address,
                          admin=owner.address)
    p = Protocol(w3, deploy_protocol(w3, deployer, config, save=False))
    tl = admin.timelock_of(p)
    assert p.deployment.contracts["Timelock"].artifact == "OptioTimelock"
    assert p.deployment.params["timelock_delay"] == TWO_DAYS == tl.min_delay
    assert has_role(p.spot_oracle, "KEEPER_ROLE", keeper.address)
    assert has_role(p.vol_oracle, "VOL_KEEPER_ROLE", keeper.address)
    assert not has_role(p.market, "LISTER_ROLE", keeper.address)
    assert has_role(p.market, "LISTER_ROLE", lister.address) and has_role(p.spot_oracle, "LISTER_ROLE", lister.address)
    for client in (p.market, p.vault("call"), p.vault("put")):
        assert has_role(client, "GUARDIAN_ROLE", guardian.address)
    for role in ("PROPOSER_ROLE", "EXECUTOR_ROLE", "CANCELLER_ROLE"):
        assert has_role(tl, role, owner.address) and not has_role(tl, role, deployer.address)
    for client in (p.spot_oracle, p.vol_oracle, p.vault("call"), p.vault("put"), p.market, p.margin):
        assert has_role(client, "DEFAULT_ADMIN_ROLE", tl.address)
        assert not has_role(client, "DEFAULT_ADMIN_ROLE", deployer.address)
    assert not has_role(tl, "DEFAULT_ADMIN_ROLE", deployer.address)


def test_bad_role_addresses_and_delays_are_one_line(w3, deployer):
    from optio.sdk.errors import InvalidInput

    with pytest.raises(InvalidInput, match=r"^keeper: '0x12' is not an address"):
        deploy_protocol(w3, deployer, DeployConfig(keeper="0x12"), save=False)
    with pytest.raises(InvalidInput, match="timelock delay -1"):
        deploy_protocol(w3, deployer, DeployConfig(timelock_delay=-1), save=False)
