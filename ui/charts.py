"""Every chart is shown through :func:`show` (and a table through :func:`show_table`): the house style as drawn (Streamlit's own chart
theme off) and the camera button saving a slide-sized PNG named after the page, view and scene."""

from __future__ import annotations

import base64
import contextlib
import copy
import functools
import hashlib
import html
import json
import math
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
from streamlit import runtime

from ui.components import code_url, component, mount
from ui.controls import keyed
from ui.present import on_phone
from ui.urlstate import inert

EXPORT_WIDTH, EXPORT_HEIGHT, EXPORT_SCALE = 960, 540, 2  # a 1920 × 1080 PNG with the fonts as seen


def export_name(page: str, view: str, scene: str = "") -> str:
    """``playground-contour-rosenbrock``: lower case, words joined by hyphens, no other marks."""
    words = re.sub(r"[^a-z0-9]+", "-", f"{page} {view} {scene}".lower()).strip("-")
    return words[:120] or "chart"


def chart_config(name: str) -> dict[str, Any]:
    """Plotly's options for a chart saved as ``name``. On a phone, which has no hover, plotly
    shows its tool bar all the time, over the legend's first row (measured at 390 px): there
    it is left out; a double tap still resets the axes, and the export panel saves the chart."""
    return {
        "displaylogo": False,
        **({"displayModeBar": False} if on_phone() else {}),
        "toImageButtonOptions": {
            "format": "png", "filename": name, "width": EXPORT_WIDTH, "height": EXPORT_HEIGHT, "scale": EXPORT_SCALE,
        },
    }  # fmt: skip


PNG_DATA = "data:image/png;base64,"


def served_pictures(figure, key: str) -> None:
    """Put the figure's pictures (the surface's PNG, a layout image as a data URI: 4-12 kB) on
    Streamlit's media server and name them by URL, in place. A rerun then sends the URL, and
    the browser fetches an unchanged picture from its cache instead of receiving it again.

    Plotly turns a picture it loads into a data URI itself, so the camera's PNG still holds
    it. Outside a running server (a script, a notebook) the data URIs stay.
    Returns the data URIs replaced, by image index (a file export puts them back).
    """
    replaced: dict[int, str] = {}
    if not runtime.exists():
        return replaced
    images = figure.get("layout", {}).get("images", []) if isinstance(figure, dict) else figure.layout.images
    for index, image in enumerate(images):
        source = image.get("source") if isinstance(image, dict) else image.source
        if isinstance(source, str) and source.startswith(PNG_DATA):
            data = base64.b64decode(source[len(PNG_DATA) :])
            url = runtime.get_instance().media_file_mgr.add(data, "image/png", f"optviz.{key}.{index}")
            replaced[index] = source
            if isinstance(image, dict):
                image["source"] = url
            else:
                image.source = url
    return replaced


def _cell(value) -> str:
    """A table cell's text: a number to 4 significant digits (η = 0.00027, not 0.0003)."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return "—" if math.isnan(value) else f"{value:.4g}"
    return str(value)


TABLE_STYLE = (
    "<style>.optviz-table{overflow-x:auto}.optviz-table table{border-collapse:collapse;font-size:.9em}"
    ".optviz-table th,.optviz-table td{padding:.3em .7em;border-bottom:1px solid #D0D7DE;white-space:nowrap;"
    "text-align:left}.optviz-table .n{text-align:right;font-variant-numeric:tabular-nums}</style>"
)


def table_html(rows: list[dict]) -> str:
    """A small table (a list of rows) as HTML that scrolls sideways when wider than its column:
    every text escaped (a run's label is the user's), numbers to 4 significant digits, right
    aligned in tabular figures."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    numeric = {c: all(isinstance(row.get(c), int | float | np.number) for row in rows) for c in columns}

    def cell(tag: str, text: str, right: bool) -> str:
        attribute = ' class="n"' if right else ""
        return f"<{tag}{attribute}>{html.escape(text)}</{tag}>"

    head = "".join(cell("th", c, numeric[c]) for c in columns)
    body = "".join(
        "<tr>" + "".join(cell("td", _cell(row.get(c, "")), numeric[c]) for c in columns) + "</tr>" for row in rows
    )
    return f'{TABLE_STYLE}<div class="optviz-table"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def show_table(rows: list[dict]) -> None:
    """Show :func:`table_html` of ``rows``. ``st.dataframe`` loads pandas and pyarrow (70 MB of a
    server's memory) for a five-row table, and sent 3.1 kB for it with every rerun."""
    if rows:
        st.html(table_html(rows))


