"""Generate tests/golden/torch_fed.json: torch.optim's updates fed this project's gradients.

    /tmp/torchenv/bin/python -m tools.make_golden_fed      (a Python with torch 2.13, as make_golden.py)

tests/golden/torch.json compares whole trajectories, whose gradients torch takes by autograd
in its own order of operations; where a path is sensitive, one rounding difference there grows
(RMSprop on Rosenbrock). Here torch's optimizers (single-tensor path, float64) are handed, at
each step, the gradient of this project's formula evaluated at torch's own point, written out
again below in the operation order of surfaces/classic.py. The update is then the only
difference left, and a rule that follows torch's order of floating-point operations gives
these trajectories bit for bit (tests/test_golden.py checks which do).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

from tools.make_golden import HYPER, make_optimizer, spec

STEPS = 200
OUT = Path(__file__).resolve().parent.parent / "tests" / "golden" / "torch_fed.json"


def rosenbrock_grad(x, y, a=1.0, b=100.0):
    """surfaces.classic.Rosenbrock.fdf's gradient, operation for operation."""
    r = y - x * x
    return -2 * (a - x) - 4 * b * x * r, 2 * b * r


def valley_grad(x, y, kappa=25.0, angle=30.0):
    """surfaces.classic.Valley.fdf's gradient, operation for operation."""
    alpha = math.radians(angle)
    cos, sin = math.cos(alpha), math.sin(alpha)
    xr, yr = cos * x + sin * y, -sin * x + cos * y
    kyr = kappa * yr
    return cos * xr - sin * kyr, sin * xr + cos * kyr


SURFACES = {
    "rosenbrock": (rosenbrock_grad, (-1.2, 1.4)),
    "valley:kappa=25,angle=30": (valley_grad, (-9.0, 3.0)),
}


def run(surface: str, optimizer: str, hp: dict) -> list[list[float]]:
    grad, start = SURFACES[surface]
    p = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64))
    opt = make_optimizer(optimizer, [p], hp)
    positions = [p.detach().tolist()]
    for _ in range(STEPS):
        p.grad = torch.tensor(grad(*p.detach().tolist()), dtype=torch.float64)
        opt.step()
        positions.append(p.detach().tolist())
    return positions


def main() -> None:
    # As make_golden.py: torch keeps a rule's scalar state (NAdam's product of μ) in the default
    # dtype, which would otherwise be float32.
    torch.set_default_dtype(torch.float64)
    cases = []
    for surface in SURFACES:
        key = surface.split(":")[0]
        for name, table in HYPER.items():
            hp = table[key]
            cases.append({"surface": surface, "optimizer": spec(name, hp), "start": SURFACES[surface][1],
                          "positions": run(surface, name, hp)})  # fmt: skip
    header = {"generator": "tools/make_golden_fed.py", "torch": torch.__version__, "steps": STEPS}
    OUT.write_text(json.dumps({**header, "cases": cases}))
    print(f"wrote {len(cases)} cases to {OUT} with torch {torch.__version__}")


if __name__ == "__main__":
    main()
