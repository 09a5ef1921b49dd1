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

from dataclasses import dataclass

import numpy as np

from optim_core import schedules
from optim_core.optimizers import NEUTRAL, TIME_VARYING, coefficients
from optim_core.spec import SpecError
from surfaces.base import Surface

BLOCK_RUNS = 2048
CHUNK_FLOATS = 2_000_000
MAX_RECORDED_FLOATS = 80_000_000
MAX_SUMMARY_RUNS = 4_000_000
MAX_STEPS = 100_000


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


def run(surface: Surface, batch: Batch, record: bool = True) -> Outcome:
    """Step every run of ``batch`` on ``surface``; full recording or summary only."""
    check_request(batch.runs, batch.steps, record)
    values = batch.schedule_values or {}
    sampler = surface.gradient_sampler(batch.steps, batch.seed)
    outcomes = []
    order = _block_order(batch.kinds)
    # Diverging runs overflow and produce NaN on the way out; they are flagged, not warned about.
    with np.errstate(all="ignore"):
        for block in _blocks(order, BLOCK_RUNS):
            outcomes.append(_run_block(surface, sampler, batch, values, block, record))
    return _merge(outcomes, order, batch.runs)


def _block_order(kinds: list[str]) -> np.ndarray:
    # Small batches stay in one mixed block (fewest array operations per step); large ones are
    # grouped by optimizer so each block runs only the operations its rule needs.
    if len(kinds) <= BLOCK_RUNS:
        return np.arange(len(kinds))
    return np.argsort(np.array(kinds), kind="stable")


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
    """The generic coefficients of one block for updates t0 … t1 − 1."""

    def __init__(self, batch: Batch, values: dict, block: np.ndarray, t0: int, t1: int, eta: np.ndarray):
        kinds = [batch.kinds[i] for i in block]
        width = len(block)
        k = np.arange(t0 + 1, t1 + 1, dtype=float)[:, None]
        tables: dict[str, np.ndarray] = {}
        for name, neutral in NEUTRAL.items():
            shape = (t1 - t0, width) if name in TIME_VARYING else (width,)
            tables[name] = np.full(shape, np.nan if neutral is None else neutral)
        for kind in dict.fromkeys(kinds):
            cols = np.array([i for i, name in enumerate(kinds) if name == kind])
            hp = {key: arr[block[cols]] for key, arr in batch.hyper.items()}
            for name, value in coefficients(kind, batch.convention, hp, k, eta[:, cols]).items():
                target = tables[name]
                target[..., cols] = np.broadcast_to(value, target[..., cols].shape)
        self.tables = tables

    def get(self, name: str):
        """The table, reduced to a vector or a Python float when it does not vary."""
        table = self.tables[name]
        if table.ndim == 2 and table.shape[0] > 0 and np.array_equal(table, np.broadcast_to(table[0], table.shape)):
            table = table[0]
        flat = table.reshape(-1)
        if flat.size and np.all(flat == flat[0]):
            return float(flat[0])
        return table


