"""Every control of every page, the way a user reaches it (AppTest).

The matrix is generated from the pages themselves: each page is opened, its controls are read
off the running page, and each is moved through its values (every option of a select box or
radio, a slider at its ends and one step inside each, a number box at its bounds, a toggle both
ways). Where picking an option brings new controls (a surface's parameters, a schedule's, an
optimizer's), those are moved too, under that option (a slider to its two ends). Controls of one family (the panels of
runs 0, 1, 2 ...) are moved once. After every move: no exception, and every chart holds data.

A seeded random walk then makes 200 actions across the pages, and after each one the page's
URL, opened in a fresh session, gives the same figures.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from chart_helpers import charts as page_charts
from page_test import PageTest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["pages/playground.py", "pages/lessons.py", "pages/schedules.py", "pages/sweep.py", "pages/reference.py"]
KINDS = ("selectbox", "radio", "slider", "select_slider", "number_input", "toggle", "checkbox")
# Keys that a move must not touch: free text (typed functions have their own tests), the
# label of a run, the upload.
SKIP = re.compile(r"^(pg_s_custom_expr|pg_run\d+_label|pg_upload)$")
# The typed function's domain boxes: any bound combination is legal on its own, a pair like
# xmin = xmax is refused with a message (checked here too: no exception).
CASES_RUN: list[str] = []


def open_page(page: str, query: dict | None = None) -> AppTest:
    at = PageTest.open(APP, 180)
    if page == PAGES[0]:
        for key, value in (query or {}).items():
            at.query_params[key] = value
        return at.run()
    at.run()
    at.query_params.clear()
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.switch_page(page).run()


def family(key: str) -> str:
    return re.sub(r"pg_run\d+_", "pg_runN_", key)


def controls(at: AppTest) -> dict[str, tuple[str, object]]:
    """key -> (kind, widget) of every control on the running page that a move may touch."""
    found = {}
    for kind in KINDS:
        for widget in at.get(kind):
            if widget.key and not SKIP.match(widget.key) and not widget.disabled:
                found.setdefault(widget.key, (kind, widget))
    return found


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text else value


def moves(kind: str, widget, ends_only: bool = False) -> list[tuple[str, Callable]]:
    """(description, apply) for each value a user can give this control (a slider at its ends
    only with ``ends_only``)."""
    if kind == "selectbox":
        return [(f"option {o!r}", lambda w, i=i: w.select_index(i)) for i, o in enumerate(widget.options)]
    if kind == "radio":
        return [(f"option {o!r}", lambda w, o=o: w.set_value(o)) for o in widget.options]
    if kind in ("toggle", "checkbox"):
        return [
            (f"{not widget.value}", lambda w: w.set_value(not w.value)),
            ("back", lambda w: w.set_value(not w.value)),
        ]
    if kind == "slider":
        low, high, step = widget.min, widget.max, widget.step
        values = list(dict.fromkeys([low, high] if ends_only else [low, low + step, high - step, high]))
        return [(f"{v}", lambda w, v=v: w.set_value(type(widget.value)(v))) for v in values if low <= v <= high]
    if kind == "select_slider":
        # By position, read when applied: a value from a link joins the options until it is left.
        picks = [0, 1, -2, -1][: len(widget.options)]
        return [(f"option #{i}", lambda w, i=i: w.set_value(_number(w.options[i]))) for i in picks]
    if kind == "number_input":
        values = [v for v in (widget.min, widget.max) if v is not None]
        if not values:  # an unbounded box (the start point): a far value, which the page refuses or runs
            values = [1e6, -1e6]
        return [(f"{v}", lambda w, v=v: w.set_value(v)) for v in values]
    raise AssertionError(kind)


def check(at: AppTest, where: str) -> None:
    assert not at.exception, f"{where}: {at.exception[0].value[:400]}"
    charts = [chart.figure for chart in page_charts(at)]
    assert charts, f"{where}: no chart"
    empty = [i for i, chart in enumerate(charts) if not chart.get("data")]
    assert not empty, f"{where}: charts {empty} hold no data"


def find(at: AppTest, key: str):
    for kind in KINDS:
        for widget in at.get(kind):
            if widget.key == key:
                return widget
    return None


def move_through(at: AppTest, key: str, kind: str, page: str, seen: set[str], depth: int) -> int:
    """Move one control through its values (and, for a choice, the controls each option brings)."""
    widget = find(at, key)
    if widget is None:
        return 0
    initial = widget.value
    count = 0
    # The controls an option brings (an optimizer's keys: 15 optimizers bring 41) go to their ends.
    for description, apply in moves(kind, widget, ends_only=depth == 0):
        widget = find(at, key)
        if widget is None:
            break
        before = set(controls(at))
        apply(widget)
        at.run()
        count += 1
        check(at, f"{page}: {key} -> {description}")
        if depth and kind in ("selectbox", "radio"):
            for new_key, (new_kind, _) in controls(at).items():
                if new_key not in before and family(f"{key}>{new_key}") not in seen:
                    seen.add(family(f"{key}>{new_key}"))
                    count += move_through(at, new_key, new_kind, f"{page} [{key} = {description}]", seen, 0)
    widget = find(at, key)
    if widget is not None and widget.value != initial and kind not in ("toggle", "checkbox"):
        try:
            widget.set_value(initial)  # back where the user found it, before the next control
            at.run()
            check(at, f"{page}: {key} back to {initial!r}")
        except (ValueError, IndexError):  # the initial value is no longer offered (its options moved)
            pass
    return count


@pytest.mark.parametrize("page", PAGES)
def test_every_control_of_the_page_through_every_value(page):
    at = open_page(page)
    check(at, f"{page}: opened")
    seen: set[str] = set()
    count = 0
    for key, (kind, _) in controls(at).items():
        if family(key) in seen:
            continue
        seen.add(family(key))
        count += move_through(at, key, kind, page, seen, depth=1)
    CASES_RUN.append(f"{page}: {count}")
    assert count >= {"pages/playground.py": 200, "pages/sweep.py": 40}.get(page, 3)


def digest(at: AppTest) -> str:
    return json.dumps([chart.figure["data"] for chart in page_charts(at)], sort_keys=True)


def test_a_random_walk_of_200_actions_never_breaks_and_every_url_reopens_the_same_figures():
    rng = random.Random(20261202)
    page = PAGES[0]
    at = open_page(page)
    for action in range(200):
        if rng.random() < 0.06:
            page = rng.choice(PAGES)
            at = open_page(page)
            check(at, f"action {action}: open {page}")
            continue
        options = list(controls(at).items())
        key, (kind, widget) = rng.choice(options)
        description, apply = rng.choice(moves(kind, widget))
        apply(widget)
        at.run()
        where = f"action {action}: {page} {key} -> {description}"
        check(at, where)
        if page == "pages/reference.py" or action % 3:
            continue  # the Reference keeps nothing of its own in the URL; every third URL is reopened
        query = {
            k: at.query_params[k] if len(at.query_params[k]) > 1 else at.query_params[k][0] for k in at.query_params
        }
        again = open_page(page, query)
        check(again, f"{where}: reopened")
        # Reopening never shows a message the user did not see (a refused change is not in the link).
        new_errors = {e.value for e in again.error} - {e.value for e in at.error}
        assert not new_errors, f"{where}: the URL {query} is a link to an error: {new_errors}"
        assert not again.warning or "ignored" not in again.warning[0].value, f"{where}: {again.warning[0].value}"
        if not at.error:  # after a refusal the page shows the last picture beside the message; the link, that state
            assert digest(again) == digest(at), f"{where}: the URL {query} gives other figures"
