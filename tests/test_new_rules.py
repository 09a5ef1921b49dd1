"""The six rules with their own update (optim_core/rules), as the engine runs them.

- pytorch convention: against torch's and optax's trajectories (tests/golden), and against the
  scalar references of test_new_rules_spec.py fed the engine's own gradients;
- lecture convention: against scalar references written here from optim_core/new_rules.md;
- the equivalences issue #16 names, Rprop's indifference to a schedule, and a rule's numbers
  being the same alone, in a mixed batch, in summary mode and under plateau.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_new_rules_spec import CASES, REFERENCES, case_id, sign

from optim_core import simulate
from optim_core.engine import _blocks, _codes, _groups
from optim_core.optimizers import OPTIMIZERS, ORDER
from optim_core.rules import ADDED

NEW = list(ADDED)
# A rate each rule moves well with on Rosenbrock (the goldens' rates).
RATES = {"adamw": 0.05, "amsgrad": 0.05, "radam": 0.002, "rprop": 0.01, "adabelief": 0.05, "lion": 0.005}


def spec_of(name: str, **extra) -> str:
    values = {"lr": RATES[name], **extra}
    return f"{name}:" + ",".join(f"{k}={v!r}" for k, v in values.items())


def defaults(name: str, **extra) -> dict[str, float]:
    values = {p.name: p.default for p in OPTIMIZERS[name].params}
    values["lr"] = RATES[name]
    return {**values, **extra}


# ----- the lecture convention, one coordinate, from new_rules.md ----------------------------------
def lecture_reference(name: str, hp: dict):
    b1, b2 = hp.get("beta1", 0.0), hp.get("beta2", 0.0)
    state = {"m": 0.0, "v": 0.0, "v_max": 0.0, "size": None, "prev": 0.0, "delta": 0.0}

    def step(theta: float, g: float, lr: float, k: int) -> float:
        st = state
        if name == "rprop":
            if st["size"] is None:
                st["size"] = lr
            s = g * st["prev"]
            if s > 0:
                st["size"] = min(st["size"] * hp["eta_plus"], hp["step_max"])
            elif s < 0:  # weight-backtracking: the last move is taken back, g forgotten
                st["size"] = max(st["size"] * hp["eta_minus"], hp["step_min"])
                st["prev"], st["delta"] = 0.0, -st["delta"]
                return theta + st["delta"]
            st["prev"], st["delta"] = g, -sign(g) * st["size"]
            return theta + st["delta"]
        if name == "lion":
            u = sign(b1 * st["m"] + (1 - b1) * g)
            st["m"] = b2 * st["m"] + (1 - b2) * g
            return theta - lr * (u + hp["weight_decay"] * theta)
        st["m"] = b1 * st["m"] + (1 - b1) * g
        if name == "adabelief":
            st["v"] = b2 * st["v"] + (1 - b2) * (g - st["m"]) ** 2 + hp["eps"]
            m_hat, s_hat = st["m"] / (1 - b1**k), st["v"] / (1 - b2**k)
            return theta - lr * m_hat / (math.sqrt(s_hat) + hp["eps"])
        st["v"] = b2 * st["v"] + (1 - b2) * g * g
        if name == "amsgrad":  # Reddi et al.: no bias correction
            st["v_max"] = max(st["v_max"], st["v"])
            return theta - lr * st["m"] / (math.sqrt(st["v_max"]) + hp["eps"])
        m_hat, v_hat = st["m"] / (1 - b1**k), st["v"] / (1 - b2**k)
        if name == "adamw":  # decay by the schedule multiplier η_t/η times λ
            return theta - lr * m_hat / (math.sqrt(v_hat) + hp["eps"]) - lr / hp["lr"] * hp["weight_decay"] * theta
        rho_inf = 2 / (1 - b2) - 1
        rho = rho_inf - 2 * k * b2**k / (1 - b2**k)
        if rho <= 4:  # Liu et al.: rectified once ρ_t > 4
            return theta - lr * m_hat
        r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        return theta - lr * r * m_hat / (math.sqrt(v_hat) + hp["eps"])

    return step


def replay(result, run: int, steppers) -> np.ndarray:
    """The path the references take, fed the engine's gradients and rates of ``run``."""
    theta = [float(x) for x in result.positions[run, 0]]
    path = [list(theta)]
    for k, (g, lr) in enumerate(zip(result.gradients[run].tolist(), result.lr[run].tolist(), strict=True), start=1):
        theta = [steppers[c](theta[c], g[c], lr, k) for c in range(2)]
        path.append(list(theta))
    return np.array(path)


