"""The scrub's bank (optim_core.scrub), what the browser gets of it (ui.scrub) and the page."""

from __future__ import annotations

import base64
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from chart_helpers import charts
from page_test import PageTest
from streamlit.testing.v1 import AppTest

from optim_core.api import Scenario, simulate
from optim_core.optimizers import OPTIMIZERS
from optim_core.scrub import (
    BANK_SIZE,
    MAX_BANK_RUN_STEPS,
    Target,
    bank_values,
    compute_bank,
    parse_target,
    targets,
    values_of,
    window_centre,
)
from spec_strings import SpecError
from ui.scrub import MAX_FLOATS, extents, payload
from ui.state import PlaygroundState, from_query, to_query

PAGES = Path(__file__).resolve().parent.parent / "pages"

DEFAULT = PlaygroundState(surface="rosenbrock").scenario()  # gd, momentum, adagrad, rmsprop, adam on Rosenbrock
CHARTS = {"contour": "pg_contour", "loss": "pg_loss", "distance": "pg_distance", "effective": "pg_eff"}


def param(optimizer: str, name: str):
    return next(p for p in OPTIMIZERS[optimizer].params if p.name == name)


# ----- which values -------------------------------------------------------------------------------
def test_a_rate_bank_spans_two_decades_log_spaced_around_the_current_value_which_it_holds_exactly():
    values = bank_values(param("gd", "lr"), 0.0027)
    assert values.size >= BANK_SIZE
    assert 0.0027 in values.tolist()
    grid = values[values != 0.0027]
    assert grid.max() / grid.min() == pytest.approx(100, rel=0.01)  # two decades
    assert grid.min() < 0.0027 / 9 and grid.max() > 0.0027 * 9  # around the current value
    # log-spaced: the same ratio between neighbours (10^(1/20)), to the three digits kept
    assert np.allclose(grid[1:] / grid[:-1], 10 ** (1 / 20), rtol=0.01)
    assert all(float(f"{v:.3g}") == v for v in values)  # values a link and a control can hold


def test_a_released_value_keeps_the_window_and_is_a_member_of_the_next_bank():
    lr = param("gd", "lr")
    first = bank_values(lr, 0.0027)
    released = float(first[-3])
    assert window_centre(0.0027, released) == 0.0027
    again = bank_values(lr, released, centre=window_centre(0.0027, released))
    assert set(again.tolist()) == set(first.tolist()) - {0.0027}  # the same stops, the slider stays put
    assert window_centre(0.0027, 0.5) == 0.5  # a value typed far away moves the window
    assert window_centre(0.0, 0.0) == 0.0 and window_centre(None, 0.3) == 0.3


def test_a_bank_keeps_an_odd_current_value_exactly_and_stays_inside_the_range():
    values = bank_values(param("gd", "lr"), 0.0023449807091286533)
    assert 0.0023449807091286533 in values.tolist()
    top = bank_values(param("gd", "lr"), 900.0)  # near the top of η's range (0, 1000]
    assert top.max() <= 1000 and top.size >= BANK_SIZE
    zero = bank_values(param("adam", "eps"), 0.0)  # ε = 0 is allowed and is a member
    assert zero[0] == 0.0 and zero.size >= BANK_SIZE


def test_a_decay_factor_bank_is_log_spaced_in_one_minus_beta_from_0_to_0_999():
    values = bank_values(param("adam", "beta2"), 0.999)
    assert values[0] == 0.0 and values[-1] == 0.999 and values.size >= BANK_SIZE
    gaps = 1 - values[:-1]
    assert np.allclose(gaps[1:] / gaps[:-1], 10 ** (-1 / 15), rtol=0.02)
    assert {0.9, 0.99, 0.999} <= set(values.tolist())  # the lectures' values are stops


