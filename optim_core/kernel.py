"""The engine's inner loop, compiled with numba.

One call steps every run of a block through a range of updates. Per update and run it does,
in this order: the point where the gradient is taken (θ, or NAG's look-ahead θ − ℓ·m); the
gradient there (and the loss at θ, fused with it); the summary bookkeeping of row t; then
the generic update of :mod:`optim_core.optimizers`, operation for operation as its docstring
writes it, so that each float operation and its order match the scalar rules of
optimizers.md and a run gives the same numbers alone, in a mixed block or in a sweep.

The gradient comes from a compiled surface (:mod:`surfaces.compiled`, ``sid >= 0``), or,
for surfaces without one (``sid < 0``), was written into ``G`` by the caller before a
one-update call.

Layout (R runs):
    S  (rows, 5, 2, R)  θ, m, v, z (Adamax), w (AdaDelta); rows = steps + 1 when recording,
                        else 2 (row t % 2)
    G  (updates, 2, R)  the gradient of update t (row 0 only when not recording)
    D  (updates, 2, R)  the denominator of update t (recording only)
    L  (rows, R)        the loss of row t
    K  tuple of 2-D coefficient tables in COEFFICIENTS order, each (chunk or 1, R or 1)

Speed comes from loops that LLVM vectorizes: each runs over the runs of one coordinate with
the surface and the rule's shape fixed. ``ADVANCE[-1]`` reads the update's shape from the
flags at run time (any block: mixed optimizers, recording); ``ADVANCE[i]`` has shape
``SHAPES[i]`` compiled in, so its update is branch-free and vectorized, 2-3 times faster (a
block of one optimizer in summary mode, as a sweep has). Each is compiled on first use.
Choosing the formula or the rule per run inside the loop would cost an order of magnitude.
"""

from __future__ import annotations

import math

from numba import njit

from surfaces.compiled import JIT, evaluate

COEFFICIENTS = (
    "lookahead", "a_m", "b_m", "a_v", "b_v", "c_v", "e_i", "e_o",
    "a_z", "e_z", "e_w", "a_w", "b_w", "c_m", "c_g", "step",
)  # fmt: skip
LA, A_M, B_M, A_V, B_V, C_V, E_I, E_O, A_Z, E_Z, E_W, A_W, B_W, C_M, C_G, STEP = range(len(COEFFICIENTS))
THETA, MOMENT, SECOND, ZMAX, WDELTA = range(5)
# The update's shape is FLAGS[1:8]: which state it keeps and which operations it needs.
FLAGS = (
    "has_la", "has_m", "has_v", "has_z", "has_w", "d_is_one", "n_is_m", "record",
    "need_loss", "track", "has_noise",
)  # fmt: skip
SHAPE = slice(1, 8)
# Shapes compiled on their own (summary mode): (has_m, has_v, has_z, has_w, d_is_one, n_is_m, record).
SHAPES = (
    (False, True, False, False, False, True, False),  # AdaGrad
    (True, True, False, False, False, True, False),  # AdaGrad under plateau
    (True, True, False, False, False, False, False),  # NAdam
)


@njit(**JIT)
def _fill(dst, table, i):
    """Row i of a coefficient table (row 0 if it has one), widened to every run."""
    row = table[i if table.shape[0] > 1 else 0]
    if row.size == 1:
        dst[:] = row[0]
    else:
        dst[:] = row


@njit(**JIT)
def _nan_max(a, b):
    """max that propagates NaN, as np.maximum does."""
    if a != a or a >= b:
        return a
    return b


@njit(inline="always", **JIT)
def _valid(x, y, f, cx, cy, hx, hy):
    """Inside the bounding box and with a finite loss (the rule of engine._invalid, negated).

    Bitwise & without short-circuit, so that a loop calling it stays branch-free."""
    return (abs(x - cx) <= hx) & (abs(y - cy) <= hy) & (abs(f) < math.inf)


@njit(**JIT)
def track_row(t, S, L, record, diverged, last_pos, last_loss, best, first_hit, centre, half, threshold):
    """Summary bookkeeping of row t: divergence (frozen at the last valid row), best loss, tolerance.

    The first loop, branch-free so that it vectorizes, keeps the best loss and counts the rare
    events (a run stops, or first comes within tolerance) that the second one then records.
    """
    row = t if record else t & 1
    prev = t - 1 if record else (t - 1) & 1
    x, y, loss = S[row, THETA, 0], S[row, THETA, 1], L[row]
    cx, cy, hx, hy = centre[0], centre[1], half[0], half[1]
    events = 0
    for r in range(x.size):
        f, b = loss[r], best[r]
        valid = _valid(x[r], y[r], f, cx, cy, hx, hy)
        alive = diverged[r] < 0
        counts = alive & valid
        best[r] = f if counts & (f < b) else b
        events += (alive & ~valid) | (counts & (first_hit[r] < 0) & (f <= threshold))
    if events == 0:
        return
    for r in range(x.size):
        if diverged[r] >= 0:
            continue
        f = loss[r]
        if not _valid(x[r], y[r], f, cx, cy, hx, hy):
            diverged[r] = t
            last_pos[0, r] = S[prev, THETA, 0, r]
            last_pos[1, r] = S[prev, THETA, 1, r]
            last_loss[r] = L[prev, r]
        elif first_hit[r] < 0 and f <= threshold:
            first_hit[r] = t


