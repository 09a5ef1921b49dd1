"""Sweep: one optimizer over a grid of two hyperparameters, and the basins of its start points."""

from __future__ import annotations

import json

import streamlit as st

from optim_core.api import basin_map, suggested_spec, sweep, sweep_axis
from optim_core.optimizers import CONVENTIONS, OPTIMIZERS
from optim_core.optimizers import PARAMS as OPTIMIZER_PARAMS
from spec_strings import SpecError, format_spec
from surfaces import CATALOG, make_surface
from ui import charts, urlstate
from ui.controls import keyed, progress_bar
from ui.figures import basin_figure, sweep_figures
from ui.present import URL_FIELD, header
from ui.routing import route_through_app
from ui.state import SWEEP_DEFAULTS, PlaygroundState, to_query

route_through_app()

ss = st.session_state
# Sweepable keys and the range a grid spans by default.
RANGES = {
    "lr": (1e-4, 1.0),
    "beta": (0.0, 0.99),
    "beta1": (0.0, 0.99),
    "beta2": (0.9, 0.9999),
    "eps": (1e-10, 1e-2),
    "momentum_decay": (0.0, 0.02),
    "weight_decay": (0.0, 0.1),
    "eta_minus": (0.1, 0.9),
    "eta_plus": (1.05, 2.0),
}

SURFACES = [name for name in CATALOG if name != "custom"]
TOLERANCES = [1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1]
DEFAULTS = SWEEP_DEFAULTS  # the first picture (ui.state says why)
MEASURED_RANGES = {("himmelblau", "momentum", "lr"): (1.9e-05, 0.057)}
URL_FIELDS = [
    urlstate.Field("surface", "sw_surface", urlstate.choice(SURFACES)),
    urlstate.Field("opt", "sw_optimizer", urlstate.choice(list(OPTIMIZERS))),
    urlstate.Field("conv", "sw_convention", urlstate.choice(CONVENTIONS)),
    urlstate.Field("x", "sw_x", urlstate.choice(list(RANGES))),
    urlstate.Field("y", "sw_y", urlstate.choice(list(RANGES))),
    urlstate.Field("x_from", "sw_x_low", urlstate.number(-1e6, 1e6), urlstate.plain_value),
    urlstate.Field("x_to", "sw_x_high", urlstate.number(-1e6, 1e6), urlstate.plain_value),
    urlstate.Field("y_from", "sw_y_low", urlstate.number(-1e6, 1e6), urlstate.plain_value),
    urlstate.Field("y_to", "sw_y_high", urlstate.number(-1e6, 1e6), urlstate.plain_value),
    urlstate.Field("n", "sw_resolution", urlstate.integer(5, 80)),
    urlstate.Field("steps", "sw_steps", urlstate.integer(10, 2000, 10)),
    urlstate.Field("tol", "sw_tolerance", urlstate.member(TOLERANCES), urlstate.plain_value),
    urlstate.Field("starts", "sw_basin_resolution", urlstate.integer(10, 80)),
    URL_FIELD,
]


def sweepable(optimizer: str, convention: str) -> list[str]:
    info = OPTIMIZERS[optimizer]
    skip = info.pytorch_only if convention == "lecture" else info.lecture_only
    return [p.name for p in info.params if p.name in RANGES and p.name not in skip]


def default_range(key: str) -> tuple[float, float]:
    measured = MEASURED_RANGES.get((ss["sw_surface"], ss["sw_optimizer"], key))
    if measured:
        return measured
    low, high = RANGES[key]
    suggested = CATALOG[ss["sw_surface"]].info.suggested_lr(ss["sw_optimizer"])
    if key == "lr" and suggested:
        # From a decade below the rate suggested for this surface to 30 times it, where runs begin
        # to diverge: the map shows slow, good and too fast (from two decades below to ten times
        # above, ~95 % of it was one flat colour).
        low, high = float(f"{suggested / 10:.2g}"), float(f"{min(suggested * 30, 1000.0):.2g}")
    return low, high


def axis_problem(key: str, low: float, high: float) -> str | None:
    """What is wrong with an axis range for ``key`` (None if nothing): both ends in the key's own
    range, the lower end below the upper one."""
    param = next(p for p in OPTIMIZER_PARAMS[ss["sw_optimizer"]] if p.name == key)
    for value in (low, high):
        try:
            param.check_range(value, "")
        except SpecError as error:
            return str(error).removeprefix(": ")
    return None if low < high else f"{key} from ({low:g}) must be below {key} to ({high:g})"


