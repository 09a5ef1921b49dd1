r"""AMSGrad: Adam whose denominator never shrinks (torch.optim.Adam amsgrad=True; Reddi et al. 2018).

It keeps the largest second moment seen, v_max, and divides by it: the effective rate can
only fall while v_max holds, which is what fixes Adam's non-convergence example.
"""

from __future__ import annotations

import math

from numba import njit

from optim_core.rules.base import BETA1, BETA2, State, defined, eps, fma, lerp, lr, powers
from surfaces.compiled import JIT


@njit(inline="always", **JIT)
def update(g, theta, k, eta, base, lecture, m, v, v_max, beta1, beta2, eps, beta1_k, beta2_k):
    """One coordinate: returns θ, the effective rate, m, v, v_max."""
    if lecture:
        # The paper's Algorithm 2: no bias correction, the maximum of v itself (ε added as Adam's guard).
        m = beta1 * m + (1.0 - beta1) * g
        v = beta2 * v + (1.0 - beta2) * (g * g)
        v_max = max(v_max, v)
        d = math.sqrt(v_max) + eps
        return theta - eta * (m / d), eta / d, m, v, v_max
    m = lerp(m, g, 1.0 - beta1)  # torch's exp_avg.lerp_(grad, 1 - beta1)
    v = fma((1.0 - beta2) * g, g, v * beta2)  # mul_(beta2).addcmul_(grad, grad, value=1 - beta2), fused
    bc1, bc2 = 1.0 - beta1_k, 1.0 - beta2_k
    v_max = max(v_max, v)
    d = math.sqrt(v_max) / bc2**0.5 + eps
    return theta + ((-(eta / bc1)) * m) / d, eta / d, m, v, v_max  # addcdiv, as Adam's


INFO = defined(
    __name__,
    update,
    per_update=powers("beta1", "beta2"),
    name="amsgrad",
    display_name="AMSGrad",
    params=(lr(0.001), BETA1, BETA2, eps(1e-8)),
    state=(
        State("m", "first moment: the average of g"),
        State("v", "second moment: the average of g²"),
        State("v_max", "the largest v so far; the denominator uses it"),
    ),
    rules={
        "lecture": r"m, v \text{ as Adam};\quad \hat v_{t+1} = \max(\hat v_t, v_{t+1});"
        r"\quad \theta_{t+1} = \theta_t - \eta_t \frac{m_{t+1}}{\sqrt{\hat v_{t+1}} + \epsilon}",
        "pytorch": r"m, v \text{ as Adam};\quad v^{\max}_{t+1} = \max(v^{\max}_t, v_{t+1});"
        r"\quad \theta_{t+1} = \theta_t - \frac{\eta_t}{1-\beta_1^k}\,\frac{m_{t+1}}{\sqrt{v^{\max}_{t+1}}/\sqrt{1-\beta_2^k} + \epsilon}",
    },
    effective_lr={
        "lecture": r"\eta_t / (\sqrt{\hat v_{t+1}} + \epsilon)",
        "pytorch": r"\eta_t / (\sqrt{v^{\max}_{t+1}}/\sqrt{1-\beta_2^k} + \epsilon)",
    },
    difference="The paper (lecture) has no bias correction and takes the maximum of v; torch corrects m "
    "and divides the maximum by 1 − β2^k.",
)
