"""Schedules, divergence, summary mode, sweeps, parsing, scenarios and the command line."""

from __future__ import annotations

import io
import json
import math
import threading

import numpy as np
import pandas as pd
import pytest
from cli_helpers import run_cli, run_module
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optim_core import Scenario, SpecError, engine, simulate, sweep
from optim_core.api import rule_variants, warm_up
from optim_core.engine import MAX_RECORDED_FLOATS
from optim_core.optimizers import OPTIMIZERS
from optim_core.rules.compiled import loop as rule_loop
from optim_core.schedules import SCHEDULES
from spec_strings import Spec, resolved
from surfaces import make_surface
from surfaces.classic import Rosenbrock
from surfaces.compiled import COMPILED, kernel_id

# ----- schedules: η_t against scalar transcriptions of the spec's table ------------------------


def schedule_reference(name, t, eta, **p):
    if name == "constant":
        return eta
    if name == "step":
        return eta * p["gamma"] ** (t // p["step_size"])
    if name == "exponential":
        return eta * math.exp(-p["decay"] * t)
    if name == "cosine":
        return p["eta_min"] + 0.5 * (eta - p["eta_min"]) * (1 + math.cos(math.pi * t / p["t_max"]))
    if name == "warm_restarts":
        length, cur = p["t_0"], t
        while cur >= length:
            cur -= length
            length *= p["t_mult"]
        return p["eta_min"] + 0.5 * (eta - p["eta_min"]) * (1 + math.cos(math.pi * cur / length))
    if name == "cyclic":
        s = p["step_size"]
        c = math.floor(1 + t / (2 * s))
        x = abs(t / s - 2 * c + 1)
        scale = {"triangular": 1.0, "triangular2": 1 / 2 ** (c - 1), "exp_range": p.get("gamma", 1.0) ** t}[p["mode"]]
        return p["base_lr"] + (p["max_lr"] - p["base_lr"]) * max(0.0, 1 - x) * scale
    if name == "warmup_cosine":
        w, f = p["warmup"], p["start_factor"]
        if t < w:
            return eta * (f + (1 - f) * t / w)
        return p["eta_min"] + 0.5 * (eta - p["eta_min"]) * (1 + math.cos(math.pi * (t - w) / (p["t_max"] - w)))
    raise KeyError(name)


SCHEDULE_CASES = [
    ("constant", {}),
    ("step", {"step_size": 40, "gamma": 0.3}),
    ("exponential", {"decay": 0.02}),
    ("cosine", {"t_max": 70, "eta_min": 0.001}),
    ("warm_restarts", {"t_0": 20, "t_mult": 2, "eta_min": 0.0}),
    ("warm_restarts", {"t_0": 30, "t_mult": 1, "eta_min": 0.002}),
    ("cyclic", {"base_lr": 0.001, "max_lr": 0.02, "step_size": 15, "mode": "triangular"}),
    ("cyclic", {"base_lr": 0.001, "max_lr": 0.02, "step_size": 15, "mode": "triangular2"}),
    ("cyclic", {"base_lr": 0.001, "max_lr": 0.02, "step_size": 15, "mode": "exp_range", "gamma": 0.98}),
    ("warmup_cosine", {"warmup": 25, "start_factor": 0.1, "t_max": 150, "eta_min": 0.0}),
]


@pytest.mark.parametrize(
    ("name", "params"), SCHEDULE_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULE_CASES)]
)
def test_schedule_rates_match_reference(name, params):
    spec = name + (":" + ",".join(f"{k}={v}" for k, v in params.items()) if params else "")
    result = simulate("booth", ["gd:lr=0.01"], steps=150, schedule=spec)
    expected = [schedule_reference(name, t, 0.01, **params) for t in range(150)]
    np.testing.assert_allclose(result.lr[0], expected, rtol=1e-12, atol=1e-15)


def test_every_schedule_has_a_reference_case():
    assert {name for name, _ in SCHEDULE_CASES} | {"plateau"} == set(SCHEDULES)


def test_cyclic_without_bounds_cycles_between_each_runs_own_rate_and_ten_times_it():
    result = simulate("booth", ["gd:lr=0.001", "gd:lr=0.004,label=fast"], steps=101, schedule="cyclic:step_size=50")
    assert result.lr[0].min() == pytest.approx(0.001) and result.lr[0].max() == pytest.approx(0.01)
    assert result.lr[1, 50] == pytest.approx(0.04)


def test_plateau_lowers_each_runs_rate_on_its_own_loss():
    """Each run keeps its own plateau state: its rates do not depend on the other runs."""
    schedule = "plateau:factor=0.5,patience=5,threshold=0.01"
    together = simulate("rosenbrock", ["gd:lr=0.001", "adam:lr=0.05"], steps=300, schedule=schedule)
    alone = simulate("rosenbrock", ["gd:lr=0.001"], steps=300, schedule=schedule)
    np.testing.assert_array_equal(together.lr[0], alone.lr[0])
    gd_rates, adam_rates = together.lr
    assert gd_rates[0] == 0.001 and gd_rates[-1] < 0.001  # slow progress on the valley floor: cut
    assert not np.array_equal(gd_rates / 0.001, adam_rates / 0.05)
    assert set(np.round(gd_rates / 0.001, 12)) <= {round(0.5**k, 12) for k in range(60)}


