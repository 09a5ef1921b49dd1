r"""Rprop: resilient propagation (torch.optim.Rprop; Riedmiller & Braun 1993).

Each coordinate has its own step size, which grows by η₊ while the gradient keeps its sign
and shrinks by η₋ when it flips; θ moves by that size against the gradient's sign, so |g|
never matters. η is the first step size only: a schedule changes nothing afterwards.
"""

from __future__ import annotations

import math

from numba import njit

from optim_core.rules.base import State, defined, lr, same
from spec_strings import Param
from surfaces.compiled import JIT


@njit(inline="always", **JIT)
def sign(x):
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


@njit(inline="always", **JIT)
def update(g, theta, k, eta, base, lecture, step, prev, delta, eta_minus, eta_plus, step_min, step_max):
    """One coordinate: returns θ, the effective rate, step, prev, delta."""
    if k == 1.0:
        step = eta
    effective = step / abs(g) if g != 0.0 else math.nan  # the rate this step stands for, before it changes
    s = sign(g * prev)
    factor = eta_plus if s > 0.0 else (eta_minus if s < 0.0 else 1.0)
    step = min(max(step * factor, step_min), step_max)
    if factor == eta_minus:
        if lecture:
            # The paper's weight-backtracking: take the previous move back, and forget g.
            return theta - delta, effective, step, 0.0, -delta
        g = 0.0
    delta = (-1.0 * sign(g)) * step
    return theta + delta, effective, step, g, delta


INFO = defined(
    __name__,
    update,
    name="rprop",
    display_name="Rprop",
    params=(
        lr(0.01, "η, the first step size (Rprop reads it once: a schedule has no effect)"),
        Param("eta_minus", 0.5, "η₋, the step size's factor when g changes sign", low=0.0, high=1.0, low_open=True),
        Param("eta_plus", 1.2, "η₊, the step size's factor while g keeps its sign", low=1.0, high=10.0),
        Param("step_min", 1e-6, "the smallest step size", low=0.0, high=1000.0, log=True),
        Param("step_max", 50.0, "the largest step size", low=0.0, high=1000.0, low_open=True, log=True),
    ),
    state=(
        State("step", "each coordinate's step size"),
        State("prev", "the last gradient kept (0 after a sign change)"),
        State("delta", "the last move of θ"),
    ),
    rules={
        "lecture": r"s_{t+1} = \mathrm{clip}(f\,s_t);\ f = \eta_\pm \text{ by the sign of } g_t g_{t-1};"
        r"\quad \theta_{t+1} = \theta_t - \mathrm{sign}(g_t)\,s_{t+1},\ \text{or } \theta_t - \Delta_{t-1}"
        r"\text{ (back) when the sign flipped}",
        "pytorch": r"s_{t+1} = \mathrm{clip}(f\,s_t);\ f = \eta_\pm \text{ by the sign of } g_t g_{t-1};"
        r"\quad \theta_{t+1} = \theta_t - \mathrm{sign}(g_t)\,s_{t+1},\ g_t := 0 \text{ when the sign flipped}",
    },
    effective_lr=same(r"s_t / |g_t|"),
    note="Rprop reads η once, as its first step size: a schedule does not change it, and |g| never matters.",
    difference="The paper (lecture) takes the previous move back when the gradient changes sign "
    "(weight-backtracking); torch's Rprop only skips that step (Rprop⁻).",
)
