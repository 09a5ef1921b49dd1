"""The Playground in headless Chromium: links, clicks, animation, downloads, tampered URLs."""

from __future__ import annotations

import base64
import io
import json
import statistics
import urllib.parse

import numpy as np
import pandas as pd
import pytest
from browser_helpers import (
    ARTIFACTS_DIR,
    DIGEST_JS,
    RUNNING_ICON,
    assert_no_exception,
    chart_digest,
    open_list,
    slider,
    wait_for_app,
    wait_for_change,
    wait_idle,
)
from playwright.sync_api import Page, expect

from optim_core.api import Scenario
from tools.screenshots import PHONE_AGENT
from ui.state import from_query

pytestmark = pytest.mark.browser

SHARED = {
    "surface": "valley:kappa=30.0",
    "opt": ["adam:lr=0.2,label=fast", "adam:lr=0.02,label=slow", "momentum:lr=0.01"],
    "start": "-8.0,6.0",
    "steps": "150",
}


def url_with(app_url: str, params: dict) -> str:
    return f"{app_url}/?{urllib.parse.urlencode(params, doseq=True)}"


def contour(page: Page) -> str:
    return chart_digest(page, 0)


def wait_for_url(page: Page, key: str, timeout: float = 20_000) -> dict[str, list[str]]:
    page.wait_for_function(f"() => new URL(location.href).searchParams.has('{key}')", timeout=timeout)
    return urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)


def test_a_shared_link_reproduces_the_same_figures_in_a_fresh_browser(page: Page, app_url, browser):
    page.goto(url_with(app_url, SHARED))
    wait_for_app(page)
    assert_no_exception(page)
    query = wait_for_url(page, "opt")
    assert query["opt"] == SHARED["opt"] and query["start"] == [SHARED["start"]]
    first = contour(page)
    fresh = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:
        other = fresh.new_page()
        other.goto(page.url)
        wait_for_app(other)
        assert contour(other) == first
        assert "fast" in first and "slow" in first
    finally:
        fresh.close()


def test_clicking_the_contour_sets_the_start_point(page: Page, app_url):
    page.goto(url_with(app_url, {"surface": "booth", "opt": "gd:lr=0.01", "steps": "50"}))
    wait_for_app(page)
    before = contour(page)
    plot = page.locator(".js-plotly-plot").first.locator(".nsewdrag").first
    box = plot.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.3)
    wait_for_change(page, before)
    wait_idle(page)
    query = wait_for_url(page, "start")
    x, y = (float(c) for c in query["start"][0].split(","))
    # the point clicked, on booth's [-10, 10]² box (not the nearest point of a grid: 0.5 units apart)
    assert x == pytest.approx(-5, abs=0.05) and y == pytest.approx(4, abs=0.05)
    assert float(page.get_by_label("x₀").input_value()) == pytest.approx(x, rel=1e-3)
    assert_no_exception(page)


def test_on_a_phone_the_contour_fills_its_figure_and_one_tap_sets_the_start(browser, app_url):
    """A phone (390 × 844, touch, a phone's User-Agent): one tap on the contour sets the start,
    where it was (it took two taps, and the hover had said "click")."""
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, user_agent=PHONE_AGENT
    )
    try:
        page = phone.new_page()
        page.goto(url_with(app_url, {"surface": "booth", "opt": "gd:lr=0.01", "steps": "50"}))
        wait_for_app(page)
        plot = page.locator(".js-plotly-plot").first.locator(".nsewdrag").first
        plot.scroll_into_view_if_needed()
        box = plot.bounding_box()
        figure = page.locator(".js-plotly-plot").first.bounding_box()
        assert box["width"] * box["height"] >= 0.3 * figure["width"] * figure["height"]  # the plot fills its figure
        # no tool bar over the legend: without hover, plotly shows it all the time on a phone
        assert (
            page.evaluate("() => [...document.querySelectorAll('.modebar-btn')].filter(b => b.offsetParent).length")
            == 0
        )
        page.touchscreen.tap(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.3)
        expect(page.locator(".hoverlayer").first).to_contain_text("tap: start here")
        query = wait_for_url(page, "start")
        x, y = (float(c) for c in query["start"][0].split(","))
        assert x == pytest.approx(-5, abs=0.1) and y == pytest.approx(4, abs=0.1)
        page.wait_for_function(  # the path now starts there
            """([x, y]) => { const t = document.querySelector('.js-plotly-plot')._fullData.find(d => d.meta === 'path0');
                return t && Math.abs(t.x[0] - x) < 1e-5 && Math.abs(t.y[0] - y) < 1e-5; }""",
            arg=[x, y],
            timeout=30_000,
        )
        wait_idle(page)
        page.screenshot(path=str(ARTIFACTS_DIR / "playground-phone-tapped.png"))
        assert_no_exception(page)
    finally:
        phone.close()


