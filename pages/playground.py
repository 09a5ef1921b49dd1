"""Playground: one surface, any set of optimizers side by side, their paths and losses."""

from __future__ import annotations

import streamlit as st

from optim_core.api import Scenario
from optim_core.optimizers import CONVENTIONS, OPTIMIZERS
from optim_core.spec import SpecError, format_spec
from surfaces import CATALOG, make_surface
from ui.compute import run_scenario, surface_grid
from ui.controls import param_control
from ui.figures import contour_figure, loss_figure

DEFAULT_OPTIMIZERS = ["gd", "momentum", "adagrad", "rmsprop", "adam"]

st.title("Playground")

with st.sidebar:
    surface_name = st.selectbox(
        "Surface",
        list(CATALOG),
        key="pg_surface",
        format_func=lambda name: CATALOG[name].info.display_name,
    )
    info = CATALOG[surface_name].info
    surface_values = {}
    with st.expander("Surface parameters", expanded=surface_name == "custom"):
        for param in info.params:
            key = f"pg_s_{surface_name}_{param.name}"
            surface_values[param.name] = param_control(param, key, param.default)
    chosen = st.multiselect(
        "Optimizers",
        list(OPTIMIZERS),
        default=DEFAULT_OPTIMIZERS,
        key="pg_optimizers",
        format_func=lambda name: OPTIMIZERS[name].display_name,
    )
    convention = st.radio("Convention", CONVENTIONS, key="pg_convention", horizontal=True)
    steps = st.slider("Steps", 10, 2000, 500, step=10, key="pg_steps")
    optimizer_specs = []
    for name in chosen:
        opt = OPTIMIZERS[name]
        suggested = info.suggested.get(name, {})
        with st.expander(f"{opt.display_name}", expanded=False):
            values = {}
            for param in opt.params:
                if param.name in (opt.pytorch_only if convention == "lecture" else opt.lecture_only):
                    continue
                default = suggested.get(param.name, param.default)
                # One set of settings per surface, starting from the rates suggested for it.
                key = f"pg_o_{surface_name}_{name}_{param.name}"
                values[param.name] = param_control(param, key, default, label=param.doc)
        optimizer_specs.append(format_spec(name, values))

if not optimizer_specs:
    st.info("Choose at least one optimizer in the sidebar to see its path.")
    st.stop()

try:
    surface_spec = format_spec(surface_name, surface_values)
    scenario = Scenario(
        surface=surface_spec,
        optimizers=optimizer_specs,
        steps=steps,
        convention=convention,
    ).validate()
    st.session_state["pg_last_valid"] = (surface_spec, scenario.to_json())
except SpecError as error:
    # Bad input changes nothing: say what is wrong and keep showing the last valid settings.
    st.error(f"Not applied: {error}")
    if "pg_last_valid" not in st.session_state:
        st.stop()
    st.caption("Showing the last valid settings.")
surface_spec, scenario_json = st.session_state["pg_last_valid"]
surface = make_surface(surface_spec)
result = run_scenario(scenario_json)

left, right = st.columns([3, 2])
with left:
    st.plotly_chart(contour_figure(surface, result, grid=surface_grid(surface_spec)), key="pg_contour")
with right:
    st.plotly_chart(loss_figure(result), key="pg_loss")
    st.caption(info.notes)
st.dataframe(result.summary().drop(columns=["run"]), hide_index=True)
