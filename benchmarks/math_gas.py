"""Gas and accuracy of the on-chain math (BlackScholes.sol, SVI.sol, SurfacePricing.quote).

    python -m benchmarks.math_gas [--n 200000]      # make fuzz-math runs --n 1000000

Gas is measured in the EVM (pyrevm, the compiled MathHarness: gasleft() around the library
call, so calldata and ABI decoding are not counted), over random inputs from the whole domain,
and reported as median and max; one point is re-measured through eth_call on a real Anvil to
show the two EVMs agree. Errors are against the Python engine (pricing/) on the same integer
inputs, and against mpmath for the CDF, reported as max, p99.9 and median. Peers cannot run here
(their contracts are not on any registry), so their published figures (shared/ANCHORS.md) stand
beside ours. The last line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json

import mpmath as mp
import numpy as np
from rich.console import Console
from rich.table import Table

from optio.sdk.chain import LocalSigner, dev_account
from optio.sdk.contracts import Client
from optio.sdk.deploy import deploy_contract
from optio.sdk.localchain import local_chain
from testkit.math_harness import (
    PRICE_ARGS,
    SVI_TUPLE,
    WAD,
    Harness,
    domain_sample,
    hard_grid,
    price_errors,
    quote_sample,
    svi_vol_sample,
)

TARGETS = {"price": 2_500, "quote": 8_000, "error_x_spot": 1e-12}
#: Published figures of the protocols we mean to beat (shared/ANCHORS.md), for the README.
ANCHORS = [
    ("DeFiMath", "~2,930", "~2,940", "~1,850", "~730", "5.6e-12 rel (CDF 4.6e-13)", "K/S 0.2–5, T ≤ 2 y"),
    ("Lyra V1", "~13,400", "", "", "", "~6.8e-13", "1e27 fixed point"),
    ("Premia v2", "~20,800", "", "", "", "~1.7e-1 rel at the edges", "ABDK 64x64"),
]
#: The reference option for one-number comparisons: ETH at 3,000, 30 days, 50% vol, ATM.
REFERENCE = [3000 * WAD, 3000 * WAD, 30 * 86400, WAD // 2]
QUOTE_SURFACE = (WAD // 50, WAD // 20, -(3 * WAD) // 10, 0, WAD // 10)
QUOTE_ARGS = ["uint256"] * 3 + [SVI_TUPLE]


def distribution(values: np.ndarray) -> dict[str, float]:
    return {
        "max": float(np.max(values)),
        "p99_9": float(np.quantile(values, 0.999)),
        "median": float(np.median(values)),
    }


def gas_stats(values: list[int]) -> dict[str, int]:
    return {"median": int(np.median(values)), "max": int(max(values))}


def measure_gas(h: Harness, samples: int, seed: int) -> dict[str, dict[str, int]]:
    options = domain_sample(samples, seed)
    columns = (options.spot, options.strike, options.tau, options.vol)
    rows = [[s, k, int(t), v] for s, k, t, v in zip(*columns, strict=True)]
    gas = {name: gas_stats([h.gas(f"{name}Gas", PRICE_ARGS, r) for r in rows]) for name in ("price", "call", "put")}
    xs = [int(x * WAD) for x in np.random.default_rng(seed).uniform(-9.0, 9.0, samples)]
    gas["cdf"] = gas_stats([h.gas("cdfGas", ["int256"], [x]) for x in xs])
    svi_types = [SVI_TUPLE, "int256", "uint256"]
    gas["svi_vol"] = gas_stats([h.gas("sviVolGas", svi_types, r) for r in svi_vol_sample(samples, seed + 1).rows()])
    gas["quote"] = gas_stats([h.gas("quoteGas", QUOTE_ARGS, r) for r in quote_sample(samples, seed + 3).rows()])
    gas["price_reference"] = {"median": h.gas("priceGas", PRICE_ARGS, REFERENCE)}
    gas["quote_reference"] = {"median": h.gas("quoteGas", QUOTE_ARGS, [*REFERENCE[:3], QUOTE_SURFACE])}
    return gas


def anvil_reference_gas() -> dict[str, int]:
    """The reference point's gas through eth_call on a real Anvil (same bytecode, other EVM)."""
    with local_chain("anvil") as chain:
        w3 = chain.w3
        address = deploy_contract(w3, LocalSigner(dev_account(0)), "MathHarness")
        harness = Client(w3, address, artifact_name="MathHarness")
        return {
            "price": harness.call("priceGas", *REFERENCE),
            "quote": harness.call("quoteGas", *REFERENCE[:3], QUOTE_SURFACE),
        }


