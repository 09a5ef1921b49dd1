"""The Playground's URL state: round trips, and tampered links that fall back with a warning."""

from __future__ import annotations

import numpy as np
import pytest

from ui.state import DEFAULT_SURFACE, PlaygroundState, default_optimizers, from_query, to_query


def as_query(params: dict) -> dict[str, list[str]]:
    return {key: value if isinstance(value, list) else [value] for key, value in params.items()}


def test_defaults_use_the_surface_suggested_rates():
    assert default_optimizers("rosenbrock")[0] == "gd:lr=0.0027"
    assert PlaygroundState().resolved_optimizers() == default_optimizers(DEFAULT_SURFACE)
    assert from_query({}).state == PlaygroundState() and from_query({}).ignored == []


def test_the_default_scene_makes_its_point_at_once():
    """The first picture (issue #14): at least one run gets within the tolerance, AdaGrad's
    effective rate falls 10x or more along each coordinate."""
    result = PlaygroundState().scenario().run()
    names = [run.optimizer for run in result.runs]
    statuses = [result.status(i) for i in range(len(names))]
    assert "converged" in statuses, statuses
    assert statuses[names.index("rmsprop")] == "converged"
    assert result.summary()["steps_to_tolerance"][names.index("rmsprop")] == 452
    adagrad = result.effective_lr[names.index("adagrad")]
    fall = adagrad[0] / adagrad[-1]
    assert np.all(fall >= 10), fall
    np.testing.assert_allclose(fall, [32.4, 81.2], rtol=0.01)


def test_a_full_state_round_trips_through_the_url():
    state = PlaygroundState(
        surface="valley:kappa=40.0,angle=20.0",
        optimizers=("adam:lr=0.3,label=fast", "adam:lr=0.01,label=slow", "nag:lr=0.02,beta=0.8"),
        start=(-7.25, 3.5),
        steps=320,
        schedule="cosine:t_max=200",
        convention="pytorch",
        seed=11,
        selected_step=40,
        presentation=True,
    )
    parsed = from_query(as_query(to_query(state)))
    assert parsed.ignored == []
    assert parsed.state == state
    a, b = state.scenario().run(), parsed.state.scenario().run()
    np.testing.assert_array_equal(a.positions, b.positions)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"surface": "moon"}, "surface: unknown surface moon"),
        ({"surface": "rosenbrock:b=-4"}, "b=-4 is out of range"),
        ({"opt": ["adam:lr=abc", "gd"]}, "opt: optimizer adam: lr='abc'"),
        ({"steps": "1e9"}, "steps='1e9' is not an integer"),
        ({"steps": "999999"}, "steps=999999 is out of range"),
        ({"start": "1;2"}, "start: '1;2' is not x,y"),
        ({"start": "nan,1"}, "not x,y"),
        ({"start": "1e9,0"}, "outside the surface's bounds"),
        ({"schedule": "cosine:t_max=-1"}, "schedule: schedule cosine: t_max=-1 is out of range"),
        ({"conv": "keras"}, "conv: 'keras' is not one of lecture, pytorch"),
        ({"seed": "-3"}, "seed=-3 is out of range"),
        ({"present": "yes"}, "present: 'yes' is not 0 or 1"),
        ({"evil": "1"}, "unknown parameter 'evil'"),
        ({"surface": ["booth", "beale"]}, "surface: given 2 times"),
        ({"surface": "custom:expr=__import__('os')"}, "is not allowed"),
        ({"opt": ["gd"] * 20}, "at most 12 optimizers"),
    ],
)
def test_a_tampered_part_is_ignored_and_named(params, fragment):
    parsed = from_query(as_query(params))
    assert any(fragment in item for item in parsed.ignored), parsed.ignored
    parsed.state.scenario().validate()  # whatever survives still runs


def test_good_parts_survive_next_to_bad_ones():
    parsed = from_query(as_query({"surface": "booth", "opt": ["adam:lr=0.1", "nope"], "steps": "x"}))
    assert parsed.state.surface == "booth"
    assert parsed.state.optimizers == ("adam:lr=0.1",)
    assert parsed.state.steps == 500
    assert len(parsed.ignored) == 2


def test_markup_in_a_link_is_only_ever_text():
    parsed = from_query(as_query({"surface": "<img src=x onerror=alert(1)>", "<script>": "1"}))
    assert parsed.state.surface == DEFAULT_SURFACE
    assert all("<img" not in item or "unknown surface" in item for item in parsed.ignored)


# ----- a lecturer's link for students (ui.tutorial) -----------------------------------------------
def test_a_link_for_students_round_trips_and_names_what_it_ignores():
    from ui.tutorial import TITLE_CHARS, Tutorial

    link = {
        "surface": ["booth"], "title": ["Week 3:\x00 momentum\n<b>now</b>"], "hide": ["surface,steps,steps,nope"],
        "view": ["contour"],
    }  # fmt: skip
    parsed = from_query(link)
    tutor = parsed.state.tutorial
    assert tutor == Tutorial("Week 3: momentum <b>now</b>", ("surface", "steps"), "contour")
    assert tutor.locked and tutor.hides("steps") and not tutor.hides("start")
    assert parsed.ignored == ["hide: 'nope' is not one of sidebar, surface, start, steps, convention, optimizers, "
                              "schedule, scenario, scrub, downloads"]  # fmt: skip
    again = from_query({k: v if isinstance(v, list) else [v] for k, v in to_query(parsed.state).items()})
    assert again.state == parsed.state and not again.ignored
    bad = from_query({"view": ["heatmap"], "title": ["x" * 500], "lesson": ["adam"]})
    assert bad.state.tutorial == Tutorial("x" * TITLE_CHARS)
    assert "view: 'heatmap' is not one of contour, loss, distance, effective, 3d, step" in bad.ignored
    assert "unknown parameter 'lesson'" in bad.ignored  # a lesson locks the Lessons page, not this one
    assert from_query({"title": ["\n\t "]}).state.tutorial == Tutorial()
