r"""Gradient descent: θ moves against the gradient, η_t times it."""

from __future__ import annotations

from numba import njit

from optim_core.rules.base import defined, fma, lr, same
from surfaces.compiled import JIT


@njit(inline="always", **JIT)
def update(g, theta, k, eta, base, lecture):
    """One coordinate: returns θ and the effective rate."""
    if lecture:
        return theta - eta * g, eta
    # torch: param.add_(grad, alpha=-lr), which its CPU kernel computes as one fused multiply-add.
    return fma(-eta, g, theta), eta


INFO = defined(
    __name__,
    update,
    name="gd",
    display_name="Gradient descent",
    params=(lr(0.001),),
    state=(),
    rules=same(r"\theta_{t+1} = \theta_t - \eta_t g_t"),
    effective_lr=same(r"\eta_t"),
)
