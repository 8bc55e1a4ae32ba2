"""The pricing engine against its peers, side by side in one run, with mpmath as the truth.

    python -m benchmarks.pricing [--n 1000000]

Throughput is options per second on one core (best of 3, the same inputs for everyone); errors
are against mpmath at 40 digits on a sample, on a random grid and on a hard grid (deep in and
out of the money, minutes to expiry, vols to 1000%). Peers: py_vollib_vectorized (numba),
fast-vollib (numpy backend, and numba for reference), QuantLib (Brent, its defaults), and
vollib (py_vollib 1.0.1, pure-Python Let's Be Rational, scalar). Slow peers run on a subset and
are scaled to options per second. The last line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
import warnings

import mpmath as mp
import numpy as np
from rich.console import Console
from rich.table import Table

from optio.pricing.black_scholes import black_greeks, black_price
from optio.pricing.implied_vol import implied_vol_black
from optio.pricing.normalised_black import otm_call
from optio.pricing.surface import fit_surface
from optio.pricing.svi import SviParams

MINUTE = 1 / 525600
EPS = np.finfo(float).eps


def random_grid(n: int, seed: int = 1):
    """Desk-like options: K/F 0.5–2, 1 day – 2 years, vol 5%–200%, calls and puts."""
    rng = np.random.default_rng(seed)
    m = np.exp(rng.uniform(np.log(0.5), np.log(2.0), n))
    t = np.exp(rng.uniform(np.log(1 / 365), np.log(2.0), n))
    vol = np.exp(rng.uniform(np.log(0.05), np.log(2.0), n))
    return m, t, vol, rng.random(n) < 0.5


def hard_grid(n: int, seed: int = 2):
    """The whole domain: K/F 0.05–20, 1 minute – 5 years, vol 1%–1000%."""
    rng = np.random.default_rng(seed)
    m = np.exp(rng.uniform(np.log(0.05), np.log(20.0), n))
    t = np.exp(rng.uniform(np.log(MINUTE), np.log(5.0), n))
    vol = np.exp(rng.uniform(np.log(0.01), np.log(10.0), n))
    return m, t, vol, rng.random(n) < 0.5


def best_rate(fn, n: int, repeats: int = 3) -> float:
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return n / best


def mp_time_value(m, t, vol) -> float:
    """Time value of the out-of-the-money option at forward 1, strike m (mpmath)."""
    k, s = mp.mpf(float(m)), mp.mpf(float(vol)) * mp.sqrt(mp.mpf(float(t)))
    x = -abs(mp.log(1 / k))
    b = mp.e ** (x / 2) * mp.ncdf(x / s + s / 2) - mp.e ** (-x / 2) * mp.ncdf(x / s - s / 2)
    return float(mp.sqrt(k) * b)


def sensitive(price, vega, vol):
    """Vega not negligible: the double price's own rounding moves σ by less than 1e-13·σ."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (price > 1e-290) & (4 * EPS * price / vega < 1e-13 * vol)


def peers():
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Before py_vollib_vectorized, which patches py_vollib's functions on import.
        try:
            from py_vollib.black.implied_volatility import implied_volatility as vollib_iv

            def vollib(price, m, t, calls):
                res = np.full(len(price), np.nan)
                for i in range(len(price)):
                    with contextlib.suppress(Exception):
                        flag = "c" if calls[i] else "p"
                        res[i] = vollib_iv(float(price[i]), 1.0, float(m[i]), 0.0, float(t[i]), flag)
                return res

            out["vollib"] = vollib
        except Exception as exc:
            print(f"vollib unavailable: {exc}")
        try:
            from py_vollib_vectorized import vectorized_implied_volatility

            def pvv(price, m, t, calls):
                flags = np.where(calls, "c", "p")
                return np.asarray(vectorized_implied_volatility(price, 1.0, m, t, 0.0, flags, return_as="numpy"))

            out["py_vollib_vectorized"] = pvv
        except Exception as exc:  # a peer that fails to import is reported, not hidden
            print(f"py_vollib_vectorized unavailable: {exc}")
        try:
            import fast_vollib

            for backend in ("numpy", "numba"):
                def fv(price, m, t, calls, backend=backend):
                    flags = np.where(calls, "c", "p")
                    return np.asarray(fast_vollib.fast_implied_volatility(
                        price, 1.0, m, t, 0.0, flags, return_as="numpy", backend=backend, on_error="ignore"))

                out[f"fast-vollib ({backend})"] = fv
        except Exception as exc:
            print(f"fast-vollib unavailable: {exc}")
        try:
            import QuantLib as ql

            def quantlib(price, m, t, calls):
                res = np.full(len(price), np.nan)
                for i in range(len(price)):
                    kind = ql.Option.Call if calls[i] else ql.Option.Put
                    with contextlib.suppress(RuntimeError):
                        res[i] = ql.blackFormulaImpliedStdDev(kind, float(m[i]), 1.0, float(price[i])) / np.sqrt(t[i])
                return res

            out["QuantLib"] = quantlib
        except Exception as exc:
            print(f"QuantLib unavailable: {exc}")
    return out


