"""The app through Streamlit's AppTest: every page renders, widgets change the figures' data."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from chart_helpers import charts, walk
from page_test import PageTest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["pages/playground.py", "pages/reference.py"]


def open_app(page: str | None = None, query: dict | None = None) -> AppTest:
    """The app, on ``page`` (default the Playground), opened with ``query`` as its URL's query."""
    at = PageTest.open(APP, 120)
    other_page = page is not None and page != PAGES[0]
    if not other_page:
        for key, value in (query or {}).items():
            at.query_params[key] = value
    at.run()
    if other_page:
        # A browser's navigation drops the query string; AppTest's switch_page keeps it.
        at.query_params.clear()
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.switch_page(page).run()
    return at


def figures(at: AppTest) -> list[dict]:
    return [chart.figure for chart in charts(at)]


def array(value) -> np.ndarray:
    """A figure dict's array: a list (of lists), or Plotly's base64 form {dtype, bdata[, shape]}."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value, dtype=float)


def surface_picture(figure: dict) -> str:
    """The contour chart's picture of the surface (a layout image, see ui.figures.surface_picture)."""
    return figure["layout"]["images"][0]["source"]


def trace_lengths(figure: dict) -> list:
    return [(t.get("name"), json.dumps(t.get("x"))[-60:]) for t in figure["data"]]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_its_defaults(page):
    at = open_app(page)
    assert not at.exception, at.exception
    assert not at.error
    assert figures(at), "no chart on the page"


def test_playground_steps_slider_changes_the_paths():
    at = open_app()
    before = figures(at)[0]
    at.slider(key="pg_steps").set_value(100).run()
    after = figures(at)[0]
    assert not at.exception
    assert trace_lengths(before) != trace_lengths(after)


def test_playground_learning_rate_changes_one_path_only():
    at = open_app()
    before = {t["name"]: t for t in figures(at)[0]["data"]}
    at.select_slider(key="pg_run0_lr").set_value(0.01).run()
    after = {t["name"]: t for t in figures(at)[0]["data"]}
    assert not at.exception
    assert json.dumps(before["gd"]["x"]) != json.dumps(
        after.get("gd", after.get("gd — diverged at step 1", {})).get("x")
    )
    assert json.dumps(before["adam"]["x"]) == json.dumps(after["adam"]["x"])


def test_playground_surface_choice_redraws_the_contour():
    at = open_app()
    before = surface_picture(figures(at)[0])
    at.selectbox(key="pg_surface").set_value("himmelblau").run()
    after = surface_picture(figures(at)[0])
    assert not at.exception
    assert before.endswith(".png") and before != after  # served by URL (ui.charts.served_pictures)


def test_playground_refuses_a_hostile_typed_function_with_a_message():
    at = open_app()
    at.selectbox(key="pg_surface").set_value("custom").run()
    assert not at.exception and figures(at)
    before = figures(at)[0]
    at.text_input(key="pg_s_custom_expr").input("__import__('os').system('echo hi')").run()
    assert not at.exception
    assert len(at.error) == 1
    assert "may be called" in at.error[0].value  # names what is allowed
    assert figures(at)[0] == before  # the last valid function is still drawn


def test_reference_slider_changes_the_schedule_curves():
    at = open_app("pages/reference.py")
    before = figures(at)[0]
    at.slider(key="ref_steps").set_value(1000).run()
    assert not at.exception
    assert trace_lengths(before) != trace_lengths(figures(at)[0])


def traces(at: AppTest, chart: int = 0) -> dict[str, str]:
    """Trace name (without a divergence note) -> its x data, of one chart."""
    return {t["name"].split(" — ")[0]: json.dumps(t.get("x")) for t in figures(at)[chart]["data"] if t.get("name")}


def test_playground_surface_parameter_changes_the_surface():
    at = open_app(query={"surface": "rosenbrock"})
    before = surface_picture(figures(at)[0])
    at.select_slider(key="pg_s_rosenbrock_b").set_value(22.0).run()  # one of its stops
    assert not at.exception
    assert at.session_state["pg_s_rosenbrock_b"] == 22.0  # 20, not a stop, had fallen back to the first (b = 1)
    assert surface_picture(figures(at)[0]) != before


