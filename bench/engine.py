"""Engine benchmark: the batched engine against a plain per-run Python loop, side by side.

    python -m bench.engine            # full table (about a minute)
    python -m bench.engine --quick    # smaller sweep, for a fast look

(a) the default interactive scene: 9 optimizers × 1 run × 500 steps on Rosenbrock with full
    recording, against the plain loop recording the same quantities (position, loss,
    gradient, η_t, effective rate, state);
(b) a sweep: 9 optimizers × N runs × 500 steps in summary mode, in run-steps per second,
    against the plain loop without recording (it keeps nothing per step either);
(c) what simulate() costs on top of the engine, per run-step, for 2,000 and 20,000 runs, and
    the limit: a hand-tight numba loop of Adam on Rosenbrock (steps outside, runs inside, one
    rule, nothing kept but θ and the state), ``hand_tight_adam`` below;
(d) blocks of mixed optimizers and counts just past a block, against the same runs one rule at
    a time (what mixing costs) and Adam alone;
(e) the six rules issue #16 added, per run-step, against Adam in the same run
    and against a plain Python loop calling the rule's own ``update`` (its py_func).

Times are the best of several repeats, measured in one process, one after the other. The
engine uses every core for (b) (a thread per block); the plain loop is single-threaded, as a
plain loop is. The first call compiles the engine's loop (or loads it from numba's cache); the
warm-up run keeps that out of the figures.
"""

from __future__ import annotations

import argparse
import math
import platform
import time

import numpy as np
from numba import njit

from bench.plain_loop import run_plain
from optim_core import engine
from optim_core.api import simulate
from optim_core.optimizers import OPTIMIZERS, ORDER
from optim_core.rules import ADDED
from spec_strings import Spec, resolved
from surfaces import make_surface

NAMES = list(ORDER)  # (a), (b), (d): the nine, which the plain loop writes out by hand
START = (-1.2, 1.0)
STEPS = 500


def best_of(repeats: int, fn) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


@njit(inline="always", error_model="numpy")
def _adam_step(r, a, b, x, y, mx, my, vx, vy, lr, beta1, beta2, eps, c_m, c_v):
    """Run r's Adam update at (a, b) on Rosenbrock (a = 1, b = 100), in place: inlined by numba
    into the loops below, which LLVM then vectorizes over the runs."""
    gx, gy = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a), 200.0 * (b - a * a)
    mx[r] = beta1 * mx[r] + (1.0 - beta1) * gx
    my[r] = beta1 * my[r] + (1.0 - beta1) * gy
    vx[r] = beta2 * vx[r] + (1.0 - beta2) * (gx * gx)
    vy[r] = beta2 * vy[r] + (1.0 - beta2) * (gy * gy)
    x[r] = a - lr * (c_m * mx[r]) / (math.sqrt(c_v * vx[r]) + eps)
    y[r] = b - lr * (c_m * my[r]) / (math.sqrt(c_v * vy[r]) + eps)


@njit(cache=True, nogil=True, error_model="numpy")
def hand_tight_adam(x, y, steps, lr, beta1, beta2, eps):
    """Adam (lecture convention) on Rosenbrock, written out by hand: the limit the engine is
    measured against. It keeps no loss, no divergence, no best loss and no effective rate."""
    runs = x.size
    mx, my, vx, vy = np.zeros(runs), np.zeros(runs), np.zeros(runs), np.zeros(runs)
    for t in range(steps):
        k = t + 1.0
        c_m, c_v = 1.0 / (1.0 - beta1**k), 1.0 / (1.0 - beta2**k)
        for r in range(runs):
            a, b = x[r], y[r]
            _adam_step(r, a, b, x, y, mx, my, vx, vy, lr, beta1, beta2, eps, c_m, c_v)


@njit(cache=True, nogil=True, error_model="numpy")
def hand_tight_adam_kept(x, y, steps, lr, beta1, beta2, eps, lo, hi):
    """``hand_tight_adam`` keeping what a summary keeps: each run's best loss, and the step at
    which it left the box [lo, hi] or its loss stopped being finite (it stops counting then).
    The engine's summary does this work too, so this is the limit for the same work."""
    runs = x.size
    mx, my, vx, vy = np.zeros(runs), np.zeros(runs), np.zeros(runs), np.zeros(runs)
    best, stop = np.full(runs, np.inf), np.full(runs, -1)
    x0, x1, y0, y1 = lo[0], hi[0], lo[1], hi[1]
    for t in range(steps):
        k = t + 1.0
        c_m, c_v = 1.0 / (1.0 - beta1**k), 1.0 / (1.0 - beta2**k)
        for r in range(runs):
            a, b = x[r], y[r]
            f = (1.0 - a) ** 2 + 100.0 * (b - a * a) ** 2
            ok = (stop[r] < 0) & (a >= x0) & (a <= x1) & (b >= y0) & (b <= y1) & (abs(f) < math.inf)
            best[r] = min(best[r], f) if ok else best[r]
            stop[r] = t if (stop[r] < 0) & ~ok else stop[r]
            _adam_step(r, a, b, x, y, mx, my, vx, vy, lr, beta1, beta2, eps, c_m, c_v)
    for r in range(runs):  # the last position's loss
        a, b = x[r], y[r]
        f = (1.0 - a) ** 2 + 100.0 * (b - a * a) ** 2
        ok = (stop[r] < 0) & (a >= x0) & (a <= x1) & (b >= y0) & (b <= y1) & (abs(f) < math.inf)
        best[r] = min(best[r], f) if ok else best[r]
        stop[r] = steps if (stop[r] < 0) & ~ok else stop[r]
    return best, stop


