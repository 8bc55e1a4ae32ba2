"""The pricing engine against its peers, side by side in one run, with mpmath as the truth.

    python -m benchmarks.pricing [--seed 1] [--reps 3] [--n 1000000]

The headline figures are repeated ``--reps`` times (at least 3) on grids drawn from ``--seed`` and
reported as min/median/max, each repetition timing optio and py_vollib_vectorized side by side
(alternating which goes first): implied vol on a desk grid (F = 3000, K 0.5–2F, 1 day – 1 year,
σ 20–150%, the out-of-the-money side) and on a minutes-to-expiry crypto grid (60 s – 1 h,
σ 30–300%, strikes within ±4 total-vol standard deviations), in calls of 64 options (a chain),
price + 7 Greeks per second, and the SVI fit of a noisy crypto surface (1 day – 1 year, one-sided
wings, 1 vol point of noise): its time, its RMSE against an unconstrained per-slice fit's, its
ATM error. Then, once: the peer table below.

Peer table: throughput is options per second on one core (best of 3, the same inputs for everyone); errors
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

from optio.pricing.black_scholes import SECONDS_PER_YEAR, black_greeks, black_price
from optio.pricing.implied_vol import IVStatus, implied_vol_black
from optio.pricing.normalised_black import otm_call
from optio.pricing.surface import SsviParams, butterfly_violations, calendar_violations, fit_surface
from optio.pricing.svi import SviParams, fit_slices, rmse_vol

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


FORWARD = 3000.0


def desk_grid(n: int, rng):
    """F = 3000, K 0.5–2F, 1 day – 1 year, σ 20–150% (log-uniform), the out-of-the-money side."""
    strike = FORWARD * np.exp(rng.uniform(np.log(0.5), np.log(2.0), n))
    t = np.exp(rng.uniform(np.log(1 / 365), 0.0, n))
    vol = np.exp(rng.uniform(np.log(0.2), np.log(1.5), n))
    return strike, t, vol, strike >= FORWARD


def crypto_grid(n: int, rng):
    """Minutes to expiry: 60 s – 1 h, σ 30–300% (log-uniform), ln(K/F) within ±4 σ√T, the
    out-of-the-money side."""
    t = np.exp(rng.uniform(np.log(60.0), np.log(3600.0), n)) / SECONDS_PER_YEAR
    vol = np.exp(rng.uniform(np.log(0.3), np.log(3.0), n))
    strike = FORWARD * np.exp(rng.uniform(-4.0, 4.0, n) * vol * np.sqrt(t))
    return strike, t, vol, strike >= FORWARD


def spread(values) -> dict:
    """min, median and max of repeated measurements."""
    v = np.asarray(values, dtype=float)
    return {"min": float(np.min(v)), "median": float(np.median(v)), "max": float(np.max(v))}


def _pvv_black(price, strike, t, calls):
    from py_vollib_vectorized import vectorized_implied_volatility

    flags = np.where(calls, "c", "p")
    return np.asarray(vectorized_implied_volatility(price, FORWARD, strike, t, 0.0, flags, return_as="numpy"))


def _optio_black(price, strike, t, calls):
    return implied_vol_black(price, FORWARD, strike, t, is_call=calls).vol


def side_by_side(grid, reps: int):
    """IV ratio to py_vollib_vectorized on one grid, ``reps`` times (each a timing of both on the
    same inputs, alternating which runs first), and both engines' accuracy."""
    strike, t, vol, calls = grid
    price = black_price(FORWARD, strike, t, vol, is_call=calls)
    engines = {"optio": _optio_black, "py_vollib_vectorized": _pvv_black}
    for fn in engines.values():
        fn(price[:1000], strike[:1000], t[:1000], calls[:1000])  # compile
    times = {name: [] for name in engines}
    for r in range(reps):
        for name in (list(engines) if r % 2 == 0 else list(engines)[::-1]):
            times[name].append(_timed(lambda name=name: engines[name](price, strike, t, calls)))
    ratios = [p / o for p, o in zip(times["py_vollib_vectorized"], times["optio"], strict=True)]
    g = black_greeks(FORWARD, strike, t, vol, is_call=calls)
    ok = sensitive(price, g.vega, vol)
    accuracy = {}
    for name, fn in engines.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            iv = fn(price, strike, t, calls)
        good = ok & np.isfinite(iv)
        with np.errstate(invalid="ignore"):
            back = black_price(FORWARD, strike[good], t[good], iv[good], is_call=calls[good])
        accuracy[name] = {
            "iv_per_s_median": float(strike.size / np.median(times[name])),
            "max_sigma_rel_err": float(np.max(np.abs(iv[good] - vol[good]) / vol[good])),
            "max_reprice_rel_err": float(np.max(np.abs(back - price[good]) / price[good])),
            "failed": float(np.sum(ok & ~np.isfinite(iv)) / max(int(ok.sum()), 1)),
        }
    status = implied_vol_black(price, FORWARD, strike, t, is_call=calls).status
    accuracy["optio"]["no_information"] = float(np.mean(status == IVStatus.NO_INFORMATION))
    return {"ratio": spread(ratios), "engines": accuracy}


