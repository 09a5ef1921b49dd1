"""The app through Streamlit's AppTest: every page renders, widgets change the figures' data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["pages/playground.py", "pages/reference.py"]


def open_app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if page and page != PAGES[0]:
        at.switch_page(page).run()
    return at


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


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
    at.select_slider(key="pg_o_rosenbrock_gd_lr").set_value(0.01).run()
    after = {t["name"]: t for t in figures(at)[0]["data"]}
    assert not at.exception
    assert json.dumps(before["gd"]["x"]) != json.dumps(
        after.get("gd", after.get("gd — diverged at step 1", {})).get("x")
    )
    assert json.dumps(before["adam"]["x"]) == json.dumps(after["adam"]["x"])


def test_playground_surface_choice_redraws_the_contour():
    at = open_app()
    before = figures(at)[0]["data"][0]
    at.selectbox(key="pg_surface").set_value("himmelblau").run()
    after = figures(at)[0]["data"][0]
    assert not at.exception
    assert json.dumps(before["z"])[:200] != json.dumps(after["z"])[:200]


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
