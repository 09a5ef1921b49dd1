"""The optimizer core: update rules, schedules, the batched engine, spec parsing, CLI.

Imports neither streamlit nor plotly. The public names are loaded lazily so that
``optim_core.spec`` (used by ``surfaces``) can be imported without the engine.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "simulate": "optim_core.api",
    "sweep": "optim_core.api",
    "Result": "optim_core.api",
    "Scenario": "optim_core.api",
    "SweepResult": "optim_core.api",
    "parse_optimizer": "optim_core.api",
    "parse_schedule": "optim_core.api",
    "SpecError": "optim_core.spec",
    "Spec": "optim_core.spec",
    "parse_spec": "optim_core.spec",
    "OPTIMIZERS": "optim_core.optimizers",
    "CONVENTIONS": "optim_core.optimizers",
    "SCHEDULES": "optim_core.schedules",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'optim_core' has no attribute {name!r}")
