"""`make demo`: a local Anvil, the protocol deployed, and one options cycle through it.

Grows with every issue until it starts the whole system. Today: deploy → the keeper posts a
spot price, lists a board and posts its vol surface → two LPs deposit → traders buy calls and
puts (quotes shown beside the off-chain engine's) and one sells puts on margin → with options
live, LP flows are requests (forward-priced): an LP asks to leave both vaults, another to add to
the call vault → spot moves; after each post the keeper turns an epoch: it cranks the
OptionBook's mark at that post (the live book priced in pages; NAV moves here, not at the post)
and fills the requests made before it at that mark (N requests filled at share price X) → time
passes expiry, the settlement price is posted → the settler keeper settles the board, pays every
ITM holder and settles the margin short (it pays the vault) → LPs claim and withdraw → summary of
everyone's result.
"""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory

from rich.rule import Rule
from rich.table import Table

from optio.cli import lp as lp_actions
from optio.cli import trade as trade_actions
from optio.cli.render import console
from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.contracts import SviParams
from optio.sdk.deploy import deploy_protocol
from optio.sdk.localchain import local_chain, warp
from optio.sdk.market import Option, TradeKind
from optio.sdk.protocol import Protocol

WEEK = 7 * 86400
FUNDING = {"WETH": Decimal(20), "USDC": Decimal(100_000)}
DEPOSITS = {"alice": {"call": "10", "put": "60000"}, "bob": {"call": "5", "put": "30000"}}
STRIKES = ("2700", "3000", "3300")
#: Total variance for one week: ATM vol ≈ 63%, a put skew.
SURFACE = SviParams(a=0.006, b=0.02, rho=-0.3, m=0.0, sigma=0.1)
SETTLEMENT_PRICE = "3150"


def _fmt(value: Decimal, *, sign: bool = False) -> str:
    return f"{value:+,.6f}" if sign else f"{value:,.6f}"


def _step(title: str) -> None:
    console.print(Rule(f"[bold]{title}"))


def _wallets(p: Protocol, who: dict[str, LocalSigner]) -> dict[str, dict[str, Decimal]]:
    return {name: {s: p.token(s).balance(s_.address) for s in ("WETH", "USDC")} for name, s_ in who.items()}


def _run_settler(url: str) -> None:
    """Three cycles of the settler keeper (`python -m optio.keepers settler --once`, in process)."""
    from optio.keepers.runtime.config import KeeperConfig, KeyConfig, RuntimeConfig
    from optio.keepers.runtime.daemon import Runner

    with TemporaryDirectory() as state:
        runtime = RuntimeConfig(rpc_urls=[url], key=KeyConfig(kind="dev", index=0), state_dir=Path(state),
                                confirmations=0)
        settler = Runner("settler", KeeperConfig(runtime=runtime), once=True)
        for _ in range(3):
            settler.cycle()
            settler.txs.wait(30)
        for out in settler.txs.finished:
            console.print(f"  settler: {out.key.split(':')[0]} {out.status}, gas {out.gas_used:,} (tx {out.tx_hash})")