def test_the_play_button_moves_all_heads_together(page: Page, app_url):
    page.goto(url_with(app_url, {"surface": "booth", "steps": "200"}))
    wait_for_app(page)
    # Where the head markers are drawn: the heads are the last scatter trace of the contour.
    read_heads = """el => JSON.stringify(Array.from(Array.from(el.querySelectorAll('.scatterlayer .trace')).pop()
        .querySelectorAll('.point')).map(p => p.getAttribute('transform')))"""
    chart = page.locator(".js-plotly-plot").first
    filled = (
        "el => Array.from(el.querySelectorAll('.imagelayer image')).map(i => (i.getAttribute('href') || '').slice(-64))"
    )
    shapes = chart.evaluate(filled)
    assert len(shapes) == 1 and shapes[0]  # the filled surface, drawn as one picture
    at_end = chart.evaluate(read_heads)
    controls = page.locator(".st-key-pg_player")
    step = controls.locator("input[type=range]")
    assert step.input_value() == step.get_attribute("max")  # the last step, as the heads show
    step.focus()
    step.press("Home")  # the first step
    page.wait_for_timeout(500)
    at_start = chart.evaluate(read_heads)
    assert at_start != at_end and controls.get_by_text("step 0").count() == 1
    assert chart.evaluate(filled) == shapes  # moving the step keeps the surface drawn
    controls.get_by_text("▶ play").click()
    page.wait_for_timeout(1500)
    playing = chart.evaluate(read_heads)
    assert chart.evaluate(filled) == shapes  # and so does playing
    assert int(step.input_value()) > 0  # the step control follows the play
    # the chart itself holds no controls: its exported image is the chart alone
    assert chart.locator(".updatemenu-container, .slider-container").count() == 0

    assert playing != at_start  # the heads moved on from step 0
    assert len(set(json.loads(at_start))) == 1  # at step 0 every head is on the start point
    assert len(set(json.loads(at_end))) > 1  # at the end, one head per run
    assert_no_exception(page)


# Sets window.reran once the status widget shows a script running.
WATCH_FOR_A_RERUN = f"""() => {{
    window.reran = false;
    new MutationObserver(() => {{ if (document.querySelector('{RUNNING_ICON}')) window.reran = true; }})
        .observe(document.body, {{ subtree: true, childList: true, attributes: true }});
}}"""


def test_the_downloaded_csv_holds_the_numbers_of_the_core(page: Page, app_url):
    params = {"surface": "rosenbrock", "opt": ["adam:lr=0.05", "nag:lr=0.001"], "steps": "80"}
    page.goto(url_with(app_url, params))
    wait_for_app(page)
    page.evaluate(WATCH_FOR_A_RERUN)
    with page.expect_download() as download_info:
        page.get_by_text("Download the table (CSV)").click()
    table = pd.read_csv(io.StringIO(download_info.value.path().read_text()))
    with page.expect_download():
        page.get_by_text("Download the scenario (JSON)").click()
    page.wait_for_timeout(1500)
    assert page.evaluate("() => window.reran") is False  # a download reruns nothing
    state = from_query({key: value if isinstance(value, list) else [value] for key, value in params.items()}).state
    expected = state.scenario().run().to_frame()
    assert len(table) == len(expected) == 2 * 81
    np.testing.assert_array_equal(table[["x", "y", "loss"]].to_numpy(), expected[["x", "y", "loss"]].to_numpy())


def test_a_tampered_link_shows_defaults_with_a_warning_and_runs_no_markup(page: Page, app_url):
    tampered = {
        "surface": "<img src=x onerror=window.pwned=1>",
        "steps": "lots",
        "opt": ["adam:lr=0.05", "[link](javascript:alert(1))"],
        "evil": "<script>window.pwned=2</script>",
    }
    page.goto(url_with(app_url, tampered))
    wait_for_app(page)
    assert_no_exception(page)
    warning = page.locator('[data-testid="stAlertContentWarning"]').first
    text = warning.inner_text()
    assert "unknown surface" in text and "steps" in text and "unknown parameter" in text
    assert page.evaluate("() => window.pwned === undefined")
    assert page.locator('img[src="x"]').count() == 0
    assert warning.locator("a").count() == 0
    page.screenshot(path=str(ARTIFACTS_DIR / "playground-tampered-url.png"), full_page=True)


def test_uploading_a_scenario_restores_it_and_a_bad_file_changes_nothing(page: Page, app_url, tmp_path):
    page.goto(url_with(app_url, {"surface": "booth", "opt": "gd:lr=0.01", "steps": "60"}))
    wait_for_app(page)
    before = contour(page)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "optim-viz-scenario", "version": 1, "surface": "moon"}')
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    page.get_by_text("unknown surface moon").wait_for()
    wait_idle(page)
    assert contour(page) == before
    assert_no_exception(page)
    scenario = Scenario(surface="himmelblau", optimizers=["adam:lr=0.1,label=A", "nag:lr=0.002"], steps=90)
    good = tmp_path / "good.json"
    good.write_text(scenario.to_json())
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(good))
    wait_for_change(page, before)
    wait_idle(page)
    query = wait_for_url(page, "opt")
    assert query["surface"] == ["himmelblau"] and query["steps"] == ["90"]
    assert query["opt"] == ["adam:lr=0.1,label=A", "nag:lr=0.002"]
    assert_no_exception(page)


def test_clicking_a_sweep_cell_opens_that_configuration_in_the_playground(page: Page, app_url):
    page.goto(f"{app_url}/sweep")
    wait_for_app(page)
    assert_no_exception(page)
    heatmap = page.locator(".js-plotly-plot").first.locator(".nsewdrag").first
    box = heatmap.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.5)
    # The Sweep page's own URL already has opt=momentum, and Streamlit sets the new query string
    # a moment (up to ~2 s measured) before it changes the path: wait for the Playground's path.
    page.wait_for_url(lambda url: urllib.parse.urlparse(url).path in ("", "/"), timeout=30_000)
    expect(page.get_by_role("heading", name="Playground")).to_have_count(1, timeout=30_000)
    wait_for_app(page)
    assert_no_exception(page)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    spec = query["opt"][0]
    assert spec.startswith("momentum:lr=") and ",beta=" in spec
    names = page.locator(".js-plotly-plot").first.evaluate("el => el.data.map(t => t.name)")
    assert any(name and name.startswith("momentum") for name in names)
    page.screenshot(path=str(ARTIFACTS_DIR / "sweep-click-to-playground.png"))


