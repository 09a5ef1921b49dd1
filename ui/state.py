"""The Playground's whole state, and its round trip through the page URL.

Pure functions (no Streamlit), so the tests can check every tampered URL directly. A URL
holds spec strings in the grammar of interface.md:

    ?surface=rosenbrock:a=1&opt=adam:lr=0.05&opt=gd:lr=0.001&start=-1.2,1&steps=500
     &schedule=cosine&conv=lecture&seed=0&step=250&present=1&scrub=opt1.lr

A part that does not parse is ignored and named in a warning; the rest of the URL still
applies, and anything ignored falls back to its default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from optim_core.api import SEED, STEPS, Scenario, parse_optimizer, parse_schedule, suggested_spec
from optim_core.optimizers import CONVENTIONS
from optim_core.scrub import parse_target
from spec_strings import Param, SpecError, echo
from surfaces import make_surface, parse_surface_spec
from ui import tutorial
from ui.tutorial import Tutorial

DEFAULT_OPTIMIZERS = ("gd", "momentum", "adagrad", "rmsprop", "adam")
MAX_RUNS = 12
# The Playground draws every step of every run: it takes fewer steps than a scenario may hold.
# One range for its link, its uploads and its Steps control.
PLAYGROUND_STEPS = replace(STEPS, high=5000)
# The first picture: the lecture's sparse-feature neuron, chosen by measuring (500 steps, the
# suggested rates, tests/test_app.py asserts it): RMSprop gets within the tolerance (step 453),
# AdaGrad's rate falls 32x along w and 81x along b, GD barely moves along the sparse w. On
# Rosenbrock every default run stalled mid-valley (final loss 0.10-0.24) and AdaGrad's rate was
# flat after 5 steps. It costs 15 ms a run and 15 ms for its contour grid (2026-12-03).
DEFAULT_SURFACE = "sparse_dense"
# The Sweep page's first picture, chosen by measuring (issue #14): momentum on Himmelblau, η
# from the rate suggested for it to 3,000 times that (its MEASURED_RANGES). 59 % of the 2,500
# cells come within the tolerance, 9 % diverge, the fastest sit beside the edge where it
# diverges, and the basin map shows the four minima. The rule of default_range left this map
# with 19 % converged and none diverged; Rosenbrock, the default before, had 2 % and 10 %.
# Here, not in the page: the warm-up after a server's first page compiles what its start-point
# map needs (ui.warm.warm_everything).
SWEEP_DEFAULTS = {
    "sw_surface": "himmelblau", "sw_optimizer": "momentum", "sw_convention": "lecture", "sw_resolution": 50,
    "sw_steps": 500, "sw_tolerance": 1e-4, "sw_basin_resolution": 40,
}  # fmt: skip
KEYS = (
    "surface",
    "opt",
    "start",
    "steps",
    "schedule",
    "conv",
    "seed",
    "step",
    "present",
    "scrub",
    *tutorial.PLAYGROUND_KEYS,
)


@dataclass(frozen=True)
class PlaygroundState:
    surface: str = DEFAULT_SURFACE
    optimizers: tuple[str, ...] = ()  # empty: the defaults with the surface's suggested rates
    start: tuple[float, float] | None = None  # None: the surface's first start point
    steps: int = 500
    schedule: str = "constant"
    convention: str = "lecture"
    seed: int = 0
    selected_step: int | None = None  # the step the arrows inspect (None: the last)
    presentation: bool = False
    scrub: str | None = None  # the quantity the scrub slider moves (optim_core.scrub.Target), if any
    tutorial: Tutorial = field(default_factory=Tutorial)  # a lecturer's link: title line, hidden controls, one view

    def resolved_optimizers(self) -> tuple[str, ...]:
        if self.optimizers:
            return self.optimizers
        return default_optimizers(self.surface)

    def scenario(self) -> Scenario:
        return Scenario(
            surface=self.surface,
            optimizers=list(self.resolved_optimizers()),
            start=self.start,
            steps=self.steps,
            schedule=self.schedule,
            convention=self.convention,
            seed=self.seed,
        )

    @classmethod
    def from_scenario(cls, scenario: Scenario, **ui) -> PlaygroundState:
        return cls(
            surface=scenario.surface,
            optimizers=tuple(scenario.optimizers),
            start=None if scenario.start is None else tuple(scenario.start),
            steps=scenario.steps,
            schedule=scenario.schedule,
            convention=scenario.convention,
            seed=scenario.seed,
            **ui,
        )


def default_optimizers(surface: str) -> tuple[str, ...]:
    """The default set of optimizers, each at the rate suggested for the surface."""
    return tuple(suggested_spec(surface, optimizer) for optimizer in DEFAULT_OPTIMIZERS)


@dataclass
class Parsed:
    state: PlaygroundState
    ignored: list[str] = field(default_factory=list)  # one human sentence per ignored part


def from_query(params: dict[str, list[str]]) -> Parsed:
    """Read a state from query parameters (each key -> all its values); never raises."""
    state = PlaygroundState()
    ignored: list[str] = []

    def single(key: str) -> str | None:
        return tutorial.first_value(params, key, ignored)

    for key in params:
        if key not in KEYS:
            ignored.append(f"unknown parameter {echo(key, 30)}")
    surface = single("surface")
    if surface is not None:
        try:
            make_surface(surface)
            state = replace(state, surface=str(parse_surface_spec(surface)))
        except SpecError as error:
            ignored.append(f"surface: {error}")
    convention = single("conv")
    if convention is not None:
        if convention in CONVENTIONS:
            state = replace(state, convention=convention)
        else:
            ignored.append(f"conv: {echo(convention)} is not one of {', '.join(CONVENTIONS)}")
    optimizers = []
    for text in (params.get("opt") or [])[:MAX_RUNS]:
        try:
            optimizers.append(str(parse_optimizer(text, state.convention)))
        except SpecError as error:
            ignored.append(f"opt: {error}")
    if len(params.get("opt") or []) > MAX_RUNS:
        ignored.append(f"opt: at most {MAX_RUNS} optimizers, the rest were dropped")
    if optimizers:
        state = replace(state, optimizers=tuple(optimizers))
    start = single("start")
    if start is not None:
        point = _parse_point(start)
        if point is None:
            ignored.append(f"start: {echo(start)} is not x,y (two finite numbers)")
        elif not _inside(state.surface, point):
            ignored.append(f"start: ({point[0]:g}, {point[1]:g}) lies outside the surface's bounds")
        else:
            state = replace(state, start=point)
    steps = _parse_int(single("steps"), PLAYGROUND_STEPS, ignored)
    if steps is not None:
        state = replace(state, steps=steps)
    schedule = single("schedule")
    if schedule is not None:
        try:
            spec = parse_schedule(schedule)
            state = replace(state, schedule=str(spec))
            state.scenario().validate()
        except SpecError as error:
            state = replace(state, schedule="constant")
            ignored.append(f"schedule: {error}")
    seed = _parse_int(single("seed"), SEED, ignored)
    if seed is not None:
        state = replace(state, seed=seed)
    selected = _parse_int(single("step"), Param("step", None, kind="int", low=0, high=state.steps), ignored)
    if selected is not None:
        state = replace(state, selected_step=selected)
    present = single("present")
    if present is not None:
        if present in ("0", "1"):
            state = replace(state, presentation=present == "1")
        else:
            ignored.append(f"present: {echo(present)} is not 0 or 1")
    state, ignored = _runnable(state, ignored)
    tutor, tutor_ignored = tutorial.parse({key: params[key] for key in tutorial.PLAYGROUND_KEYS if key in params})
    state = replace(state, tutorial=tutor)
    ignored += tutor_ignored
    scrub = single("scrub")
    if scrub is not None:
        try:
            state = replace(state, scrub=str(parse_target(scrub, state.scenario())))
        except SpecError as error:
            ignored.append(str(error))
    return Parsed(state, ignored)


def _runnable(state: PlaygroundState, ignored: list[str]) -> tuple[PlaygroundState, list[str]]:
    """The state, or the nearest one that runs: a link is never a link to an error.

    Each part may be valid alone and the whole still not run (a typed function undefined at
    its default start, say): drop the start, then the surface, then everything.
    """
    fallbacks = [
        replace(state, start=None),
        replace(state, surface=PlaygroundState.surface, start=None, optimizers=()),
        PlaygroundState(),
    ]
    try:
        state.scenario().validate()
        return state, ignored
    except SpecError as error:
        reason = str(error)
    for fallback in fallbacks:
        try:
            fallback.scenario().validate()
        except SpecError:
            continue
        return fallback, [*ignored, f"the link's settings do not run ({reason}); parts were reset"]
    return PlaygroundState(), ignored


def to_query(state: PlaygroundState) -> dict[str, str | list[str]]:
    """The query parameters that reproduce ``state`` (defaults left out, to keep links short)."""
    out: dict[str, str | list[str]] = {"surface": state.surface}
    if state.optimizers:
        out["opt"] = list(state.optimizers)
    if state.start is not None:
        out["start"] = f"{state.start[0]!r},{state.start[1]!r}"
    if state.steps != 500:
        out["steps"] = str(state.steps)
    if state.schedule != "constant":
        out["schedule"] = state.schedule
    if state.convention != "lecture":
        out["conv"] = state.convention
    if state.seed:
        out["seed"] = str(state.seed)
    if state.selected_step is not None:
        out["step"] = str(state.selected_step)
    if state.presentation:
        out["present"] = "1"
    if state.scrub is not None:
        out["scrub"] = state.scrub
    out.update(state.tutorial.query())
    return out


def _parse_point(text: str) -> tuple[float, float] | None:
    parts = text.split(",")
    if len(parts) != 2:
        return None
    try:
        x, y = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    return (x, y) if math.isfinite(x) and math.isfinite(y) else None


def _inside(surface: str, point: tuple[float, float]) -> bool:
    lo, hi = make_surface(surface).bounds()
    return bool(lo[0] <= point[0] <= hi[0] and lo[1] <= point[1] <= hi[1])


def _parse_int(text: str | None, param: Param, ignored: list[str]) -> int | None:
    if text is None:
        return None
    try:
        return param.convert(text, "link")
    except SpecError as error:
        ignored.append(str(error).removeprefix("link: "))
        return None