def batch64(grid, reps: int, calls_per_rep: int = 400):
    """IV ratio at 64 options a call (a chain), ``calls_per_rep`` calls a repetition."""
    strike, t, vol, calls = (a[:64 * calls_per_rep] for a in grid)
    price = black_price(FORWARD, strike, t, vol, is_call=calls)
    chunks = [slice(i, i + 64) for i in range(0, strike.size, 64)]
    engines = {"optio": _optio_black, "py_vollib_vectorized": _pvv_black}
    times = {name: [] for name in engines}
    for fn in engines.values():
        fn(price[:64], strike[:64], t[:64], calls[:64])

    def loop(fn):
        for c in chunks:
            fn(price[c], strike[c], t[c], calls[c])

    for r in range(reps):
        for name in (list(engines) if r % 2 == 0 else list(engines)[::-1]):
            times[name].append(_timed(lambda name=name: loop(engines[name])))
    ratios = [p / o for p, o in zip(times["py_vollib_vectorized"], times["optio"], strict=True)]
    return {"ratio": spread(ratios), "optio_us_per_call_median": float(np.median(times["optio"]) / len(chunks) * 1e6)}


def greeks_rates(grid, reps: int):
    strike, t, vol, calls = grid
    black_greeks(FORWARD, strike[:1000], t[:1000], vol[:1000], is_call=calls[:1000])
    rates = [strike.size / _timed(lambda: black_greeks(FORWARD, strike, t, vol, is_call=calls)) for _ in range(reps)]
    return spread(rates)


def noisy_crypto_surface(rng, expiries: int = 20, strikes: int = 50):
    """A crypto-like arbitrage-free surface (SSVI, η(1 + |ρ|) ≤ 2), 1 day – 1 year, quoted with one
    vol point of noise: strikes from −2 to +4 ATM standard deviations, the far call wing (k above
    2.5 of them) quoted on the ask only (one-sided, no weight), spreads widening in the wings."""
    t = np.exp(np.linspace(np.log(1 / 365), 0.0, expiries))
    rho = rng.uniform(-0.35, 0.1)
    eta = rng.uniform(0.8, 1.9 / (1 + abs(rho)))
    atm = rng.uniform(0.45, 0.7) + rng.uniform(0.05, 0.3) * np.exp(-t / rng.uniform(0.03, 0.2))
    true = SsviParams(rho=rho, eta=eta, gamma=0.5)
    slices = [true.slice(a * a * ti) for a, ti in zip(atm, t, strict=True)]
    ks, bid, ask = [], [], []
    for p, ti, a in zip(slices, t, atm, strict=True):
        sd = a * np.sqrt(ti)
        k = np.linspace(-2.0 * sd, 4.0 * sd, strikes)
        mid = p.implied_vol(k, ti) + rng.normal(0.0, 0.01, strikes)
        half = 0.005 + 0.0025 * np.abs(k) / sd
        b = mid - half
        b[k > 2.5 * sd] = np.nan
        ks.append(k)
        bid.append(b)
        ask.append(mid + half)
    return t, ks, bid, ask, slices, atm


