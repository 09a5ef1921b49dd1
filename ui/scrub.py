"""The scrub: a slider that moves every path, loss and rate curve in the browser while it is
dragged, from a bank of runs computed on the server in one go (``optim_core.scrub``).

:func:`payload` turns a bank into what the browser needs: for each chart (by its Streamlit key)
the traces to move (by their ``meta`` name, set in ``ui.figures``; Streamlit drops a trace's
``uid``) and, for every member of the bank,
their new points as base64 float32. The component (:data:`SCRUB_JS`) redraws those traces with
``Plotly.animate`` (no redraw of anything else) on every ``input`` event of its slider, and
sends one message to the server on release, so the value lands in its control and the URL.

What is drawn is thinned to stay within ``MAX_FLOATS`` (every run's path keeps its last point);
what is computed, and what downloads hold, is the full run.
"""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from optim_core.api import Result
from optim_core.scrub import Bank, Target, window_centre
from ui.components import FLOAT32_JS, code_url, component, float32_base64, mount
from ui.figures import LOSS_FLOOR, distance_line, effective_lines, loss_line, path_points, rate_line

# 150,000 float32 numbers are 800 kB of base64: the bank's share of a 1.5 MB page.
MAX_FLOATS = 150_000
SYMBOLS = {"lr": "η", "beta": "β", "beta1": "β1", "beta2": "β2", "eps": "ε", "rho": "ρ"}


def describe(target: Target, labels: list[str]) -> str:
    """ "η of gd (run 1)", "schedule: gamma", "start x₀": how the page lists a target."""
    if target.kind == "start":
        return f"start {target.name}₀"
    if target.kind == "schedule":
        return f"schedule: {target.name}"
    return f"{SYMBOLS.get(target.name, target.name)} of {labels[target.run]}"


def _thin(n: int, stride: int) -> np.ndarray:
    """Every ``stride``-th index of ``n``, and the last."""
    return np.unique(np.r_[np.arange(0, n, stride), n - 1]) if n else np.arange(0)


def _line(values: np.ndarray, stride: int, offset: int = 0) -> dict:
    """A line against step: y thinned, x given as a rule (first, stride, count, last)."""
    keep = _thin(values.shape[0], stride)
    last = int(keep[-1]) + offset if keep.size else None
    return {"x": {"o": offset, "s": stride, "n": int(keep.size), "last": last}, "y": float32_base64(values[keep])}


def _points(points: np.ndarray, stride: int = 1) -> dict:
    keep = _thin(points.shape[0], stride)
    return {"x": float32_base64(points[keep, 0]), "y": float32_base64(points[keep, 1])}


def _heads(parts: list[tuple[Result, int]]) -> np.ndarray:
    return np.array([path_points(result, row)[-1] for result, row in parts])


def _member_runs(bank: Bank, result: Result, j: int) -> list[tuple[Result, int]]:
    """Every run of the scene as (result, row) with the bank's member ``j`` in place."""
    parts = [(result, i) for i in range(len(result.runs))]
    for k, i in enumerate(bank.runs):
        parts[i] = bank.member(j, k)
    return parts


def extents(bank: Bank) -> dict[str, tuple[float, float]]:
    """The range of each chart's values over the bank's members that did not diverge (each
    chart then holds its axes while the lines move)."""
    found: dict[str, list[np.ndarray]] = {"loss": [], "distance": [], "effective": [], "rate": []}
    members = [bank.member(j, k) for j in range(bank.values.size) for k in range(len(bank.runs))]
    # A diverging member leaves the view through its top; the axes follow the members that stay.
    kept = [(r, row) for r, row in members if r.outcome.diverged_at[row] < 0] or members
    for result, row in kept:
        found["loss"].append(loss_line(result, row))
        if result.surface.minima:
            found["distance"].append(distance_line(result, row))
        found["effective"].append(effective_lines(result, row).ravel())
        found["rate"].append(rate_line(result, row))
    out = {}
    for name, arrays in found.items():
        values = np.concatenate(arrays) if arrays else np.array([])
        values = values[np.isfinite(values) & (values > LOSS_FLOOR)]  # a gap of exactly 0 is drawn at the floor
        if values.size:
            out[name] = (float(values.min()), float(values.max()))
    return out


