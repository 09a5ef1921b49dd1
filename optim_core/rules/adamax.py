r"""Adamax: Adam with the ∞-norm, a decayed maximum of |g|, as its denominator (torch.optim.Adamax;
Kingma & Ba 2015, Algorithm 2)."""

from __future__ import annotations

import math

from numba import njit

from optim_core.kernel import _nan_max
from optim_core.rules.base import BETA1, BETA2, State, defined, eps, lerp, lr, powers, same
from surfaces.compiled import JIT


@njit(inline="always", **JIT)
def update(g, theta, k, eta, base, lecture, m, u, beta1, beta2, eps, beta1_k):
    """One coordinate: returns θ, the effective rate, m, u."""
    if lecture:  # the order of the generic update it replaced, so the lecture numbers did not change
        m = beta1 * m + (1.0 - beta1) * g
        u = _nan_max(beta2 * u, abs(g) + eps)
        d = _nan_max(math.sqrt(0.0) + 0.0, u)
        c_m = 1.0 / (1.0 - beta1_k)
        return theta - eta * ((c_m * m + 0.0 * g) / d), (eta * c_m) / d, m, u
    # torch: exp_avg.lerp_(grad, 1 - beta1) (fused), exp_inf = amax(exp_inf·β2, |g| + eps),
    # clr = lr / bias_correction, param.addcdiv_(exp_avg, exp_inf, value=-clr).
    m = lerp(m, g, 1.0 - beta1)  # torch's exp_avg.lerp_(grad, 1 - beta1)
    u = _nan_max(u * beta2, abs(g) + eps)
    clr = eta / (1.0 - beta1_k)
    return theta + ((-clr) * m) / u, clr / u, m, u


INFO = defined(
    __name__,
    update,
    per_update=powers("beta1"),
    name="adamax",
    display_name="Adamax",
    params=(lr(0.01), BETA1, BETA2, eps(1e-8)),
    state=(State("m", "first moment: the average of g"), State("u", "the decayed maximum of |g| (the ∞-norm)")),
    rules=same(
        r"m_{t+1} = \beta_1 m_t + (1-\beta_1) g_t;\quad u_{t+1} = \max(\beta_2 u_t,\ |g_t| + \epsilon);"
        r"\quad \theta_{t+1} = \theta_t - \frac{\eta_t}{1-\beta_1^k}\,\frac{m_{t+1}}{u_{t+1}}"
    ),
    effective_lr=same(r"\eta_t / \left((1-\beta_1^k)\, u_{t+1}\right)"),
)
