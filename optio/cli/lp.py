"""LP actions as the commands run them: one function per command, independent of how the
account signs (an ape account, a dev key, a keystore)."""

from __future__ import annotations

from optio.cli.render import console, print_receipts, status_table
from optio.sdk.chain import Signer
from optio.sdk.contracts import VAULT_KEYS
from optio.sdk.errors import InvalidInput
from optio.sdk.protocol import Protocol


def deposit(protocol: Protocol, signer: Signer, vault: str, amount: str) -> None:
    v = protocol.vault(vault)
    receipt = v.deposit(signer, amount)
    print_receipts(f"deposited {amount} {v.asset.symbol} into the {vault} vault", [receipt])


def withdraw(protocol: Protocol, signer: Signer, vault: str, amount: str | None, queue: bool) -> None:
    v = protocol.vault(vault)
    receipts = v.withdraw(signer, amount, queue_rest=queue)
    what = "everything" if amount is None else f"{amount} {v.asset.symbol}"
    print_receipts(f"withdrew {what} from the {vault} vault", receipts)


def claim(protocol: Protocol, signer: Signer, vault: str) -> None:
    print_receipts(f"claimed from the {vault} vault", protocol.vault(vault).claim_all(signer))


def status(protocol: Protocol, owner: str, vault: str) -> None:
    keys = list(VAULT_KEYS) if vault == "all" else [vault]
    if vault != "all" and vault not in VAULT_KEYS:
        raise InvalidInput(f"unknown vault {vault!r}: choose call, put or all")
    console.print(status_table({k: protocol.vault(k).status(owner) for k in keys}, owner))