SLOW = {"QuantLib", "vollib"}


def iv_rows(n: int):
    rows = {}
    engines = {"optio": lambda p, m, t, c: implied_vol_black(p, 1.0, m, t, is_call=c).vol} | peers()
    for grid_name, grid in (("random", random_grid), ("hard", hard_grid)):
        m, t, vol, calls = grid(n)
        g = black_greeks(1.0, m, t, vol, is_call=calls)
        price = black_price(1.0, m, t, vol, is_call=calls)
        ok = sensitive(price, g.vega, vol)
        for name, fn in engines.items():
            size = min(n, 20_000) if name in SLOW else n
            sl = slice(0, size)
            args = (price[sl], m[sl], t[sl], calls[sl])
            fn(*(a[:1000] for a in args))  # warm up (numba compiles)
            rate = best_rate(lambda fn=fn, args=args: fn(*args), size, repeats=1 if name in SLOW else 3)
            iv = fn(*args)
            good = ok[sl] & np.isfinite(iv)
            sig_err = np.abs(iv - vol[sl]) / vol[sl]
            with np.errstate(invalid="ignore"):
                reprice = black_price(1.0, m[sl][good], t[sl][good], iv[good], is_call=calls[sl][good])
            rel = np.abs(reprice - price[sl][good]) / price[sl][good]
            failed = int(np.sum(ok[sl] & ~np.isfinite(iv)))
            rows[(grid_name, name)] = {
                "iv_per_s": rate,
                "max_sigma_rel_err": float(np.max(sig_err[good])) if good.any() else float("nan"),
                "max_reprice_rel_err": float(np.max(rel)) if rel.size else float("nan"),
                "p999_reprice_rel_err": float(np.quantile(rel, 0.999)) if rel.size else float("nan"),
                "failed": failed / max(int(ok[sl].sum()), 1),
            }
    return rows


def price_rows(n: int):
    m, t, vol, calls = random_grid(n)
    rate = best_rate(lambda: black_greeks(100.0, 100.0 * m, t, vol, is_call=calls), n)
    rows = {"optio price+7 Greeks (blocks, libmvec lanes)": rate}
    try:
        import fast_vollib

        flags = np.where(calls, "c", "p")

        def fv():
            fast_vollib.fast_black(flags, 100.0, 100.0 * m, t, 0.0, vol, return_as="numpy", backend="numpy")
            for greek in ("delta", "gamma", "vega", "theta", "rho"):
                getattr(fast_vollib, f"vectorized_{greek}")(flags, 100.0, 100.0 * m, t, 0.0, vol, model="black",
                                                            return_as="numpy")

        fv()
        rows["fast-vollib (numpy) price+5 Greeks"] = best_rate(fv, n)
    except Exception as exc:
        print(f"fast-vollib Greeks unavailable: {exc}")
    return rows


