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

Every inner loop runs over the runs of one coordinate with the surface and the flags fixed,
so that LLVM vectorizes it; choosing the formula or the rule per run inside the loop would
cost an order of magnitude (see bench/engine.py).
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
FLAGS = (
    "has_la", "has_m", "has_v", "has_z", "has_w", "d_is_one", "n_is_m", "has_e_i", "has_e_o",
    "c_v_one", "record", "need_loss", "track", "has_noise",
)  # fmt: skip


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


@njit(**JIT)
def track_row(t, S, L, record, diverged, last_pos, last_loss, best, first_hit, centre, half, threshold):
    """Summary bookkeeping of row t: divergence (frozen at the last valid row), best loss, tolerance."""
    row = t if record else t & 1
    prev = t - 1 if record else (t - 1) & 1
    x, y, loss = S[row, THETA, 0], S[row, THETA, 1], L[row]
    for r in range(x.size):
        inside = abs(x[r] - centre[0]) <= half[0] and abs(y[r] - centre[1]) <= half[1]
        valid = inside and math.isfinite(loss[r])
        alive = diverged[r] < 0
        if alive and not valid:
            diverged[r] = t
            last_pos[0, r] = S[prev, THETA, 0, r]
            last_pos[1, r] = S[prev, THETA, 1, r]
            last_loss[r] = L[prev, r]
        elif alive:
            best[r] = min(best[r], loss[r])
            if first_hit[r] < 0 and loss[r] <= threshold:
                first_hit[r] = t


@njit(**JIT)
def advance(
    t0, t1, c0, steps, sid, sp, noise, flags, S, G, D, L, K, C, scratch,
    diverged, last_pos, last_loss, best, first_hit, centre, half, threshold,
):  # fmt: skip
    """Updates t0 … t1 − 1 of one block (coefficient row t − c0); see the module docstring.

    ``C`` (coefficients, runs) holds each coefficient's row for the current update, widened to
    every run; ``scratch`` (3, runs) is working space.
    """
    has_la, has_m, has_v, has_z, has_w = flags[0], flags[1], flags[2], flags[3], flags[4]
    d_is_one, n_is_m, has_e_i, has_e_o, c_v_one = flags[5], flags[6], flags[7], flags[8], flags[9]
    record, need_loss, track, has_noise = flags[10], flags[11], flags[12], flags[13]
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
        lam, a_m, b_m, a_v, b_v, c_v = C[STEP], C[A_M], C[B_M], C[A_V], C[B_V], C[C_V]
        e_i, e_o, a_z, e_z, e_w, a_w, b_w, c_m, c_g = (
            C[E_I],
            C[E_O],
            C[A_Z],
            C[E_Z],
            C[E_W],
            C[A_W],
            C[B_W],
            C[C_M],
            C[C_G],
        )
        for c in range(2):
            g_, th_in, th_out = G[gi, c], S[ri, THETA, c], S[ro, THETA, c]
            m_in, m_out, v_in, v_out = S[ri, MOMENT, c], S[ro, MOMENT, c], S[ri, SECOND, c], S[ro, SECOND, c]
            z_in, z_out, w_in, w_out = S[ri, ZMAX, c], S[ro, ZMAX, c], S[ri, WDELTA, c], S[ro, WDELTA, c]
            d_out = D[gi, c]
            for r in range(runs):
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
                        if c_v_one:
                            d = v + e_i[r]
                        else:
                            d = c_v[r] * v
                            if has_e_i:
                                d = d + e_i[r]
                        d = math.sqrt(d)
                        if has_e_o:
                            d = d + e_o[r]
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
    # 3. the last row's loss, once the run is over
    if t1 == steps and sid >= 0 and need_loss:
        last = steps if record else steps & 1
        evaluate(sid, S[last, THETA, 0], S[last, THETA, 1], sp, L[last], scratch[0], scratch[1])
        if track:
            track_row(steps, S, L, record, diverged, last_pos, last_loss, best, first_hit, centre, half, threshold)
