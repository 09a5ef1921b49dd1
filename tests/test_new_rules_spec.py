"""The six new rules of optim_core/new_rules.md, pytorch convention, checked before the engine
has them: a scalar reference of each, written here from the spec, is fed the gradients torch
(AdamW, AMSGrad, RAdam, Rprop) or optax (AdaBelief, Lion) used and must land where they did.

The goldens come from tools/make_golden_new_rules.py (torch 2.13.0) and tools/make_golden_optax.py
(optax, float64): 200 updates on Rosenbrock and the rotated valley, constant and scheduled.
Fed the same gradients, a path's rounding differences do not grow through the surface, so the
positions must agree to a few ulps; the schedules' rates must be this project's own.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from optim_core.api import parse_schedule
from optim_core.schedules import SCHEDULES, preview
from spec_strings import resolved

GOLDEN = Path(__file__).parent / "golden"
CASES = [
    *json.loads((GOLDEN / "torch_new_rules.json").read_text())["cases"],
    *json.loads((GOLDEN / "optax_new_rules.json").read_text())["cases"],
]


def hyper(spec: str) -> tuple[str, dict[str, float]]:
    name, _, rest = spec.partition(":")
    return name, {k: float(v) for k, v in (item.split("=") for item in rest.split(","))}


def sign(x: float) -> float:
    return (x > 0) - (x < 0)


def fma(a: float, b: float, c: float) -> float:
    """a·b + c rounded once, as the fused multiply-adds of torch's compiled CPU kernels."""
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def lerp(start: float, end: float, weight: float) -> float:
    """torch.lerp as its CPU kernel computes it (the multiply-add fused)."""
    return fma(weight, end - start, start) if weight < 0.5 else end - (end - start) * (1 - weight)


# ----- scalar references, one coordinate, in the order of the spec --------------------------------
def adam_family(name: str, hp: dict):
    """AdamW, AMSGrad and RAdam, torch's single-tensor order (new_rules.md)."""
    b1, b2, eps = hp["beta1"], hp["beta2"], hp["eps"]
    m = v = v_max = 0.0

    def step(theta: float, g: float, lr: float, k: int) -> float:
        nonlocal m, v, v_max
        if name == "adamw":
            theta = theta * (1 - lr * hp["weight_decay"])
        m = lerp(m, g, 1 - b1)
        v = fma((1 - b2) * g, g, v * b2)  # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bc1, bc2 = 1 - b1 ** float(k), 1 - b2 ** float(k)
        if name == "radam":
            m_hat = m / bc1
            rho_inf = 2 / (1 - b2) - 1
            rho = rho_inf - 2 * float(k) * (b2 ** float(k)) / bc2
            if rho > 5.0:
                adaptive = (bc2**0.5) / (math.sqrt(v) + eps)
                rect = ((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)) ** 0.5
                return theta + -1.0 * (m_hat * lr * adaptive * rect)
            return theta + -1.0 * (m_hat * lr)
        if name == "amsgrad":
            v_max = max(v_max, v)
        denom = math.sqrt(v_max if name == "amsgrad" else v) / bc2**0.5 + eps
        return theta + ((-(lr / bc1)) * m) / denom  # param.addcdiv_(exp_avg, denom, value=-step_size)

    return step


def rprop(hp: dict):
    """torch.optim.Rprop: the step size starts at the first update's η and then follows the signs."""
    prev, size = 0.0, None

    def step(theta: float, g: float, lr: float, k: int) -> float:
        nonlocal prev, size
        if size is None:
            size = lr
        s = sign(g * prev)
        factor = hp["eta_plus"] if s > 0 else hp["eta_minus"] if s < 0 else 1.0
        size = min(max(size * factor, hp["step_min"]), hp["step_max"])
        if factor == hp["eta_minus"]:
            g = 0.0
        prev = g
        return theta + (-1 * sign(g)) * size

    return step


def adabelief(hp: dict):
    """optax.adabelief: the belief s is the average of (g − m)², plus eps_root each update."""
    b1, b2 = hp["beta1"], hp["beta2"]
    m = s = 0.0

    def step(theta: float, g: float, lr: float, k: int) -> float:
        nonlocal m, s
        m = (1 - b1) * g + b1 * m
        error = g - m
        s = (1 - b2) * (error * error) + b2 * s
        s = s + hp["eps_root"]
        m_hat, s_hat = m / (1 - b1**k), s / (1 - b2**k)
        return theta + (-lr) * (m_hat / (math.sqrt(s_hat) + hp["eps"]))

    return step


def lion(hp: dict):
    """optax.lion: the sign of an interpolation of m and g, then m's own average; decoupled decay."""
    b1, b2 = hp["beta1"], hp["beta2"]
    m = 0.0

    def step(theta: float, g: float, lr: float, k: int) -> float:
        nonlocal m
        update = sign((1 - b1) * g + b1 * m)
        m = (1 - b2) * g + b2 * m
        return theta + (-lr) * (update + hp["weight_decay"] * theta)

    return step


REFERENCES = {
    "adamw": lambda hp: adam_family("adamw", hp),
    "amsgrad": lambda hp: adam_family("amsgrad", hp),
    "radam": lambda hp: adam_family("radam", hp),
    "rprop": rprop,
    "adabelief": adabelief,
    "lion": lion,
}


def case_id(case: dict) -> str:
    return f"{case['optimizer'].split(':')[0]}-{case['surface'].split(':')[0]}-{case['schedule'].split(':')[0]}"


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_the_spec_reproduces_torch_and_optax_fed_their_gradients(case):
    name, hp = hyper(case["optimizer"])
    steppers = [REFERENCES[name](hp) for _ in range(2)]  # one per coordinate
    theta = list(case["start"])
    path = [list(theta)]
    for k, (g, lr) in enumerate(zip(case["gradients"], case["lr"], strict=True), start=1):
        theta = [steppers[c](theta[c], g[c], lr, k) for c in range(2)]
        path.append(list(theta))
    expected = np.array(case["positions"])
    moved = np.abs(expected[-1] - expected[0]).max()
    assert np.isfinite(expected).all() and moved > 1e-3, "the case must move and stay finite"
    if name == "adabelief":  # optax compiled by XLA, which fuses its own way: within 24 ulp on the valley
        np.testing.assert_allclose(np.array(path), expected, rtol=1e-13, atol=1e-14 * max(1.0, moved))
    else:  # torch's order with its fused multiply-adds, and optax's Lion: bit for bit
        np.testing.assert_array_equal(np.array(path), expected)


@pytest.mark.parametrize("case", [c for c in CASES if c["schedule"] != "constant"], ids=case_id)
def test_the_goldens_schedules_are_this_projects(case):
    """torch's schedulers and the functions optax was given take this project's η_t (Rprop reads
    η once, at its first update, as torch does)."""
    spec = parse_schedule(case["schedule"])
    values = resolved(spec, SCHEDULES[spec.name].params)
    np.testing.assert_allclose(
        case["lr"], preview(spec.name, values, hyper(case["optimizer"])[1]["lr"], 200), rtol=1e-12
    )
