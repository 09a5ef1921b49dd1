"""Which points of a line drawing needs: the rest are left out of what is sent to the browser.

Decimate what is drawn, never what is computed: tables, downloads and the core keep every step.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surfaces.compiled import JIT

# What a drawn line may leave out: points within this share of a chart's span of the line through
# the points kept (0.05 px on a 1000 px plot; under a pixel still at 20x zoom).
TOLERANCE = 5e-5


@njit(**JIT)
def _keep(u, v, tolerance):  # pragma: no cover - compiled
    n = u.size
    keep = np.zeros(n, dtype=np.bool_)
    keep[0] = True
    keep[n - 1] = True
    stack = np.empty((n, 2), dtype=np.int64)
    stack[0, 0], stack[0, 1] = 0, n - 1
    top = 1
    while top:
        top -= 1
        a, b = stack[top, 0], stack[top, 1]
        du, dv = u[b] - u[a], v[b] - v[a]
        length = np.hypot(du, dv)
        far, at = -1.0, -1
        for k in range(a + 1, b):
            pu, pv = u[k] - u[a], v[k] - v[a]
            d = abs(pu * dv - pv * du) / length if length > 0 else np.hypot(pu, pv)
            if d > far:
                far, at = d, k
        if far > tolerance:
            keep[at] = True
            stack[top, 0], stack[top, 1] = a, at
            stack[top + 1, 0], stack[top + 1, 1] = at, b
            top += 2
    return keep


def drawn(u, v, tolerance: float = TOLERANCE) -> np.ndarray:
    """The indices of the points of the polyline (u, v) that drawing it needs, in order: the
    first, the last, and every point farther than ``tolerance`` from the line through its kept
    neighbours (Ramer-Douglas-Peucker). ``u`` and ``v`` are in units of the chart's span (0..1).

    A straight stretch needs two points, a run that settled a few, a zigzag all of its corners:
    what is sent shrinks 5-10x and no drawn line moves by more than the tolerance. A line with
    a value that is not finite is kept whole."""
    u, v = np.ascontiguousarray(u, dtype=float), np.ascontiguousarray(v, dtype=float)
    if u.size <= 2 or not (np.isfinite(u).all() and np.isfinite(v).all()):
        return np.arange(u.size)
    return np.flatnonzero(_keep(u, v, float(tolerance)))


def span(values) -> np.ndarray:
    """``values`` scaled to 0..1 over their own range (a chart's range holds it: a stricter scale)."""
    values = np.asarray(values, dtype=float)
    if not values.size:
        return values
    low, high = np.min(values), np.max(values)
    return (values - low) / (high - low) if high > low else values - low
