"""Bridge from ape (its provider and accounts) to the SDK, for the `ape run` scripts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3
from web3.types import TxParams

from optio.contracts import Protocol


@dataclass
class ApeSigner:
    """Sends through an ape account, so keystores, hardware wallets and test accounts all work
    as ape users expect (prompts, confirmations)."""

    account: Any  # ape.api.AccountAPI

    @property
    def address(self) -> str:
        return str(self.account.address)

    def send(self, w3: Web3, tx: TxParams) -> bytes:
        from ape import networks

        txn = networks.provider.network.ecosystem.create_transaction(
            receiver=tx.get("to"),
            data=tx["data"],
            value=tx.get("value", 0),
            gas_limit=tx["gas"],
            sender=self.address,
        )
        receipt = self.account.call(txn)
        return bytes.fromhex(
            receipt.txn_hash.removeprefix("0x") if isinstance(receipt.txn_hash, str) else receipt.txn_hash.hex()
        )


def protocol_from(provider: Any) -> Protocol:
    return Protocol.load(provider.web3)