def test_quick_key_presses_are_not_undone_by_a_stale_url(page: Page, app_url):
    """Reruns queued by fast key presses may carry an older URL; the Playground must not go back to it."""
    page.goto(url_with(app_url, {"surface": "booth", "opt": "gd:lr=0.01"}))
    wait_for_app(page)
    thumb = slider(page, "Steps")
    thumb.focus()
    for _ in range(8):
        thumb.press("ArrowRight")
    page.wait_for_timeout(500)
    wait_idle(page)
    page.wait_for_timeout(1500)
    wait_idle(page)
    box = page.locator('[data-testid="stSlider"]').filter(has_text="Steps").first
    assert box.locator('[data-testid="stSliderThumbValue"]').inner_text() == "580"
    page.wait_for_function("() => new URL(location.href).searchParams.get('steps') === '580'", timeout=20_000)
    assert_no_exception(page)


def test_a_run_panel_stays_open_when_its_rate_changes(page: Page, app_url):
    page.goto(url_with(app_url, {"surface": "booth", "opt": "gd:lr=0.01"}))
    wait_for_app(page)
    panel = page.locator('[data-testid="stExpander"]').filter(has_text="Gradient descent").first
    panel.locator("summary").click()
    rate = panel.locator('[data-testid="stSlider"]').first.locator('input[type="range"]').first
    expect(rate).to_be_visible()
    before = contour(page)
    rate.focus()
    rate.press("ArrowRight")
    wait_for_change(page, before)
    wait_idle(page)
    panel = page.locator('[data-testid="stExpander"]').filter(has_text="Gradient descent").first
    expect(panel.locator('[data-testid="stSlider"]').first).to_be_visible()  # still open, showing its sliders
    assert_no_exception(page)


def test_a_function_undefined_at_its_start_is_a_message_beside_the_last_picture(page: Page, app_url):
    page.goto(url_with(app_url, {"surface": "custom"}))
    wait_for_app(page)
    before = contour(page)
    box = page.locator('[data-testid="stTextInput"]').filter(has_text="expr").first.locator("input")
    box.fill("y*log(x)")
    box.press("Enter")
    expect(page.locator('[data-testid="stAlert"]').filter(has_text="undefined at the start point")).to_be_visible()
    wait_idle(page)
    assert_no_exception(page)
    assert contour(page) == before  # the last picture that worked stays
    assert "log" not in urllib.parse.unquote(page.url)  # the link keeps the last valid state


def test_a_closed_run_panel_draws_no_controls_and_keeps_its_values(page: Page, app_url, browser):
    """The sidebar's closed panels draw no controls (the browser renders every element again
    whenever a run begins or ends). Opened, a run's panel shows its controls; a rate changed
    there outlives the panel's closing: the next change (the steps) keeps it, in the picture
    and in the URL, and the panel shows it when opened again."""
    page.goto(url_with(app_url, {"surface": "booth", "opt": ["gd:lr=0.01", "adam:lr=0.1"]}))
    wait_for_app(page)
    wait_idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.locator('[data-testid="stSlider"]').count() == 1  # the steps alone
    panel = page.locator('[data-testid="stExpander"]').filter(has_text="Adam").first
    panel.locator("summary").click()
    rate = panel.locator('[data-testid="stSlider"]').first
    expect(rate).to_be_visible()
    assert sidebar.locator('[data-testid="stSlider"]').count() == 1 + 4  # η, β1, β2, ε
    before = contour(page)
    thumb = rate.locator('input[type="range"]')
    thumb.focus()
    thumb.press("ArrowRight")
    wait_for_change(page, before)
    page.wait_for_function("() => location.href.includes('adam%3Alr%3D0.15')", timeout=20_000)
    panel.locator("summary").click()
    expect(rate).to_be_hidden()
    wait_idle(page)
    expect(sidebar.locator('[data-testid="stSlider"]')).to_have_count(1)
    before = contour(page)
    steps = slider(page, "Steps")
    steps.focus()
    steps.press("ArrowRight")
    wait_for_change(page, before)
    query = wait_for_url(page, "steps")
    assert query["opt"] == ["gd:lr=0.01", "adam:lr=0.15"] and query["steps"] == ["510"], query
    wait_idle(page)
    fresh = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:  # the picture is the URL's: the rate of the closed panel is in both
        other = fresh.new_page()
        other.goto(page.url)
        wait_for_app(other)
        assert contour(other) == contour(page)
    finally:
        fresh.close()
    panel.locator("summary").click()
    expect(rate).to_contain_text("0.15")
    assert_no_exception(page)