def test_playground_runs_can_be_added_twice_and_removed():
    at = open_app()
    at.selectbox(key="pg_add").set_value("adam").run()
    at.button[[b.label for b in at.button].index("Add run")].click().run()
    assert not at.exception
    names = traces(at)
    assert "adam" in names and "adam 2" in names  # the same optimizer twice, told apart by label
    remove = [b for b in at.button if b.label == "Remove"]
    remove[0].click().run()
    assert "gd" not in traces(at)


def test_playground_schedule_changes_the_rates_and_shows_a_preview():
    at = open_app()
    before = traces(at)
    at.selectbox(key="pg_schedule").set_value("step").run()
    assert not at.exception
    assert traces(at) != before
    assert any("η<sub>t</sub> / η" in json.dumps(f["data"], ensure_ascii=False) for f in figures(at))


def test_playground_typed_start_point_moves_every_path():
    at = open_app(query={"surface": "rosenbrock"})  # starts at (-1.2, 1)
    at.number_input(key="pg_start_x").set_value(0.5).run()
    assert not at.exception
    for trace in figures(at)[0]["data"]:
        if trace.get("name") == "start":
            assert json.dumps(trace["x"]) != json.dumps([-1.2] * 5)
    assert at.query_params["start"] == "0.5,1.0"


def test_playground_convention_and_seed_change_the_numbers():
    at = open_app(query={"surface": "booth:noise=5"})
    before = traces(at)
    at.number_input(key="pg_seed").set_value(3).run()
    after_seed = traces(at)
    assert after_seed != before
    at.radio(key="pg_convention").set_value("pytorch").run()
    assert not at.exception
    assert traces(at)["rmsprop"] != after_seed["rmsprop"]


def test_a_control_of_numbers_reruns_the_views_alone_and_one_of_controls_the_page():
    """The steps, a rate, the start or the seed rerun the views' fragment alone (the sidebar
    stays in the browser as it is); the convention, which changes the runs' controls, and the
    surface rerun the page. Either way the figures and the URL follow."""
    at = open_app(query={"surface": "booth:noise=5", "opt": ["gd:lr=0.01", "adagrad:lr=0.5"]})
    before = figures(at)[0]["data"]
    for key, value in (("pg_steps", 120), ("pg_run1_lr", 0.32), ("pg_start_x", 2.0), ("pg_seed", 4)):
        runs = at.fragment_runs
        at.get(_kind(at, key))[_index(at, key)].set_value(value).run()
        assert at.fragment_runs == runs + 1, key
        assert not at.exception and figures(at)[0]["data"] != before, key
        before = figures(at)[0]["data"]
    assert at.query_params["steps"] == "120" and at.query_params["start"].startswith("2.0,")
    assert at.query_params["seed"] == "4"
    assert at.query_params["opt"][1].startswith("adagrad:lr=0.32")
    runs = at.fragment_runs
    at.radio(key="pg_convention").set_value("pytorch").run()
    assert at.fragment_runs == runs and at.query_params["conv"] == "pytorch"
    assert figures(at)[0]["data"] != before


def _kind(at: AppTest, key: str) -> str:
    return next(kind for kind in ("slider", "select_slider", "number_input") if any(w.key == key for w in at.get(kind)))


def _index(at: AppTest, key: str) -> int:
    return next(i for i, w in enumerate(at.get(_kind(at, key))) if w.key == key)


def test_playground_state_lands_in_the_url_and_a_url_restores_it():
    at = open_app()
    at.slider(key="pg_steps").set_value(120).run()
    assert at.query_params["steps"] == "120"
    again = open_app(query={key: at.query_params[key] for key in at.query_params})
    assert figures(again)[0]["data"] == figures(at)[0]["data"]


def test_a_link_with_eps_zero_keeps_it_on_the_slider():
    """ε = 0 is allowed by the spec: the slider has a 0 stop, and the link keeps it."""
    at = open_app(query={"opt": ["adam:eps=0", "rmsprop"]})
    assert not at.exception and not at.warning
    assert at.query_params["opt"][0].startswith("adam:eps=0.0,")  # not snapped to the smallest ε > 0
    assert at.select_slider(key="pg_run0_eps").value == 0.0


def test_playground_tampered_url_shows_defaults_and_a_warning():
    at = open_app(query={"surface": "<b>moon</b>", "steps": "lots", "opt": "adam:lr=0.05"})
    assert not at.exception
    assert len(at.warning) == 1
    text = at.warning[0].value
    assert "unknown surface" in text and "steps" in text
    assert "<b>" not in text.replace("\\<b\\>", "")  # escaped, never markup
    assert "adam" in traces(at)


