"""Raw SVI slices of total implied variance, their static-arbitrage checks and a robust fit.

Units: log-moneyness ``k = ln(K/F)``; total variance ``w = σ_imp²·T`` (T in years), so the
parameters ``a`` (variance), ``b`` (slope), ``m`` (moneyness) and ``sigma`` (moneyness) carry
total-variance units and ``rho`` ∈ (−1, 1) is a correlation. ``w(k) = a + b(ρ(k−m) + √((k−m)² + σ²))``.

Fit (why by hand): a 5-parameter least squares from one start falls into local minima on wide
moneyness and short tenors. We use the quasi-explicit split (Zeliade 2009): for fixed ``(m, σ)``
the slice is linear in ``(a, ρbσ, bσ)``, solved exactly by weighted least squares; ``(m, σ)`` is
searched on a grid and then on finer grids around the best point, vectorised over every grid
point *and every expiry at once*, so a 20×50 surface fits in milliseconds with no local start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Lee's moment bound on the wing slopes of total variance: b(1 + |ρ|) ≤ 2.
WING_LIMIT = 2.0


@dataclass(frozen=True)
class SviParams:
    """Raw SVI parameters of one expiry, in total-variance units (see the module docstring)."""

    a: float
    b: float
    rho: float
    m: float
    sigma: float

    def total_variance(self, k) -> np.ndarray:
        """``w(k)``, total variance at log-moneyness ``k = ln(K/F)``."""
        d = np.asarray(k, dtype=np.float64) - self.m
        return self.a + self.b * (self.rho * d + np.sqrt(d * d + self.sigma * self.sigma))

    def implied_vol(self, k, expiry_years) -> np.ndarray:
        """Annualised implied vol ``√(w(k)/T)`` (1.0 = 100%)."""
        return np.sqrt(np.maximum(self.total_variance(k), 0.0) / expiry_years)

    def derivatives(self, k) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``w``, ``w'`` and ``w''`` in ``k``."""
        d = np.asarray(k, dtype=np.float64) - self.m
        root = np.sqrt(d * d + self.sigma * self.sigma)
        w = self.a + self.b * (self.rho * d + root)
        w1 = self.b * (self.rho + d / root)
        w2 = self.b * self.sigma * self.sigma / root**3
        return w, w1, w2

    def density(self, k) -> np.ndarray:
        """Gatheral's ``g(k)``: the risk-neutral density is ``g(k)·φ(d₋)/√w``, so g ≥ 0 ⟺ no butterfly arbitrage."""
        w, w1, w2 = self.derivatives(k)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = (1.0 - k * w1 / (2.0 * w)) ** 2 - 0.25 * w1 * w1 * (1.0 / w + 0.25) + 0.5 * w2
        return np.where(w > 0, g, -np.inf)

    @property
    def min_variance(self) -> float:
        """Minimum of ``w`` over k: ``a + b·σ·√(1−ρ²)``."""
        return self.a + self.b * self.sigma * float(np.sqrt(1.0 - self.rho * self.rho))

    def shape_problems(self) -> list[str]:
        """Why these parameters cannot be posted (VolOracle's checks), empty when they can."""
        problems = []
        if not all(np.isfinite([self.a, self.b, self.rho, self.m, self.sigma])):
            return ["a parameter is not finite"]
        if self.b < 0:
            problems.append(f"b = {self.b:.6g} < 0")
        if not -1.0 < self.rho < 1.0:
            problems.append(f"rho = {self.rho:.6g} outside (-1, 1)")
        if self.sigma <= 0:
            problems.append(f"sigma = {self.sigma:.6g} ≤ 0")
        elif self.b * (1.0 + abs(self.rho)) > WING_LIMIT:
            problems.append(f"wing slope b(1+|rho|) = {self.b * (1 + abs(self.rho)):.6g} > {WING_LIMIT}")
        elif self.min_variance < 0:
            problems.append(f"minimum total variance {self.min_variance:.6g} < 0")
        return problems


@dataclass(frozen=True)
class SliceFit:
    """One fitted expiry: parameters and the weighted RMSE in vol."""

    expiry_years: float
    params: SviParams
    rmse_vol: float


def rmse_vol(params: SviParams, log_moneyness, total_variance, weights, expiry_years: float) -> float:
    """Weighted RMSE, in annualised vol, of a slice against market total variances (weights normalised)."""
    q = np.asarray(weights, dtype=np.float64)
    q = q / max(q.sum(), 1e-300)
    market = np.sqrt(np.maximum(total_variance, 0.0) / expiry_years)
    return float(np.sqrt(np.sum(q * (params.implied_vol(log_moneyness, expiry_years) - market) ** 2)))


