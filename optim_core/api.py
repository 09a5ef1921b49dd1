"""The Python API: simulate, sweep, Result, Scenario.

``simulate("rosenbrock", ["gd:lr=0.001", "adam:lr=0.05"], start=(-1.2, 1), steps=500)``
runs every optimizer spec side by side from one start point (or from each of several) and
returns a :class:`Result` with arrays shaped (runs, steps + 1, 2), per-run status and a tidy
DataFrame. ``sweep`` runs one optimizer over a grid of two hyperparameters as one batch in
summary mode.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pandas (70 MB of a server's memory) is imported by the tables that need it
    import pandas as pd

from optim_core import engine, schedules
from optim_core.optimizers import CONVENTIONS, OPTIMIZERS, ORDER
from optim_core.optimizers import PARAMS as OPTIMIZER_PARAMS
from spec_strings import Param, Spec, SpecError, build_spec, parse_spec, resolved
from surfaces import CATALOG, Surface, make_surface

DEFAULT_TOLERANCE = 1e-6
# The ranges of a scenario's plain values, declared once for the API, the command line and the
# scenario file (the Playground narrows steps to what it can draw: ui.state.PLAYGROUND_STEPS).
STEPS = Param("steps", 500, "number of updates", kind="int", low=1, high=engine.MAX_STEPS)
SEED = Param("seed", 0, "seed of the gradient noise and the mini-batches", kind="int", low=0, high=2**32 - 1)
TOLERANCE = Param(
    "tolerance", DEFAULT_TOLERANCE, "loss gap to the minimum that counts as converged", low=0, high=1e6, low_open=True
)
MAX_OPTIMIZERS = 12
MAX_SCENARIO_BYTES = 64_000
MAX_SCENARIO_DEPTH = 8


def parse_optimizer(text: str | Spec, convention: str = "lecture") -> Spec:
    """Parse an optimizer spec and check its keys against the convention."""
    spec = text if isinstance(text, Spec) else parse_spec(text, "optimizer", OPTIMIZER_PARAMS, allow_label=True)
    info = OPTIMIZERS[spec.name]
    check_convention(convention)
    other = info.pytorch_only if convention == "lecture" else info.lecture_only
    for key in other:
        if key in spec.values:
            wanted = "pytorch" if convention == "lecture" else "lecture"
            raise SpecError(f"optimizer {spec.name}: {key} exists only in the {wanted} convention")
    return spec


def parse_schedule(text: str | Spec | None) -> Spec:
    if text is None or text == "":
        return Spec("constant")
    if isinstance(text, Spec):
        return text
    return parse_spec(text, "schedule", schedules.PARAMS)


def starting_rate(surface: str, optimizer: str) -> float:
    """The rate a run of ``optimizer`` starts from on ``surface`` (a catalog name): the one
    suggested for it (surfaces/suggested.py), else the optimizer's default."""
    cls = CATALOG.get(surface.split(":")[0])
    suggested = cls.info.suggested_lr(optimizer) if cls is not None else None
    return suggested if suggested is not None else float(OPTIMIZERS[optimizer].default("lr"))


def suggested_spec(surface: str, optimizer: str) -> str:
    """``optimizer`` at the rate suggested for ``surface``, or plain (its defaults) if none is."""
    cls = CATALOG.get(surface.split(":")[0])
    lr = cls.info.suggested_lr(optimizer) if cls is not None else None
    return optimizer if lr is None else f"{optimizer}:lr={lr!r}"


def check_convention(convention: str) -> None:
    if convention not in CONVENTIONS:
        raise SpecError(f"unknown convention {convention!r:.40}; allowed: {', '.join(CONVENTIONS)}")


def _as_surface(surface: str | Spec | Surface) -> Surface:
    return surface if isinstance(surface, Surface) else make_surface(surface)


def _starts(start: Any) -> np.ndarray:
    try:
        points = np.asarray(start, dtype=float).reshape(-1, 2)
    except (TypeError, ValueError):
        raise SpecError(f"start must be a point (x, y) or a list of points, got {start!r:.60}") from None
    if points.size == 0 or not np.all(np.isfinite(points)):
        raise SpecError("start must hold finite numbers")
    return points