def test_default_playground_figure_payload_is_under_one_megabyte():
    at = open_app()
    sizes = [chart.size for chart in charts(at)]
    print(f"figure payload: {sizes} = {sum(sizes) / 1e3:.0f} kB")
    assert sum(sizes) < 1_000_000


@pytest.mark.parametrize(
    "page", [None, "pages/lessons.py", "pages/schedules.py", "pages/sweep.py", "pages/reference.py"]
)
def test_presentation_mode_on_every_page_enlarges_fonts_and_lands_in_the_url(page):
    at = open_app(page)
    normal = figures(at)[0]["layout"]["font"]["size"]
    at.toggle(key="present_toggle").set_value(True).run()
    assert not at.exception
    assert figures(at)[0]["layout"]["font"]["size"] >= 18 > normal
    assert at.query_params["present"] == "1"
    at.toggle(key="present_toggle").set_value(False).run()
    assert figures(at)[0]["layout"]["font"]["size"] == normal and "present" not in at.query_params


def test_presentation_mode_follows_the_user_from_page_to_page():
    at = open_app(query={"present": "1"})
    assert at.session_state["presentation"] is True
    at.switch_page("pages/sweep.py").run()
    assert not at.exception
    assert at.toggle(key="present_toggle").value is True
    assert figures(at)[0]["layout"]["font"]["size"] >= 18


def test_charts_export_a_slide_sized_png_named_after_page_view_and_scene():
    at = open_app()
    options = [chart.config["toImageButtonOptions"] for chart in charts(at)]
    for option in options:
        assert option["format"] == "png"
        assert option["width"] * option["scale"] >= 1920 and option["height"] * option["scale"] >= 1080
    names = [option["filename"] for option in options]
    assert names[0] == "playground-contour-sparse-dense-gd-momentum-adagrad-rmsprop-adam"
    assert len(set(names)) == len(names)  # every chart its own file name
    at = open_app("pages/sweep.py")
    names = [chart.config["toImageButtonOptions"]["filename"] for chart in charts(at)]
    assert all(name.startswith("sweep-") for name in names) and len(set(names)) == len(names)


def test_sweep_page_renders_and_its_grid_follows_the_controls():
    at = open_app("pages/sweep.py")
    assert not at.exception and not at.error
    maps = figures(at)
    assert len(maps) == 4  # three heat maps and the basin map
    heat = maps[0]["data"][0]
    x, y, z = array(heat["x"]), array(heat["y"]), array(heat["z"])
    assert len(x) == len(y) == 50 and z.size == 50 * 50  # the default cells per axis
    low, high = at.number_input(key="sw_x_low").value, at.number_input(key="sw_x_high").value
    assert x.min() == pytest.approx(low, rel=1e-6) and x.max() == pytest.approx(high, rel=1e-6)
    assert np.isfinite(z).sum() > z.size / 2  # most cells hold a final loss
    at.slider(key="sw_resolution").set_value(12).run()
    assert not at.exception
    heat = figures(at)[0]["data"][0]
    assert len(array(heat["x"])) == len(array(heat["y"])) == 12 and array(heat["z"]).size == 12 * 12


def test_the_sweep_opens_on_a_map_that_makes_its_point():
    """The first picture (issue #14): slow, converged and diverged cells all on the map (the
    final loss no more than 60 % one colour band), and a basin map with all four minima."""
    at = open_app("pages/sweep.py")
    maps = figures(at)
    loss = array(maps[0]["data"][0]["z"])
    diverged = ~np.isfinite(loss)
    reached = np.isfinite(array(maps[1]["data"][0]["z"]))
    assert reached.mean() >= 0.5 and 0.05 <= diverged.mean() <= 0.2, (reached.mean(), diverged.mean())
    bands, _ = np.histogram(loss[~diverged], bins=10)
    assert bands.max() / bands.sum() <= 0.6
    basins = array(maps[3]["data"][0]["z"])
    assert set(np.unique(basins[np.isfinite(basins)]).astype(int)) >= {0, 1, 2, 3}
    markdown = " ".join(m.value for m in at.markdown)
    assert "**1475** within 0.0001 of the minimum, **220** diverged" in markdown


