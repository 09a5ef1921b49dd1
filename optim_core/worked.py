"""One update worked out: every value the rule's own code computes, in its order, with a run's numbers.

Nothing here restates a formula. The rule's update is run once more, as plain Python (numba
keeps the source function as ``py_func``), on the recorded gradient, position, rate and
state of one run at one update, and a trace of its frame reads each local variable as it
is assigned. The last lines are what the update returns, which a test checks against the
recording bit for bit.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

from optim_core.optimizers import OPTIMIZERS


@dataclass(frozen=True)
class Line:
    """One value of the worked update, per coordinate (NaN where that coordinate's code path
    did not compute it, e.g. Rprop's backtracking on one coordinate only)."""

    name: str
    x: float
    y: float
    meaning: str = ""


OWN_MEANING = {
    "g": "the gradient g_t",
    "theta": "θ",
    "k": "the update count k = t + 1",
    "eta": "η_t, today's rate",
    "base": "η, the base rate",
}


def _trace(function, *args) -> tuple[list[tuple[str, float]], object]:
    """Run ``function`` and list each float local as it gets a new value, in order, and its result."""
    code, seen, lines, out = function.__code__, {}, [], {}

    def note(frame) -> None:
        for name, value in frame.f_locals.items():
            if isinstance(value, np.ndarray) and value.size == 1:
                value = value.reshape(-1)[0]
            if isinstance(value, bool | np.bool_) or not isinstance(value, float | np.floating):
                continue
            value = float(value)
            if name not in seen or not (seen[name] == value or (math.isnan(seen[name]) and math.isnan(value))):
                seen[name] = value
                lines.append((name, value))

    def tracer(frame, event, arg):
        if frame.f_code is not code:
            return None
        if event in ("line", "return"):
            note(frame)
        if event == "return":
            out["value"] = arg
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        function(*args)
    finally:
        sys.settrace(previous)
    return lines, out.get("value")


def _merge(x: list[tuple[str, float]], y: list[tuple[str, float]]) -> list[tuple[str, float, float]]:
    """The two coordinates' lines side by side, matched by name and occurrence, in x's order
    with y's extra lines after the last line they follow."""

    def keyed(lines):
        count: dict[str, int] = {}
        out = []
        for name, value in lines:
            count[name] = count.get(name, 0) + 1
            out.append(((name, count[name]), value))
        return out

    kx, ky = keyed(x), keyed(y)
    order = [key for key, _ in kx]
    for i, (key, _) in enumerate(ky):
        if key not in order:
            after = ky[i - 1][0] if i else None
            order.insert(order.index(after) + 1 if after in order else len(order), key)
    vx, vy = dict(kx), dict(ky)
    return [(name, vx.get((name, n), math.nan), vy.get((name, n), math.nan)) for name, n in order]


def worked_update(result, run: int, k: int) -> list[Line]:
    """Update k (θ_k → θ_{k+1}) of ``run`` in ``result`` (a recording), worked out."""
    info = OPTIMIZERS[result.runs[run].optimizer]
    hyper = result.runs[run].hyper
    convention = result.convention
    recording = result.recording
    g, theta, eta = result.gradients[run, k], result.positions[run, k], float(result.lr[run, k])
    shown = {state.name for state, _ in info.states(convention)}  # NAdam's Π is torch's only
    names = [s.named(convention) for s, _ in info.state if s.name in shown]
    code_names = {s.name: s.named(convention) for s, _ in info.state}  # momentum's u is torch's b
    per_update = info.per_update.values(k + 1, hyper) if info.per_update else ()
    traces, returns = [], []
    for c in range(2):
        args = [float(g[c]), float(theta[c]), float(k + 1), eta, float(hyper["lr"]), convention == "lecture"]
        args += [float(recording.state[k, slot - 1, c, run]) for _, slot in info.state]
        args += [float(hyper[key]) for key in info.hyper_keys]
        lines, value = _trace(info.update.py_func, *args, *per_update)
        hidden = {s.name for s, _ in info.state} - shown
        traces.append([(code_names.get(name, name), v) for name, v in lines if name not in hidden])
        returns.append(value)
    meaning = {**OWN_MEANING, **{s.named(convention): s.meaning for s, _ in info.state}}
    meaning.update({p.name: p.doc for p in info.params})
    if info.per_update:
        meaning.update(zip(info.per_update.names, info.per_update.meanings, strict=False))
    for lines in traces:  # the state as it came in
        for i, (name, value) in enumerate(lines[: 6 + len(info.state)]):
            if name in names:
                lines[i] = (f"{name} before", value)
    meaning.update({f"{name} before": meaning.get(name, "") for name in names})
    merged = _merge(*traces)
    returned = ["θ after", "effective rate", *(f"{code_names[s.name]} after" for s, _ in info.state)]
    merged += [
        (name, float(returns[0][i]), float(returns[1][i]))
        for i, name in enumerate(returned)
        if i < 2 or info.state[i - 2][0].name in shown
    ]
    return [Line(name, x, y, meaning.get(name, "")) for name, x, y in merged]
