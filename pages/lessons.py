"""Lessons: each claim of the lectures on a preset, measured live, with a plain verdict."""

from __future__ import annotations

import urllib.parse
from dataclasses import replace

import streamlit as st

from optim_core.lessons import LESSONS, Lesson
from optim_core.optimizers import OPTIMIZERS
from optim_core.schedules import SCHEDULES
from optim_core.scrub import parse_target
from spec_strings import SpecError
from ui import charts, tutorial, urlstate
from ui.compute import run_lesson, scrub_view, surface_grid
from ui.controls import keyed
from ui.figures import comparison_loss_figure, contour_figure, distance_figure, effective_lr_figure, loss_figure
from ui.present import URL_FIELD, header, tutorial_page
from ui.routing import route_through_app
from ui.scrub import describe, scrub_bar
from ui.state import PlaygroundState, to_query

route_through_app()

URL_FIELDS = [urlstate.Field("percent", "lessons_percent", urlstate.integer(25, 200, 25), default=100), URL_FIELD]
st.session_state.setdefault("lessons_percent", 100)
ignored = urlstate.restore("lessons", URL_FIELDS, others=tutorial.LESSON_KEYS)  # a link may turn presentation on
# A lecturer's link: a title line, the sidebar hidden, one lesson alone (ui.tutorial).
link = {key: st.query_params.get_all(key) for key in tutorial.LESSON_KEYS if key in st.query_params}
tutor, tutor_ignored = tutorial.parse(link, lessons=tuple(lesson.key for lesson in LESSONS))
ignored += tutor_ignored + [f"hide: {h} is a control of the Playground's" for h in tutor.hide if h != "sidebar"]
tutor = replace(tutor, hide=tuple(h for h in tutor.hide if h == "sidebar"))
font_scale = header("Lessons")
tutorial_page(tutor)
st.markdown(
    "Each section states a claim of the lectures, runs it on a preset, and measures it live. The "
    "verdict comes from those numbers: where a claim does not hold, the page says so."
)
urlstate.warn_ignored(ignored)
percent = keyed(
    st.slider,
    "Steps, as % of each preset",
    25,
    200,
    step=25,
    key="lessons_percent",
    help="Shorter or longer runs than the presets: every number and verdict below is measured again.",
)
urlstate.store("lessons", URL_FIELDS, keep=tutor.query())


def playground_link(scenario) -> str:
    state = PlaygroundState.from_scenario(scenario)
    return "/?" + urllib.parse.urlencode(to_query(state), doseq=True)


VIEWS = {"effective_lr": "effective"}  # a lesson's view names -> the scrub's


def scrub(lesson: Lesson, scenario, result, keys: dict[str, str], compared: bool) -> dict:
    """A slider over the value the claim is about (its first scenario), moving the lesson's
    charts in the browser; returns the extents the charts hold. Nothing is sent on release:
    the presets stay as the lecture has them (the Playground link takes them further)."""
    scaled = replace(scenario, steps=max(10, round(scenario.steps * percent / 100)))
    target = parse_target(lesson.scrub, scaled)
    charts = {VIEWS.get(view, view): key for view, key in keys.items()}
    if compared:  # the first scenario's line on a comparison of several
        charts["loss"] = (keys["loss"], "c0:")
    labels = [run.label for run in result.runs]
    try:
        data, extent = scrub_view(
            scaled.to_json(), lesson.scrub, describe(target, labels), tuple(charts.items()), None, False
        )
    except SpecError as error:
        st.caption(f"No scrub: {urlstate.inert(str(error))}")
        return {}
    scrub_bar(data, f"lesson_{lesson.key}_scrub", font_scale=font_scale)
    st.caption("Drag to see the claim at other values; the verdict below is for the preset.")
    return extent


def show_lesson(lesson: Lesson, parent: Lesson | None = None) -> None:
    """A lesson, or (``parent`` given) its counter-case, which states its claim only if it is another one."""
    results, measurement = run_lesson(lesson.key, percent / 100)
    heading = st.subheader if parent is not None else st.header
    heading(lesson.title)
    if parent is None or lesson.claim != parent.claim:
        st.markdown(f"**Claim.** {lesson.claim}")
        st.markdown(lesson.explanation)
    if parent is None:
        formulas = st.columns(max(1, len(lesson.rules) + len(lesson.schedules)))
        for column, name in zip(formulas, lesson.rules, strict=False):
            column.caption(OPTIMIZERS[name].display_name)
            column.latex(OPTIMIZERS[name].rules["lecture"])
        for column, name in zip(formulas[len(lesson.rules) :], lesson.schedules, strict=False):
            column.caption(SCHEDULES[name].display_name)
            column.latex(SCHEDULES[name].latex)
    first_scenario = next(iter(lesson.scenarios.values()))
    first = next(iter(results.values()))
    names = [view for view in lesson.figures if view != "distance" or first.surface.minima]
    keys = {view: f"lesson_{lesson.key}_{index}" for index, view in enumerate(names)}
    single = {name: result for name, result in results.items() if len(result.runs) == 1}
    compared = "loss" in names and len(results) > 1
    extent = scrub(lesson, first_scenario, first, keys, compared) if lesson.scrub is not None else {}
    views = []  # (view, figure)
    for view in names:
        if view == "contour":
            grid = surface_grid(first_scenario.surface)
            views.append((view, contour_figure(first.surface, first, grid=grid, font_scale=font_scale, animate=False)))
        elif view == "effective_lr":
            views.append((view, effective_lr_figure(first, font_scale, extent.get("effective"))))
        elif view == "distance":
            views.append((view, distance_figure(first, font_scale, extent.get("distance"))))
        elif view == "loss":
            figure = (
                comparison_loss_figure(single, font_scale, extent) if compared
                else loss_figure(first, font_scale, extent.get("loss"))
            )  # fmt: skip
            views.append((view, figure))
    # Two columns: the contour (a square plot) on the left, the charts against step stacked on
    # the right; without a contour, two charts per row. Narrower columns left a contour ~100 px wide.
    left, right = st.columns(2)
    scene = f"{lesson.key} {first_scenario.surface.split(':')[0]}"
    stacked = bool(views) and views[0][0] == "contour"
    for index, (view, figure) in enumerate(views):
        column = (left if index == 0 else right) if stacked else (left, right)[index % 2]
        charts.show(figure, f"lesson_{lesson.key}_{index}", charts.export_name("lessons", view, scene), column)
    fraction, first_name = percent / 100, next(iter(results))
    charts.offer_race(
        charts.export_name("lessons", "race", scene), lambda: run_lesson(lesson.key, fraction)[0][first_name],
        f"{lesson.key} {fraction}",
    )  # fmt: skip
    verdict = st.success if measurement.held else st.warning
    verdict(("**Held here.** " if measurement.held else "**Did not hold here.** ") + measurement.summary)
    with st.expander("The measured numbers and the preset"):
        st.dataframe(
            [{"quantity": name, "value": value} for name, value in measurement.numbers.items()], hide_index=True
        )
        for name, scenario in lesson.scenarios.items():
            st.markdown(
                f"- {name}: `{scenario.surface}`, "
                + ", ".join(f"`{o}`" for o in scenario.optimizers)
                + f", {round(scenario.steps * percent / 100)} steps, schedule `{scenario.schedule}` — "
                f"[open in the Playground]({playground_link(scenario)})"
            )
    if lesson.counter is not None:
        show_lesson(lesson.counter, parent=lesson)


for lesson in LESSONS:
    if tutor.lesson in (None, lesson.key):
        show_lesson(lesson)