def test_sweep_page_runs_the_grid_and_the_basin_map_once_per_their_inputs(monkeypatch):
    """A widget that neither uses does not run them again (sparse_dense takes seconds)."""
    import optim_core.api as api

    calls: list[str] = []
    for name in ("sweep", "basin_map"):
        real = getattr(api, name)
        monkeypatch.setattr(api, name, lambda *a, real=real, name=name, **k: calls.append(name) or real(*a, **k))
    at = open_app("pages/sweep.py")
    assert calls == ["sweep", "basin_map"]
    at.select_slider(key="sw_tolerance").set_value(1e-2).run()  # the grid only
    assert calls == ["sweep", "basin_map", "sweep"]
    at.slider(key="sw_basin_resolution").set_value(20).run()  # the basin map only
    assert calls == ["sweep", "basin_map", "sweep", "basin_map"]
    at.slider(key="sw_steps").set_value(200).run()  # both
    assert calls[4:] == ["sweep", "basin_map"]
    assert not at.exception


def test_sweep_page_refuses_an_empty_range_with_a_message():
    at = open_app("pages/sweep.py")
    low = next(w for w in at.number_input if w.key.endswith("_low") and "_x_" in w.key)
    low.set_value(10.0).run()
    assert not at.exception
    assert len(at.error) == 1 and "must be below" in at.error[0].value


def test_schedules_page_draws_every_curve_and_the_comparison():
    at = open_app("pages/schedules.py")
    assert not at.exception and not at.error
    charts = figures(at)
    assert len(charts) == 7 + 2  # one curve per open-loop schedule, the contour and the loss
    before = [json.dumps(chart["data"]) for chart in charts]
    at.number_input(key="sch_step_step_size").set_value(20).run()
    assert not at.exception
    after = [json.dumps(chart["data"]) for chart in figures(at)]
    changed = [b != a for b, a in zip(before, after, strict=True)]
    assert sum(changed) == 1  # the step schedule's curve, and nothing else


def test_schedules_comparison_uses_both_runs():
    at = open_app("pages/schedules.py")
    names = [t.get("name", "") for t in figures(at)[-2]["data"]]
    assert any("constant η" in n for n in names) and any("cosine" in n for n in names)
    summary = at.markdown[-1].value
    assert "closer to" in summary  # RMSprop at 5x the suggested rate: the cosine settles, the constant rate bounces


def test_lessons_page_measures_every_claim_and_says_where_one_does_not_hold():
    at = open_app("pages/lessons.py")
    assert not at.exception and not at.error
    held = [s.value for s in at.success]
    not_held = [w.value for w in at.warning]
    assert len(held) == 8 and all(text.startswith("**Held here.**") for text in held)
    # The counter-cases: AdaGrad with η₀ = 1, and the valley rotated by 45°.
    assert len(not_held) == 2 and all("Did not hold here" in text for text in not_held)
    assert "rotated by 45°" in not_held[1]
    races = at.session_state["optviz_races"]  # the export panel offers each lesson's race
    assert len(races) == 10 and all(name.startswith("lessons-race-") for name in races)
    compute, identity = races[next(iter(races))]  # the way to the run, never the run itself
    assert compute().positions.shape[1] > 10 and identity.endswith(" 1.0")
    before = [json.dumps(f["data"]) for f in figures(at)]
    at.slider(key="lessons_percent").set_value(50).run()
    assert not at.exception
    assert [json.dumps(f["data"]) for f in figures(at)] != before


def test_sweep_state_lands_in_the_url_and_a_url_restores_it():
    at = open_app("pages/sweep.py")
    assert not at.warning
    at.selectbox(key="sw_optimizer").set_value("adam").run()
    at.slider(key="sw_resolution").set_value(12).run()
    assert at.query_params["opt"] == "adam" and at.query_params["n"] == "12"
    assert at.query_params["y"] == "beta1"  # adam has no beta: the axis follows the optimizer
    query = {key: at.query_params[key] for key in at.query_params}
    again = open_app("pages/sweep.py", query=query)
    assert not again.warning and not again.exception
    assert figures(again)[0]["data"] == figures(at)[0]["data"]


def test_sweep_tampered_url_is_named_and_ignored():
    at = open_app("pages/sweep.py", query={"opt": "adamm", "n": "999", "x": "beta", "y": "beta", "evil": "<b>"})
    assert not at.exception
    text = at.warning[0].value
    assert "adamm" in text and "999 is out of range" in text and "cannot sweep beta against beta" in text
    assert "unknown parameter" in text
    assert len(figures(at)) == 4


