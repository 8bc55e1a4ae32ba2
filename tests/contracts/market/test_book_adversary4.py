"""Fourth adversary round on the OptionBook's surface times (`freshUntil`, `surfacesAt`) and the
vault's forward rule (`OptionBook.pricedSince`). Not redone: test_book_adversary{,2,3}.py.

Tried: a redeem request in the same second as the surface post the mark uses; a trader opening a
dust position on a near-expiry board to pull the side's `freshUntil` down (LP fill griefing); an
admin `VolOracle.setConfig` lowering `maxAge` under the stored totals' `freshUntil`.
"""

from __future__ import annotations

from optio.pricing.svi import SviParams
from tests.contracts.market.conftest import SURFACE, WEEK, warp
from tests.helpers import admin_send, call, fill_claimable, now, redeem_tenth, send, set_next_timestamp, warp_to

WAD = 10**18
FOREVER = 2**255
FRESH, VALID, FRESH_UNTIL, SURFACES_AT = 10, 11, 13, 14


def _deadline(live) -> int:
    return now(live.w3) + 3600


def _post_surface(live, expiry: int) -> None:
    f = (expiry - now(live.w3)) / WEEK
    live.protocol.vol_oracle.post(live.keeper, expiry, SviParams(
        a=SURFACE.a * f, b=SURFACE.b * f, rho=SURFACE.rho, m=SURFACE.m, sigma=SURFACE.sigma))


def _buy(live, signer, oid: int, amount: int) -> None:
    send(live.market, signer, "buy", oid, amount, FOREVER, _deadline(live))


def test_a_request_in_the_same_second_as_the_surface_post_waits(live, trader, alice, keeper):
    """alice's redeem request and the vol keeper's surface post in the same second (she can see
    the post in the mempool, or be included with it): the spot post comes later, so the mark's
    pricedSince is the surface post's second and her request (not strictly before) waits; once
    the next surface post and crank come she is filled. Held."""
    m, book = live.market, live.market.book
    vault = live.protocol.vault("call")
    m.base.approve_units(trader, m.address, FOREVER)
    _buy(live, trader, live.option("2000").id, 5 * WAD)
    warp(live.w3, 60)
    t = now(live.w3) + 10
    shares = call(vault, "balanceOf", alice.address) // 10
    # The surface post mined at t, the request at t too (two blocks sharing a timestamp).
    set_next_timestamp(live.w3, t)
    live.post_surface()
    set_next_timestamp(live.w3, t)
    send(vault, alice, "requestRedeem", shares, alice.address, alice.address)
    assert now(live.w3) == t
    warp(live.w3, 5)
    live.post_spot("2000")
    send(book, keeper, "crank", True, 512)
    totals = call(book, "bookTotals", True)
    assert totals[SURFACES_AT] == t and call(book, "pricedSince", True) == t
    assert fill_claimable(vault, keeper) == 0
    warp(live.w3, 5)
    live.refresh("2000")
    send(book, keeper, "crank", True, 512)
    assert fill_claimable(vault, keeper) > 0


