"""Reference: every update rule and schedule, in both conventions, from the core's own formulas."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from optim_core.optimizers import CONVENTIONS, NOTES, OPTIMIZERS
from optim_core.schedules import PARAMS, SCHEDULES, preview
from spec_strings import Spec, resolved
from ui import charts, urlstate
from ui.controls import keyed
from ui.figures import schedule_grid_figure
from ui.present import URL_FIELD, header
from ui.routing import route_through_app

route_through_app()

urlstate.warn_ignored(urlstate.restore("reference", [URL_FIELD]))
font_scale = header("Reference")
st.markdown(
    "Every rule below is rendered from the same definitions the optimizer core uses. "
    "**lecture** follows the lecture documents and the original papers; **pytorch** reproduces "
    "`torch.optim` and `torch.optim.lr_scheduler` stepped once per update. "
    "Notation: $g_t = \\nabla L(\\theta_t)$, $k = t + 1$, all state starts at 0."
)


def one_step_a_line(latex: str) -> str:
    """A rule's steps (written "a;\\quad b") one under the other: side by side, the longer rules
    ran past their half of the page at 1280 px and were cut off."""
    steps = [step.strip() for step in re.split(r";\\(?:quad|qquad|\s)", latex)]
    return steps[0] if len(steps) == 1 else r"\begin{gathered}" + r" \\ ".join(steps) + r"\end{gathered}"


st.header("Update rules")
for info in OPTIMIZERS.values():
    st.subheader(info.display_name)
    columns = st.columns(len(CONVENTIONS))
    for column, convention in zip(columns, CONVENTIONS, strict=True):
        with column:
            st.markdown(f"**{convention}**")
            st.latex(one_step_a_line(info.rules[convention]))
            st.caption("Effective learning rate (the factor on today's gradient):")
            st.latex(info.effective_lr[convention])
    keys = ", ".join(f"`{p.name}` = {p.default}" for p in info.params)
    st.caption(f"Spec keys and defaults: {keys}")
    if info.state:
        kept = "; ".join(
            f"`{state.name}`"
            + (f" (pytorch: `{state.pytorch_name}`)" if state.pytorch_name else "")
            + (f" ({state.convention} convention only)" if state.convention else "")
            + f": {state.meaning}"
            for state, _ in info.state
        )
        st.caption(f"State per coordinate: {kept}")
    if info.note:
        st.caption(info.note)

st.header("Where the conventions differ")
differences = [
    {"optimizer": info.display_name, "how pytorch differs from lecture": info.difference or "same rule"}
    for info in OPTIMIZERS.values()
]
st.dataframe(pd.DataFrame(differences), hide_index=True)
for note in NOTES:
    st.markdown(f"- {note}")

st.header("Learning-rate schedules")
# From 100: warm-up's default 50 updates need a cosine part after them.
steps = keyed(st.slider, "Updates shown", 100, 2000, 500, step=50, key="ref_steps")
curves = {
    info.display_name: preview(name, resolved(Spec(name), PARAMS[name]), 0.1, steps)
    for name, info in SCHEDULES.items()
    if name != "plateau"
}
charts.show(schedule_grid_figure(curves, font_scale=font_scale), "ref_schedules", "reference-schedules")
st.caption(
    "Every schedule with its default parameters and base rate η = 0.1, each on its own η axis. "
    "Reduce-on-plateau has no curve of its own: it lowers η when a run's loss stalls, so it is "
    "drawn per run in the Playground."
)
for schedule in SCHEDULES.values():
    st.subheader(schedule.display_name)
    st.latex(schedule.latex)
    st.caption(f"torch: {schedule.torch}")
urlstate.store("reference", [URL_FIELD])
