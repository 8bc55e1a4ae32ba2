"""Gas of the LP and oracle entry points, measured from receipts on a real Anvil.

    python -m benchmarks.gas

Gas is deterministic for a given state, so one run is exact; each action is measured in the
state a user meets it in (named in the table): the first-ever deposit into an empty vault pays
for storage that every later deposit finds already written.
"""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from optio.sdk.admin import schedule_and_execute, timelock_of
from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.contracts import Client, SviParams
from optio.sdk.deploy import DeployConfig, deploy_protocol
from optio.sdk.localchain import local_chain
from optio.sdk.protocol import Protocol

TARGETS = {"deposit_new_lp": 90_000, "oracle_post": 50_000, "open_trade_cold": 150_000, "liquidation": 180_000}
WEEK = 7 * 86400
NAV_STRIKES = (1, 2, 4, 8, 16)


def _send(client: Client, signer, fn: str, *args) -> int:
    """Gas used by ``fn(*args)``."""
    return client.transact(signer, fn, *args)["gasUsed"]


def _mine_at(w3, timestamp: int) -> None:
    w3.provider.make_request("evm_mine", [timestamp])


def measure_vault(p: Protocol, kind: str, signers: dict, market, keeper) -> dict[str, int]:
    v = p.vault(kind)
    one = 10**v.asset.decimals
    first, second, third = signers["first"], signers["second"], signers["third"]
    for s in (first, second, third):
        v.asset.faucet(s, 1000)
        _send(v.asset, s, "approve", v.address, 2**256 - 1)
    g: dict[str, int] = {}
    g["deposit_first_ever"] = _send(v, first, "deposit", 100 * one, first.address)
    _send(v.asset, second, "approve", v.address, 100 * one)  # exact approval, as the SDK does
    g["deposit_new_lp"] = _send(v, second, "deposit", 100 * one, second.address)
    g["deposit_existing_lp"] = _send(v, first, "deposit", 50 * one, first.address)
    g["withdraw"] = _send(v, first, "withdraw", 10 * one, first.address, first.address)
    g["redeem_all"] = _send(v, second, "redeem", v.call("balanceOf", second.address), second.address, second.address)
    _send(v, third, "deposit", 100 * one, third.address)
    _send(v, market, "lockCollateral", v.call("freeLiquidity"))
    g["request_redeem"] = _send(
        v, third, "requestRedeem", v.call("balanceOf", third.address) // 2, third.address, third.address
    )
    rid = v.call("queueLength") - 1
    _send(v, third, "requestRedeem", v.call("balanceOf", third.address), third.address, third.address)
    g["cancel_request"] = _send(v, third, "cancelRedeemRequest", rid + 1)
    # Unlocks fill nothing (LP flows are priced forward): the keeper (FILLER_ROLE) fills.
    g["unlock"] = _send(v, market, "unlockCollateral", v.call("lockedAssets"))
    g["fill_1_redeem"] = _send(v, keeper, "serveQueue", 16)
    g["claim"] = _send(v, third, "claim", rid, third.address)
    g["request_deposit"] = _send(v, first, "requestDeposit", 10 * one, first.address, first.address)
    g["fill_1_deposit"] = _send(v, keeper, "serveQueue", 16)
    return g


def measure_oracles(w3, p: Protocol, keeper) -> dict[str, int]:
    g: dict[str, int] = {}
    t = w3.eth.get_block("latest")["timestamp"] + 10
    _mine_at(w3, t)
    g["oracle_post_first"] = _send(p.spot_oracle, keeper, "post", 3000 * 10**18, t)
    _mine_at(w3, t + 60)
    g["oracle_post"] = _send(p.spot_oracle, keeper, "post", 3010 * 10**18, t + 60)
    expiry = t + 3600
    g["register_expiry"] = _send(p.spot_oracle, keeper, "registerExpiry", expiry)
    _mine_at(w3, expiry + 5)
    g["oracle_post_settling"] = _send(p.spot_oracle, keeper, "post", 3020 * 10**18, expiry + 5)
    vol_expiry = expiry + 30 * 86400
    svi = SviParams(a=0.002, b=0.02, rho=-0.3, m=0.0, sigma=0.1)
    g["vol_post_first"] = p.vol_oracle.post(keeper, vol_expiry, svi)["gasUsed"]
    _mine_at(w3, expiry + 600)
    svi2 = SviParams(a=0.0021, b=0.02, rho=-0.3, m=0.0, sigma=0.1)
    g["vol_post"] = p.vol_oracle.post(keeper, vol_expiry, svi2)["gasUsed"]
    return g