def _run_block(surface, sampler, batch: Batch, values: dict, block: np.ndarray, record: bool) -> Outcome:
    steps, width = batch.steps, len(block)
    base = batch.hyper["lr"][block]
    theta0 = batch.starts[:, block].astype(float)
    plateau = schedules.PlateauState(values, base) if batch.schedule == "plateau" else None
    lo, hi = surface.bounds()
    centre, half = ((lo + hi) / 2)[:, None], ((hi - lo) / 2)[:, None]
    kinds = {batch.kinds[i] for i in block}
    has_z, has_w = "adamax" in kinds, "adadelta" in kinds
    min_value = surface.min_value
    threshold = (min_value + batch.tolerance) if min_value is not None else -np.inf

    # Buffers: in recording mode each row of a history array; in summary mode two alternating
    # rows, so the same loop serves both.
    rows = steps + 1 if record else 2

    def buffer(n=rows):
        return np.zeros((n, 2, width))

    position, first, second, zmax, wdelta = buffer(), buffer(), buffer(), buffer(), buffer()
    grad_hist = np.empty((steps if record else 1, 2, width))
    den_hist = np.empty((steps if record else 1, 2, width))
    eta_hist = np.empty((steps, width)) if record else None
    eff_hist = np.empty((steps, width)) if record else None
    loss_hist = np.empty((steps + 1, width)) if record else None
    position[0] = theta0

    def row(index: int) -> int:
        return index if record else index & 1

    loss0 = surface.value(theta0[0], theta0[1])
    track = _Tracker(theta0, loss0, threshold, centre, half, record)
    need_loss = plateau is not None or not record
    if record and plateau is not None:
        loss_hist[0] = loss0
    tmp = np.empty((2, width))
    step_vec = np.empty((2, width))
    look = np.empty((2, width))
    ones = None
    chunk = max(1, min(steps, CHUNK_FLOATS // (8 * max(width, 1))))
    loss_prev = loss0
    for t0 in range(0, steps, chunk):
        t1 = min(steps, t0 + chunk)
        t_idx = np.arange(t0, t1)
        eta = schedules.rates(batch.schedule, values, base, t_idx, steps)
        coef = _Coefficients(batch, values, block, t0, t1, eta)
        if plateau is not None:
            # η_t is only known during the run: split each η-dependent coefficient into A + B·η_t.
            zero = _Coefficients(batch, values, block, t0, t1, np.zeros_like(eta))
            unit = _Coefficients(batch, values, block, t0, t1, np.ones_like(eta))
            linear = {n: (zero.tables[n], unit.tables[n] - zero.tables[n]) for n in ("b_m", "step", "eff")}
        la, a_m, b_m = coef.get("lookahead"), coef.get("a_m"), coef.get("b_m")
        a_v, b_v, c_v, e_i, e_o = (coef.get(n) for n in ("a_v", "b_v", "c_v", "e_i", "e_o"))
        a_z, e_z, s_z = coef.get("a_z"), coef.get("e_z"), coef.get("s_z")
        e_w, a_w, b_w = coef.get("e_w"), coef.get("a_w"), coef.get("b_w")
        c_m, c_g, lam, eff = coef.get("c_m"), coef.get("c_g"), coef.get("step"), coef.get("eff")
        has_la = not (isinstance(la, float) and la == 0.0)
        m_is_g = plateau is None and isinstance(a_m, float) and a_m == 0.0 and isinstance(b_m, float) and b_m == 1.0
        has_v = not (isinstance(a_v, float) and a_v == 0.0 and isinstance(b_v, float) and b_v == 0.0)
        d_is_one = not (has_v or has_z or has_w) and e_i == 1.0 and e_o == 0.0
        n_is_m = isinstance(c_m, float) and c_m == 1.0 and isinstance(c_g, float) and c_g == 0.0
        if d_is_one and ones is None:
            ones = np.ones((2, width))
        if record:
            eta_hist[t0:t1] = eta
            if d_is_one:
                den_hist[t0:t1] = 1.0
            if plateau is None:
                eff_hist[t0:t1] = np.broadcast_to(eff, (t1 - t0, width))
        for t in range(t0, t1):
            i = t - t0
            th, th_next = position[row(t)], position[row(t + 1)]
            m, m_next = first[row(t)], first[row(t + 1)]
            g = grad_hist[t if record else 0]
            d = den_hist[t if record else 0]
            if plateau is not None:
                eta_now = plateau.eta
                b_m_t = linear["b_m"][0][i] + linear["b_m"][1][i] * eta_now
                lam_t = linear["step"][0][i] + linear["step"][1][i] * eta_now
                if record:
                    eta_hist[t] = eta_now
                    eff_hist[t] = linear["eff"][0][i] + linear["eff"][1][i] * eta_now
            else:
                b_m_t = b_m[i] if isinstance(b_m, np.ndarray) and b_m.ndim == 2 else b_m
                lam_t = lam[i] if isinstance(lam, np.ndarray) and lam.ndim == 2 else lam
            # 1. the point the gradient is taken at
            if has_la:
                np.multiply(la, m, out=look)
                np.subtract(th, look, out=look)
                point = look
            else:
                point = th
            gx, gy = sampler(point[0], point[1], t)
            g[0] = gx
            g[1] = gy
            # 2. first moment (or velocity)
            if m_is_g:
                m_cur = g
            else:
                np.multiply(a_m, m, out=m_next)
                np.multiply(b_m_t, g, out=tmp)
                np.add(m_next, tmp, out=m_next)
                m_cur = m_next
            # 3. denominator D
            if d_is_one:
                d = ones
            else:
                if has_v:
                    v, v_next = second[row(t)], second[row(t + 1)]
                    np.multiply(g, g, out=tmp)
                    np.multiply(b_v, tmp, out=tmp)
                    np.multiply(a_v, v, out=v_next)
                    np.add(v_next, tmp, out=v_next)
                    c_v_t = c_v[i] if isinstance(c_v, np.ndarray) and c_v.ndim == 2 else c_v
                    np.multiply(c_v_t, v_next, out=d)
                    np.add(d, e_i, out=d)
                else:
                    np.multiply(e_i, ones if ones is not None else 1.0, out=d)
                np.sqrt(d, out=d)
                np.add(d, e_o, out=d)
                if has_z:
                    z, z_next = zmax[row(t)], zmax[row(t + 1)]
                    np.abs(g, out=tmp)
                    np.add(tmp, e_z, out=tmp)
                    np.multiply(a_z, z, out=z_next)
                    np.maximum(z_next, tmp, out=z_next)
                    np.multiply(s_z, z_next, out=tmp)
                    np.maximum(d, tmp, out=d)
                if has_w:
                    w = wdelta[row(t)]
                    np.add(w, e_w, out=tmp)
                    np.sqrt(tmp, out=tmp)
                    np.divide(d, tmp, out=d)
            # 4. the step S = (c_m m + c_g g) / D, and the move
            if n_is_m:
                np.divide(m_cur, d, out=step_vec)
            else:
                c_m_t = c_m[i] if isinstance(c_m, np.ndarray) and c_m.ndim == 2 else c_m
                c_g_t = c_g[i] if isinstance(c_g, np.ndarray) and c_g.ndim == 2 else c_g
                np.multiply(c_m_t, m_cur, out=step_vec)
                np.multiply(c_g_t, g, out=tmp)
                np.add(step_vec, tmp, out=step_vec)
                np.divide(step_vec, d, out=step_vec)
            np.multiply(lam_t, step_vec, out=tmp)
            np.subtract(th, tmp, out=th_next)
            if has_w:
                w, w_next = wdelta[row(t)], wdelta[row(t + 1)]
                np.multiply(step_vec, step_vec, out=tmp)
                np.multiply(b_w, tmp, out=tmp)
                np.multiply(a_w, w, out=w_next)
                np.add(w_next, tmp, out=w_next)
            # 5. bookkeeping that needs the loss during the run
            if need_loss:
                loss_next = surface.value(th_next[0], th_next[1])
                if plateau is not None:
                    plateau.update(loss_prev)
                    if record:
                        loss_hist[t + 1] = loss_next
                if not record:
                    track.step(t + 1, th, th_next, loss_prev, loss_next)
                loss_prev = loss_next
    if not record:
        return track.outcome(position[row(steps)], loss_prev)
    if plateau is None:
        loss_hist = surface.value(position[:, 0], position[:, 1])
    np.divide(eff_hist[:, None, :], den_hist, out=den_hist)
    recording = Recording(position, loss_hist, grad_hist, eta_hist, den_hist, first, second, zmax, wdelta)
    return _finish_recording(recording, threshold, centre, half)


class _Tracker:
    """Summary statistics kept during a run in summary mode (O(runs) memory)."""

    def __init__(self, theta0, loss0, threshold, centre, half, record):
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
        self.tmp = np.empty((2, width))
        bad0 = _invalid(theta0, loss0, centre, half, self.tmp)
        if bad0.any():
            raise SpecError("a start point lies outside the surface's bounds or where f is undefined")

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
        rows = getattr(self, "rows", 1)
        first_hit = np.where(alive, np.where(self.reached, rows - self.count, -1), self.first_hit)
        return Outcome(position, loss, self.best, first_hit, self.diverged_at)


def _invalid(theta, loss, centre, half, tmp):
    """Rows whose position is outside the bounds (or not finite) or whose loss is not finite."""
    np.subtract(theta, centre, out=tmp)
    np.abs(tmp, out=tmp)
    with np.errstate(invalid="ignore"):
        inside = (tmp <= half).all(axis=0)
    return ~(inside & np.isfinite(loss))


def _finish_recording(rec: Recording, threshold, centre, half) -> Outcome:
    steps = rec.grad.shape[0]
    position, loss = rec.position, rec.loss
    with np.errstate(invalid="ignore"):
        inside = (np.abs(position - centre) <= half).all(axis=1)
    bad = ~(inside & np.isfinite(loss))  # (T+1, R)
    if bad[0].any():
        raise SpecError("a start point lies outside the surface's bounds or where f is undefined")
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
