r"""AdamW: Adam with decoupled weight decay (torch.optim.AdamW; Loshchilov & Hutter 2019).

The decay shrinks θ itself instead of adding λθ to the gradient, so it is not scaled by
Adam's denominator. torch shrinks by η_t·λ before the update; the paper subtracts
(η_t/η)·λ·θ_t (its schedule multiplier times λ), a thousand times more at η = 1e-3.
"""

from __future__ import annotations

import math

from numba import njit

from optim_core.rules.base import BETA1, BETA2, State, defined, eps, fma, lerp, lr, powers, weight_decay
from surfaces.compiled import JIT


@njit(inline="always", **JIT)
def update(g, theta, k, eta, base, lecture, m, v, beta1, beta2, eps, weight_decay, beta1_k, beta2_k):
    """One coordinate: returns θ, the effective rate, m, v."""
    if lecture:
        # The paper's Algorithm 2, in Adam's order (so weight_decay = 0 is this project's Adam).
        decay = (eta / base) * weight_decay * theta
        m = beta1 * m + (1.0 - beta1) * g
        v = beta2 * v + (1.0 - beta2) * (g * g)
        d = math.sqrt(1.0 / (1.0 - beta2_k) * v + 0.0) + eps
        theta = theta - eta * ((1.0 / (1.0 - beta1_k) * m + 0.0 * g) / d) - decay
        return theta, eta / d, m, v
    # torch's single-tensor order: decay first, m by lerp, the bias corrections last.
    theta = theta * (1.0 - eta * weight_decay)
    m = lerp(m, g, 1.0 - beta1)  # torch's exp_avg.lerp_(grad, 1 - beta1)
    v = fma((1.0 - beta2) * g, g, v * beta2)  # mul_(beta2).addcmul_(grad, grad, value=1 - beta2), fused
    bc1, bc2 = 1.0 - beta1_k, 1.0 - beta2_k
    d = math.sqrt(v) / bc2**0.5 + eps
    theta = theta + ((-(eta / bc1)) * m) / d  # param.addcdiv_(exp_avg, denom, value=-step_size)
    return theta, eta / d, m, v


INFO = defined(
    __name__,
    update,
    per_update=powers("beta1", "beta2"),
    name="adamw",
    display_name="AdamW",
    params=(
        lr(0.001),
        BETA1,
        BETA2,
        eps(1e-8),
        weight_decay(0.01, "λ, decoupled weight decay: θ shrinks towards 0 by itself, not through g"),
    ),
    state=(State("m", "first moment: the average of g"), State("v", "second moment: the average of g²")),
    rules={
        "lecture": r"m, v, \hat m, \hat v \text{ as Adam};\quad \theta_{t+1} = \theta_t - \eta_t \frac{\hat m}{\sqrt{\hat v} + \epsilon}"
        r" - \frac{\eta_t}{\eta}\lambda\theta_t",
        "pytorch": r"\theta' = \theta_t(1 - \eta_t\lambda);\quad m, v \text{ as Adam};"
        r"\quad \theta_{t+1} = \theta' - \frac{\eta_t}{1-\beta_1^k}\,\frac{m_{t+1}}{\sqrt{v_{t+1}}/\sqrt{1-\beta_2^k} + \epsilon}",
    },
    effective_lr={
        "lecture": r"\eta_t / (\sqrt{\hat v} + \epsilon)",
        "pytorch": r"\eta_t / (\sqrt{v_{t+1}}/\sqrt{1-\beta_2^k} + \epsilon)",
    },
    difference="torch shrinks θ by η_t·λ before the step; the paper (lecture) subtracts (η_t/η)·λ·θ_t, "
    "so with η = 0.001 the same λ decays a thousand times more in the lecture convention.",
)
