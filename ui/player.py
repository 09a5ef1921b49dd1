"""The animation's controls: ▶ play, ❚❚ pause and a step slider under the contour, moving the
heads of every path together in the browser.

They are a small component of their own, not plotly layout sliders and buttons, so that what
the chart's camera exports is the chart alone (plotly draws a figure's slider and buttons into
its PNG). The frames stay in the figure (``ui.figures``: one frame per shown step, named by
its step, carrying only the heads); the component plays them with ``Plotly.animate``, finding
the chart by its Streamlit key, and sends nothing to the server.
"""

from __future__ import annotations

import functools

import streamlit as st

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

PLAYER_JS = """
export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".player");
  const input = root.querySelector("input");
  const readout = root.querySelector(".readout");
  const steps = data.steps;
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
    window.Plotly.animate(gd, [String(steps[k])], {
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
  return () => { stop(); clearTimeout(resized); window.removeEventListener("resize", onResize); };
}
"""


@functools.cache
def _component():
    """Registered on first use, inside a script run (at import, outside one, Streamlit warns)."""
    return st.components.v2.component("optviz_player", html=PLAYER_HTML, css=PLAYER_CSS, js=PLAYER_JS)


def player(
    chart_key: str,
    steps: list[int],
    key: str,
    font_scale: float = 1.0,
    scene: str = "",
    report_height: bool = False,
    interval_ms: int = 60,
) -> None:
    """Mount the controls for the frames of chart ``chart_key`` (frame names: the ``steps``).

    ``scene`` names what the chart shows: a new one (a new chart, heads at the last step) sets
    the controls back to the last step too. With ``report_height`` the browser reports its
    window's height once (and after a resize by more than 40 px): :func:`screen_height` reads it.
    """
    data = {
        "chart": chart_key, "steps": steps, "interval": interval_ms, "scale": font_scale, "scene": scene,
        "report": report_height, "known": screen_height(key),
    }  # fmt: skip
    _component()(key=key, data=data, on_viewport_change=_reported)


def _reported() -> None:
    """The browser reported its height: the rerun it triggers draws with it (nothing else to do)."""


def screen_height(key: str) -> int | None:
    """The browser window's height in CSS pixels, as the player ``key`` last reported it."""
    state = st.session_state.get(key)
    value = None if state is None else state.get("viewport")
    return int(value) if isinstance(value, int | float) and 200 <= value <= 10_000 else None
