"""The animation's controls: ▶ play, ❚❚ pause and a step slider under the contour, moving the
heads of every path together in the browser.

They are a small component of their own, not plotly layout sliders and buttons, so that what
the chart's camera exports is the chart alone (plotly draws a figure's slider and buttons into
its PNG). The heads at each shown step come with the component's data (``ui.figures.animation_heads``);
it moves the chart's heads trace with ``Plotly.animate``, finding the chart by its Streamlit key,
and sends nothing to the server while playing. On the Playground it also
reads a click on the contour (a new start point) and, presenting, the window's height.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import streamlit as st

from ui.components import FLOAT32_JS, code_url, component, float32_base64, mount

PLAYER_HTML = """<div class="player">
  <button class="play" type="button">▶ play</button><button class="pause" type="button">❚❚ pause</button>
  <input type="range" min="0" max="0" step="1"><span class="readout" aria-live="polite"></span>
</div>"""

PLAYER_CSS = """
.player { display: flex; gap: 0.6em; align-items: center; min-height: 2.4em;
  font-family: var(--st-font, sans-serif); color: var(--st-text-color, #1F2328); }
.player button { font: inherit; color: inherit; background: #F3F4F6; border: 1px solid #8C959F;
  border-radius: 0.35em; padding: 0.15em 0.7em; cursor: pointer; white-space: nowrap; }
.player input { flex: 1; min-width: 6em; height: 2em; accent-color: var(--st-primary-color, #FF4B4B); cursor: pointer; }
.readout { font-variant-numeric: tabular-nums; min-width: 6.5em; white-space: nowrap; }
"""

PLAYER_JS = (
    FLOAT32_JS
    + """
export default function (component) {
  const { parentElement } = component;
  const data = component.data;  // ui.components.mount
  const root = parentElement.querySelector(".player");
  const input = root.querySelector("input");
  const readout = root.querySelector(".readout");
  const steps = data.steps;
  const heads = floats(data.heads);  // (steps, runs, 2): every run's head at each shown step
  const runs = heads.length / (2 * steps.length);
  root.style.fontSize = 0.85 * (data.scale || 1) + "rem";  // presentation: larger, yet one row under the chart
  input.max = String(steps.length - 1);
  input.value = String(steps.length - 1);
  input.setAttribute("aria-label", "step shown");
  let timer = null;
  const chart = () => document.querySelector(".st-key-" + data.chart + " .js-plotly-plot");
  const show = (k) => {
    readout.textContent = "step " + steps[k];
    const gd = chart();
    if (!window.Plotly || !gd || !gd.data) return;
    const index = gd.data.findIndex((t) => t.meta === "heads");
    if (index < 0) return;
    const x = [], y = [];
    for (let r = 0; r < runs; r++) { x.push(heads[2 * (k * runs + r)]); y.push(heads[2 * (k * runs + r) + 1]); }
    window.Plotly.animate(gd, { data: [{ x, y }], traces: [index] }, {
      mode: "immediate", transition: { duration: 0 }, frame: { duration: 0, redraw: false },
    });
  };
  const stop = () => { if (timer !== null) { clearInterval(timer); timer = null; } };
  root.querySelector(".play").onclick = () => {
    stop();
    if (Number(input.value) >= steps.length - 1) input.value = "0";
    timer = setInterval(() => {
      const k = Number(input.value) + 1;
      if (k >= steps.length) { stop(); return; }
      input.value = String(k);
      show(k);
    }, data.interval);
    show(Number(input.value));
  };
  root.querySelector(".pause").onclick = stop;
  input.oninput = () => { stop(); show(Number(input.value)); };
  readout.textContent = "step " + steps[steps.length - 1];
  // Presenting, the server sizes the contour to the screen: tell it the screen's height.
  const report = () => {
    const h = window.innerHeight;
    if (data.report && (!data.known || Math.abs(h - data.known) > 40)) component.setStateValue("viewport", h);
  };
  let resized = null;
  const onResize = () => { clearTimeout(resized); resized = setTimeout(report, 300); };
  window.addEventListener("resize", onResize);
  report();
  // A click on the plot starts the runs at that exact point (the event's own coordinates, turned
  // into data by the axes; plotly reports a click on the figure's heat map of f, which covers it).
  const onClick = (e) => {
    const gd = chart();
    const ev = (e && e.event) || {};
    const touch = ev.changedTouches && ev.changedTouches[0];
    const cx = touch ? touch.clientX : ev.clientX, cy = touch ? touch.clientY : ev.clientY;
    const xa = gd && gd._fullLayout && gd._fullLayout.xaxis, ya = gd && gd._fullLayout && gd._fullLayout.yaxis;
    let point = null;
    if (xa && ya && Number.isFinite(cx) && Number.isFinite(cy)) {
      const box = gd.getBoundingClientRect();
      point = [xa.p2c(cx - box.left - xa._offset), ya.p2c(cy - box.top - ya._offset)];
    } else if (e && e.points && e.points.length) {
      point = [e.points[0].x, e.points[0].y];
    }
    if (point && point.every(Number.isFinite)) component.setTriggerValue("start", point);
  };
  // Streamlit may draw the chart after this runs, or anew: keep the listener on the chart there is.
  const attach = () => {
    const gd = chart();
    if (!data.click || !gd || !gd.on || gd._optvizClick === onClick) return;
    if (gd._optvizClick) gd.removeListener("plotly_click", gd._optvizClick);
    gd.on("plotly_click", onClick);
    gd._optvizClick = onClick;
  };
  attach();
  const watch = setInterval(attach, 250);
  return () => {
    stop(); clearTimeout(resized); clearInterval(watch); window.removeEventListener("resize", onResize);
    const gd = chart();
    if (gd && gd._optvizClick === onClick) { gd.removeListener("plotly_click", onClick); gd._optvizClick = null; }
  };
}
"""
)


def _component():
    return component("optviz_player", PLAYER_HTML, PLAYER_CSS)


def player(
    chart_key: str,
    steps: list[int],
    heads: np.ndarray,
    key: str,
    font_scale: float = 1.0,
    scene: str = "",
    report_height: bool = False,
    interval_ms: int = 60,
    on_click=None,
    on_report=None,
) -> None:
    """Mount the controls for the heads of chart ``chart_key`` (its trace named "heads"):
    ``heads[k]`` holds every run's head (x, y) at ``steps[k]``, sent as float32 (4 kB for 80
    steps of 5 runs, where plotly frames in the figure took 14 kB).

    ``scene`` names what the chart shows: a new one (a new chart, heads at the last step) sets
    the controls back to the last step too. With ``report_height`` the browser reports its
    window's height once (and after a resize by more than 40 px): :func:`screen_height` reads it,
    and ``on_report`` (if given) runs before the run that report brings.
    With ``on_click``, a click on the plot calls it (before the next run); :func:`clicked_point`
    then gives the point clicked, in the chart's data coordinates.
    """
    data = {
        "chart": chart_key, "steps": steps, "interval": interval_ms, "scale": font_scale,
        "heads": float32_base64(heads),
        "scene": hashlib.sha1(scene.encode()).hexdigest()[:16],  # what it names, not all of it again
        "report": report_height, "known": screen_height(key), "click": on_click is not None,
    }  # fmt: skip
    callbacks = {"on_start_change": on_click} if on_click is not None else {}
    mount(
        _component(), key, data, code_url("player", PLAYER_JS), on_viewport_change=on_report or _reported, **callbacks
    )


def clicked_point(key: str) -> tuple[float, float] | None:
    """The point of the last click on the chart of player ``key``, or None (nothing sent, or
    not two finite numbers: the browser's message is not trusted)."""
    state = st.session_state.get(key)
    value = None if state is None else state.get("start")
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value):
        return None
    return float(value[0]), float(value[1])


def _reported() -> None:
    """The browser reported its height: the rerun it triggers draws with it (nothing else to do)."""


def screen_height(key: str) -> int | None:
    """The browser window's height in CSS pixels, as the player ``key`` last reported it."""
    state = st.session_state.get(key)
    value = None if state is None else state.get("viewport")
    return int(value) if isinstance(value, int | float) and 200 <= value <= 10_000 else None
