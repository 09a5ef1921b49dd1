"""Every lecture claim, measured on its preset: the numbers the Lessons page shows, asserted."""

from __future__ import annotations

import pytest

from optim_core.lessons import (
    ADADELTA,
    ADAGRAD,
    ADAGRAD_COUNTER,
    ADAM_BIAS,
    ADAMAX,
    LESSONS,
    NAG,
    RMSPROP,
    ROTATED_COUNTER,
    SCHEDULES_LESSON,
    SPARSE,
)


def measure(lesson):
    return lesson.measure(lesson.run())


def test_adagrad_rate_decays_and_stalls_where_rmsprop_gets_there():
    m = measure(ADAGRAD)
    assert m.numbers["AdaGrad rate, last / first update"] < 0.2
    assert m.numbers["AdaGrad distance to minimum"] > 0.5
    assert m.numbers["RMSprop distance to minimum"] < 0.05
    assert m.held


def test_adagrad_counter_case_converges_with_a_larger_rate():
    m = measure(ADAGRAD_COUNTER)
    assert m.numbers["AdaGrad distance to minimum"] < 1e-6  # η₀ = 1: AdaGrad gets there first
    assert not m.held


def test_sparse_feature_gd_barely_moves_w_adagrad_moves_in_proportion():
    m = measure(SPARSE)
    for batch in ("full batch", "mini-batches of 5"):
        gd_w, gd_b = m.numbers[f"{batch}: GD progress along w"], m.numbers[f"{batch}: GD progress along b"]
        ada_w, ada_b = m.numbers[f"{batch}: AdaGrad progress along w"], m.numbers[f"{batch}: AdaGrad progress along b"]
        assert gd_w < 0.25 and gd_b > 0.9
        assert ada_w > 0.9 and ada_b > 0.9
    assert m.held


def test_rotated_valley_counter_case_adagrad_loses_its_edge_gd_does_not_change():
    m = measure(ROTATED_COUNTER)
    n = m.numbers
    assert n["along the axes: AdaGrad's rate along x / along y (last update)"] > 3  # adapts to the flat x
    assert 0.5 < n["rotated by 45°: AdaGrad's rate along x / along y (last update)"] < 1  # nothing to adapt to
    assert n["along the axes: AdaGrad final loss"] < 1e-8 < 1e-3 < n["rotated by 45°: AdaGrad final loss"]
    assert n["along the axes: AdaGrad steps to within 1e-6 (−1: not reached)"] > 0
    assert n["rotated by 45°: AdaGrad steps to within 1e-6 (−1: not reached)"] == -1
    # Gradient descent commutes with rotation: the same steps, the same loss up to rounding.
    assert n["along the axes: GD final loss"] == pytest.approx(n["rotated by 45°: GD final loss"], rel=1e-3)
    steps = "GD steps to within 1e-6 (−1: not reached)"
    assert n[f"along the axes: {steps}"] == n[f"rotated by 45°: {steps}"] > 0
    assert not m.held
    for scale in (0.25, 2.0):  # the page's step slider does not turn the verdict
        assert not ROTATED_COUNTER.measure(ROTATED_COUNTER.run(scale)).held


def test_rmsprop_bounces_at_a_constant_rate_settles_under_cosine_and_depends_on_eta0():
    m = measure(RMSPROP)
    assert m.numbers["constant rate: reversing steps (last 100)"] > 0.95
    assert m.numbers["constant rate: RMS step (last 100)"] == pytest.approx(0.1, rel=0.05)  # about η
    assert m.numbers["cosine: RMS step (last 100)"] < 0.01
    assert m.numbers["final loss spread over η₀ (decades)"] > 4
    assert m.held


def test_adadelta_progresses_without_a_learning_rate_starting_slowly():
    m = measure(ADADELTA)
    assert m.numbers["loss after 500 updates"] < 1e-3 < 170 == pytest.approx(m.numbers["loss at start"])
    assert m.numbers["first step"] == pytest.approx(1e-3 * 10**0.5 * 2**0.5, rel=0.01)  # √(ε/(1−β)) · √2 coordinates
    assert m.numbers["mean step, updates 50-150"] > 2 * m.numbers["first step"]
    assert m.held


def test_adam_bias_correction_makes_the_first_step_eta():
    m = measure(ADAM_BIAS)
    assert m.numbers["first step / η, corrected"] == pytest.approx(1.0, abs=1e-6)
    assert m.numbers["first step / η, uncorrected"] == pytest.approx(3.1623, abs=1e-3)
    assert m.held


def test_adamax_steps_on_the_sparse_feature_are_steadier_than_adams():
    m = measure(ADAMAX)
    assert m.numbers["Adamax: variation of w's steps"] < 0.7 * m.numbers["Adam: variation of w's steps"]
    assert m.held


def test_nag_overshoots_less_than_momentum():
    m = measure(NAG)
    assert m.numbers["momentum: overshoot past the minimum"] == pytest.approx(2.655, abs=0.01)
    assert m.numbers["NAG: overshoot past the minimum"] == pytest.approx(2.019, abs=0.01)
    assert m.held


def test_decaying_schedules_settle_rmsprop_cyclic_ones_do_not():
    m = measure(SCHEDULES_LESSON)
    constant = m.numbers["constant: RMS step (last 100)"]
    for name in ("step", "exponential", "cosine"):
        assert m.numbers[f"{name}: RMS step (last 100)"] < 0.1 * constant
        assert m.numbers[f"{name}: final loss"] < m.numbers["constant: final loss"]
    assert m.numbers["cyclic: RMS step (last 100)"] > constant  # raised again at the end of a cycle
    assert m.held


def test_every_lesson_of_app_md_is_there():
    keys = {lesson.key for lesson in LESSONS}
    assert keys == {"adagrad", "sparse", "rmsprop", "adadelta", "adam-bias", "adamax", "nag", "schedules"}
