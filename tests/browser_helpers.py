"""Helpers for the browser tests: read what Plotly drew, wait for it to change."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ARTIFACTS_DIR = Path(__file__).resolve().parent.parent / "test-artifacts"
ARTIFACTS_DIR.mkdir(exist_ok=True)

# A digest of a Plotly chart's data, read from the graph div Plotly attaches it to. Arrays
# may arrive as plain arrays, typed arrays or Plotly's base64 form ({dtype, bdata}); the surface of
# the contour chart is a layout image, whose data URI's tail is part of the digest.
DIGEST_JS = """el => {
  const summary = v => {
    if (v == null) return null;
    if (v.bdata !== undefined) return [v.dtype, v.bdata.length, v.bdata.slice(-48)];
    if (typeof v === 'object' && typeof v.length === 'number') {
      const a = Array.from(v);
      return [a.length, JSON.stringify(a.slice(-4))];
    }
    return String(v);
  };
  const pictures = ((el.layout || {}).images || []).map(i => String(i.source || '').slice(-48));
  return JSON.stringify([pictures, (el.data || []).map(t => [t.type, t.name, summary(t.x), summary(t.y), summary(t.z)])]);
}"""


def wait_for_app(page: Page, timeout: float = 60_000) -> None:
    """Wait until a chart holding data has been drawn and then no script runs: the Playground's
    first view draws its other views in a run the browser asks for once the contour is drawn.
    (The hidden chart that loads Plotly early, last on the page, holds no data.)"""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(
        "() => { const el = document.querySelector('.js-plotly-plot'); return el && el.data && el.data.length > 0; }",
        timeout=timeout,
    )
    wait_idle(page, timeout)


# While a script runs, Streamlit 1.67 shows this icon in the status widget (its only text is an
# aria-label) and marks the elements it has not redrawn yet as stale. test_browser checks on a
# slow page that the icon does appear, so a change of this markup fails loudly there. The icon
# shows about 0.4 s after a run starts, and before the first run there is none: the app's own
# marks (data-test-script-state, data-test-connection-state, which Streamlit keeps for its
# tests) say at once whether a run is going on and whether the page is connected at all. A CI
# run read a Lessons page as idle with none of its 21 charts drawn.
RUNNING_ICON = '[data-testid="stStatusWidgetRunningIcon"]'
IDLE_JS = f"""() => {{ const app = document.querySelector('[data-testid="stApp"]');
    return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
        && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && !document.querySelector('{RUNNING_ICON}') && !document.querySelector('[data-stale="true"]')
        && !document.querySelector('[data-optviz-pending]'); }}"""


def wait_idle(page: Page, timeout: float = 60_000, settle: int = 150) -> None:
    """Wait until no script runs and nothing on the page is stale, twice ``settle`` ms apart
    (a rerun that a widget queues starts a moment after the previous one ends)."""
    try:
        for _ in range(2):
            page.wait_for_function(IDLE_JS, timeout=timeout)
            page.wait_for_timeout(settle)
        page.wait_for_function(IDLE_JS, timeout=timeout)
    except PlaywrightTimeout:
        info = page.evaluate("""() => { const app = document.querySelector('[data-testid="stApp"]');
          return [app && app.getAttribute('data-test-script-state'), app && app.getAttribute('data-test-connection-state'),
            !!document.querySelector('[data-testid="stStatusWidgetRunningIcon"]'),
            Array.from(document.querySelectorAll('[data-stale="true"]')).map(e => (e.getAttribute('data-testid')||'') + ':' + (e.className||'').slice(0,80) + ':' + e.innerText.slice(0, 50)),
            Array.from(document.querySelectorAll('[data-optviz-pending]')).map(e => e.parentElement && e.parentElement.parentElement ? e.parentElement.parentElement.className.slice(0, 80) : '?')]; }""")
        page.screenshot(path=str(ARTIFACTS_DIR / "idle-timeout.png"), full_page=True)
        raise AssertionError(f"never idle: {info}") from None


def chart_digest(page: Page, index: int = 0) -> str:
    return page.locator(".js-plotly-plot").nth(index).evaluate(DIGEST_JS)


def wait_for_change(page: Page, before: str, index: int = 0, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            now = chart_digest(page, index)
        except Exception:  # the chart is being replaced
            now = before
        if now != before:
            return now
        time.sleep(0.2)
    raise AssertionError("the chart did not re-render with different data")


def assert_no_exception(page: Page) -> None:
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()


def slider(page: Page, label: str):
    """The focusable range input of the slider whose label is ``label``."""
    box = page.locator('[data-testid="stSlider"]').filter(has_text=label).first
    return box.locator('input[type="range"]').first


def nudge_slider(page: Page, label: str, key: str = "ArrowRight", presses: int = 3, tries: int = 10) -> str:
    """Move a slider with the keyboard and return its new value.

    Key presses that arrive while Streamlit is still replacing the widget are lost, so the
    presses are repeated until the slider reports a new value.
    """
    thumb = slider(page, label)
    before = thumb.get_attribute("value")
    for _ in range(tries):
        wait_idle(page)
        thumb.focus()
        for _ in range(presses):
            thumb.press(key)
        page.wait_for_timeout(300)
        value = thumb.get_attribute("value")
        if value != before:
            return value
    page.screenshot(path=str(ARTIFACTS_DIR / "slider-did-not-move.png"))
    raise AssertionError(f"the slider {label!r} did not move from {before}")


def open_list(box) -> None:
    """Open a select box's list of options. Streamlit 1.67 draws a react-aria combo box, whose
    list a click on its button did not open under Playwright; Arrow Down opens it, as for a
    keyboard user. A rerun that redraws the box meanwhile drops the key (seen once in CI on
    loaded cores): it is pressed again, up to three times."""
    field = box.locator('input[role="combobox"]')
    for attempt in range(3):
        field.focus()
        field.press("ArrowDown")
        try:
            box.page.locator('[role="option"]').first.wait_for(timeout=5_000 if attempt < 2 else 10_000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise
