"""The protocol's admin held by a real 2-of-3 Safe (security issue 24, item 10; docs/admin.md).

The Safe is ``@safe-global/safe-contracts`` 1.4.1 as npm installs it: the singleton, the proxy
factory and the fallback handler are deployed on Anvil from the package's shipped bytecode, and
the Safe is a proxy created with ``createProxyWithNonce(singleton, setup(owners, 2, …))``, as the
Safe web app creates one. The protocol is deployed by the CLI, ``optio deploy --admin <safe>
--timelock-delay 2d``; every admin step after that is a Safe ``execTransaction`` carrying the
timelock calldata of ``optio.sdk.admin.timelock_call``, signed (EIP-712 SafeTx) by two owners.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from web3.logs import DISCARD

from optio.cli.main import cli
from optio.sdk import admin
from optio.sdk.chain import LocalSigner, dev_account, simulate
from optio.sdk.deployment import load_deployment, manifest_path
from optio.sdk.protocol import Protocol
from testkit.safe import SafeTx, deploy_safe, safe_tx_hash
from tests.helpers import reverts, warp

TWO_DAYS = 2 * 24 * 3600
NEW_FILL_DELAY = 2 * 3600  # PutVault.setFillDelay: the admin action the Safe makes (default 1 h)


def optio(url: str, folder, *args: str):
    """`optio --rpc URL --account dev:0 ARGS…` in process, its manifests in ``folder``."""
    return CliRunner().invoke(cli, ["--rpc", url, "--account", "dev:0", *args], env={
        "OPTIO_DEPLOYMENTS_DIR": str(folder), "OPTIO_CONFIG_DIR": str(folder / "config"), "NO_COLOR": "1"})


class World:
    def __init__(self, protocol, safe, owners, deployer, cli):
        self.p, self.safe, self.owners, self.deployer, self.cli = protocol, safe, owners, deployer, cli
        self.tl = admin.timelock_of(protocol)
        self.vault = protocol.vault("put")

    def op(self):
        return admin.operation(self.vault, "setFillDelay", NEW_FILL_DELAY, timelock=self.tl)

    def via_safe(self, step, op, signers):
        """The Safe sends the timelock's ``step`` for ``op``, signed by ``signers`` (owners' keys);
        dev account 1 relays it (pays the gas, signs nothing)."""
        call = admin.timelock_call(op, step)
        return self.safe.exec(LocalSigner(dev_account(1)), signers, to=call.to, data=call.data, value=call.value)


@pytest.fixture(scope="module")
def world(anvil, w3, tmp_path_factory) -> World:
    """A 2-of-3 Safe of dev accounts 4, 5, 6, and Optio deployed by `optio deploy --admin <safe>`
    (deployer dev:0, a 2-day timelock, its manifest in a folder of its own)."""
    owners = [dev_account(i) for i in (4, 5, 6)]
    deployer = LocalSigner(dev_account(0))
    safe = deploy_safe(w3, deployer, [o.address for o in owners], threshold=2)
    folder = tmp_path_factory.mktemp("safe-admin")
    run = optio(anvil.url, folder, "deploy", "--admin", safe.address, "--timelock-delay", "2d")
    assert run.exit_code == 0, run.output
    assert f"admin {safe.address} (timelock delay {TWO_DAYS} s)" in run.output
    protocol = Protocol(w3, load_deployment(w3, manifest_path(w3.eth.chain_id, folder)))
    return World(protocol, safe, owners, deployer, lambda *args: optio(anvil.url, folder, *args))


def test_the_safe_is_a_2_of_3_and_the_only_admin(world, w3):
    safe, tl = world.safe, world.tl
    assert safe.contract.functions.VERSION().call() == "1.4.1"
    assert safe.contract.functions.getThreshold().call() == 2
    assert sorted(safe.contract.functions.getOwners().call()) == sorted(o.address for o in world.owners)
    assert tl.min_delay == TWO_DAYS
    for role in ("PROPOSER_ROLE", "EXECUTOR_ROLE", "CANCELLER_ROLE"):
        assert admin.has_role(tl, role, safe.address)
        assert not admin.has_role(tl, role, world.deployer.address)
        assert not any(admin.has_role(tl, role, o.address) for o in world.owners)
    p = world.p
    for client in (p.spot_oracle, p.vol_oracle, p.vault("call"), p.vault("put"), p.market, p.margin):
        assert admin.has_role(client, "DEFAULT_ADMIN_ROLE", tl.address)
        assert not admin.has_role(client, "DEFAULT_ADMIN_ROLE", world.deployer.address)
        assert not admin.has_role(client, "DEFAULT_ADMIN_ROLE", safe.address)
    # The SafeTx hash the owners sign, computed off chain, is the Safe's own.
    tx = SafeTx(tl.address, admin.timelock_call(world.op(), "schedule").data, nonce=safe.nonce)
    m = tx.message()
    on_chain = safe.contract.functions.getTransactionHash(
        m["to"], m["value"], m["data"], m["operation"], 0, 0, 0, m["gasToken"], m["refundReceiver"], m["nonce"]).call()
    assert bytes(on_chain) == safe_tx_hash(w3.eth.chain_id, safe.address, tx)


def test_two_owners_schedule_wait_and_execute(world, w3):
    """Schedule through the Safe, refused before the delay (by the Safe's inner call, and by the
    timelock itself), executed through the Safe after it: the vault's fill delay changes."""
    vault, safe = world.vault, world.safe
    a, _, c = world.owners
    before = vault.call("fillDelay")
    assert before != NEW_FILL_DELAY
    op = world.op()
    # What an owner pastes into the Safe: the CLI's calldata, the same as the SDK's.
    run = world.cli("admin", "calldata", "schedule", "PutVault", "setFillDelay", str(NEW_FILL_DELAY), "--json")
    assert run.exit_code == 0, run.output
    pasted = json.loads(run.output)
    call = admin.timelock_call(op, "schedule")
    assert (pasted["to"], pasted["value"], pasted["data"], pasted["state"]) == (call.to, 0, call.data, "unset")
    # Two owners sign it (any two, in any order: sorted by address when signed); anyone sends it.
    receipt = safe.exec(LocalSigner(dev_account(1)), [c, a], to=pasted["to"], data=pasted["data"])
    scheduled = world.tl.contract.events.CallScheduled().process_receipt(receipt, errors=DISCARD)
    assert [(e["args"]["target"], e["args"]["delay"]) for e in scheduled] == [(vault.address, TWO_DAYS)]
    assert admin.status(op).state == "waiting"
    assert safe.nonce == 1

    with reverts("Error", message="GS013"):  # the Safe's call to execute failed: the Safe reverts
        world.via_safe("execute", op, [a, c])
    early = admin.timelock_call(op, "execute")
    with reverts("TimelockUnexpectedOperationState"):  # why: the timelock refuses it (as the Safe)
        simulate(w3, {"from": safe.address, "to": early.to, "data": early.data}, "execute")
    assert safe.nonce == 1 and vault.call("fillDelay") == before

    warp(w3, TWO_DAYS)
    world.via_safe("execute", op, [a, c])
    assert admin.status(op).state == "done"
    assert vault.call("fillDelay") == NEW_FILL_DELAY
    assert safe.nonce == 2


