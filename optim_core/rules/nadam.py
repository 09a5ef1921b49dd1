r"""NAdam: Adam with Nesterov's look-ahead folded into the update (torch.optim.NAdam; Dozat 2016).

The lecture convention is Dozat's rule with a constant β1. torch schedules the momentum,
μ_k = β1 (1 − ½·0.96^{kψ}), and keeps the product Π_k = μ_1 ⋯ μ_k as state.
"""

from __future__ import annotations

import math

from numba import njit

from optim_core.rules.base import BETA1, BETA2, PerUpdate, State, defined, eps, fma, lerp, lr, same
from spec_strings import Param
from surfaces.compiled import JIT

MOMENTUM_DECAY = Param(
    "momentum_decay", 0.004, "ψ of torch's NAdam momentum schedule (pytorch convention only)", low=0.0, high=1.0
)


@njit(inline="always", **JIT)
def schedule(k, beta1, beta2, momentum_decay):
    """Once per update (the same for every run that shares the keys): the lecture's factors on
    m, g and v, torch's bias correction of v, and torch's momentum μ_k and μ_{k+1}."""
    c_m = beta1 / (1.0 - beta1 ** (k + 1.0))  # β1 m / (1 − β1^(k+1)): the look-ahead on m
    c_g = (1.0 - beta1) / (1.0 - beta1**k)  # (1 − β1) g / (1 − β1^k): today's gradient
    c_v = 1.0 / (1.0 - beta2**k)
    bc2 = 1.0 - beta2**k
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (k * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((k + 1.0) * momentum_decay)))
    return c_m, c_g, c_v, bc2, mu, mu_next


@njit(inline="always", **JIT)
def update(g, theta, k, eta, base, lecture, m, v, mu_product, beta1, beta2, eps, momentum_decay,
           c_m, c_g, c_v, bc2, mu, mu_next):  # fmt: skip
    """One coordinate: returns θ, the effective rate, m, v, Π."""
    if lecture:
        m = beta1 * m + (1.0 - beta1) * g
        v = beta2 * v + (1.0 - beta2) * (g * g)
        d = math.sqrt(c_v * v) + eps
        return theta - eta * ((c_m * m + c_g * g) / d), eta / d, m, v, mu_product
    # torch: mu_product *= mu (Π_0 = 1), exp_avg.lerp_(grad, 1 - beta1) (fused), the addcmul of
    # exp_avg_sq (fused), denom = (exp_avg_sq / bias_correction2).sqrt() + eps, then two addcdivs.
    mu_product = mu if k == 1.0 else mu_product * mu
    m = lerp(m, g, 1.0 - beta1)
    v = fma((1.0 - beta2) * g, g, v * beta2)
    d = math.sqrt(v / bc2) + eps
    mu_product_next = mu_product * mu_next
    theta = theta + ((((-eta) * (1.0 - mu)) / (1.0 - mu_product)) * g) / d
    theta = theta + ((((-eta) * mu_next) / (1.0 - mu_product_next)) * m) / d
    return theta, eta / d, m, v, mu_product


INFO = defined(
    __name__,
    update,
    per_update=PerUpdate(
        schedule,
        ("beta1", "beta2", "momentum_decay"),
        ("c_m", "c_g", "c_v", "bc2", "mu", "mu_next"),
        (
            "β1 / (1 − β1^(k+1)), the factor on m (lecture)",
            "(1 − β1) / (1 − β1^k), the factor on g (lecture)",
            "1 / (1 − β2^k), the bias correction of v (lecture)",
            "1 − β2^k, torch's bias_correction2",
            "μ_k = β1 (1 − ½·0.96^(kψ)): torch's momentum at update k",
            "μ_(k+1), torch's momentum at the next update",
        ),
    ),
    name="nadam",
    display_name="NAdam",
    params=(lr(0.01), BETA1, BETA2, eps(1e-8), MOMENTUM_DECAY),
    state=(
        State("m", "first moment: the average of g"),
        State("v", "second moment: the average of g²"),
        State("mu_product", "Π_k = μ_1 ⋯ μ_k, the product of torch's momentum schedule", convention="pytorch"),
    ),
    rules={
        "lecture": r"m, v \text{ as Adam};\quad \hat v = \frac{v_{t+1}}{1-\beta_2^k};"
        r"\quad \bar m = \frac{\beta_1 m_{t+1}}{1-\beta_1^{k+1}} + \frac{(1-\beta_1) g_t}{1-\beta_1^k};"
        r"\quad \theta_{t+1} = \theta_t - \eta_t \frac{\bar m}{\sqrt{\hat v} + \epsilon}",
        "pytorch": r"\mu_k = \beta_1\left(1 - \tfrac12 0.96^{k\psi}\right);\ \Pi_k = \Pi_{k-1}\mu_k;"
        r"\quad \theta' = \theta_t - \eta_t\frac{1-\mu_k}{1-\Pi_k}\frac{g_t}{\sqrt{\hat v}+\epsilon}"
        r";\quad \theta_{t+1} = \theta' - \eta_t\frac{\mu_{k+1}}{1-\Pi_k\mu_{k+1}}\frac{m_{t+1}}{\sqrt{\hat v}+\epsilon}",
    },
    effective_lr=same(r"\eta_t / (\sqrt{\hat v} + \epsilon)"),
    pytorch_only=("momentum_decay",),
    difference="The lecture uses Dozat's rule with a constant β1; torch schedules the momentum "
    "(μ_k grows from about β1/2 towards β1, with ψ = momentum_decay).",
)