def payload(
    bank: Bank, result: Result, title: str, charts: dict[str, str | tuple[str, str]], send: bool = True
) -> dict:
    """What the scrub component draws from.

    ``charts`` maps a view ("contour", "loss", "distance", "effective", "rate") to the
    Streamlit key of the chart showing it, or to (key, tag) when that chart names the lines
    ``tag`` + "path0" (a comparison that draws two results, see ``ui.figures.add_paths``).
    ``send``: whether a release sends the value back (a page with no control for it says no).
    """
    members = bank.values.size
    counts = [path_points(*bank.member(j, k)).shape[0] for j in range(members) for k in range(len(bank.runs))]
    per_run = 6  # x and y of the path, the loss, the distance, two effective rates
    stride = max(1, math.ceil(per_run * sum(counts) / MAX_FLOATS))
    out_charts: dict[str, dict] = {}

    def moved(j: int):
        return [bank.member(j, k) for k in range(len(bank.runs))]

    def chart(view: str, names: list[str], build) -> None:
        if view not in charts or (view == "distance" and not result.surface.minima):
            return
        key, tag = charts[view] if isinstance(charts[view], tuple) else (charts[view], "")
        uids = [tag + name for name in names]
        if view == "contour" and tag:  # another result's paths on the chart: only they move
            uids = uids[: len(bank.runs)]
        built = [build(j)[: len(uids)] for j in range(members)]
        if key in out_charts:  # two views of one chart (a comparison's loss and η_t rows)
            out_charts[key]["uids"] += uids
            for j, traces in enumerate(built):
                out_charts[key]["members"][j] += traces
        else:
            out_charts[key] = {"uids": uids, "members": built}

    def contour(j: int) -> list[dict]:
        parts = _member_runs(bank, result, j)
        traces = [_points(path_points(*part), stride) for part in moved(j)]
        traces.append(_points(_heads(parts)))
        crosses = [path_points(r, row)[-1] for r, row in parts if r.outcome.diverged_at[row] >= 0]
        traces.append(_points(np.array(crosses, dtype=float).reshape(-1, 2)))
        if bank.target.kind == "start":
            traces.append(_points(np.array([path_points(r, row)[0] for r, row in parts])))
        return traces

    contour_names = [f"path{i}" for i in bank.runs] + ["heads", "diverged"] + ["start"] * (bank.target.kind == "start")
    chart("contour", contour_names, contour)
    chart("loss", [f"loss{i}" for i in bank.runs], lambda j: [_line(loss_line(*p), stride) for p in moved(j)])
    chart("distance", [f"dist{i}" for i in bank.runs], lambda j: [_line(distance_line(*p), stride) for p in moved(j)])
    chart(
        "effective",
        [f"eff{i}{c}" for i in bank.runs for c in "xy"],
        lambda j: [_line(effective_lines(*p)[:, c], stride, 1) for p in moved(j) for c in (0, 1)],
    )
    chart("rate", [f"rate{i}" for i in bank.runs], lambda j: [_line(rate_line(*p), stride) for p in moved(j)])
    status = []
    for j in range(members):
        notes = [
            f"{result.runs[i].label} {r.status(row)}"
            for (r, row), i in zip(moved(j), bank.runs, strict=True)
            if r.status(row).startswith("diverged")
        ]
        status.append("; ".join(notes))
    return {
        "title": title,
        "values": [float(v) for v in bank.values],
        "labels": [f"{float(v):.4g}" for v in bank.values],
        "current": bank.current,
        "status": status,
        "stride": stride,
        "send": send,
        "charts": out_charts,
    }


SCRUB_HTML = """<div class="scrub">
  <span class="title"></span><span class="readout" aria-live="polite"></span>
  <span class="low"></span><input type="range" min="0" max="0" step="1"><span class="high"></span>
</div>"""

# One row, as tall as the select box beside it: the contour keeps its place on a 720 px screen.
SCRUB_CSS = """
.scrub { display: flex; gap: 0.6em; align-items: center; min-height: 2.5em;
  font-family: var(--st-font, sans-serif); color: var(--st-text-color, #1F2328); }
.title { font-weight: 600; white-space: nowrap; }
.readout { font-variant-numeric: tabular-nums; min-width: 5.5em; max-width: 40%; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }
.readout.diverged { color: #CC3311; font-weight: 600; }
.low, .high { font-size: 0.85em; color: var(--st-text-color, #1F2328); white-space: nowrap; }
.scrub input { flex: 1; min-width: 8em; height: 2em; accent-color: var(--st-primary-color, #FF4B4B); cursor: pointer; }
"""