def test_one_signature_is_not_enough(world):
    a, b, _ = world.owners
    stranger = dev_account(3)
    op = world.op()
    with reverts("Error", message="GS020"):  # signatures shorter than threshold × 65 bytes
        world.via_safe("schedule", op, [a])
    with reverts("Error", message="GS026"):  # an owner and a non-owner: not two owners
        world.via_safe("schedule", op, [b, stranger])
    assert admin.status(op).state == "unset" and world.safe.nonce == 0


def test_no_one_but_the_safe_schedules_and_the_safe_cannot_skip_the_delay(world):
    op = world.op()
    proposer = world.tl.role_id("PROPOSER_ROLE")
    for signer in (LocalSigner(world.owners[0]), world.deployer):  # an owner alone, the deployer
        with reverts("AccessControlUnauthorizedAccount", account=signer.address, neededRole="0x" + proposer.hex()):
            admin.schedule(signer, op)
    # The Safe calling the vault directly, without the timelock: the vault refuses it.
    a, b, _ = world.owners
    call = world.vault.contract.encode_abi("setFillDelay", args=[NEW_FILL_DELAY])
    with reverts("Error", message="GS013"):
        world.safe.exec(LocalSigner(dev_account(1)), [a, b], to=world.vault.address, data=call)
    assert admin.status(op).state == "unset"


def test_the_safe_cancels(world):
    a, b, c = world.owners
    op = world.op()
    world.via_safe("schedule", op, [a, b])
    world.via_safe("cancel", op, [b, c])
    assert admin.status(op).state == "unset"
    with reverts("Error", message="GS013"):  # nothing left to execute
        world.via_safe("execute", op, [a, c])


def test_calldata_command(world):
    """`optio admin calldata`: the pending operation found again for execute; bad input is one line."""
    op = world.op()
    world.via_safe("schedule", op, world.owners[:2])
    run = world.cli("admin", "calldata", "execute", "PutVault", "setFillDelay", str(NEW_FILL_DELAY))
    assert run.exit_code == 0, run.output
    lines = run.output.splitlines()
    assert lines[0] == f"execute setFillDelay on contract {world.vault.address} (salt 0; operation waiting)"
    assert lines[1:] == [f"to     {world.tl.address}", "value  0", f"data   {admin.timelock_call(op, 'execute').data}"]
    for args, says in [
        (("schedule", "Vault", "setFillDelay", "1"), "contract 'Vault' is not in the manifest: one of CallVault"),
        (("schedule", "PutVault", "setFillDelay"), "setFillDelay: cannot encode the call"),
        (("schedule", "PutVault", "setFillDelay", "1", "--delay", "1h"), "delay 3600 s is below the timelock's"),
    ]:
        run = world.cli("admin", "calldata", *args)
        assert run.exit_code != 0 and says in run.output, run.output
        assert len(run.output.strip().splitlines()) == 1, run.output
