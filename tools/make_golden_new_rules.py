"""Generate tests/golden/torch_new_rules.json: the four new rules torch has, run by torch.optim.

Run with a Python that has torch (not a test dependency), as tools/make_golden.py:

    /tmp/torchenv/bin/python tools/make_golden_new_rules.py

AdamW (torch.optim.AdamW), AMSGrad (torch.optim.Adam, amsgrad=True), RAdam (torch.optim.RAdam,
its rectification switch at ρ_t > 5) and Rprop (torch.optim.Rprop), each on Rosenbrock and the
rotated valley of tools/make_golden.py at a constant rate, and under a step and a cosine
schedule on Rosenbrock: single-tensor path (foreach=False), float64, 200 updates. The keys of
each case are this project's spec keys for the rule (optim_core/new_rules.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from tools.golden_surfaces import STEPS, SURFACES, schedule_cases

OUT = Path(__file__).resolve().parent.parent / "tests" / "golden" / "torch_new_rules.json"

HYPER = {
    "adamw": {
        "rosenbrock": {"lr": 0.05, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01},
        "valley": {"lr": 0.2, "beta1": 0.8, "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.1},
    },
    "amsgrad": {
        "rosenbrock": {"lr": 0.05, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
        "valley": {"lr": 0.2, "beta1": 0.8, "beta2": 0.99, "eps": 1e-8},
    },
    "radam": {  # its first updates (ρ_t ≤ 5) are plain momentum steps of η·m̂: a small η
        "rosenbrock": {"lr": 0.002, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
        "valley": {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-8},
    },
    "rprop": {
        "rosenbrock": {"lr": 0.01, "eta_minus": 0.5, "eta_plus": 1.2, "step_min": 1e-6, "step_max": 50.0},
        "valley": {"lr": 0.1, "eta_minus": 0.4, "eta_plus": 1.1, "step_min": 1e-4, "step_max": 1.0},
    },
}


def make_optimizer(name, params, hp):
    o = torch.optim
    if name == "rprop":
        return o.Rprop(
            params, lr=hp["lr"], etas=(hp["eta_minus"], hp["eta_plus"]),
            step_sizes=(hp["step_min"], hp["step_max"]), foreach=False,
        )  # fmt: skip
    betas = (hp["beta1"], hp["beta2"])
    if name == "adamw":
        return o.AdamW(params, lr=hp["lr"], betas=betas, eps=hp["eps"], weight_decay=hp["weight_decay"], foreach=False)
    if name == "amsgrad":
        return o.Adam(params, lr=hp["lr"], betas=betas, eps=hp["eps"], amsgrad=True, foreach=False)
    if name == "radam":
        return o.RAdam(params, lr=hp["lr"], betas=betas, eps=hp["eps"], foreach=False)
    raise KeyError(name)


SCHEDULES = {
    "constant": None,
    "step:step_size=50,gamma=0.5": lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=50, gamma=0.5),
    "cosine:t_max=120,eta_min=0.0001": lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=120, eta_min=0.0001
    ),
}


def run(surface, name, hp, factory):
    loss_fn, start = SURFACES[surface]
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(name, [p], hp)
    scheduler = factory(opt) if factory else None
    positions, rates, gradients = [list(map(float, p.detach()))], [], []
    for _ in range(STEPS):
        opt.zero_grad()
        loss_fn(p).backward()
        rates.append(float(opt.param_groups[0]["lr"]))
        gradients.append(list(map(float, p.grad)))
        opt.step()
        if scheduler is not None:
            scheduler.step()
        positions.append(list(map(float, p.detach())))
    return positions, rates, gradients


def main():
    torch.set_default_dtype(torch.float64)
    cases = schedule_cases(HYPER, SCHEDULES, run)
    OUT.write_text(json.dumps({"torch": torch.__version__, "steps": STEPS, "cases": cases}, indent=None))
    print(f"{len(cases)} cases -> {OUT}")


if __name__ == "__main__":
    main()
