"""The batched engine: every run of every optimizer stepped together.

Each run's state (θ and the rule's named state) lives in arrays with one column per run;
every hyperparameter is a per-run value, so a grid of η × β is one batch. Each update of a
block makes one gradient evaluation for all of its runs (NAG's look-ahead points included) and
then calls each run's rule's scalar update for each coordinate, in a compiled loop
(:mod:`optim_core.rules.compiled`): a block of one rule has its rule's own loop, a mixed block
the loop of every rule, which steps each stretch of runs of one rule. Runs do not interact,
so a run's numbers do not depend on its neighbours or its block.

Surfaces with a closed-form formula are evaluated inside the compiled loop; the typed
function and the data-driven sparse problem are evaluated by NumPy once per step, for all
runs at once, between two compiled updates.

A recording, and a small batch in summary mode, is one block (see :func:`_blocks`); a large
batch in summary mode is cut into blocks of one rule and at most ``BLOCK_RUNS`` runs, so the
working arrays stay in cache, stepped a thread per core. Scheduled rates are built for a
chunk of updates at a time, so memory stays O(runs) in summary mode.

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
from itertools import groupby

import numpy as np

from optim_core import kernel, schedules
from optim_core.optimizers import OPTIMIZERS
from optim_core.rules.compiled import fused
from optim_core.rules.compiled import loop as rule_loop
from spec_strings import SpecError
from surfaces.base import Surface
from surfaces.compiled import COMPILED, kernel_id, kernel_params

BLOCK_RUNS = 2000
# Up to this many runs (the interactive case) are one block in summary mode too, stepped in the
# calling thread: a thread pool costs more than their work.
SERIAL_RUNS = 200
# Floats of scheduled rates built at a time (one per run and update): ~64 MB.
CHUNK_FLOATS = 8_000_000
# Run-steps a call of the compiled loop makes at least (a few ms), unless the block is smaller:
# each call costs about 12 µs to dispatch (measured: 2,000 runs of Adam cut into 50 calls of 4
# updates spent half their time there).
CALL_RUN_STEPS = 2_000_000
# A block of one rule whose runs share every key steps through the rule's fused loop on the
# surface (rules/compiled.py's ``fused``) from this many run-steps: a module of its own,
# compiled on its first use (about a second, once per install), so not for a few runs.
FUSED_RUN_STEPS = 100_000
MAX_RECORDED_FLOATS = 80_000_000  # at the peak of a recording (recording_bytes)
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
    state: np.ndarray  # (T+1, 4, 2, R): the rule's state, slot i at [:, i - 1] (OptimizerInfo.state)


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
    """The memory a full recording takes at its peak: a recording is one block, whose arrays are
    the result (checked with tracemalloc in the tests)."""
    return (steps + 1) * 8 * BLOCK_FLOATS_PER_RUN_STEP * runs


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
    kinds = _codes(batch.kinds)
    blocks = _blocks(kinds, record)
    order = np.concatenate(blocks)
    done = [0] * len(blocks)  # updates finished in each block, written by the thread stepping it

    def stepper(index: int):
        block = blocks[index]
        if len(block) % 512 == 0:
            # Rows whose length is a multiple of 4 KiB make loads and stores of different
            # arrays collide in the cache (4K aliasing, 2-3× slower): add a copy of one run.
            block = np.append(block, block[0])
        return _run_block(surface, batch, values, kinds[block], block, record, done, index)

    def work(index: int) -> Outcome:
        return _drive([stepper(index)], surface, sampler)[0]

    def fraction() -> float:  # of the batch's updates made
        return sum(done) / (len(blocks) * batch.steps)

    if kernel_id(surface) < 0 or (batch.runs <= SERIAL_RUNS and progress is None):
        # A few runs (the interactive case) step in this thread: a thread pool cost more than
        # the work. On a surface without a compiled form the blocks step in lock-step and NumPy
        # evaluates the surface once per update for all of them: a call per block and update,
        # on threads fighting for the GIL, made the default scene 9 times slower.
        report = (lambda: progress(fraction())) if progress is not None else None
        outcomes = _drive([stepper(index) for index in range(len(blocks))], surface, sampler, report)
        if progress is not None:
            progress(1.0)
    elif (len(blocks) == 1 or THREADS == 1) and progress is None:
        # The interactive case, or one core: a pool's threads would add ~0.25 ms a block
        # (measured: 10 blocks of 2,000 runs × 1 update, 4.9 against 4.0 ms in this thread).
        outcomes = [work(index) for index in range(len(blocks))]
    else:
        with ThreadPoolExecutor(min(len(blocks), THREADS)) as pool:
            futures = [pool.submit(work, index) for index in range(len(blocks))]
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=REPORT_EVERY, return_when=FIRST_COMPLETED)
                if progress is not None:
                    for _ in range(max(1, len(finished))):  # once per finished block, once per timeout
                        progress(fraction())
            outcomes = [future.result() for future in futures]
    trimmed = [_trim(outcome, len(block)) for outcome, block in zip(outcomes, blocks, strict=True)]
    return _merge(trimmed, order, batch.runs)


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


def _trim(outcome: Outcome, width: int) -> Outcome:
    """The outcome of a block's first ``width`` runs (a block padded with a copy of one run)."""
    if outcome.best_loss.size == width:
        return outcome
    names = [name for name in Outcome.__dataclass_fields__ if name != "recording"]
    fields = {name: getattr(outcome, name)[..., :width] for name in names}
    recording = None
    if outcome.recording is not None:
        recording = Recording(
            **{name: getattr(outcome.recording, name)[..., :width] for name in Recording.__dataclass_fields__}
        )
    return Outcome(**fields, recording=recording)


