"""LP actions as the commands run them: one function per command, independent of how the
account signs (an ape account, a dev key, a keystore). Each prints what the chain did, read
from the vault's events (shares minted, assets paid, requests queued, claims paid), or with
``as_json`` one JSON object."""

from __future__ import annotations

from decimal import Decimal

from optio.cli.context import emit_json
from optio.cli.render import console, print_receipts, show, status_table, tx_list
from optio.sdk.chain import Signer
from optio.sdk.contracts import VAULT_KEYS
from optio.sdk.errors import InvalidInput
from optio.sdk.protocol import Protocol
from optio.sdk.units import parse_amount


def _amount(value: Decimal) -> str:
    return f"{value:,.6f}".rstrip("0").rstrip(".") if value else "0"


def deposit(protocol: Protocol, signer: Signer, vault: str, amount: str, *, preview: bool = False,
            min_shares: str | None = None, as_json: bool = False) -> None:
    v = protocol.vault(vault)
    p = v.preview_deposit(amount)
    if min_shares is not None and p.shares < parse_amount(min_shares, name="--min-shares"):
        raise InvalidInput(f"a deposit of {amount} {p.asset_symbol} would mint {_amount(p.shares)} shares, "
                           f"below --min-shares {min_shares}: nothing sent")
    if preview:
        if as_json:
            return emit_json({"preview": True, "vault": vault, **p.__dict__})
        console.print(f"preview: depositing {_amount(p.assets)} {p.asset_symbol} into the {vault} vault mints "
                      f"{_amount(p.shares)} shares (no fee on deposits); nothing sent")
        return None
    receipt = v.deposit(signer, amount)
    effects = v.effects([receipt])
    if as_json:
        return emit_json({"vault": vault, "assets": p.assets, "asset_symbol": p.asset_symbol,
                      "shares_minted": effects.shares_minted, "txs": tx_list([receipt])})
    print_receipts(f"deposited {amount} {v.asset.symbol} into the {vault} vault, "
                   f"{_amount(effects.shares_minted)} shares minted", [receipt])
    return None


def withdraw(protocol: Protocol, signer: Signer, vault: str, amount: str | None, queue: bool, *,
             preview: bool = False, min_assets: str | None = None, as_json: bool = False) -> None:
    """Withdraw now what free liquidity allows; with ``queue``, queue the rest."""
    v = protocol.vault(vault)
    p = v.preview_withdraw(signer.address, amount, queue_rest=queue)
    symbol = p.asset_symbol
    if min_assets is not None and p.assets_now + p.assets_queued < parse_amount(min_assets, name="--min-assets"):
        raise InvalidInput(f"this withdrawal pays {_amount(p.assets_now)} {symbol} now"
                           + (f" and queues about {_amount(p.assets_queued)}" if p.shares_queued else "")
                           + f", below --min-assets {min_assets}: nothing sent")
    if preview:
        if as_json:
            return emit_json({"preview": True, "vault": vault, **p.__dict__})
        console.print(f"preview: {_amount(p.assets_now)} {symbol} now for {_amount(p.shares_now)} shares "
                      f"(exit fee {_amount(p.fee)} {symbol}, left to the LPs who stay)")
        if p.shares_queued:
            console.print(f"         {_amount(p.shares_queued)} shares queued, about {_amount(p.assets_queued)} "
                          f"{symbol} at today's price")
        console.print("nothing sent")
        return None
    receipts = v.withdraw(signer, amount, queue_rest=queue)
    effects = v.effects(receipts)
    if as_json:
        return emit_json({"vault": vault, "asset_symbol": symbol, "assets_paid": effects.assets_paid,
                      "shares_burnt": effects.shares_burnt, "fee": p.fee,
                      "queued": [{"request_id": i, "shares": s} for i, s in effects.queued],
                      "txs": tx_list(receipts)})
    if effects.assets_paid:
        console.print(f"[green]✓[/] withdrew {_amount(effects.assets_paid)} {symbol} from the {vault} vault now "
                      f"({_amount(effects.shares_burnt)} shares burnt, exit fee {_amount(p.fee)} {symbol})")
    for request_id, shares in effects.queued:
        console.print(f"[green]✓[/] queued request #{request_id}: {_amount(shares)} shares (about "
                      f"{_amount(p.assets_queued)} {symbol} at today's price); once served: "
                      f"optio lp claim --vault {vault}")
    print_receipts(f"withdrawal from the {vault} vault", receipts)
    return None


def claim(protocol: Protocol, signer: Signer, vault: str, *, as_json: bool = False) -> None:
    v = protocol.vault(vault)
    receipts = v.claim_all(signer)
    effects = v.effects(receipts)
    if as_json:
        return emit_json({"vault": vault, "asset_symbol": v.asset.symbol,
                      "claimed": [{"request_id": i, "assets": a} for i, a in effects.claimed],
                      "txs": tx_list(receipts)})
    total = sum((a for _, a in effects.claimed), Decimal(0))
    for request_id, assets in effects.claimed:
        console.print(f"[green]✓[/] claimed request #{request_id}: {_amount(assets)} {v.asset.symbol} paid to "
                      f"{signer.address}")
    print_receipts(f"claimed {_amount(total)} {v.asset.symbol} from the {vault} vault", receipts)
    return None


def cancel(protocol: Protocol, signer: Signer, vault: str, request_id: int, *, as_json: bool = False) -> None:
    v = protocol.vault(vault)
    receipt = v.cancel_request(signer, request_id)
    effects = v.effects([receipt])
    shares = sum((s for _, s in effects.cancelled), Decimal(0))
    if as_json:
        return emit_json({"vault": vault, "request_id": request_id, "shares_returned": shares,
                      "txs": tx_list([receipt])})
    print_receipts(f"cancelled request #{request_id}: {_amount(shares)} shares back to {signer.address}",
                   [receipt])
    return None


def status(protocol: Protocol, owner: str, vault: str, *, as_json: bool = False) -> None:
    keys = list(VAULT_KEYS) if vault == "all" else [vault]
    if vault != "all" and vault not in VAULT_KEYS:
        raise InvalidInput(f"unknown vault {vault!r}: choose call, put or all")
    statuses = {k: protocol.vault(k).status(owner) for k in keys}
    if as_json:
        return emit_json({"owner": owner, "vaults": statuses})
    show(status_table(statuses, owner))
    return None
