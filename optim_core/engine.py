"""The batched engine: every run of every optimizer stepped together.

Each run's state (θ, m, v, and Adamax's and AdaDelta's u) lives in arrays with one column per
run; every hyperparameter is a per-run value, so a grid of η × β is one batch. Each step makes
one gradient evaluation for all runs of a block (NAG's look-ahead points included) and then
one generic update (see :mod:`optim_core.optimizers`) whose coefficients are per-run tables.
The steps themselves run in a compiled loop (:mod:`optim_core.kernel`); this module builds
the coefficient tables, decides which operations a block needs, and assembles the outcome.
Operations no run of a block needs are skipped; the neutral ones that remain are exact, so a
run's numbers do not depend on its neighbours.

Surfaces with a closed-form formula are evaluated inside the compiled loop; the typed
function and the data-driven sparse problem are evaluated by NumPy once per step, for all
runs at once, between two compiled updates.

Large batches are grouped by optimizer and cut into blocks of at most ``BLOCK_RUNS`` runs so
the working arrays stay in cache; blocks run on a thread per core. Coefficient tables are
built for a chunk of updates at a time, so memory stays O(runs) in summary mode.

Divergence: a run whose position leaves the finite range or the surface's bounding box, or
whose loss is not finite, is stopped at that step (its later rows are frozen copies of its
last valid row and ``diverged_at`` holds the step). Runs are independent, so this is
decided after stepping in full-recording mode and on the fly in summary mode.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass

import numpy as np

from optim_core import kernel, schedules
from optim_core.optimizers import NEUTRAL, OPTIMIZERS, coefficients
from optim_core.rules import RULES
from optim_core.rules.compiled import loop as rule_loop
from spec_strings import SpecError
from surfaces.base import Surface
from surfaces.compiled import kernel_id, kernel_params

BLOCK_RUNS = 2000
# Runs that share one block whatever their optimizers, in summary mode on a surface with a
# compiled gradient (measured, 9 optimizers on Rosenbrock: one block is faster up to ~180 runs,
# grouped by optimizer from ~450; recording is bound by memory and one block is never slower).
MIXED_RUNS = 200
# Floats of coefficient tables built at a time: ~64 MB. A block of one optimizer has at most
# 4 tables with a value per run and update (η_t and the coefficients it multiplies); in a
# mixed block all 16 can have one.
CHUNK_FLOATS = 8_000_000
MAX_RECORDED_FLOATS = 80_000_000  # at the peak of a recording (recording_bytes)
KEPT_FLOATS_PER_RUN_STEP = 16  # the Recording's nine arrays
BLOCK_FLOATS_PER_RUN_STEP = 23  # a block while it steps and records (state, gradients, rates)
MAX_SUMMARY_RUNS = 4_000_000
MAX_STEPS = 100_000
THREADS = os.cpu_count() or 1  # blocks stepped at once
REPORT_EVERY = 0.2  # seconds between two progress reports while no block finishes


@dataclass
class Batch:
    """Everything the engine needs, one entry per run."""

    kinds: list[str]  # optimizer name of each run
    hyper: dict[str, np.ndarray]  # key -> (runs,) float array (NaN where a run lacks the key)
    starts: np.ndarray  # (2, runs)
    steps: int
    schedule: str = "constant"
    schedule_values: dict | None = None
    convention: str = "lecture"
    seed: int = 0
    tolerance: float = 1e-6

    @property
    def runs(self) -> int:
        return len(self.kinds)


@dataclass
class Recording:
    """Full per-step arrays, shaped (steps + 1, 2, runs) or (steps, ...) for per-update values."""

    position: np.ndarray  # (T+1, 2, R)
    loss: np.ndarray  # (T+1, R)
    grad: np.ndarray  # (T, 2, R): gradient used by update t (at the look-ahead point for NAG lecture)
    lr: np.ndarray  # (T, R): η_t
    effective_lr: np.ndarray  # (T, 2, R)
    first_moment: np.ndarray  # (T+1, 2, R): m (velocity for momentum/NAG)
    second_moment: np.ndarray  # (T+1, 2, R): v
    max_norm: np.ndarray  # (T+1, 2, R): Adamax's u
    delta_average: np.ndarray  # (T+1, 2, R): AdaDelta's u (average of Δ²)


@dataclass
class Outcome:
    """Per-run summary; kept in both modes."""

    final_position: np.ndarray  # (2, R): the last valid position
    final_loss: np.ndarray  # (R,)
    best_loss: np.ndarray  # (R,)
    steps_to_tolerance: np.ndarray  # (R,) int, -1 when never within tolerance
    diverged_at: np.ndarray  # (R,) int, -1 when the run did not diverge
    recording: Recording | None = None


def recording_bytes(runs: int, steps: int) -> int:
    """The memory a full recording takes at its peak: the floats per run and step it keeps,
    and those of the blocks being stepped at once (checked with tracemalloc in the tests)."""
    if runs <= BLOCK_RUNS:  # one block, whose recording is the result
        return (steps + 1) * 8 * BLOCK_FLOATS_PER_RUN_STEP * runs
    stepped = min(runs, THREADS * BLOCK_RUNS)
    return (steps + 1) * 8 * (KEPT_FLOATS_PER_RUN_STEP * runs + BLOCK_FLOATS_PER_RUN_STEP * stepped)


def check_request(runs: int, steps: int, record: bool) -> None:
    """Refuse a request that cannot be held in memory, before allocating anything."""
    if not 1 <= steps <= MAX_STEPS:
        raise SpecError(f"steps={steps} is out of range; allowed: 1 to {MAX_STEPS}")
    if runs < 1:
        raise SpecError("a simulation needs at least one run")
    if record and recording_bytes(runs, steps) > 8 * MAX_RECORDED_FLOATS:
        raise SpecError(
            f"recording {runs:,} runs × {steps:,} steps in full needs about {recording_bytes(runs, steps) / 1e9:.1f} GB; "
            f"use summary mode (record=False) or fewer runs or steps (a recording may take {8 * MAX_RECORDED_FLOATS / 1e9:.2g} GB)"
        )
    if runs > MAX_SUMMARY_RUNS:
        raise SpecError(f"{runs:,} runs is too many; at most {MAX_SUMMARY_RUNS:,} are allowed")


def run(
    surface: Surface, batch: Batch, record: bool = True, progress: Callable[[float], None] | None = None
) -> Outcome:
    """Step every run of ``batch`` on ``surface``; full recording or summary only.

    Blocks run on a thread each, up to one per core (the compiled loop releases the GIL).
    ``progress``, if given, is called from the calling thread with the fraction of updates
    done (0 to 1): each time a block finishes, and every REPORT_EVERY seconds in between.
    """
    check_request(batch.runs, batch.steps, record)
    values = batch.schedule_values or {}
    sampler = surface.gradient_sampler(batch.steps, batch.seed)
    kinds = np.asarray(batch.kinds)
    blocks = _blocks(kinds, MIXED_RUNS if kernel_id(surface) >= 0 and not record else BLOCK_RUNS)
    order = np.concatenate(blocks)
    done = [0] * len(blocks)  # updates finished in each block, written by the thread stepping it
    # Several blocks write their recordings into one set of arrays as each finishes, so the
    # finished recordings are never held twice (joined, then put in order: the peak was 1.9x
    # the recording's size); a lone block's recording is the result as it is.
    recorded = _Recorded(batch.steps, batch.runs) if record and len(blocks) > 1 else None

    def stepper(index: int):
        block = blocks[index]
        if len(block) % 512 == 0:
            # Rows whose length is a multiple of 4 KiB make loads and stores of different
            # arrays collide in the cache (4K aliasing, 2-3× slower): add a copy of one run.
            block = np.append(block, block[0])
        return _run_block(surface, batch, values, kinds[block], block, record, done, index, recorded is None)

    def finish(index: int, outcome: Outcome) -> Outcome:
        outcome = _trim(outcome, len(blocks[index]))
        if recorded is not None:  # its summary comes from the whole recording, at the end
            recorded.put(blocks[index], outcome.recording)
            outcome.recording = None
        return outcome

    def merged(outcomes: list[Outcome]) -> Outcome:
        if recorded is None:
            return _merge(outcomes, order, batch.runs)
        # Divergence, best losses and the tolerance read off the whole recording at once: per
        # block they had cost more than the stepping for the interactive 9 runs x 500 steps.
        threshold, centre, half = _limits(surface, batch)
        return _finish_recording(recorded.recording, threshold, centre[:, None], half[:, None])

    def work(index: int) -> Outcome:
        return finish(index, _drive([stepper(index)], surface, sampler)[0])

    if kernel_id(surface) < 0 or (batch.runs <= MIXED_RUNS and progress is None):
        # A few runs (the interactive case) step block after block in this thread: a thread
        # pool cost more than the work (9 optimizers x 1 run: 5.6 against 1.3 ms when they
        # shared one block). On a surface without a compiled form the blocks step in lock-step
        # and NumPy evaluates the surface once per update for all of them: a call per block and
        # update, on threads fighting for the GIL, made the default scene 9 times slower.
        report = (lambda: progress(sum(done) / (len(blocks) * batch.steps))) if progress is not None else None
        outcomes = _drive([stepper(index) for index in range(len(blocks))], surface, sampler, report)
        if progress is not None:
            progress(1.0)
        return merged([finish(index, outcome) for index, outcome in enumerate(outcomes)])
    if len(blocks) == 1 and progress is None:  # the interactive case: a thread would add ~0.5 ms
        return _merge([work(0)], order, batch.runs)
    with ThreadPoolExecutor(min(len(blocks), THREADS)) as pool:
        futures = [pool.submit(work, index) for index in range(len(blocks))]
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=REPORT_EVERY, return_when=FIRST_COMPLETED)
            if progress is not None:
                for _ in range(max(1, len(finished))):  # once per finished block, once per timeout
                    progress(sum(done) / (len(blocks) * batch.steps))
        outcomes = [future.result() for future in futures]
    return merged(outcomes)


@dataclass
class Request:
    """What a block stepping on a surface without a compiled form needs for update ``t``: the
    gradient at (px, py) and the loss at (x, y) (None: not needed). It yields one and is sent
    back (gradient, loss)."""

    t: int
    px: np.ndarray | None
    py: np.ndarray | None
    x: np.ndarray | None
    y: np.ndarray | None


def _drive(steppers: list, surface: Surface, sampler, report: Callable[[], None] | None = None) -> list[Outcome]:
    """Run block generators (_run_block) to their outcomes, answering their requests for all of
    them at once: one gradient call and one loss call per update, whatever the number of blocks."""
    outcomes: list[Outcome | None] = [None] * len(steppers)
    requests: dict[int, Request] = {}

    def advance(index: int, answer) -> None:
        try:
            requests[index] = steppers[index].send(answer)
        except StopIteration as stop:
            outcomes[index] = stop.value
            requests.pop(index, None)

    # Diverging runs overflow and produce NaN on the way out; they are flagged, not warned about.
    next_report = time.monotonic() + REPORT_EVERY
    with np.errstate(all="ignore"):
        for index in range(len(steppers)):
            advance(index, None)
        while requests:
            asked = list(requests.items())
            t = asked[0][1].t
            assert all(request.t == t for _, request in asked), "blocks out of step"
            gradients = losses = None
            with_points = [r for _, r in asked if r.px is not None]
            if with_points:
                px, py = np.concatenate([r.px for r in with_points]), np.concatenate([r.py for r in with_points])
                gx, gy = sampler(px, py, t)
                gradients = np.empty((2, px.size))
                gradients[0], gradients[1] = gx, gy  # a constant (a typed linear function) fills its row
            with_loss = [r for _, r in asked if r.x is not None]
            if with_loss:
                x = np.concatenate([r.x for r in with_loss])
                losses = np.empty(x.size)
                losses[:] = surface.value(x, np.concatenate([r.y for r in with_loss]))
            at_g = at_l = 0
            for index, request in asked:
                grad = loss = None
                if request.px is not None:
                    width = request.px.size
                    grad, at_g = gradients[:, at_g : at_g + width], at_g + width
                if request.x is not None:
                    width = request.x.size
                    loss, at_l = losses[at_l : at_l + width], at_l + width
                advance(index, (grad, loss))
            if report is not None and time.monotonic() >= next_report:
                report()
                next_report = time.monotonic() + REPORT_EVERY
    return outcomes


class _Recorded:
    """The whole batch's recording, filled block by block (each block's runs are columns of it)."""

    def __init__(self, steps: int, runs: int):
        self.shapes = {
            "position": (steps + 1, 2), "loss": (steps + 1,), "grad": (steps, 2), "lr": (steps,),
            "effective_lr": (steps, 2), "first_moment": (steps + 1, 2), "second_moment": (steps + 1, 2),
            "max_norm": (steps + 1, 2), "delta_average": (steps + 1, 2),
        }  # fmt: skip
        self.recording = Recording(**{name: np.empty((*shape, runs)) for name, shape in self.shapes.items()})

    def put(self, columns: np.ndarray, part: Recording) -> None:
        for name in self.shapes:
            getattr(self.recording, name)[..., columns] = getattr(part, name)


def _trim(outcome: Outcome, width: int) -> Outcome:
    """The outcome of a block's first ``width`` runs (a deferred one holds its recording only)."""
    runs = outcome.best_loss.size if outcome.best_loss is not None else outcome.recording.loss.shape[-1]
    if runs == width:
        return outcome
    names = [name for name in Outcome.__dataclass_fields__ if name != "recording"]
    fields = {name: None if getattr(outcome, name) is None else getattr(outcome, name)[..., :width] for name in names}
    recording = None
    if outcome.recording is not None:
        recording = Recording(
            **{name: getattr(outcome.recording, name)[..., :width] for name in Recording.__dataclass_fields__}
        )
    return Outcome(**fields, recording=recording)