def measure_errors(h: Harness, n: int, seed: int) -> dict[str, dict[str, float]]:
    options = domain_sample(n, seed)
    random_errors = price_errors(h.prices(options.spot, options.strike, options.tau, options.vol), options)
    errs = {f"{k}_random": distribution(v) for k, v in random_errors.items()}
    # Most log-uniform draws lie beyond 8.5 standard deviations, where both sides are exact; the
    # options within 5 standard deviations (|d1| < 5) show the typical error.
    spot, strike, years, vol = options.floats()
    near = np.abs(np.log(spot / strike) / (vol * np.sqrt(years)) + vol * np.sqrt(years) / 2) < 5
    for k, v in random_errors.items():
        errs[f"{k}_random_within_5sd"] = distribution(v[near])
    grid = hard_grid()
    for k, v in price_errors(h.prices(grid.spot, grid.strike, grid.tau, grid.vol), grid).items():
        errs[f"{k}_hard_grid"] = distribution(v)
    mp.mp.dps = 30
    xs = [int(x * WAD) for x in np.linspace(-9.0, 9.0, 3001)]
    cdf = h.cdfs(xs)
    cdf_errors = [float(abs(mp.mpf(c) / WAD - mp.ncdf(mp.mpf(x) / WAD))) for c, x in zip(cdf, xs, strict=True)]
    errs["cdf"] = distribution(np.array(cdf_errors))
    quotes = quote_sample(min(n, 20_000), seed + 5)
    out = h.quotes(*quotes.columns())
    errs["svi_vol_relative"] = distribution(np.abs(out[:, 0].astype(float) / WAD - quotes.vol) / quotes.vol)
    quote_errs = price_errors(out[:, 1:], quotes.options, vol=quotes.vol)
    errs["quote_call"] = distribution(quote_errs["call"])
    errs["quote_put"] = distribution(quote_errs["put"])
    return errs


def _is_price(error_key: str) -> bool:
    """Errors measured as a fraction of spot, held to the 1e-12 bar."""
    return error_key.split("_")[0] in ("call", "put", "vega", "quote")


def gas_table(gas: dict, anvil: dict) -> Table:
    t = Table(title="On-chain math: gas (EVM-measured, library call only)")
    for col in ("function", "median", "max", "ETH 30d ATM 50%", "Anvil eth_call", "target"):
        t.add_column(col, justify="left" if col == "function" else "right")
    rows = [("price: call, put, delta, vega", "price"), ("callPrice", "call"), ("putPrice", "put"), ("cdf", "cdf"),
            ("SVI implied vol", "svi_vol"), ("full quote (SVI + price + Greeks)", "quote")]
    for label, key in rows:
        target = TARGETS.get(key)
        verdict = "" if target is None else f"≤ {target:,} {'✓' if gas[key]['max'] <= target else '✗'}"
        ref = gas.get(f"{key}_reference", {}).get("median")
        t.add_row(label, f"{gas[key]['median']:,}", f"{gas[key]['max']:,}", f"{ref:,}" if ref else "",
                  f"{anvil[key]:,}" if key in anvil else "", verdict)
    return t


def error_table(errs: dict, n: int) -> Table:
    t = Table(title=f"On-chain math: error against the Python engine ({n:,} random options over the whole domain; "
                    "hard grid 2,106; CDF vs mpmath)")
    for col in ("quantity", "max", "p99.9", "median", "bar"):
        t.add_column(col, justify="left" if col == "quantity" else "right")
    bar = TARGETS["error_x_spot"]
    for key, d in errs.items():
        is_price = _is_price(key)
        verdict = f"≤ {bar:.0e} {'✓' if d['max'] <= bar else '✗'}" if is_price else ""
        unit = "× S" if is_price else ("abs" if key.startswith(("delta", "cdf")) else "rel")
        t.add_row(f"{key} ({unit})", f"{d['max']:.1e}", f"{d['p99_9']:.1e}", f"{d['median']:.1e}", verdict)
    return t


def anchors_table() -> Table:
    t = Table(title="Peers' published figures (shared/ANCHORS.md; not runnable here)")
    for col in ("library", "call gas", "put gas", "delta gas", "CDF gas", "error", "domain"):
        t.add_column(col)
    for row in ANCHORS:
        t.add_row(*row)
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="random options for the error distribution")
    parser.add_argument("--gas-samples", type=int, default=2_000, help="random inputs per gas figure")
    args = parser.parse_args()
    h = Harness()
    gas = measure_gas(h, args.gas_samples, seed=11)
    anvil = anvil_reference_gas()
    errs = measure_errors(h, args.n, seed=12)
    console = Console(highlight=False, width=150)
    console.print(gas_table(gas, anvil))
    console.print(error_table(errs, args.n))
    console.print(anchors_table())
    met = {
        "price_gas": gas["price"]["max"] <= TARGETS["price"],
        "quote_gas": gas["quote"]["max"] <= TARGETS["quote"],
        "error": all(d["max"] <= TARGETS["error_x_spot"] for k, d in errs.items() if _is_price(k)),
    }
    figures = {"n": args.n, "gas": gas, "anvil_gas": anvil, "errors": errs, "targets_met": met}
    print(json.dumps(figures, separators=(",", ":")))


if __name__ == "__main__":
    main()