def defaults() -> dict[str, dict]:
    return {name: resolved(Spec(name), info.params) for name, info in OPTIMIZERS.items()}


def plain_scene(hp, record: bool, runs_per_optimizer: int = 1) -> None:
    for name in NAMES:
        for _ in range(runs_per_optimizer):
            run_plain(name, hp[name], START, STEPS, record=record)


def sweep_batch(runs: int) -> engine.Batch:
    batch = _batch([name for name in NAMES for _ in range(runs)], STEPS)
    # A grid of learning rates around each default, as a sweep would give.
    batch.hyper["lr"] = batch.hyper["lr"] * np.tile(np.geomspace(0.25, 4.0, runs), len(NAMES))
    return batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 runs per optimizer instead of 10,000")
    args = parser.parse_args()
    hp = defaults()
    surface = make_surface("rosenbrock")
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, NumPy {np.__version__}"
    )

    # (a) the interactive scene
    specs = NAMES
    simulate("rosenbrock", specs, start=START, steps=STEPS)  # warm-up
    engine_full = best_of(15, lambda: simulate("rosenbrock", specs, start=START, steps=STEPS))
    plain_full = best_of(15, lambda: plain_scene(hp, record=True))
    plain_bare = best_of(15, lambda: plain_scene(hp, record=False))
    print("\n(a) 9 optimizers x 1 run x 500 steps, full recording (best of 15)")
    print(f"{'':44}{'time':>10}{'vs plain':>10}")
    print(f"{'plain Python loop, same recording':44}{plain_full * 1e3:>8.2f}ms{1.0:>9.2f}x")
    print(f"{'plain Python loop, positions only':44}{plain_bare * 1e3:>8.2f}ms{plain_bare / plain_full:>9.2f}x")
    print(f"{'engine via simulate() (full recording)':44}{engine_full * 1e3:>8.2f}ms{engine_full / plain_full:>9.2f}x")

    # (b) the sweep
    runs = 1000 if args.quick else 10_000
    batch = sweep_batch(runs)
    total_run_steps = len(batch.kinds) * STEPS
    engine_sweep = best_of(2, lambda: engine.run(surface, batch, record=False))
    sample = 20
    plain_sample = best_of(3, lambda: plain_scene(hp, record=False, runs_per_optimizer=sample))
    plain_rate = len(NAMES) * sample * STEPS / plain_sample
    engine_rate = total_run_steps / engine_sweep
    threads, engine.THREADS = engine.THREADS, 1
    engine_one = best_of(2, lambda: engine.run(surface, batch, record=False))
    engine.THREADS = threads
    one_rate = total_run_steps / engine_one
    print(f"\n(b) 9 optimizers x {runs:,} runs x 500 steps, summary mode")
    print(f"{'':44}{'run-steps/s':>14}{'vs plain':>10}")
    print(f"{'plain Python loop (9 x 20 runs, per run-step)':44}{plain_rate / 1e6:>12.2f} M{1.0:>9.1f}x")
    print(f"{'engine, summary mode, one thread':44}{one_rate / 1e6:>12.2f} M{one_rate / plain_rate:>9.1f}x")
    label = f"engine, summary mode, {threads} threads"
    print(f"{label:44}{engine_rate / 1e6:>12.2f} M{engine_rate / plain_rate:>9.1f}x")
    print(f"engine sweep wall time: {engine_sweep:.2f} s for {total_run_steps / 1e6:.0f} M run-steps")

    # (c) what simulate() adds to the engine: the same batch through the API and straight in
    print(
        "\n(c) simulate(record=False) against engine.run on its batch and a hand-tight loop: adam, Rosenbrock, 200 steps, one thread"
    )
    print(
        f"{'runs':>8}{'hand-tight ns':>15}{'hand, keeping the summary':>27}{'engine ns':>11}{'vs hand':>9}{'vs kept':>9}"
        f"{'simulate ns':>13}{'vs engine':>11}"
    )
    threads, engine.THREADS = engine.THREADS, 1
    for count in (2_000, 20_000):
        points = np.random.default_rng(0).uniform(-1.5, 1.5, (count, 2))
        adam = resolved(Spec("adam"), OPTIMIZERS["adam"].params)
        hyper = {key: np.full(count, float(value)) for key, value in adam.items()}
        alone = engine.Batch(["adam"] * count, hyper, points.T.copy(), 200)
        straight = best_of(5, lambda alone=alone: engine.run(surface, alone, record=False))
        through = best_of(5, lambda points=points: simulate(surface, "adam", start=points, steps=200, record=False))
        adam_values = [float(adam[key]) for key in ("lr", "beta1", "beta2", "eps")]
        hand_tight_adam(points[:2, 0].copy(), points[:2, 1].copy(), 2, *adam_values)  # compiled or loaded first

        def tight(points=points, values=adam_values):
            hand_tight_adam(points[:, 0].copy(), points[:, 1].copy(), 200, *values)

        limit = best_of(5, tight)
        lo, hi = (np.array(side, dtype=float) for side in surface.bounds())
        hand_tight_adam_kept(points[:2, 0].copy(), points[:2, 1].copy(), 2, *adam_values, lo, hi)

        def kept(points=points, values=adam_values, lo=lo, hi=hi):
            hand_tight_adam_kept(points[:, 0].copy(), points[:, 1].copy(), 200, *values, lo, hi)

        same_work = best_of(5, kept)
        scale = 1e9 / (count * 200)
        print(
            f"{count:>8,}{limit * scale:>15.2f}{same_work * scale:>27.2f}{straight * scale:>11.2f}"
            f"{straight / limit:>8.2f}x{straight / same_work:>8.2f}x{through * scale:>13.2f}{through / straight:>10.2f}x"
        )
    engine.THREADS = threads

    # (d) blocks that mix optimizers, and a count just past a block: per run-step against the same
    # runs one rule at a time (what mixing costs), and against adam alone (for scale)
    print("\n(d) 9 optimizers mixed, summary mode, Rosenbrock, 1,000 steps (best of 3)")
    print(f"{'runs':>8}{'mixed ns/run-step':>20}{'one rule at a time':>20}{'ratio':>8}{'adam alone':>12}")
    for count in (90, 450, 1_800, 2_001, 9 * 2_001):
        kinds = [NAMES[i % len(NAMES)] for i in range(count)]
        mixed, alone = _batch(kinds), _batch(["adam"] * count)
        apart = [_batch([name] * kinds.count(name)) for name in NAMES]
        together = best_of(3, lambda b=mixed: engine.run(surface, b, record=False))
        one_at_a_time = sum(best_of(3, lambda b=b: engine.run(surface, b, record=False)) for b in apart)
        adam_alone = best_of(3, lambda b=alone: engine.run(surface, b, record=False))
        scale = 1e9 / (count * 1000)
        print(
            f"{count:>8,}{together * scale:>20.2f}{one_at_a_time * scale:>20.2f}"
            f"{together / one_at_a_time:>7.2f}x{adam_alone * scale:>12.2f}"
        )

    # (e) the rules of their own
    print("\n(e) rules of their own, summary mode, 2,000 runs x 500 steps on Rosenbrock (best of 3)")
    print(f"{'rule':>10}{'engine ns/run-step':>20}{'vs adam':>9}{'plain loop ns/run-step':>24}{'vs plain':>10}")
    adam = best_of(3, lambda: engine.run(surface, _batch(["adam"] * 2000, STEPS), record=False)) * 1e9 / (2000 * STEPS)
    print(f"{'adam':>10}{adam:>20.2f}{1.0:>8.2f}x")
    for name in ADDED:
        batch = _batch([name] * 2000, STEPS)
        ours = best_of(3, lambda b=batch: engine.run(surface, b, record=False)) * 1e9 / (2000 * STEPS)
        plain = best_of(1, lambda n=name: _plain_rule(n, runs=20, steps=100)) * 1e9 / (20 * 100)
        print(f"{name:>10}{ours:>20.2f}{ours / adam:>8.2f}x{plain:>24.0f}{plain / ours:>9.0f}x")


