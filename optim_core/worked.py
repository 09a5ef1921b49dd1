"""One update worked out: every value the rule's own code computes, in its order, with a run's numbers.

Nothing here restates a formula. The rule's update is run once more, as plain Python (numba
keeps the source function as ``py_func``), on the recorded gradient, position, rate and
state of one run at one update, and a trace of its frame reads each local variable as it
is assigned. A rule of its own (:mod:`optim_core.rules`) is traced through its ``update``; a
rule of the generic update through the engine's own ``kernel._update`` with that rule's
coefficients, every operation kept (the neutral ones are exact), its state named as the rule
names it. The last lines are what the update returns, which a test checks against the
recording bit for bit.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

from optim_core import kernel
from optim_core.optimizers import NEUTRAL, OPTIMIZERS, coefficients


@dataclass(frozen=True)
class Line:
    """One value of the worked update, per coordinate (NaN where that coordinate's code path
    did not compute it, e.g. Rprop's backtracking on one coordinate only)."""

    name: str
    x: float
    y: float
    meaning: str = ""


# What the generic update's locals are, in words (its coefficients are named in optimizers.py).
GENERIC_MEANING = {
    "g": "the gradient g_t",
    "numerator": "what is divided by d (the rule's mix of m and g)",
    "d": "the denominator",
    "step": "numerator / d",
    "lam": "λ_t: θ ← θ − λ_t·step (η_t, or 1 when m already holds η)",
    "lookahead": "ℓ: the gradient is taken at θ − ℓ·m",
    "a_m": "m ← a_m·m + b_m·g",
    "b_m": "m ← a_m·m + b_m·g",
    "a_v": "v ← a_v·v + b_v·g²",
    "b_v": "v ← a_v·v + b_v·g²",
    "c_v": "d = √(c_v·v + e_i) + e_o (c_v: the bias correction of v)",
    "e_i": "d = √(c_v·v + e_i) + e_o (ε inside the root)",
    "e_o": "d = √(c_v·v + e_i) + e_o (ε outside the root)",
    "a_z": "z ← max(a_z·z, |g| + e_z)",
    "e_w": "d ← d / √(w + e_w)",
    "a_w": "w ← a_w·w + b_w·step²",
    "b_w": "w ← a_w·w + b_w·step²",
    "c_m": "numerator = c_m·m + c_g·g (c_m: the bias correction of m)",
    "c_g": "numerator = c_m·m + c_g·g",
}
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
    lecture = result.convention == "lecture"
    state = result.state(run)
    g, theta, eta = result.gradients[run, k], result.positions[run, k], float(result.lr[run, k])
    names = [s.named(result.convention) for s, _ in info.state]
    if info.update is not None:
        traces, returns = [], []
        for c in range(2):
            args = [float(g[c]), float(theta[c]), float(k + 1), eta, float(hyper["lr"]), lecture]
            args += [float(state[name][k, c]) for name in names]
            args += [float(hyper[key]) for key in info.hyper_keys]
            args += [float(hyper[key]) ** float(k + 1) for key in info.powers]
            lines, value = _trace(info.update.py_func, *args)
            code_names = {s.name: s.named(result.convention) for s, _ in info.state}  # momentum's u is torch's b
            traces.append([(code_names.get(name, name), v) for name, v in lines])
            returns.append(value)
        meaning = {**OWN_MEANING, **{s.named(result.convention): s.meaning for s, _ in info.state}}
        meaning.update({p.name: p.doc for p in info.params})
        meaning.update({f"{key}_k": f"{key} to the power k" for key in info.powers})
        for lines in traces:  # the state as it came in
            for i, (name, value) in enumerate(lines[: 6 + len(names)]):
                if name in names:
                    lines[i] = (f"{name} before", value)
        meaning.update({f"{name} before": meaning.get(name, "") for name in names})
        merged = _merge(*traces)
        after = ["θ after", "effective rate", *(f"{name} after" for name in names)]
        merged += [(name, float(returns[0][i]), float(returns[1][i])) for i, name in enumerate(after)]
        return [Line(name, x, y, meaning.get(name, "")) for name, x, y in merged]
    return _worked_generic(result, run, k, info, names, hyper, g, theta, eta)


def _worked_generic(result, run, k, info, names, hyper, g, theta, eta) -> list[Line]:
    """The generic update's own code (kernel._update) with this rule's coefficients."""
    hp = {key: np.array([float(value)]) for key, value in hyper.items()}
    found = coefficients(info.name, result.convention, hp, np.array([[float(k + 1)]]), np.array([[eta]]))
    values = {}
    for name in kernel.COEFFICIENTS:
        value = found.get(name, NEUTRAL[name])
        values[name] = float(np.asarray(value, dtype=float).reshape(-1)[0])
    C = np.array([[values[name]] for name in kernel.COEFFICIENTS])
    slot_name = {slot: state.named(result.convention) for state, slot in info.state}
    generic = {kernel.MOMENT: "m", kernel.SECOND: "v", kernel.ZMAX: "z", kernel.WDELTA: "w"}
    rename = {generic[slot]: name for slot, name in slot_name.items()}
    recording, shape = result.recording, (True, True, True, True, False, False, True)
    slots = (None, recording.first_moment, recording.second_moment, recording.max_norm, recording.delta_average)
    traces, outs = [], []
    for c in range(2):
        one = lambda value: np.array([float(value)])  # noqa: E731
        state_in = [one(slots[s][k, c, run]) for s in (1, 2, 3, 4)]
        arrays = (one(g[c]), one(theta[c]), one(0.0), state_in[0], one(0.0), state_in[1], one(0.0),
                  state_in[2], one(0.0), state_in[3], one(0.0), one(0.0))  # fmt: skip
        lines, _ = _trace(kernel._update.py_func, arrays, C, shape)
        # The coefficients this rule sets (not the neutral ones) and the values computed.
        wanted = {name for name in kernel.COEFFICIENTS if values[name] != NEUTRAL[name]} - {"e_z", "step"}
        wanted.add("lam")  # the code's name of the coefficient "step"
        wanted |= {"g", "m", "v", "z", "d", "numerator", "step"} - {generic[s] for s in generic if s not in slot_name}
        # The generic code starts m at g and d at 1 for rules without them: a name's last value is its own.
        last = {name: i for i, (name, _) in enumerate(lines)}
        kept = [
            (rename.get(name, name), value)
            for i, (name, value) in enumerate(lines)
            if name in wanted and last[name] == i
        ]
        before = [(f"{slot_name[s]} before", float(state_in[s - 1][0])) for s in sorted(slot_name)]
        traces.append(before + kept)
        outs.append([arrays[2][0], *(arrays[2 * s + 2][0] for s in (1, 2, 3, 4))])
    merged = _merge(*traces)
    meaning = {**GENERIC_MEANING, **{state.named(result.convention): state.meaning for state, _ in info.state}}
    meaning.update({f"{name} before": meaning[name] for name in names})
    eff = float(np.asarray(found.get("eff"), dtype=float).reshape(-1)[0])
    lines = [Line(name, x, y, meaning.get(name, "")) for name, x, y in merged]
    if values["lookahead"] != 0.0:  # NAG (lecture): the engine took g at the look-ahead point
        at = f"g was taken at θ − ℓ·{names[0]}, the look-ahead point"
        lines.insert(len(names), Line("ℓ", values["lookahead"], values["lookahead"], at))
    d = [dict(traces[c]).get("d", 1.0) for c in range(2)]
    lines.append(Line("θ after", float(outs[0][0]), float(outs[1][0])))
    lines.append(Line("effective rate", eff / d[0], eff / d[1], "the factor on g_t"))
    for state, slot in info.state:
        lines.append(Line(f"{state.named(result.convention)} after", float(outs[0][slot]), float(outs[1][slot])))
    return lines
