"""What the golden generators share, with no torch or jax in it: the two surfaces (written with
arithmetic only, so torch tensors and jax arrays both go through them), the number of updates,
and the loop that runs every rule on every surface under every schedule into a list of cases.
"""

from __future__ import annotations

import math

STEPS = 200


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def valley(p, kappa=25.0, angle=30.0):
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    xr, yr = c * p[0] + s * p[1], -s * p[0] + c * p[1]
    return 0.5 * (xr**2 + kappa * yr**2)


SURFACES = {
    "rosenbrock": (rosenbrock, (-1.2, 1.0)),
    "valley:kappa=25,angle=30": (valley, (-9.0, 3.0)),
}


def spec(name: str, hp: dict) -> str:
    """This project's spec string of a rule with hyperparameters ``hp``."""
    return name + ":" + ",".join(f"{k}={v!r}" for k, v in hp.items())


def schedule_cases(hyper: dict, schedules: dict, run) -> list[dict]:
    """Every rule of ``hyper`` ({rule: {surface key: hyperparameters}}) on each surface at a
    constant rate, and on Rosenbrock under each other schedule of ``schedules`` ({spec: what
    ``run`` takes}); ``run(surface, name, hp, schedule)`` gives (positions, rates, gradients)."""
    cases = []
    for surface, (_, start) in SURFACES.items():
        key = surface.split(":")[0]
        for name, table in hyper.items():
            for schedule, given in schedules.items():
                if schedule != "constant" and key != "rosenbrock":
                    continue
                positions, rates, gradients = run(surface, name, table[key], given)
                cases.append({"surface": surface, "optimizer": spec(name, table[key]), "schedule": schedule,
                              "start": start, "positions": positions, "lr": rates, "gradients": gradients})  # fmt: skip
    return cases