def _view_gas(w3, client: Client, fn: str, *args) -> int:
    """Execution gas of a view call (eth_estimateGas less the 21,000 base and calldata)."""
    data = client.contract.encode_abi(fn, args=list(args))
    calldata = sum(16 if b else 4 for b in bytes.fromhex(data[2:]))
    return w3.eth.estimate_gas({"to": client.address, "data": data}) - 21_000 - calldata


def measure_market(w3, deployer) -> tuple[dict[str, int], dict[int, int]]:
    """Trades, settlement, exercise, liquidation and views on a fresh deployment, one board of
    16 strikes; NAV (the vault's totalAssets) against the number of live options."""
    from decimal import Decimal

    from optio.sdk.market import Option

    p = Protocol(w3, deploy_protocol(w3, deployer, DeployConfig(), save=False))
    m = p.market
    t = w3.eth.get_block("latest")["timestamp"]
    p.spot_oracle.post(deployer, "3000", t)
    expiry = t + WEEK
    strikes = [str(2300 + 100 * i) for i in range(16)]
    m.list_strikes(deployer, expiry, strikes)
    p.vol_oracle.post(deployer, expiry, SviParams(a=0.006, b=0.02, rho=-0.3, m=0.0, sigma=0.1))
    lp = LocalSigner(dev_account(1))
    for kind, amount in (("call", "1000"), ("put", "5000000")):
        p.vault(kind).asset.faucet(lp, amount)
        p.vault(kind).deposit(lp, amount)
    traders = [LocalSigner(dev_account(10 + i)) for i in range(12)]
    for tr in traders:
        w3.provider.make_request("anvil_setBalance", [tr.address, hex(10**20)])
        m.base.faucet(tr, "50")
        m.quote_token.faucet(tr, "100000")
        for token in (m.base, m.quote_token):
            _send(token, tr, "approve", m.address, 2**256 - 1)
        _send(p.margin.base, tr, "approve", p.margin.address, 2**256 - 1)
        _send(p.margin.quote_token, tr, "approve", p.margin.address, 2**256 - 1)
    deadline = expiry

    def buy(tr, option, amount=10**18):
        return _send(m, tr, "buy", option.id, amount, 2**255, deadline)

    g: dict[str, int] = {}
    atm = Option(expiry, Decimal("3000"), True)
    g["open_trade_first_of_option"] = buy(traders[0], atm)
    g["open_trade_cold"] = buy(traders[1], atm)
    g["open_trade_warm"] = buy(traders[1], atm)
    g["close_long"] = _send(m, traders[1], "closeLong", atm.id, 10**18, 0, deadline)
    put = Option(expiry, Decimal("3000"), False)
    _send(p.margin, traders[2], "deposit", False, 3000 * 10**6)
    g["sell_on_margin_first"] = _send(m, traders[2], "sell", put.id, 10**18, 0, deadline)
    g["close_short"] = _send(m, traders[2], "closeShort", put.id, 10**18, 2**255, deadline)

    # NAV against live options: each new live call adds one entry to the book.
    nav: dict[int, int] = {}
    for n in range(1, max(NAV_STRIKES) + 1):
        option = Option(expiry, Decimal(strikes[n - 1]), True)
        buy(traders[3], option)
        if n in NAV_STRIKES:
            nav[n] = _view_gas(w3, p.vault("call"), "totalAssets")
    # An opening trade checks the exposure limits on the OptionBook's stored totals plus its own
    # contribution: its cost does not grow with the book (benchmarks.book_scale, up to 512).
    g[f"open_trade_cold_{max(NAV_STRIKES)}_live_options"] = buy(traders[6], atm)

    # Liquidation: a put seller at the edge, then spot falls.
    _send(p.margin, traders[4], "deposit", False, 5500 * 10**6)
    _send(m, traders[4], "sell", put.id, 10 * 10**18, 0, deadline)
    accounts = [tr.address for tr in traders] + [LocalSigner(dev_account(40 + i)).address for i in range(88)]
    g["health_of_100_accounts"] = _view_gas(w3, p.margin, "healthOf", accounts)
    t = w3.eth.get_block("latest")["timestamp"] + 2
    _mine_at(w3, t)
    p.spot_oracle.post(deployer, "2600", t)
    g["liquidation"] = _send(p.margin, traders[5], "liquidate", traders[4].address, put.id, 5 * 10**18)
    # Spot moved 13% and the liquidation invalidated the put side's totals: the epoch crank
    # re-bases both sides before the next opening trades (as the keeper does after its post).
    for is_call in (True, False):
        m.book.crank(deployer, is_call)

    # Expiry: ten holders of one ITM call, settle the board, pay them in one batch.
    itm = Option(expiry, Decimal("2400"), True)
    for tr in traders[:10]:
        buy(tr, itm)
    t = expiry + 60
    _mine_at(w3, t)
    p.spot_oracle.post(deployer, "2700", t)
    live = m.book.live_count(True) + m.book.live_count(False)
    g["settle_board_16_strikes"] = _send(m, deployer, "settle", expiry)
    g["settle_per_live_option"] = g["settle_board_16_strikes"] // max(live, 1)
    g["exercise_10_holders"] = _send(m, deployer, "exerciseFor", itm.id, [tr.address for tr in traders[:10]])
    g["exercise_per_holder"] = g["exercise_10_holders"] // 10
    return g, nav