# Runs in the page (no iframe): the charts are found by their Streamlit key's class and moved
# with the plotly.js the page already holds (Streamlit's chart element sets window.Plotly).
SCRUB_JS = (
    FLOAT32_JS
    + """
function axis(rule, length) {
  if (typeof rule === "string") return floats(rule);
  const out = new Float64Array(length);
  for (let k = 0; k < length; k++) out[k] = rule.o + k * rule.s;
  if (length) out[length - 1] = rule.last;
  return out;
}

export default function (component) {
  const { parentElement, setTriggerValue } = component;
  const data = component.data;  // ui.components.mount
  const root = parentElement.querySelector(".scrub");
  const input = root.querySelector("input");
  const readout = root.querySelector(".readout");
  const count = data.labels.length;
  root.style.fontSize = (data.scale || 1) + "rem";  // presentation mode: as large as the charts' text
  root.querySelector(".title").textContent = data.title;
  root.querySelector(".low").textContent = data.labels[0];
  root.querySelector(".high").textContent = data.labels[count - 1];
  input.max = String(count - 1);
  input.value = String(data.current);
  input.setAttribute("aria-label", data.title);
  const decoded = new Map();
  const member = (j) => {
    if (!decoded.has(j)) {
      const out = {};
      for (const [key, chart] of Object.entries(data.charts)) {
        out[key] = chart.members[j].map((t) => {
          const y = floats(t.y);
          return { x: axis(t.x, y.length), y: y };
        });
      }
      decoded.set(j, out);
    }
    return decoded.get(j);
  };
  const say = (j) => {
    readout.textContent = data.labels[j] + (data.status[j] ? " — " + data.status[j] : "");
    readout.title = readout.textContent;
    readout.classList.toggle("diverged", Boolean(data.status[j]));
  };
  const draw = (j) => {
    const began = performance.now();
    say(j);
    const Plotly = window.Plotly;
    const traces = member(j);
    const pending = [];
    for (const [key, chart] of Object.entries(data.charts)) {
      const gd = document.querySelector(".st-key-" + key + " .js-plotly-plot");
      if (!Plotly || !gd || !gd.data) continue;
      const index = chart.uids.map((uid) => gd.data.findIndex((t) => t.meta === uid));
      const found = index.map((i, k) => [i, traces[key][k]]).filter(([i]) => i >= 0);
      pending.push(Plotly.animate(
        gd,
        { data: found.map(([, t]) => t), traces: found.map(([i]) => i) },
        { mode: "immediate", transition: { duration: 0 }, frame: { duration: 0, redraw: false } },
      ));
    }
    Promise.all(pending).then(() => requestAnimationFrame(() => window.dispatchEvent(
      new CustomEvent("optviz-scrub-drawn", { detail: { index: j, ms: performance.now() - began, charts: pending.length } }),
    )));
  };
  say(data.current);
  input.oninput = () => draw(Number(input.value));
  input.onchange = () => { if (data.send) setTriggerValue("release", Number(input.value)); };
}
"""
)


def released(key: str, values: list):
    """The value the user let go of the scrub ``key`` at (its release trigger), or None."""
    bar = st.session_state.get(key)
    index = None if bar is None else bar.get("release")
    return values[int(index)] if index is not None and 0 <= int(index) < len(values) else None


def held_centre(key: str, target: str, current: float) -> float:
    """The centre of ``target``'s bank, kept in ``st.session_state[key]`` while the value stays
    inside its window (``optim_core.scrub.window_centre``): the slider's range stays put."""
    centres = st.session_state.setdefault(key, {})
    centres[target] = window_centre(centres.get(target), current)
    return centres[target]


def _component():
    return component("optviz_scrub", SCRUB_HTML, SCRUB_CSS)


def scrub_bar(data: dict, key: str, on_release=None, font_scale: float = 1.0) -> None:
    """Mount the scrub slider; ``on_release`` runs (before the next script run) when the user
    lets go of it, with ``st.session_state[key].release`` the index of the value chosen (a
    payload built with ``send=False`` never sends one). ``font_scale`` as for the figures."""
    callbacks = {"on_release_change": on_release} if on_release else {}
    mount(_component(), key, {**data, "scale": font_scale}, code_url("scrub", SCRUB_JS), **callbacks)