def reset_axes(axes: str = "xy") -> None:
    """Valid axis keys for the optimizer, and their default ranges (callback, before the widgets)."""
    keys = sweepable(ss["sw_optimizer"], ss["sw_convention"])
    before = {"x": ss.get("sw_x"), "y": ss.get("sw_y")}
    if ss.get("sw_x") not in keys:
        ss["sw_x"] = keys[0]
    if ss.get("sw_y") not in keys or ss["sw_y"] == ss["sw_x"]:
        ss["sw_y"] = next((k for k in keys if k != ss["sw_x"]), keys[0])
    for axis in "xy":
        if axis in axes or ss[f"sw_{axis}"] != before[axis]:  # a key that changed gets its own range
            ss[f"sw_{axis}_low"], ss[f"sw_{axis}_high"] = default_range(ss[f"sw_{axis}"])


for widget, value in DEFAULTS.items():
    ss.setdefault(widget, value)
before = {field.widget: ss.get(field.widget) for field in URL_FIELDS}
ignored = urlstate.restore("sweep", URL_FIELDS)
linked = {widget for widget, value in before.items() if ss.get(widget) != value}  # set from the link just now
axes = (ss.get("sw_x"), ss.get("sw_y"))
valid_axes = sweepable(ss["sw_optimizer"], ss["sw_convention"])
# The same key on both axes is what reset_axes gives an optimizer with only one (GD: lr).
if axes[0] not in valid_axes or axes[1] not in valid_axes or (axes[0] == axes[1] and len(valid_axes) > 1):
    if axes != (None, None):
        ignored.append(f"x, y: cannot sweep {axes[0]} against {axes[1]} for {ss['sw_optimizer']}")
    bounds_from_link = {widget: ss[widget] for widget in linked if widget.endswith(("_low", "_high"))}
    reset_axes()
    ss.update(bounds_from_link)  # checked below against the axes' keys
for axis in "xy":
    key = ss[f"sw_{axis}"]
    default_low, default_high = default_range(key)
    low, high = ss.get(f"sw_{axis}_low"), ss.get(f"sw_{axis}_high")  # a link may give one end only
    low, high = (default_low if low is None else low), (default_high if high is None else high)
    problem = axis_problem(key, low, high) if {f"sw_{axis}_low", f"sw_{axis}_high"} & linked else None
    if problem:
        ignored.append(f"{axis}_from, {axis}_to: {problem}; used {default_low:g} to {default_high:g}")
        low, high = default_low, default_high
    ss[f"sw_{axis}_low"], ss[f"sw_{axis}_high"] = low, high

font_scale = header("Sweep")
st.caption(
    "One optimizer over a grid of two hyperparameters, run as one batch. Click a cell to open "
    "that configuration in the Playground."
)
urlstate.warn_ignored(ignored)

with st.sidebar:
    surface_name = keyed(st.selectbox,
        "Surface", SURFACES, key="sw_surface", on_change=reset_axes,
        format_func=lambda name: CATALOG[name].info.display_name,
    )  # fmt: skip
    optimizer = keyed(st.selectbox,
        "Optimizer", list(OPTIMIZERS), key="sw_optimizer", on_change=reset_axes,
        format_func=lambda n: OPTIMIZERS[n].display_name,
    )  # fmt: skip
    convention = keyed(st.radio, "Convention", CONVENTIONS, key="sw_convention", horizontal=True, on_change=reset_axes)
    keys = sweepable(optimizer, convention)
    x_key = keyed(st.selectbox, "x axis", keys, key="sw_x", on_change=reset_axes, args=("x",))
    y_choices = [k for k in keys if k != x_key] or [x_key]
    if ss["sw_y"] not in y_choices:
        ss["sw_y"] = y_choices[0]
    y_key = keyed(st.selectbox, "y axis", y_choices, key="sw_y", on_change=reset_axes, args=("y",))
    ranges = {}
    for axis, key in (("x", x_key), ("y", y_key)):
        left, right = st.columns(2)
        ranges[axis] = (
            keyed(left.number_input, f"{key} from", key=f"sw_{axis}_low", format="%.4g"),
            keyed(right.number_input, f"{key} to", key=f"sw_{axis}_high", format="%.4g"),
        )
    resolution = keyed(st.slider, "Cells per axis", 5, 80, key="sw_resolution")
    steps = keyed(st.slider, "Steps", 10, 2000, step=10, key="sw_steps")
    tolerance = keyed(
        st.select_slider, "Converged within", TOLERANCES, key="sw_tolerance", format_func=lambda v: f"{v:g}"
    )

surface = make_surface(surface_name)


