"""Tenth adversarial round, keeper side (02d7430: the filler holds a vault's fill while an account
on its side is below a fresh requirement, finding M, at most ``fill_hold_max_s``).

K1 (medium; fixed, now a regression test): at 02d7430 the hold's clock was per vault, not per
account, and it restarts only when no
account on the side is underwater (or nothing is pending). Mallory keeps a small short of her own
below its requirement and a request of hers pending on the put vault; once the side has been
"held" ``fill_hold_max_s``, every later fill goes at once, whatever account is insolvent then: the
seller S who becomes insolvent long after (a −24% post) is not held at all, and carol's exit,
requested after the bound, is filled at the post that made S insolvent, at the mark counting his
puts in full: M reopened for any later bad debt. A keeper started afresh (its clock empty) holds
the same fill. The precondition, an account below its requirement that is not liquidated for
``fill_hold_max_s``, is the one the bound exists for (a liquidation that cannot go through); here
no liquidator runs until S's post. Measured there: carol out +11,652.14 USDC over the held fill.
Fixed (``FillHold``: one clock per (vault, account)): S's insolvency starts its own clock, and the
long-running keeper holds carol's fill at S's post as a fresh one does.
"""

from __future__ import annotations

from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.errors import ContractRevert
from optio.sdk.market import TradeKind
from tests.helpers import call, request_id_of, send
from tests.keepers.conftest import runner
from tests.keepers.scenario import now
from tests.keepers.test_fill_hold import REFUSED, _claim, _m_market, _step

USDC = 10**6
PENDING, CLAIMABLE = 1, 2


def _oracle_series(path, chain, deployed, rows: list[tuple[int, str]], extra: str = ""):
    path.mkdir(parents=True, exist_ok=True)
    csv = path / "spot.csv"
    csv.write_text("timestamp,price\n" + "".join(f"{t},{p}\n" for t, p in rows))
    table = (f'deviation = 0.005\nheartbeat_s = 100000\n'
             f'sources = [{{kind = "replay", path = "{csv}", max_age_s = 100000}}]\n{extra}')
    return runner(path, chain, deployed, "oracle", table)


def _under(margin, who) -> bool:
    _, (p_col, p_req) = call(margin, "healthOf", [who])[0]
    return p_col < p_req


def test_a_stuck_account_past_the_bound_no_longer_unholds_a_later_bad_debt(w3, protocol, chain, deployed, keeper,
                                                                         tmp_path):
    vault, carol, seller, put, _sold, shares, rid = _m_market(protocol, keeper)
    margin, m = protocol.margin, protocol.market
    vault.cancel_request(carol, rid)  # carol asks later, after the bound
    margin.deposit(seller, False, "20000")  # S: a 10% buffer, healthy at -1%
    mallory = LocalSigner(dev_account(21))
    w3.provider.make_request("anvil_setBalance", [mallory.address, hex(10**20)])
    m.quote_token.faucet(mallory, "5000")
    margin.deposit(mallory, False, "3000")
    t_sold = 0.0
    for lot in ("1", "0.1", "0.01"):  # to her requirement
        while t_sold < 40:
            try:
                m.trade(mallory, put, TradeKind.SELL, lot)
            except ContractRevert as err:
                assert err.name in REFUSED, err
                break
            t_sold += float(lot)
    assert t_sold >= 1
    vault.asset.faucet(mallory, "10")
    send(vault.asset, mallory, "approve", vault.address, 2**256 - 1)
    send(vault, mallory, "requestDeposit", USDC, mallory.address, mallory.address)  # keeps the vault "pending"

    t0 = now(w3)
    rows = [(t0 - 5, "1980"), (t0 + 300, "1500")]
    r = _oracle_series(tmp_path / "long", chain, deployed, rows, "fill_hold_max_s = 60")
    _step(w3, r)  # posts 1980: mallory below her requirement, S not
    assert protocol.spot_oracle.latest_price()[0] == 1980
    assert _under(margin, mallory.address) and not _under(margin, seller.address)
    assert r.metrics.registry.get_sample_value("oracle_fill_held", {"vault": "put"}) == 1
    w3.provider.make_request("evm_setNextBlockTimestamp", [t0 + 70])
    _step(w3, r)  # in line at 1980, the bound reached: mallory's deposit fills
    assert r.metrics.registry.get_sample_value("oracle_fill_hold_expired_total", {"vault": "put"}) >= 1
    # mallory back-runs each fill with a new request, so that every cycle finds one pending (the
    # keeper posts for it and fills it: the clock stays expired). Carol asks before the next post.
    send(vault, mallory, "requestDeposit", USDC, mallory.address, mallory.address)
    rid = request_id_of(vault, vault.request_redeem_shares(carol, shares))
    assert call(vault, "redeemRequest", rid)[1] == PENDING

    snap = w3.provider.make_request("evm_snapshot", [])["result"]
    w3.provider.make_request("evm_setNextBlockTimestamp", [t0 + 301])
    _step(w3, r)  # posts 1500: S insolvent; his own clock starts: carol's fill is held
    assert protocol.spot_oracle.latest_price()[0] == 1500
    coll, req = call(margin, "healthOf", [seller.address])[0][1]
    status_long = call(vault, "redeemRequest", rid)[1]
    naive_out = _claim(vault, carol, rid) if status_long == CLAIMABLE else 0
    s_short = call(margin, "shortOf", seller.address, put.id)
    w3.provider.make_request("evm_revert", [snap])

    # Control: a keeper started afresh at the same point (its clock empty) holds the same fill;
    # the insolvent seller and mallory are liquidated (by hand: release_fills), then it fills.
    w3.provider.make_request("evm_setNextBlockTimestamp", [t0 + 301])
    fresh = _oracle_series(tmp_path / "fresh", chain, deployed, rows, "fill_hold_max_s = 60")
    _step(w3, fresh)
    assert call(vault, "redeemRequest", rid)[1] == PENDING
    liq = LocalSigner(dev_account(8))
    for who in (seller, mallory):
        for _ in range(4):
            if not _under(margin, who.address) or call(margin, "shortOf", who.address, put.id) == 0:
                break
            send(margin, liq, "liquidate", who.address, put.id, call(margin, "shortOf", who.address, put.id))
    bad_debt = call(margin, "putBadDebt")
    _step(w3, fresh)
    assert call(vault, "redeemRequest", rid)[1] == CLAIMABLE
    held_out = _claim(vault, carol, rid)
    print(f"\nK1: mallory short {t_sold:.2f} puts below her requirement from the 1980 post (t0+2); hold expired at "
          f"t0+70; S healthy until the 1500 post at t0+301 (collateral {coll / USDC:,.0f} vs requirement "
          f"{req / USDC:,.0f}, short {s_short / 10**18:.0f} left unliquidated at the fill). Carol's exit: "
          f"long-running keeper (mallory's clock expired) status {status_long} (1: held), paid "
          f"{naive_out / USDC:,.2f}; fresh "
          f"keeper (held, liquidations first, put bad debt {bad_debt / USDC:,.2f}) {held_out / USDC:,.2f}: "
          f"at 02d7430 the long-running keeper paid +11,652.14 USDC more")
    assert status_long == PENDING and s_short > 0  # held ahead of S's liquidation (was CLAIMABLE)
    assert naive_out == 0