def check_starts(surface: Surface, points: np.ndarray) -> None:
    """Refuse start points a run could not leave from: outside the followed box, or where f is undefined."""
    lo, hi = surface.bounds()
    outside = ~((points >= lo) & (points <= hi)).all(axis=1)
    if outside.any():
        x, y = points[outside][0]
        raise SpecError(
            f"the start point ({x:.6g}, {y:.6g}) lies outside the region where runs are followed: "
            f"x in [{lo[0]:g}, {hi[0]:g}], y in [{lo[1]:g}, {hi[1]:g}]"
        )
    undefined = ~np.isfinite(surface.value(points[:, 0], points[:, 1]))
    if undefined.any():
        x, y = points[undefined][0]
        raise SpecError(
            f"f is undefined at the start point ({x:.6g}, {y:.6g}); choose a start where it has a finite value"
        )


@dataclass(frozen=True)
class RunInfo:
    optimizer: str
    label: str
    spec: str
    start: tuple[float, float]
    hyper: dict[str, Any]


class Runs(Sequence):
    """The runs of a :class:`Result` in order: every optimizer spec from every start point.

    A RunInfo is made when one is read, not for every run up front: building one object per
    run took half of ``simulate``'s time in a 20,000-run batch (3.6 µs a run against 7 ns
    per run-step of the loop itself)."""

    def __init__(self, specs: list[tuple[str, str, str, dict[str, Any]]], points: np.ndarray):
        self.specs = specs  # (optimizer, label, spec text, hyperparameters), one per spec
        self.points = points  # (starts, 2)

    def __len__(self) -> int:
        return len(self.specs) * len(self.points)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError("run index out of range")
        spec, point = divmod(index % len(self), len(self.points))
        optimizer, label, text, hyper = self.specs[spec]
        x, y = self.points[point]
        return RunInfo(optimizer, label, text, (float(x), float(y)), hyper)

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, Sequence)
            and len(self) == len(other)
            and all(a == b for a, b in zip(self, other, strict=True))
        )

    def __repr__(self) -> str:
        return f"Runs({len(self.specs)} specs × {len(self.points)} starts)"


