"""A bank for scrubbing: one quantity of a scenario at many values, computed together.

A user scrubs η of one run, another of its hyperparameters, a parameter of the schedule, or a
coordinate of the start point. :func:`compute_bank` runs the scenario's affected runs at every
value of :func:`bank_values` (at least ``BANK_SIZE`` values, the current one exactly), so the
browser can move between them without asking the server again. No Streamlit or Plotly here.

Which values (the rule the README states):

- a parameter declared ``log`` (η, ε) and any other positive rate: ``BANK_SIZE`` values
  log-spaced over two decades centred on the current value (about a tenth to ten times it),
  20 a decade on one fixed grid (10^(k/20), so a released value is a member of the next bank),
  shifted to stay inside the parameter's range; a page keeps the window in place while the
  user releases the scrub inside it;
- a decay factor in [0, 1] (β, β1, β2, ρ, γ): log-spaced in 1 − value, 15 a decade from 0 to
  0.999, so 0.9, 0.99 and 0.999 are stops;
- an integer (step sizes, warm-up length): the same window, rounded to distinct integers (every
  integer where there are few), within its range and the run's steps;
- a start coordinate: ``BANK_SIZE`` values evenly over the surface's plotting domain, where f
  is defined;
- a schedule's parameter leaves out the values its schedule refuses with the others (a warm-up
  as long as t_max).

Values are rounded to three significant digits (a link then holds ``lr=0.00126``, a value the
control can show); the current value joins the bank exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optim_core import schedules
from optim_core.api import Result, Scenario, parse_optimizer, parse_schedule, simulate
from optim_core.optimizers import OPTIMIZERS
from spec_strings import Param, SpecError, format_spec, resolved
from surfaces import make_surface

BANK_SIZE = 41
DECADES = 2  # the width of a log-spaced bank
PER_DECADE = 20  # its values per decade: 41 over two decades
DECAY_DECADES = 3  # 1 − β reaches down to 10^-3 (β = 0.999)
# Every member of a bank is recorded in full: 18 floats per run and step (engine.check_request).
# 250,000 run-steps is 36 MB, held while the bank is in use: 41 values of one run at 5,000
# steps, or of five runs at 1,200 steps.
MAX_BANK_RUN_STEPS = 250_000


@dataclass(frozen=True)
class Target:
    """What is scrubbed: ``opt2.lr`` (η of the scenario's second optimizer), ``schedule.gamma``,
    ``start.x``. ``run`` counts the scenario's optimizers from 0."""

    kind: str  # "opt", "schedule" or "start"
    name: str  # the parameter's name, or "x" / "y"
    run: int | None = None

    def __str__(self) -> str:
        return f"opt{self.run + 1}.{self.name}" if self.kind == "opt" else f"{self.kind}.{self.name}"


def targets(scenario: Scenario) -> list[Target]:
    """Every quantity of ``scenario`` that can be scrubbed, in the order a page lists them."""
    out = []
    for run, text in enumerate(scenario.optimizers):
        spec = parse_optimizer(text, scenario.convention)
        info = OPTIMIZERS[spec.name]
        skip = info.pytorch_only if scenario.convention == "lecture" else info.lecture_only
        out += [Target("opt", p.name, run) for p in info.params if p.kind == "float" and p.name not in skip]
    sched = parse_schedule(scenario.schedule)
    values = resolved(sched, schedules.PARAMS[sched.name])
    out += [
        Target("schedule", p.name)
        for p in schedules.PARAMS[sched.name]
        if p.kind in ("float", "int") and values[p.name] is not None
    ]
    return [*out, Target("start", "x"), Target("start", "y")]


def parse_target(text: str, scenario: Scenario) -> Target:
    """``text`` as a target of ``scenario`` (raises SpecError naming what is allowed)."""
    allowed = targets(scenario)
    for target in allowed:
        if str(target) == text:
            return target
    shown = ", ".join(str(t) for t in allowed)
    raise SpecError(f"scrub={text[:40]!r} is not a quantity of this scene; allowed: {shown}")


def _round(value: float) -> float:
    return float(f"{value:.3g}")


def _log_grid(centre: float, low: float, high: float, per_decade: int = PER_DECADE) -> np.ndarray:
    """Values 10^(k / per_decade) for whole k over DECADES around ``centre``, the window shifted
    to stay inside [low, high]. The grid does not depend on ``centre``: a value released from one
    bank is a member of the next."""
    half = round(per_decade * DECADES / 2)
    middle = round(math.log10(centre) * per_decade)
    top = math.floor(math.log10(high) * per_decade) if math.isfinite(high) else middle + half
    bottom = math.ceil(math.log10(low) * per_decade) if low > 0 else middle - half
    middle = min(max(middle, bottom + half), top - half)
    ks = np.arange(max(middle - half, bottom), min(middle + half, top) + 1)
    return 10.0 ** (ks / per_decade)


def bank_values(param: Param, current: float, steps: int | None = None, centre: float | None = None) -> np.ndarray:
    """The bank of a hyperparameter or schedule parameter (see the module's rule), sorted.

    ``centre`` (default: ``current``) places a log-spaced window; a page keeps it while the
    user releases the scrub at one value after another, so the slider's range stays put."""
    low = -math.inf if param.low is None else float(param.low)
    high = math.inf if param.high is None else float(param.high)
    centre = current if centre is None else centre
    if param.kind == "int":
        top = high if steps is None else min(high, max(steps, low))
        first = max(low, 1.0)
        window = _log_grid(max(centre, 1.0), first, top)
        if window[-1] - window[0] + 1 <= 2 * BANK_SIZE:  # few integers: every one of them
            values = np.arange(math.ceil(window[0]), math.floor(window[-1]) + 1, dtype=float)
        else:
            per_decade = PER_DECADE
            values = np.unique(np.round(window))
            while values.size < BANK_SIZE:  # rounding merged neighbours: a finer grid
                per_decade *= 2
                values = np.unique(np.round(_log_grid(max(centre, 1.0), first, top, per_decade)))
        values = values[(values >= low) & (values <= top)]
        if low <= 0 <= top and current == 0:
            values = np.union1d([0.0], values)
    elif not param.log and low == 0 and high == 1:
        # 15 stops a decade, so 0.9, 0.99 and 0.999 are members
        gaps = 10.0 ** (-np.arange(0, 15 * DECAY_DECADES + 1) / 15)
        values = np.array([float(f"{1.0 - _round(g):.12g}") for g in gaps])
    else:
        positive_low = low if low > 0 else 1e-12
        # a rate of 0 (ε, η_min): the bank holds 0 and climbs through small rates
        window = _log_grid(centre if centre > 0 else 1e-3, max(positive_low, 1e-12), high)
        values = np.array([_round(v) for v in window])
        if current == 0 or centre <= 0:
            values = np.union1d([0.0], values)
    values = np.array([v for v in np.unique(values) if param.accepts(v)])
    return np.union1d(values, [current]) if param.accepts(current) else values


def window_centre(previous: float | None, current: float) -> float:
    """Where a bank's window stays centred: on ``previous`` while ``current`` lies inside its
    window (a value released from that bank), else on ``current``."""
    if previous is None or previous <= 0 or current <= 0:
        return current
    return previous if abs(math.log10(current / previous)) <= DECADES / 2 else current


def _start(scenario: Scenario) -> np.ndarray:
    """The scenario's start point, or its surface's first."""
    start = make_surface(scenario.surface).starts[0] if scenario.start is None else scenario.start
    return np.asarray(start, dtype=float)


def start_values(scenario: Scenario, coordinate: str) -> np.ndarray:
    """Start coordinates over the plotting domain where the run can leave from, and the current one."""
    surface = make_surface(scenario.surface)
    start = _start(scenario)
    axis = 0 if coordinate == "x" else 1
    x0, x1 = surface.domain[axis]
    values = np.union1d([_round(v) for v in np.linspace(x0, x1, BANK_SIZE)], [float(start[axis])])
    points = np.tile(start, (values.size, 1))
    points[:, axis] = values
    lo, hi = surface.bounds()
    with np.errstate(all="ignore"):
        finite = np.isfinite(surface.value(points[:, 0], points[:, 1]))
    inside = ((points >= lo) & (points <= hi)).all(axis=1)
    return values[finite & inside]


@dataclass
class Bank:
    """The runs of every value of a target. ``where[j, k]`` is (result, row) of the scenario's
    run ``runs[k]`` at ``values[j]``; ``current`` is the index of the scenario's own value."""

    target: Target
    values: np.ndarray
    current: int
    results: list[Result]
    runs: tuple[int, ...]
    where: np.ndarray  # (members, len(runs), 2) of int

    def member(self, j: int, k: int) -> tuple[Result, int]:
        index, row = self.where[j, k]
        return self.results[int(index)], int(row)


def current_value(scenario: Scenario, target: Target) -> float:
    if target.kind == "start":
        return float(_start(scenario)[0 if target.name == "x" else 1])
    if target.kind == "opt":
        spec = parse_optimizer(scenario.optimizers[target.run], scenario.convention)
        return float(resolved(spec, OPTIMIZERS[spec.name].params)[target.name])
    sched = parse_schedule(scenario.schedule)
    return float(resolved(sched, schedules.PARAMS[sched.name])[target.name])


def values_of(scenario: Scenario, target: Target, centre: float | None = None) -> np.ndarray:
    """The bank's values for ``target`` of ``scenario`` (the current value among them);
    ``centre`` as for :func:`bank_values`."""
    if target.kind == "start":
        return start_values(scenario, target.name)
    if target.kind == "opt":
        spec = parse_optimizer(scenario.optimizers[target.run], scenario.convention)
        param = OPTIMIZERS[spec.name].param(target.name)
    else:
        param = next(p for p in schedules.PARAMS[parse_schedule(scenario.schedule).name] if p.name == target.name)
    values = bank_values(param, current_value(scenario, target), scenario.steps, centre)
    values = values.astype(int).astype(float) if param.kind == "int" else values
    if target.kind == "schedule":  # a value the schedule refuses with the others (a warm-up past t_max)
        sched = parse_schedule(scenario.schedule)
        values = np.array([v for v in values if _schedule_runs(sched, target.name, v, param.kind, scenario.steps)])
    return values


def _schedule_runs(sched, name: str, value: float, kind: str, steps: int) -> bool:
    values = resolved(sched, schedules.PARAMS[sched.name])
    values[name] = int(value) if kind == "int" else float(value)
    try:
        schedules.check_schedule(sched.name, values, steps)
    except SpecError:
        return False
    return True


def compute_bank(scenario: Scenario, target: Target, centre: float | None = None) -> Bank:
    """Every value of ``target``'s bank run against the rest of ``scenario`` (validated).

    An optimizer's parameter or a start coordinate is one batch of the engine; a schedule
    parameter is one batch per value (a batch holds one schedule).
    """
    values = values_of(scenario, target, centre)
    current = int(np.flatnonzero(values == current_value(scenario, target))[0])
    runs = (target.run,) if target.kind == "opt" else tuple(range(len(scenario.optimizers)))
    run_steps = values.size * len(runs) * (scenario.steps + 1)
    if run_steps > MAX_BANK_RUN_STEPS:
        raise SpecError(
            f"scrubbing {target} runs {values.size} values × {len(runs)} runs × {scenario.steps} steps "
            f"({run_steps:,} run-steps); at most {MAX_BANK_RUN_STEPS:,}: take fewer steps or runs"
        )
    common = {
        "steps": scenario.steps, "convention": scenario.convention, "seed": scenario.seed,
        "tolerance": scenario.tolerance,
    }  # fmt: skip
    m = values.size
    if target.kind == "opt":
        spec = parse_optimizer(scenario.optimizers[target.run], scenario.convention)
        specs = [
            format_spec(spec.name, {**spec.values, target.name: float(v)}, spec.label) for v in values
        ]  # labels repeat: each member is the same run at another value
        result = simulate(scenario.surface, specs, scenario.start, schedule=scenario.schedule, **common)
        where = np.stack([np.zeros(m, int), np.arange(m)], axis=1)[:, None, :]
        return Bank(target, values, current, [result], runs, where)
    if target.kind == "start":
        points = np.tile(_start(scenario), (m, 1))
        points[:, 0 if target.name == "x" else 1] = values
        result = simulate(scenario.surface, scenario.optimizers, points, schedule=scenario.schedule, **common)
        # simulate runs each optimizer from every start: row = optimizer * m + member
        rows = np.arange(len(runs))[None, :] * m + np.arange(m)[:, None]
        where = np.stack([np.zeros_like(rows), rows], axis=2)
        return Bank(target, values, current, [result], runs, where)
    sched = parse_schedule(scenario.schedule)
    kind = next(p.kind for p in schedules.PARAMS[sched.name] if p.name == target.name)
    results = []
    for v in values:
        schedule = format_spec(sched.name, {**sched.values, target.name: int(v) if kind == "int" else float(v)})
        results.append(simulate(scenario.surface, scenario.optimizers, scenario.start, schedule=schedule, **common))
    rows = np.broadcast_to(np.arange(len(runs))[None, :], (m, len(runs)))
    where = np.stack([np.broadcast_to(np.arange(m)[:, None], rows.shape), rows], axis=2)
    return Bank(target, values, current, results, runs, where)