def computed(name: str, inputs: dict, text: str, compute):
    """``compute(progress)``, run once per distinct ``inputs`` and kept in the session: other
    widgets rerun the page without running it again. A bar shows if it takes a while."""
    key = json.dumps(inputs, sort_keys=True)
    if ss.get(f"sw_{name}_inputs") != key:
        with progress_bar(text) as report:
            ss[f"sw_{name}_result"] = compute(report)
        ss[f"sw_{name}_inputs"] = key
    return ss[f"sw_{name}_result"]


refused = False
try:
    for axis, key in (("x", x_key), ("y", y_key)):
        problem = axis_problem(key, *ranges[axis])
        if problem:
            raise SpecError(f"{axis} axis: {problem}")
    xs = sweep_axis(*ranges["x"], resolution)
    ys = sweep_axis(*ranges["y"], resolution)
    inputs = {
        "surface": surface_name, "optimizer": optimizer, "x": [x_key, *xs.tolist()], "y": [y_key, *ys.tolist()],
        "steps": steps, "convention": convention, "tolerance": tolerance,
    }  # fmt: skip
    grid = computed(
        "grid", inputs, "Running the grid…",
        lambda report: sweep(
            surface, optimizer, x_key, xs, y_key, ys, steps=steps, convention=convention, tolerance=tolerance,
            progress=report,
        ),
    )  # fmt: skip
except SpecError as error:
    # Bad input changes nothing: the message, beside the last grid that ran.
    st.error(f"Not run: {urlstate.inert(str(error))}")
    if "sw_grid_result" not in ss:
        st.stop()
    st.caption("Showing the last grid that ran (the link keeps it too).")
    grid = ss["sw_grid_result"]
    refused = True

diverged = int((grid.diverged_at >= 0).sum())
reached = int((grid.steps_to_tolerance >= 0).sum())
st.markdown(
    f"**{grid.final_loss.size}** runs of {steps} steps: **{reached}** within {tolerance:g} of the minimum, "
    f"**{diverged}** diverged (red)."
)


def open_in_playground(title: str) -> None:
    points = (ss.get(f"sw_map_{title}") or {}).get("selection", {}).get("points", [])
    if not points:
        return
    x, y = float(points[0]["x"]), float(points[0]["y"])
    spec = format_spec(optimizer, {grid.x_key: x, grid.y_key: y} if grid.x_key != grid.y_key else {grid.x_key: x})
    state = PlaygroundState(surface=surface_name, optimizers=(spec,), steps=steps, convention=convention)
    ss["sw_open"] = to_query(state)


figures = sweep_figures(grid, surface.min_value, font_scale)
# The final loss across the page, the other two maps side by side under it: three in a row
# left each plot ~90 px wide on a 1280 px projector.
columns = [st.container(), *st.columns(len(figures) - 1)]
scene = f"{surface_name} {optimizer} {grid.x_key} {grid.y_key}"
for column, (title, figure) in zip(columns, figures.items(), strict=True):
    charts.show(
        figure, f"sw_map_{title}", charts.export_name("sweep", title, scene), column,
        on_select=lambda title=title: open_in_playground(title), selection_mode="points",
    )  # fmt: skip
    if title == "divergence" and not (grid.diverged_at >= 0).any():
        column.caption(f"No cell diverged in {steps} steps.")
    if title == "steps to converge" and not (grid.steps_to_tolerance >= 0).any():
        column.caption("No cell came within the tolerance.")
if "sw_open" in ss:
    ss["pg_follow_url"] = True  # even a configuration the Playground showed before
    st.switch_page("pages/playground.py", query_params=ss.pop("sw_open"))

st.subheader("Where each start point ends")
st.caption(
    "The same optimizer, with its defaults and the learning rate suggested for this surface, from "
    "every point of a grid: each start is coloured by the minimum its run reaches."
)
basin_spec = suggested_spec(surface_name, optimizer)
basin_resolution = keyed(st.slider, "Start points per axis", 10, 80, key="sw_basin_resolution")
basins = computed(
    "basins",
    {"surface": surface_name, "optimizer": basin_spec, "resolution": basin_resolution, "steps": steps,
     "convention": convention},
    "Running the start points…",
    lambda report: basin_map(surface, basin_spec, basin_resolution, steps, convention=convention, progress=report),
)  # fmt: skip
charts.show(
    basin_figure(surface, basins.xs, basins.ys, basins.basin, font_scale), "sw_basins",
    charts.export_name("sweep", "basins", f"{surface_name} {optimizer}"),
)  # fmt: skip
st.caption(f"Run: `{basin_spec}`, {steps} steps.")
if not refused:  # a link is never a link to an error: it keeps the last grid that ran
    urlstate.store("sweep", URL_FIELDS)