def test_an_integer_bank_holds_distinct_integers_within_the_steps():
    sched = Scenario(optimizers=["gd"], schedule="step:step_size=100", steps=500)
    values = values_of(sched, Target("schedule", "step_size"))
    assert values.size >= BANK_SIZE and 100 in values and values.max() <= 500 and values.min() >= 1
    assert np.all(values == np.round(values)) and np.unique(values).size == values.size


def test_a_schedule_bank_leaves_out_the_values_the_schedule_refuses():
    scene = Scenario(optimizers=["gd"], schedule="warmup_cosine:warmup=20,t_max=100", steps=200)
    values = values_of(scene, Target("schedule", "warmup"))
    assert 20 in values and values.max() < 100  # a warm-up as long as t_max is refused
    assert compute_bank(scene, Target("schedule", "warmup")).values.size == values.size


def test_a_start_bank_covers_the_domain_where_f_is_defined():
    x = values_of(DEFAULT, Target("start", "x"))
    assert x.size >= BANK_SIZE and x.min() == -2 and x.max() == 2 and -1.2 in x
    typed = Scenario(surface="custom:expr=sqrt(x)+y**2", optimizers=["gd"], start=(1.0, 1.0))
    xs = values_of(typed, Target("start", "x"))
    assert xs.min() >= 0 and 1.0 in xs  # sqrt(x) is undefined left of 0: those starts are left out


def test_targets_follow_the_convention_and_the_schedule():
    lecture = [str(t) for t in targets(Scenario(optimizers=["nadam", "adam"]))]
    pytorch = [str(t) for t in targets(Scenario(optimizers=["nadam", "adam"], convention="pytorch"))]
    assert "opt1.momentum_decay" not in lecture and "opt1.momentum_decay" in pytorch
    assert not any("bias_correction" in t for t in lecture)  # a switch, not a value to drag
    assert "schedule.gamma" in [str(t) for t in targets(Scenario(optimizers=["gd"], schedule="step"))]
    with pytest.raises(SpecError, match=r"scrub='opt9.lr' is not a quantity of this scene; allowed: opt1.lr"):
        parse_target("opt9.lr", Scenario(optimizers=["gd"]))


# ----- the bank's runs ----------------------------------------------------------------------------
def test_each_member_of_a_rate_bank_is_the_run_at_that_value():
    bank = compute_bank(DEFAULT, Target("opt", "lr", 0))
    for j in (0, bank.current, bank.values.size - 1):
        result, row = bank.member(j, 0)
        alone = simulate(DEFAULT.surface, [f"gd:lr={float(bank.values[j])!r}"], DEFAULT.start, DEFAULT.steps)
        assert np.array_equal(result.positions[row], alone.positions[0], equal_nan=True)
        assert result.status(row) == alone.status(0)
    # the top of the bank diverges, the bottom does not: both are shown as they are
    assert bank.member(bank.values.size - 1, 0)[0].status(bank.values.size - 1).startswith("diverged")
    assert bank.member(0, 0)[0].status(0) == "ok"


def test_start_and_schedule_banks_move_every_run():
    bank = compute_bank(DEFAULT, Target("start", "x"))
    assert bank.runs == tuple(range(5))
    j = int(np.flatnonzero(bank.values == 0.5)[0])
    result, row = bank.member(j, 3)  # rmsprop from (0.5, 1)
    alone = simulate(DEFAULT.surface, [DEFAULT.optimizers[3]], (0.5, 1.0), DEFAULT.steps)
    assert np.array_equal(result.positions[row], alone.positions[0], equal_nan=True)
    stepped = replace(DEFAULT, schedule="step:gamma=0.5,step_size=100")
    bank = compute_bank(stepped, Target("schedule", "gamma"))
    j = int(np.flatnonzero(bank.values == 0.9)[0])
    result, row = bank.member(j, 4)
    alone = simulate(DEFAULT.surface, [DEFAULT.optimizers[4]], None, DEFAULT.steps, "step:gamma=0.9,step_size=100")
    assert np.array_equal(result.positions[row], alone.positions[0], equal_nan=True)