def run_demo(port: int = 8545) -> None:
    started = time.monotonic()
    console.print(f"Starting Anvil on 127.0.0.1:{port} …")
    with local_chain("anvil", port) as chain:
        w3 = chain.w3
        keeper = LocalSigner(dev_account(0))
        lps = {"alice": LocalSigner(dev_account(1)), "bob": LocalSigner(dev_account(2))}
        traders = {"carol": LocalSigner(dev_account(3)), "dave": LocalSigner(dev_account(4))}

        _step("Deploy")
        deployment = deploy_protocol(w3, keeper)
        p = Protocol(w3, deployment)
        market = p.market
        for key, rec in deployment.contracts.items():
            console.print(f"  {key:<13} {rec.address}")

        _step("Keeper posts spot, lists a one-week board and posts its vol surface")
        now = w3.eth.get_block("latest")["timestamp"]
        p.spot_oracle.post(keeper, "3000", now)
        expiry = now + WEEK
        trade_actions.list_board(p, keeper, expiry, ",".join(STRIKES))
        p.vol_oracle.post(keeper, expiry, SURFACE)
        console.print(f"  spot 3,000.00 USDC per WETH; ATM vol {p.vol_oracle.atm_vol(expiry):.2%}")

        _step("LPs and traders take test tokens; LPs deposit")
        everyone = {**lps, **traders}
        for signer in everyone.values():
            for symbol, amount in FUNDING.items():
                p.token(symbol).faucet(signer, amount)
        start = _wallets(p, everyone)
        for name, lp in lps.items():
            for vault, amount in DEPOSITS[name].items():
                console.print(f"  {name}: ", end="")
                lp_actions.deposit(p, lp, vault, amount)

        _step("Carol buys calls and puts (chain quote beside the engine's)")
        call_3000, call_3300 = Option(expiry, Decimal("3000"), True), Option(expiry, Decimal("3300"), True)
        put_2700, put_3300 = Option(expiry, Decimal("2700"), False), Option(expiry, Decimal("3300"), False)
        trade_actions.trade(p, traders["carol"], call_3000, "buy", "8", None, "0.01")
        for option, amount in ((call_3300, "4"), (put_2700, "5")):
            receipt = market.trade(traders["carol"], option, TradeKind.BUY, amount)
            console.print(f"  carol bought {amount} × {option.right} {option.strike}: gas {receipt['gasUsed']:,}")

        _step("Dave posts USDC margin and sells puts to the vault")
        trade_actions.margin_deposit(p, traders["dave"], "put", "6000")
        trade_actions.trade(p, traders["dave"], put_3300, "sell", "3", None, "0.01")
        trade_actions.margin_status(p, traders["dave"].address)

        _step("Options are live, so LP flows are requests: Bob asks to leave both vaults, Alice to add 2 WETH")
        for vault in ("put", "call"):
            console.print(f"  bob ({vault}): ", end="")
            lp_actions.withdraw(p, lps["bob"], vault, None, True)
        console.print("  alice (call): ", end="")
        lp_actions.deposit(p, lps["alice"], "call", "2")
        lp_actions.requests(p, lps["bob"].address, "all")

        _step("Spot moves; after each post the keeper cranks the epoch mark, then fills the requests at it")
        for price in ("3050", "3100"):
            warp(w3, 3 * 86400)
            now = w3.eth.get_block("latest")["timestamp"]
            p.spot_oracle.post(keeper, price, now)
            f = (expiry - now - 1) / WEEK  # the same vols over the shorter tenor: the mark is fresh again
            p.vol_oracle.post(keeper, expiry, SviParams(a=SURFACE.a * f, b=SURFACE.b * f, rho=SURFACE.rho,
                                                        m=SURFACE.m, sigma=SURFACE.sigma))
            console.print(f"  spot {price}, surface re-posted; the keeper turns the epoch:")
            for is_call, side in ((True, "call"), (False, "put")):
                r = p.market.book.crank(keeper, is_call)
                totals = p.market.book.totals(is_call)
                console.print(f"  epoch mark ({side} vault): {r.live} live option(s) priced at spot {totals.spot:,} "
                              f"in {len(r.receipts)} crank call(s), gas {r.gas_used:,}; book liability "
                              f"{totals.liability:,.6f}")
            lp_actions.fill(p, keeper)
        if any(r.status == "claimable" for r in p.vault("put").requests_of(lps["bob"].address)):
            console.print("  bob (put): ", end="")
            lp_actions.claim(p, lps["bob"], "put")

        _step(f"A week passes; the keeper posts the settlement price {SETTLEMENT_PRICE}")
        t = warp(w3, expiry - w3.eth.get_block("latest")["timestamp"] + 60)
        p.spot_oracle.post(keeper, SETTLEMENT_PRICE, t)

        _step("The settler keeper settles the board, pays every holder and settles the margin short")
        _run_settler(chain.url)
        trade_actions.margin_status(p, traders["dave"].address)

        _step("No option is live any more: LPs claim and withdraw everything at once")
        console.print("  the keeper fills what is left:")
        lp_actions.fill(p, keeper)
        for vault in ("call", "put"):
            if any(r.status == "claimable" for r in p.vault(vault).requests_of(lps["bob"].address)):
                lp_actions.claim(p, lps["bob"], vault)
        for lp in lps.values():
            for vault in ("call", "put"):
                if p.vault(vault).shares_of(lp.address):
                    lp_actions.withdraw(p, lp, vault, None, False)
        dave_margin = p.margin.status(traders["dave"].address).puts.collateral
        if dave_margin:
            p.margin.withdraw(traders["dave"], False, dave_margin)

        _step("Summary")
        end = _wallets(p, everyone)
        spot = Decimal(SETTLEMENT_PRICE)
        table = Table(title=f"Result of the cycle (settled at {SETTLEMENT_PRICE}; WETH valued at that price)")
        for col in ("who", "WETH change", "USDC change", "total in USDC"):
            table.add_column(col, justify="right")
        for name in everyone:
            dw = end[name]["WETH"] - start[name]["WETH"]
            du = end[name]["USDC"] - start[name]["USDC"]
            table.add_row(name, _fmt(dw, sign=True), _fmt(du, sign=True), f"{dw * spot + du:+,.2f}")
        # Exit fees go to the protocol (IOptioVault): the row that makes the table sum to zero.
        fee_weth, fee_usdc = p.vault("call").protocol_fees(), p.vault("put").protocol_fees()
        table.add_row("protocol", _fmt(fee_weth, sign=True), _fmt(fee_usdc, sign=True),
                      f"{fee_weth * spot + fee_usdc:+,.2f}")
        console.print(table)
        console.print(
            f"  bad debt: {p.margin.call('putBadDebt') / 10**6:,.2f} USDC; "
            f"live options left: {market.book.live_count(True) + market.book.live_count(False)}"
        )
    console.print(f"Stopped Anvil. Demo finished in {time.monotonic() - started:.1f} s.")
