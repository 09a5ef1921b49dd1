"""The closed-form surfaces compiled for single floats, for the engine's compiled loop.

Each surface's ``fdf(x, y, p)`` is compiled from its own source (no second copy of any
formula). :func:`evaluate` picks one by its number, which :func:`kernel_id` gives; the typed
function has no ``fdf``, and the sparse problem's mini-batches (a batch of data per update)
run without it: the engine evaluates those with NumPy instead.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from numba import config, njit

from surfaces import CATALOG
from surfaces.base import Surface

# Division by zero and the like give inf/NaN as in NumPy (a diverging run is flagged, not raised).
JIT = {"cache": True, "error_model": "numpy", "nogil": True}

ROOT = Path(__file__).resolve().parent.parent
# numba checks a cached function against the file it is defined in only, but ``evaluate``
# inlines the formulas of surfaces/classic.py and surfaces/sparse.py, and the engine's loop
# inlines ``evaluate``.
COMPILED_SOURCES = ("surfaces/classic.py", "surfaces/sparse.py", "surfaces/compiled.py", "optim_core/kernel.py")


def drop_stale_cache(root: Path, sources, stamp_name: str = "compiled-sources.sha256") -> bool:
    """Remove numba's cache of ``sources`` when any of them changed since it was written.

    Without this, a formula edited in surfaces/classic.py would go on running from the
    cache of the loop that inlined it. The fingerprint of the sources is kept beside the
    cache; returns whether the cache was dropped.
    """
    digest = hashlib.sha256(b"".join((root / name).read_bytes() for name in sources)).hexdigest()
    folders = sorted({(root / name).parent / "__pycache__" for name in sources})
    stamp = folders[0] / stamp_name
    try:
        if stamp.exists() and stamp.read_text() == digest:
            return False
        for folder in folders:
            for path in folder.glob("*.nb[ic]"):
                path.unlink(missing_ok=True)
        stamp.parent.mkdir(exist_ok=True)
        stamp.write_text(digest)
    except OSError:  # a read-only install: numba then caches elsewhere, or not at all
        return False
    return True


if not config.CACHE_DIR:  # numba's cache sits in each module's __pycache__
    drop_stale_cache(ROOT, COMPILED_SOURCES)

# The catalog's closed-form surfaces, in catalog order; ``evaluate`` lists them in this order.
COMPILED = tuple(cls for cls in CATALOG.values() if cls.fdf is not None)
(
    _rosenbrock,
    _beale,
    _himmelblau,
    _booth,
    _rastrigin,
    _ackley,
    _goldstein_price,
    _three_hump_camel,
    _six_hump_camel,
    _saddle,
    _monkey_saddle,
    _valley,
    _sparse_dense,
) = FORMULAS = tuple(njit(**JIT)(cls.fdf) for cls in COMPILED)  # FORMULAS[sid]: the fused loops


def kernel_id(surface: Surface) -> int:
    """The number :func:`evaluate` knows ``surface`` by, or −1 when it has no compiled form."""
    cls = type(surface)
    return COMPILED.index(cls) if cls in COMPILED and surface.compiled() else -1


def kernel_params(surface: Surface) -> np.ndarray:
    """The surface's parameters as the float array the compiled formula reads (never empty)."""
    return np.array(surface.formula_params() or (0.0,), dtype=float)


@njit(**JIT)
def evaluate(sid, X, xi, p, F, fi, G, gi):
    """f, ∂f/∂x and ∂f/∂y of compiled surface number ``sid`` at every point
    (X[xi, 0, 0, r], X[xi, 0, 1, r]), into F[fi, r], G[gi, 0, r] and G[gi, 1, r].

    X is laid out as the engine's state (rows, slots, 2, runs), θ in slot 0. One loop per
    surface, each calling its formula directly: the formula is then inlined and the loop
    vectorized (picking the formula per point instead costs about 20 times more). The arrays
    are indexed, not sliced: a view per argument and update cost about 100 ns an update,
    more than the update of 10 runs.
    """
    if sid == 0:
        for r in range(X.shape[3]):
            F[fi, r], G[gi, 0, r], G[gi, 1, r] = _rosenbrock(X[xi, 0, 0, r], X[xi, 0, 1, r], p)
    elif sid == 1:
        for r in range(X.shape[3]):
            F[fi, r], G[gi, 0, r], G[gi, 1, r] = _beale(X[xi, 0, 0, r], X[xi, 0, 1, r], p)
    elif sid == 2:
        for r in range(X.shape[3]):
            F[fi, r], G[gi, 0, r], G[gi, 1, r] = _himmelblau(X[xi, 0, 0, r], X[xi, 0, 1, r], p)
    elif sid == 3:
        for r in range(X.shape[3]):
            F[fi, r], G[gi, 0, r], G[gi, 1, r] = _booth(X[xi, 0, 0, r], X[xi, 0, 1, r], p)
    elif sid == 4:
        for r in range(X.shape[3]):
            F[fi, r], G[gi, 0, r], G[gi, 1, r] = _rastrigin(X[xi, 0, 0, r], X[xi, 0, 1, r], p)
    elif sid == 5:
        for r in range(X.shape[3]):
            F[fi, r], G[gi, 0, r], G[gi, 1, r] = _ackley(X[xi, 0, 0, r], X[xi, 0, 1, r], p)
    elif sid == 6:
        for r in range(X.shape[3]):
            F[fi, r], G[gi, 0, r], G[gi, 1, r] = _goldstein_price(X[xi, 0, 0, r], X[xi, 0, 1, r], p)
    elif sid == 7:
        for r in range(X.shape[3]):
            F[fi, r], G[gi, 0, r], G[gi, 1, r] = _three_hump_camel(X[xi, 0, 0, r], X[xi, 0, 1, r], p)
    elif sid == 8:
        for r in range(X.shape[3]):
            F[fi, r], G[gi, 0, r], G[gi, 1, r] = _six_hump_camel(X[xi, 0, 0, r], X[xi, 0, 1, r], p)
    elif sid == 9:
        for r in range(X.shape[3]):
            F[fi, r], G[gi, 0, r], G[gi, 1, r] = _saddle(X[xi, 0, 0, r], X[xi, 0, 1, r], p)
    elif sid == 10:
        for r in range(X.shape[3]):
            F[fi, r], G[gi, 0, r], G[gi, 1, r] = _monkey_saddle(X[xi, 0, 0, r], X[xi, 0, 1, r], p)
    elif sid == 11:
        for r in range(X.shape[3]):
            F[fi, r], G[gi, 0, r], G[gi, 1, r] = _valley(X[xi, 0, 0, r], X[xi, 0, 1, r], p)
    else:
        for r in range(X.shape[3]):
            F[fi, r], G[gi, 0, r], G[gi, 1, r] = _sparse_dense(X[xi, 0, 0, r], X[xi, 0, 1, r], p)
