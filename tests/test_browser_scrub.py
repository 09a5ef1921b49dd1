"""The scrub in headless Chromium: a mouse drag moves the charts with no message to the server,
with the core's numbers; the release writes the value into the control and the link."""

from __future__ import annotations

import urllib.parse

import numpy as np
import pytest
from browser_helpers import ARTIFACTS_DIR, assert_no_exception, chart_digest, wait_for_app, wait_idle
from playwright.sync_api import Page, expect

from optim_core.scrub import Target, compute_bank
from ui.state import PlaygroundState

pytestmark = pytest.mark.browser

# What the contour and the loss chart hold for the first run, by the name the scrub moves them by.
TRACE_JS = """([key, meta]) => {
  const gd = document.querySelector('.st-key-' + key + ' .js-plotly-plot');
  const trace = gd && gd._fullData.find(t => t.meta === meta);
  return trace ? [Array.from(trace.x || []), Array.from(trace.y || [])] : null;
}"""
BAR = ".scrub input[type=range]"


def trace(page: Page, key: str, meta: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = page.evaluate(TRACE_JS, [key, meta])
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def test_a_mouse_drag_moves_the_paths_with_no_message_and_the_release_sets_the_value(page: Page, app_url, browser):
    sent: list = []
    page.on("websocket", lambda socket: socket.on("framesent", lambda payload: sent.append(payload)))
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/?scrub=opt1.lr")
    wait_for_app(page)
    bar = page.locator(BAR)
    bar.wait_for()
    assert_no_exception(page)
    bank = compute_bank(PlaygroundState().scenario(), Target("opt", "lr", 0))
    assert int(bar.get_attribute("max")) == bank.values.size - 1
    assert int(bar.input_value()) == bank.current
    path_before, loss_before = trace(page, "pg_contour", "path0"), trace(page, "pg_loss", "loss0")
    eff_before = trace(page, "pg_eff", "eff0x")

    box = bar.bounding_box()
    middle = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * bank.current / (bank.values.size - 1), middle)
    page.mouse.down()
    quiet = len(sent)
    page.mouse.move(box["x"] + box["width"] * 0.15, middle, steps=12)  # towards smaller η
    page.wait_for_timeout(400)
    index = int(bar.input_value())
    assert index < bank.current
    path, loss, eff = (
        trace(page, "pg_contour", "path0"),
        trace(page, "pg_loss", "loss0"),
        trace(page, "pg_eff", "eff0x"),
    )
    page.screenshot(path=str(ARTIFACTS_DIR / "scrub-dragging-1280.png"))
    assert len(sent) == quiet, "the browser sent a message while the slider was dragged"
    # every chart moved, to the core's numbers for the bank's value under the thumb
    member, row = bank.member(index, 0)
    n = int(member.valid_rows[row])
    assert not np.array_equal(path[0], path_before[0])
    assert np.array_equal(path[0], member.positions[row, :n, 0].astype(np.float32))
    assert np.array_equal(path[1], member.positions[row, :n, 1].astype(np.float32))
    assert not np.array_equal(loss[1], loss_before[1])
    assert np.allclose(loss[1], member.loss[row, :n], rtol=1e-6)
    assert not np.array_equal(eff[1], eff_before[1])
    assert np.allclose(eff[1], member.effective_lr[row, : n - 1, 0], rtol=1e-6)
    readout = page.locator(".scrub .readout").inner_text()
    assert readout.startswith(f"{bank.values[index]:.4g}")

    page.mouse.up()
    page.wait_for_function(
        "v => new URL(location.href).searchParams.getAll('opt')[0] === 'gd:lr=' + v",
        arg=repr(float(bank.values[index])),
        timeout=30_000,
    )
    wait_idle(page)
    assert_no_exception(page)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert query["scrub"] == ["opt1.lr"]
    drawn = trace(page, "pg_contour", "path0")  # now drawn by the server, at the released value
    # with the points its drawing needs (ui.drawn), each a point of the member's path
    assert drawn[0][0] == path[0][0] and drawn[0][-1] == path[0][-1] and set(drawn[0]) <= set(path[0])
    page.locator(".st-key-pg_run0_panel summary").click()  # open the run's panel
    expect(page.locator(".st-key-pg_run0_lr")).to_contain_text(f"{bank.values[index]:g}")  # the control holds it
    first = chart_digest(page, 0)
    fresh = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        other = fresh.new_page()
        other.goto(page.url)
        wait_for_app(other)
        other.locator(BAR).wait_for()
        assert chart_digest(other, 0) == first
        assert other.locator(".scrub .readout").inner_text().startswith(f"{bank.values[index]:.4g}")
    finally:
        fresh.close()