@pytest.mark.parametrize(
    ("convention", "lr", "min_lr"),
    [("pytorch", 0.001, 0.002), ("lecture", 0.001, 0.002), ("pytorch", 1e-7, 0.0), ("lecture", 1e-7, 0.0)],
)
def test_plateau_reference_loop(convention, lr, min_lr):
    """The rule of ReduceLROnPlateau (mode min, rel threshold, cooldown), transcribed scalar: torch
    skips a reduction of 1e-8 or less (its eps), the lecture convention reduces down to min_lr."""
    params = {"factor": 0.5, "patience": 3, "threshold": 0.05, "cooldown": 2, "min_lr": min_lr}
    result = simulate(
        "rosenbrock", [f"gd:lr={lr}"], steps=200, convention=convention,
        schedule="plateau:" + ",".join(f"{k}={v}" for k, v in params.items()),
    )  # fmt: skip
    smallest_drop = 1e-8 if convention == "pytorch" else 0.0
    losses = result.loss[0]
    eta, best, bad, cool = lr, math.inf, 0, 0
    expected = []
    for t in range(200):
        expected.append(eta)
        loss = losses[t]
        if loss < best * (1 - params["threshold"]):
            best, bad = loss, 0
        else:
            bad += 1
        if cool > 0:
            cool -= 1
            bad = 0
        if bad > params["patience"]:
            new = max(eta * params["factor"], params["min_lr"])
            if eta - new > smallest_drop:
                eta = new
            cool, bad = params["cooldown"], 0
    np.testing.assert_allclose(result.lr[0], expected, rtol=0, atol=0)
    if lr < 1e-6:  # torch stops at 1.25e-8 (the next drop would be under 1e-8); the lecture goes on
        assert (result.lr[0, -1] == 1.25e-8) == (convention == "pytorch") and result.lr[0, -1] <= 1.25e-8


# ----- divergence ---------------------------------------------------------------------------


def test_diverging_run_is_stopped_and_flagged_while_others_go_on():
    result = simulate("rosenbrock", ["gd:lr=0.01", "gd:lr=0.0005,label=small"], steps=300)
    assert result.status(0).startswith("diverged at step")
    k = int(result.outcome.diverged_at[0])
    assert 1 <= k < 300
    assert result.status(1) == "ok"
    assert np.all(np.isfinite(result.positions[1]))
    # Rows from k on are frozen copies of the last valid one, and the table ends at k - 1.
    assert np.all(result.positions[0, k:] == result.positions[0, k - 1])
    table = result.to_frame()
    rows = table[table.run == 0]
    assert rows.step.max() == k - 1 and rows.status.iloc[-1] == "diverged"
    assert np.isfinite(rows[["x", "y", "loss"]].to_numpy()).all()


def test_saddle_run_leaves_the_domain_and_is_flagged_not_clamped():
    result = simulate("saddle", ["gd:lr=0.1"], start=(-1.5, 0.01), steps=400)
    k = int(result.outcome.diverged_at[0])
    assert k > 0
    lo, hi = result.surface.bounds()
    last = result.positions[0, k - 1]
    assert np.all(last >= lo) and np.all(last <= hi)
    assert abs(last[1]) > 10 * 2.0  # it really escaped along y before being stopped


def test_undefined_point_of_a_typed_function_flags_the_run():
    result = simulate("custom:expr=log(x) + y**2", ["gd:lr=0.6"], start=(0.5, 1.0), steps=50)
    assert result.status(0).startswith("diverged")
    table = result.to_frame()
    assert np.isfinite(table[["x", "y", "loss"]].to_numpy()).all()


def test_summary_mode_agrees_with_full_recording():
    specs = ["gd:lr=0.01", "gd:lr=0.0005", "momentum:lr=0.001", "adam:lr=0.05", "rmsprop:lr=0.01", "adagrad:lr=0.5"]
    full = simulate("rosenbrock", specs, steps=1000, tolerance=1e-3)
    summary = simulate("rosenbrock", specs, steps=1000, tolerance=1e-3, record=False)
    for name in ("final_loss", "best_loss", "steps_to_tolerance", "diverged_at"):
        np.testing.assert_array_equal(getattr(full.outcome, name), getattr(summary.outcome, name), err_msg=name)
    np.testing.assert_array_equal(full.outcome.final_position, summary.outcome.final_position)
    assert full.outcome.diverged_at[0] > 0 and (full.outcome.steps_to_tolerance > 0).any()


def test_sweep_cell_equals_the_single_run():
    lrs, betas = np.geomspace(1e-4, 1e-2, 5), np.array([0.0, 0.5, 0.9])
    grid = sweep("rosenbrock", "momentum", "lr", lrs, "beta", betas, steps=300)
    assert grid.final_loss.shape == (3, 5)
    for i, beta in enumerate(betas):
        for j, lr in enumerate(lrs):
            single = simulate("rosenbrock", [f"momentum:lr={float(lr)!r},beta={float(beta)!r}"], steps=300)
            if single.outcome.diverged_at[0] >= 0:
                assert grid.diverged_at[i, j] == single.outcome.diverged_at[0]
            else:
                assert grid.diverged_at[i, j] == -1
            assert grid.final_loss[i, j] == single.outcome.final_loss[0]
    assert (grid.diverged_at >= 0).any() and (grid.diverged_at < 0).any()


