r"""Lion: evolved sign momentum (optax.lion; Chen et al. 2023).

Every coordinate moves by exactly η_t (plus the decay): the sign of a blend of m and g.
m itself is averaged with a second, slower β2. torch has no Lion, so the pytorch
convention follows optax; the paper's Program 1 is the same rule.
"""

from __future__ import annotations

import math

from numba import njit

from optim_core.rules.base import State, defined, lr, same, weight_decay
from optim_core.rules.rprop import sign
from spec_strings import Param
from surfaces.compiled import JIT


@njit(inline="always", **JIT)
def update(g, theta, k, eta, base, lecture, m, beta1, beta2, weight_decay):
    """One coordinate: returns θ, the effective rate, m."""
    u = sign((1.0 - beta1) * g + beta1 * m)
    m = (1.0 - beta2) * g + beta2 * m
    effective = eta / abs(g) if g != 0.0 else math.nan
    return theta + (-eta) * (u + weight_decay * theta), effective, m


INFO = defined(
    __name__,
    update,
    name="lion",
    display_name="Lion",
    params=(
        lr(0.0001, "learning rate η: every step is η long (the paper: 3–10× below AdamW's)"),
        Param("beta1", 0.9, "β1, the blend of m and g whose sign is the step", low=0.0, high=1.0),
        Param("beta2", 0.99, "β2, decay of the momentum m", low=0.0, high=1.0),
        weight_decay(0.001, "λ, decoupled weight decay: θ − η_t λ θ"),
    ),
    state=(State("m", "momentum: the average of g with β2", velocity=False),),
    rules=same(
        r"u = \mathrm{sign}(\beta_1 m_t + (1-\beta_1) g_t);\quad m_{t+1} = \beta_2 m_t + (1-\beta_2) g_t;"
        r"\quad \theta_{t+1} = \theta_t - \eta_t (u + \lambda\theta_t)"
    ),
    effective_lr=same(r"\eta_t / |g_t|"),
)