def test_a_bank_too_large_to_hold_is_refused_with_its_size():
    heavy = replace(DEFAULT, steps=5000)
    with pytest.raises(SpecError, match=r"scrubbing start.x runs 41 values × 5 runs × 5000 steps"):
        compute_bank(heavy, Target("start", "x"))
    assert MAX_BANK_RUN_STEPS < 41 * 5 * 5001
    compute_bank(heavy, Target("opt", "lr", 4))  # one run at 5,000 steps fits


# ----- what the browser gets ----------------------------------------------------------------------
def floats(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4")


def test_the_payload_holds_each_members_numbers_as_the_core_computed_them():
    result = DEFAULT.run()
    bank = compute_bank(DEFAULT, Target("opt", "lr", 0))
    data = payload(bank, result, "η of gd", CHARTS)
    assert data["values"] == bank.values.tolist() and data["current"] == bank.current
    assert data["stride"] == 1  # the default scene is drawn in full
    contour = data["charts"]["pg_contour"]
    assert contour["uids"] == ["path0", "heads", "diverged"]
    for j in (3, bank.current):
        member, row = bank.member(j, 0)
        path = member.positions[row, : int(member.valid_rows[row])]
        drawn = contour["members"][j][0]
        assert np.array_equal(floats(drawn["x"]), path[:, 0].astype(np.float32))
        assert np.array_equal(floats(drawn["y"]), path[:, 1].astype(np.float32))
        heads = contour["members"][j][1]
        assert floats(heads["x"])[0] == np.float32(path[-1, 0])
        assert floats(heads["x"])[1] == np.float32(result.positions[1, -1, 0])  # momentum stays
        loss = data["charts"]["pg_loss"]["members"][j][0]
        assert loss["x"] == {"o": 0, "s": 1, "n": path.shape[0], "last": path.shape[0] - 1}
        assert np.allclose(floats(loss["y"]), member.loss[row, : path.shape[0]] - 0.0, rtol=1e-6)
    top = bank.values.size - 1
    assert "gd diverged at step" in data["status"][top] and data["status"][bank.current] == ""
    assert floats(contour["members"][top][2]["x"]).size == 1  # the cross where it diverged
    assert floats(contour["members"][bank.current][2]["x"]).size == 0
    eff = data["charts"]["pg_eff"]
    assert eff["uids"] == ["eff0x", "eff0y"] and eff["members"][0][1]["x"]["o"] == 1


def test_a_large_bank_is_thinned_for_drawing_and_keeps_every_paths_end():
    scene = replace(DEFAULT, steps=1200)
    result = scene.run()
    bank = compute_bank(scene, Target("start", "y"))
    data = payload(bank, result, "start y₀", CHARTS)
    assert data["stride"] > 1
    numbers = sum(
        floats(trace[axis]).size
        for chart in data["charts"].values()
        for member in chart["members"]
        for trace in member
        for axis in ("x", "y")
        if isinstance(trace[axis], str)
    )
    assert numbers <= MAX_FLOATS * 1.05
    member, row = bank.member(0, 0)
    drawn = data["charts"]["pg_contour"]["members"][0][0]
    end = member.positions[row, int(member.valid_rows[row]) - 1]
    assert floats(drawn["x"])[-1] == np.float32(end[0])
    assert len(json.dumps(data)) < 1_100_000


def test_held_axes_follow_the_members_that_did_not_diverge():
    bank = compute_bank(DEFAULT, Target("opt", "lr", 0))
    low, high = extents(bank)["loss"]
    assert high < 1e4  # the diverging members' 1e10 losses leave through the top
    staying = [bank.member(j, 0) for j in range(bank.values.size)]
    finals = [r.loss[row, int(r.valid_rows[row]) - 1] for r, row in staying if r.outcome.diverged_at[row] < 0]
    assert low <= min(finals) and math.isfinite(low)


# ----- the link -----------------------------------------------------------------------------------
def test_a_link_holds_the_scrub_and_a_bad_one_is_named_and_dropped():
    parsed = from_query({"scrub": ["opt2.beta"]})
    assert parsed.state.scrub == "opt2.beta" and not parsed.ignored
    assert to_query(parsed.state)["scrub"] == "opt2.beta"
    link = {key: value if isinstance(value, list) else [value] for key, value in to_query(parsed.state).items()}
    assert from_query(link).state == parsed.state
    bad = from_query({"scrub": ["opt2.beta2"]})
    assert bad.state.scrub is None
    assert bad.ignored == [bad.ignored[0]] and "scrub='opt2.beta2' is not a quantity" in bad.ignored[0]


# ----- the page -----------------------------------------------------------------------------------
def scrub_bars(at: AppTest) -> list:
    """The scrub components on the page (the Playground's animation controls are one too)."""
    return [element for element in at.get("bidi_component") if element.proto.component_name == "optviz_scrub"]


def bank_data(at: AppTest) -> dict:
    (element,) = scrub_bars(at)
    return json.loads(element.proto.json)[0]  # sent in a list (ui.player: no pandas)


def test_choosing_a_scrub_on_the_page_sends_the_bank_and_writes_the_link():
    at = PageTest.open(PAGES / "playground.py", 60)
    at.query_params["surface"] = "rosenbrock"
    at.run()
    assert not scrub_bars(at)
    at.selectbox(key="pg_scrub").set_value("opt5.lr").run()
    assert not at.exception
    data = bank_data(at)
    bank = compute_bank(DEFAULT, Target("opt", "lr", 4))
    assert data["values"] == bank.values.tolist() and len(data["values"]) >= BANK_SIZE
    assert data["values"][data["current"]] == 0.052 and data["title"] == "η of adam"
    assert at.query_params["scrub"] == "opt5.lr"
    # removing the run the scrub stands for turns it off, with no error
    at.button(key="pg_remove4").click().run()
    assert not at.exception and not scrub_bars(at) and at.selectbox(key="pg_scrub").value == "off"


def test_a_scrub_too_large_says_why_and_the_page_still_draws():
    at = PageTest.open(PAGES / "playground.py", 60)
    at.query_params.update({"steps": "5000", "scrub": "start.x"})
    at.run()
    assert not at.exception
    assert any("No scrub: scrubbing start.x runs" in w.value.replace("\\", "") for w in at.warning)
    assert charts(at)


def test_the_lessons_about_a_value_offer_its_scrub_and_send_nothing_back():
    at = PageTest.open(PAGES / "lessons.py", 120)
    at.run()
    assert not at.exception
    banks = [json.loads(element.proto.json)[0] for element in scrub_bars(at)]
    assert [b["title"] for b in banks] == ["η of adagrad", "η of adagrad", "η of rmsprop"]
    assert all(not b["send"] and len(b["values"]) >= BANK_SIZE for b in banks)
    rmsprop = banks[2]
    assert rmsprop["values"][rmsprop["current"]] == 0.1  # the preset's η₀
    assert rmsprop["charts"]["lesson_rmsprop_1"]["uids"] == ["c0:loss0"]  # its line among the schedules'


def test_the_schedules_scrub_follows_the_compared_schedule_and_the_link():
    at = PageTest.open(PAGES / "schedules.py", 120)
    at.query_params.update({"scrub": "eta_min"})
    at.run()
    assert not at.exception
    (element,) = scrub_bars(at)
    data = json.loads(element.proto.json)[0]
    assert data["send"] and data["charts"]["sch_loss"]["uids"] == ["c0:loss0", "c0:rate0"]
    at.selectbox(key="sch_compare").set_value("step").run()  # step decay has no eta_min
    assert not at.exception and not scrub_bars(at) and at.selectbox(key="sch_scrub").value == "off"
    assert "scrub" not in at.query_params