def _codes(kinds) -> np.ndarray:
    """Each run's rule as its index in the registry: the engine groups runs by these numbers
    (NumPy's array of 20,000 names, and grouping by them, had cost 2 ms)."""
    index = {name: i for i, name in enumerate(OPTIMIZERS)}
    if isinstance(kinds, list) and kinds.count(kinds[0]) == len(kinds):  # one rule: 80 -> 10 µs for 2,000 runs
        return np.full(len(kinds), index[kinds[0]], dtype=np.int64)
    stretches = [(index[name], len(list(runs))) for name, runs in groupby(kinds)]  # a batch is long stretches
    return np.repeat(*np.array(stretches, dtype=np.int64).reshape(-1, 2).T)


def _blocks(kinds: np.ndarray, record: bool = False) -> list[np.ndarray]:
    """The runs of each block (``kinds``: each run's rule, :func:`_codes`).

    A block of one rule runs its own loop; a mixed block one loop of every rule, which steps
    each stretch of runs of one rule through it (9 optimizers x 1 run recorded took twice as
    long in a block each). A recording is one block in the batch's order, whose arrays are then
    the result as they are: cutting one rule's recording into blocks of 2,000 and joining them
    again cost 2.4 times as much per run-step past 2,000 runs (Adam: 41 -> 96 ns; now 16).
    In summary mode up to SERIAL_RUNS runs are one block, grouped by rule; more are grouped by
    rule, each group cut into blocks of equal size of at most BLOCK_RUNS runs (2,001 runs make
    two blocks of about 1,000, not one of 2,000 and one of a single run: 8.6 -> 5.4 ns per
    run-step), stepped a thread per core."""
    if record:
        return [np.arange(len(kinds))]
    if (kinds == kinds[0]).all():
        grouped = [np.arange(len(kinds))]
    else:
        _, first = np.unique(kinds, return_index=True)
        grouped = [np.flatnonzero(kinds == kind) for kind in kinds[np.sort(first)]]
    if len(kinds) <= SERIAL_RUNS:
        return [np.concatenate(grouped)]
    blocks = []
    for runs in grouped:
        blocks += np.array_split(runs, -(-runs.size // BLOCK_RUNS))
    return blocks


def _merge(outcomes: list[Outcome], order: np.ndarray, runs: int) -> Outcome:
    """The blocks' summaries as one, in the batch's order. A lone block in that order (every
    recording) is the result as it is, its recording too."""
    in_order = np.array_equal(order, np.arange(runs))
    if len(outcomes) == 1 and in_order:
        return outcomes[0]
    inverse = None
    if not in_order:  # blocks of one rule each, in the batch's order: joined as they are
        inverse = np.empty(runs, dtype=int)
        inverse[order] = np.arange(runs)

    def join(name: str, axis: int) -> np.ndarray:
        joined = np.concatenate([getattr(o, name) for o in outcomes], axis=axis)
        return joined if inverse is None else joined.take(inverse, axis=axis)

    return Outcome(
        final_position=join("final_position", 1),
        final_loss=join("final_loss", 0),
        best_loss=join("best_loss", 0),
        steps_to_tolerance=join("steps_to_tolerance", 0),
        diverged_at=join("diverged_at", 0),
    )


def _run_block(
    surface,
    batch: Batch,
    values: dict,
    block_kinds: np.ndarray,
    block: np.ndarray,
    record: bool,
    done: list[int],
    index: int,
) -> Outcome:
    """One block; ``done[index]`` follows the number of updates made."""
    steps, width = batch.steps, len(block)
    base = batch.hyper["lr"][block]
    theta0 = batch.starts[:, block].astype(float)
    plateau = schedules.PlateauState(values, base, batch.convention) if batch.schedule == "plateau" else None
    threshold, centre, half = _limits(surface, batch)
    sid, sp = kernel_id(surface), kernel_params(surface)
    noise = surface.noise_table(steps, batch.seed)
    has_noise = noise is not None
    noise = np.zeros((1, 2)) if noise is None else noise

    loss0 = surface.value(theta0[0], theta0[1])
    if _invalid(theta0, loss0, centre[:, None], half[:, None]).any():
        raise SpecError("a start point lies outside the surface's bounds or where f is undefined")

    # State: every row when recording; three rows in turn (t % 3) in summary mode (kernel.py).
    rows = steps + 1 if record else 3
    updates = steps if record else 1
    S = np.zeros((rows, 5, 2, width))
    S[0, kernel.THETA] = theta0
    G = np.zeros((updates, 2, width))
    E = np.ones((updates, 2, width))
    # Compiled surfaces give the loss with the gradient, so it is kept in both modes.
    need_loss = plateau is not None or not record or sid >= 0
    L = np.zeros((rows, width))
    L[0] = loss0
    eta_hist = np.empty((steps, width)) if record else None
    diverged = np.full(width, -1, dtype=np.int64)
    first_hit = np.full(width, -1, dtype=np.int64)
    last_pos, last_loss = np.full((2, width), np.nan), np.full(width, np.nan)
    best = np.full(width, np.inf)
    modes = {"record": record, "need_loss": need_loss, "track": not record, "has_noise": has_noise}
    tracking = (diverged, last_pos, last_loss, best, first_hit, centre, half, threshold)
    # Working space of the compiled loop: look-ahead points (laid out as S), and where the loss
    # or the gradient goes when only the other one is wanted.
    scratch = (np.empty((1, 1, 2, width)), np.empty((1, width)), np.empty((1, 2, width)))

    def row(t: int) -> int:
        return t if record else t % 3

    def observe(t: int, loss: np.ndarray) -> None:
        # A surface without a compiled form: its loss at θ_t (computed by _drive), and the summary of row t.
        L[row(t)] = loss
        if not record:
            kernel.track_row(t, S, L, record, *tracking)

    yield from _step_block(block_kinds, batch, block, S, G, E, L, base, plateau, record, need_loss, eta_hist, modes,
                           sid, sp, noise, tracking, scratch, observe, row, done, index)  # fmt: skip
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
        E,
        S[:, 1:],
    )
    return _finish_recording(recording, threshold, centre[:, None], half[:, None])


def _groups(block_kinds: np.ndarray) -> tuple[tuple[str, ...], np.ndarray]:
    """The rules of a block's loop, and its groups: (rule's index in them, first run, end run)
    for each stretch of runs of one rule (``block_kinds``: :func:`_codes`). A block of one rule
    has its own loop; a mixed block runs the loop of every rule (one compiled loop whatever the
    mix), whose rules are the registry's, in its order."""
    if (block_kinds == block_kinds[0]).all():
        return (list(OPTIMIZERS)[block_kinds[0]],), np.array([[0, 0, len(block_kinds)]], dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, block_kinds[1:] != block_kinds[:-1]])
    ends = np.r_[starts[1:], len(block_kinds)]
    kinds = block_kinds[starts]
    alone = bool((kinds == kinds[0]).all())
    names = (list(OPTIMIZERS)[kinds[0]],) if alone else tuple(OPTIMIZERS)
    return names, np.column_stack([kinds * (not alone), starts, ends]).astype(np.int64)


