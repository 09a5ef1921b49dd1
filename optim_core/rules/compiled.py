"""The compiled loop of a rule that brings its own scalar ``update``.

numba specialises a loop on the function it calls, but it caches nothing that takes a
function as an argument or closes over one (measured: a cache miss on every start). So each
rule gets a small module of its own, written from TEMPLATE into ``_loops/`` beside this file,
that imports the rule's ``update`` by name: numba caches it like any other module. The
module's text carries a fingerprint of every source the loop inlines; when one changes, the
text changes, the file is rewritten and numba compiles it again.

The loop does what :mod:`optim_core.kernel`'s does for the generic update, in the same
layout (S is (rows, 5, 2, R): θ and up to four state slots), except that each run and
coordinate calls ``update`` and the effective rate comes back from it, written into E. The
powers a rule declares (β^k) are computed first, once per update and distinct value, into P.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import tempfile
from functools import cache
from pathlib import Path

from surfaces.compiled import COMPILED_SOURCES, ROOT

TEMPLATE = '''\
"""The compiled loop of {module}: written by optim_core/rules/compiled.py, do not edit.

Sources {digest}
"""

from numba import njit

from optim_core.kernel import track_row
from {module} import update
from surfaces.compiled import JIT, evaluate


@njit(**JIT)
def advance(
    t0, t1, c0, steps, sid, sp, noise, has_noise, record, need_loss, track, lecture,
    S, G, E, L, ETA, BASE, H, P, scratch,
    diverged, last_pos, last_loss, best, first_hit, centre, half, threshold,
):
    runs = S.shape[3]
    for t in range(t0, t1):
        ri = t if record else t & 1
        ro = t + 1 if record else (t + 1) & 1
        gi = t if record else 0
        k = float(t + 1)
        eta = ETA[t - c0 if ETA.shape[0] > 1 else 0]
        if sid >= 0:
            gx, gy = G[gi, 0], G[gi, 1]
{gradient}
            if has_noise:
                for r in range(runs):
                    gx[r] = gx[r] + noise[t, 0]
                    gy[r] = gy[r] + noise[t, 1]
            if track:
                track_row(t, S, L, record, diverged, last_pos, last_loss, best, first_hit, centre, half, threshold)
{powers}
        for c in range(2):
            g_, th_in, th_out, e_out = G[gi, c], S[ri, 0, c], S[ro, 0, c], E[gi, c]
{views}
            for r in range(runs):
                th, eff{outs} = update(g_[r], th_in[r], k, eta[r], BASE[r], lecture{ins}{hyper}{power_args})
                th_out[r] = th
                e_out[r] = eff
{stores}
    if t1 == steps and sid >= 0 and need_loss:
        last = steps if record else steps & 1
        evaluate(sid, S[last, 0, 0], S[last, 0, 1], sp, L[last], scratch[0], scratch[1])
        if track:
            track_row(steps, S, L, record, diverged, last_pos, last_loss, best, first_hit, centre, half, threshold)
'''


def source(info) -> str:
    """The text of ``info``'s loop module."""
    n = len(info.state)
    # Every module of this package: a rule's update inlines helpers from base.py (fma, lerp) or
    # another rule (Lion takes Rprop's sign); the rule's own file alone missed their edits.
    files = [*sorted(Path(__file__).parent.glob("*.py")), *(ROOT / name for name in COMPILED_SOURCES)]
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in files)).hexdigest()
    pad = " " * 12
    return TEMPLATE.format(
        module=info.module,
        digest=digest,
        views="\n".join(f"{pad}s{i}_in, s{i}_out = S[ri, {i + 1}, c], S[ro, {i + 1}, c]" for i in range(n)),
        outs="".join(f", s{i}" for i in range(n)),
        ins="".join(f", s{i}_in[r]" for i in range(n)),
        hyper="".join(f", H[{j}, r]" for j in range(len(info.hyper_keys))),
        stores="\n".join(f"{pad}    s{i}_out[r] = s{i}" for i in range(n)),
        powers="\n".join(
            f"{pad[:8]}h, p = H[{info.hyper_keys.index(key)}], P[{j}]\n"
            f"{pad[:8]}p[0] = h[0] ** k\n"
            f"{pad[:8]}for r in range(1, runs):  # one pow per update while the runs share the value\n"
            f"{pad}p[r] = p[r - 1] if h[r] == h[r - 1] else h[r] ** k"
            for j, key in enumerate(info.powers)
        ),
        power_args="".join(f", P[{j}, r]" for j in range(len(info.powers))),
        gradient=_gradient(info),
    )


def _gradient(info) -> str:
    """The template's gradient evaluation: at θ, or (lecture, a rule with a look-ahead) at
    θ − ℓ·u with the loss at θ, as the generic loop does it."""
    at_theta = "evaluate(sid, S[ri, 0, 0], S[ri, 0, 1], sp, L[ri], gx, gy)"
    if not info.lookahead:
        return " " * 12 + at_theta
    j = info.hyper_keys.index(info.lookahead)
    return "\n".join(
        " " * 12 + line
        for line in (
            "if lecture:",
            f"    px, py, f, la = scratch[0], scratch[1], scratch[2], H[{j}]",
            "    x, y, ux, uy = S[ri, 0, 0], S[ri, 0, 1], S[ri, 1, 0], S[ri, 1, 1]",
            "    for r in range(runs):",
            "        px[r] = x[r] - la[r] * ux[r]",
            "        py[r] = y[r] - la[r] * uy[r]",
            "    evaluate(sid, px, py, sp, f, gx, gy)",
            "    if need_loss:",
            "        evaluate(sid, x, y, sp, L[ri], scratch[0], scratch[1])",
            "else:",
            "    " + at_theta,
        )
    )


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


@cache
def loop(name: str):
    """The compiled ``advance`` of rule ``name`` (compiled on its first call, then cached)."""
    from optim_core.optimizers import OPTIMIZERS

    info = OPTIMIZERS[name]
    text = source(info)
    path = _folder() / f"{name}.py"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)  # a new modification time: numba drops its cache of the old text
    spec = importlib.util.spec_from_file_location(f"optim_core_loops_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # numba's cache finds the module again by this name
    spec.loader.exec_module(module)
    return module.advance
