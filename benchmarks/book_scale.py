"""Gas of the book-dependent actions against the number of live options per vault (issue 25).

    python -m benchmarks.book_scale                    # 1, 16, 64, 256 and 512 live options
    python -m benchmarks.book_scale --sizes 1,2 --seed 3

One Anvil, one deployment (``deploy_protocol``, defaults). Books are grown in place: several
weekly expiries × strikes, option ``i`` at expiry ``i mod E`` (so every prefix spreads over the
expiries), a call and a put of each, each bought so that it is live in its vault, sizes drawn
(``--seed``) at or above the market's minimum live amount. At each size every action is measured
from its receipt in a snapshot of the book (``evm_snapshot``/``evm_revert``), so none of them
changes the book the next one meets. Gas is deterministic for a given state: one run per point.

A size above the contracts' cap (``OptionBook.MAX_LIVE_OPTIONS``, read from the chain) is attempted
— the first option past the cap is bought — and its column reports the contract's refusal (its
error name); its JSON figures are null, never a guess.

The epoch crank is measured after a spot post: the call side's whole sweep in pages of
``--page`` options (default 128, the keepers' and the SDK's page), each page's gas from its
receipt; ``crank_gas_per_option`` is the sweep's gas ÷ the live options at the largest book
built, ``crank_gas_per_page`` its dearest page. The same sweep in pages of 64, side by side
(``crank_gas_per_option_page64``): the per-page part (the oracle reads, the totals' writes, the
transaction) spread over half as many options.
The fill after it (the keeper's ``serveQueue`` of one deposit and one redeem request) reads the
stored mark. NAV is ``totalAssets``' execution gas:
``eth_estimateGas`` of the view less the 21,000 base and the calldata (``benchmarks.gas``'s
``_view_gas``), the least gas limit at which the view succeeds — a few hundred gas above the gas
it uses, for the 63/64 reserve of its calls into the market and the pricer.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from benchmarks.gas import WEEK, _send, _view_gas
from optio.pricing.black_scholes import SECONDS_PER_YEAR
from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.deploy import DeployConfig, deploy_protocol
from optio.sdk.devchain import chain_time, flat_surface, warp_to
from optio.sdk.errors import ContractRevert
from optio.sdk.localchain import local_chain
from optio.sdk.market import Option
from optio.sdk.option_book import DEFAULT_PAGE
from optio.sdk.protocol import Protocol

SIZES = (1, 16, 64, 256, 512)
SPOT = Decimal("3000")
VOL = 0.6
MAX_EXPIRIES = 10  # a Deribit-size chain: 10 expiries × 20–40 strikes
STRIKE_GRID = [Decimal(2100 + 25 * i) for i in range(85)]  # 0.70 – 1.40 × spot
DEADLINE = 2**63
MAX_PREMIUM = 2**255
#: The issue's targets (JSON key: (limit, lower is better)).
TARGETS = {
    "live_options_cap": (500, False),
    "buy_gas_at_512": (180_000, True),
    "buy_gas_growth": (1.2, True),
    "request_gas_at_512": (150_000, True),
    "request_gas_max": (150_000, True),
    "crank_gas_per_option": (14_000, True),
}


@dataclass(frozen=True)
class Book:
    """The options the books are built from, in the order they are bought."""

    expiries: list[int]
    options: list[tuple[int, Decimal]]  # (expiry, strike): a call and a put of each
    amounts: list[int]  # wad options, per option (the call's and the put's)

    def expiry_index(self, i: int) -> int:
        return i % len(self.expiries)


def plan_book(start: int, need: int, min_live: int, seed: int) -> Book:
    """``need`` options over ``min(need, 10)`` weekly expiries from ``start``; each expiry's first
    strike at the money, the others drawn from 0.70–1.40 × spot; sizes 1–3 × the minimum live
    amount in halves."""
    rng = random.Random(seed)
    n_exp = min(MAX_EXPIRIES, need)
    per_expiry = math.ceil(need / n_exp)
    if per_expiry > len(STRIKE_GRID):
        raise ValueError(f"{need} options need {per_expiry} strikes an expiry; the grid has {len(STRIKE_GRID)}")
    expiries = [start + (j + 1) * WEEK for j in range(n_exp)]
    others = [k for k in STRIKE_GRID if k != SPOT]
    strikes = [[SPOT, *rng.sample(others, per_expiry - 1)] for _ in expiries]
    options = [(expiries[i % n_exp], strikes[i % n_exp][i // n_exp]) for i in range(need)]
    amounts = [min_live * rng.choice((2, 3, 4, 5, 6)) // 2 for _ in range(need)]
    return Book(expiries, options, amounts)


@contextmanager
def isolated(w3) -> Iterator[None]:
    """Whatever happens inside is undone (Anvil snapshot and revert), the clock included."""
    head = chain_time(w3)
    snap = w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        yield
    finally:
        w3.provider.make_request("evm_revert", [snap])
        # A revert restores the state but not Anvil's clock offset: set the next block just after
        # the snapshot's head, so that a warp inside (settlement) does not leak out.
        w3.provider.make_request("evm_setNextBlockTimestamp", [head + 1])
        w3.provider.make_request("evm_mine", [])


class Bench:
    """One deployment, its vaults funded, and the accounts that trade and provide liquidity."""

    def __init__(self, w3, seed: int, sizes: list[int], page: int = DEFAULT_PAGE):
        self.w3 = w3
        self.page = page
        self.deployer = LocalSigner(dev_account(0))  # also keeper, lister and filler (defaults)
        self.p = Protocol(w3, deploy_protocol(w3, self.deployer, DeployConfig(), save=False))
        self.m = self.p.market
        self.cap = int(self.m.book.call("MAX_LIVE_OPTIONS"))
        self.min_live = int(self.m.call_struct("riskLimits").minLiveAmount)
        self.post_spot(SPOT)
        # Enough options for the largest size the contracts take, one more for the new-option
        # buy, and one past the cap to read the refusal.
        need = min(max(sizes), self.cap + 1) + 1
        self.book = plan_book(chain_time(w3), need, self.min_live, seed)
        for expiry in self.book.expiries:
            strikes = [str(k) for e, k in self.book.options if e == expiry]
            self.m.list_strikes(self.deployer, expiry, strikes)
        self.post_surfaces()
        self.lp, self.lp2, self.buyer, self.seller, self.liquidator = (
            LocalSigner(dev_account(i)) for i in (1, 2, 10, 11, 12))
        scale = max(need, 64)  # the collateral of the largest book, with room to spare
        for kind, amount in (("call", 12 * scale), ("put", 40_000 * scale)):
            v = self.p.vault(kind)
            for lp in (self.lp, self.lp2):
                v.asset.faucet(lp, str(amount))
                _send(v.asset, lp, "approve", v.address, 2**256 - 1)
            v.deposit(self.lp, str(amount))
        for tr in (self.buyer, self.seller, self.liquidator):
            self.w3.provider.make_request("anvil_setBalance", [tr.address, hex(10**22)])
            self.m.base.faucet(tr, str(10 * scale))
            self.m.quote_token.faucet(tr, str(30_000 * scale))
            for token in (self.m.base, self.m.quote_token):
                _send(token, tr, "approve", self.m.address, 2**256 - 1)
                _send(token, tr, "approve", self.p.margin.address, 2**256 - 1)
        self.live = 0

    def post_spot(self, price: Decimal) -> None:
        """Spot posted in a block of its own, a second after the head (fills serve only the
        requests made before the latest post; posts must be strictly later than the last)."""
        t = chain_time(self.w3) + 1
        warp_to(self.w3, t)
        self.p.spot_oracle.post(self.deployer, price, t)

    def post_surfaces(self) -> None:
        for expiry in self.book.expiries:
            tau = (expiry - chain_time(self.w3) - 1) / SECONDS_PER_YEAR
            self.p.vol_oracle.post(self.deployer, expiry, flat_surface(VOL, tau))

    def option(self, i: int, is_call: bool) -> Option:
        expiry, strike = self.book.options[i]
        return Option(expiry, strike, is_call)

    def buy(self, signer, option: Option, amount: int) -> int:
        return _send(self.m, signer, "buy", option.id, amount, MAX_PREMIUM, DEADLINE)

    def crank(self, is_call: bool, page: int | None = None) -> list[int]:
        """The side's whole sweep at the latest post, page by page (the run's page by default):
        each call's gas."""
        return [r["gasUsed"] for r in self.m.book.crank(self.deployer, is_call, page=page or self.page).receipts]

    def buy_growing(self, option: Option, amount: int) -> None:
        """A buy while the book grows; the totals re-based first when the book says they are due
        (a long build outlives their bound), as the keeper would."""
        try:
            self.buy(self.buyer, option, amount)
        except ContractRevert as err:
            if err.name != "BookTotalsStale":
                raise
            self.crank(option.is_call)
            self.buy(self.buyer, option, amount)

    def grow(self, n: int) -> str | None:
        """Buys options until each vault holds ``n`` live ones; the contract's error name if it
        refuses one (the book stays where it was refused)."""
        self.post_spot(SPOT)
        while self.live < n:
            i = self.live
            try:
                for is_call in (True, False):
                    self.buy_growing(self.option(i, is_call), self.book.amounts[i])
            except ContractRevert as err:
                return err.name
            self.live += 1
            if self.live % 16 == 0:  # keep spot and surfaces fresh through a long build
                self.post_spot(SPOT)
        assert self.m.book.live_count(True) == n and self.m.book.live_count(False) == n
        return None

    # --- the actions, each measured on the book as it is ---------------------------------------

    def measure(self) -> dict:
        n = self.live
        g: dict = {"live_options": n}
        self.post_spot(SPOT)
        pages = self.crank(True)  # the epoch mark at this post (puts too: trades need both current)
        self.crank(False)
        g.update(crank=sum(pages), crank_pages=len(pages), crank_page=max(pages), crank_per_option=sum(pages) / n)
        with isolated(self.w3):  # the same sweep in pages of 64, at a post of its own
            self.post_spot(SPOT)
            g["crank_per_option_page64"] = sum(self.crank(True, 64)) / n
        with isolated(self.w3):
            g["buy_live"] = self.buy(self.buyer, self.option(0, True), self.min_live)
        with isolated(self.w3):
            if n < self.cap:
                g["buy_new"] = self.buy(self.buyer, self.option(n, True), self.min_live)
            else:
                try:
                    self.buy(self.buyer, self.option(n, True), self.min_live)
                    raise AssertionError(f"a new option past the cap ({self.cap}) was accepted")
                except ContractRevert as err:
                    g["buy_new"] = None
                    g["buy_new_refused"] = err.name
        with isolated(self.w3):
            g.update(self.requests_and_fill(n))
        g["nav"] = _view_gas(self.w3, self.p.vault("call"), "totalAssets")
        with isolated(self.w3):
            g["liquidation"] = self.liquidation()
        with isolated(self.w3):
            g.update(self.settlement(n))
        return g

    def requests_and_fill(self, n: int) -> dict:
        v = self.p.vault("call")
        one = 10 ** v.asset.decimals
        out = {"request_deposit": _send(v, self.lp2, "requestDeposit", 10 * one, self.lp2.address, self.lp2.address)}
        shares = v.call("balanceOf", self.lp.address) // 100
        out["request_redeem"] = _send(v, self.lp, "requestRedeem", shares, self.lp.address, self.lp.address)
        # Fills wait for the keepers' posts after the requests (spot and every surface the mark
        # uses: OptionBook.pricedSince), and the epoch mark at them.
        warp_to(self.w3, chain_time(self.w3) + 1)
        self.post_surfaces()
        self.post_spot(SPOT)
        self.crank(True)
        out["fill"] = _send(v, self.deployer, "serveQueue", 16)
        if v.call("pendingDepositAssets") != 0 or v.call("pendingShares") != 0:
            raise AssertionError("serveQueue did not fill both requests")
        return out

    def liquidation(self) -> int:
        """A put seller on margin at the edge of her requirement, spot down 10%, half her short
        liquidated. The put is option 0's (live already: the book does not grow)."""
        margin = self.p.margin
        put = self.option(0, False)
        amount = 4 * self.min_live
        _send(margin, self.seller, "deposit", False, 20_000 * 10**self.m.quote_token.decimals)
        _send(self.m, self.seller, "sell", put.id, amount, 0, DEADLINE)
        health = margin.call_struct("healthOf", [self.seller.address])[0].puts
        spare = health.collateral - health.required * 1001 // 1000
        _send(margin, self.seller, "withdraw", False, spare, self.seller.address)
        self.post_spot(SPOT * Decimal("0.9"))
        return _send(margin, self.liquidator, "liquidate", self.seller.address, put.id, amount // 2)

    def settlement(self, n: int) -> dict:
        """The first expiry settled a minute after it: its strikes with a live call and put."""
        expiry = self.book.expiries[0]
        k = sum(1 for i in range(n) if self.book.expiry_index(i) == 0)
        warp_to(self.w3, expiry + 60)
        self.post_spot(SPOT)  # records the expiry's settlement price
        gas = _send(self.m, self.deployer, "settle", expiry)
        return {"settle": gas, "settle_live_strikes": k, "settle_per_live_strike": gas / k}


def run(sizes: list[int], seed: int, page: int = DEFAULT_PAGE) -> dict:
    sizes = sorted(set(sizes))
    rows: dict[str, dict] = {}
    with local_chain("anvil") as chain:
        bench = Bench(chain.w3, seed, sizes, page)
        for n in sizes:
            refused = bench.grow(n)
            if refused is not None:
                rows[str(n)] = {"live_options": None, "refused": refused, "built": bench.live}
                continue
            rows[str(n)] = bench.measure()
        cap = bench.cap
    return figures(rows, sizes, cap, seed, page)


def _at(rows: dict, n: int, key: str):
    row = rows.get(str(n))
    return None if row is None else row.get(key)


def figures(rows: dict, sizes: list[int], cap: int, seed: int, page: int = DEFAULT_PAGE) -> dict:
    built = [n for n in sizes if rows[str(n)].get("live_options") is not None]
    largest = str(max(built)) if built else None
    buy_1, buy_512 = _at(rows, 1, "buy_live"), _at(rows, 512, "buy_live")
    requests = [rows[str(n)][k] for n in built for k in ("request_deposit", "request_redeem")]
    request_512 = [_at(rows, 512, k) for k in ("request_deposit", "request_redeem")]
    out = {
        "seed": seed,
        "sizes": sizes,
        "page": page,
        "live_options_cap": cap,
        "buy_gas_at_1": buy_1,
        "buy_gas_at_512": buy_512,
        "buy_gas_growth": round(buy_512 / buy_1, 3) if buy_1 and buy_512 else None,
        "request_gas_at_512": None if None in request_512 else max(request_512),
        "request_gas_max": max(requests) if requests else None,
        # The epoch crank's whole sweep of the call side ÷ its live options, at the largest book.
        "crank_gas_per_option": round(rows[largest]["crank_per_option"]) if largest else None,
        "crank_gas_per_page": rows[largest]["crank_page"] if largest else None,
        "crank_gas_per_option_page64": round(rows[largest]["crank_per_option_page64"]) if largest else None,
        "crank_measured_at": int(largest) if largest else None,
        "settle_gas_per_live_strike": round(rows[largest]["settle_per_live_strike"]) if largest else None,
        "settle_measured_at": int(largest) if largest else None,
        "rows": rows,
    }
    # The marginal gas of one more live option, between the smallest and the largest book built.
    for key, name in (("buy_live", "buy"), ("fill", "fill"), ("nav", "nav"), ("settle", "settle"),
                      ("crank", "crank")):
        slope = None
        if len(built) > 1:
            lo, hi = rows[str(built[0])][key], rows[str(built[-1])][key]
            slope = round((hi - lo) / (built[-1] - built[0]))
        out[f"{name}_gas_per_live_option"] = slope
    for n in sorted(set(SIZES) | set(sizes)):  # null where not run or refused
        out[f"buy_gas_at_{n}"] = _at(rows, n, "buy_live")
    return out


def verdict(key: str, value) -> str:
    limit, lower = TARGETS[key]
    sign = "≤" if lower else "≥"
    met = value is not None and (value <= limit if lower else value >= limit)
    return f"{sign} {limit:,} {'✓' if met else '✗'}"


ROWS = [  # (row key, label)
    ("buy_live", "buy, live option ¹"),
    ("buy_new", "buy, new option (N → N+1)"),
    ("request_deposit", "requestDeposit"),
    ("request_redeem", "requestRedeem"),
    ("crank", "epoch crank, the call side's whole sweep ²"),
    ("crank_pages", "  its calls (pages)"),
    ("crank_page", "  its dearest page"),
    ("crank_per_option", "  ÷ live options: crank_gas_per_option"),
    ("crank_per_option_page64", "  the same sweep in pages of 64, ÷ live options"),
    ("fill", "fill 1 deposit + 1 redeem (after the crank)"),
    ("settle", "settle an expiry ³"),
    ("settle_live_strikes", "  its live strikes k"),
    ("settle_per_live_strike", "  settle ÷ k"),
    ("liquidation", "liquidation ⁴"),
    ("nav", "NAV (totalAssets) ⁵"),
]
ROW_TARGETS = {"buy_live": "≤ 180,000 at 512, ≤ 1.2 × at 1", "request_deposit": "≤ 150,000",
               "request_redeem": "≤ 150,000", "crank_per_option": "≤ 14,000"}
NOTES = [
    "¹ call vault; the buyer already holds the option (no new balance slot): what the book costs a trade.",
    "² after a spot post, OptionBook.crank(true, page) until the sweep ends (page = the run's --page): what the "
    "keeper sends before it fills; every other row reads the stored totals (O(1) in the book).",
    "³ the first weekly expiry, a minute after it (a call and a put live at each of its k strikes); settle walks "
    "that board's live options only (OptionBook.boardLive).",
    "⁴ a margin put seller at the edge of her requirement, spot down 10%, half her short (put vault).",
    "⁵ call vault; execution gas: eth_estimateGas of the view less 21,000 and calldata (a few hundred gas above "
    "the gas used: the 63/64 reserve of its nested calls).",
    "requests, fills and NAV: call vault (WETH). Refused: the contracts would not take the book (their error).",
]


def _cell(row: dict, key: str) -> str:
    if row.get("live_options") is None:
        return "refused" if key in ("buy_live", "buy_new") else "–"
    value = row.get(key)
    if value is None:
        return f"refused: {row.get(key + '_refused', '?')}" if key == "buy_new" else "–"
    return f"{value:,.0f}"


def render(out: dict) -> None:
    console = Console(highlight=False, width=max(Console().width, 200))
    sizes = out["sizes"]
    table = Table(title=f"Gas against live options per vault (receipts on Anvil; one run per point, gas is "
                        f"deterministic; seed {out['seed']}; crank pages of {out.get('page', DEFAULT_PAGE)}; "
                        f"cap MAX_LIVE_OPTIONS = {out['live_options_cap']})")
    table.add_column("action")
    for n in sizes:
        table.add_column(f"{n}", justify="right")
    table.add_column("target", justify="right")
    live = []
    for n in sizes:
        row = out["rows"][str(n)]
        live.append(f"{n}" if row.get("live_options") is not None
                    else f"refused: {row['refused']} (option {row['built'] + 1})")
    table.add_row("live options per vault (calls; puts the same)", *live, "≥ 500 (cap)")
    for key, label in ROWS:
        table.add_row(label, *(_cell(out["rows"][str(n)], key) for n in sizes), ROW_TARGETS.get(key, ""))
    console.print(table)
    for note in NOTES:
        console.print(note)

    summary = Table(title="Issue 25's figures (null: the book could not be built); *_per_live_option: the "
                          "marginal gas of one more live option, smallest to largest book built")
    for col in ("figure", "value", "target"):
        summary.add_column(col, justify="left" if col == "figure" else "right")
    for key in ("live_options_cap", "buy_gas_at_1", "buy_gas_at_512", "buy_gas_growth", "request_gas_at_512",
                "request_gas_max", "crank_gas_per_option", "crank_gas_per_page", "crank_gas_per_option_page64",
                "settle_gas_per_live_strike",
                "buy_gas_per_live_option", "fill_gas_per_live_option", "nav_gas_per_live_option",
                "settle_gas_per_live_option", "crank_gas_per_live_option"):
        value = out[key]
        shown = "null" if value is None else (f"{value:,.3f}" if isinstance(value, float) else f"{value:,}")
        if key in ("crank_gas_per_option", "crank_gas_per_page", "crank_gas_per_option_page64") and value is not None:
            shown += f" (at {out['crank_measured_at']})"
        if key == "settle_gas_per_live_strike" and value is not None:
            shown += f" (at {out['settle_measured_at']})"
        summary.add_row(key, shown, verdict(key, value) if key in TARGETS else "")
    console.print(summary)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="live options per vault, comma-separated (default 1,16,64,256,512)")
    parser.add_argument("--seed", type=int, default=1, help="the strikes' and sizes' draw (default 1)")
    parser.add_argument("--page", type=int, default=DEFAULT_PAGE,
                        help=f"live options per crank call (default {DEFAULT_PAGE}, the keepers')")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if not sizes or min(sizes) < 1:
        parser.error("--sizes: positive integers, comma-separated")
    if args.page < 1:
        parser.error("--page: a positive integer")
    out = run(sizes, args.seed, args.page)
    render(out)
    print(json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()
