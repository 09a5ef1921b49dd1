"""What a projector shows: each page in headless Chromium at a desktop's and a projector's size,
normal and presentation mode (switched with the page's own toggle), measured on the drawn SVG."""

from __future__ import annotations

import pytest
from browser_helpers import ARTIFACTS_DIR, assert_no_exception, wait_for_app, wait_idle
from playwright.sync_api import Page

from tools.screenshots import MEASURE_JS
from ui.style import contrast

pytestmark = pytest.mark.browser

# url path -> the smallest share of its figure the first chart's plot area takes in normal mode
PAGES = {"": 0.33, "lessons": 0.25, "schedules": 0.45, "sweep": 0.25, "reference": 0.3}


def rgb_hex(css: str) -> str:
    """'rgb(31, 35, 40)' or '#1F2328' -> '#1F2328'."""
    if css.startswith("#"):
        return css.upper()
    values = [int(float(v)) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
    return "#" + "".join(f"{v:02X}" for v in values)


def check(charts: list[dict], presenting: bool, share: float, where: str) -> None:
    assert charts, f"{where}: no chart drawn"
    smallest = 18 if presenting else 14
    for index, chart in enumerate(charts):
        if not chart["ticks"]:
            continue  # a 3D scene draws its ticks in WebGL
        assert min(chart["ticks"]) >= smallest, f"{where} chart {index}: ticks {min(chart['ticks'])} px"
        assert not chart["titles"] or min(chart["titles"]) >= smallest, f"{where} chart {index}: titles"
        assert contrast(rgb_hex(chart["tick_fill"]), "#FFFFFF") >= 4.5, f"{where} chart {index}: tick colour"
        assert chart["legend_rows"] <= 3, f"{where} chart {index}: {chart['legend_rows']} legend rows"
        for name, colour in chart["colours"]:
            if colour and colour.startswith("#"):
                assert contrast(colour, "#FFFFFF") >= 3.0, f"{where} chart {index}: {name} {colour}"
    if not presenting:
        assert charts[0]["plot_share"] >= share, f"{where}: first plot fills {100 * charts[0]['plot_share']:.0f} %"


def load(page: Page, url: str, width: int, height: int) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto(url)  # a fresh layout at this size (plotly's redraw on resize can misplace legends)
    wait_for_app(page, timeout=180_000)


def measured(page: Page, name: str, size: str, presenting: bool, share: float) -> list[dict]:
    mode = "present" if presenting else "normal"
    page.screenshot(path=str(ARTIFACTS_DIR / f"figures-{name}-{size}-{mode}.png"))
    charts = page.evaluate(MEASURE_JS)
    check(charts, presenting, share, f"{name} {size} {mode}")
    assert_no_exception(page)
    return charts


def toggle_presentation(page: Page) -> None:
    """The user's way in and out: the toggle beside the title (a rerun draws every chart anew)."""
    presenting = "present=1" in page.url
    page.get_by_text("Presentation", exact=True).click()
    # the rerun may start later than wait_idle's settle time on loaded cores: wait for its effect first
    page.wait_for_function("p => location.search.includes('present=1') !== p", arg=presenting, timeout=180_000)
    wait_idle(page, timeout=180_000)


@pytest.mark.parametrize("path", list(PAGES), ids=[p or "playground" for p in PAGES])
def test_page_reads_on_a_projector_in_both_modes(page: Page, app_url, path):
    """A shared presentation link on a 1280 × 720 projector, then the toggle back to normal."""
    name, url = path or "playground", f"{app_url}/{path}"
    load(page, f"{url}?present=1", 1280, 720)
    assert page.locator('[data-testid="stSidebar"]').is_hidden()
    assert page.locator('[data-testid="stTopNavLink"], header a[href*="sweep"]').count() >= 1  # the way back
    charts = measured(page, name, "1280x720", True, PAGES[path])
    if path == "":  # the whole contour and its play controls fit on the projector's screen, under the title
        assert charts[0]["top"] >= 0 and charts[0]["top"] + charts[0]["height"] <= 720
        controls = page.locator(".st-key-pg_player").bounding_box()
        assert controls["y"] + controls["height"] <= 720
    toggle_presentation(page)
    assert "present=1" not in page.url and page.locator('[data-testid="stSidebar"]').is_visible()
    measured(page, name, "1280x720", False, PAGES[path])


@pytest.mark.parametrize("path", list(PAGES), ids=[p or "playground" for p in PAGES])
def test_page_at_1920_in_both_modes(page: Page, app_url, path):
    """A desktop or a large projector: normal, then presentation through the toggle."""
    name = path or "playground"
    load(page, f"{app_url}/{path}", 1920, 1080)
    measured(page, name, "1920x1080", False, PAGES[path])
    toggle_presentation(page)
    assert "present=1" in page.url
    if path == "":  # the contour grows to the screen (the browser reports its height, the page reruns)
        page.wait_for_function("() => document.querySelector('.js-plotly-plot')._fullLayout.height > 700")
        wait_idle(page)
    charts = measured(page, name, "1920x1080", True, PAGES[path])
    if path == "":
        assert charts[0]["top"] + charts[0]["height"] <= 1080 and charts[0]["plot_share"] >= 0.5
        controls = page.locator(".st-key-pg_player").bounding_box()
        assert controls["y"] + controls["height"] <= 1080


LEGEND_CLEARANCE_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].filter(gd => gd.checkVisibility()).map(gd => {
  const legend = gd.querySelector('.legend'), plot = gd.querySelector('.draglayer .nsewdrag');
  if (!legend || !plot || gd.layout.legend.orientation !== 'h') return null;
  return plot.getBoundingClientRect().top - legend.getBoundingClientRect().bottom;
}).filter(v => v !== null)"""


def test_legends_stay_above_their_plots_after_the_window_is_resized(page: Page, app_url):
    """A laptop plugged into a projector and back: 1920 -> 1280 -> 1920 px wide. Plotly keeps the
    margin it grew for a legend of more rows; without the page's redraw after a resize the
    loss chart's legend ends 25 px inside its plot."""
    load(page, app_url, 1920, 1080)
    wait_idle(page, timeout=180_000)
    fresh = page.evaluate(LEGEND_CLEARANCE_JS)
    # The script comes with a session's first run only; its listener outlives the next run.
    scripts = page.evaluate("() => document.querySelectorAll('[data-testid=\"stHtml\"] script').length")
    page.locator("body").press("r")  # Streamlit's own shortcut: run the page again
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stHtml\"] script').length === 0")
    wait_idle(page, timeout=180_000)
    assert scripts == 1
    assert len(fresh) >= 4 and min(fresh) >= 0, fresh
    for width, height in ((1280, 720), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(2500)  # the resizing has stopped; the page redraws 0.7 s after it
        wait_idle(page, timeout=180_000)
        clearance = page.evaluate(LEGEND_CLEARANCE_JS)
        assert min(clearance) >= 0, f"{width} px: a legend overlaps its plot by {-min(clearance):.0f} px"
    assert clearance == pytest.approx(fresh, abs=1), (clearance, fresh)
    assert_no_exception(page)
