"""Cached calls into the core, keyed by plain values (the boundary where caching belongs)."""

from __future__ import annotations

import streamlit as st

from optim_core.api import Result, Scenario
from surfaces import make_surface


@st.cache_data(max_entries=64, show_spinner=False)
def run_scenario(scenario_json: str) -> Result:
    """Run a validated scenario (given as its JSON, a plain hashable value)."""
    return Scenario.from_json(scenario_json).run()


@st.cache_data(max_entries=64, show_spinner=False)
def surface_grid(surface_spec: str, resolution: int = 120):
    """The contour grid of a surface: it does not change when only optimizers change."""
    return make_surface(surface_spec).grid(resolution)


@st.cache_data(max_entries=16, show_spinner=False)
def table_csv(scenario_json: str) -> str:
    """The tidy table of a scenario as CSV, for the download button (built once per scenario)."""
    return run_scenario(scenario_json).to_frame().to_csv(index=False)


@st.cache_data(max_entries=32, show_spinner=False)
def run_lesson(key: str, counter: bool = False, step_scale: float = 1.0):
    """The results of a lesson's presets and its measurement (pure, so cached by key)."""
    from optim_core.lessons import LESSONS

    lesson = next(item for item in LESSONS if item.key == key)
    if counter:
        lesson = lesson.counter
    results = lesson.run(step_scale)
    return results, lesson.measure(results)