EXPORTS = "optviz_exports"  # session state: the charts of the page's last run, by file name


RACES = "optviz_races"  # session state: the results whose race the page offers as an animation
MADE = "optviz_made_animation"  # session state: the last animation made (its inputs and bytes)


def begin_page() -> None:
    """Forget the charts of the previous page (app.py, before it runs a page)."""
    st.session_state[EXPORTS] = {}
    st.session_state[RACES] = {}


def offer_race(name: str, compute, identity: str) -> None:
    """Offer a race in the export panel as an animated GIF or MP4 named ``name``: ``compute()``
    gives its Result (from the cache) when asked, ``identity`` tells one scene from another.

    The session keeps the way to the run, never the run: a closed session lives on for a
    while, and a Result held there would outlive the cache's budget."""
    st.session_state.setdefault(RACES, {})[name] = (compute, identity)


# A chart of our own: a div that keeps its plot from one run to the next and takes a new figure
# with Plotly.react, which redraws what changed. Streamlit's plotly_chart gives a changed figure
# a new element id, so the browser drops the chart and draws it anew with Plotly.newPlot:
# 72-231 ms for the contour against 38-64 ms (README). Plotly is Streamlit's own copy (its chart
# code sets window.Plotly when it loads), so a page holds one Plotly whichever draws its charts.
CHART_JS = """
function plotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.optvizPlotly) {
    const entry = document.querySelector("script[type=module][src*='static/js/']");
    const base = entry ? entry.src : new URL("static/js/", document.baseURI).href;
    window.optvizPlotly = import(new URL(PLOTLY_CHUNK, base).href).then(() => window.Plotly);
  }
  return window.optvizPlotly;
}
// The buttons Streamlit's own chart shows: no selection tools, no link to Chart Studio, and a
// button that fills the screen with the chart (drawn at the screen's height while it does).
const FULLSCREEN = {
  name: "fullscreen", title: "Fill the screen (Esc to leave)",
  icon: { width: 1000, height: 1000, path: "M0 0h400v120H120v280H0zM1000 0v400H880V120H600V0zM0 1000V600h120v280h280v120zM1000 1000H600V880h280V600h120z" },
  click: (gd) => (document.fullscreenElement ? document.exitFullscreen() : gd.requestFullscreen()),
};
const REMOVED = ["lasso2d", "select2d", "sendChartToCloud", "sendDataToCloud"];
function draw(Plotly, gd, data) {
  const config = { ...data.config, responsive: true, modeBarButtonsToRemove: REMOVED, modeBarButtonsToAdd: [FULLSCREEN] };
  const layout = { ...(data.figure.layout || {}) };
  if (document.fullscreenElement === gd) layout.height = window.innerHeight;
  return Plotly.react(gd, data.figure.data || [], layout, config);
}
// One chart drawn at a time, each after the browser has shown the one before: a rerun's first
// chart (the contour) is on the screen before the next ones are drawn, not after all of them.
const painted = () => new Promise((done) => {
  const spare = setTimeout(done, 100);  // a hidden tab shows no frames
  requestAnimationFrame(() => setTimeout(() => { clearTimeout(spare); done(); }, 0));
});
const late = () => new Promise((done) => setTimeout(done, 3000));  // a draw that never ends stops no other
function inTurn(job) {
  window.optvizTurn = (window.optvizTurn || Promise.resolve())
    .then(() => Promise.race([job(), late()])).catch(() => {}).then(painted);
  return window.optvizTurn;
}
export default function (component) {
  const data = component.data;  // chart_payload, or what page_scripts sends
  if (data.preload) { plotly(); return; }  // this module and Plotly loading, nothing drawn
  const gd = component.parentElement.querySelector(".optviz-chart");
  // A chart sent with a chain number tells the server once it is on the screen (show's on_drawn).
  const told = () => {
    if (data.chain && gd.optvizChain !== data.chain) { gd.optvizChain = data.chain; component.setTriggerValue("drawn", data.chain); }
  };
  if (gd.optvizData && gd.optvizData.digest === data.digest) { (gd.optvizDrawn || Promise.resolve()).then(told); return; }
  gd.optvizData = data;
  // Until its turn comes the chart keeps its height (the page does not jump as the charts above
  // it are drawn) and is marked pending (what a test or a screenshot waits for).
  gd.style.minHeight = (data.figure.layout || {}).height ? data.figure.layout.height + "px" : "";
  gd.dataset.optvizPending = "1";
  gd.onfullscreenchange = () => plotly().then((Plotly) => draw(Plotly, gd, gd.optvizData));
  gd.optvizDrawn = inTurn(() => plotly().then((Plotly) => {
    if (gd.optvizData !== data || !gd.isConnected) return;  // a newer figure came, or the chart left the page
    return draw(Plotly, gd, data);
  }).catch((error) => { gd.textContent = "This chart could not be drawn: " + error; }).finally(() => {
    if (gd.optvizData === data) delete gd.dataset.optvizPending;
  }));
  gd.optvizDrawn.then(told);
}
"""
CHART_HTML = '<div class="optviz-chart"></div>'
CHART_CSS = ".optviz-chart { width: 100%; } .optviz-chart:fullscreen { background: #FFFFFF; }"


