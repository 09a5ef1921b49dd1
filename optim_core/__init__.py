"""The optimizer core: update rules, schedules, the batched engine, the API and the CLI.

Imports neither streamlit nor plotly. The spec grammar lives in ``spec_strings``, a leaf that
``surfaces`` uses too, so nothing here is imported lazily.
"""

from __future__ import annotations

from optim_core.api import Result, Scenario, SweepResult, parse_optimizer, parse_schedule, simulate, sweep
from optim_core.optimizers import CONVENTIONS, OPTIMIZERS
from optim_core.schedules import SCHEDULES
from spec_strings import Spec, SpecError, parse_spec

__all__ = [
    "CONVENTIONS", "OPTIMIZERS", "SCHEDULES", "Result", "Scenario", "Spec", "SpecError",
    "SweepResult", "parse_optimizer", "parse_schedule", "parse_spec", "simulate", "sweep",
]  # fmt: skip
