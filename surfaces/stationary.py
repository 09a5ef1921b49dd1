"""Stationary points of a surface found from its exact gradient: minima and saddle points.

For a function the user types, which has no listed minima. Candidates are the grid points of
the plotting domain where |∇f| is smallest among their neighbours; Newton's method on the exact
gradient (Hessian by central differences of it) polishes all of them at once, and the Hessian's
eigenvalues sort what converged into minima and saddles. sympy's ``solve`` would give exact
points for a polynomial, but it has no time bound for a general expression; this has one: one
grid evaluation and NEWTON_ITERATIONS vectorized steps on at most CANDIDATES points.

    minima, saddles = stationary_points(surface)
"""

from __future__ import annotations

import numpy as np

from surfaces.base import BOUND_FACTOR, Minimum, Surface, gradients, hessians, newton

RESOLUTION = 61  # grid points a side where candidates are looked for
CANDIDATES = 24  # at most this many are polished
NEWTON_ITERATIONS = 40


def _candidates(surface: Surface) -> tuple[np.ndarray, np.ndarray, float]:
    """Grid points whose |∇f| is no larger than any of their eight neighbours', smallest first,
    and the grid's typical |∇f| (the scale of "the gradient vanishes")."""
    (x0, x1), (y0, y1) = surface.domain
    gx, gy = np.meshgrid(np.linspace(x0, x1, RESOLUTION), np.linspace(y0, y1, RESOLUTION))
    norm = np.linalg.norm(gradients(surface, gx, gy), axis=-1)
    norm = np.where(np.isfinite(norm), norm, np.inf)
    padded = np.pad(norm, 1, constant_values=np.inf)
    neighbours = np.stack(
        [padded[1 + di : 1 + di + RESOLUTION, 1 + dj : 1 + dj + RESOLUTION] for di in (-1, 0, 1) for dj in (-1, 0, 1)]
    )
    local = np.isfinite(norm) & (norm <= neighbours.min(axis=0))
    order = np.argsort(norm[local])[:CANDIDATES]
    finite = norm[np.isfinite(norm)]
    scale = float(np.median(finite)) if finite.size else 1.0
    return gx[local][order], gy[local][order], scale


def stationary_points(surface: Surface) -> tuple[tuple[Minimum, ...], tuple[tuple[float, float], ...]]:
    """The minima (lowest first) and saddle points inside the plotting domain.

    A minimum is global (``is_global``) only when it is the lowest of them and nothing lower
    shows on a grid of the domain or of the whole region a run may travel (BOUND_FACTOR
    half-widths): an expression unbounded below keeps its minima local, and its loss is then
    drawn as f, not as a gap to a minimum it does not have.
    """
    x, y, scale = _candidates(surface)
    if not x.size:
        return (), ()
    with np.errstate(all="ignore"):
        x, y = newton(surface, x, y, NEWTON_ITERATIONS)
        g = np.linalg.norm(gradients(surface, x, y), axis=-1)
        hess = hessians(surface, x, y)
        eigen = np.linalg.eigvalsh(np.where(np.isfinite(hess), hess, 0.0))
    (x0, x1), (y0, y1) = surface.domain
    width = max(x1 - x0, y1 - y0)
    inside = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    converged = inside & np.isfinite(g) & (g <= 1e-8 * (1.0 + scale)) & np.all(np.isfinite(hess), axis=(1, 2))
    curvature = 1e-7 * np.maximum(1.0, np.abs(eigen).max(axis=1))
    kept: list[tuple[float, float, str]] = []
    for i in np.flatnonzero(converged):
        if any(abs(x[i] - kx) + abs(y[i] - ky) < 1e-6 * width for kx, ky, _ in kept):
            continue
        low, high = eigen[i]
        if low > curvature[i]:
            kept.append((float(x[i]), float(y[i]), "minimum"))
        elif low < -curvature[i] and high > curvature[i]:
            kept.append((float(x[i]), float(y[i]), "saddle"))
    values = {(kx, ky): float(surface.value(kx, ky)) for kx, ky, _ in kept}
    lows = sorted(((values[kx, ky], kx, ky) for kx, ky, kind in kept if kind == "minimum"))
    saddles = tuple((kx, ky) for kx, ky, kind in kept if kind == "saddle")
    if not lows:
        return (), saddles
    lowest = lows[0][0]
    is_global = _nothing_lower(surface, lowest)
    minima = tuple(Minimum(kx, ky, v, is_global and v == lowest) for v, kx, ky in lows)
    return minima, saddles


def _nothing_lower(surface: Surface, value: float) -> bool:
    """Whether no grid point of the domain or of the followed region lies below ``value``."""
    (x0, x1), (y0, y1) = surface.domain
    cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    margin = 1e-9 * (1.0 + abs(value))
    for factor in (1.0, BOUND_FACTOR):
        gx, gy = np.meshgrid(
            np.linspace(cx - factor * hx, cx + factor * hx, RESOLUTION),
            np.linspace(cy - factor * hy, cy + factor * hy, RESOLUTION),
        )
        z = surface.value(gx, gy)
        z = z[~np.isnan(z)]
        if z.size and z.min() < value - margin:
            return False
    return True
