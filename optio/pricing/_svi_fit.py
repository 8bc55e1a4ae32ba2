"""Raw SVI slices fitted under static no-arbitrage constraints, compiled (numba).

One expiry at a time, in the quasi-explicit split (Zeliade 2009): for fixed ``(m, σ)`` the slice
``w = a + d·y + c·√(y²+1)``, ``y = (k−m)/σ`` (so ``b = c/σ``, ``ρ = d/c``) is linear in
``x = (a, d, c)``, and the constraints that keep it free of arbitrage on a k grid are linear in
``x`` too:

* shape: ``|d| ≤ (1 − 1e-3)·c`` (``|ρ| < 1``) and Lee's wing bound ``c + |d| ≤ 2σ``
  (``b(1 + |ρ|) ≤ 2``);
* calendar: ``w(k_j) ≥ L_j`` at every grid point, ``L`` the previous (shorter) expiry's total
  variance there (0 for the first expiry);

so each ``(m, σ)`` is a 3-variable quadratic programme, solved exactly by a small dual active set
(start from the unconstrained least squares, add the most violated constraint, drop one whose
multiplier turns negative). Butterfly arbitrage (Gatheral's density ``g(k) ≥ 0``) is not linear
in ``x``: a candidate whose ``g`` is negative anywhere on the grid is not admitted. The grid of
``(m, σ)`` is searched coarse to fine; on each level the candidates are taken in order of their
unconstrained loss, which bounds the constrained one from below, so the search stops as soon as
no remaining candidate can beat the best admitted one (most candidates never need the QP).

Units: ``k = ln(K/F)``; ``w`` total variance (σ_imp²·T); weights are per point (normalised by the
caller); losses are weighted sums of squared total-variance residuals.
"""

from __future__ import annotations

import math

import numba
import numpy as np

#: ``|ρ| ≤ 1 − RHO_MARGIN``: ρ = ±1 is a degenerate slice that VolOracle refuses.
RHO_MARGIN = 1e-3
#: Lee's moment bound on the wing slopes of total variance: b(1 + |ρ|) ≤ 2.
WING_LIMIT = 2.0
_SHAPE_ROWS = 4
_MAX_ACTIVE = 3


@numba.njit(cache=True)
def _solve(mat, rhs, n):
    """Gaussian elimination with partial pivoting of the leading ``n × n`` system, in place;
    False if singular."""
    for col in range(n):
        piv = col
        big = abs(mat[col, col])
        for r in range(col + 1, n):
            if abs(mat[r, col]) > big:
                big = abs(mat[r, col])
                piv = r
        if not big > 0.0:
            return False
        if piv != col:
            for j in range(n):
                mat[col, j], mat[piv, j] = mat[piv, j], mat[col, j]
            rhs[col], rhs[piv] = rhs[piv], rhs[col]
        for r in range(col + 1, n):
            f = mat[r, col] / mat[col, col]
            if f != 0.0:
                for j in range(col, n):
                    mat[r, j] -= f * mat[col, j]
                rhs[r] -= f * rhs[col]
    for r in range(n - 1, -1, -1):
        s = rhs[r]
        for j in range(r + 1, n):
            s -= mat[r, j] * rhs[j]
        rhs[r] = s / mat[r, r]
    return True


@numba.njit(cache=True)
def _row(j, sigma, yg, zg, lower, g_row):
    """Constraint ``j`` as ``g_row · x ≥ h`` (returns h): 4 shape rows, then one per grid point."""
    if j == 0:  # (1 − margin)c − d ≥ 0
        g_row[0], g_row[1], g_row[2] = 0.0, -1.0, 1.0 - RHO_MARGIN
        return 0.0
    if j == 1:  # (1 − margin)c + d ≥ 0
        g_row[0], g_row[1], g_row[2] = 0.0, 1.0, 1.0 - RHO_MARGIN
        return 0.0
    if j == 2:  # −c − d ≥ −2σ
        g_row[0], g_row[1], g_row[2] = 0.0, -1.0, -1.0
        return -WING_LIMIT * sigma
    if j == 3:  # −c + d ≥ −2σ
        g_row[0], g_row[1], g_row[2] = 0.0, 1.0, -1.0
        return -WING_LIMIT * sigma
    p = j - _SHAPE_ROWS
    g_row[0], g_row[1], g_row[2] = 1.0, yg[p], zg[p]
    return lower[p]


