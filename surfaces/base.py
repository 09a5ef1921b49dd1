"""What every surface is: a vectorized f(x, y), its exact gradient, and its metadata.

Broadcast contract: ``value(x, y)`` and ``grad(x, y)`` take arrays of any one shape (or
scalars) and return arrays of that shape, so one call evaluates a contour grid or every run
of a batch. Points where a function is undefined give NaN (never an exception); the engine
flags a run that reaches one as diverged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from spec_strings import Param

GradientFn = Callable[[np.ndarray, np.ndarray, int], tuple[np.ndarray, np.ndarray]]

NOISE = Param("noise", 0.0, "standard deviation of seeded Gaussian noise added to the gradient", low=0, high=100)

# How far outside its plotting domain a run may wander before it counts as diverged,
# in half-widths of the domain measured from its centre.
BOUND_FACTOR = 100.0


@dataclass(frozen=True)
class Minimum:
    x: float
    y: float
    value: float
    is_global: bool = True


@dataclass(frozen=True)
class SurfaceInfo:
    """Metadata of one catalog entry, independent of its parameter values."""

    name: str
    display_name: str
    latex: str
    params: tuple[Param, ...]
    notes: str
    # Hyperparameters under which each optimizer's behaviour here is instructive.
    suggested: dict[str, dict[str, float]] = field(default_factory=dict)
    # What the two coordinates are, for axis titles (the neuron's are its weight and bias).
    axes: tuple[str, str] = ("x", "y")

    def suggested_lr(self, optimizer: str) -> float | None:
        """The learning rate suggested for ``optimizer`` on this surface, if there is one."""
        return self.suggested.get(optimizer, {}).get("lr")


class Surface:
    """A bound surface: a catalog entry with its parameter values set.

    Subclasses define ``domain``, ``starts``, ``minima`` and their formula, in one of two ways:

    - ``fdf(x, y, p)``, a static method returning ``(f, ∂f/∂x, ∂f/∂y)`` written in plain
      arithmetic and NumPy ufuncs, with the parameters in the sequence ``p`` that
      ``formula_params()`` returns. The same source then serves NumPy arrays here and is
      compiled for single floats by :mod:`surfaces.compiled`, so the engine runs it in its
      compiled loop;
    - ``_value`` and ``_grad`` (pure NumPy, exact), for formulas that need data or a parsed
      expression; the engine then calls them once per step for all runs, unless the surface
      also has an ``fdf`` and :meth:`compiled` says the engine runs it (the sparse problem's
      full batch: ``fdf`` for the compiled loop, ``_value`` and ``_grad`` for grids).
    """

    info: SurfaceInfo
    domain: tuple[tuple[float, float], tuple[float, float]]
    starts: tuple[tuple[float, float], ...]
    minima: tuple[Minimum, ...] = ()
    # Saddle points worth marking on the contour (where a run may stall or turn away).
    saddles: tuple[tuple[float, float], ...] = ()
    # Levels of the contour: log-spaced when the function's range spans decades.
    log_levels: bool = True

    def __init__(self, values: dict[str, Any]):
        self.values = dict(values)
        self.noise = float(self.values.get("noise", 0.0))

    # ----- evaluation -------------------------------------------------------------------
    def value(self, x: Any, y: Any) -> np.ndarray:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        with np.errstate(all="ignore"):
            return self._value(x, y)

    def grad(self, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        with np.errstate(all="ignore"):
            gx, gy = self._grad(x, y)
        return np.broadcast_to(gx, x.shape), np.broadcast_to(gy, y.shape)

    fdf: Callable | None = None

    def compiled(self) -> bool:
        """Whether the engine's compiled loop runs ``fdf`` for this surface (with these values)."""
        return self.fdf is not None

    def formula_params(self) -> tuple[float, ...]:
        """The parameters ``fdf`` reads, in its order."""
        return ()

    def _value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self.fdf(x, y, self.formula_params())[0]

    def _grad(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        _, gx, gy = self.fdf(x, y, self.formula_params())
        return gx, gy

    def gradient_sampler(self, steps: int, seed: int) -> GradientFn:
        """The gradient the optimizers see at update ``t``: exact, or with seeded noise.

        The noise of update t is one draw shared by every run of a batch (the look-ahead
        point of NAG included), so a run in a sweep equals the same run made alone.
        """
        raw = self._raw_sampler(steps, seed)
        table = self.noise_table(steps, seed)
        if table is None:
            return raw

        def noisy(x: np.ndarray, y: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
            gx, gy = raw(x, y, t)
            return gx + table[t, 0], gy + table[t, 1]

        return noisy

    def noise_table(self, steps: int, seed: int) -> np.ndarray | None:
        """The noise added to the gradient of each update, shape (steps, 2); None without noise."""
        if self.noise == 0:
            return None
        return self.noise * np.random.default_rng([seed, 1]).standard_normal((steps, 2))

    def _raw_sampler(self, steps: int, seed: int) -> GradientFn:
        grad = self._grad

        def exact(x: np.ndarray, y: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
            return grad(x, y)

        return exact

    # ----- metadata ---------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.info.name

    @property
    def min_value(self) -> float | None:
        """The lowest known value (the global minimum), or None when unbounded or unknown."""
        return min((m.value for m in self.minima if m.is_global), default=None)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The box a run must stay inside; leaving it counts as divergence."""
        (x0, x1), (y0, y1) = self.domain
        centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
        half = np.array([(x1 - x0) / 2, (y1 - y0) / 2]) * BOUND_FACTOR
        return centre - half, centre + half

    def nearest_minimum_distance(self, x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
        """Distance of each point to the nearest listed minimum (None if none is known)."""
        if not self.minima:
            return None
        points = np.array([(m.x, m.y) for m in self.minima])
        dx = np.asarray(x)[..., None] - points[:, 0]
        dy = np.asarray(y)[..., None] - points[:, 1]
        return np.sqrt(dx * dx + dy * dy).min(axis=-1)

    def grid(self, resolution: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """x and y axes over the plotting domain and f on their grid (rows follow y)."""
        (x0, x1), (y0, y1) = self.domain
        xs = np.linspace(x0, x1, resolution)
        ys = np.linspace(y0, y1, resolution)
        gx, gy = np.meshgrid(xs, ys)
        return xs, ys, self.value(gx, gy)


def gradients(surface: Surface, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The exact gradient at each point, shape (n, 2)."""
    gx, gy = surface.grad(x, y)
    return np.stack([np.asarray(gx, dtype=float), np.asarray(gy, dtype=float)], axis=-1)


def hessians(surface: Surface, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The Hessian at each point by central differences of the exact gradient: (n, 2, 2), symmetrized."""
    h = 1e-6 * np.maximum(1.0, np.maximum(np.abs(x), np.abs(y)))
    columns = []
    for ex, ey in ((1.0, 0.0), (0.0, 1.0)):
        plus = gradients(surface, x + ex * h, y + ey * h)
        minus = gradients(surface, x - ex * h, y - ey * h)
        columns.append((plus - minus) / (2 * h[:, None]))
    hess = np.stack(columns, axis=-1)
    return (hess + np.swapaxes(hess, 1, 2)) / 2


def newton(surface: Surface, x: np.ndarray, y: np.ndarray, iterations: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Newton's method towards a point where the exact gradient vanishes, every point at once.

    Only the speed of convergence depends on the differenced Hessian; the fixed point is where
    the exact gradient is zero. A point whose Hessian is singular or not finite stops moving.
    """
    x, y = np.array(x, dtype=float, ndmin=1), np.array(y, dtype=float, ndmin=1)
    with np.errstate(all="ignore"):
        for _ in range(iterations):
            g = gradients(surface, x, y)
            hess = hessians(surface, x, y)
            det = hess[:, 0, 0] * hess[:, 1, 1] - hess[:, 0, 1] * hess[:, 1, 0]
            ok = np.isfinite(det) & (np.abs(det) > 1e-300) & np.all(np.isfinite(g), axis=1)
            safe = np.where(ok, det, 1.0)
            dx = np.where(ok, (hess[:, 1, 1] * g[:, 0] - hess[:, 0, 1] * g[:, 1]) / safe, 0.0)
            dy = np.where(ok, (hess[:, 0, 0] * g[:, 1] - hess[:, 1, 0] * g[:, 0]) / safe, 0.0)
            x, y = x - dx, y - dy
            if np.max(np.abs(np.concatenate([dx, dy]))) < 1e-15:
                break
    return x, y


def refine_minimum(surface: Surface, x: float, y: float) -> Minimum:
    """Polish an approximate minimum by Newton's method on the exact gradient."""
    px, py = newton(surface, x, y)
    return Minimum(float(px[0]), float(py[0]), float(surface.value(px[0], py[0])))


def refine_saddle(surface: Surface, x: float, y: float) -> tuple[float, float]:
    """Polish an approximate saddle point the same way."""
    px, py = newton(surface, x, y)
    return float(px[0]), float(py[0])