def test_the_3d_view_is_drawn_when_its_panel_is_opened(page: Page, app_url):
    page.goto(url_with(app_url, {"surface": "booth", "steps": "50"}))
    wait_for_app(page)
    assert page.locator(".st-key-pg_3d .js-plotly-plot").count() == 0  # not built while closed
    page.locator(".st-key-pg_3d_open summary").click()
    page.locator(".st-key-pg_3d .js-plotly-plot").wait_for(timeout=30_000)
    wait_idle(page)
    assert page.locator(".st-key-pg_3d .js-plotly-plot").evaluate("el => el.data.map(t => t.type)")[0] == "surface"
    assert_no_exception(page)


def test_moving_the_inspected_step_reruns_only_its_section_and_the_url_follows(page: Page, app_url):
    """The "At one step" section is a fragment: its slider sends the step and gets back that
    section alone (a whole rerun sent about 60 kB, the unchanged charts by reference), and the step lands in the link."""
    received: list[int] = []
    page.on("websocket", lambda socket: socket.on("framereceived", lambda frame: received.append(len(frame))))
    page.goto(app_url)  # the default scene
    wait_for_app(page)
    contour_before = contour(page)
    arrows = page.locator(".st-key-pg_inspect .js-plotly-plot")
    arrows_before = arrows.evaluate(DIGEST_JS)
    thumb = slider(page, "Inspect step")
    received.clear()
    thumb.focus()
    thumb.press("ArrowLeft")  # to 499, which shows the same update as 500 (499 -> 500), then to 498
    wait_for_url(page, "step")
    wait_idle(page)
    thumb.press("ArrowLeft")
    page.wait_for_function("() => new URL(location.href).searchParams.get('step') === '498'", timeout=20_000)
    wait_idle(page)
    page.wait_for_timeout(500)
    assert sum(received) < 2 * 35_000, f"{sum(received)} bytes for two steps of the inspect slider"
    assert contour(page) == contour_before and arrows.evaluate(DIGEST_JS) != arrows_before
    page.reload()  # the link opens at that step
    wait_for_app(page)
    assert slider(page, "Inspect step").get_attribute("value") == "498"
    assert_no_exception(page)


def test_the_surface_picture_is_fetched_once_by_url_and_the_exported_png_holds_it(page: Page, app_url):
    """The surface's PNG goes to the browser as a media URL (a rerun sends the URL, not the
    picture again), and the chart's own export still draws it (plotly inlines what it loaded)."""
    import base64

    from PIL import Image

    page.goto(url_with(app_url, {"surface": "booth", "opt": "gd:lr=0.01", "steps": "50"}))
    wait_for_app(page)
    source = page.evaluate("() => document.querySelector('.js-plotly-plot').layout.images[0].source")
    assert source.startswith("/media/") and source.endswith(".png")
    with_picture, without = page.evaluate(
        """async () => { const gd = document.querySelector('.js-plotly-plot');
            const size = {format: 'png', width: gd._fullLayout.width, height: gd._fullLayout.height, scale: 1};
            const first = await Plotly.toImage(gd, size);
            await Plotly.relayout(gd, {images: []});
            return [first, await Plotly.toImage(gd, size)]; }"""
    )

    def grey(uri: str) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("L"), dtype=float)

    # the picture's 30 grey bands: the export without it is far whiter
    assert grey(without).mean() - grey(with_picture).mean() > 10


def test_a_chart_downloads_as_svg_pdf_and_png_at_slide_size(page: Page, app_url):
    """The export panel at the foot of the page: kaleido draws the file with Debian's chromium."""
    import re
    import xml.etree.ElementTree as ElementTree

    from PIL import Image

    page.goto(url_with(app_url, {"surface": "rosenbrock", "opt": ["adam:lr=0.05", "gd:lr=0.001"], "steps": "80"}))
    wait_for_app(page)
    page.get_by_text("Save a chart for slides").click()
    charts = page.locator(".st-key-export-chart")  # the race has controls of its own above
    button = charts.get_by_text("Download the SVG")
    button.wait_for()
    wait_idle(page)  # the panel's own run is over: the button clicked is the one that stays
    with page.expect_download(timeout=60_000) as download:
        button.click()
    assert download.value.suggested_filename == "playground-contour-rosenbrock-adam-gd.svg"
    svg = ElementTree.fromstring(download.value.path().read_text())
    assert (svg.get("width"), svg.get("height")) == ("1280", "720")
    text = download.value.path().read_text()
    assert "data:image/png;base64" in text  # the surface's picture, not the page's media URL
    assert "Adam" in text or "adam" in text  # the legend

    def download(fmt: str, label: str, size: str):
        charts.get_by_text(label, exact=True).click()
        charts.get_by_text(size).click()
        button = charts.get_by_text(f"Download the {fmt}")
        button.wait_for()
        wait_idle(page)
        with page.expect_download(timeout=60_000) as file:
            button.click()
        return file.value

    pdf = download("PDF", "PDF", "1920 × 1080").path().read_bytes()
    assert pdf.startswith(b"%PDF") and b"%%EOF" in pdf[-64:]
    box = [float(v) for v in re.search(rb"/MediaBox\s*\[([^\]]+)\]", pdf).group(1).split()]
    assert box[2] / box[3] == pytest.approx(1920 / 1080, rel=1e-3)  # the slide's shape

    picture = ARTIFACTS_DIR / "export-contour-1280x720.png"
    download("PNG", "PNG (3×)", "1280 × 720").save_as(picture)
    assert Image.open(picture).size == (3 * 1280, 3 * 720)
    assert_no_exception(page)