def _blocks(kinds: np.ndarray, mixed: int) -> list[np.ndarray]:
    """The runs of each block. Up to ``mixed`` runs share one block whatever their optimizers
    (the fewest calls per update: a surface without a compiled gradient is called once per
    block and update). More are grouped by optimizer, each group cut into blocks of equal
    size of at most BLOCK_RUNS runs: a block of one rule runs only the operations it needs
    (9 optimizers x 200 runs: 33 -> 6 ns per run-step), and 2,001 runs make two blocks of
    about 1,000, not one of 2,000 and one of a single run (8.6 -> 5.4 ns per run-step).
    A rule with its own update (optim_core/rules) runs in blocks of its own."""
    own = np.isin(kinds, list(RULES))  # a rule with its own update shares its loop with no other
    if len(kinds) <= mixed and (not own.any() or np.all(kinds == kinds[0])):
        return [np.arange(len(kinds))]
    blocks, grouped = [], np.arange(len(kinds))
    generic = np.flatnonzero(~own)
    if 0 < generic.size <= mixed:
        blocks, grouped = [generic], np.flatnonzero(own)
    for kind in dict.fromkeys(kinds[grouped].tolist()):
        runs = np.flatnonzero(kinds == kind)
        blocks += np.array_split(runs, -(-runs.size // BLOCK_RUNS))
    return blocks


def _merge(outcomes: list[Outcome], order: np.ndarray, runs: int) -> Outcome:
    """The blocks' summaries as one, in the batch's order. A lone block in that order is the
    result as it is (its recording too); several recording blocks are summarised by run()."""
    if len(outcomes) == 1 and np.array_equal(order, np.arange(runs)):
        return outcomes[0]
    inverse = np.empty(runs, dtype=int)
    inverse[order] = np.arange(runs)

    def join(name: str, axis: int) -> np.ndarray:
        return np.concatenate([getattr(o, name) for o in outcomes], axis=axis).take(inverse, axis=axis)

    return Outcome(
        final_position=join("final_position", 1),
        final_loss=join("final_loss", 0),
        best_loss=join("best_loss", 0),
        steps_to_tolerance=join("steps_to_tolerance", 0),
        diverged_at=join("diverged_at", 0),
    )


def _as_table(value) -> np.ndarray:
    """A coefficient as a C-contiguous (updates or 1, runs or 1) table."""
    value = np.asarray(value, dtype=float)
    if value.ndim < 2:
        value = value.reshape(1, -1)
    return np.ascontiguousarray(value)


class _Coefficients:
    """The generic coefficients of one block for updates t0 … t1 − 1, as tables for the kernel.

    Each coefficient is a table indexed (update, run). Along a dimension where it does not
    change it has length 1: a per-run constant is one row, a value shared by every run is one
    column, so a sweep's bias corrections cost one float per update, not one per run.
    ``is_`` tells when a coefficient holds one value everywhere, so the kernel can skip the
    operations that value makes neutral.
    """

    def __init__(self, batch: Batch, kinds: np.ndarray, names: list[str], block: np.ndarray, t0, t1, eta):
        """``kinds``: each run's optimizer; ``names``: the distinct ones, in order of appearance."""
        width = len(block)
        k = np.arange(t0 + 1, t1 + 1, dtype=float)[:, None]
        self.tables: dict[str, np.ndarray] = {}
        for kind in names:
            cols = np.flatnonzero(kinds == kind) if len(names) > 1 else slice(None)
            hp = {key: arr[block[cols]] for key, arr in batch.hyper.items()}
            for name, value in coefficients(kind, batch.convention, hp, k, eta[:, cols]).items():
                value = _as_table(value)
                if len(names) == 1:
                    self.tables[name] = value
                    continue
                table = self.tables.get(name)
                if table is None:
                    neutral = NEUTRAL[name]
                    table = self.tables[name] = np.full((1, width), np.nan if neutral is None else neutral)
                if value.shape[0] > table.shape[0]:
                    table = self.tables[name] = np.repeat(table, value.shape[0], axis=0)
                table[:, cols] = value
        for name, neutral in NEUTRAL.items():
            if name not in self.tables:
                self.tables[name] = np.full((1, 1), np.nan if neutral is None else neutral)

    def is_(self, name: str, value: float) -> bool:
        """Whether the coefficient equals ``value`` for every run and update of the chunk."""
        return bool(np.all(self.tables[name] == value))

    def kernel_tables(self, **replaced: np.ndarray) -> tuple[np.ndarray, ...]:
        """The tables in the kernel's order, with some replaced (plateau's per-update rows)."""
        return tuple(replaced.get(name, self.tables[name]) for name in kernel.COEFFICIENTS)


def _flags(coef: _Coefficients, kinds: set[str], plateau: bool, **modes: bool) -> np.ndarray:
    """What a block needs, decided once per chunk, in the kernel's FLAGS order.

    Under plateau, b_m carries η_t, which is only known during the run, so m is always kept.
    """
    has_v = not (coef.is_("a_v", 0.0) and coef.is_("b_v", 0.0))
    has_z, has_w = "adamax" in kinds, "adadelta" in kinds
    found = {
        "has_la": not coef.is_("lookahead", 0.0),
        "has_m": plateau or not (coef.is_("a_m", 0.0) and coef.is_("b_m", 1.0)),
        "has_v": has_v,
        "has_z": has_z,
        "has_w": has_w,
        "d_is_one": not (has_v or has_z or has_w) and coef.is_("e_i", 1.0) and coef.is_("e_o", 0.0),
        "n_is_m": coef.is_("c_m", 1.0) and coef.is_("c_g", 0.0),
        **modes,
    }
    return np.array([found[name] for name in kernel.FLAGS], dtype=np.bool_)


def _shape_id(flags: np.ndarray) -> int:
    """The update's compiled shape for these flags: its index in kernel.SHAPES, or −1 (read at run time)."""
    shape = tuple(bool(f) for f in flags[kernel.SHAPE])
    return kernel.SHAPES.index(shape) if shape in kernel.SHAPES else -1


def _run_block(
    surface,
    batch: Batch,
    values: dict,
    block_kinds: np.ndarray,
    block: np.ndarray,
    record: bool,
    done: list[int],
    index: int,
    summarise: bool = True,
) -> Outcome:
    """One block; ``done[index]`` follows the number of updates made."""
    steps, width = batch.steps, len(block)
    base = batch.hyper["lr"][block]
    theta0 = batch.starts[:, block].astype(float)
    plateau = schedules.PlateauState(values, base, batch.convention) if batch.schedule == "plateau" else None
    threshold, centre, half = _limits(surface, batch)
    names = list(dict.fromkeys(block_kinds.tolist()))
    kinds = set(names)
    sid, sp = kernel_id(surface), kernel_params(surface)
    noise = surface.noise_table(steps, batch.seed)
    has_noise = noise is not None
    noise = np.zeros((1, 2)) if noise is None else noise

    loss0 = surface.value(theta0[0], theta0[1])
    if _invalid(theta0, loss0, centre[:, None], half[:, None]).any():
        raise SpecError("a start point lies outside the surface's bounds or where f is undefined")

    # State: every row when recording; two alternating rows (t % 2) in summary mode.
    rows = steps + 1 if record else 2
    updates = steps if record else 1
    S = np.zeros((rows, 5, 2, width))
    S[0, kernel.THETA] = theta0
    G = np.zeros((updates, 2, width))
    D = np.ones((updates, 2, width))
    # Compiled surfaces give the loss with the gradient, so it is kept in both modes.
    need_loss = plateau is not None or not record or sid >= 0
    L = np.zeros((rows, width))
    L[0] = loss0
    eta_hist = np.empty((steps, width)) if record else None
    eff_hist = np.empty((steps, width)) if record else None
    diverged = np.full(width, -1, dtype=np.int64)
    first_hit = np.full(width, -1, dtype=np.int64)
    last_pos, last_loss = np.full((2, width), np.nan), np.full(width, np.nan)
    best = np.full(width, np.inf)
    modes = {"record": record, "need_loss": need_loss, "track": not record, "has_noise": has_noise}
    tracking = (diverged, last_pos, last_loss, best, first_hit, centre, half, threshold)
    work = (np.empty((len(kernel.COEFFICIENTS), width)), np.empty((3, width)))

    def row(t: int) -> int:
        return t if record else t & 1

    def observe(t: int, loss: np.ndarray) -> None:
        # A surface without a compiled form: its loss at θ_t (computed by _drive), and the summary of row t.
        L[row(t)] = loss
        if not record:
            kernel.track_row(t, S, L, record, *tracking)

    info = OPTIMIZERS[names[0]]
    if info.update is not None:  # a rule with its own update: its own loop (optim_core/rules)
        E = np.ones((updates, 2, width))
        yield from _step_rule(info, batch, block, S, G, E, L, base, plateau, record, need_loss, eta_hist, modes,
                              sid, sp, noise, tracking, work, observe, row, done, index)  # fmt: skip
        D = None
    else:
        yield from _step_generic(batch, block_kinds, names, kinds, block, S, G, D, L, base, values, plateau, record,
                                 need_loss, eta_hist, eff_hist, modes, sid, sp, noise, tracking, work, observe, row,
                                 done, index)  # fmt: skip
    if sid < 0 and need_loss:
        last = S[row(steps), kernel.THETA]
        _, loss = yield Request(steps, None, None, last[0], last[1])
        observe(steps, loss)
    if not record:
        last = row(steps)
        alive = diverged < 0
        return Outcome(
            np.where(alive, S[last, kernel.THETA], last_pos),
            np.where(alive, L[last], last_loss),
            best,
            first_hit,
            diverged,
        )
    if not need_loss:
        L = surface.value(S[:, kernel.THETA, 0], S[:, kernel.THETA, 1])
    recording = Recording(
        S[:, kernel.THETA],
        L,
        G,
        eta_hist,
        eff_hist[:, None, :] / D if D is not None else E,
        S[:, kernel.MOMENT],
        S[:, kernel.SECOND],
        S[:, kernel.ZMAX],
        S[:, kernel.WDELTA],
    )
    if not summarise:  # the batch summarises its whole recording (run)
        return Outcome(None, None, None, None, None, recording=recording)
    return _finish_recording(recording, threshold, centre[:, None], half[:, None])


def _step_generic(batch, block_kinds, names, kinds, block, S, G, D, L, base, values, plateau, record,
                  need_loss, eta_hist, eff_hist, modes, sid, sp, noise, tracking, work, observe, row, done, index):  # fmt: skip
    """Steps a block of the generic update (the nine of optimizers.md) through every update."""
    steps, width = batch.steps, len(block)
    chunk = max(1, min(steps, CHUNK_FLOATS // ((4 if len(names) == 1 else 16) * width)))
    for t0 in range(0, steps, chunk):
        t1 = min(steps, t0 + chunk)
        if batch.schedule in ("constant", "plateau"):
            eta = base[None, :]  # one row: η does not change with the update (plateau: see below)
        else:
            eta = schedules.rates(batch.schedule, values, base, np.arange(t0, t1), steps)
        coef = _Coefficients(batch, block_kinds, names, block, t0, t1, eta)
        flags = _flags(coef, kinds, plateau=plateau is not None, **modes)
        advance = kernel.ADVANCE[_shape_id(flags)]
        has_la = bool(flags[kernel.FLAGS.index("has_la")])
        tables = coef.kernel_tables()
        if record:
            eta_hist[t0:t1] = eta
            eff_hist[t0:t1] = coef.tables["eff"]
        if plateau is not None:
            # η_t is only known during the run: each η-dependent coefficient is A + B·η_t.
            zero = _Coefficients(batch, block_kinds, names, block, t0, t1, np.zeros_like(eta))
            unit = _Coefficients(batch, block_kinds, names, block, t0, t1, np.ones_like(eta))
            linear = {n: (zero.tables[n], unit.tables[n] - zero.tables[n]) for n in ("b_m", "step", "eff")}
        if plateau is None and sid >= 0:
            advance(t0, t1, t0, steps, sid, sp, noise, flags, S, G, D, L, tables, *work, *tracking)
            done[index] = t1
            continue
        for t in range(t0, t1):
            i, ri = t - t0, row(t)
            if sid < 0:
                point = S[ri, kernel.THETA]
                if has_la:
                    point = point - coef.tables["lookahead"] * S[ri, kernel.MOMENT]
                theta = S[ri, kernel.THETA]
                G[0 if not record else t], loss = yield Request(
                    t, point[0], point[1], *(theta if need_loss else (None, None))
                )
                if need_loss:
                    observe(t, loss)
            per_update = {}
            if plateau is not None:
                for name, (a, b) in linear.items():
                    per_update[name] = a[min(i, len(a) - 1)] + b[min(i, len(b) - 1)] * plateau.eta
                if record:
                    eta_hist[t] = plateau.eta
                    eff_hist[t] = per_update["eff"]
                tables = coef.kernel_tables(b_m=_as_table(per_update["b_m"]), step=_as_table(per_update["step"]))
            advance(t, t + 1, t0, steps, sid, sp, noise, flags, S, G, D, L, tables, *work, *tracking)
            if plateau is not None:
                plateau.update(L[ri])
            done[index] = t + 1


def _step_rule(info, batch, block, S, G, E, L, base, plateau, record, need_loss, eta_hist, modes,
               sid, sp, noise, tracking, work, observe, row, done, index):  # fmt: skip
    """Steps a block of one rule with its own update through every update; E gets the effective rates."""
    steps, width = batch.steps, S.shape[3]
    advance = rule_loop(info.name)
    hyper = np.empty((max(1, len(info.hyper_keys)), width))
    for j, key in enumerate(info.hyper_keys):
        hyper[j] = batch.hyper[key][block]
    powers = np.empty((max(1, len(info.powers)), width))
    lecture = batch.convention == "lecture"
    flags = (sid, sp, noise, modes["has_noise"], record, need_loss, modes["track"], lecture)

    arguments = (S, G, E, L)
    after = (base, hyper, powers, work[1], *tracking)

    def call(t0, t1, c0, eta):  # eta: (rows, width) C-contiguous, row t − c0 for update t
        advance(t0, t1, c0, steps, *flags, *arguments, eta, *after)

    chunk = max(1, min(steps, CHUNK_FLOATS // width))
    for t0 in range(0, steps, chunk):
        t1 = min(steps, t0 + chunk)
        if batch.schedule in ("constant", "plateau"):
            eta = np.ascontiguousarray(base[None, :])
        else:
            eta = schedules.rates(batch.schedule, batch.schedule_values or {}, base, np.arange(t0, t1), steps)
            eta = np.ascontiguousarray(np.broadcast_to(eta, (t1 - t0, width)))
        if record and plateau is None:
            eta_hist[t0:t1] = eta
        if plateau is None and sid >= 0:
            call(t0, t1, t0, eta)
            done[index] = t1
            continue
        for t in range(t0, t1):
            ri = row(t)
            if sid < 0:
                x, y = S[ri, kernel.THETA, 0], S[ri, kernel.THETA, 1]
                px, py = x, y
                if info.lookahead and lecture:  # NAG: the gradient at θ − β·u
                    la = hyper[info.hyper_keys.index(info.lookahead)]
                    px, py = x - la * S[ri, 1, 0], y - la * S[ri, 1, 1]
                G[0 if not record else t], loss = yield Request(t, px, py, *((x, y) if need_loss else (None, None)))
                if need_loss:
                    observe(t, loss)
            if plateau is None:
                call(t, t + 1, t0, eta)  # the chunk's table, read at row t − t0 (or its one row)
            else:
                today = np.ascontiguousarray(np.broadcast_to(plateau.eta, (1, width)), dtype=float)
                if record:
                    eta_hist[t] = today[0]
                call(t, t + 1, t, today)
            if plateau is not None:
                plateau.update(L[ri])
            done[index] = t + 1


def _limits(surface: Surface, batch: Batch) -> tuple[float, np.ndarray, np.ndarray]:
    """The loss within tolerance, and the centre and half-size of the bounding box."""
    lo, hi = surface.bounds()
    min_value = surface.min_value
    threshold = (min_value + batch.tolerance) if min_value is not None else -np.inf
    return threshold, (lo + hi) / 2, (hi - lo) / 2


def _invalid(theta, loss, centre, half):
    """Where a position is outside the bounds (or not finite) or its loss is not finite.

    ``theta`` is (..., 2, runs) and ``loss`` (..., runs). The compiled loop applies the same
    rule row by row in summary mode (``kernel.track_row``).
    """
    with np.errstate(invalid="ignore"):
        inside = (np.abs(theta - centre) <= half).all(axis=-2)
    return ~(inside & np.isfinite(loss))


def _finish_recording(rec: Recording, threshold, centre, half) -> Outcome:
    steps = rec.grad.shape[0]
    position, loss = rec.position, rec.loss
    bad = _invalid(position, loss, centre, half)  # (T+1, R); row 0 was checked before stepping
    any_bad = bad.any(axis=0)
    first_bad = np.where(any_bad, bad.argmax(axis=0), -1)
    for run in np.flatnonzero(any_bad):
        k = first_bad[run]
        for arr in (rec.position, rec.first_moment, rec.second_moment, rec.max_norm, rec.delta_average):
            arr[k:, :, run] = arr[k - 1, :, run]
        rec.loss[k:, run] = rec.loss[k - 1, run]
        # Row k - 1 keeps the gradient taken there; the updates from k - 1 on produced no
        # valid row, so their η_t and effective rates are frozen at the last valid ones.
        rec.grad[k:, :, run] = rec.grad[k - 1, :, run]
        if k >= 2:
            rec.effective_lr[k - 1 :, :, run] = rec.effective_lr[k - 2, :, run]
            rec.lr[k - 1 :, run] = rec.lr[k - 2, run]
    valid_rows = np.where(any_bad, first_bad, steps + 1)
    last = valid_rows - 1
    runs = np.arange(loss.shape[1])
    with np.errstate(invalid="ignore"):
        within = loss <= threshold
    hit_any = within.any(axis=0)
    first_hit = np.where(hit_any, within.argmax(axis=0), -1)
    first_hit = np.where((first_hit >= 0) & (first_hit <= last), first_hit, -1)
    return Outcome(
        final_position=position[last, :, runs].T.copy(),
        final_loss=loss[last, runs].copy(),
        best_loss=np.nanmin(np.where(np.arange(loss.shape[0])[:, None] <= last, loss, np.nan), axis=0),
        steps_to_tolerance=first_hit,
        diverged_at=first_bad,
        recording=rec,
    )