def test_schedules_state_lands_in_the_url_and_a_url_restores_it():
    at = open_app("pages/schedules.py")
    assert not at.warning
    at.number_input(key="sch_step_step_size").set_value(20).run()
    at.selectbox(key="sch_optimizer").set_value("momentum").run()
    assert at.query_params["step.step_size"] == "20" and at.query_params["opt"] == "momentum"
    assert "base" not in at.query_params  # defaults stay out of the link
    query = {key: at.query_params[key] for key in at.query_params}
    again = open_app("pages/schedules.py", query=query)
    assert not again.warning and not again.exception
    assert [f["data"] for f in figures(again)] == [f["data"] for f in figures(at)]


def test_schedules_tampered_url_is_named_and_ignored():
    at = open_app("pages/schedules.py", query={"step.gamma": "7", "compare": "linear", "lr": "-1"})
    assert not at.exception
    text = at.warning[0].value
    assert "gamma=7 is out of range" in text and "linear" in text and "lr" in text
    assert len(figures(at)) == 9


# ----- what a first session hit (issue 13), each through the widgets ----------------------------------
@pytest.mark.parametrize("schedule", ["cosine", "cyclic", "warmup_cosine"])
def test_schedules_with_optional_keys_can_be_chosen_in_the_playground(schedule):
    at = open_app()
    at.selectbox(key="pg_schedule").set_value(schedule).run()
    assert not at.exception, at.exception
    assert at.query_params["schedule"] == schedule and figures(at)


@pytest.mark.parametrize(
    ("expression", "start"),
    [("y*log(x)", None), ("sqrt(x)+y**2", None), ("x**2+y**2", (1e6, 1.0))],
)
def test_a_run_the_core_refuses_is_a_message_beside_the_last_picture_and_the_url_keeps_it(expression, start):
    at = open_app()
    at.selectbox(key="pg_surface").set_value("custom").run()
    good_url, good_figure = dict(at.query_params), figures(at)[0]
    at.text_input(key="pg_s_custom_expr").input(expression).run()
    if start is not None:
        at.number_input(key="pg_start_x").set_value(start[0]).run()
    assert not at.exception
    assert len(at.error) == 1 and (
        "undefined at the start point" in at.error[0].value or "outside" in at.error[0].value
    )
    if start is None:
        assert dict(at.query_params) == good_url and figures(at)[0] == good_figure
    at.text_input(key="pg_s_custom_expr").input("x**2 + 2*y**2").run()
    if start is not None:
        at.number_input(key="pg_start_x").set_value(1.0).run()
    assert not at.error and "2*y" in at.query_params["surface"]  # the next good input applies


def test_the_inspected_step_stays_at_the_end_when_the_steps_change():
    at = open_app()
    assert at.slider(key="pg_step").value == 500
    at.slider(key="pg_steps").set_value(510).run()
    assert at.slider(key="pg_step").value == 510 and "step" not in at.query_params
    at.slider(key="pg_step").set_value(200).run()
    at.slider(key="pg_steps").set_value(300).run()
    assert at.slider(key="pg_step").value == 200 and at.query_params["step"] == "200"


@pytest.mark.parametrize(
    ("low", "high", "count"), [(2.7e-6, 0.0027, 50), (0.0, 0.99, 80), (0.9, 0.9999, 80), (1e-10, 1e-2, 5)]
)
def test_sweep_cells_hold_short_round_values(low, high, count):
    """A click on a cell opens the Playground with the cell's value: it must be one a control shows as typed."""
    from optim_core.api import sweep_axis

    values = sweep_axis(low, high, count)
    assert values.size == count and np.unique(values).size == count
    assert values[0] == pytest.approx(low, rel=1e-3, abs=1e-12) and values[-1] == pytest.approx(high, rel=1e-3)
    assert max(len(f"{v:g}") for v in values) <= 8, [f"{v:g}" for v in values][:5]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({"steps": "15"}, "15 is not on the control's grid of 10 (nearest: 10 or 20)"),
        ({"x_from": "-1000000"}, "lr=-1000000 is out of range"),
        ({"x_from": "-5"}, "lr=-5 is out of range"),
        ({"x_from": "0.5", "x_to": "0.1"}, "must be below"),
    ],
)
def test_a_tampered_sweep_link_falls_back_with_a_warning_and_still_draws(query, fragment):
    at = open_app("pages/sweep.py", query=query)
    assert not at.exception and not at.error
    assert len(at.warning) == 1 and fragment in at.warning[0].value.replace("\\", "")
    assert len(figures(at)) == 4


