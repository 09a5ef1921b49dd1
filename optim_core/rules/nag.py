r"""Nesterov's accelerated gradient: momentum whose gradient is taken where the velocity is
about to carry θ (torch.optim.SGD with nesterov=True)."""

from __future__ import annotations

from numba import njit

from optim_core.rules.base import State, beta, defined, fma, lr, same
from surfaces.compiled import JIT


@njit(inline="always", **JIT)
def update(g, theta, k, eta, base, lecture, u, beta):
    """One coordinate: returns θ, the effective rate, the velocity (u, or torch's buffer b).

    In the lecture convention g was taken at the look-ahead point θ − β·u (``lookahead``)."""
    if lecture:
        u = beta * u + eta * g
        return theta - 1.0 * u, eta, u
    # torch: buf.mul_(momentum).add_(grad); grad = grad.add(buf, alpha=momentum) (fused);
    # param.add_(grad, alpha=-lr) (fused).
    u = beta * u + 1.0 * g
    return fma(-eta, fma(beta, u, g), theta), eta, u


INFO = defined(
    __name__,
    update,
    lookahead="beta",
    name="nag",
    display_name="Nesterov (NAG)",
    params=(lr(0.001), beta(0.9, "β, decay of the velocity")),
    state=(State("u", "velocity: the decayed sum of η·g", velocity=True, pytorch_name="b"),),
    rules={
        "lecture": r"g_t = \nabla L(\theta_t - \beta u_t);\quad u_{t+1} = \beta u_t + \eta_t g_t;"
        r"\quad \theta_{t+1} = \theta_t - u_{t+1}",
        "pytorch": r"b_{t+1} = \beta b_t + g_t;\quad \theta_{t+1} = \theta_t - \eta_t (g_t + \beta b_{t+1})",
    },
    effective_lr=same(r"\eta_t"),
    difference="The lecture evaluates the gradient at the look-ahead point θ − βu; torch evaluates it at θ "
    "and steps along g + βb, so torch's iterate is the lecture's look-ahead point.",
)