def svi_noisy(seed: int, reps: int):
    """Each repetition a surface of its own (from the seed): fit time (best of 3, standalone calls),
    RMSE against the unconstrained per-slice raw SVI fit of the same quotes, ATM error against
    the true surface, and what bounds that error: the unconstrained fit's own ATM error against
    the truth (one vol point of noise on ~37 two-sided quotes leaves a five-parameter slice
    ~0.3 vol points off at the money, so the worst of 20 is ~0.5–1.2 whatever the constraints),
    and how far ours sits from the unconstrained fit at the money; and a floor below every
    per-slice fit: the true smile's shape given, only its level fitted per slice (the weighted
    mean of the quotes' vol residuals). Arbitrage found on |k| ≤ 10 by the checks of
    ``optio.pricing.surface`` (butterfly, calendar) is counted."""
    times, ratios, atm_errors, free_atm, shift, found, methods = [], [], [], [], [], [], []
    shape_known = []
    for r in range(reps):
        t, ks, bid, ask, true, atm = noisy_crypto_surface(np.random.default_rng([seed, r]))
        fit = fit_surface(t, ks, bid, ask)
        times.append(min(_timed(lambda t=t, ks=ks, bid=bid, ask=ask: fit_surface(t, ks, bid, ask)) for _ in range(3)))
        mids = [np.where(np.isfinite(b), 0.5 * (b + a), np.nan) for b, a in zip(bid, ask, strict=True)]
        weights = [np.where(np.isfinite(b), 1.0 / np.maximum(a - b, 0.005), 0.0) for b, a in zip(bid, ask, strict=True)]
        total = [np.where(np.isfinite(v), v, 0.0) ** 2 * ti for v, ti in zip(mids, t, strict=True)]
        free = fit_slices(ks, total, weights, t)
        ours = [rmse_vol(p, k, w, q, ti) for p, k, w, q, ti in zip(fit.slices, ks, total, weights, t, strict=True)]
        ratios.append(float(np.sqrt(np.mean(np.square(ours))) / np.sqrt(np.mean([f.rmse_vol ** 2 for f in free]))))
        ours_atm = np.array([fit.implied_vol(i, 0.0) for i in range(len(t))])
        free_atm_i = np.array([f.params.implied_vol(0.0, ti) for f, ti in zip(free, t, strict=True)])
        atm_errors.append(float(100 * np.max(np.abs(ours_atm - atm))))
        free_atm.append(float(100 * np.max(np.abs(free_atm_i - atm))))
        shift.append(float(100 * np.max(np.abs(ours_atm - free_atm_i))))
        levels = [np.sum(q * (np.nan_to_num(v) - p.implied_vol(k, ti))) / np.sum(q)
                  for p, k, v, q, ti in zip(true, ks, mids, weights, t, strict=True)]
        shape_known.append(float(100 * np.max(np.abs(levels))))
        butterflies = [butterfly_violations(p, ti) for p, ti in zip(fit.slices, fit.expiry_years, strict=True)]
        found.append(len(calendar_violations(fit.expiry_years, fit.slices)) + sum(map(len, butterflies)))
        methods.append(fit.method)
    return {"fit_ms": spread(np.array(times) * 1e3), "rmse_ratio": spread(ratios), "atm_err_vp": spread(atm_errors),
            "free_atm_err_vp": spread(free_atm), "atm_shift_from_free_vp": spread(shift),
            "shape_known_atm_err_vp": spread(shape_known),
            "arbitrage_found": int(np.sum(found)), "methods": methods}


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
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
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