def test_large_sweep_runs_in_blocks_with_the_same_numbers():
    """More runs than one block: grouped blocks give the numbers of a small mixed batch."""
    lrs = np.geomspace(1e-4, 3e-3, 50)
    betas = np.linspace(0, 0.95, 50)
    grid = sweep("rosenbrock", "nag", "lr", lrs, "beta", betas, steps=60)
    small = sweep("rosenbrock", "nag", "lr", lrs[:3], "beta", betas[-2:], steps=60)
    np.testing.assert_array_equal(grid.final_loss[-2:, :3], small.final_loss)


def test_blocks_group_runs_by_optimizer_in_equal_parts():
    """Each block runs one rule, and a rule's runs split evenly: 2,001 runs are two blocks of
    ~1,000, not 2,000 and one (which cost 1.6-2.3x per run-step)."""
    assert [b.size for b in engine._blocks(engine._codes(["adam"] * 2001))] == [1001, 1000]
    mixed = np.array([["adagrad", "nadam"][i % 2] for i in range(900)])
    blocks = engine._blocks(engine._codes(mixed))
    assert [set(mixed[b]) for b in blocks] == [{"adagrad"}, {"nadam"}] and all(b.size == 450 for b in blocks)
    assert np.array_equal(np.sort(np.concatenate(blocks)), np.arange(900))