@numba.njit(cache=True)
def _qp(normal, rhs, sigma, yg, zg, lower, tol, x, active, g_row, kkt, sol):
    """Minimise ``xᵀNx − 2rᵀx`` subject to every constraint of :func:`_row`; x out. False if the
    active set does not settle (treated as infeasible)."""
    n_rows = _SHAPE_ROWS + yg.size
    n_active = 0
    for _ in range(12):
        # Solve the equality-constrained problem on the active set (KKT system).
        while True:
            n = 3 + n_active
            for i in range(n):
                for j in range(n):
                    kkt[i, j] = 0.0
            for i in range(3):
                for j in range(3):
                    kkt[i, j] = normal[i, j]
                sol[i] = rhs[i]
            for a in range(n_active):
                h = _row(active[a], sigma, yg, zg, lower, g_row)
                for j in range(3):
                    kkt[3 + a, j] = g_row[j]
                    kkt[j, 3 + a] = -g_row[j]
                sol[3 + a] = h
            if not _solve(kkt, sol, n):
                return False
            worst, at = 0.0, -1
            for a in range(n_active):
                if sol[3 + a] < worst:
                    worst, at = sol[3 + a], a
            if at < 0:
                break
            for a in range(at, n_active - 1):  # drop the constraint pulling the wrong way
                active[a] = active[a + 1]
            n_active -= 1
        x[0], x[1], x[2] = sol[0], sol[1], sol[2]
        worst, at = tol, -1
        for j in range(n_rows):
            h = _row(j, sigma, yg, zg, lower, g_row)
            v = h - (g_row[0] * x[0] + g_row[1] * x[1] + g_row[2] * x[2])
            if v > worst:
                skip = False
                for a in range(n_active):
                    if active[a] == j:
                        skip = True
                if not skip:
                    worst, at = v, j
        if at < 0:
            return True
        if n_active == _MAX_ACTIVE:
            return False
        active[n_active] = at
        n_active += 1
    return False


@numba.njit(cache=True)
def _no_butterfly(x, m, sigma, kg, yg, zg):
    """Gatheral's ``g(k) ≥ 0`` and ``w > 0`` at every grid point."""
    a, d, c = x[0], x[1], x[2]
    for p in range(kg.size):
        y, z = yg[p], zg[p]
        w = a + d * y + c * z
        if not w > 0.0:
            return False
        w1 = (d + c * y / z) / sigma
        w2 = c / (sigma * sigma * z * z * z)
        u = 1.0 - kg[p] * w1 / (2.0 * w)
        g = u * u - 0.25 * w1 * w1 * (1.0 / w + 0.25) + 0.5 * w2
        if g < 0.0:
            return False
    return True


@numba.njit(cache=True)
def _admissible(theta, kg, lower, tol):
    """The constraints of :func:`fit_slice` on raw parameters: shape, calendar and butterfly."""
    a, b, rho, m, sigma = theta[0], theta[1], theta[2], theta[3], theta[4]
    if not (b >= 0.0 and sigma > 0.0 and abs(rho) <= 1.0 - RHO_MARGIN and b * (1.0 + abs(rho)) <= WING_LIMIT):
        return False
    if not a + b * sigma * math.sqrt(1.0 - rho * rho) >= 0.0:
        return False
    for p in range(kg.size):
        d = kg[p] - m
        root = math.sqrt(d * d + sigma * sigma)
        w = a + b * (rho * d + root)
        if w < lower[p] - tol or not w > 0.0:
            return False
        w1 = b * (rho + d / root)
        w2 = b * sigma * sigma / (root * root * root)
        u = 1.0 - kg[p] * w1 / (2.0 * w)
        if u * u - 0.25 * w1 * w1 * (1.0 / w + 0.25) + 0.5 * w2 < 0.0:
            return False
    return True


@numba.njit(cache=True)
def _loss_and_normal(k, w, q, theta, normal, grad):
    """Weighted loss at ``theta`` and the Gauss-Newton normal matrix and gradient (5 × 5)."""
    a, b, rho, m, sigma = theta[0], theta[1], theta[2], theta[3], theta[4]
    for i in range(5):
        grad[i] = 0.0
        for j in range(5):
            normal[i, j] = 0.0
    jac = np.empty(5)
    loss = 0.0
    for p in range(k.size):
        if q[p] > 0.0:
            d = k[p] - m
            root = math.sqrt(d * d + sigma * sigma)
            resid = w[p] - (a + b * (rho * d + root))
            loss += q[p] * resid * resid
            jac[0], jac[1], jac[2] = 1.0, rho * d + root, b * d
            jac[3], jac[4] = -b * (rho + d / root), b * sigma / root
            for i in range(5):
                grad[i] += q[p] * jac[i] * resid
                for j in range(5):
                    normal[i, j] += q[p] * jac[i] * jac[j]
    return loss


