r"""AdaGrad: divide by the root of the sum of every g² so far (torch.optim.Adagrad; Duchi et al. 2011).

Each coordinate's rate only shrinks: it stalls where the early gradients were large.
"""

from __future__ import annotations

import math

from numba import njit

from optim_core.rules.base import State, defined, eps, fma, lr
from surfaces.compiled import JIT


@njit(inline="always", **JIT)
def update(g, theta, k, eta, base, lecture, v, eps):
    """One coordinate: returns θ, the effective rate, v."""
    if lecture:
        v = v + g * g
        d = math.sqrt(v + eps)  # ε inside the root
        return theta - eta * (g / d), eta / d, v
    # torch: state_sum.addcmul_(grad, grad, value=1) (fused), std = state_sum.sqrt().add_(eps),
    # param.addcdiv_(grad, std, value=-clr) with clr = lr (no lr_decay).
    v = fma(g, g, v)
    d = math.sqrt(v) + eps
    return theta + ((-eta) * g) / d, eta / d, v


INFO = defined(
    __name__,
    update,
    name="adagrad",
    display_name="AdaGrad",
    params=(lr(0.5), eps(1e-8)),
    state=(State("v", "the sum of every g² so far"),),
    rules={
        "lecture": r"v_{t+1} = v_t + g_t^2;\quad \theta_{t+1} = \theta_t - \frac{\eta_t}{\sqrt{v_{t+1} + \epsilon}}\, g_t",
        "pytorch": r"v_{t+1} = v_t + g_t^2;\quad \theta_{t+1} = \theta_t - \frac{\eta_t}{\sqrt{v_{t+1}} + \epsilon}\, g_t",
    },
    effective_lr={
        "lecture": r"\eta_t / \sqrt{v_{t+1} + \epsilon}",
        "pytorch": r"\eta_t / (\sqrt{v_{t+1}} + \epsilon)",
    },
    difference="ε inside the square root (lecture) or added after it (torch).",
)