def open_race_panel(page: Page, frames: int) -> None:
    """Once the page is drawn: open the export panel and ask for ``frames`` frames."""
    wait_for_app(page)
    page.get_by_text("Save a chart for slides").click()
    box = page.get_by_label("Frames", exact=True)
    box.wait_for()
    box.fill(str(frames))
    box.press("Enter")
    wait_idle(page)


def test_the_race_downloads_as_a_gif_made_with_a_progress_bar(page: Page, app_url):
    from PIL import Image

    page.set_viewport_size({"width": 1280, "height": 720})  # a projector's laptop
    page.goto(url_with(app_url, {"surface": "booth", "opt": ["adam:lr=0.1", "gd:lr=0.01"], "steps": "120"}))
    open_race_panel(page, frames=12)
    page.evaluate("""() => { window.progressSeen = false;
        new MutationObserver(() => { if (document.querySelector('[data-testid="stProgress"]')) window.progressSeen = true; })
            .observe(document.body, { subtree: true, childList: true }); }""")
    # Both slide sizes show whole at 1280 px: the second was cut at its column's edge once
    sizes = page.locator(".st-key-race_size button")
    assert sizes.count() == 2
    column = page.locator('[data-testid="stColumn"]').filter(has=page.locator(".st-key-race_size")).last
    right_edge = column.bounding_box()["x"] + column.bounding_box()["width"]
    for k in range(2):
        box = sizes.nth(k).bounding_box()
        assert box["x"] + box["width"] <= right_edge + 0.5, f"size button {k} cut at the column's edge"
    page.get_by_text("Make the GIF").click()
    button = page.get_by_text("Download playground-race-booth-adam-gd.gif")
    button.wait_for(timeout=60_000)
    assert page.evaluate("() => window.progressSeen")
    with page.expect_download(timeout=60_000) as download:
        button.click()
    path = ARTIFACTS_DIR / "race-booth.gif"
    download.value.save_as(path)
    gif = Image.open(path)
    assert gif.n_frames == 12 and gif.size == (1280, 720)
    assert_no_exception(page)


def test_a_link_for_students_hides_what_it_says_and_shows_its_title_as_text(page: Page, app_url):
    title = "Week 3: <b>momentum</b> **now** [x](javascript:window.pwned=1)"
    page.goto(url_with(app_url, {"surface": "booth", "steps": "80", "title": title, "hide": "surface,schedule"}))
    wait_for_app(page)
    heading = page.get_by_text("Week 3:", exact=False).first
    assert heading.inner_text() == title  # every character as typed, nothing made markup
    assert heading.locator("b, a, strong").count() == 0
    assert not page.get_by_text("Surface", exact=True).first.is_visible()  # hidden, yet still applied
    assert not page.get_by_text("Schedule", exact=True).first.is_visible()
    assert page.get_by_text("Steps", exact=True).first.is_visible()
    assert page.locator('[data-testid="stSidebarNav"]').is_visible()

    # The lecturer's control builds the link: the sidebar hidden and the contour alone.
    page.goto(url_with(app_url, {"surface": "booth", "opt": ["adam:lr=0.1", "gd:lr=0.01"], "steps": "80"}))
    wait_for_app(page)
    page.get_by_text("Copy link for students").click()
    box = page.get_by_label("Title line (plain text)")
    box.fill("Contour only")
    box.press("Enter")
    wait_idle(page)
    hide = page.locator('[data-testid="stMultiSelect"]').filter(has=page.get_by_text("Hide", exact=True))
    open_list(hide)
    page.get_by_role("option", name="the whole sidebar").click()
    page.keyboard.press("Escape")
    wait_idle(page)
    view = page.locator('[data-testid="stSelectbox"]').filter(has=page.get_by_text("Show", exact=True))
    open_list(view)
    page.get_by_role("option", name="the contour alone").click()
    wait_idle(page)
    link = page.locator('[data-testid="stCode"]').inner_text().strip()
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
    assert query["title"] == ["Contour only"] and query["hide"] == ["sidebar"] and query["view"] == ["contour"]
    assert query["opt"] == ["adam:lr=0.1", "gd:lr=0.01"]  # the scene as it is

    page.goto(link)
    wait_for_app(page)
    assert page.get_by_text("Contour only", exact=True).is_visible()
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert page.locator('[data-testid="stSidebarNav"], [data-testid="stTopNavLink"]').count() == 0  # locked
    assert page.locator(".js-plotly-plot >> visible=true").count() == 1  # the contour alone
    assert page.evaluate("() => window.pwned === undefined")
    page.screenshot(path=str(ARTIFACTS_DIR / "playground-link-for-students.png"))
    assert_no_exception(page)


def test_a_link_locks_the_lessons_page_to_one_lesson(page: Page, app_url):
    query = urllib.parse.urlencode({"lesson": "adam-bias", "title": "Why bias correction", "hide": "sidebar,steps"})
    page.goto(f"{app_url}/lessons?{query}")
    wait_for_app(page)
    headers = page.locator('[data-testid="stHeading"] h2').all_inner_texts()
    assert len(headers) == 1 and "bias correction" in headers[0]
    assert page.get_by_text("Why bias correction", exact=True).is_visible()
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert page.locator('[data-testid="stSidebarNav"], [data-testid="stTopNavLink"]').count() == 0
    warning = page.locator('[data-testid="stAlertContentWarning"]').first.inner_text()
    assert "hide: steps is a control of the Playground's" in warning
    assert "lesson=adam-bias" in page.url and "title=" in page.url  # the link stays as it came
    assert_no_exception(page)


