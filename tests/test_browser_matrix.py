"""Controls as a person reaches them in Chromium: every schedule and every surface of the
Playground through its select box, and one other option of every select box on every page."""

from __future__ import annotations

import pytest
from browser_helpers import (
    ARTIFACTS_DIR,
    assert_no_exception,
    chart_digest,
    open_list,
    wait_for_app,
    wait_for_change,
    wait_idle,
)
from playwright.sync_api import Page

from optim_core.schedules import SCHEDULES
from surfaces import CATALOG
from ui.state import DEFAULT_SURFACE

pytestmark = pytest.mark.browser
PATHS = ["", "lessons", "schedules", "sweep", "reference"]


def choose(page: Page, label: str, option: str) -> None:
    """Open the select box labelled ``label`` and click ``option``, as a user does."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    open_list(box)
    page.locator('[role="option"]').filter(has_text=option).first.click()


def charts_hold_data(page: Page) -> None:
    """Every chart the user sees holds data (the hidden one that loads Plotly early has none)."""
    empty = page.evaluate(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".filter(el => el.checkVisibility() && !(el.data && el.data.length)).length"
    )
    assert page.locator(".js-plotly-plot").count() > 0 and empty == 0


@pytest.mark.parametrize(
    ("label", "options"),
    [
        ("Schedule of", [info.display_name for name, info in SCHEDULES.items() if name != "constant"]),
        ("Surface", [cls.info.display_name for name, cls in CATALOG.items() if name != DEFAULT_SURFACE]),
    ],
    ids=["every schedule", "every surface"],
)
def test_every_option_of_the_playgrounds_choices_through_the_select_box(page: Page, app_url, label, options):
    page.goto(app_url)
    wait_for_app(page)
    for option in options:
        before = chart_digest(page)
        choose(page, label, option)
        if label == "Surface" or option:
            wait_for_change(page, before, index=0 if label == "Surface" else 1)
        wait_idle(page)
        assert_no_exception(page)
        charts_hold_data(page)
    page.screenshot(path=str(ARTIFACTS_DIR / f"playground-every-{label.split()[0].lower()}.png"), full_page=True)


@pytest.mark.parametrize("path", PATHS, ids=[p or "playground" for p in PATHS])
def test_another_option_of_every_select_box_on_the_page(page: Page, app_url, path):
    page.goto(f"{app_url}/{path}")
    wait_for_app(page)
    boxes = page.locator('[data-testid="stSelectbox"]')
    for index in range(boxes.count()):
        box = page.locator('[data-testid="stSelectbox"]').nth(index)
        if not box.is_visible():
            continue
        current = box.locator('input[role="combobox"]').input_value()
        open_list(box)
        options = page.locator('[role="option"]')
        pick = next((i for i in range(options.count()) if options.nth(i).inner_text().strip() != current), None)
        if pick is None:
            page.keyboard.press("Escape")
            continue
        options.nth(pick).click()
        wait_idle(page)
        assert_no_exception(page)
        charts_hold_data(page)
    page.screenshot(path=str(ARTIFACTS_DIR / f"select-boxes-{path or 'playground'}.png"), full_page=True)
