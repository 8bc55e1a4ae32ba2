"""Settler keeper: after each expiry, checks its settlement price (recording the oracle's
fallback once the window and grace have passed with no price), settles the board, settles the
margin shorts of that expiry, pays every in-the-money holder in batches, and serves the vaults'
withdrawal queues. Before serving it cranks the OptionBook's sides that are not at the latest post
(a settlement invalidates both): a fill uses the book's epoch mark only (``crank``, ``crank_page``;
``runtime/epochs.py``). Serving is held, as the oracle keeper's fills, while an account on the
vault's side is liquidatable (``fill_hold``, ``fill_hold_max_s``; docs/security.md, finding M).
Every step is read from the chain each cycle, so a step another copy did is simply not due any
more."""

from __future__ import annotations

import logging

from pydantic import BaseModel, ConfigDict, Field

from optio.keepers.runtime import epochs
from optio.keepers.runtime.accounts import FillHold
from optio.keepers.runtime.daemon import Context, Head
from optio.keepers.runtime.events import EventScanner
from optio.sdk.market import Option
from optio.sdk.option_book import DEFAULT_PAGE

log = logging.getLogger("optio.keepers.settler")


class Settings(BaseModel):
    """The ``[settler]`` table."""

    model_config = ConfigDict(extra="forbid")
    holders_per_tx: int = Field(default=50, ge=1, le=500)  # exerciseFor batch
    accounts_per_tx: int = Field(default=50, ge=1, le=500)  # settleAccounts batch
    serve_per_tx: int = Field(default=16, ge=1, le=200)  # serveQueue requests
    fill_hold: bool = True  # no serveQueue on a vault while an account on its side is liquidatable
    fill_hold_max_s: int = Field(default=600, gt=0)  # chain seconds a hold lasts at most; then it fills
    crank: bool = True  # crank the book's invalidated sides before serving (a fill needs the epoch mark)
    crank_page: int = Field(default=DEFAULT_PAGE, ge=1, le=512)  # live options per crank call (SDK default)
    crank_wait_s: float = Field(default=30.0, ge=0)  # wait for the cranks to be mined before serving


def make(ctx: Context):
    s: Settings = ctx.settings  # type: ignore[assignment]
    market, margin, oracle = ctx.protocol.market, ctx.protocol.margin, ctx.protocol.spot_oracle
    vaults = {kind: ctx.protocol.vault(kind) for kind in ("call", "put")}
    hold = FillHold(ctx, max_s=s.fill_hold_max_s) if s.fill_hold else None
    shorts = EventScanner(margin.contract.events.ShortOpened, ctx.state_dir / f"{ctx.name}-shorts.json",
                          from_block=ctx.protocol.deployment.deploy_block)

    def send(key: str, client, fn: str, *args, extra_gas: int = 0) -> None:
        out = ctx.send(key, client, fn, *args, extra_gas=extra_gas)
        log.info(fn, extra={"key": key, "status": out.status, "detail": out.detail})

    def cycle(head: Head) -> None:
        shorts.scan(head.number, key=lambda log: f"{log['args']['account']}:{log['args']['id']}")
        for expiry in market.expiries():
            if expiry > head.timestamp:
                continue
            if not oracle.is_settled(expiry):
                cfg = oracle.config()
                late = head.timestamp > expiry + cfg.settlement_window_s + cfg.settlement_grace_s
                if late and expiry in oracle.pending_expiries():
                    send(f"fallback:{expiry}", oracle, "recordFallbackSettlement", expiry)
                continue  # else the oracle keeper's next post settles it
            if not market.board_settled(expiry):
                send(f"settle:{expiry}", market, "settle", expiry)
                continue
            _settle_shorts(expiry)
            _pay_holders(expiry)
        if s.crank and any(v.has_pending_requests() for v in vaults.values()) and not epochs.crank_to_latest(
                ctx, market.book, oracle, s.crank_page, s.crank_wait_s):
            return  # no epoch mark yet: nothing would fill
        due = [kind for kind, vault in vaults.items()
               if vault.requests_to_serve(s.serve_per_tx, sender=ctx.account.address)]
        held = hold.check(due, head) if hold is not None else set()
        for kind, vault in vaults.items():
            if kind in due and kind not in held:
                send(f"serve:{vault.address}", vault, "serveQueue", s.serve_per_tx,
                     extra_gas=vault.serve_gas_margin(s.serve_per_tx, 0))
            elif kind not in due and hold is not None:
                hold.clear(kind)

    def _settle_shorts(expiry: int) -> None:
        # Accounts that ever sold an option of this expiry, and of them those still short one.
        sold = {k.partition(":")[::2] for k in shorts.seen}
        accounts = sorted({a for a, option_id in sold if Option.from_id(int(option_id)).expiry == expiry})
        def still_short(account: str) -> bool:
            return any(option.expiry == expiry for option, _ in margin.shorts_of(account))

        open_ = [a for a in accounts if still_short(a)]
        for i in range(0, len(open_), s.accounts_per_tx):
            batch = open_[i : i + s.accounts_per_tx]
            send(f"settle-accounts:{expiry}:{batch[0]}", margin, "settleAccounts", expiry, batch)

    def _pay_holders(expiry: int) -> None:
        for option in market.options(expiry):
            state = market.state(option)
            if not state.settled or state.payoff == 0 or state.reserve_units == 0:
                continue
            holders = market.holders(option)
            for i in range(0, len(holders), s.holders_per_tx):
                batch = holders[i : i + s.holders_per_tx]
                send(f"exercise:{option.id}:{batch[0]}", market, "exerciseFor", option.id, batch)

    return cycle
