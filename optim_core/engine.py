"""The batched engine: every run of every optimizer stepped together.

Runs are laid out as arrays shaped (2, runs) (row 0 is x, row 1 is y). Each step makes one
gradient evaluation for all runs of a block (NAG's look-ahead points included) and then one
generic update (see :mod:`optim_core.optimizers`) whose coefficients are per-run arrays, so a
grid of η × β is one batch. Operations that no run of a block needs are skipped at the Python
level; the neutral ones that remain are exact, so a run's numbers do not depend on its
neighbours.

Large batches are cut into blocks of at most ``BLOCK_RUNS`` runs so the working arrays stay
in cache; the coefficient tables (bias corrections, η_t) are built for ``CHUNK`` updates at a
time. Memory therefore stays O(runs) in summary mode.

Divergence: a run whose position leaves the finite range or the surface's bounding box, or
whose loss is not finite, is stopped at that step (its later rows are frozen copies of its
last valid row and ``diverged_at`` holds the step). Runs are independent, so this is
decided after stepping in full-recording mode and on the fly in summary mode.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from optim_core import schedules
from optim_core.optimizers import NEUTRAL, coefficients
from optim_core.spec import SpecError
from surfaces.base import Surface

BLOCK_RUNS = 4096
# Floats of coefficient tables built at a time (about 16 per run and update): ~64 MB.
CHUNK_FLOATS = 8_000_000
MAX_RECORDED_FLOATS = 80_000_000
MAX_SUMMARY_RUNS = 4_000_000
MAX_STEPS = 100_000
PROGRESS_EVERY = 50  # updates between two progress reports


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


def check_request(runs: int, steps: int, record: bool) -> None:
    """Refuse a request that cannot be held in memory, before allocating anything."""
    if not 1 <= steps <= MAX_STEPS:
        raise SpecError(f"steps={steps} is out of range; allowed: 1 to {MAX_STEPS}")
    if runs < 1:
        raise SpecError("a simulation needs at least one run")
    if record and runs * (steps + 1) * 18 > MAX_RECORDED_FLOATS:
        raise SpecError(
            f"recording {runs} runs × {steps} steps in full needs about "
            f"{runs * (steps + 1) * 18 * 8 / 1e9:.1f} GB; use summary mode (record=False) "
            f"or fewer runs or steps (at most {MAX_RECORDED_FLOATS // 18:,} run-steps are recorded)"
        )
    if runs > MAX_SUMMARY_RUNS:
        raise SpecError(f"{runs:,} runs is too many; at most {MAX_SUMMARY_RUNS:,} are allowed")


def run(
    surface: Surface, batch: Batch, record: bool = True, progress: Callable[[float], None] | None = None
) -> Outcome:
    """Step every run of ``batch`` on ``surface``; full recording or summary only.

    ``progress``, if given, is called with the fraction done (0 to 1) every few dozen updates.
    """
    check_request(batch.runs, batch.steps, record)
    values = batch.schedule_values or {}
    sampler = surface.gradient_sampler(batch.steps, batch.seed)
    outcomes = []
    kinds = np.asarray(batch.kinds)
    order = _block_order(kinds)
    blocks = _blocks(order, BLOCK_RUNS)
    # Diverging runs overflow and produce NaN on the way out; they are flagged, not warned about.
    with np.errstate(all="ignore"):
        for index, block in enumerate(blocks):

            def report(t: int, index=index) -> None:
                if progress is not None:
                    progress((index + t / batch.steps) / len(blocks))

            outcomes.append(_run_block(surface, sampler, batch, values, kinds[block], block, record, report))
    if progress is not None:
        progress(1.0)
    return _merge(outcomes, order, batch.runs)


def _block_order(kinds: np.ndarray) -> np.ndarray:
    # Small batches stay in one mixed block (fewest array operations per step); large ones are
    # grouped by optimizer so each block runs only the operations its rule needs.
    if len(kinds) <= BLOCK_RUNS:
        return np.arange(len(kinds))
    return np.argsort(kinds, kind="stable")


def _blocks(order: np.ndarray, size: int) -> list[np.ndarray]:
    return [order[i : i + size] for i in range(0, order.size, size)]


def _merge(outcomes: list[Outcome], order: np.ndarray, runs: int) -> Outcome:
    if len(outcomes) == 1 and np.array_equal(order, np.arange(runs)):
        return outcomes[0]
    inverse = np.empty(runs, dtype=int)
    inverse[order] = np.arange(runs)

    def join(name: str, axis: int) -> np.ndarray:
        return np.concatenate([getattr(o, name) for o in outcomes], axis=axis).take(inverse, axis=axis)

    recording = None
    if outcomes[0].recording is not None:
        fields = Recording.__dataclass_fields__
        recording = Recording(
            **{
                name: np.concatenate([getattr(o.recording, name) for o in outcomes], axis=-1)[..., inverse]
                for name in fields
            }
        )
    return Outcome(
        final_position=join("final_position", 1),
        final_loss=join("final_loss", 0),
        best_loss=join("best_loss", 0),
        steps_to_tolerance=join("steps_to_tolerance", 0),
        diverged_at=join("diverged_at", 0),
        recording=recording,
    )


class _Coefficients:
    """The generic coefficients of one block for updates t0 … t1 − 1, on the flat layout.

    Runs are laid out flat, x coordinates first: vectors of length 2·runs. A coefficient is
    kept as one vector when it does not change with the update, as a table (chunk, 2·runs)
    when it does; ``rows`` hands the kernel one row per update either way, and ``is_`` tells
    when a coefficient holds one value everywhere, so the kernel can skip the operations that
    value makes neutral.
    """

    def __init__(self, batch: Batch, kinds: np.ndarray, block: np.ndarray, t0: int, t1: int, eta: np.ndarray):
        width = len(block)
        self.chunk = t1 - t0
        k = np.arange(t0 + 1, t1 + 1, dtype=float)[:, None]
        self.vectors = {name: np.full(2 * width, np.nan if v is None else v) for name, v in NEUTRAL.items()}
        self.tables: dict[str, np.ndarray] = {}
        names = list(dict.fromkeys(kinds.tolist()))
        for kind in names:
            cols = np.flatnonzero(kinds == kind)
            hp = {key: arr[block[cols]] for key, arr in batch.hyper.items()}
            flat_cols = slice(None) if len(names) == 1 else np.concatenate([cols, cols + width])
            for name, value in coefficients(kind, batch.convention, hp, k, eta[:, cols]).items():
                value = np.asarray(value, dtype=float)
                if value.ndim == 2 and value.shape[0] > 1:  # changes with the update
                    table = self.tables.get(name)
                    if table is None:
                        table = self.tables[name] = np.tile(self.vectors[name], (self.chunk, 1))
                    table[:, flat_cols] = np.concatenate([value, value], axis=1) if value.shape[1] > 1 else value
                else:
                    flat_value = value.reshape(-1)
                    flat_value = np.concatenate([flat_value, flat_value]) if flat_value.size > 1 else flat_value
                    self.vectors[name][flat_cols] = flat_value
                    if name in self.tables:
                        self.tables[name][:, flat_cols] = flat_value

    def is_(self, name: str, value: float) -> bool:
        """Whether the coefficient equals ``value`` for every run and update of the chunk."""
        data = self.tables.get(name, self.vectors[name])
        return bool(np.all(data == value))

    def flat(self, name: str) -> np.ndarray:
        """A coefficient that does not change with the update, as a flat (2R,) vector."""
        if name in self.tables:
            raise ValueError(f"{name} changes with the update; use rows()")
        return self.vectors[name]

    def table(self, name: str) -> np.ndarray:
        """The coefficient as (chunk, 2R), whether or not it changes."""
        if name in self.tables:
            return self.tables[name]
        return np.broadcast_to(self.vectors[name], (self.chunk, self.vectors[name].size))

    def rows(self, name: str) -> list[np.ndarray]:
        """One flat (2R,) row per update of the chunk (the same vector when it does not change)."""
        if name in self.tables:
            return list(self.tables[name])
        return [self.vectors[name]] * self.chunk

    def stacked_rows(self, first: str, second: str) -> list[np.ndarray]:
        """Rows of (2, 2R): ``first`` stacked over ``second`` (for the joint update of m and v)."""
        if first not in self.tables and second not in self.tables:
            return [np.stack([self.vectors[first], self.vectors[second]])] * self.chunk
        return list(np.stack([self.table(first), self.table(second)], axis=1))


def _run_block(
    surface,
    sampler,
    batch: Batch,
    values: dict,
    block_kinds: np.ndarray,
    block: np.ndarray,
    record: bool,
    report: Callable[[int], None],
) -> Outcome:
    steps, width = batch.steps, len(block)
    n = 2 * width
    base = batch.hyper["lr"][block]
    theta0 = batch.starts[:, block].astype(float)
    plateau = schedules.PlateauState(values, base) if batch.schedule == "plateau" else None
    lo, hi = surface.bounds()
    centre, half = ((lo + hi) / 2)[:, None], ((hi - lo) / 2)[:, None]
    kinds = set(block_kinds.tolist())
    has_z, has_w = "adamax" in kinds, "adadelta" in kinds
    min_value = surface.min_value
    threshold = (min_value + batch.tolerance) if min_value is not None else -np.inf

    # State on the flat layout. In recording mode every row of a history array; in summary
    # mode two alternating rows, so the same loop serves both.
    rows = steps + 1 if record else 2
    per_update = steps if record else 1
    position = np.zeros((rows, n))
    moments = np.zeros((rows, 2, n))  # m (velocity) stacked over v
    zmax = np.zeros((rows, n))  # Adamax's u
    wdelta = np.zeros((rows, n))  # AdaDelta's u (average of Δ²)
    grads = np.zeros((per_update, 2, n))  # g stacked over g²
    den_hist = np.ones((per_update, n))
    eta_hist = np.empty((steps, width)) if record else None
    eff_hist = np.empty((steps, n)) if record else None
    loss_hist = np.empty((steps + 1, width)) if record else None
    position[0] = theta0.reshape(-1)

    def row_views(array: np.ndarray, count: int) -> list[np.ndarray]:
        return list(array) if record else [array[0], array[1]] * (count // 2 + 1)

    P = row_views(position, steps + 1)
    MV = row_views(moments, steps + 1)
    M, V = [mv[0] for mv in MV], [mv[1] for mv in MV]
    Zr, Wr = row_views(zmax, steps + 1), row_views(wdelta, steps + 1)
    GG = list(grads) if record else [grads[0]] * steps
    G, G2 = [gg[0] for gg in GG], [gg[1] for gg in GG]
    DEN = list(den_hist) if record else [den_hist[0]] * steps

    loss0 = surface.value(theta0[0], theta0[1])
    if _invalid(theta0, loss0, centre, half).any():
        raise SpecError("a start point lies outside the surface's bounds or where f is undefined")
    track = None if record else _Tracker(loss0, threshold, centre, half)
    need_loss = plateau is not None or not record
    if record and plateau is not None:
        loss_hist[0] = loss0
    tmp, tmp2 = np.empty(n), np.empty((2, n))
    step_vec, look = np.empty(n), np.empty(n)
    mul, add, sub, div, sqrt, maximum, absolute, concatenate = (
        np.multiply, np.add, np.subtract, np.divide, np.sqrt, np.maximum, np.abs, np.concatenate
    )  # fmt: skip
    chunk = max(1, min(steps, CHUNK_FLOATS // (16 * max(n, 1))))
    loss_prev = loss0
    for t0 in range(0, steps, chunk):
        t1 = min(steps, t0 + chunk)
        if batch.schedule in ("constant", "plateau"):
            eta = base[None, :]  # one row: η does not change with the update (plateau: see below)
        else:
            eta = schedules.rates(batch.schedule, values, base, np.arange(t0, t1), steps)
        coef = _Coefficients(batch, block_kinds, block, t0, t1, eta)
        if plateau is not None:
            # η_t is only known during the run: each η-dependent coefficient is A + B·η_t.
            zero = _Coefficients(batch, block_kinds, block, t0, t1, np.zeros_like(eta))
            unit = _Coefficients(batch, block_kinds, block, t0, t1, np.ones_like(eta))
            linear = {name: (zero.table(name), unit.table(name) - zero.table(name)) for name in ("b_m", "step", "eff")}
        # What this block needs, decided once per chunk.
        has_la = not coef.is_("lookahead", 0.0)
        has_m = plateau is not None or not (coef.is_("a_m", 0.0) and coef.is_("b_m", 1.0))
        has_v = not (coef.is_("a_v", 0.0) and coef.is_("b_v", 0.0))
        d_is_one = not (has_v or has_z or has_w) and coef.is_("e_i", 1.0) and coef.is_("e_o", 0.0)
        n_is_m = coef.is_("c_m", 1.0) and coef.is_("c_g", 0.0)
        has_e_i, has_e_o = not coef.is_("e_i", 0.0), not coef.is_("e_o", 0.0)
        c_v_one = coef.is_("c_v", 1.0)
        la = coef.flat("lookahead")
        a_mv = np.stack([coef.flat("a_m"), coef.flat("a_v")])
        b_mv_rows = coef.stacked_rows("b_m", "b_v")
        a_m, a_v, b_v = coef.flat("a_m"), coef.flat("a_v"), coef.flat("b_v")
        b_m_rows, c_v_rows = coef.rows("b_m"), coef.rows("c_v")
        c_m_rows, c_g_rows, lam_rows = coef.rows("c_m"), coef.rows("c_g"), coef.rows("step")
        e_i, e_o = coef.flat("e_i"), coef.flat("e_o")
        d_const = np.sqrt(e_i) + e_o
        a_z, e_z = coef.flat("a_z"), coef.flat("e_z")
        e_w, a_w, b_w = coef.flat("e_w"), coef.flat("a_w"), coef.flat("b_w")
        if record:
            eta_hist[t0:t1] = eta
            if plateau is None:
                eff_hist[t0:t1] = coef.table("eff")
        for t in range(t0, t1):
            i = t - t0
            if t % PROGRESS_EVERY == 0:
                report(t)
            th, th_next = P[t], P[t + 1]
            g, g2, d = G[t], G2[t], DEN[t]
            if plateau is not None:
                eta_now = np.concatenate([plateau.eta, plateau.eta])
                b_m_t = linear["b_m"][0][i] + linear["b_m"][1][i] * eta_now
                b_mv_t = np.stack([b_m_t, b_v])
                lam_t = linear["step"][0][i] + linear["step"][1][i] * eta_now
                if record:
                    eta_hist[t] = plateau.eta
                    eff_hist[t] = linear["eff"][0][i] + linear["eff"][1][i] * eta_now
            else:
                b_m_t, b_mv_t, lam_t = b_m_rows[i], b_mv_rows[i], lam_rows[i]
            # 1. the gradient, at the look-ahead point for NAG (lecture)
            if has_la:
                mul(la, M[t], out=look)
                sub(th, look, out=look)
                point = look
            else:
                point = th
            concatenate(sampler(point[:width], point[width:], t), out=g)
            # 2. first and second moments, jointly when both are needed
            if has_v:
                mul(g, g, out=g2)
            if has_m and has_v:
                mv_next = MV[t + 1]
                mul(a_mv, MV[t], out=mv_next)
                mul(b_mv_t, GG[t], out=tmp2)
                add(mv_next, tmp2, out=mv_next)
            elif has_m:
                mul(a_m, M[t], out=M[t + 1])
                mul(b_m_t, g, out=tmp)
                add(M[t + 1], tmp, out=M[t + 1])
            elif has_v:
                mul(a_v, V[t], out=V[t + 1])
                mul(b_v, g2, out=tmp)
                add(V[t + 1], tmp, out=V[t + 1])
            m_cur = M[t + 1] if has_m else g
            # 3. the denominator D
            if not d_is_one:
                if has_v:
                    if c_v_one:
                        add(V[t + 1], e_i, out=d)
                    else:
                        mul(c_v_rows[i], V[t + 1], out=d)
                        if has_e_i:
                            add(d, e_i, out=d)
                    sqrt(d, out=d)
                    if has_e_o:
                        add(d, e_o, out=d)
                else:
                    d[:] = d_const
                if has_z:
                    z_next = Zr[t + 1]
                    absolute(g, out=tmp)
                    add(tmp, e_z, out=tmp)
                    mul(a_z, Zr[t], out=z_next)
                    maximum(z_next, tmp, out=z_next)
                    maximum(d, z_next, out=d)
                if has_w:
                    add(Wr[t], e_w, out=tmp)
                    sqrt(tmp, out=tmp)
                    div(d, tmp, out=d)
            # 4. the step S = (c_m m + c_g g) / D and the move θ − λ S
            if n_is_m:
                numerator = m_cur
            else:
                mul(c_m_rows[i], m_cur, out=step_vec)
                mul(c_g_rows[i], g, out=tmp)
                add(step_vec, tmp, out=step_vec)
                numerator = step_vec
            if d_is_one:
                step = numerator
            else:
                div(numerator, d, out=step_vec)
                step = step_vec
            mul(lam_t, step, out=tmp)
            sub(th, tmp, out=th_next)
            if has_w:
                w_next = Wr[t + 1]
                mul(step, step, out=tmp)
                mul(b_w, tmp, out=tmp)
                mul(a_w, Wr[t], out=w_next)
                add(w_next, tmp, out=w_next)
            # 5. bookkeeping that needs the loss during the run
            if need_loss:
                loss_next = surface.value(th_next[:width], th_next[width:])
                if plateau is not None:
                    plateau.update(loss_prev)
                    if record:
                        loss_hist[t + 1] = loss_next
                if not record:
                    track.step(t + 1, th.reshape(2, width), th_next.reshape(2, width), loss_prev, loss_next)
                loss_prev = loss_next
    if not record:
        return track.outcome(P[steps].reshape(2, width), loss_prev)
    shaped = position.reshape(rows, 2, width)
    if plateau is None:
        loss_hist = surface.value(shaped[:, 0], shaped[:, 1])
    effective = np.divide(eff_hist, den_hist).reshape(steps, 2, width)
    recording = Recording(
        shaped,
        loss_hist,
        grads[:, 0].reshape(steps, 2, width),
        eta_hist,
        effective,
        moments[:, 0].reshape(rows, 2, width),
        moments[:, 1].reshape(rows, 2, width),
        zmax.reshape(rows, 2, width),
        wdelta.reshape(rows, 2, width),
    )
    return _finish_recording(recording, threshold, centre, half)


class _Tracker:
    """Summary statistics kept during a run in summary mode (O(runs) memory)."""

    def __init__(self, loss0, threshold, centre, half):
        width = loss0.shape[0]
        self.threshold, self.centre, self.half = threshold, centre, half
        self.alive = np.ones(width, dtype=bool)
        self.diverged_at = np.full(width, -1)
        self.last_position = np.full((2, width), np.nan)
        self.last_loss = np.full(width, np.nan)
        self.best = loss0.copy()
        self.reached = loss0 <= threshold
        self.count = self.reached.astype(np.int64)
        self.first_hit = np.full(width, -1)
        self.rows = 1  # rows seen so far
        self.tmp = np.empty((2, width))

    def step(self, index, th, th_next, loss_prev, loss_next):
        bad = _invalid(th_next, loss_next, self.centre, self.half, self.tmp)
        dying = bad & self.alive
        if dying.any():
            self.alive &= ~dying
            self.diverged_at[dying] = index
            self.last_position[:, dying] = th[:, dying]
            self.last_loss[dying] = loss_prev[dying]
            hit_rows = index - self.count[dying]
            self.first_hit[dying] = np.where(self.reached[dying], hit_rows, -1)
        with np.errstate(invalid="ignore"):
            np.fmin(self.best, np.where(self.alive, loss_next, np.nan), out=self.best)
            np.logical_or(self.reached, (loss_next <= self.threshold) & self.alive, out=self.reached)
        self.count += self.reached & self.alive
        self.rows = index + 1

    def outcome(self, final_position, final_loss):
        alive = self.alive
        position = np.where(alive, final_position, self.last_position)
        loss = np.where(alive, final_loss, self.last_loss)
        first_hit = np.where(alive, np.where(self.reached, self.rows - self.count, -1), self.first_hit)
        return Outcome(position, loss, self.best, first_hit, self.diverged_at)


def _invalid(theta, loss, centre, half, tmp=None):
    """Where a position is outside the bounds (or not finite) or its loss is not finite.

    ``theta`` is (..., 2, runs) and ``loss`` (..., runs); ``tmp``, shaped like ``theta``, saves an
    allocation on the per-step path.
    """
    tmp = np.subtract(theta, centre, out=tmp)
    np.abs(tmp, out=tmp)
    with np.errstate(invalid="ignore"):
        inside = (tmp <= half).all(axis=-2)
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