@numba.njit(cache=True)
def _polish(k, w, q, kg, lower, tol, theta, loss, steps):
    """Levenberg-Marquardt on all five parameters from the grid's best point; a step is kept
    only if it lowers the loss and stays admissible (:func:`_admissible`)."""
    normal = np.empty((5, 5))
    grad = np.empty(5)
    t_normal = np.empty((5, 5))
    t_grad = np.empty(5)
    lhs = np.empty((5, 5))
    step = np.empty(5)
    trial = np.empty(5)
    loss = _loss_and_normal(k, w, q, theta, normal, grad)
    damping = 1e-3
    for _ in range(steps):
        for i in range(5):
            for j in range(5):
                lhs[i, j] = normal[i, j]
            lhs[i, i] += damping * normal[i, i] + 1e-18
            step[i] = grad[i]
        if not _solve(lhs, step, 5):
            break
        for i in range(5):
            trial[i] = theta[i] + step[i]
        t_loss = _loss_and_normal(k, w, q, trial, t_normal, t_grad)
        if t_loss < loss and _admissible(trial, kg, lower, tol):
            theta[:] = trial
            normal[:, :] = t_normal
            grad[:] = t_grad
            if loss - t_loss <= 1e-12 * loss:
                loss = t_loss
                break
            loss = t_loss
            damping *= 0.3
        else:
            damping *= 10.0
            if damping > 1e8:
                break
    return loss