@dataclass
class Result:
    """The outcome of :func:`simulate`: arrays per run and step, statuses, tidy table."""

    surface: Surface
    runs: Sequence[RunInfo]
    steps: int
    convention: str
    schedule: Spec
    seed: int
    tolerance: float
    outcome: engine.Outcome

    # ----- the app's figures -----------------------------------------------------------------
    def figure(self, view: str = "contour", font_scale: float = 1.0, step: int | None = None):
        """The Plotly figure the app draws for ``view``: "contour", "loss", "distance",
        "effective_lr", "3d" or "step" (the update at ``step``, the last by default).

        Plotly is loaded here, on first use: the core itself never imports it."""
        from ui.figures import view_figure

        return view_figure(self, view, font_scale, step)

    def animation(self, font_scale: float = 1.0):
        """The contour with the race, animated: play button and step slider included."""
        from ui.figures import animation_figure

        return animation_figure(self, font_scale)

    # ----- arrays shaped (runs, steps + 1, 2) or (runs, steps + 1) ---------------------------
    @property
    def recording(self) -> engine.Recording:
        if self.outcome.recording is None:
            raise ValueError("this result was computed in summary mode; run with record=True for paths")
        return self.outcome.recording

    @property
    def positions(self) -> np.ndarray:
        return self.recording.position.transpose(2, 0, 1)

    @property
    def loss(self) -> np.ndarray:
        return self.recording.loss.T

    @property
    def gradients(self) -> np.ndarray:
        """(runs, steps, 2): the gradient each update used."""
        return self.recording.grad.transpose(2, 0, 1)

    @property
    def lr(self) -> np.ndarray:
        """(runs, steps): η_t of each update."""
        return self.recording.lr.T

    @property
    def effective_lr(self) -> np.ndarray:
        """(runs, steps, 2): the factor on today's gradient, per coordinate."""
        return self.recording.effective_lr.transpose(2, 0, 1)

    @property
    def step_ratio(self) -> np.ndarray:
        """(runs, steps, 2): realised |θ_{t+1} − θ_t| / |g_t| per coordinate."""
        rec = self.recording
        with np.errstate(all="ignore"):
            ratio = np.abs(np.diff(rec.position, axis=0)) / np.abs(rec.grad)
        return ratio.transpose(2, 0, 1)

    def state(self, run: int) -> dict[str, np.ndarray]:
        """The named optimizer state of one run, each (steps + 1, 2)."""
        rec, kind = self.recording, self.runs[run].optimizer
        slots = (None, *(rec.state[:, i, :, run] for i in range(rec.state.shape[1])))
        return dict(OPTIMIZERS[kind].state_of(self.convention, slots))

    # ----- per run ---------------------------------------------------------------------------
    @property
    def valid_rows(self) -> np.ndarray:
        """How many rows (steps + 1 at most) each run has before it diverged."""
        diverged = self.outcome.diverged_at
        return np.where(diverged >= 0, diverged, self.steps + 1)

    def status(self, run: int) -> str:
        k = int(self.outcome.diverged_at[run])
        if k >= 0:
            return f"diverged at step {k}"
        if self.outcome.steps_to_tolerance[run] >= 0:
            return "converged"
        return "ok"

    def summary(self) -> pd.DataFrame:
        """:meth:`summary_rows` as a DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.summary_rows())

    def summary_rows(self) -> list[dict[str, Any]]:
        """One dict per run: where it ended, its losses, when it reached the tolerance, its status."""
        out = self.outcome
        rows = []
        for i, info in enumerate(self.runs):
            reached = int(out.steps_to_tolerance[i])
            diverged = int(out.diverged_at[i])
            rows.append(
                {
                    "run": i,
                    "optimizer": info.optimizer,
                    "label": info.label,
                    "final_x": float(out.final_position[0, i]),
                    "final_y": float(out.final_position[1, i]),
                    "final_loss": float(out.final_loss[i]),
                    "best_loss": float(out.best_loss[i]),
                    "steps_to_tolerance": reached if reached >= 0 else None,
                    "diverged_at": diverged if diverged >= 0 else None,
                    "status": self.status(i),
                }
            )
        return rows

    def to_frame(self) -> pd.DataFrame:
        """The tidy table of interface.md: one row per run and step; diverged runs end early."""
        import pandas as pd

        frames = []
        minimum = self.surface.min_value
        threshold = -np.inf if minimum is None else minimum + self.tolerance
        pos, loss, grad = self.positions, self.loss, self.gradients
        lr, eff = self.lr, self.effective_lr
        for i, info in enumerate(self.runs):
            n = int(self.valid_rows[i])
            steps = np.arange(n)
            gradient = np.full((n, 2), np.nan)
            gradient[: min(n, self.steps)] = grad[i, : min(n, self.steps)]
            rate = np.concatenate([[np.nan], lr[i, : n - 1]])
            effective = np.concatenate([np.full((1, 2), np.nan), eff[i, : n - 1]])
            with np.errstate(invalid="ignore"):
                status = np.where(loss[i, :n] <= threshold, "converged", "ok").astype(object)
            if self.outcome.diverged_at[i] >= 0:
                status[-1] = "diverged"
            frames.append(
                pd.DataFrame(
                    {
                        "run": i,
                        "optimizer": info.optimizer,
                        "label": info.label,
                        "step": steps,
                        "x": pos[i, :n, 0],
                        "y": pos[i, :n, 1],
                        "loss": loss[i, :n],
                        "grad_x": gradient[:, 0],
                        "grad_y": gradient[:, 1],
                        "lr": rate,
                        "eff_lr_x": effective[:, 0],
                        "eff_lr_y": effective[:, 1],
                        "status": status,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)


def _label(spec: Spec, taken: set[str]) -> str:
    label = spec.label or spec.name
    base, n = label, 2
    while label in taken:
        label = f"{base} ({n})"
        n += 1
    taken.add(label)
    return label


def simulate(
    surface: str | Spec | Surface,
    optimizers: Sequence[str | Spec],
    start: Any = None,
    steps: int = 500,
    schedule: str | Spec | None = None,
    convention: str = "lecture",
    seed: int = 0,
    tolerance: float = DEFAULT_TOLERANCE,
    record: bool = True,
    progress: Callable[[float], None] | None = None,
) -> Result:
    """Run every optimizer spec side by side from each start point (default: the surface's first).

    ``progress``, if given, is called with the fraction done (see engine.run).
    """
    surf = _as_surface(surface)
    check_convention(convention)
    if isinstance(optimizers, (str, Spec)):
        optimizers = [optimizers]
    points = _starts(surf.starts[0] if start is None else start)
    if optimizers:  # a request too large is refused before a spec is read or a run is built
        engine.check_request(len(optimizers) * len(points), int(steps), record)
    specs = [parse_optimizer(text, convention) for text in optimizers]
    if not specs:
        raise SpecError("give at least one optimizer")
    sched = parse_schedule(schedule)
    check_starts(surf, points)
    sched_values = resolved(sched, schedules.PARAMS[sched.name])
    schedules.check_schedule(sched.name, sched_values, steps)
    taken: set[str] = set()
    described = [
        (spec.name, _label(spec, taken), str(spec), resolved(spec, OPTIMIZER_PARAMS[spec.name])) for spec in specs
    ]
    runs = Runs(described, points)
    starts = len(points)
    keys = {key for *_, hyper in described for key in hyper}
    hyper_arrays = {  # a value per run: each spec's, repeated for its start points
        key: np.repeat([float(hyper.get(key, np.nan)) for *_, hyper in described], starts) for key in keys
    }
    batch = engine.Batch(
        kinds=list(chain.from_iterable(repeat(name, starts) for name, *_ in described)),
        hyper=hyper_arrays,
        starts=np.tile(points.T, (1, len(described))),
        steps=int(steps),
        schedule=sched.name,
        schedule_values=sched_values,
        convention=convention,
        seed=int(seed),
        tolerance=float(tolerance),
    )
    outcome = engine.run(surf, batch, record=record, progress=progress)
    return Result(surf, runs, int(steps), convention, sched, int(seed), float(tolerance), outcome)


def rule_variants(convention: str) -> list[str]:
    """Every optimizer once, plus Adam without bias correction where the convention allows it."""
    return list(OPTIMIZERS) + ["adam:bias_correction=false"] * (convention == "lecture")


def warm_up(first_page: bool = False) -> None:
    """Compile every loop of the engine, or load it from numba's cache (about a second).

    A fresh install compiles here instead of at the first page view or sweep: the loop of a
    mixed block (up to SERIAL_RUNS runs of any rules, as the Playground's), then each rule's
    own loop (larger batches, sweeps), about 2 s each. One loop serves every mode (recording
    or summary, either convention, any schedule). ``make test`` calls it first. With
    ``first_page``, only the mixed block's loop: ``make run`` runs that beside the starting
    server (``ui.launch``), and the rest once the first page is drawn (``ui.warm``).
    """
    simulate("booth", list(ORDER), steps=2)
    if not first_page:
        for name in OPTIMIZERS:
            simulate("booth", [name], steps=2)


@dataclass
class SweepResult:
    """A grid of runs of one optimizer: arrays shaped (len(y_values), len(x_values))."""

    x_key: str
    x_values: np.ndarray
    y_key: str
    y_values: np.ndarray
    final_loss: np.ndarray
    best_loss: np.ndarray
    steps_to_tolerance: np.ndarray
    diverged_at: np.ndarray
    final_position: np.ndarray  # (2, ny, nx)


def sweep(
    surface: str | Spec | Surface,
    optimizer: str | Spec,
    x_key: str,
    x_values: Sequence[float],
    y_key: str,
    y_values: Sequence[float],
    start: Any = None,
    steps: int = 500,
    schedule: str | Spec | None = None,
    convention: str = "lecture",
    seed: int = 0,
    tolerance: float = DEFAULT_TOLERANCE,
    progress: Callable[[float], None] | None = None,
) -> SweepResult:
    """One optimizer over a grid of two hyperparameters, as one batch in summary mode.

    The result's arrays are shaped (len(y_values), len(x_values)); ``progress`` is called with
    the fraction done.
    """
    surf = _as_surface(surface)
    engine.check_request(len(x_values) * len(y_values), int(steps), record=False)
    spec = parse_optimizer(optimizer, convention)
    params = {p.name: p for p in OPTIMIZER_PARAMS[spec.name]}
    for key in (x_key, y_key):
        if key not in params or params[key].kind not in ("float", "int"):
            numeric = [p for p, d in params.items() if d.kind in ("float", "int")]
            raise SpecError(f"optimizer {spec.name}: cannot sweep {key!r}; allowed: {', '.join(numeric)}")
    xs, ys = np.asarray(x_values, dtype=float), np.asarray(y_values, dtype=float)
    for key, values in ((x_key, xs), (y_key, ys)):
        for value in (values.min(), values.max()):
            params[key].check_range(float(value), f"optimizer {spec.name}")
    sched = parse_schedule(schedule)
    sched_values = resolved(sched, schedules.PARAMS[sched.name])
    schedules.check_schedule(sched.name, sched_values, steps)
    grid_x, grid_y = np.meshgrid(xs, ys)
    runs = grid_x.size
    hyper = {key: np.full(runs, float(value)) for key, value in resolved(spec, OPTIMIZER_PARAMS[spec.name]).items()}
    hyper[x_key] = grid_x.ravel().copy()
    hyper[y_key] = grid_y.ravel().copy()
    point = _starts(surf.starts[0] if start is None else start)[0]
    batch = engine.Batch(
        kinds=[spec.name] * runs,
        hyper=hyper,
        starts=np.repeat(point[:, None], runs, axis=1),
        steps=int(steps),
        schedule=sched.name,
        schedule_values=sched_values,
        convention=convention,
        seed=int(seed),
        tolerance=float(tolerance),
    )
    out = engine.run(surf, batch, record=False, progress=progress)
    shape = grid_x.shape
    return SweepResult(
        x_key,
        xs,
        y_key,
        ys,
        out.final_loss.reshape(shape),
        out.best_loss.reshape(shape),
        out.steps_to_tolerance.reshape(shape),
        out.diverged_at.reshape(shape),
        out.final_position.reshape((2, *shape)),
    )


def sweep_axis(low: float, high: float, count: int) -> np.ndarray:
    """``count`` values from ``low`` to ``high``: log-spaced where the range spans decades, linear
    otherwise; rounded to the fewest significant digits (3 or more) that keep them apart, so a
    cell's value reads as typed wherever it is shown (a click opens it in the Playground)."""
    spans_decades = low > 0 and high / low >= 50
    raw = np.geomspace(low, high, count) if spans_decades else np.linspace(low, high, count)
    for digits in range(3, 17):
        values = np.array([float(f"{v:.{digits}g}") for v in raw])
        if np.unique(values).size == values.size:
            return values
    return raw


@dataclass
class BasinMap:
    """Start points on a grid and the minimum each run reaches: arrays shaped (len(ys), len(xs))."""

    xs: np.ndarray
    ys: np.ndarray
    basin: np.ndarray  # index into surface.minima; −1: none of them; −2: diverged
    final_position: np.ndarray  # (2, ny, nx)


def basin_map(
    surface: str | Spec | Surface,
    optimizer: str | Spec,
    resolution: int = 40,
    steps: int = 500,
    schedule: str | Spec | None = None,
    convention: str = "lecture",
    seed: int = 0,
    radius: float | None = None,
    progress: Callable[[float], None] | None = None,
) -> BasinMap:
    """Run one optimizer from every start point of a grid over the domain (one batch, summary mode).

    A run counts as reaching a listed minimum when it ends within ``radius`` of it (default:
    2 % of the domain's diagonal). ``progress`` is called with the fraction done.
    """
    surf = _as_surface(surface)
    if not 2 <= resolution <= 200:
        raise SpecError(f"resolution={resolution} is out of range; allowed: 2 to 200")
    (x0, x1), (y0, y1) = surf.domain
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    starts = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    result = simulate(surf, [optimizer], starts, steps, schedule, convention, seed, record=False, progress=progress)
    final = result.outcome.final_position
    basin = np.full(starts.shape[0], -1)
    if surf.minima:
        limit = radius if radius is not None else 0.02 * float(np.hypot(x1 - x0, y1 - y0))
        points = np.array([(m.x, m.y) for m in surf.minima])
        distance = np.hypot(final[0][:, None] - points[:, 0], final[1][:, None] - points[:, 1])
        nearest = distance.argmin(axis=1)
        basin = np.where(distance.min(axis=1) <= limit, nearest, -1)
    basin = np.where(result.outcome.diverged_at >= 0, -2, basin)
    shape = grid_x.shape
    return BasinMap(xs, ys, basin.reshape(shape), final.reshape((2, *shape)))


@dataclass
class Scenario:
    """All the inputs of a run; exports to JSON and imports back to the identical run."""

    surface: str = "rosenbrock"
    optimizers: list[str] = field(default_factory=lambda: ["gd", "adam"])
    start: tuple[float, float] | None = None
    steps: int = 500
    schedule: str = "constant"
    convention: str = "lecture"
    seed: int = 0
    tolerance: float = DEFAULT_TOLERANCE

    def validate(self) -> Scenario:
        """Check every field (raises SpecError naming the first bad one); returns self."""
        surface = make_surface(self.surface)
        check_convention(self.convention)
        for param in (STEPS, SEED, TOLERANCE):
            param.convert(getattr(self, param.name), "scenario")
        if not self.optimizers:
            raise SpecError("a scenario needs at least one optimizer")
        if len(self.optimizers) > MAX_OPTIMIZERS:
            raise SpecError(
                f"a scenario holds at most {MAX_OPTIMIZERS} optimizers; this one has {len(self.optimizers)}"
            )
        for text in self.optimizers:
            parse_optimizer(text, self.convention)
        sched = parse_schedule(self.schedule)
        schedules.check_schedule(sched.name, resolved(sched, schedules.PARAMS[sched.name]), self.steps)
        check_starts(surface, _starts(surface.starts[0] if self.start is None else self.start))
        engine.check_request(len(self.optimizers), self.steps, True)
        return self

    def run(self, record: bool = True) -> Result:
        return simulate(
            self.surface,
            self.optimizers,
            self.start,
            self.steps,
            self.schedule,
            self.convention,
            self.seed,
            self.tolerance,
            record=record,
        )

    def to_json(self) -> str:
        data = asdict(self)
        data["start"] = None if self.start is None else [float(c) for c in self.start]
        return json.dumps({"format": "optim-viz-scenario", "version": 1, **data}, indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> Scenario:
        """Read and validate a scenario; a bad file raises SpecError with one clear message."""
        if len(text) > MAX_SCENARIO_BYTES:
            raise SpecError(f"the scenario is {len(text):,} bytes long; at most {MAX_SCENARIO_BYTES:,} are allowed")
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as error:
                raise SpecError(f"the scenario is not UTF-8 text ({error.reason} at byte {error.start})") from None
        depth = _nesting_depth(text)
        if depth > MAX_SCENARIO_DEPTH:
            raise SpecError(f"the scenario nests {depth} levels of [ or {{; at most {MAX_SCENARIO_DEPTH} are allowed")
        try:
            data = json.loads(text)
        except ValueError as error:
            raise SpecError(f"the scenario is not valid JSON ({error})") from None
        if not isinstance(data, dict) or data.get("format") != "optim-viz-scenario":
            raise SpecError('the file is not a scenario: expected a JSON object with "format": "optim-viz-scenario"')
        if data.get("version") != 1:
            raise SpecError(f"unsupported scenario version {data.get('version')!r:.20}; allowed: 1")
        allowed = set(cls.__dataclass_fields__)
        unknown = set(data) - allowed - {"format", "version"}
        if unknown:
            names = ", ".join(sorted(name[:30] for name in unknown)[:5])
            raise SpecError(f"unknown scenario field(s) {names}; allowed: {', '.join(sorted(allowed))}")
        fields: dict[str, Any] = {}
        try:
            for key in ("surface", "schedule", "convention"):
                if key in data:
                    if not isinstance(data[key], str):
                        raise TypeError(key)
                    fields[key] = data[key]
            if "optimizers" in data:
                if not isinstance(data["optimizers"], list) or not all(isinstance(o, str) for o in data["optimizers"]):
                    raise TypeError("optimizers")
                fields["optimizers"] = list(data["optimizers"])
            if data.get("start") is not None:
                start = data["start"]
                if not (isinstance(start, list) and len(start) == 2 and all(_is_number(c) for c in start)):
                    raise TypeError("start")
                fields["start"] = (float(start[0]), float(start[1]))
            for param in (STEPS, SEED):
                if param.name in data:
                    if not isinstance(data[param.name], int) or isinstance(data[param.name], bool):
                        raise TypeError(param.name)
                    fields[param.name] = data[param.name]
            if "tolerance" in data:
                if not _is_number(data["tolerance"]):
                    raise TypeError("tolerance")
                fields["tolerance"] = float(data["tolerance"])
        except TypeError as error:
            raise SpecError(f"scenario field {error.args[0]!r} has the wrong type") from None
        return cls(**fields).validate()


def _nesting_depth(text: str) -> int:
    """The deepest nesting of JSON arrays and objects in ``text`` (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)


__all__ = [
    "BasinMap",
    "Result",
    "RunInfo",
    "Scenario",
    "SweepResult",
    "basin_map",
    "build_spec",
    "parse_optimizer",
    "parse_schedule",
    "simulate",
    "sweep",
]
