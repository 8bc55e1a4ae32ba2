"""LP actions as the commands run them: one function per command, independent of how the
account signs (an ape account, a dev key, a keystore). Each prints what the chain did, read
from the vault's events (shares minted, assets paid, requests queued, claims paid), or with
``as_json`` one JSON object."""

from __future__ import annotations

from decimal import Decimal

from optio.cli.context import emit_json
from optio.cli.render import console, print_receipts, requests_table, show, status_table, tx_list
from optio.sdk.chain import Signer
from optio.sdk.contracts import VAULT_KEYS, duration_text
from optio.sdk.errors import InvalidInput
from optio.sdk.protocol import Protocol
from optio.sdk.units import parse_amount


def _amount(value: Decimal) -> str:
    return f"{value:,.6f}".rstrip("0").rstrip(".") if value else "0"


def _fill_when(v) -> str:
    return (f"fills at the keeper's next fill (after its next post), or by anyone after "
            f"{duration_text(v.fill_delay())} if the keeper stops filling")


def deposit(protocol: Protocol, signer: Signer, vault: str, amount: str, *, preview: bool = False,
            min_shares: str | None = None, as_json: bool = False) -> None:
    """Deposit now while the vault holds no live option; else queue a deposit request (filled at
    a later mark: the keeper's next fill, or anyone's after the fill delay)."""
    v = protocol.vault(vault)
    p = v.preview_deposit(amount)
    instant = v.instant_flows_open()
    if min_shares is not None and instant and p.shares < parse_amount(min_shares, name="--min-shares"):
        raise InvalidInput(f"a deposit of {amount} {p.asset_symbol} would mint {_amount(p.shares)} shares, "
                           f"below --min-shares {min_shares}: nothing sent")
    if min_shares is not None and not instant:
        raise InvalidInput(f"the {vault} vault holds live options: a deposit is a request filled at a later mark, "
                           "so --min-shares cannot be guaranteed; nothing sent (cancel a request with optio lp "
                           "cancel if its fill is not what you want)")
    if preview:
        if as_json:
            return emit_json({"preview": True, "vault": vault, "queued": not instant, **p.__dict__})
        if instant:
            console.print(f"preview: depositing {_amount(p.assets)} {p.asset_symbol} into the {vault} vault mints "
                          f"{_amount(p.shares)} shares (no fee on deposits); nothing sent")
        else:
            console.print(f"preview: the {vault} vault holds live options, so a deposit of {_amount(p.assets)} "
                          f"{p.asset_symbol} is queued and {_fill_when(v)}; about {_amount(p.shares)} shares at "
                          "today's price; nothing sent")
        return None
    if not instant:
        return _request_deposit(v, signer, vault, amount, as_json)
    receipt = v.deposit(signer, amount)
    effects = v.effects([receipt])
    if as_json:
        return emit_json({"vault": vault, "assets": p.assets, "asset_symbol": p.asset_symbol,
                      "shares_minted": effects.shares_minted, "txs": tx_list([receipt])})
    print_receipts(f"deposited {amount} {v.asset.symbol} into the {vault} vault, "
                   f"{_amount(effects.shares_minted)} shares minted", [receipt])
    return None


def _request_deposit(v, signer: Signer, vault: str, amount: str, as_json: bool) -> None:
    receipt, request_id = v.request_deposit(signer, amount)
    assets = v.effects([receipt]).deposits_queued[0][1]
    if as_json:
        return emit_json({"vault": vault, "queued": True, "request_id": request_id, "assets": assets,
                          "asset_symbol": v.asset.symbol, "fill_delay_s": v.fill_delay(), "txs": tx_list([receipt])})
    console.print(f"[green]✓[/] queued deposit request #{request_id}: {_amount(assets)} {v.asset.symbol} into the "
                  f"{vault} vault (it holds live options); {_fill_when(v)}; shares are minted to you then "
                  "(nothing to claim)")
    print_receipts("requestDeposit", [receipt])
    return None


def withdraw(protocol: Protocol, signer: Signer, vault: str, amount: str | None, queue: bool, *,
             preview: bool = False, min_assets: str | None = None, as_json: bool = False) -> None:
    """Withdraw now what free liquidity allows; with ``queue``, queue the rest. While the vault
    holds live options the whole withdrawal is queued (a request filled at a later mark)."""
    v = protocol.vault(vault)
    queue = queue or not v.instant_flows_open()
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
        console.print(f"[green]✓[/] queued redeem request #{request_id}: {_amount(shares)} shares (about "
                      f"{_amount(p.assets_queued)} {symbol} at today's price); {_fill_when(v)}, free liquidity "
                      f"permitting; once filled: optio lp claim --vault {vault}")
    print_receipts(f"withdrawal from the {vault} vault", receipts)
    return None


