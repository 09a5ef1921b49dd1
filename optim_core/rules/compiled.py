"""The compiled loops that step a block: one per rule, one of every rule for mixed blocks, and
the fused loops, one per rule, surface, convention and setting of the rule's switches, for a
block of one rule whose runs share every key in summary mode (:func:`fused`).

numba specialises a loop on the function it calls, but it caches nothing that takes a
function as an argument or closes over one (measured: a cache miss on every start). So each
loop is a small module of its own, written from TEMPLATE into ``_loops/`` beside this file,
that imports the rules' ``update`` by name: numba caches it like any other module. The
module's text carries a fingerprint of every source the loop inlines; when one changes, the
text changes, the file is rewritten and numba compiles it again.

Layout (R runs): S (rows, 5, 2, R) holds θ and up to four state slots, every row when
recording, else three rows in turn (t % 3); G (updates, 2, R) the gradients; E the
effective rates; L (rows, R) the losses; H (keys, R) each run's rule's keys; P the values a
rule needs once per update (:class:`optim_core.rules.base.PerUpdate`), computed first in each
update for each stretch of runs that share the keys (SEG); ``groups`` the stretches of runs of
one rule. Per update the loop takes the gradient of every run (at the look-ahead point for a
rule that declares one) and the loss with it, does the summary's bookkeeping
(:func:`optim_core.kernel.track_row`), then calls each run's rule's ``update`` for each
coordinate.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from functools import cache
from pathlib import Path

from surfaces.compiled import COMPILED_SOURCES, ROOT

TEMPLATE = '''\
"""The compiled loop of {names}: written by optim_core/rules/compiled.py, do not edit.

