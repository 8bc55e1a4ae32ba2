"""`make demo`: a local Anvil, the protocol deployed, and LP rounds on both vaults.

Grows with every issue until it starts the whole system. Today: deploy → keeper posts a spot
price and a vol surface → two LPs deposit → a stand-in for the options market (next issue)
locks collateral → an LP withdraws what is free and queues the rest → collateral unlocks, the
queue is served, the LP claims → everyone withdraws → summary.
"""

from __future__ import annotations

import time
from decimal import Decimal

from rich.rule import Rule
from rich.table import Table

from optio.chain import LocalSigner, dev_account
from optio.contracts import Protocol, SviParams
from optio.deploy import deploy_protocol
from optio.localchain import local_chain
from scripts import _lp
from scripts._render import console

FUNDING = {"WETH": Decimal(10), "USDC": Decimal(50_000)}
DEPOSITS = {"alice": {"call": "5", "put": "20000"}, "bob": {"call": "2", "put": "10000"}}


def _fmt(value: Decimal, *, sign: bool = False) -> str:
    return f"{value:+,.6f}" if sign else f"{value:,.6f}"


def _step(title: str) -> None:
    console.print(Rule(f"[bold]{title}"))


def run_demo(port: int = 8545) -> None:
    started = time.monotonic()
    console.print(f"Starting Anvil on 127.0.0.1:{port} …")
    with local_chain("anvil", port) as chain:
        w3 = chain.w3
        deployer = LocalSigner(dev_account(0))
        lps = {"alice": LocalSigner(dev_account(1)), "bob": LocalSigner(dev_account(2))}

        _step("Deploy")
        deployment = deploy_protocol(w3, deployer)
        p = Protocol(w3, deployment)
        for key, rec in deployment.contracts.items():
            console.print(f"  {key:<11} {rec.address}")

        _step("Keeper posts a spot price and a vol surface")
        now = w3.eth.get_block("latest")["timestamp"]
        p.spot_oracle.post(deployer, "3000", now)
        expiry = now + 7 * 86400
        p.vol_oracle.post(deployer, expiry, SviParams(a=0.002, b=0.02, rho=-0.3, m=0.0, sigma=0.1))
        price, _ = p.spot_oracle.latest_price()
        console.print(f"  spot {price:,.2f} USDC per WETH; 7-day ATM vol {p.vol_oracle.atm_vol(expiry):.2%}")

        _step("LPs take test tokens and deposit")
        start_wallets = {}
        for name, lp in lps.items():
            for symbol, amount in FUNDING.items():
                p.token(symbol).faucet(lp, amount)
            start_wallets[name] = {k: p.vault(k).asset.balance(lp.address) for k in ("call", "put")}
            for vault, amount in DEPOSITS[name].items():
                console.print(f"  {name}: ", end="")
                _lp.deposit(p, lp, vault, amount)
        _lp.status(p, lps["bob"].address, "all")

        _step("A stand-in for the options market locks 80% of the put vault")
        put = p.vault("put")
        put.transact(deployer, "grantRole", put.call("MARKET_ROLE"), deployer.address)
        locked_units = put.call("totalAssets") * 8 // 10
        put.transact(deployer, "lockCollateral", locked_units)
        console.print(f"  locked {put._assets(locked_units):,} USDC as option collateral")

        _step("Bob withdraws everything: what is free now, the rest queued")
        _lp.withdraw(p, lps["bob"], "put", None, True)
        _lp.status(p, lps["bob"].address, "put")

        _step("Collateral unlocks (options expire): the queue is served, Bob claims")
        put.transact(deployer, "unlockCollateral", locked_units)
        _lp.claim(p, lps["bob"], "put")
        _lp.withdraw(p, lps["bob"], "call", None, False)

        _step("Alice withdraws everything")
        for vault in ("call", "put"):
            _lp.withdraw(p, lps["alice"], vault, None, False)

        _step("Summary")
        table = Table(title="LP round trip (no options traded yet, so every LP gets back what it put in)")
        for col in ("LP", "vault", "deposited", "wallet before", "wallet after", "change"):
            table.add_column(col, justify="right")
        for name, lp in lps.items():
            for vault, amount in DEPOSITS[name].items():
                v = p.vault(vault)
                after = v.asset.balance(lp.address)
                before = start_wallets[name][vault]
                table.add_row(
                    name,
                    vault,
                    f"{Decimal(amount):,} {v.asset.symbol}",
                    _fmt(before),
                    _fmt(after),
                    _fmt(after - before, sign=True),
                )
        console.print(table)
        for vault in ("call", "put"):
            s = p.vault(vault).status(deployer.address)
            console.print(
                f"  {vault} vault: {_fmt(s.total_assets)} {s.asset_symbol} and {_fmt(s.total_shares)} shares left"
            )
    console.print(f"Stopped Anvil. Demo finished in {time.monotonic() - started:.1f} s.")