def test_a_lesson_downloads_its_race_as_a_gif(page: Page, app_url):
    from PIL import Image

    page.goto(f"{app_url}/lessons?lesson=nag")
    open_race_panel(page, frames=10)
    page.get_by_text("Make the GIF").click()
    button = page.get_by_text("Download lessons-race-nag", exact=False)
    button.wait_for(timeout=60_000)
    with page.expect_download(timeout=60_000) as download:
        button.click()
    gif = Image.open(download.value.path())
    assert gif.n_frames == 10 and gif.size == (1280, 720)
    assert_no_exception(page)


def test_a_rule_of_its_own_is_added_from_the_list_and_its_own_key_moves_its_path(page: Page, app_url):
    """Lion (optim_core/rules) as a user reaches it: picked in "Add", added, its weight decay moved."""
    page.goto(url_with(app_url, {"surface": "rosenbrock", "opt": "adam:lr=0.05", "steps": "200"}))
    wait_for_app(page)
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Add").first
    open_list(box)
    page.locator('[role="option"]').filter(has_text="Lion").first.click()
    wait_idle(page)
    before = contour(page)
    page.get_by_role("button", name="Add run").click()
    wait_for_change(page, before)
    wait_idle(page)
    names = page.locator(".js-plotly-plot").first.evaluate("el => el.data.map(t => t.name)")
    assert "lion" in names
    panel = page.locator('[data-testid="stExpander"]').filter(has_text="Lion").first
    panel.locator("summary").click()
    decay = panel.locator('[data-testid="stSlider"]').filter(has_text="decoupled weight decay").first
    thumb = decay.locator('input[type="range"]').first
    expect(thumb).to_be_visible()
    before = contour(page)
    thumb.focus()
    thumb.press("ArrowRight")
    wait_for_change(page, before)
    query = wait_for_url(page, "opt")
    lion = next(spec for spec in query["opt"] if spec.startswith("lion:"))
    assert "weight_decay=" in lion, lion
    wait_idle(page)
    assert_no_exception(page)
    page.screenshot(path=str(ARTIFACTS_DIR / "playground-lion-added.png"), full_page=True)


MARK_JS = """() => { const gd = document.querySelector('.st-key-pg_contour .js-plotly-plot');
  gd.optvizMark = 1; gd.querySelector('.main-svg').optvizMark = 1;
  if (!window.optvizCalls) {
    window.optvizCalls = [];
    for (const name of ['newPlot', 'react']) {
      const call = window.Plotly[name];
      window.Plotly[name] = function (...args) { window.optvizCalls.push(name); return call.apply(this, args); };
    }
  } }"""
KEPT_JS = """() => { const gd = document.querySelector('.st-key-pg_contour .js-plotly-plot');
  return [gd.optvizMark === 1, gd.querySelector('.main-svg').optvizMark === 1, window.optvizCalls]; }"""


def test_a_changed_chart_is_redrawn_in_place_and_the_charts_code_is_fetched_once(page: Page, app_url):
    """A Steps keypress changes the contour's data: the chart keeps its div and its SVG and takes
    the new figure with Plotly.react (Streamlit's plotly_chart drops the element and draws a new
    one), and the component's code, a module on the media server, is fetched once per page."""
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url) if "/media/" in request.url else None)
    page.goto(url_with(app_url, {"surface": "booth", "opt": ["gd:lr=0.01", "adam:lr=0.1"]}))
    wait_for_app(page)
    page.evaluate(MARK_JS)
    thumb = slider(page, "Steps")
    for _ in range(2):
        before = contour(page)
        thumb.focus()
        thumb.press("ArrowRight")
        wait_for_change(page, before)
        wait_idle(page)
    div, svg, calls = page.evaluate(KEPT_JS)
    assert div and svg, "the chart was drawn anew instead of updated"
    assert "react" in calls and "newPlot" not in calls
    modules = [url for url in fetched if not url.endswith(".png")]
    assert modules and len(modules) == len(set(modules)), modules  # each component's module once
    assert_no_exception(page)


def _forward(frame):
    """A websocket frame the server sent, decoded: Streamlit's ForwardMsg."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    message = ForwardMsg()
    message.ParseFromString(frame if isinstance(frame, bytes) else frame.encode())
    return message


def _sent_order(frames: list) -> list[str]:
    """What the server sent, in order: the contour, the page's title, and each element of the sidebar."""
    order = []
    for frame in frames:
        message = _forward(frame)
        if message.WhichOneof("type") != "delta" or message.delta.WhichOneof("type") != "new_element":
            continue
        element = message.delta.new_element
        kind = element.WhichOneof("type")
        if kind == "bidi_component" and element.bidi_component.id.endswith("pg_contour"):
            order.append("contour")
        elif kind == "heading" and element.heading.body == "Playground":
            order.append("title")
        elif message.metadata.delta_path[0] == 1:  # the sidebar
            order.append("sidebar")
    return order


