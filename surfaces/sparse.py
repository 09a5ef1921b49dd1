"""The sparse-feature problem of the lecture, rebuilt.

One sigmoid neuron ŷ = σ(w·x + b) fitted by mean squared error to a small data set in which
a fraction ``sparsity`` of the x values is exactly 0. The plane is (w, b): the feature behind
w is sparse, b's input is always 1 (dense).

The lecture shows only plots of this problem, not its data, so the data here are
RECONSTRUCTED: n points drawn from a fixed seed, the non-zero x uniform on [0.5, 1.5], and
targets produced by a true neuron (w*, b*) = (2, −1), so the minimum is exactly 0 at (2, −1).

Full-batch gradients by default; ``batch=B`` gives seeded mini-batch gradients (the batch of
update t is drawn from the run seed and t). On a batch with no non-zero x, w's gradient is
exactly 0: the setting in which AdaGrad and Adamax are argued for.
"""

from __future__ import annotations

import numpy as np

from spec_strings import Param, SpecError
from surfaces.base import NOISE, Minimum, Surface, SurfaceInfo

DATA_SEED = 20_240_5
TRUE_W, TRUE_B = 2.0, -1.0


def reconstructed_data(n: int, sparsity: float) -> tuple[np.ndarray, np.ndarray]:
    """The fixed data set (x, target) for ``n`` points with a fraction ``sparsity`` of zero x."""
    rng = np.random.default_rng(DATA_SEED)
    x = rng.uniform(0.5, 1.5, n)
    zero_count = round(sparsity * n)
    x[rng.permutation(n)[:zero_count]] = 0.0
    target = 1.0 / (1.0 + np.exp(-(TRUE_W * x + TRUE_B)))
    return x, target


# Points × data evaluated at a time. Each point needs a few temporaries as long as the data;
# kept this small they stay in cache. A sweep of 2,000 runs on one thread (n = 100 points of
# data) took 5.1 µs per run-step evaluated all at once, 2.8 µs in slices of 163 runs.
SLICE_ELEMENTS = 16_384


def _by_slices(function, w, b, points: int) -> tuple[np.ndarray, ...]:
    """``function(w, b)`` over broadcast w and b, a slice of SLICE_ELEMENTS // points at a time.

    Each point's numbers are computed alone (a mean along its own row of data), so they do not
    depend on the slicing.
    """
    w, b = np.broadcast_arrays(w, b)
    flat_w, flat_b = w.reshape(-1), b.reshape(-1)
    size = max(1, SLICE_ELEMENTS // points)
    if flat_w.size <= size:
        return tuple(part.reshape(w.shape) for part in function(flat_w, flat_b))
    parts = [function(flat_w[i : i + size], flat_b[i : i + size]) for i in range(0, flat_w.size, size)]
    return tuple(np.concatenate(column).reshape(w.shape) for column in zip(*parts, strict=True))


class SparseDense(Surface):
    info = SurfaceInfo(
        "sparse_dense",
        "Sparse and dense features (sigmoid neuron)",
        r"L(w,b) = \frac{1}{n}\sum_{i=1}^{n}\left(\sigma(w x_i + b) - y_i\right)^2,"
        r"\quad x_i = 0 \text{ for a fraction } s \text{ of the points}",
        (
            Param("sparsity", 0.8, "fraction of the x values that are exactly 0", low=0, high=0.98),
            Param("n", 100, "number of data points", kind="int", low=10, high=1000),
            Param("batch", 0, "mini-batch size (0: full batch)", kind="int", low=0, high=1000),
            NOISE,
        ),
        "The lecture's sparse-feature problem with reconstructed data (seeded; the lecture "
        "does not publish its data). w's input is zero for most points, so its gradient is "
        "small (full batch) or exactly zero on most mini-batches.",
        axes=("w (weight of the sparse feature)", "b (bias)"),
    )
    domain = ((-6.0, 6.0), (-6.0, 6.0))
    starts = ((-4.0, 4.0), (-5.0, -5.0), (5.0, 4.0))
    minima = (Minimum(TRUE_W, TRUE_B, 0.0),)

    def __init__(self, values):
        super().__init__(values)
        n = self.values["n"]
        if self.values["batch"] > n:
            raise SpecError(f"surface sparse_dense: batch={self.values['batch']} is larger than n={n}")
        self.x_data, self.target = reconstructed_data(n, self.values["sparsity"])
        self.batch = self.values["batch"]

    @staticmethod
    def fdf(w, b, p):
        """The full-batch loss and gradient with the data in ``p`` = (n, x_1 … x_n, y_1 … y_n),
        summed in the data's order: the formula the engine's compiled loop runs (0.7-1 µs per run
        and update, n = 100, against 13 µs for NumPy's matrices of the default five runs).
        ``_value`` and ``_grad`` compute the same sums over a (points × data) matrix, which
        NumPy does faster for a contour's grid; a test holds the two equal."""
        n = int(p[0])
        f, gw, gb = 0.0, 0.0, 0.0
        for i in range(n):
            x = p[1 + i]
            pred = 1.0 / (1.0 + np.exp(-(w * x + b)))
            residual = pred - p[1 + n + i]
            common = 2.0 * residual * pred * (1.0 - pred)
            f = f + residual * residual
            gw = gw + common * x
            gb = gb + common
        return f / n, gw / n, gb / n

    def formula_params(self):
        return (float(self.x_data.size), *self.x_data, *self.target)

    def compiled(self) -> bool:
        """Mini-batches (a batch of data per update) are drawn and evaluated with NumPy."""
        return self.batch == 0

    @staticmethod
    def _residual(w, b, x, target):
        pred = 1.0 / (1.0 + np.exp(-(w[..., None] * x + b[..., None])))
        return pred - target, pred

    def _value(self, x, y):
        def loss(w, b):
            residual, _ = self._residual(w, b, self.x_data, self.target)
            return (np.mean(residual * residual, axis=-1),)

        return _by_slices(loss, x, y, self.x_data.size)[0]

    def _grad_on(self, w, b, x, target):
        def grad(w, b):
            residual, pred = self._residual(w, b, x, target)
            common = 2.0 * residual * pred * (1.0 - pred)
            return np.mean(common * x, axis=-1), np.mean(common, axis=-1)

        return _by_slices(grad, w, b, x.size)

    def _grad(self, x, y):
        return self._grad_on(x, y, self.x_data, self.target)

    def _raw_sampler(self, steps, seed):
        if self.batch == 0:
            return super()._raw_sampler(steps, seed)
        batches = self.batches(steps, seed)
        xs, targets = self.x_data[batches], self.target[batches]

        def minibatch(w, b, t):
            return self._grad_on(w, b, xs[t], targets[t])

        return minibatch

    def batches(self, steps: int, seed: int) -> np.ndarray:
        """The data indices of each update's mini-batch, shape (steps, batch), from the seed."""
        rng = np.random.default_rng([seed, 2])
        n = self.x_data.size
        return np.stack([rng.choice(n, self.batch, replace=False) for _ in range(steps)])

    def batch_has_signal(self, steps: int, seed: int) -> np.ndarray:
        """For each update, whether its mini-batch holds a non-zero x (always, at full batch)."""
        if self.batch == 0:
            return np.full(steps, bool(np.any(self.x_data != 0)))
        return np.any(self.x_data[self.batches(steps, seed)] != 0, axis=1)