def test_the_lessons_page_keeps_its_slider_in_the_url():
    at = open_app("pages/lessons.py")
    at.slider(key="lessons_percent").set_value(50).run()
    assert at.query_params["percent"] == "50"
    again = open_app("pages/lessons.py", query={"percent": "50"})
    link_warnings = [w.value for w in again.warning if "link" in w.value]  # (a verdict may be a warning too)
    assert again.slider(key="lessons_percent").value == 50 and not link_warnings
    tampered = open_app("pages/lessons.py", query={"percent": "33", "x": "1"})
    text = next(w.value for w in tampered.warning if "link" in w.value)
    assert "percent" in text and "unknown parameter" in text and tampered.slider(key="lessons_percent").value == 100


def test_a_session_keeps_no_run_of_its_own_once_the_cache_lets_it_go():
    """Streamlit keeps a closed session for two minutes, and with it the page script's globals
    (its callbacks refer to them): a run held there would outlive the cache's budget."""
    import gc
    import weakref

    from optim_core.api import Scenario
    from ui.cache import CACHE
    from ui.compute import run_scenario
    from ui.state import PlaygroundState

    at = open_app(query={"steps": "300"})
    assert not at.exception
    scenario_json = PlaygroundState(steps=300).scenario().validate().to_json()
    assert Scenario.from_json(scenario_json).steps == 300
    result = weakref.ref(run_scenario(scenario_json))  # the very object the page drew
    CACHE.clear()
    gc.collect()
    assert result() is None, [type(r).__name__ for r in gc.get_referrers(result())]
    assert charts(at)  # the session itself is still there


def test_the_3d_view_is_built_only_once_its_panel_is_opened():
    at = open_app()
    keys = [chart.key for chart in charts(at)]
    assert len(keys) == 5 and "pg_3d" not in keys
    at.session_state["pg_3d_open"] = True  # what a click on the panel's title sets
    at.run()
    assert not at.exception
    (surface,) = [chart.figure for chart in charts(at) if chart.key == "pg_3d"]
    assert {trace["type"] for trace in surface["data"]} >= {"surface", "scatter3d"}


def test_a_chart_is_the_pages_component_and_its_code_is_not_sent_with_it(monkeypatch):
    """Every Playground chart is drawn by ui.charts' component: what each mount sends is the
    figure, its config and a loader of a few hundred bytes, not the chart's code; a chart that
    reports a selection, or a Streamlit without its chart code file, gets plotly_chart."""
    at = open_app()
    components = [e for e in at.get("bidi_component") if e.proto.component_name == "optviz_chart"]
    assert len(components) == 5 and not at.get("plotly_chart")
    for element in components:
        assert "Plotly.react" not in element.proto.js_content and len(element.proto.js_content) < 700
        payload = json.loads(element.proto.bytes)
        assert set(payload) == {"digest", "chain", "config", "code", "figure"} and payload["figure"]["data"]
    sweep = open_app("pages/sweep.py")
    assert len(sweep.get("plotly_chart")) == 3  # the three maps report a click on a cell
    import ui.charts

    monkeypatch.setattr(ui.charts, "plotly_chunk", lambda: None)
    at = open_app()
    assert len(at.get("plotly_chart")) == 5


def test_a_charts_payload_holds_plotlys_figure_and_a_digest_of_it():
    import plotly.graph_objects as go

    from ui.charts import chart_payload, figure_json

    figure = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))
    payload = json.loads(chart_payload(figure, "a-name"))
    assert payload["figure"] == json.loads(figure_json(figure))
    assert payload["config"]["toImageButtonOptions"]["filename"] == "a-name"
    again = json.loads(chart_payload(go.Figure(go.Scatter(x=[1, 2], y=[3, 4])), "a-name"))
    other = json.loads(chart_payload(go.Figure(go.Scatter(x=[1, 2], y=[3, 5])), "a-name"))
    assert again["digest"] == payload["digest"] != other["digest"]
    chained = json.loads(chart_payload(figure, "a-name", chain=7))
    assert (chained["chain"], payload["chain"]) == (7, 0) and chained["digest"] == payload["digest"]