def _plain_rule(name: str, runs: int, steps: int) -> None:
    """A plain Python loop over runs and steps calling the rule's own update, one coordinate at a time."""
    info = OPTIMIZERS[name]
    values = resolved(Spec(name), info.params)
    hyper = [float(values[key]) for key in info.hyper_keys]
    for _ in range(runs):
        x, y = START
        state = [[0.0] * len(info.state) for _ in range(2)]
        for t in range(steps):
            k = float(t + 1)
            per_update = info.per_update.values(k, values) if info.per_update else ()
            gx, gy = -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)
            new = []
            for c, (theta, g) in enumerate(((x, gx), (y, gy))):
                out = info.update.py_func(g, theta, k, values["lr"], values["lr"], True, *state[c], *hyper, *per_update)
                state[c] = list(out[2:])
                new.append(out[0])
            x, y = new


def _batch(kinds: list[str], steps: int = 1000) -> engine.Batch:
    """Runs of the given optimizers with their defaults, all from START."""
    names, hyper = np.array(kinds), {}
    for name in dict.fromkeys(kinds):
        for key, value in resolved(Spec(name), OPTIMIZERS[name].params).items():
            hyper.setdefault(key, np.full(len(kinds), np.nan))[names == name] = float(value)
    return engine.Batch(kinds, hyper, np.tile(np.array(START)[:, None], (1, len(kinds))), steps)


if __name__ == "__main__":
    main()
