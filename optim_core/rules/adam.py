r"""Adam: momentum on g divided by the root of the average of g², both corrected for their
start at 0 (torch.optim.Adam; Kingma & Ba 2015)."""

from __future__ import annotations

import math

from numba import njit

from optim_core.rules.base import BETA1, BETA2, State, defined, eps, fma, lerp, lr, powers, same
from spec_strings import Param
from surfaces.compiled import JIT

BIAS_CORRECTION = Param("bias_correction", True, "divide m and v by (1 − β^k) (lecture convention only)", kind="bool")


@njit(inline="always", **JIT)
def update(g, theta, k, eta, base, lecture, m, v, beta1, beta2, eps, bias_correction, beta1_k, beta2_k):
    """One coordinate: returns θ, the effective rate, m, v."""
    if lecture:
        m = beta1 * m + (1.0 - beta1) * g
        v = beta2 * v + (1.0 - beta2) * (g * g)
        c_m, c_v = 1.0, 1.0
        if bias_correction:
            c_m, c_v = 1.0 / (1.0 - beta1_k), 1.0 / (1.0 - beta2_k)
        d = math.sqrt(c_v * v + 0.0) + eps
        return theta - eta * ((c_m * m + 0.0 * g) / d), eta / d, m, v
    # torch's single-tensor order, its fused multiply-adds included: exp_avg.lerp_(grad, 1 - beta1)
    # (m + w·(g − m), fused), exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2) (fused),
    # denom = exp_avg_sq.sqrt() / bias_correction2_sqrt + eps, param.addcdiv_(exp_avg, denom, value=-step_size).
    m = lerp(m, g, 1.0 - beta1)  # torch's exp_avg.lerp_(grad, 1 - beta1)
    v = fma((1.0 - beta2) * g, g, v * beta2)
    bc1, bc2 = 1.0 - beta1_k, 1.0 - beta2_k
    d = math.sqrt(v) / bc2**0.5 + eps
    return theta + ((-(eta / bc1)) * m) / d, eta / d, m, v


INFO = defined(
    __name__,
    update,
    per_update=powers("beta1", "beta2"),
    name="adam",
    display_name="Adam",
    params=(lr(0.01), BETA1, BETA2, eps(1e-8), BIAS_CORRECTION),
    state=(State("m", "first moment: the average of g"), State("v", "second moment: the average of g²")),
    rules=same(
        r"m_{t+1} = \beta_1 m_t + (1-\beta_1) g_t;\quad v_{t+1} = \beta_2 v_t + (1-\beta_2) g_t^2;"
        r"\quad \hat m = \frac{m_{t+1}}{1-\beta_1^k};\quad \hat v = \frac{v_{t+1}}{1-\beta_2^k};"
        r"\quad \theta_{t+1} = \theta_t - \eta_t \frac{\hat m}{\sqrt{\hat v} + \epsilon}"
    ),
    effective_lr=same(r"\eta_t / (\sqrt{\hat v} + \epsilon)"),
    lecture_only=("bias_correction",),
    difference="Same rule; only the lecture convention can switch bias correction off.",
)
