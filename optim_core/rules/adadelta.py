r"""AdaDelta: the step's units restored by the root of the average of past squared steps
(torch.optim.Adadelta; Zeiler 2012)."""

from __future__ import annotations

import math

from numba import njit

from optim_core.rules.base import State, beta, defined, eps, fma, lr, same
from surfaces.compiled import JIT


@njit(inline="always", **JIT)
def update(g, theta, k, eta, base, lecture, v, u, beta, eps):
    """One coordinate: returns θ, the effective rate, v, u."""
    if lecture:  # the order of the generic update it replaced, so the lecture numbers did not change
        v = beta * v + (1.0 - beta) * (g * g)
        d = (math.sqrt(1.0 * v + eps) + 0.0) / math.sqrt(u + eps)
        step = g / d
        u = beta * u + (1.0 - beta) * (step * step)
        return theta - eta * step, eta / d, v, u
    # torch: square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho) (fused), std = sqrt(v + eps),
    # delta = sqrt(acc_delta + eps) / std * grad, acc_delta.mul_(rho).addcmul_(delta, delta,
    # value=1 - rho) (fused), param.add_(delta, alpha=-lr) (fused).
    v = fma((1.0 - beta) * g, g, v * beta)
    std = math.sqrt(v + eps)
    rate = math.sqrt(u + eps) / std
    delta = rate * g
    u = fma((1.0 - beta) * delta, delta, u * beta)
    return fma(-eta, delta, theta), eta * rate, v, u


INFO = defined(
    __name__,
    update,
    name="adadelta",
    display_name="AdaDelta",
    params=(lr(1.0), beta(0.9, "β (torch's rho), decay of both averages"), eps(1e-6)),
    state=(State("v", "second moment: the average of g²"), State("u", "the average of the squared updates Δ²")),
    rules=same(
        r"v_{t+1} = \beta v_t + (1-\beta) g_t^2;\quad \Delta_t = -\frac{\sqrt{u_t + \epsilon}}{\sqrt{v_{t+1} + \epsilon}}\, g_t;"
        r"\quad u_{t+1} = \beta u_t + (1-\beta)\Delta_t^2;\quad \theta_{t+1} = \theta_t + \eta_t \Delta_t"
    ),
    effective_lr=same(r"\eta_t \sqrt{u_t + \epsilon} / \sqrt{v_{t+1} + \epsilon}"),
)
