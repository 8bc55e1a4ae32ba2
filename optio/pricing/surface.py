"""A volatility surface from market quotes: SVI per expiry, free of static arbitrage.

Pipeline (:func:`fit_surface`):
1. market points (log-moneyness, bid/ask implied vols) → mid total variance and weights
   ``1/max(ask_vol − bid_vol, floor)`` (tight quotes count more; one-sided quotes not at all);
2. one raw SVI per expiry fitted under the no-arbitrage constraints, in order of T
   (:func:`optio.pricing.svi.fit_arbitrage_free`): Gatheral's density ``g(k) ≥ 0`` and total
   variance at or above the previous expiry's, on ``|k| ≤ 10``, so there is nothing to repair;
   if it misses the quotes by more than ``max_rmse_vol`` (the quotes themselves are not
   arbitrage-free) the surface is rejected with the reason.

The older pipeline stays behind ``constrained=False``: unconstrained slices
(:func:`optio.pricing.svi.fit_slices`), the checks below (butterfly per slice, calendar across
slices), and on a violation a repair by an SSVI fit of the whole surface (Gatheral–Jacquier
power-law, free of static arbitrage when ``η(1+|ρ|) ≤ 2`` and ``0 < γ ≤ ½``) or a rejection.

Units: k = ln(K/F); T in years; vols annualised (1.0 = 100%); total variance = vol²·T.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from optio.pricing.svi import SliceFit, SviParams, check_grid, fit_arbitrage_free, fit_slices, rmse_vol


@dataclass(frozen=True)
class Violation:
    """One static-arbitrage finding: ``kind`` is 'butterfly' or 'calendar'."""

    kind: str
    expiry_years: float
    log_moneyness: float
    amount: float
    detail: str


@dataclass(frozen=True)
class SsviParams:
    """SSVI (power-law φ): ``w(k, θ) = θ/2·(1 + ρφk + √((φk + ρ)² + 1 − ρ²))``, ``φ = η/(θ^γ(1+θ)^{1−γ})``."""

    rho: float
    eta: float
    gamma: float

    def phi(self, theta):
        return self.eta / (np.power(theta, self.gamma) * np.power(1.0 + theta, 1.0 - self.gamma))

    def slice(self, theta: float) -> SviParams:
        """The raw SVI slice at ATM total variance ``theta`` (Gatheral–Jacquier 2014, lemma 3.3)."""
        phi = float(self.phi(theta))
        root = float(np.sqrt(1.0 - self.rho * self.rho))
        return SviParams(a=0.5 * theta * (1 - self.rho**2), b=0.5 * theta * phi, rho=self.rho, m=-self.rho / phi,
                         sigma=root / phi)


@dataclass
class SurfaceFit:
    """Fitted surface: one raw SVI per expiry (ascending T), how it was obtained, and why not if rejected."""

    expiry_years: np.ndarray
    slices: list[SviParams]
    rmse_vol: np.ndarray
    method: str  # "svi" (constrained, or unconstrained and found arbitrage-free), "ssvi-repair" or "rejected"
    violations: list[Violation] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    ssvi: SsviParams | None = None

    @property
    def accepted(self) -> bool:
        return self.method != "rejected"

    def implied_vol(self, expiry_index: int, log_moneyness) -> np.ndarray:
        return self.slices[expiry_index].implied_vol(log_moneyness, self.expiry_years[expiry_index])


def butterfly_violations(params: SviParams, expiry_years: float, tolerance: float = 1e-10) -> list[Violation]:
    """Points of negative density ``g(k) < −tolerance`` on :func:`optio.pricing.svi.check_grid`
    (|k| ≤ 10 and ±6√T around ``m``; worst one reported)."""
    k = check_grid(params, expiry_years)
    g = params.density(k)
    bad = g < -tolerance
    if not bad.any():
        return []
    i = int(np.argmin(g))
    return [Violation("butterfly", expiry_years, float(k[i]), float(-g[i]),
                      f"density g(k) = {g[i]:.3g} < 0 at k = {k[i]:.3f} (T = {expiry_years:.4f}y)")]


def calendar_violations(expiry_years, slices: list[SviParams], tolerance: float = 1e-10) -> list[Violation]:
    """Pairs of consecutive expiries where total variance decreases with T at some k (on both
    slices' :func:`optio.pricing.svi.check_grid`, so |k| ≤ 10 and ±6√T around each ``m``)."""
    found = []
    for i in range(1, len(slices)):
        # Concatenated, not merged: a point checked twice costs less than sorting 4,500 of them.
        k = np.concatenate([check_grid(slices[i - 1], expiry_years[i - 1]), check_grid(slices[i], expiry_years[i])])
        drop = slices[i - 1].total_variance(k) - slices[i].total_variance(k)
        j = int(np.argmax(drop))
        if drop[j] > tolerance:
            found.append(Violation("calendar", float(expiry_years[i]), float(k[j]), float(drop[j]),
                                   f"total variance falls by {drop[j]:.3g} from T = {expiry_years[i - 1]:.4f}y "
                                   f"to {expiry_years[i]:.4f}y at k = {k[j]:.3f}"))
    return found


def fit_surface(
    expiry_years,
    log_moneyness: list[np.ndarray],
    bid_vol: list[np.ndarray],
    ask_vol: list[np.ndarray],
    *,
    constrained: bool = True,
    repair: bool = True,
    max_rmse_vol: float = 0.05,
    spread_floor: float = 0.005,
) -> SurfaceFit:
    """Fit a surface free of static arbitrage from bid/ask implied vols (module docstring).

    Args:
        expiry_years: time to each expiry in years (any order; the result is sorted).
        log_moneyness: per expiry, ``ln(K/F)`` of each quote.
        bid_vol, ask_vol: per expiry, annualised implied vols of the bid and the ask; NaN for a
            missing side (such a one-sided quote is not fitted: it only bounds the smile).
        constrained: fit under the no-arbitrage constraints (default); False: the older
            fit-check-repair pipeline.
        repair: (``constrained=False`` only) on an arbitrage violation, refit as SSVI (else reject).
        max_rmse_vol: weighted RMSE in vol above which a constrained or repaired surface is rejected.
        spread_floor: smallest bid-ask vol spread used in weights (vol units).
    """
    t = np.asarray(expiry_years, dtype=np.float64)
    order = np.argsort(t)
    t = t[order]
    ks = [np.asarray(log_moneyness[i], dtype=np.float64) for i in order]
    targets, weights = [], []
    for i in order:
        bid, ask = np.asarray(bid_vol[i], dtype=np.float64), np.asarray(ask_vol[i], dtype=np.float64)
        two_sided = np.isfinite(bid) & np.isfinite(ask)
        # A one-sided quote (a far wing with no bid) only bounds the smile: it gets no weight.
        targets.append(np.where(two_sided, 0.5 * (bid + ask), np.nan))
        weights.append(np.where(two_sided, 1.0 / np.maximum(ask - bid, spread_floor), 0.0))
    total_var = [np.where(np.isfinite(v), v, 0.0) ** 2 * ti for v, ti in zip(targets, t, strict=True)]
    if constrained:
        fits, notes = fit_arbitrage_free(ks, total_var, weights, t)
        slices = [f.params for f in fits]
        rmse = np.array([f.rmse_vol for f in fits])
        if np.max(rmse) > max_rmse_vol:
            worst = int(np.argmax(rmse))
            why = (f"the arbitrage-free fit misses the quotes of T = {t[worst]:.4f}y by RMSE {rmse[worst]:.4f} "
                   f"> {max_rmse_vol} in vol (the quotes are not free of arbitrage, or not SVI-shaped)")
            return SurfaceFit(t, slices, rmse, "rejected", reasons=[*notes, why])
        return SurfaceFit(t, slices, rmse, "svi", reasons=notes)
    fits: list[SliceFit] = fit_slices(ks, total_var, weights, t)
    slices = [f.params for f in fits]
    rmse = np.array([f.rmse_vol for f in fits])
    violations = [v for f in fits for v in butterfly_violations(f.params, f.expiry_years)]
    violations += calendar_violations(t, slices)
    if not violations:
        return SurfaceFit(t, slices, rmse, "svi")
    reasons = [v.detail for v in violations]
    if not repair:
        return SurfaceFit(t, slices, rmse, "rejected", violations, reasons)
    ssvi, thetas = fit_ssvi(t, ks, total_var, weights)
    repaired = [ssvi.slice(th) for th in thetas]
    rmse_r = np.array([rmse_vol(*args) for args in zip(repaired, ks, total_var, weights, t, strict=True)])
    left = [v for p, ti in zip(repaired, t, strict=True) for v in butterfly_violations(p, ti)]
    left += calendar_violations(t, repaired)
    if left or np.max(rmse_r) > max_rmse_vol:
        why = [v.detail for v in left] or [f"SSVI repair fits with RMSE {np.max(rmse_r):.4f} > {max_rmse_vol} in vol"]
        return SurfaceFit(t, slices, rmse, "rejected", violations, reasons + why, ssvi)
    return SurfaceFit(t, repaired, rmse_r, "ssvi-repair", violations, reasons, ssvi)


def _atm_total_variance(k, w, q) -> float:
    """Total variance at k = 0, interpolated linearly between the weighted market points."""
    used = q > 0
    order = np.argsort(k[used])
    return float(np.interp(0.0, k[used][order], w[used][order]))


def fit_ssvi(expiry_years, log_moneyness, total_variance, weights) -> tuple[SsviParams, np.ndarray]:
    """Fit SSVI: ATM total variances θ_T (made non-decreasing) then (ρ, η, γ) under
    ``η(1+|ρ|) ≤ 2`` and ``0 < γ ≤ ½`` (bounds on a reparametrisation), by least squares."""
    thetas = np.array([_atm_total_variance(*args) for args in zip(log_moneyness, total_variance, weights, strict=True)])
    thetas = np.maximum.accumulate(np.maximum(thetas, 1e-8))  # calendar: θ non-decreasing
    k_all = np.concatenate(log_moneyness)
    w_all = np.concatenate(total_variance)
    q_all = np.sqrt(np.concatenate([q / max(q.sum(), 1e-300) for q in weights]))
    th_all = np.concatenate([np.full(len(k), th) for k, th in zip(log_moneyness, thetas, strict=True)])

    def unpack(z):
        rho = np.tanh(z[0]) * 0.999
        eta = 2.0 / (1.0 + abs(rho)) / (1.0 + np.exp(-z[1]))  # η(1+|ρ|) < 2
        gamma = 0.5 / (1.0 + np.exp(-z[2]))  # 0 < γ < ½
        return SsviParams(float(rho), float(eta), float(gamma))

    def residuals(z):
        p = unpack(z)
        phi = p.phi(th_all)
        model = 0.5 * th_all * (1 + p.rho * phi * k_all + np.sqrt((phi * k_all + p.rho) ** 2 + 1 - p.rho**2))
        return q_all * (model - w_all)

    # Imported here, not at the top: the default (constrained) path needs no scipy.optimize (0.2 s).
    from scipy.optimize import least_squares

    best = min((least_squares(residuals, z0, method="lm") for z0 in ([-0.3, 0.0, 0.0], [0.3, 0.0, 0.0])),
               key=lambda r: r.cost)
    return unpack(best.x), thetas