@pytest.mark.parametrize("schedule", ["constant", "cosine", "step:step_size=30,gamma=0.5"])
@pytest.mark.parametrize("convention", ["pytorch", "lecture"])
@pytest.mark.parametrize("name", NEW)
def test_the_engine_runs_each_rule_as_its_scalar_reference(name, convention, schedule):
    hp = defaults(name)
    result = simulate("rosenbrock", [spec_of(name)], steps=200, schedule=schedule, convention=convention)
    assert result.status(0) != "diverged" and np.abs(result.positions[0, -1] - result.positions[0, 0]).max() > 1e-2
    make = (lambda: REFERENCES[name](hp)) if convention == "pytorch" else (lambda: lecture_reference(name, hp))
    expected = replay(result, 0, [make(), make()])
    if convention == "pytorch":  # the same operations in the same order, fused multiply-adds included
        np.testing.assert_array_equal(result.positions[0], expected)
    else:  # a reference in the paper's plain order, a few ulps apart per update
        np.testing.assert_allclose(result.positions[0], expected, rtol=1e-9, atol=1e-9)


GOLDEN_TOLERANCE = {"rprop": 0.0}  # signs and clamps: the same numbers or a different path


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_pytorch_convention_reproduces_torch_and_optax(case):
    steps = len(case["lr"])
    result = simulate(case["surface"], [case["optimizer"]], start=case["start"], steps=steps,
                      schedule=case["schedule"], convention="pytorch")  # fmt: skip
    name = case["optimizer"].split(":")[0]
    if name != "rprop":  # Rprop reads η once, at its first update
        np.testing.assert_allclose(result.lr[0], case["lr"], rtol=1e-12)
    np.testing.assert_allclose(result.gradients[0], case["gradients"], rtol=1e-9, atol=1e-9)
    atol = GOLDEN_TOLERANCE.get(name, 1e-10)
    np.testing.assert_allclose(result.positions[0], case["positions"], rtol=atol, atol=atol)


def test_the_goldens_cover_each_new_rule_on_two_surfaces_with_schedules():
    cover = {}
    for case in CASES:
        cover.setdefault(case["optimizer"].split(":")[0], set()).add((case["surface"], case["schedule"].split(":")[0]))
    assert set(cover) == set(NEW)
    for pairs in cover.values():
        assert len({s for s, _ in pairs}) >= 2 and {"constant", "cosine", "step"} <= {k for _, k in pairs}
    assert set(ORDER) | set(NEW) == set(OPTIMIZERS)


# ----- equivalences --------------------------------------------------------------------------------
@pytest.mark.parametrize("convention", ["lecture", "pytorch"])
def test_adamw_without_weight_decay_is_adam(convention):
    result = simulate("rosenbrock", ["adamw:lr=0.05,weight_decay=0", "adam:lr=0.05"], steps=200, convention=convention)
    if convention == "lecture":  # written in Adam's order: the same numbers
        np.testing.assert_array_equal(result.positions[0], result.positions[1])
    else:  # torch's order against this project's Adam: a few ulps
        np.testing.assert_allclose(result.positions[0], result.positions[1], rtol=1e-11)
    scheduled = simulate("rosenbrock", ["adamw:lr=0.05,weight_decay=0", "adam:lr=0.05"], steps=200,
                         schedule="cosine", convention=convention)  # fmt: skip
    np.testing.assert_allclose(scheduled.positions[0], scheduled.positions[1], rtol=1e-11)
    decayed = simulate("rosenbrock", ["adamw:lr=0.05,weight_decay=0.1"], steps=200, convention=convention)
    assert np.abs(decayed.positions[0, -1] - result.positions[1, -1]).max() > 1e-3


@pytest.mark.parametrize("convention", ["lecture", "pytorch"])
def test_amsgrad_keeps_the_running_maximum_of_adams_v(convention):
    result = simulate("rosenbrock", ["amsgrad:lr=0.05", "adam:lr=0.05"], steps=200, convention=convention)
    state = result.state(0)
    v, v_max = state["v"], state["v_max"]
    assert (v_max >= v).all()
    np.testing.assert_array_equal(v_max, np.maximum.accumulate(v, axis=0))
    growing = np.diff(v, axis=0) >= 0
    rows = np.flatnonzero(np.cumprod(growing.all(axis=1)))  # while v has only grown
    assert rows.size > 0 and (v_max[rows + 1] == v[rows + 1]).all()
    assert (v_max > v).any(), "the case must reach a point where v falls below its maximum"


def test_lion_with_equal_betas_is_signed_momentum():
    beta, lr = 0.9, 0.005
    result = simulate("rosenbrock", [f"lion:lr={lr},beta1={beta},beta2={beta},weight_decay=0"], steps=200)
    m = result.state(0)["m"]
    theta = result.positions[0]
    np.testing.assert_array_equal(theta[1:], theta[:-1] + (-lr) * np.sign(m[1:]))
    np.testing.assert_allclose(np.abs(np.diff(theta, axis=0)), lr, rtol=1e-9)  # every coordinate moves by η


def test_rprop_ignores_the_schedule_and_the_size_of_g():
    runs = [
        simulate("rosenbrock", ["rprop:lr=0.01"], steps=200, schedule=schedule) for schedule in ("constant", "cosine")
    ]
    np.testing.assert_array_equal(runs[0].positions, runs[1].positions)
    booth = "(x + 2*y - 7)**2 + (2*x + y - 5)**2"
    plain, scaled = (
        simulate(f"custom:expr={text}", ["rprop:lr=0.01"], steps=100, start=(-3, 4)) for text in (booth, f"7*({booth})")
    )
    np.testing.assert_array_equal(scaled.positions, plain.positions)