@pytest.mark.parametrize("page", [*PAGES, "pages/lessons.py", "pages/schedules.py", "pages/sweep.py"])
def test_every_figure_built_unchecked_is_the_one_plotly_checks(page, monkeypatch):
    """ui.figures builds its figures without plotly's checks (a quarter of a rerun's time): on
    every page, each figure is the same JSON as when plotly checks every property (which
    rejects a misspelt one)."""
    import ui.figures

    unchecked = {chart.key: chart.figure for chart in charts(open_app(page))}
    monkeypatch.setattr(ui.figures, "VALIDATE", True)
    checked = {chart.key: chart.figure for chart in charts(open_app(page))}
    assert unchecked and unchecked.keys() == checked.keys()
    for key, figure in unchecked.items():
        assert figure == checked[key], key


def shown_by_default(widget) -> tuple:
    """What the browser shows for ``widget`` when it mounts it with no value of its own: the
    element's default, decoded; and the widget's current value, in the same terms."""
    proto, value = widget.proto, widget.value
    kind = type(widget).__name__
    if kind in ("SelectSlider", "Selectbox", "Radio"):
        indices = [int(i) for i in proto.default] if kind == "SelectSlider" else [proto.default]
        return [widget.options[i] for i in indices], [str(widget.format_func(value))]
    if kind == "Multiselect":
        return [widget.options[i] for i in proto.default], [str(widget.format_func(v)) for v in value]
    if kind == "ButtonGroup":  # a segmented control
        chosen = [] if value is None else value if isinstance(value, list) else [value]
        return [widget.options[i].content for i in proto.default], [str(widget.format_func(v)) for v in chosen]
    if kind == "Slider":
        return list(proto.default), [value]
    if kind == "TextInput":
        return proto.default, value or ""
    return proto.default, value  # NumberInput, Checkbox, Toggle


KEYED_KINDS = (
    "SelectSlider",
    "Selectbox",
    "Radio",
    "Multiselect",
    "ButtonGroup",
    "Slider",
    "TextInput",
    "NumberInput",
    "Checkbox",
    "Toggle",
)


@pytest.mark.parametrize("page", [*PAGES, "pages/lessons.py", "pages/schedules.py", "pages/sweep.py"])
def test_every_keyed_control_carries_its_value_as_its_default(page):
    """Streamlit sends a control's value only in the run that set it through the session; a
    later run's element carries just its default. A browser that mounts the control from such
    an element (the second run's came before it had mounted the first's: the Playground's
    player reports the screen height right after the first run) shows that default and sends
    it back. So in a run that set nothing, every keyed control's default is its value (it was
    the control's minimum: the first session lost steps, start and a to 10, (0, 0), -1.5)."""
    at = open_app(page)
    at.run()  # a run that sets no value through the session
    checked = 0
    for widget in walk(at._tree):
        if type(widget).__name__ not in KEYED_KINDS or not getattr(widget, "key", None):
            continue
        default, value = shown_by_default(widget)
        assert default == value, f"{widget.key}: the browser would show {default!r} for {value!r}"
        checked += 1
    assert checked >= (36 if page == PAGES[0] else 2)  # the link's own controls: only while its panel is open


def test_the_steps_control_holds_a_links_value_off_its_grid():
    """A link's 733 steps (or 5, under the grid's first stop) is what the Steps slider shows and
    what runs; its arrows then move on the grid of 10 (checked in Chromium when it was made)."""
    for steps in (733, 5):
        at = open_app(query={"steps": str(steps)})
        control = at.slider(key="pg_steps")
        assert control.value == steps and control.proto.step == 10 and control.proto.default == [steps]
        assert not at.warning and figures(at)
    at.slider(key="pg_steps").set_value(740).run()
    assert at.query_params["steps"] == "740"


def test_the_warm_up_after_a_first_page_compiles_the_fused_loop_of_the_sweeps_first_map(monkeypatch):
    """The process a server starts after its first page (ui.warm.warm_everything) compiles, after
    every loop of the engine, the fused loop the Sweep page's first start-point map steps
    through: the same rule, surface and convention as the page asks for (0.96 s on a fresh
    install, measured, that the page's first view no longer waits)."""
    from optim_core import api, engine
    from ui import warm

    asked: list[tuple] = []
    real = engine.fused
    monkeypatch.setattr(engine, "fused", lambda *key: asked.append(key) or real(*key))
    monkeypatch.setattr(api, "warm_up", lambda: None)
    warm.warm_everything()
    warmed = set(asked)
    asked.clear()
    at = open_app("pages/sweep.py")
    assert not at.exception
    assert warmed and set(asked) == warmed, (warmed, set(asked))