@numba.njit(cache=True)
def fit_slice(k, w, q, kg, lower, m_center, m_half, log_s_center, log_s_half, levels, zoom, polish_steps):
    """One arbitrage-free raw SVI slice (module docstring).

    Args:
        k, w, q: the slice's log-moneyness, market total variance and weights (zeros ignored).
        kg, lower: constraint grid (log-moneyness) and the total variance the slice must not go
            below there (the previous expiry's; zeros for the first).
        m_center, m_half, log_s_center, log_s_half: the first ``(m, ln σ)`` search box.
        levels: points per axis of each search grid, coarse to fine; ``zoom``: each finer box's
            half-width in steps of the previous grid; then ``polish_steps`` of :func:`_polish`.

    Returns:
        ``(a, b, ρ, m, σ, loss)``; loss is inf when no candidate was admissible.
    """
    n_pts = k.size
    ng = kg.size
    w_scale = 0.0
    for p in range(n_pts):
        if q[p] > 0.0 and w[p] > w_scale:
            w_scale = w[p]
    for p in range(ng):
        if lower[p] > w_scale:
            w_scale = lower[p]
    tol = 1e-13 * max(w_scale, 1e-300)
    ww = 0.0
    for p in range(n_pts):
        ww += q[p] * w[p] * w[p]
    yg = np.empty(ng)
    zg = np.empty(ng)
    normal = np.empty((3, 3))
    rhs = np.empty(3)
    x = np.empty(3)
    active = np.empty(_MAX_ACTIVE, dtype=np.int64)
    g_row = np.empty(3)
    kkt = np.empty((3 + _MAX_ACTIVE, 3 + _MAX_ACTIVE))
    sol = np.empty(3 + _MAX_ACTIVE)
    best_loss = np.inf
    best = np.zeros(5)
    for level in range(levels.size):
        n_axis = levels[level]
        n_cand = n_axis * n_axis
        cand_m = np.empty(n_cand)
        cand_s = np.empty(n_cand)
        cand_n = np.empty((n_cand, 3, 3))
        cand_r = np.empty((n_cand, 3))
        bound = np.empty(n_cand)
        for i in range(n_axis):
            u_m = -1.0 + 2.0 * i / (n_axis - 1)
            for j in range(n_axis):
                u_s = -1.0 + 2.0 * j / (n_axis - 1)
                c_i = i * n_axis + j
                m = m_center + m_half * u_m
                s = math.exp(log_s_center + log_s_half * u_s)
                cand_m[c_i], cand_s[c_i] = m, s
                s1 = sy = sz = syy = syz = szz = rw = ry = rz = 0.0
                for p in range(n_pts):
                    qp = q[p]
                    if qp > 0.0:
                        y = (k[p] - m) / s
                        z = math.sqrt(y * y + 1.0)
                        s1 += qp
                        sy += qp * y
                        sz += qp * z
                        syy += qp * y * y
                        syz += qp * y * z
                        szz += qp * z * z
                        rw += qp * w[p]
                        ry += qp * w[p] * y
                        rz += qp * w[p] * z
                nm = cand_n[c_i]
                nm[0, 0], nm[0, 1], nm[0, 2] = s1 + 1e-14, sy, sz
                nm[1, 0], nm[1, 1], nm[1, 2] = sy, syy + 1e-14, syz
                nm[2, 0], nm[2, 1], nm[2, 2] = sz, syz, szz + 1e-14
                cand_r[c_i, 0], cand_r[c_i, 1], cand_r[c_i, 2] = rw, ry, rz
                for r in range(3):
                    for cc in range(3):
                        kkt[r, cc] = nm[r, cc]
                    sol[r] = cand_r[c_i, r]
                if _solve(kkt, sol, 3):
                    # Unconstrained minimum ww − rᵀx*: a lower bound on the constrained loss.
                    bound[c_i] = ww - (sol[0] * rw + sol[1] * ry + sol[2] * rz)
                else:
                    bound[c_i] = -np.inf
        order = np.argsort(bound)
        for c_i in order:
            if bound[c_i] >= best_loss:
                break
            m, s = cand_m[c_i], cand_s[c_i]
            for p in range(ng):
                y = (kg[p] - m) / s
                yg[p] = y
                zg[p] = math.sqrt(y * y + 1.0)
            nm = cand_n[c_i]
            for r in range(3):
                rhs[r] = cand_r[c_i, r]
                for cc in range(3):
                    normal[r, cc] = nm[r, cc]
            if not _qp(normal, rhs, s, yg, zg, lower, tol, x, active, g_row, kkt, sol):
                continue
            loss = ww - 2.0 * (rhs[0] * x[0] + rhs[1] * x[1] + rhs[2] * x[2])
            for r in range(3):
                for cc in range(3):
                    loss += x[r] * normal[r, cc] * x[cc]
            if loss >= best_loss:
                continue
            if not (x[2] > 0.0 and x[0] + math.sqrt(max(x[2] * x[2] - x[1] * x[1], 0.0)) >= 0.0):
                continue
            if not _no_butterfly(x, m, s, kg, yg, zg):
                continue
            best_loss = loss
            best[0], best[1], best[2], best[3], best[4] = x[0], x[2] / s, x[1] / x[2], m, s
        if best_loss == np.inf:
            return best[0], best[1], best[2], best[3], best[4], best_loss
        step = 2.0 / (n_axis - 1)
        m_center, log_s_center = best[3], math.log(best[4])
        m_half = m_half * step * zoom
        log_s_half = log_s_half * step * zoom
    best_loss = _polish(k, w, q, kg, lower, tol, best, best_loss, polish_steps)
    return best[0], best[1], best[2], best[3], best[4], max(best_loss, 0.0)


@numba.njit(cache=True)
def total_variance(a, b, rho, m, sigma, k):
    """Raw SVI ``w(k)`` on an array."""
    out = np.empty(k.size)
    for p in range(k.size):
        d = k[p] - m
        out[p] = a + b * (rho * d + math.sqrt(d * d + sigma * sigma))
    return out


@numba.njit(cache=True)
def worst_arbitrage(a, b, rho, m, sigma, k, lower):
    """On the points ``k``: the most negative density ``g`` (or −inf where w ≤ 0) and the most
    negative ``w − lower`` (calendar), each 0 when there is none."""
    worst_g, worst_cal = 0.0, 0.0
    for p in range(k.size):
        d = k[p] - m
        root = math.sqrt(d * d + sigma * sigma)
        w = a + b * (rho * d + root)
        if w - lower[p] < worst_cal:
            worst_cal = w - lower[p]
        if not w > 0.0:
            worst_g = -np.inf
            continue
        w1 = b * (rho + d / root)
        w2 = b * sigma * sigma / (root * root * root)
        u = 1.0 - k[p] * w1 / (2.0 * w)
        g = u * u - 0.25 * w1 * w1 * (1.0 / w + 0.25) + 0.5 * w2
        if g < worst_g:
            worst_g = g
    return worst_g, worst_cal


