r"""AdaBelief: Adam that divides by how far g strays from its average (optax.adabelief; Zhuang et al. 2020).

s averages (g − m)², the "belief" in the gradient: where g is as predicted the step is
large, where it surprises the step is small. torch has no AdaBelief, so the pytorch
convention follows optax.
"""

from __future__ import annotations

import math

from numba import njit

from optim_core.rules.base import BETA1, State, defined, eps, lr, powers
from spec_strings import Param
from surfaces.compiled import JIT


@njit(inline="always", **JIT)
def update(g, theta, k, eta, base, lecture, m, s, beta1, beta2, eps, eps_root, beta1_k, beta2_k):
    """One coordinate: returns θ, the effective rate, m, s."""
    m = (1.0 - beta1) * g + beta1 * m
    error = g - m
    s = (1.0 - beta2) * (error * error) + beta2 * s
    s = s + (eps if lecture else eps_root)  # the paper adds its ε to s at every update
    m_hat, s_hat = m / (1.0 - beta1_k), s / (1.0 - beta2_k)
    d = math.sqrt(s_hat) + eps
    return theta + (-eta) * (m_hat / d), eta / d, m, s


INFO = defined(
    __name__,
    update,
    per_update=powers("beta1", "beta2"),
    name="adabelief",
    display_name="AdaBelief",
    params=(
        lr(0.001),
        BETA1,
        Param("beta2", 0.999, "β2, decay of the belief s", low=0.0, high=1.0),
        eps(1e-16),
        Param("eps_root", 1e-16, "added to s at every update (optax; the lecture adds ε)", low=0.0, high=1.0, log=True),
    ),
    state=(State("m", "first moment: the average of g"), State("s", "the belief: the average of (g − m)²")),
    rules={
        "lecture": r"m_{t+1} = \beta_1 m_t + (1-\beta_1) g_t;\quad s_{t+1} = \beta_2 s_t + (1-\beta_2)(g_t - m_{t+1})^2 + \epsilon;"
        r"\quad \theta_{t+1} = \theta_t - \eta_t \frac{\hat m}{\sqrt{\hat s} + \epsilon}",
        "pytorch": r"m_{t+1} = \beta_1 m_t + (1-\beta_1) g_t;\quad s_{t+1} = \beta_2 s_t + (1-\beta_2)(g_t - m_{t+1})^2 + \epsilon_{root};"
        r"\quad \theta_{t+1} = \theta_t - \eta_t \frac{\hat m}{\sqrt{\hat s} + \epsilon}",
    },
    effective_lr={
        "lecture": r"\eta_t / (\sqrt{\hat s} + \epsilon)",
        "pytorch": r"\eta_t / (\sqrt{\hat s} + \epsilon)",
    },
    pytorch_only=("eps_root",),
    difference="optax (pytorch convention) adds eps_root to s; the paper (lecture) adds ε itself.",
)