def test_a_drag_into_divergence_marks_the_run_and_presentation_keeps_the_bar(page: Page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/?surface=rosenbrock&scrub=opt1.lr&present=1")  # gd diverges within its bank there
    wait_for_app(page)
    bar = page.locator(BAR)
    bar.wait_for()
    box = bar.bounding_box()
    assert box["y"] + box["height"] < 720 / 2  # above the charts, on the first screen
    bar.focus()
    for _ in range(20):
        bar.press("ArrowRight")  # keys move it too (each press is a release)
    page.wait_for_timeout(300)
    readout = page.locator(".scrub .readout")
    assert "gd diverged at step" in readout.inner_text()
    crosses = trace(page, "pg_contour", "diverged")
    assert crosses[0].size == 1
    page.screenshot(path=str(ARTIFACTS_DIR / "scrub-diverged-1280-present.png"))
    wait_idle(page)
    assert_no_exception(page)


def drag(page: Page, bar, fraction: float) -> None:
    """Press on the thumb, move to ``fraction`` of the rail and stay pressed."""
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    middle = box["y"] + box["height"] / 2
    value, top = int(bar.input_value()), int(bar.get_attribute("max"))
    page.mouse.move(box["x"] + box["width"] * value / top, middle)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * fraction, middle, steps=8)
    page.wait_for_timeout(400)


def test_a_lessons_scrub_moves_its_charts_and_never_sends(page: Page, app_url):
    from optim_core.lessons import ADAGRAD

    sent: list = []
    page.on("websocket", lambda socket: socket.on("framesent", lambda payload: sent.append(payload)))
    page.goto(f"{app_url}/lessons")
    wait_for_app(page)
    bar = page.locator(BAR).first
    bar.wait_for()
    bank = compute_bank(ADAGRAD.scenarios["runs"], Target("opt", "lr", 0))
    quiet = len(sent)
    drag(page, bar, 0.9)
    page.mouse.up()
    page.wait_for_timeout(500)
    assert len(sent) == quiet  # the presets stay: dragging and letting go send nothing
    index = int(bar.input_value())
    member, row = bank.member(index, 0)
    n = int(member.valid_rows[row])
    path = trace(page, "lesson_adagrad_0", "path0")
    assert np.array_equal(path[0], member.positions[row, :n, 0].astype(np.float32))
    eff = trace(page, "lesson_adagrad_1", "eff0x")
    assert np.allclose(eff[1], member.effective_lr[row, : n - 1, 0], rtol=1e-6)
    assert_no_exception(page)


def test_a_schedules_scrub_moves_the_scheduled_path_and_its_rate_and_release_sets_it(page: Page, app_url):
    page.goto(f"{app_url}/schedules?scrub=eta_min")
    wait_for_app(page)
    bar = page.locator(BAR)
    bar.wait_for()
    constant = trace(page, "sch_contour", "path0")
    before = trace(page, "sch_contour", "s:path0"), trace(page, "sch_loss", "c0:rate0")
    drag(page, bar, 0.95)
    moved = trace(page, "sch_contour", "s:path0"), trace(page, "sch_loss", "c0:rate0")
    assert not np.array_equal(moved[0][0], before[0][0]) and not np.array_equal(moved[1][1], before[1][1])
    assert np.array_equal(trace(page, "sch_contour", "path0")[0], constant[0])  # the constant-rate run stays
    label = page.locator(".scrub .readout").inner_text().split(" ")[0]
    page.mouse.up()
    page.wait_for_function(
        "v => new URL(location.href).searchParams.get('cosine.eta_min') === v", arg=label, timeout=30_000
    )
    wait_idle(page)
    assert_no_exception(page)