def fit_slices(
    log_moneyness: list[np.ndarray],
    total_variance: list[np.ndarray],
    weights: list[np.ndarray],
    expiry_years: np.ndarray,
    *,
    grids: tuple[int, ...] = (11, 5, 5),
    polish_steps: int = 15,
) -> list[SliceFit]:
    """Fit one raw SVI per expiry, all expiries in one vectorised search.

    Args:
        log_moneyness: per expiry, ``k = ln(K/F)`` of the market points.
        total_variance: per expiry, market total variance ``σ_imp²·T`` at those points.
        weights: per expiry, non-negative weights (e.g. 1/bid-ask spread in vol); zeros ignore a point.
        expiry_years: time to each expiry in years.
        grids: points per axis of each ``(m, σ)`` grid: a wide first one (its coarseness decides
            whether the global basin is found), then zoomed ones; then ``polish_steps``
            Levenberg-Marquardt steps on all five parameters, kept feasible.

    Returns:
        One :class:`SliceFit` per expiry, feasible for VolOracle (b ≥ 0, |ρ| < 1, σ > 0, wing
        bound, non-negative minimum variance).
    """
    k, w, wt = _padded(log_moneyness, total_variance, weights)
    n_exp = len(k)
    wt = wt / np.maximum(wt.sum(axis=1, keepdims=True), 1e-300)
    k_lo = np.array([ki.min() for ki in log_moneyness])
    k_hi = np.array([ki.max() for ki in log_moneyness])
    span = np.maximum(k_hi - k_lo, 1e-3)

    # Level 0 spans m over the data (and a margin) and log σ over four decades.
    m_center, m_half = 0.5 * (k_lo + k_hi), 0.75 * span
    log_s_center = np.log(0.1 * span)
    log_s_half = np.full(n_exp, 2.0 * np.log(10.0))
    best = None
    for grid in grids:
        u = np.linspace(-1.0, 1.0, grid)
        m_grid = m_center[:, None, None] + m_half[:, None, None] * u[None, :, None]
        s_grid = np.exp(log_s_center[:, None, None] + log_s_half[:, None, None] * u[None, None, :])
        m_grid, s_grid = np.broadcast_arrays(m_grid, s_grid)
        loss, coef = _inner_least_squares(k, w, wt, m_grid.reshape(n_exp, -1), s_grid.reshape(n_exp, -1))
        j = np.argmin(loss, axis=1)
        rows = np.arange(n_exp)
        best = (m_grid.reshape(n_exp, -1)[rows, j], s_grid.reshape(n_exp, -1)[rows, j], coef[rows, j], loss[rows, j])
        m_center, log_s_center = best[0], np.log(best[1])
        m_half = m_half * 2.5 / (grid - 1)
        log_s_half = log_s_half * 2.5 / (grid - 1)

    m, s, coef, found = best
    a, d, c = coef[:, 0], coef[:, 1], coef[:, 2]
    ok = np.isfinite(found)
    # No feasible smile on the grid: the flat slice at the weighted mean (its RMSE tells).
    theta = np.stack([
        np.where(ok, a, np.sum(wt * w, axis=1)),
        np.where(ok, c / s, 0.0),
        np.where(ok, d / np.where(c > 0, c, 1.0), 0.0),
        np.where(ok, m, 0.0),
        np.where(ok, s, 0.1),
    ], axis=1)
    theta = _polish(k, w, wt, theta, polish_steps)
    fits = []
    for i in range(n_exp):
        params = SviParams(*(float(v) for v in theta[i]))
        error = rmse_vol(params, log_moneyness[i], total_variance[i], weights[i], expiry_years[i])
        fits.append(SliceFit(float(expiry_years[i]), params, error))
    return fits


def _padded(log_moneyness, total_variance, weights) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-expiry rows of unequal length as three (expiries × longest row) arrays, zero-padded:
    a padded point has weight 0, so it adds nothing to any fit."""
    shape = (len(log_moneyness), max(len(row) for row in log_moneyness))
    k, w, q = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for i, (ki, wi, qi) in enumerate(zip(log_moneyness, total_variance, weights, strict=True)):
        k[i, : len(ki)], w[i, : len(wi)], q[i, : len(qi)] = ki, wi, qi
    return k, w, q


def _model_and_jacobian(k, theta):
    a, b, rho, m, s = (theta[:, i, None] for i in range(5))
    d = k - m
    root = np.sqrt(d * d + s * s)
    model = a + b * (rho * d + root)
    jac = np.stack([np.ones_like(d), rho * d + root, b * d, -b * (rho + d / root), b * s / root], axis=-1)
    return model, jac


def _feasible(theta) -> np.ndarray:
    a, b, rho, _, s = theta.T
    return (b >= 0) & (np.abs(rho) < 1) & (s > 0) & (b * (1 + np.abs(rho)) <= WING_LIMIT) & (
        a + b * s * np.sqrt(np.maximum(1 - rho * rho, 0)) >= 0
    )


def _polish(k, w, wt, theta, steps: int) -> np.ndarray:
    """Levenberg-Marquardt on all five parameters, every expiry at once; a step is kept only if it
    lowers that expiry's loss and stays feasible."""
    damping = np.full(len(theta), 1e-3)
    model, jac = _model_and_jacobian(k, theta)
    loss = np.sum(wt * (model - w) ** 2, axis=1)
    for _ in range(steps):
        resid = w - model
        jtq = jac * wt[..., None]
        normal = np.einsum("epi,epj->eij", jtq, jac)
        grad = np.einsum("epi,ep->ei", jtq, resid)
        diag = np.einsum("eii->ei", normal)
        lhs = normal + damping[:, None, None] * (diag[:, :, None] * np.eye(5) + 1e-18 * np.eye(5))
        step = np.linalg.solve(lhs, grad[..., None])[..., 0]
        trial = theta + step
        t_model, t_jac = _model_and_jacobian(k, trial)
        t_loss = np.sum(wt * (t_model - w) ** 2, axis=1)
        better = (t_loss < loss) & _feasible(trial) & np.all(np.isfinite(trial), axis=1)
        theta = np.where(better[:, None], trial, theta)
        model = np.where(better[:, None], t_model, model)
        jac = np.where(better[:, None, None], t_jac, jac)
        loss = np.where(better, t_loss, loss)
        damping = np.where(better, damping * 0.3, damping * 10.0)
    return theta


def _inner_least_squares(k, w, wt, m, s):
    """For every (expiry, grid point): weighted LS of ``w ≈ a + d·y + c·√(y²+1)``, ``y = (k−m)/σ``.

    Returns the loss (inf where the solution breaks ``c ≥ 0``, ``|d| < c``, the wing bound
    ``(c + |d|)/σ ≤ 2`` or ``a + √(c²−d²) ≥ 0``) and the coefficients ``(a, d, c)``.
    """
    y = (k[:, None, :] - m[:, :, None]) / s[:, :, None]  # (exp, grid, point)
    z = np.sqrt(y * y + 1.0)
    q = wt[:, None, :]
    # Normal equations of the 3-column design [1, y, z] with weights q.
    sy, sz = (q * y).sum(-1), (q * z).sum(-1)
    s1 = np.broadcast_to(q.sum(-1), sy.shape)
    syy, syz, szz = (q * y * y).sum(-1), (q * y * z).sum(-1), (q * z * z).sum(-1)
    wq = q * w[:, None, :]
    ry, rz = (wq * y).sum(-1), (wq * z).sum(-1)
    rw = np.broadcast_to(wq.sum(-1), ry.shape)
    mat = np.stack([np.stack([s1, sy, sz], -1), np.stack([sy, syy, syz], -1), np.stack([sz, syz, szz], -1)], -2)
    rhs = np.stack([rw, ry, rz], -1)
    mat = mat + 1e-14 * np.eye(3)  # keeps flat grids (σ ≫ data span) solvable
    coef = np.linalg.solve(mat, rhs[..., None])[..., 0]
    a, d, c = coef[..., 0], coef[..., 1], coef[..., 2]
    resid = a[..., None] + d[..., None] * y + c[..., None] * z - w[:, None, :]
    loss = (q * resid * resid).sum(-1)
    min_variance = a + np.sqrt(np.maximum(c * c - d * d, 0))
    feasible = (c > 0) & (np.abs(d) < c) & ((c + np.abs(d)) <= WING_LIMIT * s) & (min_variance >= 0)
    return np.where(feasible, loss, np.inf), coef


#: Arbitrage is excluded on ``|k| ≤ ARBITRAGE_RANGE`` (log-moneyness).
ARBITRAGE_RANGE = 10.0