Sources {digest}
"""

from numba import njit

from optim_core.kernel import track_row
from surfaces.compiled import JIT, evaluate
{imports}

# Per rule: the row of H that holds its look-ahead key (lecture convention), −1 for none.
LOOKAHEAD = ({lookahead},)


@njit(**JIT)
def advance(
    t0, t1, c0, steps, sid, sp, noise, has_noise, record, need_loss, track, lecture, uniform,
    S, G, E, L, ETA, BASE, H, P, SEG, PT, FD, GD, groups,
    diverged, last_pos, last_loss, best, first_hit, centre, half, threshold,
):
    runs = S.shape[3]
    ahead = False  # some run takes its gradient at a look-ahead point
    for j in range(groups.shape[0]):
        ahead = ahead or (lecture and LOOKAHEAD[groups[j, 0]] >= 0)
{setup}
    for t in range(t0, t1):
        ri = t if record else t % 3
        ro = t + 1 if record else (t + 1) % 3
        gi = t if record else 0
        k = float(t + 1)
        e = t - c0 if ETA.shape[0] > 1 else 0  # the row of ETA
        if sid >= 0:
            if ahead:  # the gradient at θ − ℓ·u (into PT), the loss at θ
                px, py, x, y = PT[0, 0, 0], PT[0, 0, 1], S[ri, 0, 0], S[ri, 0, 1]
                for j in range(groups.shape[0]):
                    row, a, b = LOOKAHEAD[groups[j, 0]], groups[j, 1], groups[j, 2]
                    px_, py_, x_, y_ = px[a:b], py[a:b], x[a:b], y[a:b]  # a loop from 0 vectorizes
                    if row >= 0:
                        la, ux, uy = H[row, a:b], S[ri, 1, 0, a:b], S[ri, 1, 1, a:b]
                        for r in range(b - a):
                            px_[r] = x_[r] - la[r] * ux[r]
                            py_[r] = y_[r] - la[r] * uy[r]
                    else:
                        for r in range(b - a):
                            px_[r] = x_[r]
                            py_[r] = y_[r]
                evaluate(sid, PT, 0, sp, FD, 0, G, gi)
                if need_loss:
                    evaluate(sid, S, ri, sp, L, ri, GD, 0)
            else:
                evaluate(sid, S, ri, sp, L, ri, G, gi)
            if has_noise:
                for r in range(runs):
                    G[gi, 0, r] = G[gi, 0, r] + noise[t, 0]
                    G[gi, 1, r] = G[gi, 1, r] + noise[t, 1]
            if track:
                track_row(t, S, L, record, diverged, last_pos, last_loss, best, first_hit, centre, half, threshold)
{bodies}
    if t1 == steps and sid >= 0 and need_loss:
        last = steps if record else steps % 3
        evaluate(sid, S, last, sp, L, last, GD, 0)
        if track:
            track_row(steps, S, L, record, diverged, last_pos, last_loss, best, first_hit, centre, half, threshold)
'''


def _digest() -> str:
    """A fingerprint of every source a loop inlines."""
    # Every module of this package: a rule's update inlines helpers from base.py (fma, lerp) or
    # another rule (Lion takes Rprop's sign); the rule's own file alone missed their edits.
    files = [*sorted(Path(__file__).parent.glob("*.py")), *(ROOT / name for name in COMPILED_SOURCES)]
    return hashlib.sha256(b"".join(path.read_bytes() for path in files)).hexdigest()


def source(infos) -> str:
    """The text of the loop module of the rules ``infos`` (rule ``i`` of a block's groups is ``infos[i]``)."""
    digest = _digest()
    imports = []
    for i, info in enumerate(infos):
        imports.append(f"from {info.module} import update as update_{i}")
        if info.per_update:
            function = info.per_update.function.py_func
            imports.append(f"from {function.__module__} import {function.__name__} as per_update_{i}")
    setup = []
    if len(infos) == 1:  # a block of one rule: every run, each coordinate's loop vectorized
        info = infos[0]
        setup = [f"u{j} = H[{j}, 0]" for j in range(len(info.hyper_keys))]
        bodies = [
            "if uniform:  # summary mode, every run with the same keys",
            *("    " + line for line in _body(info, 0, mixed=False, uniform=True)),
            "else:",
            *("    " + line for line in _body(info, 0, mixed=False)),
        ]
    else:  # a mixed block: each group of runs of one rule (often one run) through its rule
        # A rule's per-update values are kept from one of its groups to the next and computed
        # again only when the keys differ (the nine interleaved, one run a group, had made a
        # pow per run and update: recorded, 152 against 30 ns per run-step grouped by rule).
        for i, info in enumerate(infos):
            if info.per_update:
                keys = info.per_update.keys
                setup += [f"q{i} = per_update_{i}(1.0" + ", 1.0" * len(keys) + ")", f"at{i} = -1"]
                setup += [f"key{i}_{m} = 0.0" for m in range(len(keys))]
        bodies = ["for j in range(groups.shape[0]):", "    rule, a, b = groups[j, 0], groups[j, 1], groups[j, 2]"]
        for i, info in enumerate(infos):
            bodies.append(("    if" if i == 0 else "    elif") + f" rule == {i}:  # {info.name}")
            bodies += ["        " + line for line in _body(info, i, mixed=True)]
    lookahead = [str(info.hyper_keys.index(info.lookahead)) if info.lookahead else "-1" for info in infos]
    return TEMPLATE.format(
        names=", ".join(info.name for info in infos),
        digest=digest,
        imports="\n".join(imports),
        lookahead=", ".join(lookahead),
        bodies="\n".join(" " * 8 + line for line in bodies),
        setup="\n".join(" " * 4 + line for line in setup),
    )


def _body(info, i: int, mixed: bool, uniform: bool = False) -> list[str]:
    """One update of rule ``i``: its per-update values, computed once for each stretch of runs
    that share the keys (SEG, found once per block: a check per run and update cost Adam 1.5 ns
    of its 4.5 per run-step), then ``update`` for each run and coordinate.

    A block of one rule loops over ``range(runs)``, which LLVM vectorizes (measured: Adam 4.3 ns
    per run-step; over a range read from ``groups``, 20 ns). A mixed block loops over each
    group's runs a … b − 1: its groups are small, often one run. Both index the arrays
    directly: a view per group and coordinate cost more than the update (9 rules x 1 run
    recorded: 1.1 against 0.5 ms). The coordinates are the outer loop: with the runs outer,
    Adam was not vectorized (15.6 ns).

    ``uniform``: a block of one rule whose runs all have the same keys (an η sweep, a grid of
    start points), in summary mode: the keys (u0, u1, ..., read once before the loop) and the
    per-update values are scalars, and no effective rate is kept (a summary has none). Same
    arithmetic, so the same numbers; measured on Adam, 2,000 runs on Rosenbrock: 2.7 -> 1.7 ns
    per run-step of the loop (per-run keys, the stores of E and the many arrays' overlap checks
    kept LLVM's vectorized loop from being as tight as the hand-written one's)."""
    n, per, lines = len(info.state), info.per_update, []
    runs = "range(a, b)" if mixed else "range(runs)"
    keys = [f"u{j}" if uniform else f"H[{j}, r]" for j in range(len(info.hyper_keys))]
    values = [f"p{j}" if uniform else f"P[{j}, r]" for j in range(len(per.names) if per else 0)]
    rows = [info.hyper_keys.index(key) for key in per.keys] if per else []  # the keys it takes
    if per is not None and uniform:
        lines.append(f"q{i} = per_update_{i}(k, " + ", ".join(f"u{row}" for row in rows) + ")")
        lines += [f"p{j} = q{i}[{j}]" for j in range(len(per.names))]
    elif per is not None:
        segments = "groups[j, 3], groups[j, 4]" if mixed else "groups[0, 3], groups[0, 4]"
        compute = [f"q{i} = per_update_{i}(k, " + ", ".join(f"H[{row}, lo]" for row in rows) + ")"]
        if mixed:  # again only if this update's values were computed for other keys
            same = " and ".join(f"H[{row}, lo] == key{i}_{m}" for m, row in enumerate(rows))
            compute = [
                f"if not (at{i} == t and {same}):",
                "    " + compute[0],
                f"    at{i} = t",
                *(f"    key{i}_{m} = H[{row}, lo]" for m, row in enumerate(rows)),
            ]
        lines += [
            f"for s in range({segments}):  # runs SEG[s] … SEG[s + 1] − 1 share the keys",
            "    lo, hi = SEG[s], SEG[s + 1]",
            *("    " + line for line in compute),
            *(f"    P[{j}, lo:hi] = q{i}[{j}]" for j in range(len(per.names))),
        ]
    arguments = ["G[gi, c, r]", "S[ri, 0, c, r]", "k", "ETA[e, r]", "BASE[r]", "lecture"]
    arguments += [f"S[ri, {m + 1}, c, r]" for m in range(n)]
    arguments += keys + values
    return [
        *lines,
        "for c in range(2):",
        f"    for r in {runs}:",
        "        th, eff" + "".join(f", s{m}" for m in range(n)) + f" = update_{i}(" + ", ".join(arguments) + ")",
        "        S[ro, 0, c, r] = th",
        *([] if uniform else ["        E[gi, c, r] = eff"]),
        *(f"        S[ro, {m + 1}, c, r] = s{m}" for m in range(n)),
    ]


def _folder() -> Path:
    """``_loops/`` beside this file, or a temporary folder when the install is read-only."""
    for folder in (Path(__file__).parent / "_loops", Path(tempfile.gettempdir()) / "optim_core_loops"):
        try:
            folder.mkdir(exist_ok=True)
            probe = folder / ".writable"
            probe.touch()
            return folder
        except OSError:
            continue
    raise OSError("no folder to write the rules' compiled loops into")


FUSED = '''\
"""The fused loop of {name} on {surface}, {convention} convention{constants}: written by
optim_core/rules/compiled.py, do not edit.

Sources {digest}
"""

from numba import njit

from optim_core.kernel import record_events, tally, track_row
from surfaces.compiled import FORMULAS, JIT
from {module} import update
{imports}
fdf = FORMULAS[{sid}]


@njit(**JIT)
def advance(
    t0, t1, steps, sp, S, L, ETA, BASE, H, diverged, last_pos, last_loss, best, first_hit, centre, half, threshold
):
    runs = S.shape[3]
    cx, cy, hx, hy = centre[0], centre[1], half[0], half[1]
{keys}
{state}
    for t in range(t0, t1):
        ri, ro = t % 3, (t + 1) % 3
        k = float(t + 1)
        e = t - t0 if ETA.shape[0] > 1 else 0  # the row of ETA
{per_update}
        x_, y_, xo, yo, f_ = S[ri, 0, 0], S[ri, 0, 1], S[ro, 0, 0], S[ro, 0, 1], L[ri]
        events = 0
        for r in range(runs):
            x, y = x_[r], y_[r]
            f, gx, gy = fdf(x, y, sp)
            f_[r] = f
            events += tally(r, x, y, f, diverged, best, first_hit, cx, cy, hx, hy, threshold)
{updates}
        if events > 0:  # runs stop at row t or first come within tolerance
            record_events(t, S, L, False, diverged, last_pos, last_loss, first_hit, centre, half, threshold)
    if t1 == steps:  # the last row's loss, and its summary
        last = steps % 3
        x_, y_, f_ = S[last, 0, 0], S[last, 0, 1], L[last]
        for r in range(runs):
            f_[r] = fdf(x_[r], y_[r], sp)[0]
        track_row(steps, S, L, False, diverged, last_pos, last_loss, best, first_hit, centre, half, threshold)
'''


def fused_source(info, sid: int, surface: str, lecture: bool, flags: dict[str, bool]) -> str:
    """The text of the fused loop of rule ``info`` on compiled surface ``sid``: one loop over the
    runs per update that evaluates the surface, keeps the summary and updates both coordinates,
    for a block of one rule whose runs share every key, in summary mode (:func:`fused`).

    The convention and the rule's switches (``flags``: its keys of kind bool) are constants of
    the text, not arguments: a branch on them in the loop kept LLVM from vectorizing it once the
    summary's bookkeeping joined it (measured, Adam on Rosenbrock: 6.4 against 3.4 ns per
    run-step). The state is updated in place, in row 0; θ and the loss go through the three rows."""
    n, per = len(info.state), info.per_update
    keys = []
    for j, key in enumerate(info.hyper_keys):
        keys.append(f"    u{j} = {flags[key]}" if key in flags else f"    u{j} = H[{j}, 0]")
    state = [
        f"    x{m}, y{m} = S[0, {m + 1}, 0], S[0, {m + 1}, 1]  # state slot {m + 1}, updated in place" for m in range(n)
    ]
    per_update, values = [], []
    if per is not None:
        rows = [info.hyper_keys.index(key) for key in per.keys]
        per_update = ["        q = per_update(k, " + ", ".join(f"u{row}" for row in rows) + ")"]
        per_update += [f"        p{j} = q[{j}]" for j in range(len(per.names))]
        values = [f"p{j}" for j in range(len(per.names))]
    updates = []
    for theta, g, out in (("x", "gx", "xo"), ("y", "gy", "yo")):
        arguments = [g, theta, "k", "ETA[e, r]", "BASE[r]", str(lecture)]
        arguments += [f"{theta}{m}[r]" for m in range(n)]
        arguments += [f"u{j}" for j in range(len(info.hyper_keys))] + values
        updates.append(
            "            th, eff" + "".join(f", s{m}" for m in range(n)) + " = update(" + ", ".join(arguments) + ")"
        )
        updates.append(f"            {out}[r] = th")
        updates += [f"            {theta}{m}[r] = s{m}" for m in range(n)]
    imports = ""
    if per is not None:
        function = per.function.py_func
        imports = f"from {function.__module__} import {function.__name__} as per_update\n"
    constants = "".join(f", {key}={value}" for key, value in flags.items())
    return FUSED.format(
        name=info.name,
        surface=surface,
        convention="lecture" if lecture else "pytorch",
        constants=constants,
        digest=_digest(),
        module=info.module,
        imports=imports,
        sid=sid,
        keys="\n".join(keys) if keys else "    pass",
        state="\n".join(state),
        per_update="\n".join(per_update),
        updates="\n".join(updates),
    )


@cache
def fused(name: str, sid: int, surface: str, lecture: bool, flags: tuple[tuple[str, bool], ...]):
    """The compiled fused ``advance`` of rule ``name`` on compiled surface number ``sid`` (named
    ``surface``), for one convention and one setting of the rule's switches: a module of its
    own, written and compiled on first use, then cached by numba like the rules' loops."""
    from optim_core.optimizers import OPTIMIZERS

    text = fused_source(OPTIMIZERS[name], sid, surface, lecture, dict(flags))
    stem = "_".join(["fused", name, surface, "lecture" if lecture else "pytorch", *(f"{k}{int(v)}" for k, v in flags)])
    return _load(stem, text)


@cache
def loop(names: tuple[str, ...]):
    """The compiled ``advance`` of the rules ``names`` (compiled on its first call, then cached)."""
    from optim_core.optimizers import OPTIMIZERS

    text = source([OPTIMIZERS[name] for name in names])
    stem = names[0] if len(names) == 1 else "_".join(["mixed", *names]) if len(names) < 4 else f"mixed_{len(names)}"
    return _load(stem, text)


_LOADED: dict[str, object] = {}
_LOADING = threading.Lock()


def _load(stem: str, text: str):
    """The ``advance`` of the loop module ``stem`` whose text is ``text``, written if it changed.

    Blocks step on threads, and a fused loop is first asked for by the blocks of a large batch
    at once: one thread at a time writes and imports a module, once. Processes may write the
    same module at once (each writes the same text, whole)."""
    with _LOADING:
        if stem not in _LOADED:
            path = _folder() / f"{stem}.py"
            if not path.exists() or path.read_text() != text:
                # A new modification time: numba drops its cache of the old text. Written aside and
                # moved in whole: another process (a test worker, a second server) may import it.
                aside = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
                aside.write_text(text)
                os.replace(aside, path)
            spec = importlib.util.spec_from_file_location(f"optim_core_loops_{stem}", path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module  # numba's cache finds the module again by this name
            spec.loader.exec_module(module)
            _LOADED[stem] = module.advance
        return _LOADED[stem]
