"""A backtest's report folder: PNG plots, one HTML page that shows them with the figures, and
the figures as JSON (``figures.json``, the same object the CLI prints last)."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter

from optio.pricing.black_scholes import SECONDS_PER_YEAR
from optio.pricing.smile_model import skewed_slice
from optio.sim.backtest.driver import ASSET, VAULTS
from optio.sim.backtest.result import Result

PLOTS = ("nav_share_price.png", "pnl.png", "utilisation.png", "vol_surface.png")


def write_report(result: Result, out: Path) -> Path:
    """Write the folder ``out`` (created if missing); returns the HTML page's path."""
    out.mkdir(parents=True, exist_ok=True)
    days = (np.asarray(result.times) - result.times[0]) / 86400
    _nav_and_share_price(result, days, out / PLOTS[0])
    _pnl(result, out / PLOTS[1])
    _utilisation(result, days, out / PLOTS[2])
    _vol_surface(result, out / PLOTS[3])
    figures = result.summary()
    (out / "figures.json").write_text(json.dumps(figures, indent=2))
    page = out / "index.html"
    page.write_text(_html(result, figures))
    return page


COLORS = {"call": "tab:blue", "put": "tab:red"}


def nav_figure(r: Result, days: np.ndarray):
    """Spot, then one panel per vault: its NAV in its own asset (left axis) — no twin axes, each
    panel has one unit — and its share price beneath, both vaults' on one axis (assets per share,
    both start at 1)."""
    fig, axes = plt.subplots(2 + len(VAULTS), 1, figsize=(10, 11), sharex=True,
                             gridspec_kw={"height_ratios": [1, *([1] * len(VAULTS)), 1]})
    axes[0].plot(days, r.spots, color="black", lw=1)
    axes[0].set_ylabel("spot (USDC per WETH)")
    for ax, vault in zip(axes[1:], VAULTS, strict=False):
        ax.plot(days, r.nav[vault], color=COLORS[vault])
        ax.set_ylabel(f"{vault} vault NAV ({ASSET[vault]})")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.6g}"))  # 1,350,000, not 1.35 × 1e6
        ax.set_title(f"{vault} vault: NAV, max drawdown of its share price {r.max_drawdown(vault):.2%}, "
                     f"LP yield {r.annualised_yield(vault):+.2%} a year", fontsize=9, loc="left")
    for vault in VAULTS:
        axes[-1].plot(days, r.share_price[vault], color=COLORS[vault], label=f"{vault} vault")
    axes[-1].set_ylabel("share price (assets per share)")
    axes[-1].legend()
    axes[-1].set_xlabel("day")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle(f"{r.mode} mode, seed {r.scenario.seed}")
    fig.tight_layout()
    return fig


