"""The pytorch convention against trajectories produced by torch.optim and torch.optim.lr_scheduler.

tests/golden/torch.json comes from tools/make_golden.py (torch 2.13.0, float64, single-tensor
path, 200 updates on Rosenbrock and a rotated valley, every optimizer at a constant rate and
every schedule with Adam and SGD momentum). torch itself is not needed to run these tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from optim_core import simulate
from optim_core.optimizers import OPTIMIZERS
from optim_core.schedules import SCHEDULES

GOLDEN = json.loads((Path(__file__).parent / "golden" / "torch.json").read_text())
CASES = GOLDEN["cases"]


# RMSprop on Rosenbrock passes through a point where the path is extremely sensitive: a change
# of one ulp in the start point moves it by 4e-4 by step 92 (measured). Ours and torch's agree
# exactly for the first 80 updates; then one rounding difference (autograd orders the gradient's
# operations differently) grows to 2e-9. Everywhere else the paths agree to 1e-9 relative.
SENSITIVE = {("rosenbrock", "rmsprop", "constant"): {"exact_until": 80, "atol": 1e-8}}


def case_id(case):
    return f"{case['surface'].split(':')[0]}-{case['optimizer'].split(':')[0]}-{case['schedule'].split(':')[0]}"


@pytest.mark.parametrize("case", CASES, ids=[f"{case_id(c)}-{i}" for i, c in enumerate(CASES)])
def test_pytorch_convention_reproduces_torch(case):
    steps = len(case["lr"])
    result = simulate(
        case["surface"],
        [case["optimizer"]],
        start=case["start"],
        steps=steps,
        schedule=case["schedule"],
        convention="pytorch",
    )
    assert result.status(0) in ("ok", "converged")
    np.testing.assert_allclose(result.lr[0], case["lr"], rtol=1e-12, atol=1e-16)
    expected = np.array(case["positions"])
    key = tuple(case_id(case).split("-"))
    if key in SENSITIVE:
        rule = SENSITIVE[key]
        np.testing.assert_allclose(
            result.positions[0, : rule["exact_until"]], expected[: rule["exact_until"]], rtol=1e-15
        )
        np.testing.assert_allclose(result.positions[0], expected, rtol=0, atol=rule["atol"])
    else:
        np.testing.assert_allclose(result.positions[0], expected, rtol=1e-9, atol=1e-11)


def test_goldens_cover_every_optimizer_and_schedule_on_two_surfaces_for_200_steps():
    assert GOLDEN["steps"] >= 200
    by_optimizer, by_schedule = {}, {}
    for case in CASES:
        by_optimizer.setdefault(case["optimizer"].split(":")[0], set()).add(case["surface"])
        by_schedule.setdefault(case["schedule"].split(":")[0], set()).add(case["surface"])
    assert set(by_optimizer) == set(OPTIMIZERS) and all(len(s) >= 2 for s in by_optimizer.values())
    assert set(by_schedule) == set(SCHEDULES) and all(len(s) >= 2 for s in by_schedule.values())
