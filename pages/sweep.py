"""Sweep: one optimizer over a grid of two hyperparameters, and the basins of its start points."""

from __future__ import annotations

import json

import numpy as np
import streamlit as st

from optim_core.api import basin_map, sweep
from optim_core.optimizers import CONVENTIONS, OPTIMIZERS
from optim_core.spec import SpecError, format_spec
from surfaces import CATALOG, make_surface
from ui.figures import basin_figure, sweep_figures
from ui.routing import route_through_app
from ui.state import PlaygroundState, to_query

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
}
# Work above this many run-steps gets a progress bar (about a second on the 2-core machine).
PROGRESS_ABOVE = 20_000_000

st.title("Sweep")
st.caption(
    "One optimizer over a grid of two hyperparameters, run as one batch. Click a cell to open "
    "that configuration in the Playground."
)

with st.sidebar:
    surface_name = st.selectbox(
        "Surface",
        [name for name in CATALOG if name != "custom"],
        key="sw_surface",
        format_func=lambda name: CATALOG[name].info.display_name,
    )
    optimizer = st.selectbox(
        "Optimizer", list(OPTIMIZERS), index=1, key="sw_optimizer", format_func=lambda n: OPTIMIZERS[n].display_name
    )
    convention = st.radio("Convention", CONVENTIONS, key="sw_convention", horizontal=True)
    keys = [p.name for p in OPTIMIZERS[optimizer].params if p.name in RANGES]
    if convention == "lecture":
        keys = [k for k in keys if k != "momentum_decay"]
    x_key = st.selectbox("x axis", keys, index=0, key=f"sw_x_{optimizer}")
    y_choices = [k for k in keys if k != x_key] or [x_key]
    y_key = st.selectbox("y axis", y_choices, index=0, key=f"sw_y_{optimizer}")
    ranges = {}
    suggested = CATALOG[surface_name].info.suggested.get(optimizer, {}).get("lr")
    for axis, key in (("x", x_key), ("y", y_key)):
        low, high = RANGES[key]
        if key == "lr" and suggested:
            # Two decades below the rate suggested for this surface to one above it.
            low, high = float(f"{suggested / 100:.2g}"), float(f"{min(suggested * 10, 1000.0):.2g}")
        left, right = st.columns(2)
        widget = f"sw_{axis}_{key}_{surface_name}_{optimizer}"
        ranges[axis] = (
            left.number_input(f"{key} from", value=low, key=f"{widget}_low", format="%.4g"),
            right.number_input(f"{key} to", value=high, key=f"{widget}_high", format="%.4g"),
        )
    resolution = st.slider("Cells per axis", 5, 80, 50, key="sw_resolution")
    steps = st.slider("Steps", 10, 2000, 500, step=10, key="sw_steps")
    tolerance = st.select_slider(
        "Converged within",
        [1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1],
        value=1e-4,
        key="sw_tolerance",
        format_func=lambda v: f"{v:g}",
    )

surface = make_surface(surface_name)


def axis_values(key: str, low: float, high: float) -> np.ndarray:
    """Log-spaced where the range spans decades, linear otherwise."""
    if low > 0 and high / low >= 50:
        return np.geomspace(low, high, resolution)
    return np.linspace(low, high, resolution)


try:
    for axis, key in (("x", x_key), ("y", y_key)):
        low, high = ranges[axis]
        if not low < high:
            raise SpecError(f"{axis} axis: '{key} from' must be below '{key} to'")
    xs = axis_values(x_key, *ranges["x"])
    ys = axis_values(y_key, *ranges["y"])
    inputs = {
        "surface": surface_name, "optimizer": optimizer, "x": [x_key, *xs.tolist()], "y": [y_key, *ys.tolist()],
        "steps": steps, "convention": convention, "tolerance": tolerance,
    }  # fmt: skip
    key = json.dumps(inputs, sort_keys=True)
    if ss.get("sw_cache_key") != key:
        work = resolution * resolution * steps
        bar = st.progress(0.0, text="Running the grid…") if work > PROGRESS_ABOVE else None
        grid = sweep(
            surface, optimizer, x_key, xs, y_key, ys, steps=steps, convention=convention, tolerance=tolerance,
            progress=(lambda done: bar.progress(min(done, 1.0), text="Running the grid…")) if bar else None,
        )  # fmt: skip
        if bar:
            bar.empty()
        ss["sw_cache_key"], ss["sw_grid"] = key, grid
    grid = ss["sw_grid"]
except SpecError as error:
    st.error(f"Not run: {error}")
    st.stop()

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
    spec = format_spec(optimizer, {x_key: x, y_key: y} if x_key != y_key else {x_key: x})
    state = PlaygroundState(surface=surface_name, optimizers=(spec,), steps=steps, convention=convention)
    ss["sw_open"] = to_query(state)


figures = sweep_figures(grid, surface.min_value)
columns = st.columns(len(figures))
for column, (title, figure) in zip(columns, figures.items(), strict=True):
    with column:
        st.plotly_chart(
            figure,
            key=f"sw_map_{title}",
            on_select=lambda title=title: open_in_playground(title),
            selection_mode="points",
        )
if "sw_open" in ss:
    ss["pg_follow_url"] = True  # even a configuration the Playground showed before
    st.switch_page("pages/playground.py", query_params=ss.pop("sw_open"))

st.subheader("Where each start point ends")
st.caption(
    "The same optimizer, with its defaults and the learning rate suggested for this surface, from "
    "every point of a grid: each start is coloured by the minimum its run reaches."
)
lr = CATALOG[surface_name].info.suggested.get(optimizer, {}).get("lr")
basin_spec = optimizer if lr is None else f"{optimizer}:lr={lr!r}"
basin_resolution = st.slider("Start points per axis", 10, 80, 40, key="sw_basin_resolution")
basins = basin_map(surface, basin_spec, basin_resolution, steps, convention=convention)
st.plotly_chart(basin_figure(surface, basins.xs, basins.ys, basins.basin), key="sw_basins")
st.caption(f"Run: `{basin_spec}`, {steps} steps.")