def _segments(infos, groups: np.ndarray, hyper: np.ndarray, shared: bool) -> tuple[np.ndarray, np.ndarray]:
    """Where the runs' per-update keys change (a rule's values once per update, PerUpdate):
    the boundaries SEG of stretches of runs of one group with equal keys, and the groups with
    the range of their stretches as columns 3 and 4. ``shared``: one group whose runs all have
    the same keys, so one stretch (30 -> 5 µs)."""
    if shared:
        return np.array([[*groups[0], 0, 1]], dtype=np.int64), groups[0, 1:3].copy()
    bounds = [groups[:, 1], groups[:, 2]]
    for info, (_, a, b) in zip(infos, groups, strict=True):
        if info.per_update:
            keys = hyper[[info.hyper_keys.index(key) for key in info.per_update.keys], a:b]
            bounds.append(a + 1 + np.flatnonzero((keys[:, 1:] != keys[:, :-1]).any(axis=0)))
    segments = np.unique(np.concatenate(bounds)).astype(np.int64)
    ranges = np.searchsorted(segments, groups[:, 1:3])
    return np.ascontiguousarray(np.column_stack([groups, ranges]), dtype=np.int64), segments


def _step_block(block_kinds, batch, block, S, G, E, L, base, plateau, record, need_loss, eta_hist, modes,
                sid, sp, noise, tracking, scratch, observe, row, done, index):  # fmt: skip
    """Steps a block through every update; E gets the effective rates."""
    steps, width = batch.steps, S.shape[3]
    names, groups = _groups(block_kinds)
    infos = [OPTIMIZERS[names[rule]] for rule, _, _ in groups]
    hyper = np.empty((max([1, *(len(info.hyper_keys) for info in infos)]), width))
    for info, (_, a, b) in zip(infos, groups, strict=True):
        for j, key in enumerate(info.hyper_keys):
            hyper[j, a:b] = batch.hyper[key][block[a:b]]
    per_update = np.empty((max([1, *(len(info.per_update.names) for info in infos if info.per_update)]), width))
    # A block of one rule whose runs share every key (an η sweep, a grid of starts): one stretch
    # of per-update values, and in summary mode the keys as scalars (compiled.py's uniform body).
    keys = hyper[: len(infos[0].hyper_keys)]
    shared = len(names) == 1 and bool((keys == keys[:, :1]).all())
    groups, segments = _segments(infos, groups, hyper, shared)
    lecture = batch.convention == "lecture"
    uniform = shared and not record
    flags = (sid, sp, noise, modes["has_noise"], record, need_loss, modes["track"], lecture, uniform)

    arguments = (S, G, E, L)
    after = (base, hyper, per_update, segments, *scratch, groups, *tracking)
    info = infos[0]
    if (
        uniform
        and sid >= 0
        and plateau is None
        and not modes["has_noise"]
        and not (lecture and info.lookahead)
        and width * steps >= FUSED_RUN_STEPS
    ):
        # One pass over the runs per update: the surface, the summary and the rule together
        # (Adam on Rosenbrock, 2,000 runs x 2,000 steps: 5.1 -> 3.6 ns per run-step; the loop
        # written by hand, bench.engine.hand_tight_adam, 3.4).
        switches = tuple(
            (p.name, bool(hyper[info.hyper_keys.index(p.name), 0]))
            for p in info.params
            if p.kind == "bool" and p.name in info.hyper_keys
        )
        one_pass = fused(names[0], sid, COMPILED[sid].info.name, lecture, switches)

        def call(t0, t1, c0, eta):
            one_pass(t0, t1, steps, sp, S, L, eta, base, hyper, *tracking)

    else:
        advance = rule_loop(names)

        def call(t0, t1, c0, eta):  # eta: (rows, width) C-contiguous, row t − c0 for update t
            advance(t0, t1, c0, steps, *flags, *arguments, eta, *after)

    # A chunk's rates are built at once, and progress (done) moves once per chunk: a fiftieth of
    # the run, so that a long run's progress bar moves, or CALL_RUN_STEPS if that is more.
    chunk = max(1, min(max(-(-steps // 50), CALL_RUN_STEPS // width), CHUNK_FLOATS // width))
    for t0 in range(0, steps, chunk):
        t1 = min(steps, t0 + chunk)
        if batch.schedule in ("constant", "plateau"):
            eta = _writable(base[None, :])
        else:
            eta = schedules.rates(batch.schedule, batch.schedule_values or {}, base, np.arange(t0, t1), steps)
            eta = _writable(np.broadcast_to(eta, (t1 - t0, width)))
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
                ahead = [(info, a, b) for info, (_, a, b, *_) in zip(infos, groups, strict=True) if info.lookahead]
                if ahead and lecture:  # NAG: the gradient at θ − β·u
                    px, py = x.copy(), y.copy()
                    for info, a, b in ahead:
                        la = hyper[info.hyper_keys.index(info.lookahead), a:b]
                        px[a:b], py[a:b] = x[a:b] - la * S[ri, 1, 0, a:b], y[a:b] - la * S[ri, 1, 1, a:b]
                G[0 if not record else t], loss = yield Request(t, px, py, *((x, y) if need_loss else (None, None)))
                if need_loss:
                    observe(t, loss)
            if plateau is None:
                call(t, t + 1, t0, eta)  # the chunk's table, read at row t − t0 (or its one row)
            else:
                today = _writable(np.broadcast_to(plateau.eta, (1, width)))
                if record:
                    eta_hist[t] = today[0]
                call(t, t + 1, t, today)
            if plateau is not None:
                plateau.update(L[ri])
            done[index] = t + 1


def _writable(table: np.ndarray) -> np.ndarray:
    """A C-contiguous, writable float array (a copy only if needed): numba compiles a second loop
    for a read-only one (a broadcast view, or a caller's frozen array)."""
    return np.require(table, dtype=float, requirements=("C", "W"))


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
        for arr in (rec.position, rec.state):
            arr[k:, ..., run] = arr[k - 1, ..., run]
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