@numba.njit(cache=True)
def _check_points(m, t, wide, out, start):
    """The check grid of ``optio.pricing.svi.check_grid`` written into ``out[start:]``."""
    scale = max(math.sqrt(max(t, 1e-6)), 0.05)
    for p in range(241):
        out[start + p] = m + (-6.0 + 12.0 * p / 240) * scale
    for p in range(wide.size):
        out[start + 241 + p] = wide[p]
    return start + 241 + wide.size


@numba.njit(cache=True)
def fit_surface(k, w, q, t, fit_grid, wide_check, levels, zoom, polish_steps, tolerance):
    """Every slice of a surface, in order of T (rows of ``k``, ``w``, ``q``; zero weights are
    padding): :func:`fit_slice` on ``fit_grid`` plus 41 √T-scaled points around the data, checked
    on the check grid (``wide_check`` and 241 √T-scaled points around each slice's ``m``, both
    slices' for the calendar) to ``tolerance``; where that check fails, refitted with the check
    grid as constraints; where nothing is admissible, the previous slice raised by the quotes'
    mean excess over it (a flat slice for the first expiry).

    Returns ``(params (n, 5) as a, b, ρ, m, σ; how (n,): 0 fitted, 1 fitted on the check grid,
    2 fallback)``.
    """
    n_exp = k.shape[0]
    out = np.zeros((n_exp, 5))
    how = np.zeros(n_exp, dtype=np.int64)
    n_check = 241 + wide_check.size
    kc = np.empty(2 * n_check)
    for i in range(n_exp):
        ki, wi, qi = k[i], w[i], q[i]
        k_lo, k_hi, any_used = np.inf, -np.inf, False
        for p in range(ki.size):
            if qi[p] > 0.0:
                any_used = True
                k_lo = min(k_lo, ki[p])
                k_hi = max(k_hi, ki[p])
        if not any_used:
            k_lo, k_hi = -0.1, 0.1
        span = max(k_hi - k_lo, 1e-3)
        centre = 0.5 * (k_lo + k_hi)
        scale = max(math.sqrt(t[i]), 0.05)
        done = False
        for attempt in range(2):
            if attempt == 0:
                kg = np.empty(fit_grid.size + 41)
                kg[:fit_grid.size] = fit_grid
                for p in range(41):
                    kg[fit_grid.size + p] = centre + (-6.0 + 12.0 * p / 40) * scale
            else:
                kg = np.empty(n_check)
                _check_points(centre, t[i], wide_check, kg, 0)
            if i == 0:
                lower = np.zeros(kg.size)
            else:
                pa = out[i - 1]
                lower = total_variance(pa[0], pa[1], pa[2], pa[3], pa[4], kg)
            a, b, rho, m, s, loss = fit_slice(ki, wi, qi, kg, lower, centre, 0.75 * span, math.log(0.1 * span),
                                              2.0 * math.log(10.0), levels, zoom, polish_steps)
            if not loss < np.inf:
                continue
            n = _check_points(m, t[i], wide_check, kc, 0)
            if i > 0:
                n = _check_points(out[i - 1, 3], t[i - 1], wide_check, kc, n)
                pa = out[i - 1]
                low = total_variance(pa[0], pa[1], pa[2], pa[3], pa[4], kc[:n])
            else:
                low = np.zeros(n)
            worst_g, worst_cal = worst_arbitrage(a, b, rho, m, s, kc[:n], low)
            if worst_g >= -tolerance and worst_cal >= -tolerance:
                out[i, 0], out[i, 1], out[i, 2], out[i, 3], out[i, 4] = a, b, rho, m, s
                how[i] = attempt
                done = True
                break
        if done:
            continue
        how[i] = 2
        total, weight = 0.0, 0.0
        for p in range(ki.size):
            if qi[p] > 0.0:
                base = 0.0
                if i > 0:
                    d = ki[p] - out[i - 1, 3]
                    base = out[i - 1, 0] + out[i - 1, 1] * (out[i - 1, 2] * d + math.sqrt(d * d + out[i - 1, 4] ** 2))
                total += wi[p] - base
                weight += 1.0
        mean = total / weight if weight > 0 else 0.0
        if i == 0:
            out[i, 0], out[i, 1], out[i, 2], out[i, 3], out[i, 4] = max(mean, 1e-8), 0.0, 0.0, 0.0, 0.1
        else:
            out[i] = out[i - 1]
            out[i, 0] += max(mean, 0.0)
    return out, how
