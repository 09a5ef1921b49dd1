r"""Momentum: a velocity that remembers past gradients (the heavy ball; torch.optim.SGD with momentum)."""

from __future__ import annotations

from numba import njit

from optim_core.rules.base import State, beta, defined, fma, lr, same
from surfaces.compiled import JIT


@njit(inline="always", **JIT)
def update(g, theta, k, eta, base, lecture, u, beta):
    """One coordinate: returns θ, the effective rate, the velocity (u, or torch's buffer b)."""
    if lecture:
        u = beta * u + eta * g  # u already holds η·g
        return theta - 1.0 * u, eta, u
    # torch: buf.mul_(momentum).add_(grad) (buf = g at the first update: 0·β + g is g), then
    # param.add_(buf, alpha=-lr), one fused multiply-add.
    u = beta * u + 1.0 * g
    return fma(-eta, u, theta), eta, u


INFO = defined(
    __name__,
    update,
    name="momentum",
    display_name="Momentum",
    params=(lr(0.001), beta(0.9, "β, decay of the velocity")),
    state=(State("u", "velocity: the decayed sum of η·g", velocity=True, pytorch_name="b"),),
    rules={
        "lecture": r"u_{t+1} = \beta u_t + \eta_t g_t;\quad \theta_{t+1} = \theta_t - u_{t+1}",
        "pytorch": r"b_{t+1} = \beta b_t + g_t;\quad \theta_{t+1} = \theta_t - \eta_t b_{t+1}",
    },
    effective_lr=same(r"\eta_t"),
    difference="torch's buffer b holds the sum of gradients and is scaled by today's η_t; the lecture's u "
    "already holds η·g. Equal while η is constant (u = η b), different under a schedule.",
)