def test_radam_takes_plain_steps_until_rectified():
    result = simulate("rosenbrock", ["radam:lr=0.002"], steps=10, convention="pytorch")
    lecture = simulate("rosenbrock", ["radam:lr=0.002"], steps=10, convention="lecture")
    # ρ_t for β2 = 0.999: 1, 1.999, 2.997, 3.995, 4.993, 5.990, ...: torch rectifies from update 6,
    # the paper from update 5.
    np.testing.assert_array_equal(result.effective_lr[0, :5], 0.002)
    assert (result.effective_lr[0, 5] != 0.002).all()
    np.testing.assert_array_equal(lecture.effective_lr[0, :4], 0.002)
    assert (lecture.effective_lr[0, 4] != 0.002).all()


# ----- the engine around a rule ----------------------------------------------------------------------
def test_a_rule_gives_the_same_numbers_alone_mixed_and_in_summary_mode():
    specs = [*(spec_of(name) for name in NEW), "adam:lr=0.05", "momentum:lr=0.0005", *(spec_of(name) for name in NEW)]
    mixed = simulate("rosenbrock", specs, steps=150, schedule="cosine", convention="pytorch")
    summary = simulate("rosenbrock", specs, steps=150, schedule="cosine", convention="pytorch", record=False)
    for i, spec in enumerate(specs):
        alone = simulate("rosenbrock", [spec], steps=150, schedule="cosine", convention="pytorch")
        np.testing.assert_array_equal(mixed.positions[i], alone.positions[0])
        np.testing.assert_array_equal(summary.outcome.final_position[:, i], alone.positions[0, -1])


def test_runs_of_one_rule_step_together():
    """A small batch is one block with each rule's runs side by side (one loop steps them in
    groups); a large one is a block per rule."""
    kinds = np.array(["nadam", "lion", "adagrad", "lion", "rprop", "nadam", "gd"])
    (block,) = _blocks(_codes(kinds))
    assert kinds[block].tolist() == ["nadam", "nadam", "lion", "lion", "adagrad", "rprop", "gd"]
    names, groups = _groups(_codes(kinds[block]))
    assert names == tuple(OPTIMIZERS)  # the mixed block's loop
    assert [(names[rule], a, b) for rule, a, b in groups] == [
        ("nadam", 0, 2), ("lion", 2, 4), ("adagrad", 4, 5), ("rprop", 5, 6), ("gd", 6, 7),
    ]  # fmt: skip
    lion, groups = _groups(_codes(["lion"] * 5))  # a block of one rule: its own loop
    assert lion == ("lion",) and groups.tolist() == [[0, 0, 5]]
    large = np.repeat(kinds, 100)
    assert [set(large[b]) for b in _blocks(_codes(large))] == [{"nadam"}, {"lion"}, {"adagrad"}, {"rprop"}, {"gd"}]


@pytest.mark.parametrize("name", NEW)
def test_a_rule_runs_under_plateau_and_on_a_typed_function(name):
    plateau = "plateau:factor=0.5,patience=2,threshold=0.1"
    compiled = simulate("booth", [spec_of(name)], steps=80, schedule=plateau, convention="pytorch")
    typed = simulate("custom:expr=(x + 2*y - 7)**2 + (2*x + y - 5)**2", [spec_of(name)], steps=80,
                     schedule=plateau, convention="pytorch", start=compiled.positions[0, 0])  # fmt: skip
    np.testing.assert_allclose(typed.positions, compiled.positions, rtol=1e-9, atol=1e-12)
    if name != "rprop":
        assert compiled.lr[0, -1] < compiled.lr[0, 0], "plateau must have cut η"


def test_a_diverging_rule_is_stopped_and_flagged():
    result = simulate("rosenbrock", ["lion:lr=50"], steps=100)
    assert result.status(0).startswith("diverged")
    k = result.outcome.diverged_at[0]
    assert np.isfinite(result.positions[0]).all() and (result.positions[0, k:] == result.positions[0, k - 1]).all()


def test_fma_rounds_once_compiled_and_in_plain_python():
    """optim_core.rules.base.fma: the processor's fused multiply-add in a compiled rule, the exact
    product and sum rounded once in plain Python (the worked step): the same number."""
    from numba import njit

    from optim_core.rules.base import fma

    fused = njit(lambda a, b, c: fma(a, b, c))
    for a, b, c in np.random.default_rng(5).uniform(-1e3, 1e3, (2000, 3)):
        assert fused(a, b, c) == fma(a, b, c)
    assert fma(0.1, 0.1, -0.01) == fused(0.1, 0.1, -0.01) != 0.1 * 0.1 - 0.01
    assert math.isnan(fma(math.inf, 0.0, 1.0)) and math.isnan(fused(math.inf, 0.0, 1.0))
