"""Eleventh adversarial round, keeper side (47c20d5: the fill hold, `optio/keepers/runtime/
accounts.py` `FillHold`, scans every margin account's health before each fill).

K2 (Medium-High, liveness; fixed, now a regression test): the scan is one `healthOf` eth_call per `accounts_batch_size`
(default 500) accounts, whose gas grows with the accounts' positions (up to 16 each, ~277k gas
an account with 16 shorts). Past ~110 such accounts a batch no longer fits the node's eth_call gas
cap (Anvil's 30M; geth's default 50M: ~180), the call errors, and `scan_health` raises. The
liquidator's scan did so before (it only stopped liquidations); now the oracle keeper's fill
raises too, every cycle while a request is pending, and since the fill never happens the request
stays pending: five failed cycles (`error_budget`) and the oracle keeper, the spot poster, exits.
The settler's serve path has the same dependency. Anyone can hold 16 far-OTM put shorts per
account (~2,200 USDC of collateral an account at the defaults, recoverable); growth alone gets
there too.
"""

from __future__ import annotations

import time
from decimal import Decimal

from optio.keepers.runtime.accounts import HEALTH_OF, calldata, scan_health
from optio.pricing.svi import SviParams
from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.market import Option, TradeKind
from tests.helpers import call, request_id_of, send
from tests.keepers.conftest import mine, runner
from tests.keepers.scenario import DAY, SURFACE_WEEK, now, post_spot, post_surfaces

USDC = 10**6
PENDING = 1
STRIKES = [str(1000 + 50 * i) for i in range(16)]  # 16 far-OTM puts: MarginAccount.MAX_POSITIONS


def _full_accounts(w3, protocol, keeper, n: int):
    """A board with 16 put strikes, the put vault funded, and ``n`` accounts each short 1 of every
    put (16 positions, the most an account may hold). The accounts' addresses."""
    m = protocol.market
    post_spot(protocol, keeper, "2000")
    expiry = now(w3) + 7 * DAY
    m.list_strikes(keeper, expiry, STRIKES)
    f = (expiry - now(w3)) / (7 * DAY)
    s = SURFACE_WEEK
    protocol.vol_oracle.post(keeper, expiry, SviParams(a=s.a * f, b=s.b * f, rho=s.rho, m=s.m, sigma=s.sigma))
    vault = protocol.vault("put")
    alice = LocalSigner(dev_account(1))
    vault.asset.faucet(alice, "5000000")
    vault.deposit(alice, "5000000")
    out = []
    for i in range(n):
        acct = LocalSigner(dev_account(100 + i))
        w3.provider.make_request("anvil_setBalance", [acct.address, hex(10**20)])
        m.quote_token.faucet(acct, "3000")
        protocol.margin.deposit(acct, False, "3000")
        for k in STRIKES:
            # No floor on what the seller receives: a far-OTM put's premium is a few hundred units,
            # and a relative limit on it failed when a later block's time decay took one unit off.
            m.trade(acct, Option(expiry, Decimal(k), False), TradeKind.SELL, "1", limit="0")
        out.append(acct.address)
    return expiry, out


def _oracle_table(tmp_path, w3, price: str, extra: str = "") -> str:
    csv = tmp_path / "spot.csv"
    csv.write_text(f"timestamp,price\n{now(w3) - 5},{price}\n")
    return (f'deviation = 0.005\nheartbeat_s = 100000\n'
            f'sources = [{{kind = "replay", path = "{csv}", max_age_s = 100000}}]\n{extra}')


def test_a_health_scan_past_the_gas_cap_no_longer_stops_the_oracle_keeper(w3, protocol, chain, deployed, keeper,
                                                                           tmp_path):
    """K2, fixed. 115 accounts, each short one of 16 far-OTM puts (~2,200 USDC of collateral each):
    `healthOf` over them at the default batch of 500 needs more gas than the node's eth_call cap.
    Found on the first version: `scan_health` raised, every cycle of the oracle keeper with the
    default hold posted and then failed, and the daemon stopped after its error budget (exit 2 in
    9.7 s: no more spot posts), the 1 USDC deposit request pending. Now a failing group is split
    and asked again (the scan runs at 500), and a scan that still fails holds the fill instead of
    failing the cycle; the keeper posts and fills."""
    t = time.time()
    _, accounts = _full_accounts(w3, protocol, keeper, 115)
    build_s = time.time() - t
    margin = protocol.margin
    per = w3.eth.estimate_gas({"to": margin.address, "data": calldata(HEALTH_OF, ["address[]"], [accounts[:10]])})
    print(f"\nK2: {len(accounts)} accounts x 16 put shorts built in {build_s:.0f} s; healthOf of 10: {per:,} gas; "
          f"block gas limit {w3.eth.get_block('latest')['gasLimit']:,}")
    assert per * len(accounts) // 10 > w3.eth.get_block("latest")["gasLimit"]  # one call of them all cannot fit
    assert scan_health(margin, accounts, 500) == []  # split until each group fits: nobody is underwater

    mallory = LocalSigner(dev_account(21))
    vault = protocol.vault("put")
    w3.provider.make_request("anvil_setBalance", [mallory.address, hex(10**20)])
    vault.asset.faucet(mallory, "10")
    send(vault.asset, mallory, "approve", vault.address, 2**256 - 1)
    rid = request_id_of(vault, send(vault, mallory, "requestDeposit", USDC, mallory.address, mallory.address))
    post_surfaces(protocol, keeper)  # the vol keeper's post after the request (fills wait for it too)

    (tmp_path / "held").mkdir()
    r = runner(tmp_path / "held", chain, deployed, "oracle", _oracle_table(tmp_path / "held", w3, "1990"))
    w3.provider.make_request("evm_increaseTime", [2])
    mine(w3)
    assert r.cycle()  # posts; the fill waits for the post to be mined
    r.txs.wait(5)
    w3.provider.make_request("evm_increaseTime", [40])
    mine(w3)
    assert r.cycle()
    r.txs.wait(5)
    status = call(vault, "redeemRequest", rid)[1]
    print(f"K2: the default keeper posted {protocol.spot_oracle.latest_price()[0]} and the request is {status} "
          f"(3 = filled)")
    assert protocol.spot_oracle.latest_price()[0] == 1990
    assert status == 3