def _nav_and_share_price(r: Result, days: np.ndarray, path: Path) -> None:
    fig = nav_figure(r, days)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _pnl(r: Result, path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, vault in zip(axes, VAULTS, strict=True):
        parts = r.pnl_breakdown(vault)
        names = list(parts)
        values = [parts[n] for n in names]
        colors = ["tab:grey" if n == "total" else ("tab:green" if v >= 0 else "tab:red") for n, v in zip(names, values,
                                                                                                           strict=True)]
        ax.bar(names, values, color=colors)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title(f"{vault} vault LP P&L ({ASSET[vault]})")
        ax.tick_params(axis="x", rotation=20)
        ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _utilisation(r: Result, days: np.ndarray, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(10, 3.5))
    for vault, color in zip(VAULTS, ("tab:blue", "tab:red"), strict=True):
        ax.plot(days, 100 * np.asarray(r.utilisation[vault]), color=color, label=f"{vault} vault")
    ax.axhline(100 * r.scenario.max_utilisation, color="black", ls="--", lw=0.8, label="limit")
    ax.set_ylabel("utilisation (%)")
    ax.set_xlabel("day")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _vol_surface(r: Result, path: Path) -> None:
    """Left: each board's posted ATM vol over time. Right: implied vol by moneyness and time of
    the nearest board (over two days out), as posted."""
    if not r.surfaces:
        return
    t0 = r.times[0]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [1, 1.3]})
    for expiry in sorted({e for _, e, _ in r.surfaces}):
        pts = [((t - t0) / 86400, 100 * atm) for t, e, atm in r.surfaces if e == expiry]
        ax1.plot(*zip(*pts, strict=True), lw=1, label=datetime.fromtimestamp(expiry, UTC).strftime("%d %b"))
    ax1.set_xlabel("day")
    ax1.set_ylabel("ATM vol posted (%)")
    ax1.legend(fontsize=7, title="expiry", title_fontsize=7)
    ax1.grid(alpha=0.3)
    k = np.linspace(-0.4, 0.4, 41)
    nearest: dict[int, tuple[int, float]] = {}
    for t, expiry, atm in r.surfaces:
        if expiry - t >= 2 * 86400 and (t not in nearest or expiry < nearest[t][0]):
            nearest[t] = (expiry, atm)
    stamps = sorted(nearest)
    if stamps:
        grid = np.array([skewed_slice(nearest[t][1], (nearest[t][0] - t) / SECONDS_PER_YEAR)
                         .implied_vol(k, (nearest[t][0] - t) / SECONDS_PER_YEAR) for t in stamps]).T
        mesh = ax2.pcolormesh((np.asarray(stamps) - t0) / 86400, k, 100 * grid, shading="nearest", cmap="viridis")
        fig.colorbar(mesh, ax=ax2, label="implied vol (%)")
    ax2.set_xlabel("day")
    ax2.set_ylabel("log-moneyness ln(K/S)")
    ax2.set_title("nearest board's smile, as posted", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _html(r: Result, figures: dict) -> str:
    rows = []
    for vault in VAULTS:
        v = figures["vaults"][vault]
        pnl = v["pnl"]
        rows.append(
            f"<tr><td>{vault}</td><td>{v['nav']:,.4f} {ASSET[vault]}</td><td>{v['share_price']:.6f}</td>"
            f"<td>{pnl['premiums']:,.4f}</td><td>{pnl['fees']:,.4f}</td><td>{pnl['option_pnl']:,.4f}</td>"
            f"<td>{pnl['liquidations']:,.4f}</td><td>{pnl['total']:,.4f}</td><td>{v['max_utilisation']:.1%}</td>"
            f"<td>{v['max_drawdown']:.2%}</td><td>{v['annualised_yield']:+.2%}</td></tr>")
    counts = "".join(f"<li>{html.escape(k)}: {v}</li>" for k, v in sorted(figures["counts"].items()))
    refused = sorted(figures["rejected"].items())
    rejected = "".join(f"<li>{html.escape(k)}: {v}</li>" for k, v in refused) or "<li>none</li>"
    start = datetime.fromtimestamp(r.times[0], UTC).strftime("%Y-%m-%d %H:%M UTC")
    images = "".join(f'<p><img src="{name}" alt="{name}" style="max-width:100%"></p>' for name in PLOTS)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Optio backtest, seed {r.scenario.seed}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}td,th{{padding:4px 10px;text-align:right}}
table{{border-collapse:collapse}}tr:nth-child(even){{background:#f3f3f3}}</style></head><body>
<h1>Optio backtest</h1>
<p>{html.escape(r.mode)} mode · seed {r.scenario.seed} · {r.scenario.days:g} days from {start} at
{r.scenario.step_hours:g}-hour steps · {r.scenario.traders} traders ({r.scenario.sellers} on margin),
{r.scenario.lps} LPs · ran in {r.elapsed_s:.1f} s</p>
<table><tr><th>vault</th><th>NAV</th><th>share price</th><th>premiums</th><th>fees</th><th>option P&amp;L</th>
<th>liquidations</th><th>LP P&amp;L</th><th>max utilisation</th><th>max drawdown</th>
<th>LP yield / year</th></tr>{''.join(rows)}</table>
<p>Max drawdown: the largest fall of the share price from an earlier high. LP yield: the share
price's growth over the run, compounded to a 365-day year.</p>
<h2>Activity</h2><ul>{counts}</ul><h2>Refused by the protocol</h2><ul>{rejected}</ul>
{images}
<p>Figures: <a href="figures.json">figures.json</a></p></body></html>
"""
