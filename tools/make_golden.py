"""Generate tests/golden/torch.json: trajectories produced by torch.optim and lr_scheduler.

Run with a Python that has torch (not a test dependency):

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0
    /tmp/torchenv/bin/python tools/make_golden.py

It imports nothing of this project: the surfaces are written again in torch and every
optimizer and scheduler is torch's own, single-tensor path (foreach=False), float64, one
scheduler step per update (plateau fed the loss at the point the update started from).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

from tools.golden_surfaces import STEPS, SURFACES, spec

OUT = Path(__file__).resolve().parent.parent / "tests" / "golden" / "torch.json"

# optimizer -> {surface: hyperparameters in this project's spec keys}
HYPER = {
    "gd": {"rosenbrock": {"lr": 1e-3}, "valley": {"lr": 0.05}},
    "momentum": {"rosenbrock": {"lr": 1e-3, "beta": 0.9}, "valley": {"lr": 0.02, "beta": 0.9}},
    "nag": {"rosenbrock": {"lr": 1e-3, "beta": 0.9}, "valley": {"lr": 0.02, "beta": 0.9}},
    "adagrad": {"rosenbrock": {"lr": 0.3, "eps": 1e-10}, "valley": {"lr": 1.0, "eps": 1e-10}},
    "rmsprop": {
        "rosenbrock": {"lr": 0.01, "beta": 0.9, "eps": 1e-8},
        "valley": {"lr": 0.05, "beta": 0.99, "eps": 1e-8},
    },
    "adadelta": {"rosenbrock": {"lr": 1.0, "beta": 0.9, "eps": 1e-6}, "valley": {"lr": 1.0, "beta": 0.95, "eps": 1e-6}},
    "adam": {
        "rosenbrock": {"lr": 0.05, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
        "valley": {"lr": 0.2, "beta1": 0.8, "beta2": 0.99, "eps": 1e-8},
    },
    "adamax": {
        "rosenbrock": {"lr": 0.05, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
        "valley": {"lr": 0.2, "beta1": 0.8, "beta2": 0.99, "eps": 1e-8},
    },
    "nadam": {
        "rosenbrock": {"lr": 0.05, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "momentum_decay": 0.004},
        "valley": {"lr": 0.2, "beta1": 0.8, "beta2": 0.99, "eps": 1e-8, "momentum_decay": 0.01},
    },
}


def make_optimizer(name, params, hp):
    o = torch.optim
    if name == "gd":
        return o.SGD(params, lr=hp["lr"], foreach=False)
    if name == "momentum":
        return o.SGD(params, lr=hp["lr"], momentum=hp["beta"], foreach=False)
    if name == "nag":
        return o.SGD(params, lr=hp["lr"], momentum=hp["beta"], nesterov=True, foreach=False)
    if name == "adagrad":
        return o.Adagrad(params, lr=hp["lr"], eps=hp["eps"], foreach=False)
    if name == "rmsprop":
        return o.RMSprop(params, lr=hp["lr"], alpha=hp["beta"], eps=hp["eps"], foreach=False)
    if name == "adadelta":
        return o.Adadelta(params, lr=hp["lr"], rho=hp["beta"], eps=hp["eps"], foreach=False)
    betas = (hp["beta1"], hp["beta2"])
    if name == "adam":
        return o.Adam(params, lr=hp["lr"], betas=betas, eps=hp["eps"], foreach=False)
    if name == "adamax":
        return o.Adamax(params, lr=hp["lr"], betas=betas, eps=hp["eps"], foreach=False)
    if name == "nadam":
        return o.NAdam(
            params, lr=hp["lr"], betas=betas, eps=hp["eps"], momentum_decay=hp["momentum_decay"], foreach=False
        )
    raise KeyError(name)


def schedules_for(lr):
    """(this project's schedule spec, factory of the torch scheduler) pairs."""
    s = torch.optim.lr_scheduler
    base, high = lr / 5, lr
    return [
        ("step:step_size=50,gamma=0.5", lambda opt: s.StepLR(opt, step_size=50, gamma=0.5)),
        ("exponential:decay=0.01", lambda opt: s.ExponentialLR(opt, gamma=math.exp(-0.01))),
        ("cosine:t_max=120,eta_min=0.0001", lambda opt: s.CosineAnnealingLR(opt, T_max=120, eta_min=0.0001)),
        (
            "warm_restarts:t_0=30,t_mult=2,eta_min=0.00005",
            lambda opt: s.CosineAnnealingWarmRestarts(opt, T_0=30, T_mult=2, eta_min=0.00005),
        ),
        *[
            (
                f"cyclic:base_lr={base!r},max_lr={high!r},step_size=25,mode={mode},gamma=0.99",
                lambda opt, mode=mode: s.CyclicLR(
                    opt, base_lr=base, max_lr=high, step_size_up=25, mode=mode, gamma=0.99, cycle_momentum=False
                ),
            )
            for mode in ("triangular", "triangular2", "exp_range")
        ],
        (
            "plateau:factor=0.5,patience=5,threshold=0.001,cooldown=2,min_lr=0",
            lambda opt: s.ReduceLROnPlateau(
                opt, mode="min", factor=0.5, patience=5, threshold=0.001, threshold_mode="rel", cooldown=2, min_lr=0
            ),
        ),
        (
            "warmup_cosine:warmup=20,start_factor=0.1,t_max=200,eta_min=0.0001",
            lambda opt: s.SequentialLR(
                opt,
                [
                    s.LinearLR(opt, start_factor=0.1, total_iters=20),
                    s.CosineAnnealingLR(opt, T_max=180, eta_min=0.0001),
                ],
                milestones=[20],
            ),
        ),
    ]


def run(surface, optimizer, hp, schedule_factory=None):
    loss_fn, start = SURFACES[surface]
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(optimizer, [p], hp)
    scheduler = schedule_factory(opt) if schedule_factory else None
    positions, rates = [list(map(float, p.detach()))], []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(p)
        loss.backward()
        rates.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(float(loss.detach()))
        elif scheduler is not None:
            scheduler.step()
        positions.append(list(map(float, p.detach())))
    return positions, rates


def main():
    torch.set_default_dtype(torch.float64)
    cases = []
    for surface in SURFACES:
        key = surface.split(":")[0]
        for name, table in HYPER.items():
            hp = table[key]
            positions, rates = run(surface, name, hp)
            cases.append({"surface": surface, "optimizer": spec(name, hp), "schedule": "constant",
                          "start": SURFACES[surface][1], "positions": positions, "lr": rates})  # fmt: skip
        for name in ("adam", "momentum"):
            hp = HYPER[name][key]
            for schedule, factory in schedules_for(hp["lr"]):
                positions, rates = run(surface, name, hp, factory)
                cases.append({"surface": surface, "optimizer": spec(name, hp), "schedule": schedule,
                              "start": SURFACES[surface][1], "positions": positions, "lr": rates})  # fmt: skip
    OUT.parent.mkdir(exist_ok=True)
    header = {"generator": "tools/make_golden.py", "torch": torch.__version__, "steps": STEPS}
    OUT.write_text(json.dumps({**header, "cases": cases}))
    print(f"wrote {len(cases)} cases to {OUT} with torch {torch.__version__}")


if __name__ == "__main__":
    main()