def test_a_keypress_reruns_the_views_alone_and_a_full_rerun_sends_the_contour_first(page: Page, app_url):
    """A Steps keypress reruns the views' fragment alone: the contour is sent, the page's title
    and the sidebar's controls are not (the browser keeps them). A change that reruns the whole
    page (the convention, which changes the runs' controls) sends the contour before the title
    and before any control of the sidebar: what a run sends first, the browser renders first.
    (AdaGrad's ε moves under the square root's sign with the convention: its path changes.)"""
    received: list = []
    page.on("websocket", lambda socket: socket.on("framereceived", lambda frame: received.append(frame)))
    page.goto(url_with(app_url, {"surface": "booth", "opt": ["gd:lr=0.01", "adagrad:lr=0.5"]}))
    wait_for_app(page)
    received.clear()
    before = contour(page)
    thumb = slider(page, "Steps")
    thumb.focus()
    thumb.press("ArrowRight")
    before = wait_for_change(page, before)
    wait_idle(page)
    assert _sent_order(received) == ["contour"], _sent_order(received)
    assert "steps=510" in page.url
    received.clear()
    page.locator('[data-testid="stRadio"]').filter(has_text="Convention").get_by_text("pytorch").click()
    wait_for_change(page, before)
    wait_idle(page)
    order = _sent_order(received)
    assert {"contour", "title", "sidebar"} <= set(order), order
    assert order.index("contour") < order.index("title") and order.index("contour") < order.index("sidebar"), order
    assert "conv=pytorch" in page.url
    assert_no_exception(page)


def _traffic(page: Page) -> list:
    """The page's websocket frames from now on, in order: ("received" or "sent", frame)."""
    events: list = []
    page.on(
        "websocket",
        lambda socket: (
            socket.on("framereceived", lambda frame: events.append(("received", frame))),
            socket.on("framesent", lambda frame: events.append(("sent", frame))),
        ),
    )
    return events


def _runs(events: list) -> list[dict]:
    """The websocket's traffic in order, cut into the server's runs: each run's charts (by key)
    and whether the browser sent anything between it and the run before it."""
    runs, sent = [], False
    for direction, frame in events:
        if direction == "sent":
            sent = True
            continue
        message = _forward(frame)
        kind = message.WhichOneof("type")
        if kind == "new_session" and (not runs or runs[-1]["charts"]):
            runs.append({"charts": [], "after_browser": sent})
            sent = False
        elif kind == "new_session":  # the run before ended as it began (a callback asked for another)
            runs[-1]["after_browser"] |= sent
            sent = False
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element" and runs:
            element = message.delta.new_element
            if (
                element.WhichOneof("type") == "bidi_component"
                and element.bidi_component.component_name == "optviz_chart"
                and "pg_" in element.bidi_component.id  # not the one that loads the code early
            ):
                runs[-1]["charts"].append(element.bidi_component.id.rsplit("pg_", 1)[-1])
    return [run for run in runs if run["charts"]]


def test_a_keypress_draws_the_contour_in_a_run_of_its_own_and_the_other_views_follow_it(page: Page, app_url):
    """A control that changes numbers (here the steps) reruns the contour's fragment alone: that
    run sends the contour and no other chart. Once the browser has drawn it, the browser asks
    for the other views, and a second run sends them: the loss, the distance and the effective
    rate change, and the inspected step's slider reaches the new last step (it did not when the
    views' nested fragment sat in a container of the page's)."""
    events = _traffic(page)
    page.goto(url_with(app_url, {"surface": "booth", "opt": ["gd:lr=0.01", "adam:lr=0.1"]}))
    wait_for_app(page)
    charts = page.locator(".js-plotly-plot")
    before = [charts.nth(k).evaluate(DIGEST_JS) for k in range(4)]
    events.clear()
    thumb = slider(page, "Steps")
    thumb.focus()
    thumb.press("ArrowRight")
    wait_for_change(page, before[0])
    wait_idle(page)
    for k in (1, 2, 3):
        wait_for_change(page, before[k], index=k)
    runs = _runs(events)
    assert [run["charts"] for run in runs[:2]] == [["contour"], ["loss", "distance", "eff", "inspect"]], runs
    assert runs[1]["after_browser"], "the other views ran before the browser had drawn the contour"
    inspect = slider(page, "Inspect step")
    expect(inspect).to_have_attribute("max", "510")
    expect(inspect).to_have_attribute("value", "510")
    assert "steps=510" in page.url
    assert_no_exception(page)


def test_a_keypress_sends_the_contour_ahead_of_the_url_and_the_runs_end(page: Page, app_url):
    """In the contour's run of its own, what follows the contour (the URL's change, the run's
    end, which has the browser render the whole page again) comes well after it, so the
    browser draws the contour first (ui.charts.draw_first: 60 ms, less the time the server's
    event loop took to send the contour); sent together, they came within 2 ms. Times are the
    network's (Chromium's DevTools protocol), not the busy page's. The median of four presses:
    with a core kept busy, one press in ten or so saw the contour sent 40 ms late."""
    frames: list = []
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.on(
        "Network.webSocketFrameReceived",
        lambda event: frames.append((event["timestamp"], base64.b64decode(event["response"]["payloadData"]))),
    )
    page.goto(url_with(app_url, {"surface": "booth", "opt": ["gd:lr=0.01", "adam:lr=0.1"]}))
    wait_for_app(page)
    wait_idle(page)
    gaps: dict[str, list[float]] = {"page_info_changed": [], "script_finished": []}
    for _ in range(4):
        frames.clear()
        before = contour(page)
        thumb = slider(page, "Steps")
        thumb.focus()
        thumb.press("ArrowRight")
        wait_for_change(page, before)
        wait_idle(page)
        sent: dict[str, float] = {}
        for at, frame in frames:
            message = _forward(frame)
            kind = message.WhichOneof("type")
            if kind == "delta" and message.delta.new_element.bidi_component.id.endswith("pg_contour"):
                sent.setdefault("contour", at)
            elif "contour" in sent and kind in gaps:
                sent.setdefault(kind, at)
        assert set(sent) == {"contour", *gaps}, sent
        for kind, found in gaps.items():
            found.append(sent[kind] - sent["contour"])
    for kind, found in gaps.items():
        assert statistics.median(found) >= 0.025, (kind, found)
    assert "steps=540" in page.url  # 500, and four presses of 10
    assert_no_exception(page)


