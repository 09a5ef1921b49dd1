"""Generate tests/golden/optax_new_rules.json: AdaBelief and Lion, the two new rules torch lacks,
run by optax in float64.

Run with a Python that has jax and optax (not test dependencies):

    python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install jax optax
    /tmp/jaxenv/bin/python tools/make_golden_optax.py

It imports nothing of this project but tools/golden_surfaces.py (the surfaces in plain
arithmetic, which jax arrays go through as torch tensors do). optax.adabelief and optax.lion run 200 updates on each at a constant rate, and on
Rosenbrock under a step and a cosine schedule given to optax as a function of the update's
index k (0 for the first), with the values torch's StepLR and CosineAnnealingLR take there.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

from tools.golden_surfaces import STEPS, SURFACES, schedule_cases  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "golden" / "optax_new_rules.json"

HYPER = {
    "adabelief": {
        "rosenbrock": {"lr": 0.05, "beta1": 0.9, "beta2": 0.999, "eps": 1e-16, "eps_root": 1e-16},
        "valley": {"lr": 0.2, "beta1": 0.8, "beta2": 0.99, "eps": 1e-8, "eps_root": 1e-12},
    },
    "lion": {
        "rosenbrock": {"lr": 0.005, "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.001},
        "valley": {"lr": 0.05, "beta1": 0.8, "beta2": 0.95, "weight_decay": 0.01},
    },
}


def step_schedule(lr):
    return lambda k: lr * 0.5 ** (k // 50)


def cosine_schedule(lr, t_max=120, eta_min=0.0001):
    """CosineAnnealingLR's values, closed form (torch's recursion agrees to rounding)."""
    return lambda k: eta_min + (lr - eta_min) * (1 + jnp.cos(jnp.pi * k / t_max)) / 2


SCHEDULES = {
    "constant": None,
    "step:step_size=50,gamma=0.5": step_schedule,
    "cosine:t_max=120,eta_min=0.0001": cosine_schedule,
}


def make_optimizer(name, hp, rate):
    if name == "adabelief":
        return optax.adabelief(rate, b1=hp["beta1"], b2=hp["beta2"], eps=hp["eps"], eps_root=hp["eps_root"])
    if name == "lion":
        return optax.lion(rate, b1=hp["beta1"], b2=hp["beta2"], weight_decay=hp["weight_decay"])
    raise KeyError(name)


def run(surface, name, hp, schedule):
    loss_fn, start = SURFACES[surface]
    rate = hp["lr"] if schedule is None else schedule(hp["lr"])
    opt = make_optimizer(name, hp, rate)
    p = jnp.array(start, dtype=jnp.float64)
    state = opt.init(p)
    grad = jax.grad(loss_fn)
    positions, rates, gradients = [[float(v) for v in p]], [], []
    for k in range(STEPS):
        g = grad(p)
        rates.append(float(hp["lr"] if schedule is None else rate(k)))
        gradients.append([float(v) for v in g])
        updates, state = opt.update(g, state, p)
        p = optax.apply_updates(p, updates)
        positions.append([float(v) for v in p])
    return positions, rates, gradients


def main():
    cases = schedule_cases(HYPER, SCHEDULES, run)
    OUT.write_text(json.dumps({"optax": optax.__version__, "jax": jax.__version__, "steps": STEPS, "cases": cases}))
    print(f"{len(cases)} cases -> {OUT}")


if __name__ == "__main__":
    main()