@functools.cache
def plotly_chunk() -> str | None:
    """The file name of Streamlit's chart code (which loads Plotly into the page), or None when
    this Streamlit has no such file: then charts are Streamlit's own plotly_chart."""
    found = sorted((Path(st.__file__).parent / "static" / "static" / "js").glob("PlotlyChart.*.js"))
    return found[0].name if len(found) == 1 else None


def _chart():
    # Not in a shadow root: plotly's style rules are in the document's head, and the player
    # and the scrub find a chart by its key from the document.
    return component("optviz_chart", CHART_HTML, CHART_CSS, isolate_styles=False)


@functools.cache
def chart_code() -> str:
    """The chart component's module, naming Streamlit's chart code."""
    return CHART_JS.replace("PLOTLY_CHUNK", json.dumps(plotly_chunk()))


def figure_json(figure) -> str:
    """The figure as plotly's JSON (numbers as typed arrays), as Streamlit's plotly_chart sends it,
    without building and validating a second Figure from it."""
    import plotly.io

    return plotly.io.to_json(figure, validate=False)


def chart_payload(figure, name: str, chain: int = 0) -> bytes:
    """What the chart component gets: one JSON document as bytes, with the figure as plotly
    writes it (as bytes it goes as it is: as a dict Streamlit would write it again with a space
    after every comma and colon), its config, the URL of the component's code and a digest of
    it all (an unchanged chart is not drawn again). ``chain``, outside the digest: see :func:`show`."""
    rest = json.dumps({"config": chart_config(name), "code": code_url("chart", chart_code())}, separators=(",", ":"))
    spec = figure_json(figure)
    digest = hashlib.sha1((rest + spec).encode()).hexdigest()[:16]
    return f'{{"digest":"{digest}","chain":{int(chain)},{rest[1:-1]},"figure":{spec}}}'.encode()


def browser_answers() -> bool:
    """Whether a browser draws this run's charts and answers a chain (:func:`show`): in a running
    server. AppTest runs a page with a stand-in for Streamlit's runtime (a mock of its class) and
    no browser: no chart of it is ever drawn, and no chain answered."""
    from streamlit.runtime import Runtime

    return runtime.exists() and type(runtime.get_instance()) is Runtime


def show(figure, key: str, name: str, container=None, chain: int = 0, on_drawn=None, **options):
    """Draw ``figure`` (a go.Figure or a plain figure dict) as built in ui.figures; the export
    panel (:func:`export_panel`) offers it as a file named ``name``.

    Drawn by the page's chart component (kept from run to run, redrawn with Plotly.react); a
    chart that reports a selection (``on_select``) is Streamlit's own plotly_chart. With a
    ``chain`` number other than 0, the browser calls ``on_drawn`` (a callback, before the next
    run) once the chart is on the screen, drawn anew or unchanged: once per number."""
    replaced = served_pictures(figure, key)
    st.session_state.setdefault(EXPORTS, {})[name] = (figure, replaced)
    target = st if container is None else container
    if options or plotly_chunk() is None:
        return target.plotly_chart(figure, key=key, theme=None, config=chart_config(name), **options)
    callbacks = {} if on_drawn is None else {"on_drawn_change": on_drawn}
    with contextlib.nullcontext() if container is None else container:
        _chart()(key=key, data=chart_payload(figure, name, chain), **callbacks)
    return None


# How long a fragment's run holds back what it would send after a chained chart (draw_first).
# Here the browser took the contour in, rendered it and drew it (Plotly.react) in 30-40 ms, and
# the server's event loop sent the contour up to 25 ms after the run had handed it over (it
# sends every 5 ms, when the script's thread lets it): 40 ms left 17 ms in a loaded test run.
DRAW_FIRST = 0.06  # seconds