def claim(protocol: Protocol, signer: Signer, vault: str, *, as_json: bool = False) -> None:
    v = protocol.vault(vault)
    receipts = v.claim_all(signer)
    effects = v.effects(receipts)
    if as_json:
        return emit_json({"vault": vault, "asset_symbol": v.asset.symbol,
                      "claimed": [{"request_id": i, "assets": a} for i, a in effects.claimed],
                      "deposit_refund": effects.refunds_claimed, "txs": tx_list(receipts)})
    total = sum((a for _, a in effects.claimed), effects.refunds_claimed)
    for request_id, assets in effects.claimed:
        console.print(f"[green]✓[/] claimed request #{request_id}: {_amount(assets)} {v.asset.symbol} paid to "
                      f"{signer.address}")
    if effects.refunds_claimed:
        console.print(f"[green]✓[/] deposit assets refunded at fills (past the deposit cap): "
                      f"{_amount(effects.refunds_claimed)} {v.asset.symbol} paid to {signer.address}")
    print_receipts(f"claimed {_amount(total)} {v.asset.symbol} from the {vault} vault", receipts)
    return None


def cancel(protocol: Protocol, signer: Signer, vault: str, request_id: int, *, as_json: bool = False) -> None:
    """Cancel a pending request of either kind: a deposit's assets or a redeem's shares come back."""
    v = protocol.vault(vault)
    receipt = v.cancel_request(signer, request_id)
    effects = v.effects([receipt])
    shares = sum((s for _, s in effects.cancelled), Decimal(0))
    assets = sum((a for _, a in effects.deposits_cancelled), Decimal(0))
    kind = "deposit" if effects.deposits_cancelled else "redeem"
    if as_json:
        return emit_json({"vault": vault, "request_id": request_id, "kind": kind, "shares_returned": shares,
                          "assets_returned": assets, "asset_symbol": v.asset.symbol, "txs": tx_list([receipt])})
    back = f"{_amount(assets)} {v.asset.symbol}" if kind == "deposit" else f"{_amount(shares)} shares"
    print_receipts(f"cancelled {kind} request #{request_id}: {back} back to {signer.address}", [receipt])
    return None


def _vault_keys(vault: str) -> list[str]:
    """The vault keys ``vault`` names: ``call``, ``put`` or ``all`` (both)."""
    if vault == "all":
        return list(VAULT_KEYS)
    if vault not in VAULT_KEYS:
        raise InvalidInput(f"unknown vault {vault!r}: choose call, put or all")
    return [vault]


def requests(protocol: Protocol, owner: str, vault: str, *, as_json: bool = False) -> None:
    """``owner``'s deposit and redeem requests in one vault or both."""
    found = {k: protocol.vault(k).requests_of(owner) for k in _vault_keys(vault)}
    if as_json:
        return emit_json({"owner": owner, "vaults": found})
    show(requests_table(found, owner))
    return None


def fill(protocol: Protocol, signer: Signer, max_requests: int = 50, *, as_json: bool = False) -> None:
    """Fill both vaults' pending requests as ``signer`` (the keeper fills any; others only those
    the fill delay old, once the keeper has been away as long)."""
    results = {}
    for key in VAULT_KEYS:
        v = protocol.vault(key)
        results[key] = v.fill(signer, max_requests) if v.has_pending_requests() else None
    if as_json:
        return emit_json({"vaults": {k: None if r is None else {
            "deposits_filled": r.deposits_filled, "redeems_filled": r.redeems_filled, "share_price": r.share_price,
            "mark_fresh": r.mark_fresh,
            "txs": tx_list([r.receipt])} for k, r in results.items()}})
    for key, r in results.items():
        if r is None:
            console.print(f"  {key} vault: no pending request")
            continue
        if not r.mark_fresh:
            console.print(f"[yellow]![/] {key} vault: nothing filled: its options cannot be marked (spot or a "
                          "surface is stale); post them, then fill again")
        else:
            console.print(f"[green]✓[/] {key} vault: {r.filled} request(s) filled ({r.deposits_filled} deposit(s), "
                          f"{r.redeems_filled} redeem(s)) at share price {r.share_price:,.8f}")
        print_receipts(f"serveQueue on the {key} vault", [r.receipt])
    return None


def status(protocol: Protocol, owner: str, vault: str, *, as_json: bool = False) -> None:
    statuses = {k: protocol.vault(k).status(owner) for k in _vault_keys(vault)}
    if as_json:
        return emit_json({"owner": owner, "vaults": statuses})
    show(status_table(statuses, owner))
    return None
