"""PNG of fitted smiles against market bid/ask/mark vols, one panel per expiry (matplotlib, Agg)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from optio.pricing.market_surface import SmilePoints
from optio.pricing.surface import SurfaceFit


def plot_smiles(fit: SurfaceFit, smiles: list[SmilePoints], path: Path, *, title: str = "") -> None:
    n = len(smiles)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.6 * rows), squeeze=False)
    for ax, smile, params in zip(axes.ravel(), smiles, fit.slices, strict=False):
        k = smile.log_moneyness
        grid = np.linspace(k.min() - 0.1, k.max() + 0.1, 200)
        ax.plot(grid, 100 * params.implied_vol(grid, smile.expiry_years), color="tab:blue", label=f"SVI ({fit.method})")
        ax.vlines(k, 100 * smile.bid_vol, 100 * smile.ask_vol, color="grey", alpha=0.6, label="bid–ask")
        ax.scatter(k, 100 * smile.mark_vol, s=10, color="tab:orange", label="venue mark", zorder=3)
        ax.set_title(f"T = {smile.expiry_years * 365:.1f} days, F = {smile.forward:,.0f}")
        ax.set_xlabel("log-moneyness ln(K/F)")
        ax.set_ylabel("implied vol (%)")
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
