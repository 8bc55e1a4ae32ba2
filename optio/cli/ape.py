"""Bridge from ape (its provider and accounts) to the SDK, for the `ape run` scripts."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import click
from ape.cli import ConnectedProviderCommand
from web3 import Web3
from web3.types import TxParams

from optio.cli.errors import one_line
from optio.sdk.errors import InvalidInput
from optio.sdk.protocol import Protocol


class ApeScript(ConnectedProviderCommand):
    """ape's connected command, with usage errors on one line like every other refusal.

    click prints a usage error as four lines (usage, hint, blank, error); every other bad input
    here is one ``Error: …`` line with exit code 1 (docs/bad-input.md), and so are these now.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as err:
            raise _one_line(err) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as err:  # raised by a script's own checks of its options
            raise _one_line(err) from None


def _one_line(err: click.UsageError) -> click.ClickException:
    """The usage error's message alone, on one line."""
    return click.ClickException(one_line(err.format_message()))


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
    """The deployment on ape's chain, market ``OPTIO_MARKET`` (default: the first);
    ``InvalidInput`` if ape started a node of its own (nothing answered where it looked,
    APE_FOUNDRY_HOST or 127.0.0.1:8545): that fresh, empty chain holds no deployment, and acting
    on it would hide that the intended node is down."""
    if getattr(provider, "process", None) is not None:
        where = os.environ.get("APE_FOUNDRY_HOST") or getattr(provider, "uri", "127.0.0.1:8545")
        raise InvalidInput(f"nothing answered at {where}, so ape started an empty node of its own (stopped again; "
                           "nothing sent): start your node, or point APE_FOUNDRY_HOST at it")
    # The market from OPTIO_MARKET, as for `optio` (ape's own options are its scripts' business).
    return Protocol.load(provider.web3, os.environ.get("OPTIO_MARKET") or None)