def _first_elements(events: list) -> list[str]:
    """The kinds of the elements the first run that sends any sends, in order (a chart
    component by its key; a run that a callback's rerun ended at once sends none)."""
    kinds: list[str] = []
    for direction, frame in events:
        if direction == "sent":
            continue
        message = _forward(frame)
        if message.WhichOneof("type") == "new_session" and kinds:
            break
        if message.WhichOneof("type") == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            kind = element.WhichOneof("type")
            kinds.append(element.bidi_component.id.rsplit("pg_", 1)[-1] if kind == "bidi_component" else kind)
    return kinds


def test_a_first_view_loads_plotly_first_and_draws_the_contour_before_the_other_views(page: Page, app_url):
    """A session's first run sends a hidden chart of Streamlit's before anything else (the
    browser starts loading Plotly while the server runs the page), then our chart component in
    a mode that draws nothing (its code loads beside Plotly), and the contour as the only chart;
    the other views come in a run the browser asks for once it has drawn the contour. Nothing
    of the hidden chart shows, and a rerun of the page does not send it again."""
    events = _traffic(page)
    page.goto(url_with(app_url, {"surface": "booth", "opt": ["gd:lr=0.01", "adam:lr=0.1"]}))
    wait_for_app(page)
    wait_idle(page)
    first = _first_elements(events)
    assert first[0] == "plotly_chart" and first.count("plotly_chart") == 1, first
    assert first[1].endswith("optviz-preload-chart"), first  # our chart's code, loaded beside Plotly
    runs = _runs(events)
    assert [run["charts"] for run in runs[:2]] == [["contour"], ["loss", "distance", "eff", "inspect"]], runs
    assert runs[1]["after_browser"], "the other views ran before the browser had drawn the contour"
    assert page.locator(".js-plotly-plot >> visible=true").count() == 4 + 1  # and the step's chart
    assert not page.locator(".st-key-optviz-preload").is_visible()
    events.clear()
    page.locator('[data-testid="stRadio"]').filter(has_text="Convention").get_by_text("pytorch").click()
    wait_for_url(page, "conv")
    wait_idle(page)
    kinds = _first_elements(events)
    # One run, the other views with the contour (unchanged charts go as references to the browser's copies).
    assert "plotly_chart" not in kinds and {"contour", "player"} <= set(kinds), kinds
    assert_no_exception(page)


def test_a_schedule_parameter_redraws_the_sidebars_preview_in_place(page: Page, app_url):
    """The η_t preview sits in the sidebar but is drawn by the views' fragment: a key press on a
    schedule's parameter reruns the fragment alone, which draws the preview again in its place
    (one chart, new numbers), the paths and the URL with it."""
    page.goto(url_with(app_url, {"surface": "booth", "opt": "gd:lr=0.01", "schedule": "step:gamma=0.5"}))
    wait_for_app(page)
    preview = """() => Array.from(document.querySelectorAll('[data-testid=stSidebar] .js-plotly-plot'))
        .map((gd) => JSON.stringify(gd.data[0].y))"""
    before, paths = page.evaluate(preview), contour(page)
    assert len(before) == 1
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text="gamma").first.locator("input")
    thumb.focus()
    thumb.press("ArrowLeft")
    wait_for_change(page, paths)
    wait_idle(page)
    after = page.evaluate(preview)
    assert len(after) == 1 and after != before
    assert wait_for_url(page, "schedule")["schedule"] == ["step:gamma=0.49"]
    assert_no_exception(page)


def test_a_chart_offers_the_buttons_streamlits_chart_had_and_fills_the_screen(page: Page, app_url):
    """The chart component's tool bar: no selection tools, and a button that fills the screen
    with the chart, drawn at the screen's height, and gives it back at its own size."""
    page.goto(url_with(app_url, {"surface": "booth", "opt": "gd:lr=0.01"}))
    wait_for_app(page)
    chart = page.locator(".st-key-pg_contour .js-plotly-plot")
    chart.hover()
    titles = chart.evaluate("el => [...el.querySelectorAll('.modebar-btn')].map(b => b.getAttribute('data-title'))")
    assert "Box Select" not in titles and "Lasso Select" not in titles and "Download plot as a PNG" in titles
    height = chart.evaluate("el => el._fullLayout.height")
    chart.locator('.modebar-btn[data-title^="Fill the screen"]').click()
    page.wait_for_function(
        "() => document.fullscreenElement && document.fullscreenElement.matches('.st-key-pg_contour .optviz-chart')"
    )
    page.wait_for_function("() => document.fullscreenElement._fullLayout.height === window.innerHeight")
    page.evaluate("() => document.exitFullscreen()")
    page.wait_for_function(
        f"() => !document.fullscreenElement && document.querySelector('.st-key-pg_contour .js-plotly-plot')._fullLayout.height === {height}"
    )
    assert_no_exception(page)