def iv_rows(n: int, peer_engines: dict):
    rows = {}
    engines = {"optio": lambda p, m, t, c: implied_vol_black(p, 1.0, m, t, is_call=c).vol} | peer_engines
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
    parser.add_argument("--seed", type=int, default=1, help="seed of the desk, crypto and SVI draws (default 1)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of each headline figure (at least 3)")
    parser.add_argument("--no-peers", action="store_true", help="skip the peer table (random and hard grids)")
    args = parser.parse_args()
    n, reps = args.n, max(args.reps, 3)
    console = Console()
    # The peers first: py_vollib_vectorized patches py_vollib's functions on import.
    peer_engines = {} if args.no_peers else peers()
    warnings.simplefilter("ignore")  # py_vollib_vectorized warns per call, listing indices
    rng = np.random.default_rng(args.seed)
    desk, crypto = desk_grid(n, rng), crypto_grid(n, rng)
    headline = {
        "desk": side_by_side(desk, reps),
        "crypto": side_by_side(crypto, reps),
        "batch64": batch64(desk_grid(64 * 400, rng), reps),
        "greeks_per_s": greeks_rates(desk, reps),
        "svi_noisy": svi_noisy(args.seed, reps),
    }
    head = Table(title=f"Seed {args.seed}, {reps} repetitions, {n:,} options per grid, one core: min / median / max")
    for col in ("measure", "min", "median", "max"):
        head.add_column(col, justify="left" if col == "measure" else "right")
    rows = [("IV × py_vollib_vectorized, desk grid", headline["desk"]["ratio"], "{:.2f}"),
            ("IV × py_vollib_vectorized, crypto minutes grid", headline["crypto"]["ratio"], "{:.2f}"),
            ("IV × py_vollib_vectorized, 64 options a call", headline["batch64"]["ratio"], "{:.2f}"),
            ("price + 7 Greeks per second, desk grid", headline["greeks_per_s"], "{:,.0f}"),
            ("SVI noisy surface fit 20 × 50, ms (best of 3 calls)", headline["svi_noisy"]["fit_ms"], "{:.2f}"),
            ("SVI noisy RMSE, ours / unconstrained per slice", headline["svi_noisy"]["rmse_ratio"], "{:.3f}"),
            ("SVI noisy max ATM error, vol points", headline["svi_noisy"]["atm_err_vp"], "{:.3f}"),
            ("  the same for the unconstrained per-slice fit (noise floor)", headline["svi_noisy"]["free_atm_err_vp"],
             "{:.3f}"),
            ("  ours against the unconstrained fit at the money, vol points",
             headline["svi_noisy"]["atm_shift_from_free_vp"], "{:.3f}"),
            ("  floor: true smile shape given, its level fitted per slice",
             headline["svi_noisy"]["shape_known_atm_err_vp"], "{:.3f}")]
    for name, values, fmt in rows:
        head.add_row(name, *(fmt.format(values[q]) for q in ("min", "median", "max")))
    console.print(head)
    acc = Table(title="Implied vol accuracy on the headline grids (σ errors where vega is not negligible)")
    for col in ("grid", "engine", "IV/s (median)", "max |Δσ|/σ", "max reprice err", "failed"):
        acc.add_column(col, justify="left" if col in ("grid", "engine") else "right")
    for grid_name in ("desk", "crypto"):
        for name, r in headline[grid_name]["engines"].items():
            acc.add_row(grid_name, name, f"{r['iv_per_s_median']:,.0f}", f"{r['max_sigma_rel_err']:.1e}",
                        f"{r['max_reprice_rel_err']:.1e}", f"{r['failed']:.2%}")
    console.print(acc)
    console.print(f"SVI noisy surfaces fitted as: {', '.join(headline['svi_noisy']['methods'])}; arbitrage found on "
                  f"|k| ≤ 10: {headline['svi_noisy']['arbitrage_found']}")
    keys = {
        "seed": args.seed,
        "reps": reps,
        "iv_ratio_desk_median": headline["desk"]["ratio"]["median"],
        "iv_ratio_crypto_median": headline["crypto"]["ratio"]["median"],
        "iv_ratio_batch64_median": headline["batch64"]["ratio"]["median"],
        "greeks_per_s_median": headline["greeks_per_s"]["median"],
        "svi_noisy_fit_ms_median": headline["svi_noisy"]["fit_ms"]["median"],
        "svi_noisy_rmse_ratio": headline["svi_noisy"]["rmse_ratio"]["median"],
        "svi_noisy_atm_err_vp": headline["svi_noisy"]["atm_err_vp"]["median"],
        "svi_noisy_free_atm_err_vp": headline["svi_noisy"]["free_atm_err_vp"]["median"],
        "svi_noisy_atm_shift_from_free_vp": headline["svi_noisy"]["atm_shift_from_free_vp"]["median"],
        "svi_noisy_shape_known_atm_err_vp": headline["svi_noisy"]["shape_known_atm_err_vp"]["median"],
        "svi_noisy_arbitrage_found": headline["svi_noisy"]["arbitrage_found"],
    }
    if args.no_peers:
        print(json.dumps(keys | {"headline": headline}, default=float))
        return
    ivs = iv_rows(n, peer_engines)
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
    figures = keys | {
        "headline": headline,
        "iv": {f"{g}/{name}": r for (g, name), r in ivs.items()},
        "price_greeks_per_s": prices,
        "price_vs_mpmath": truth,
        "surface_fit_ms": fit_ms,
    }
    print(json.dumps(figures, default=float))


if __name__ == "__main__":
    main()