@pytest.mark.parametrize("convention", ["lecture", "pytorch"])
@pytest.mark.parametrize("record", [False, True])
def test_a_run_gives_the_same_numbers_in_any_block(convention, record, monkeypatch):
    """Every optimizer, 450 runs: in blocks of 30 on threads or of 10,000 stepped one after the
    other in this thread, the numbers are the same, bit for bit."""
    specs = rule_variants(convention)
    starts = np.random.default_rng(3).uniform(-1.5, 1.5, (450 // len(specs), 2))
    results = []
    for serial, block in ((10_000, 10_000), (0, 30)):
        monkeypatch.setattr(engine, "SERIAL_RUNS", serial)
        monkeypatch.setattr(engine, "BLOCK_RUNS", block)
        results.append(simulate("rosenbrock", specs, start=starts, steps=80, convention=convention, record=record,
                                schedule="plateau:patience=3"))  # fmt: skip
    one, grouped = (r.outcome for r in results)
    for name in ("final_position", "final_loss", "best_loss", "steps_to_tolerance", "diverged_at"):
        np.testing.assert_array_equal(getattr(one, name), getattr(grouped, name), err_msg=name)
    if record:
        for name in engine.Recording.__dataclass_fields__:
            np.testing.assert_array_equal(getattr(one.recording, name), getattr(grouped.recording, name), err_msg=name)


class NumpyRosenbrock(Rosenbrock):
    """Rosenbrock without a compiled form: the engine calls its NumPy gradient once per step."""


@pytest.mark.parametrize("convention", ["lecture", "pytorch"])
@pytest.mark.parametrize("schedule", [None, "cosine", "plateau:patience=3"])
def test_compiled_loop_equals_the_numpy_gradient_path(convention, schedule):
    """Both paths share the update; Rosenbrock has only + − ×, so the numbers agree bit for bit."""
    assert kernel_id(make_surface("rosenbrock")) >= 0 and kernel_id(NumpyRosenbrock({"a": 1.0, "b": 100.0})) < 0
    specs = rule_variants(convention)
    for noise in (0.0, 0.5):
        compiled = make_surface("rosenbrock", noise=noise)
        plain = NumpyRosenbrock({"a": 1.0, "b": 100.0, "noise": noise})
        for record in (True, False):
            a, b = (
                simulate(s, specs, steps=120, schedule=schedule, convention=convention, record=record)
                for s in (compiled, plain)
            )
            for name in ("final_position", "final_loss", "best_loss", "steps_to_tolerance", "diverged_at"):
                np.testing.assert_array_equal(getattr(a.outcome, name), getattr(b.outcome, name), err_msg=name)
            if record:
                for name in ("position", "loss", "grad", "effective_lr", "state"):
                    np.testing.assert_array_equal(
                        getattr(a.outcome.recording, name), getattr(b.outcome.recording, name), err_msg=name
                    )


def test_warm_up_compiles_every_loop_once_for_every_mode():
    """After warm_up, no mode (recording or not, either convention, a schedule, plateau, noise,
    a surface without a compiled form, rates read only) makes numba compile a loop again: the
    loop of each rule alone and the loop of a mixed block."""
    warm_up()
    loops = [rule_loop((name,)) for name in OPTIMIZERS] + [rule_loop(tuple(OPTIMIZERS))]
    before = [len(advance.signatures) for advance in loops]
    assert set(before) == {1}
    for convention in ("lecture", "pytorch"):
        for schedule in (None, "cosine", "plateau"):
            for record in (True, False):
                for specs in [[name] for name in OPTIMIZERS] + [list(OPTIMIZERS)]:
                    simulate(make_surface("rosenbrock", noise=0.1), specs, steps=3, schedule=schedule,
                             convention=convention, record=record)  # fmt: skip
    simulate(NumpyRosenbrock({"a": 1.0, "b": 100.0}), list(OPTIMIZERS), steps=3)
    batch = engine.Batch(["adam"], {"lr": np.array([0.1]), "beta1": np.array([0.9]), "beta2": np.array([0.999]),
                                    "eps": np.array([1e-8]), "bias_correction": np.array([1.0])},
                         np.zeros((2, 1)), 3)  # fmt: skip
    for array in (*batch.hyper.values(), batch.starts):
        array.flags.writeable = False
    engine.run(make_surface("booth"), batch)
    assert [len(advance.signatures) for advance in loops] == before


def test_a_block_of_512_runs_gives_the_numbers_of_a_small_batch():
    """Widths that are multiples of 512 get a padding run (4K aliasing); it must not show."""
    lrs = np.geomspace(1e-4, 1e-2, 32)
    betas = np.linspace(0.0, 0.95, 16)
    grid = sweep("rosenbrock", "adam", "lr", lrs, "beta1", betas, steps=80)
    assert grid.final_loss.size == 512
    small = sweep("rosenbrock", "adam", "lr", lrs[-3:], "beta1", betas[:2], steps=80)
    np.testing.assert_array_equal(grid.final_loss[:2, -3:], small.final_loss)


@pytest.mark.parametrize("threads", [1, 2])
def test_sweep_progress_rises_to_one_as_blocks_finish(threads, monkeypatch):
    monkeypatch.setattr(engine, "THREADS", threads)
    monkeypatch.setattr(engine, "REPORT_EVERY", 60.0)  # only the reports of finished blocks
    seen: list[float] = []
    lrs = np.geomspace(1e-3, 1e-1, 90)
    sweep("booth", "momentum", "lr", lrs, "beta", [0.5], steps=20, progress=seen.append)
    assert seen == [1.0]  # one block
    seen.clear()
    sweep("booth", "momentum", "lr", lrs, "beta", np.linspace(0, 0.9, 50), steps=20, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) == 3  # 4,500 runs: three blocks


@pytest.mark.parametrize("threads", [1, 2])
def test_a_slow_block_reports_progress_before_it_finishes_from_the_calling_thread(threads, monkeypatch):
    """sparse_dense's mini-batches have no compiled form (a NumPy gradient per update): one
    block of them takes long enough for reports in between, which a page's progress bar needs."""
    monkeypatch.setattr(engine, "THREADS", threads)
    monkeypatch.setattr(engine, "REPORT_EVERY", 0.01)
    seen: list[tuple[float, int]] = []
    lrs = np.geomspace(1e-3, 1e-1, 10)
    sweep("sparse_dense:batch=50", "momentum", "lr", lrs, "beta", np.linspace(0, 0.9, 10), steps=300,
          progress=lambda done: seen.append((done, threading.get_ident())))  # fmt: skip
    fractions = [done for done, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(0 < done < 1 for done in fractions)  # 100 runs: one block, reported while it runs
    assert {thread for _, thread in seen} == {threading.get_ident()}


def test_request_too_large_is_refused_with_a_message():
    with pytest.raises(SpecError, match="summary mode"):
        simulate("booth", ["gd"] * 10, start=np.zeros((1000, 2)), steps=MAX_RECORDED_FLOATS // 18 // 5000)


def test_a_request_too_large_is_refused_before_anything_is_built(monkeypatch):
    """5,000,000 runs: refused before a spec is read (it took 32 s for 5,000,000 start points,
    minutes for as many specs, building every run first)."""
    import optim_core.api as api

    read: list[str] = []
    real = api.parse_optimizer
    monkeypatch.setattr(api, "parse_optimizer", lambda *a, **k: read.append(a[0]) or real(*a, **k))
    with pytest.raises(SpecError, match="5,000,000 runs is too many; at most 4,000,000"):
        simulate("booth", ["adam"] * 5_000_000, record=False)
    with pytest.raises(SpecError, match="5,000,000 runs is too many"):
        simulate("booth", "adam", start=np.zeros((5_000_000, 2)), record=False)
    with pytest.raises(SpecError, match="4,004,001 runs is too many"):
        sweep("booth", "adam", "lr", np.geomspace(1e-3, 1, 2001), "beta1", np.linspace(0, 0.9, 2001))
    assert read == []


@pytest.mark.parametrize(
    ("runs", "steps", "optimizers"), [(1500, 200, ["adam"]), (20000, 30, ["adam", "gd", "nag", "rmsprop"])]
)
def test_the_memory_a_recording_is_refused_for_is_what_it_takes(runs, steps, optimizers):
    """The refusal's estimate (engine.recording_bytes) against the peak tracemalloc measures
    (NumPy reports its arrays to it): within 15 %. Joining the blocks' recordings and then
    putting them in order had made the peak 1.6-1.9 times the estimate."""
    import tracemalloc

    from optim_core.engine import recording_bytes

    starts = np.random.default_rng(0).uniform(-4, 4, (runs // len(optimizers), 2))
    simulate("booth", optimizers, start=starts[:2], steps=2)  # compiled before measuring
    tracemalloc.start()
    try:
        result = simulate("booth", optimizers, start=starts, steps=steps)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.positions.shape == (runs, steps + 1, 2)
    assert peak == pytest.approx(recording_bytes(runs, steps), rel=0.15)


# ----- properties over random hyperparameters ---------------------------------------------------

lr_strategy = st.floats(1e-6, 1e3)
beta_strategy = st.floats(0.0, 1.0)
eps_strategy = st.one_of(st.just(0.0), st.floats(1e-12, 1.0))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(list(OPTIMIZERS)),
    lr=lr_strategy,
    beta=beta_strategy,
    beta2=beta_strategy,
    eps=eps_strategy,
    surface=st.sampled_from(["rosenbrock", "saddle", "ackley", "beale", "custom:expr=log(x**2) + sqrt(y)"]),
    convention=st.sampled_from(["lecture", "pytorch"]),
)
def test_any_hyperparameters_give_finite_values_or_a_flag(name, lr, beta, beta2, eps, surface, convention):
    keys = {p.name for p in OPTIMIZERS[name].params}
    values = {"lr": lr, "beta": beta, "beta1": beta, "beta2": beta2, "eps": eps}
    spec = name + ":" + ",".join(f"{k}={v!r}" for k, v in values.items() if k in keys)
    start = (0.5, 0.5) if surface.startswith("custom") else None
    result = simulate(surface, [spec], start=start, steps=60, convention=convention)
    n = int(result.valid_rows[0])
    assert n >= 1
    assert np.all(np.isfinite(result.positions[0, :n]))
    assert np.all(np.isfinite(result.loss[0, :n]))
    assert np.all(np.isfinite(result.positions[0]))  # frozen, never NaN-filled
    table = result.to_frame()
    assert np.isfinite(table[["x", "y", "loss"]].to_numpy()).all()


# ----- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("adamm", "unknown optimizer adamm; allowed: gd, momentum"),
        ("adam:lr=abc", "lr='abc' is not a number"),
        ("adam:lr=-1", "out of range"),
        ("adam:beta=0.9", "unknown key 'beta'; allowed: lr, beta1, beta2, eps, bias_correction, label"),
        ("adam:lr=0.1,lr=0.2", "given twice"),
        ("adam:lr", "is not key=value"),
        ("adam:lr=0.1,,beta1=0.9", "empty item"),
        ("momentum:beta=1.5", "beta=1.5 is out of range; allowed: a number in [0, 1]"),
        ("adam:bias_correction=maybe", "true or false"),
    ],
)
def test_bad_optimizer_spec_names_what_is_wrong(spec, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace("[", r"\[")):
        simulate("rosenbrock", [spec], steps=5)


def test_convention_only_keys_are_refused_in_the_other_convention():
    with pytest.raises(SpecError, match="bias_correction exists only in the lecture convention"):
        simulate("booth", ["adam:bias_correction=false"], steps=5, convention="pytorch")
    with pytest.raises(SpecError, match="momentum_decay exists only in the pytorch convention"):
        simulate("booth", ["nadam:momentum_decay=0.01"], steps=5)


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("cosine:t_max=0", "t_max=0 is out of range"),
        ("warmup_cosine:warmup=100,t_max=50", "must exceed warmup"),
        ("cyclic:mode=sawtooth", "one of triangular, triangular2, exp_range"),
        ("cyclic:base_lr=0.1,max_lr=0.01", "max_lr must be at least base_lr"),
        ("linear", "unknown schedule linear"),
    ],
)
def test_bad_schedule_spec_names_what_is_wrong(schedule, message):
    with pytest.raises(SpecError, match=message):
        simulate("booth", ["gd"], steps=20, schedule=schedule)


def test_labels_tell_two_runs_of_one_optimizer_apart():
    result = simulate("booth", ["adam:lr=0.1,label=fast", "adam:lr=0.01,label=slow", "adam"], steps=10)
    assert [r.label for r in result.runs] == ["fast", "slow", "adam"]
    assert result.lr[0, 0] == 0.1 and result.lr[1, 0] == 0.01


def test_many_start_points_make_one_run_each():
    starts = np.array([[-4.0, -4.0], [4.0, 4.0], [-4.0, 4.0], [4.0, -4.0]])
    result = simulate("himmelblau", ["gd:lr=0.01"], start=starts, steps=300)
    assert result.positions.shape == (4, 301, 2)
    finals = result.outcome.final_position.T
    distances = result.surface.nearest_minimum_distance(finals[:, 0], finals[:, 1])
    assert np.all(distances < 1e-4)
    assert len({tuple(np.round(p, 3)) for p in finals}) == 4  # four starts, four different minima


# ----- scenarios and the command line ---------------------------------------------------------


def test_scenario_round_trips_to_the_identical_run():
    scenario = Scenario(
        surface="valley:kappa=40,angle=20,noise=0.5",
        optimizers=["adam:lr=0.3,label=A", "nag:lr=0.01,beta=0.8"],
        start=(-7.5, 4.25),
        steps=200,
        schedule="warmup_cosine:warmup=20",
        convention="pytorch",
        seed=7,
    )
    again = Scenario.from_json(scenario.to_json())
    assert again == scenario
    np.testing.assert_array_equal(scenario.run().positions, again.run().positions)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not valid JSON"),
        ("[]", "not a scenario"),
        ('{"format": "optim-viz-scenario", "version": 2}', "unsupported scenario version"),
        ('{"format": "optim-viz-scenario", "version": 1, "steps": "many"}', "'steps' has the wrong type"),
        ('{"format": "optim-viz-scenario", "version": 1, "extra": 1}', "unknown scenario field"),
        ('{"format": "optim-viz-scenario", "version": 1, "surface": "moon"}', "unknown surface moon"),
        ('{"format": "optim-viz-scenario", "version": 1, "start": [1, "a"]}', "'start' has the wrong type"),
    ],
)
def test_bad_scenario_files_are_refused_with_a_message(text, message):
    with pytest.raises(SpecError, match=message):
        Scenario.from_json(text)