@njit(inline="always", **JIT)
def _update(arrays, C, shape):
    """One coordinate of the generic update for every run; ``shape`` is a SHAPES entry.

    ``arrays``: the gradient, θ, m, v, z and w in and out, and the denominator out.

    Coefficients left neutral are still applied where the shape keeps the operation (for
    instance c_v = 1 or e_i = 0 inside √(c_v·v + e_i) + e_o): neutral operations are exact.
    """
    has_m, has_v, has_z, has_w, d_is_one, n_is_m, record = shape
    g_, th_in, th_out, m_in, m_out, v_in, v_out, z_in, z_out, w_in, w_out, d_out = arrays
    lam, a_m, b_m, a_v, b_v, c_v, e_i, e_o = C[STEP], C[A_M], C[B_M], C[A_V], C[B_V], C[C_V], C[E_I], C[E_O]
    a_z, e_z, e_w, a_w, b_w, c_m, c_g = C[A_Z], C[E_Z], C[E_W], C[A_W], C[B_W], C[C_M], C[C_G]
    for r in range(g_.size):
        g = g_[r]
        m = g
        if has_m:
            m = a_m[r] * m_in[r] + b_m[r] * g
            m_out[r] = m
        d = 1.0
        if not d_is_one:
            if has_v:
                v = a_v[r] * v_in[r] + b_v[r] * (g * g)
                v_out[r] = v
                d = math.sqrt(c_v[r] * v + e_i[r]) + e_o[r]
            else:
                d = math.sqrt(e_i[r]) + e_o[r]
            if has_z:
                z = _nan_max(a_z[r] * z_in[r], abs(g) + e_z[r])
                z_out[r] = z
                d = _nan_max(d, z)
            if has_w:
                d = d / math.sqrt(w_in[r] + e_w[r])
            if record:
                d_out[r] = d
        numerator = m if n_is_m else c_m[r] * m + c_g[r] * g
        step = numerator if d_is_one else numerator / d
        th_out[r] = th_in[r] - lam[r] * step
        if has_w:
            w_out[r] = a_w[r] * w_in[r] + b_w[r] * (step * step)


def _compile_advance(shape):
    """``advance`` with the update's shape fixed at compile time (a SHAPES entry), or read
    from the flags at run time (None). numba compiles each on its first call and caches it."""
    fixed = shape is not None
    shape = shape if fixed else SHAPES[0]  # unused when not fixed

    @njit(**JIT)
    def advance(
        t0, t1, c0, steps, sid, sp, noise, flags, S, G, D, L, K, C, scratch,
        diverged, last_pos, last_loss, best, first_hit, centre, half, threshold,
    ):  # fmt: skip
        """Updates t0 … t1 − 1 of one block (coefficient row t − c0); see the module docstring.

        ``C`` (coefficients, runs) holds each coefficient's row for the current update, widened
        to every run; ``scratch`` (3, runs) is working space.
        """
        has_la, record, need_loss, track, has_noise = flags[0], flags[7], flags[8], flags[9], flags[10]
        update_shape = shape if fixed else (flags[1], flags[2], flags[3], flags[4], flags[5], flags[6], flags[7])
        runs = S.shape[3]
        for j in range(len(K)):
            _fill(C[j], K[j], t0 - c0)
        for t in range(t0, t1):
            ri = t if record else t & 1
            ro = t + 1 if record else (t + 1) & 1
            gi = t if record else 0
            i = t - c0
            if t > t0:
                for j in range(len(K)):
                    if K[j].shape[0] > 1:
                        _fill(C[j], K[j], i)
            # 1. the gradient at the look-ahead point, and the loss at θ
            if sid >= 0:
                x, y = S[ri, THETA, 0], S[ri, THETA, 1]
                px, py, f = x, y, L[ri]
                if has_la:
                    px, py, f = scratch[0], scratch[1], scratch[2]
                    la = C[LA]
                    mx, my = S[ri, MOMENT, 0], S[ri, MOMENT, 1]
                    for r in range(runs):
                        px[r] = x[r] - la[r] * mx[r]
                        py[r] = y[r] - la[r] * my[r]
                gx, gy = G[gi, 0], G[gi, 1]
                evaluate(sid, px, py, sp, f, gx, gy)
                if has_noise:
                    for r in range(runs):
                        gx[r] = gx[r] + noise[t, 0]
                        gy[r] = gy[r] + noise[t, 1]
                if need_loss and has_la:
                    evaluate(sid, x, y, sp, L[ri], scratch[0], scratch[1])
                if track:
                    track_row(t, S, L, record, diverged, last_pos, last_loss, best, first_hit, centre, half, threshold)
            # 2. the generic update, coordinate by coordinate
            for c in range(2):
                arrays = (
                    G[gi, c], S[ri, THETA, c], S[ro, THETA, c], S[ri, MOMENT, c], S[ro, MOMENT, c],
                    S[ri, SECOND, c], S[ro, SECOND, c], S[ri, ZMAX, c], S[ro, ZMAX, c],
                    S[ri, WDELTA, c], S[ro, WDELTA, c], D[gi, c],
                )  # fmt: skip
                _update(arrays, C, update_shape)
        # 3. the last row's loss, once the run is over
        if t1 == steps and sid >= 0 and need_loss:
            last = steps if record else steps & 1
            evaluate(sid, S[last, THETA, 0], S[last, THETA, 1], sp, L[last], scratch[0], scratch[1])
            if track:
                track_row(steps, S, L, record, diverged, last_pos, last_loss, best, first_hit, centre, half, threshold)

    return advance


# ADVANCE[i] has shape SHAPES[i]; ADVANCE[-1] reads the shape from the flags.
ADVANCE = (*(_compile_advance(shape) for shape in SHAPES), _compile_advance(None))