def test_a_dust_position_on_a_near_expiry_board_delays_fills_only_to_its_expiry(live, trader, alice, keeper):
    """Griefing: the LP side has written calls on a far board; a trader opens a dust call on a
    board 10 minutes from expiry (fresh surface, posted at 600 s: fresh for 300 s, the vol keeper
    stops posting inside its 300 s min tenor). The side's freshUntil drops to that board's; once
    it is stale the crank leaves it out of freshUntil but the mark is not fresh, so alice's
    redeem waits until after that board's expiry and the next spot post. Measured: the delay is
    bounded by the dust board's remaining life (≤ 10 min here; a trader needs a listed board
    near expiry and pays its premium each time); trades stay possible after a crank. Held
    (bounded, conservative)."""
    m, book = live.market, live.market.book
    vault = live.protocol.vault("call")
    far = live.expiry + 2 * WEEK
    m.list_strikes(keeper, far, ["2000"])
    _post_surface(live, far)
    m.base.approve_units(trader, m.address, FOREVER)
    from optio.sdk.market import Option
    _buy(live, trader, Option(far, "2000", True).id, 5 * WAD)
    # The fixture's board becomes the "near" board: warp to 600 s before its expiry.
    warp_to(live.w3, live.expiry - 600)
    live.refresh("2000")
    _post_surface(live, far)
    send(book, keeper, "crank", True, 512)
    _buy(live, trader, live.option("2200").id, WAD)  # the minimum live amount
    grief_until = call(book, "bookTotals", True)[FRESH_UNTIL]
    assert grief_until < live.expiry
    warp(live.w3, 10)
    redeem_tenth(vault, alice)
    request_at = now(live.w3)
    filled_at = None
    for t in (request_at + 100, live.expiry - 100, live.expiry + 5, live.expiry + 60):
        warp_to(live.w3, t)
        live.post_spot("2000")
        _post_surface(live, far)
        send(book, keeper, "crank", True, 512)
        if fill_claimable(vault, keeper) > 0:
            filled_at = t
            break
    print(f"request {request_at - live.expiry} s to expiry, freshUntil {grief_until - live.expiry}, "
          f"filled at {None if filled_at is None else filled_at - live.expiry}")
    assert filled_at is not None and filled_at <= live.expiry + 60


def _set_vol_max_age(live, max_age: int) -> None:
    vo = live.protocol.vol_oracle
    cfg = list(call(vo, "config"))
    cfg[0] = max_age
    cfg[3] = min(cfg[3], max_age)  # jumpWindow <= maxAge
    admin_send(live.protocol, vo, "setConfig", tuple(cfg))


def test_vol_max_age_lowered_under_stored_fresh_until(live, trader, alice, keeper):
    """Finding A1 (Low), fixed. The admin lowers `VolOracle.maxAge` (timelocked) to 60 s. The
    stored totals keep the `freshUntil` computed under the old config, and `setConfig` was not a
    surface post (`volPosts` unchanged), so on the old contracts `optionsLiability` stayed fresh
    and fills were served at a mark whose surface the oracle called stale: stored freshUntil =
    post + 10800 s (the old 3 h max age); 61 s after the post, with the oracle reverting
    StaleSurface, the mark was fresh and alice's 10% redeem (~9.95 WETH) was filled.
    Fixed: `setConfig` counts as a post. Asserted: the mark is not fresh and nothing fills; a
    fresh surface and a crank (under the new max age) serve the request."""
    m, book = live.market, live.market.book
    vault = live.protocol.vault("call")
    m.base.approve_units(trader, m.address, FOREVER)
    _buy(live, trader, live.option("2000").id, 5 * WAD)
    warp(live.w3, 30)
    redeem_tenth(vault, alice)
    warp(live.w3, 30)
    live.refresh("2000")
    posted = now(live.w3)
    send(book, keeper, "crank", True, 512)
    old_until = call(book, "bookTotals", True)[FRESH_UNTIL]
    _set_vol_max_age(live, 60)
    warp_to(live.w3, max(now(live.w3) + 1, posted + 61))
    stale = False
    try:
        live.protocol.vol_oracle.contract.functions.getParamsUntil(live.expiry).call()
    except Exception:  # StaleSurface
        stale = True
    fresh = call(book, "optionsLiability", vault.address)[1]
    filled = fill_claimable(vault, keeper)
    print(f"old freshUntil - post {old_until - posted} s; oracle stale {stale}; mark fresh {fresh}; "
          f"filled {filled}")
    assert stale
    assert not fresh and filled == 0
    live.refresh("2000")
    send(book, keeper, "crank", True, 512)
    assert call(book, "bookTotals", True)[FRESH_UNTIL] <= now(live.w3) + 60
    assert fill_claimable(vault, keeper) > 0
