r"""RMSprop: divide by the root of a decaying average of g² (torch.optim.RMSprop; Hinton's lecture 6e).

There is no bias correction: v starts at 0, so the first update moves each coordinate by
about η/√(1−β).
"""

from __future__ import annotations

import math

from numba import njit

from optim_core.rules.base import State, beta, defined, eps, fma, lr
from surfaces.compiled import JIT


@njit(inline="always", **JIT)
def update(g, theta, k, eta, base, lecture, v, beta, eps):
    """One coordinate: returns θ, the effective rate, v."""
    if lecture:
        v = beta * v + (1.0 - beta) * (g * g)
        d = math.sqrt(1.0 * v + eps) + 0.0  # ε inside the root
        return theta - eta * (g / d), eta / d, v
    # torch: square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha), whose multiply-add is
    # fused; avg = square_avg.sqrt().add_(eps); param.addcdiv_(grad, avg, value=-lr).
    v = fma((1.0 - beta) * g, g, v * beta)
    d = math.sqrt(v) + eps
    return theta + ((-eta) * g) / d, eta / d, v


INFO = defined(
    __name__,
    update,
    name="rmsprop",
    display_name="RMSprop",
    params=(lr(0.01), beta(0.9, "β, decay of the average of g²"), eps(1e-8)),
    state=(State("v", "second moment: the average of g²"),),
    rules={
        "lecture": r"v_{t+1} = \beta v_t + (1-\beta) g_t^2;\quad \theta_{t+1} = \theta_t - \frac{\eta_t}{\sqrt{v_{t+1} + \epsilon}}\, g_t",
        "pytorch": r"v_{t+1} = \beta v_t + (1-\beta) g_t^2;\quad \theta_{t+1} = \theta_t - \frac{\eta_t}{\sqrt{v_{t+1}} + \epsilon}\, g_t",
    },
    effective_lr={
        "lecture": r"\eta_t / \sqrt{v_{t+1} + \epsilon}",
        "pytorch": r"\eta_t / (\sqrt{v_{t+1}} + \epsilon)",
    },
    difference="ε inside the square root (lecture) or added after it (torch); β is torch's alpha.",
)
