"""What every optimizer's definition is made of: its keys, its named state, its formulas.

An optimizer is one :class:`OptimizerInfo`, made by :func:`defined` in a module of its own
(``optim_core/rules/<name>.py``). Its ``update`` is scalar code for one coordinate of one
run, written as the formula; the engine compiles it into a loop of its own
(:mod:`optim_core.rules.compiled`), and the worked step runs the same code in plain Python.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

from spec_strings import Param
from surfaces.compiled import JIT

CONVENTIONS = ("lecture", "pytorch")


def fma(a: float, b: float, c: float) -> float:
    """a·b + c rounded once, as a fused multiply-add does.

    torch's CPU kernels on a 2-element tensor are compiled with multiply-adds fused (SGD's
    θ + (−η)·g is fma(−η, g, θ)), so a rule that follows torch bit for bit needs them. In
    compiled code this is the processor's instruction (``llvm.fma``); in plain Python (the
    worked step) the exact product and sum, rounded once."""
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
        return a * b + c
    return float(Fraction(a) * Fraction(b) + Fraction(c))


@intrinsic
def _llvm_fma(typingctx, a, b, c):
    def codegen(context, builder, signature, args):
        double = ir.DoubleType()
        function = builder.module.declare_intrinsic("llvm.fma", [double], ir.FunctionType(double, [double] * 3))
        return builder.call(function, args)

    return types.float64(types.float64, types.float64, types.float64), codegen


@overload(fma)
def _fma_compiled(a, b, c):
    return lambda a, b, c: _llvm_fma(a, b, c)


@njit(inline="always", **JIT)
def lerp(start, end, weight):
    """torch.lerp as its CPU kernel computes it: start + weight·(end − start) in one fused
    multiply-add below weight 0.5, end − (end − start)·(1 − weight) from there."""
    return fma(weight, end - start, start) if weight < 0.5 else end - (end - start) * (1.0 - weight)


LR_RANGE = {"low": 0.0, "high": 1000.0, "low_open": True, "log": True}


def lr(default: float, doc: str = "learning rate η (base rate of the schedule)") -> Param:
    return Param("lr", default, doc, **LR_RANGE)


def beta(default: float, doc: str) -> Param:
    return Param("beta", default, doc, low=0.0, high=1.0)


def eps(default: float, doc: str = "ε, keeps the denominator away from 0") -> Param:
    return Param("eps", default, doc, low=0.0, high=1.0, log=True)


def weight_decay(default: float, doc: str) -> Param:
    return Param("weight_decay", default, doc, low=0.0, high=10.0)


BETA1 = Param("beta1", 0.9, "β1, decay of the first moment m", low=0.0, high=1.0)
BETA2 = Param("beta2", 0.999, "β2, decay of the second moment", low=0.0, high=1.0)


@dataclass(frozen=True)
class State:
    """One named quantity a rule keeps per coordinate between updates (0 before the first).

    ``pytorch_name``: its name in the pytorch convention when it holds something else there
    (momentum's lecture u = η·b). ``velocity``: the rule moves θ along it, so "at one step"
    draws it as an arrow. ``convention``: the one convention that keeps it ("" for both; the
    other leaves it at 0 and does not show it)."""

    name: str
    meaning: str
    velocity: bool = False
    pytorch_name: str | None = None
    convention: str = ""

    def named(self, convention: str) -> str:
        return self.pytorch_name if convention == "pytorch" and self.pytorch_name else self.name


@dataclass(frozen=True)
class PerUpdate:
    """Values a rule needs once per update that depend only on k and some of its keys (β^k for a
    bias correction, torch NAdam's μ_k): ``function(k, *keys)`` returns them, in ``names``'
    order, and the update takes them after its keys. The loop calls ``function`` once per update
    for runs that share the keys' values: a pow per run and coordinate made Adam-like rules
    five times slower (measured)."""

    function: Callable
    keys: tuple[str, ...]
    names: tuple[str, ...]
    meanings: tuple[str, ...] = ()  # each value in words, for the worked step

    def values(self, k: float, hyper: dict) -> tuple[float, ...]:
        """The values at update k for hyperparameters ``hyper`` (plain Python, as the worked step needs)."""
        return tuple(float(v) for v in self.function.py_func(float(k), *(float(hyper[key]) for key in self.keys)))


@njit(inline="always", **JIT)
def _power(k, a):
    return (a**k,)


@njit(inline="always", **JIT)
def _powers(k, a, b):
    return a**k, b**k


def powers(*keys: str) -> PerUpdate:
    """The k-th power of one or two keys, as ``<key>_k`` (β1^k and β2^k of Adam's bias corrections)."""
    names = tuple(f"{key}_k" for key in keys)
    return PerUpdate((_power, _powers)[len(keys) - 1], keys, names, tuple(f"{key} to the power k" for key in keys))


@dataclass(frozen=True)
class OptimizerInfo:
    name: str
    display_name: str
    params: tuple[Param, ...]
    rules: dict[str, str]  # convention -> LaTeX of the update
    effective_lr: dict[str, str]  # convention -> LaTeX of the factor on today's gradient
    # The state, each with the engine's slot it lives in (1 to 4; 0 is θ).
    state: tuple[tuple[State, int], ...] = ()
    # Keys valid in one convention only.
    lecture_only: tuple[str, ...] = ()
    pytorch_only: tuple[str, ...] = ()
    # How the pytorch convention differs from the lecture one, in words ("" when they agree).
    difference: str = ""
    # What the app says beside the rule's controls, when something there behaves unexpectedly.
    note: str = ""
    # Values the update takes after its keys, computed once per update (see PerUpdate).
    per_update: PerUpdate | None = None
    # A key ℓ: in the lecture convention the gradient is taken at θ − ℓ·(the first state), NAG's
    # look-ahead point ("" for none).
    lookahead: str = ""
    # The scalar update of one coordinate (see optim_core/rules/__init__.py).
    update: Callable | None = None
    # The module that defines ``update`` (the compiled loop imports it from there).
    module: str = ""

    @property
    def has_velocity(self) -> bool:
        return any(state.velocity for state, _ in self.state)

    @property
    def hyper_keys(self) -> tuple[str, ...]:
        """The keys ``update`` takes after its state, in order: every key but lr."""
        return tuple(p.name for p in self.params if p.name != "lr")

    @property
    def arguments(self) -> tuple[str, ...]:
        """The arguments of ``update``, in order."""
        state = tuple(s.name for s, _ in self.state)
        per_update = self.per_update.names if self.per_update else ()
        return ("g", "theta", "k", "eta", "base", "lecture", *state, *self.hyper_keys, *per_update)

    def states(self, convention: str) -> tuple[tuple[State, int], ...]:
        """The state kept in ``convention``, each with its slot."""
        return tuple((state, slot) for state, slot in self.state if state.convention in ("", convention))

    def param(self, key: str) -> Param:
        """The declared parameter ``key`` (KeyError if the rule has none)."""
        for param in self.params:
            if param.name == key:
                return param
        raise KeyError(f"{self.name} has no parameter {key}")

    def default(self, key: str):
        """The default value of parameter ``key``."""
        return self.param(key).default

    def state_of(self, convention: str, slots) -> dict:
        """The named state, each taken from ``slots`` (indexable by slot number)."""
        return {state.named(convention): slots[slot] for state, slot in self.states(convention)}

    def velocity(self, convention: str) -> str | None:
        """The name of the state that is a velocity, if the rule has one."""
        return next((state.named(convention) for state, _ in self.states(convention) if state.velocity), None)


def same(text: str) -> dict[str, str]:
    return {"lecture": text, "pytorch": text}


def defined(module: str, update: Callable, **fields) -> OptimizerInfo:
    """A rule with its own scalar update; its state takes slots 1, 2, ... in order."""
    states = fields.pop("state")
    return OptimizerInfo(**fields, state=tuple((s, i + 1) for i, s in enumerate(states)), update=update, module=module)