def draw_first(seconds: float = DRAW_FIRST) -> None:
    """Hold the rest of a fragment's run for ``seconds`` behind the chart it has just sent, so
    that the browser draws that chart before it takes in anything more.

    The browser renders what arrives together in one go. The URL's change and the run's end,
    sent right behind the contour, were rendered with it, and the run's end renders the whole
    page again (every element leaves its "running" state: 10-13 ms of the Playground here),
    all before the contour's Plotly.react. Held back, they arrive while Plotly draws and are
    rendered after it: keypress to redrawn contour 116 -> 104 ms (median of 20, A/B, README).
    The browser's answer that the chart is drawn (the next run, the other views) comes 45-55 ms
    after the chart and may wait for the run's end, up to 15 ms. The hold waits as
    Streamlit's cache waits in a run: a stop or a rerun of the page asked for meanwhile ends it
    (a fragment's rerun, as always, waits for the run). Only in a fragment's run with a browser
    to draw; a full run goes on.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    look = getattr(ctx, "yield_check", None)
    if look is None or not getattr(ctx, "fragment_ids_this_run", None) or not browser_answers():
        return
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        look()  # raises Streamlit's rerun or stop when one was asked for
        time.sleep(0.002)


def _exported(figure, replaced: dict[int, str], fmt: str, size: str) -> bytes:
    """The file of a shown figure, its pictures put back as data URIs (the browser that draws
    the file cannot fetch the page's media URLs)."""
    from ui.export import figure_file

    spec = copy.deepcopy(figure if isinstance(figure, dict) else figure.to_dict())
    for index, source in replaced.items():
        spec["layout"]["images"][index]["source"] = source
    return figure_file(spec, fmt, size)


# After the window's size changes (a laptop plugged into a projector), plotly keeps the top
# margin it had grown for a legend of more rows, and the legend then overlaps the plot: measured
# 25 px into the loss chart after 1920 -> 1280 -> 1920 px. Drawing each chart again with its own
# data and layout once the resizing has stopped puts every legend back (fixed code, no user data).
REDRAW_AFTER_RESIZE = """
if (!window.optvizRedrawAfterResize) {
  window.optvizRedrawAfterResize = true;
  let timer = null;
  window.addEventListener("resize", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!window.Plotly) return;
      for (const gd of document.querySelectorAll(".js-plotly-plot")) {
        if (gd.data && gd.layout) window.Plotly.react(gd, gd.data, gd.layout);
      }
    }, 700);
  });
}
"""


PAGE_SCRIPTS_SENT = "optviz_page_scripts_sent"  # session state: the scripts went with a run
PRELOAD = "optviz-preload"  # the key of the container that loads Plotly early, hidden


def page_scripts() -> None:
    """What the page needs from the browser before anything else, once per session and first
    in its first run (app.py puts it at the page's foot, where its elements add no gap above
    the charts; they stay with the browser's window when a later run drops the elements).

    - A chart of Streamlit's own, hidden and empty, so that the browser fetches and starts
      Plotly (Streamlit's chart code: 4.7 MB of script, 0.8 s of one core here) while the
      server runs the page, not once its first chart arrives at the end of that run: loaded
      by a chart element the browser asked for it 0.3-0.4 s sooner than through a script.
    - Our chart component, in a mode that draws nothing: the browser loads Streamlit's code
      for components and our chart's module beside Plotly. Loaded once the page's first chart
      came, they waited behind Plotly's evaluation (a long task) in 5 first views of 8, and
      the contour was mounted 0.35-0.5 s after Plotly was ready.
    - The charts' legends put back after the window's size changes (:data:`REDRAW_AFTER_RESIZE`).
    """
    if st.session_state.get(PAGE_SCRIPTS_SENT):
        return
    st.session_state[PAGE_SCRIPTS_SENT] = True
    if plotly_chunk() is not None and browser_answers():
        import plotly.graph_objects as go

        with st.container(key=PRELOAD, height=1, border=False):
            st.plotly_chart(go.Figure(layout={"height": 10}), theme=None, config={"staticPlot": True})
            mount(_chart(), f"{PRELOAD}-chart", {"preload": True}, code_url("chart", chart_code()))
    hide = f"<style>[data-testid=stLayoutWrapper]:has(> .st-key-{PRELOAD}){{display:none}}</style>"
    st.html(f"{hide}<script>{REDRAW_AFTER_RESIZE}</script>", unsafe_allow_javascript=True)


@st.fragment
def export_panel() -> None:
    """At the foot of every page: any chart of the page as an SVG, PDF or 3× PNG file at a
    slide's size. Its controls are built only while it is open (a closed panel costs a rerun
    nothing), and they rerun this panel alone."""
    from ui.export import browser, missing_browser

    shown = st.session_state.get(EXPORTS) or {}
    races = st.session_state.get(RACES) or {}
    if not shown:
        return
    title = "Save a chart for slides (SVG, PDF, PNG)" + (", or the race (GIF, MP4)" if races else "")
    with st.expander(title, key="export_open", on_change="rerun") as panel:
        if not panel.open:
            return
        if browser() is None:
            st.caption(missing_browser())
            return
        if races:
            with st.container(key="export-race"):
                _race_controls(races)
            st.divider()
        _chart_controls(shown)


def _size_control(container, key: str) -> str:
    """A slide size (ui.export.SIZES) picked with a segmented control; 1280 × 720 unless chosen."""
    from ui.export import SIZES

    size = keyed(
        container.segmented_control,
        "Size",
        list(SIZES),
        key=key,
        default="1280x720",
        format_func=lambda s: s.replace("x", " × "),
    )
    return size or "1280x720"


def _chart_controls(shown: dict) -> None:
    """Any chart of the page as an SVG, PDF or 3× PNG file at a slide's size."""
    from ui.export import FORMATS

    with st.container(key="export-chart"):
        names = list(shown)
        chart = keyed(st.selectbox, "Chart", names, key="export_chart", format_func=lambda n: n.replace("-", " "))
        chart = chart if chart in shown else names[0]
        left, right = st.columns(2)
        fmt = keyed(
            left.segmented_control, "Format", list(FORMATS), key="export_format", default="svg",
            format_func=lambda f: {"svg": "SVG", "pdf": "PDF", "png": "PNG (3×)"}[f],
        )  # fmt: skip
        size = _size_control(right, "export_size")
        fmt = fmt or "svg"
        figure, replaced = shown[chart]
        st.download_button(
            f"Download the {fmt.upper()}", lambda: _exported(figure, replaced, fmt, size), f"{chart}.{fmt}",
            FORMATS[fmt], key="export_download", on_click="ignore", icon=":material/download:",
        )  # fmt: skip
        st.caption(
            f"{inert(chart)}.{fmt}, drawn by Chromium at the slide's size: the first file takes a few seconds, "
            "later ones less."
        )


def _race_controls(races: dict) -> None:
    """The race as an animated GIF or an MP4: made on request, with a progress bar, then
    downloaded (a file of 60 frames takes a few seconds)."""
    from ui.animation import ANIMATIONS, FPS, FRAMES, race_file

    st.markdown("**The race as an animation**")
    names = list(races)
    name = names[0]
    if len(names) > 1:  # the Lessons page: one race per lesson
        name = keyed(st.selectbox, "Race", names, key="race_of", format_func=lambda n: n.replace("-", " "))
        name = name if name in races else names[0]
    columns = st.columns([2, 3, 2, 2])  # the size's two buttons need more than a quarter at 1280 px
    fmt = keyed(
        columns[0].segmented_control, "Animation", list(ANIMATIONS), key="race_format", default="gif", format_func=str.upper
    ) or "gif"  # fmt: skip
    size = _size_control(columns[1], "race_size")
    frames = keyed(columns[2].number_input, "Frames", *FRAMES, value=60, step=10, key="race_frames")
    fps = keyed(columns[3].number_input, "Frames per second", *FPS, value=15, step=1, key="race_fps")
    compute, identity = races[name]
    inputs = (name, identity, fmt, size, int(frames), int(fps))
    made = st.session_state.get(MADE)
    if st.button(f"Make the {fmt.upper()}", key="race_make", icon=":material/movie:"):
        bar = st.progress(0.0, text=f"Drawing {int(frames)} frames…")
        data = race_file(compute(), fmt, size, int(frames), int(fps), lambda done: bar.progress(min(done, 1.0)))
        bar.empty()
        made = st.session_state[MADE] = (inputs, data)
    if made is not None and made[0] == inputs:
        st.download_button(
            f"Download {name}.{fmt} ({len(made[1]) / 1e6:.1f} MB)", made[1], f"{name}.{fmt}", ANIMATIONS[fmt],
            key="race_download", on_click="ignore", icon=":material/download:",
        )  # fmt: skip
