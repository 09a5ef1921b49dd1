"""Cached calls into the core, keyed by plain values (the boundary where caching belongs).

Every result shares one budget of bytes (:mod:`ui.cache`), oldest out first.
"""

from __future__ import annotations

from optim_core.api import Result, Scenario
from optim_core.scrub import Bank, compute_bank, parse_target
from surfaces import make_surface
from ui.cache import CACHE


@CACHE.memoize
def run_scenario(scenario_json: str) -> Result:
    """Run a validated scenario (given as its JSON, a plain hashable value)."""
    return Scenario.from_json(scenario_json).run()


@CACHE.memoize
def surface_grid(surface_spec: str, resolution: int = 120):
    """The contour grid of a surface: it does not change when only optimizers change."""
    return make_surface(surface_spec).grid(resolution)


@CACHE.memoize
def table_csv(scenario_json: str) -> str:
    """The tidy table of a scenario as CSV, for the download button (built once per scenario)."""
    return run_scenario(scenario_json).to_frame().to_csv(index=False)


@CACHE.memoize
def run_lesson(key: str, step_scale: float = 1.0):
    """The results of a lesson's (or a counter-case's) presets and its measurement, by key."""
    from optim_core.lessons import LESSONS

    every = [*LESSONS, *(item.counter for item in LESSONS if item.counter is not None)]
    lesson = next(item for item in every if item.key == key)
    results = lesson.run(step_scale)
    return results, lesson.measure(results)


@CACHE.memoize
def scrub_bank(scenario_json: str, target: str, centre: float | None = None) -> Bank:
    """The runs of every value a scrub of ``target`` offers (raises SpecError if it cannot)."""
    scenario = Scenario.from_json(scenario_json)
    return compute_bank(scenario, parse_target(target, scenario), centre)


@CACHE.memoize
def scrub_view(
    scenario_json: str, target: str, title: str, charts: tuple, centre: float | None = None, send: bool = True
):
    """The scrub component's data and the axis extents the charts hold while it moves them
    (``charts``: the (view, key) or (view, (key, tag)) pairs of ui.scrub.payload)."""
    from ui.scrub import extents, payload

    bank = scrub_bank(scenario_json, target, centre)
    return payload(bank, run_scenario(scenario_json), title, dict(charts), send), extents(bank)