def truth_errors(size: int = 2000):
    """Max error of prices against mpmath (relative to the forward, and relative to the price):
    the normalised Black that black_price and IV use, and the price black_greeks gives with its
    Greeks (out-of-the-money options, so that the price is the time value)."""
    mp.mp.dps = 40
    out = {}
    for grid_name, grid in (("random", random_grid), ("hard", hard_grid)):
        m, t, vol, _calls = grid(size, seed=7)
        ours = np.sqrt(m) * otm_call(-np.abs(np.log(m)), vol * np.sqrt(t))
        with_greeks = black_greeks(1.0, m, t, vol, is_call=m >= 1.0).price
        truth = np.array([mp_time_value(*args) for args in zip(m, t, vol, strict=True)])
        live = truth > 1e-290
        out[grid_name] = {
            "max_abs_err_per_forward": float(np.max(np.abs(ours - truth))),
            "max_rel_err_time_value": float(np.max(np.abs(ours[live] - truth[live]) / truth[live])),
            "greeks_max_abs_err_per_forward": float(np.max(np.abs(with_greeks - truth))),
            "greeks_max_rel_err_time_value": float(np.max(np.abs(with_greeks[live] - truth[live]) / truth[live])),
        }
    return out


def surface_fit_ms() -> float:
    ts = np.linspace(7 / 365, 2.0, 20)
    true = [SviParams(0.02 * t, 0.1 * np.sqrt(t) + 0.02, -0.3, 0.05, 0.1 + 0.1 * t) for t in ts]
    ks = [np.linspace(-1.5 * np.sqrt(t) - 0.2, 1.5 * np.sqrt(t) + 0.2, 50) for t in ts]
    vols = [p.implied_vol(k, t) for p, k, t in zip(true, ks, ts, strict=True)]
    bid = [v - 0.005 for v in vols]
    ask = [v + 0.005 for v in vols]
    fit_surface(ts, ks, bid, ask)
    best = min(_timed(lambda: fit_surface(ts, ks, bid, ask)) for _ in range(7))
    return best * 1e3


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="options per grid (default 1,000,000)")
    n = parser.parse_args().n
    console = Console()
    ivs = iv_rows(n)
    prices = price_rows(n)
    truth = truth_errors()
    fit_ms = surface_fit_ms()

    table = Table(title=f"Implied volatility, {n:,} options per grid, one core")
    for col in ("grid", "engine", "IV/s", "× pvv", "max |Δσ|/σ", "max reprice err", "p99.9 reprice", "failed"):
        table.add_column(col, justify="right" if col not in ("grid", "engine") else "left")
    for (grid_name, name), r in ivs.items():
        base = ivs.get((grid_name, "py_vollib_vectorized"), {}).get("iv_per_s", np.nan)
        table.add_row(grid_name, name, f"{r['iv_per_s']:,.0f}", f"{r['iv_per_s'] / base:.2f}",
                      f"{r['max_sigma_rel_err']:.1e}", f"{r['max_reprice_rel_err']:.1e}",
                      f"{r['p999_reprice_rel_err']:.1e}", f"{r['failed']:.2%}")
    console.print(table)
    other = Table(title="Prices, Greeks, surface")
    other.add_column("measure")
    other.add_column("value", justify="right")
    for name, rate in prices.items():
        other.add_row(f"{name} per second", f"{rate:,.0f}")
    for grid_name, r in truth.items():
        other.add_row(f"price max |err| vs mpmath, {grid_name} grid (× forward)", f"{r['max_abs_err_per_forward']:.1e}")
        other.add_row(f"price max rel err of time value, {grid_name} grid", f"{r['max_rel_err_time_value']:.1e}")
        other.add_row(f"black_greeks price max |err|, {grid_name} grid (× forward)",
                      f"{r['greeks_max_abs_err_per_forward']:.1e}")
        other.add_row(f"black_greeks price max rel err of time value, {grid_name} grid",
                      f"{r['greeks_max_rel_err_time_value']:.1e}")
    other.add_row("SVI surface fit 20 expiries × 50 strikes (ms, best of 7)", f"{fit_ms:.2f}")
    console.print(other)
    figures = {
        "iv": {f"{g}/{name}": r for (g, name), r in ivs.items()},
        "price_greeks_per_s": prices,
        "price_vs_mpmath": truth,
        "surface_fit_ms": fit_ms,
    }
    print(json.dumps(figures, default=float))


if __name__ == "__main__":
    main()