def sinh_grid(points: int, half_width: float = ARBITRAGE_RANGE, stretch: float = 4.5) -> np.ndarray:
    """``points`` log-moneyness values on ``[−half_width, half_width]``, dense near the money
    (``half_width·sinh(stretch·u)/sinh(stretch)``, u uniform): with 2001 points 0.001 apart at
    k = 0 and 0.045 apart at |k| = 10."""
    u = np.linspace(-1.0, 1.0, points)
    return half_width * np.sinh(stretch * u) / np.sinh(stretch)


#: Where the constrained fit imposes its constraints (with a √T-scaled grid around each slice's data).
FIT_GRID = sinh_grid(201)


def check_grid(params: SviParams, expiry_years: float) -> np.ndarray:
    """Log-moneyness where a slice is checked for arbitrage: 241 points over ±6√T around ``m``
    (√T at least 0.05) and 2,001 over ``|k| ≤ ARBITRAGE_RANGE``."""
    scale = max(np.sqrt(max(expiry_years, 1e-6)), 0.05)
    return np.concatenate([params.m + np.linspace(-6.0, 6.0, 241) * scale, _WIDE_CHECK])


_WIDE_CHECK = sinh_grid(2001)


def fit_arbitrage_free(
    log_moneyness: list[np.ndarray],
    total_variance: list[np.ndarray],
    weights: list[np.ndarray],
    expiry_years: np.ndarray,
    *,
    grids: tuple[int, ...] = (11, 7, 7, 7),
    zoom: float = 1.5,
    polish_steps: int = 200,
) -> tuple[list[SliceFit], list[str]]:
    """Fit one raw SVI per expiry, free of static arbitrage on ``|k| ≤ ARBITRAGE_RANGE`` by
    construction (:mod:`optio.pricing._svi_fit`): slices in order of T, each constrained to keep
    Gatheral's density non-negative and its total variance at or above the previous slice's.

    Residuals are weighted in implied vol, not in total variance: ``(w − w_mkt)²/(4·w_mkt·T)``
    ≈ ``(σ − σ_mkt)²``, so the fit minimises the vol RMSE that quotes are judged by.

    Args:
        log_moneyness, total_variance, weights, expiry_years: as :func:`fit_slices`; expiries
            ascending.
        grids: points per axis of the ``(m, σ)`` search grids, coarse to fine; ``zoom``: each
            finer grid's half-width in steps of the previous one; then ``polish_steps``
            Levenberg-Marquardt steps on all five parameters, each kept only if admissible.

    Returns:
        One :class:`SliceFit` per expiry, and notes on slices that needed a fallback (an empty
        list normally). Every slice passes the checks of :func:`check_grid`.
    """
    from optio.pricing import _svi_fit

    t = np.asarray(expiry_years, dtype=np.float64)
    if np.any(np.diff(t) < 0):
        raise ValueError("fit_arbitrage_free needs ascending expiries")
    k, w, q = _padded(log_moneyness, total_variance, weights)
    n_exp = len(k)
    q = np.where(q > 0, q, 0.0)
    q = q / np.maximum(q.sum(axis=1, keepdims=True), 1e-300)  # the weights of rmse_vol
    with np.errstate(divide="ignore", invalid="ignore"):
        qv = np.where(q > 0, q / (4.0 * np.maximum(w, 1e-300) * t[:, None]), 0.0)
    qv = qv / np.maximum(qv.sum(axis=1, keepdims=True), 1e-300)
    theta, how = _svi_fit.fit_surface(k, w, qv, t, FIT_GRID, _WIDE_CHECK, np.asarray(grids, dtype=np.int64),
                                      float(zoom), int(polish_steps), _CHECK_TOLERANCE)
    a, b, rho, m, s = (theta[:, j, None] for j in range(5))
    d = k - m
    model = np.sqrt(np.maximum(a + b * (rho * d + np.sqrt(d * d + s * s)), 0.0) / t[:, None])
    market = np.sqrt(np.maximum(w, 0.0) / t[:, None])
    rmse = np.sqrt(np.sum(q * (model - market) ** 2, axis=1))
    fits = [SliceFit(float(t[i]), SviParams(*(float(v) for v in theta[i])), float(rmse[i])) for i in range(n_exp)]
    notes = [f"T = {t[i]:.4f}y: no arbitrage-free SVI found; "
             + ("the previous slice raised" if i else "a flat slice") for i in np.flatnonzero(how == 2)]
    return fits, notes


#: Tolerance of the arbitrage checks (density g and total-variance drops).
_CHECK_TOLERANCE = 1e-10
