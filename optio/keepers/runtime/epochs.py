"""Epoch cranks on the keeper runtime: the OptionBook's sweeps, sent by the keeper that fills.

A fill (``serveQueue``) uses the book's epoch mark only when a sweep has marked the side at the
spot oracle's latest post; opening trades need the totals re-based within the book's bounds; a
settlement or a liquidation invalidates them, a surface posted after the sweep leaves them
behind, and they expire with the first surface they used that goes stale (``fresh_until``). So
after each of its posts, and whenever a side's totals are not at the latest spot post and
surfaces, were invalidated or have expired, the oracle keeper cranks that side in pages
(``crank(isCall, page)``, permissionless) and waits for the pages to be mined before it fills.
"""

from __future__ import annotations

import logging
import math
import time

from optio.keepers.runtime.daemon import Context
from optio.sdk.contracts import SpotOracle
from optio.sdk.errors import ContractRevert
from optio.sdk.option_book import OptionBook

log = logging.getLogger("optio.keepers.epochs")

KEY = "crank"  # + ":call:<page>" / ":put:<page>": one transaction in flight per page
#: Gas a crank call may spend: the sweep's fixed part and each option it marks (~12k measured;
#: benchmarks.book_scale), with room for the pricing's dearest paths.
CRANK_BASE_GAS = 150_000
CRANK_GAS_PER_OPTION = 25_000


def sides_due(book: OptionBook, spot_at: int, now: int) -> list[bool]:
    """The sides (True: calls) holding live options whose totals are not a sweep at the post of
    ``spot_at`` (the spot oracle's latest ``updatedAt``) and at the latest surfaces, were
    invalidated since, or are past their age or a surface's freshness at ``now`` (Unix s; a
    crank before then would give the same bound back)."""
    due = []
    vol_posts = None
    for is_call in (True, False):
        if book.live_count(is_call) == 0:
            continue
        if vol_posts is None:
            vol_posts = book.vol_posts()
        totals = book.totals(is_call)
        if (not totals.current(now, book.totals_max_age) or totals.spot_at != spot_at
                or totals.vol_posts != vol_posts):
            due.append(is_call)
    return due


def pages_left(book: OptionBook, is_call: bool, spot_at: int, page: int) -> int:
    """Crank calls that finish the side's sweep at the post of ``spot_at``: the rest of a sweep
    under way at that post, else a whole new one."""
    sweep = book.sweep(is_call)
    current = sweep.valid and sweep.spot_at == spot_at and sweep.vol_posts == book.vol_posts()
    done = sweep.cursor if current else 0
    return max(1, math.ceil((book.live_count(is_call) - done) / page))


def send_cranks(ctx: Context, book: OptionBook, is_call: bool, spot_at: int, page: int) -> list[str]:
    """Sends the crank calls that finish one side's sweep (each its own key, in nonce order);
    returns the keys sent."""
    side = "call" if is_call else "put"
    keys = []
    for i in range(pages_left(book, is_call, spot_at, page)):
        key = f"{KEY}:{side}:{i}"
        if ctx.txs.has(key):
            continue
        out = ctx.send(key, book, "crank", is_call, page, min_gas=CRANK_BASE_GAS + page * CRANK_GAS_PER_OPTION)
        keys.append(key)
        if out.status not in ("pending", "dry-run", "mined"):
            break  # refused (spot stale): the next cycle tries again
    return keys


def wait_mined(ctx: Context, prefix: str, timeout_s: float) -> bool:
    """Waits (up to ``timeout_s``) until no transaction whose key starts with ``prefix`` is in
    flight; False if some still are."""
    deadline = time.monotonic() + timeout_s
    while any(f.key.startswith(prefix) for f in ctx.txs.in_flight()):
        if time.monotonic() >= deadline:
            return False
        ctx.txs.poll()
        time.sleep(0.2)
    return True


def crank_to_latest(ctx: Context, book: OptionBook, oracle: SpotOracle, page: int, wait_s: float) -> bool:
    """Cranks each side whose totals are not at the spot oracle's latest post (or were
    invalidated), then waits up to ``wait_s`` for the cranks to be mined. True once none is left
    in flight: a fill then uses the epoch mark at the latest post. False while spot is stale or
    missing (no snapshot can be taken) or a crank is still in flight (a later cycle goes on)."""
    try:
        _, spot_at = oracle.latest_round()
    except ContractRevert:
        return False
    sides = sides_due(book, spot_at, book.w3.eth.get_block("latest")["timestamp"])
    for is_call in sides:
        keys = send_cranks(ctx, book, is_call, spot_at, page)
        log.info("crank", extra={"side": "call" if is_call else "put", "calls": len(keys)})
    if sides and not wait_mined(ctx, KEY, wait_s):
        log.info("crank not mined yet: fills wait")
        return False
    return True