def run() -> dict:
    with local_chain("anvil") as chain:
        w3 = chain.w3
        deployer, keeper, market = (LocalSigner(dev_account(i)) for i in (0, 9, 7))
        config = DeployConfig(keeper=keeper.address, timelock_delay=0)
        p = Protocol(w3, deploy_protocol(w3, deployer, config, save=False))
        for kind in ("call", "put"):
            v = p.vault(kind)
            role = v.call("MARKET_ROLE")
            schedule_and_execute(deployer, v, "grantRole", role, market.address, timelock=timelock_of(p))
        signers = {k: LocalSigner(dev_account(i)) for k, i in (("first", 1), ("second", 2), ("third", 3))}
        vaults = {kind: measure_vault(p, kind, signers, market, keeper) for kind in ("call", "put")}
        oracles = measure_oracles(w3, p, keeper)
    with local_chain("anvil") as chain:
        market, nav = measure_market(chain.w3, LocalSigner(dev_account(0)))
    slope = (nav[max(nav)] - nav[min(nav)]) // (max(nav) - min(nav))
    return {"vaults": vaults, "oracles": oracles, "market": market, "nav_gas": nav, "nav_gas_per_live_option": slope}


def main() -> None:
    figures = run()
    console = Console(highlight=False)
    table = Table(title="Gas (measured from receipts on Anvil; WETH call vault / USDC put vault)")
    for col in ("action", "call vault", "put vault", "target"):
        table.add_column(col, justify="right" if col != "action" else "left")
    for action, gas in figures["vaults"]["call"].items():
        target = TARGETS.get(action)
        put_gas = figures["vaults"]["put"][action]
        verdict = "" if target is None else f"≤ {target:,} {'✓' if max(gas, put_gas) <= target else '✗'}"
        table.add_row(action, f"{gas:,}", f"{put_gas:,}", verdict)
    for action, gas in figures["oracles"].items():
        target = TARGETS.get(action)
        verdict = "" if target is None else f"≤ {target:,} {'✓' if gas <= target else '✗'}"
        table.add_row(action, f"{gas:,}", "", verdict)
    console.print(table)
    market = Table(title="Options market gas (receipts on Anvil; views: execution gas of the call)")
    market.add_column("action")
    market.add_column("gas", justify="right")
    market.add_column("target", justify="right")
    for action, gas in figures["market"].items():
        target = TARGETS.get(action)
        verdict = "" if target is None else f"≤ {target:,} {'✓' if gas <= target else '✗'}"
        market.add_row(action, f"{gas:,}", verdict)
    for n, gas in figures["nav_gas"].items():
        market.add_row(f"vault NAV (totalAssets), {n} live option(s)", f"{gas:,}", "")
    market.add_row("NAV cost per live option", f"{figures['nav_gas_per_live_option']:,}", "")
    console.print(market)
    print(json.dumps(figures, separators=(",", ":")))


if __name__ == "__main__":
    main()
