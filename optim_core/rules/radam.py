r"""RAdam: Adam with its variance rectified (torch.optim.RAdam; Liu et al. 2020).

While the second moment rests on too few gradients (ρ_t ≤ 5 in torch, 4 in the paper) the
step is a plain momentum step η_t·m̂ with no adaptive scale; after that Adam's step times the
rectification r_t, which grows towards 1. With β2 = 0.999 the first five updates are plain:
a rate that suits Adam can throw them far.
"""

from __future__ import annotations

import math

from numba import njit

from optim_core.rules.base import BETA1, BETA2, State, defined, eps, fma, lerp, lr, powers, same
from surfaces.compiled import JIT


@njit(inline="always", **JIT)
def update(g, theta, k, eta, base, lecture, m, v, beta1, beta2, eps, beta1_k, beta2_k):
    """One coordinate: returns θ, the effective rate, m, v."""
    if lecture:
        m = beta1 * m + (1.0 - beta1) * g
        v = beta2 * v + (1.0 - beta2) * (g * g)
    else:
        m = lerp(m, g, 1.0 - beta1)  # torch's exp_avg.lerp_(grad, 1 - beta1)
        v = fma((1.0 - beta2) * g, g, v * beta2)  # addcmul, fused
    bc1, bc2 = 1.0 - beta1_k, 1.0 - beta2_k
    m_hat = m / bc1
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho = rho_inf - 2.0 * k * beta2_k / bc2
    if rho > (4.0 if lecture else 5.0):
        adaptive = bc2**0.5 / (math.sqrt(v) + eps)
        rect = math.sqrt((rho - 4.0) * (rho - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho))
        return theta + -1.0 * (m_hat * eta * adaptive * rect), eta * adaptive * rect, m, v
    return theta + -1.0 * (m_hat * eta), eta, m, v


INFO = defined(
    __name__,
    update,
    per_update=powers("beta1", "beta2"),
    name="radam",
    display_name="RAdam",
    params=(lr(0.001), BETA1, BETA2, eps(1e-8)),
    state=(State("m", "first moment: the average of g"), State("v", "second moment: the average of g²")),
    rules={
        "lecture": r"\rho_t = \rho_\infty - \frac{2k\beta_2^k}{1-\beta_2^k};\quad \theta_{t+1} = \theta_t - \eta_t \hat m"
        r"\ \text{while } \rho_t \le 4;\quad \theta_{t+1} = \theta_t - \eta_t r_t \frac{\hat m \sqrt{1-\beta_2^k}}{\sqrt{v_{t+1}} + \epsilon}"
        r"\ \text{once } \rho_t > 4",
        "pytorch": r"\rho_t = \rho_\infty - \frac{2k\beta_2^k}{1-\beta_2^k};\quad \theta_{t+1} = \theta_t - \eta_t \hat m"
        r"\ \text{while } \rho_t \le 5;\quad \theta_{t+1} = \theta_t - \eta_t r_t \frac{\hat m \sqrt{1-\beta_2^k}}{\sqrt{v_{t+1}} + \epsilon}"
        r"\ \text{once } \rho_t > 5",
    },
    effective_lr=same(
        r"\eta_t r_t \sqrt{1-\beta_2^k} / (\sqrt{v_{t+1}} + \epsilon) \text{ once rectified, else } \eta_t"
    ),
    difference="The paper (lecture) rectifies once ρ_t > 4; torch waits for ρ_t > 5, one more plain step.",
)