def test_cli_writes_the_tidy_table_the_api_gives():
    code, out, err = run_cli(
        "--surface", "rosenbrock", "--optimizer", "adam:lr=0.05", "--optimizer", "gd:lr=0.001",
        "--start=-1.2,1", "--steps", "40", "--csv", "-",
    )  # fmt: skip
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    expected = simulate("rosenbrock", ["adam:lr=0.05", "gd:lr=0.001"], start=(-1.2, 1), steps=40).to_frame()
    assert list(table.columns[:13]) == [
        "run", "optimizer", "label", "step", "x", "y", "loss", "grad_x", "grad_y", "lr", "eff_lr_x", "eff_lr_y", "status",
    ]  # fmt: skip
    np.testing.assert_array_equal(table[["x", "y", "loss"]].to_numpy(), expected[["x", "y", "loss"]].to_numpy())
    assert "adam" in err and "final_loss" in err


def test_cli_accepts_a_negative_start_after_a_space_and_writes_json():
    code, out, _ = run_cli("--start", "-1.5,-0.5", "--steps", "3", "--optimizer", "gd", "--json", "-")
    assert code == 0
    rows = json.loads(out)
    assert rows[0]["x"] == -1.5 and rows[0]["y"] == -0.5 and len(rows) == 4


@pytest.mark.parametrize(
    "args",
    [
        ["--optimizer", "adam:lr=x"],
        ["--surface", "nowhere"],
        ["--steps", "abc"],
        ["--start=1"],
        ["--schedule", "cosine:t_max=-3"],
        ["--convention", "keras"],
        ["--surface", "custom:expr=__import__('os')"],
    ],
)
def test_cli_bad_input_exits_2_with_one_line(args):
    code, out, err = run_cli(*args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert "Traceback" not in err


def test_python_dash_m_entry_point():
    process = run_module("--steps", "2", "--surface", "booth", "--optimizer", "gd")
    assert process.returncode == 0, process.stderr
    assert "gd" in process.stderr


def test_sweep_heat_maps_show_diverged_cells_as_diverged_not_as_extreme_colours():
    from ui.figures import sweep_figures

    grid = sweep("rosenbrock", "momentum", "lr", np.geomspace(1e-4, 1e-1, 8), "beta", [0.0, 0.9], steps=100)
    assert (grid.diverged_at >= 0).any() and (grid.diverged_at < 0).any()
    figures = sweep_figures(grid, 0.0)
    diverged = grid.diverged_at >= 0
    for title, figure in figures.items():
        values, overlay = np.array(figure.data[0].z, dtype=float), np.array(figure.data[1].z, dtype=float)
        if title == "divergence":  # this map's number is the step at which the cell diverged
            assert np.array_equal(values[diverged], grid.diverged_at[diverged])
        else:
            assert np.all(np.isnan(values[diverged]))  # no colour from a meaningless number
        assert np.all(overlay[diverged] == 1) and np.all(np.isnan(overlay[~diverged]))
    loss = np.array(figures["final loss"].data[0].z, dtype=float)
    assert np.all(np.isfinite(loss[~diverged]))


def test_basin_map_finds_the_four_minima_of_himmelblau():
    from optim_core.api import basin_map

    basins = basin_map("himmelblau", "gd:lr=0.01", resolution=20, steps=500)
    assert set(np.unique(basins.basin)) == {0, 1, 2, 3}
    corner = basins.basin[-1, -1]  # start (5, 5) ends at the minimum (3, 2)
    assert (basins.final_position[0, -1, -1], basins.final_position[1, -1, -1]) == pytest.approx((3.0, 2.0), abs=1e-4)
    assert corner == 0


def test_a_result_describes_each_run_when_asked(monkeypatch):
    """Every spec from every start, in that order; a run's description is made when it is read
    (one object per run was half of simulate's time for 20,000 runs)."""
    import optim_core.api as api

    made: list[str] = []
    real = api.RunInfo
    monkeypatch.setattr(api, "RunInfo", lambda *a: made.append(a[1]) or real(*a))
    points = np.array([[0.5, 1.0], [-2.0, 3.0], [1.0, -1.0]])
    result = simulate("booth", ["adam:lr=0.1,label=fast", "gd", "adam"], start=points, steps=5, record=False)
    assert made == [] and len(result.runs) == 9
    assert [(r.label, r.start) for r in result.runs[2:5]] == [
        ("fast", (1.0, -1.0)), ("gd", (0.5, 1.0)), ("gd", (-2.0, 3.0)),
    ]  # fmt: skip
    assert result.runs[-1] == real("adam", "adam", "adam", (1.0, -1.0), result.runs[0].hyper | {"lr": 0.01})
    assert result.runs[0].hyper["lr"] == 0.1 and result.runs[4].spec == "gd"
    with pytest.raises(IndexError):
        result.runs[9]


def test_a_surface_without_a_compiled_form_is_evaluated_once_per_update_for_all_blocks(monkeypatch):
    """Rules of their own run in blocks of their own; on a NumPy surface the blocks step in
    lock-step and share one gradient call per update (a call per block, on threads fighting for
    the GIL, made the default scene 9 times slower)."""
    surface = NumpyRosenbrock({"a": 1.0, "b": 100.0})
    calls = []
    original = surface.gradient_sampler

    def counting(steps, seed):
        sample = original(steps, seed)

        def counted(x, y, t):
            calls.append((t, x.size))
            return sample(x, y, t)

        return counted

    monkeypatch.setattr(surface, "gradient_sampler", counting)
    specs = ["gd", "adam", "lion", "nag", "adagrad:lr=0.1"]
    result = simulate(surface, specs, steps=50)
    assert calls == [(t, 5) for t in range(50)]
    alone = [simulate("rosenbrock", [spec], steps=50).positions[0] for spec in specs]
    np.testing.assert_array_equal(result.positions, np.array(alone))


@pytest.mark.parametrize("convention", ["lecture", "pytorch"])
def test_runs_whose_keys_differ_get_their_own_per_update_values(convention):
    """Values a rule computes once per update for runs that share its keys (β^k, NAdam's μ_k)
    are computed again where a run's keys differ: in a mixed block, in a block of one rule, and
    in a sweep, each run equals the same run alone."""
    with_values = [name for name, info in OPTIMIZERS.items() if info.per_update]
    assert {"adam", "nadam", "adamax", "radam"} <= set(with_values)
    specs = []
    for name in with_values:
        keys = OPTIMIZERS[name].per_update.keys
        for beta1, beta2 in ((0.8, 0.99), (0.8, 0.99), (0.9, 0.99), (0.9, 0.999), (0.95, 0.999)):
            values = {"beta1": beta1, "beta2": beta2}
            if convention == "pytorch":
                values["momentum_decay"] = round(beta2 - 0.98, 3)
            spec = ",".join(f"{key}={values[key]}" for key in keys if key in values)
            specs.append(f"{name}:lr=0.01,{spec}")
    mixed = simulate("rosenbrock", specs, steps=40, convention=convention)
    # The rules interleaved, one run a group: a rule's values are kept from group to group.
    interleaved = [specs[i] for i in np.argsort(np.arange(len(specs)) % 5, kind="stable")]
    for record in (True, False):
        result = simulate("rosenbrock", interleaved, steps=40, convention=convention, record=record)
        for i, spec in enumerate(interleaved):
            alone = simulate("rosenbrock", [spec], steps=40, convention=convention)
            np.testing.assert_array_equal(result.outcome.final_position[:, i], alone.positions[0, -1], err_msg=spec)
    for i, spec in enumerate(specs):
        alone = simulate("rosenbrock", [spec], steps=40, convention=convention)
        np.testing.assert_array_equal(mixed.positions[i], alone.positions[0], err_msg=spec)
        one_rule = simulate("rosenbrock", [s for s in specs if s.split(":")[0] == spec.split(":")[0]], steps=40,
                            convention=convention)  # fmt: skip
        j = [s for s in specs if s.split(":")[0] == spec.split(":")[0]].index(spec)
        np.testing.assert_array_equal(one_rule.positions[j], alone.positions[0], err_msg=spec)
    grid = sweep("rosenbrock", "nadam", "beta1", [0.8, 0.9, 0.95], "momentum_decay", [0.004, 0.01], steps=40,
                 convention="pytorch")  # fmt: skip
    alone = simulate("rosenbrock", ["nadam:beta1=0.95,momentum_decay=0.01"], steps=40, convention="pytorch")
    np.testing.assert_array_equal(grid.final_position[:, 1, 2], alone.positions[0, -1])


def test_a_block_calls_the_compiled_loop_a_few_times_not_once_per_fiftieth(monkeypatch):
    """Each call of the compiled loop costs ~12 µs to dispatch: a block makes calls of at least
    CALL_RUN_STEPS run-steps (2,000 runs x 200 steps had made 50 calls of 4 updates), and a
    fiftieth of its updates only when that is more, so that long runs still report progress."""
    calls: list[tuple[int, int]] = []

    def counting(make):  # the general loop or the fused one (a block of one rule and keys)
        def made(*key):
            advance = make(*key)

            def call(t0, t1, *rest):
                calls.append((t0, t1))
                return advance(t0, t1, *rest)

            return call

        return made

    monkeypatch.setattr(engine, "rule_loop", counting(engine.rule_loop))
    monkeypatch.setattr(engine, "fused", counting(engine.fused))
    start = np.random.default_rng(0).uniform(-1, 1, (2000, 2))
    simulate("booth", ["adam"], start=start, steps=200, record=False)
    assert calls == [(0, 200)]
    calls.clear()
    simulate("booth", ["adam"], start=start, steps=5000, record=False)  # 10 M run-steps
    assert calls == [(t, t + 1000) for t in range(0, 5000, 1000)]
    calls.clear()
    simulate("booth", ["adam"], start=start[:1], steps=100_000, record=False)
    assert len(calls) == 1  # 100,000 run-steps
    calls.clear()
    monkeypatch.setattr(engine, "CALL_RUN_STEPS", 1)
    simulate("booth", ["adam"], start=start[:1], steps=100_000, record=False)
    assert len(calls) == 50  # a fiftieth at a time


@pytest.mark.parametrize("convention", ["lecture", "pytorch"])
def test_a_block_whose_runs_share_their_keys_steps_them_as_scalars_with_the_same_numbers(convention, monkeypatch):
    """An η sweep (one rule, every other key the same) takes the loop's uniform path in summary
    mode (keys as scalars, no effective rate kept); a β sweep and a recording the general one.
    The uniform path gives the recorded runs' numbers, bit for bit."""
    flags: list[bool] = []
    real = engine.rule_loop

    def spying(names):
        advance = real(names)

        def call(
            *arguments,
        ):  # t0, t1, c0, steps, sid, sp, noise, has_noise, record, need_loss, track, lecture, uniform
            flags.append(arguments[12])
            return advance(*arguments)

        return call

    monkeypatch.setattr(engine, "rule_loop", spying)
    lrs, betas = np.geomspace(1e-3, 30.0, 300), np.linspace(0.5, 0.99, 300)  # the largest rates diverge
    grid = sweep("rosenbrock", "adam", "lr", lrs, "beta2", [0.99], steps=150, convention=convention)
    assert flags == [True]
    flags.clear()
    specs = [f"adam:lr={float(lr)!r},beta2=0.99" for lr in lrs]
    recorded = simulate("rosenbrock", specs, steps=150, convention=convention).outcome
    assert flags == [False]
    for name in ("final_loss", "best_loss", "diverged_at"):
        np.testing.assert_array_equal(getattr(grid, name)[0], getattr(recorded, name), err_msg=name)
    assert (grid.diverged_at >= 0).any() and (grid.diverged_at < 0).any()
    flags.clear()
    sweep("rosenbrock", "adam", "lr", lrs[:1], "beta1", betas, steps=20, convention=convention)
    assert flags == [False]


@pytest.mark.parametrize("convention", ["lecture", "pytorch"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_the_fused_loop_gives_the_general_loops_numbers_bit_for_bit(name, convention, monkeypatch):
    """A block of one rule whose runs share every key, in summary mode, steps through the rule's
    fused loop on the surface (one pass per update); it gives the general loop's summary exactly,
    runs that diverge and runs that come within tolerance included. NAG in the lecture
    convention (a look-ahead gradient) keeps the general loop."""
    runs, steps = 300, 400
    values = resolved(Spec(name), OPTIMIZERS[name].params)
    hyper = {key: np.full(runs, float(value)) for key, value in values.items()}
    hyper["lr"] = hyper["lr"] * np.geomspace(0.1, 30.0, runs)  # an η sweep: the largest diverge
    starts = np.random.default_rng(4).uniform([-1.5, -0.5], [1.5, 2.5], (runs, 2)).T.copy()
    batch = engine.Batch([name] * runs, hyper, starts, steps, convention=convention, tolerance=1e-2)
    surface = make_surface("rosenbrock")
    fused: list[str] = []
    real = engine.fused
    monkeypatch.setattr(engine, "fused", lambda *key: fused.append(key) or real(*key))
    monkeypatch.setattr(engine, "FUSED_RUN_STEPS", 10**12)
    general = engine.run(surface, batch, record=False)
    assert fused == []
    monkeypatch.setattr(engine, "FUSED_RUN_STEPS", runs * steps)
    one_pass = engine.run(surface, batch, record=False)
    lookahead = convention == "lecture" and OPTIMIZERS[name].lookahead
    assert [key[:4] for key in fused] == ([] if lookahead else [(name, 0, "rosenbrock", convention == "lecture")])
    for field in ("final_position", "final_loss", "best_loss", "steps_to_tolerance", "diverged_at"):
        np.testing.assert_array_equal(getattr(one_pass, field), getattr(general, field), err_msg=field)
    assert (general.diverged_at >= 0).any() or (general.steps_to_tolerance >= 0).any()


@pytest.mark.parametrize("surface_name", [cls.info.name for cls in COMPILED])
def test_the_fused_loop_evaluates_the_surface_it_is_named_after(surface_name, monkeypatch):
    """Each fused loop takes its surface's formula by number (surfaces.compiled.FORMULAS): on
    every compiled surface, Adam's fused loop gives the general loop's summary bit for bit."""
    surface = make_surface(surface_name)
    runs, steps = 250, 400
    values = resolved(Spec("adam"), OPTIMIZERS["adam"].params)
    hyper = {key: np.full(runs, float(value)) for key, value in values.items()}
    hyper["lr"] = hyper["lr"] * np.geomspace(0.3, 300.0, runs)
    (x0, x1), (y0, y1) = surface.domain
    starts = np.random.default_rng(5).uniform([x0, y0], [x1, y1], (runs, 2)).T.copy()
    batch = engine.Batch(["adam"] * runs, hyper, starts, steps, tolerance=1e-2)
    fused: list[tuple] = []
    real = engine.fused
    monkeypatch.setattr(engine, "fused", lambda *key: fused.append(key) or real(*key))
    monkeypatch.setattr(engine, "FUSED_RUN_STEPS", 10**12)
    general = engine.run(surface, batch, record=False)
    monkeypatch.setattr(engine, "FUSED_RUN_STEPS", runs * steps)
    one_pass = engine.run(surface, batch, record=False)
    assert [key[1:3] for key in fused] == [(kernel_id(surface), surface_name)]
    for field in ("final_position", "final_loss", "best_loss", "steps_to_tolerance", "diverged_at"):
        np.testing.assert_array_equal(getattr(one_pass, field), getattr(general, field), err_msg=field)
