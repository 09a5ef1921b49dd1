"""Learning-rate schedules of optimizers.md: η_t for update index t, per run.

Open-loop schedules give a table η[t, run] from the runs' base rates; ``plateau`` is
closed-loop: each run keeps its own state and is fed its own loss (:class:`PlateauState`).
The rules match torch.optim.lr_scheduler stepped once per update; the torch equivalents are
listed in ``ScheduleInfo.torch``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from spec_strings import Param, SpecError

ETA_MIN = Param("eta_min", 0.0, "the lowest rate of the cosine", low=0.0, high=1000.0)
T_MAX = Param(
    "t_max", None, "length of the cosine in updates (default: the run's steps)", kind="int", low=1, high=10**6
)


@dataclass(frozen=True)
class ScheduleInfo:
    name: str
    display_name: str
    params: tuple[Param, ...]
    latex: str
    torch: str


SCHEDULES: dict[str, ScheduleInfo] = {
    info.name: info
    for info in (
        ScheduleInfo("constant", "Constant", (), r"\eta_t = \eta", "none"),
        ScheduleInfo(
            "step",
            "Step decay",
            (
                Param("step_size", 100, "τ, updates between decays", kind="int", low=1, high=10**6),
                Param("gamma", 0.5, "γ, factor at each decay", low=0.0, high=1.0),
            ),
            r"\eta_t = \eta\,\gamma^{\lfloor t/\tau \rfloor}",
            "StepLR(step_size=τ, gamma=γ)",
        ),
        ScheduleInfo(
            "exponential",
            "Exponential decay",
            (Param("decay", 0.005, "λ, decay rate per update", low=0.0, high=10.0),),
            r"\eta_t = \eta\, e^{-\lambda t}",
            "ExponentialLR(gamma=e^{−λ})",
        ),
        ScheduleInfo(
            "cosine",
            "Cosine annealing",
            (T_MAX, ETA_MIN),
            r"\eta_t = \eta_{min} + \tfrac12(\eta - \eta_{min})\left(1 + \cos\frac{\pi t}{T}\right)",
            "CosineAnnealingLR(T_max=T, eta_min) — it keeps going past T: period 2T",
        ),
        ScheduleInfo(
            "warm_restarts",
            "Cosine with warm restarts",
            (
                Param("t_0", 100, "length of the first cycle", kind="int", low=1, high=10**6),
                Param("t_mult", 2, "growth factor of the cycle length", kind="int", low=1, high=10),
                ETA_MIN,
            ),
            r"\eta_t = \eta_{min} + \tfrac12(\eta - \eta_{min})\left(1 + \cos\frac{\pi T_{cur}}{T_i}\right),"
            r"\ T_i = t_0\, t_{mult}^{i}",
            "CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)",
        ),
        ScheduleInfo(
            "cyclic",
            "Cyclic (CLR)",
            (
                Param("base_lr", None, "lowest rate (default: each run's own η)", low=0.0, high=1000.0, low_open=True),
                Param(
                    "max_lr", None, "highest rate (default: 10 × each run's own η)", low=0.0, high=1000.0, low_open=True
                ),
                Param("step_size", 50, "s, updates per half cycle", kind="int", low=1, high=10**6),
                Param(
                    "mode",
                    "triangular",
                    "shape of the cycles",
                    kind="choice",
                    choices=("triangular", "triangular2", "exp_range"),
                ),
                Param("gamma", 0.99, "decay per update in exp_range mode", low=0.0, high=1.0, low_open=True),
            ),
            r"c = \lfloor 1 + \tfrac{t}{2s} \rfloor,\ x = \left|\tfrac{t}{s} - 2c + 1\right|,"
            r"\ \eta_t = \eta_{base} + (\eta_{max} - \eta_{base})\max(0, 1 - x)\cdot\text{scale}",
            "CyclicLR(base_lr, max_lr, step_size_up=s, mode, gamma, cycle_momentum=False)",
        ),
        ScheduleInfo(
            "plateau",
            "Reduce on plateau",
            (
                Param(
                    "factor", 0.5, "multiply η by this on a plateau", low=0.0, high=1.0, low_open=True, high_open=True
                ),
                Param("patience", 10, "updates without improvement tolerated", kind="int", low=0, high=10**6),
                Param("threshold", 1e-4, "relative improvement that counts", low=0.0, high=1.0),
                Param("cooldown", 0, "updates to wait after a reduction", kind="int", low=0, high=10**6),
                Param("min_lr", 0.0, "η never goes below this", low=0.0, high=1000.0),
            ),
            r"\eta \leftarrow \max(\eta \cdot \text{factor}, \eta_{min})\ \text{when } L \text{ has not improved for more than patience updates}",
            "ReduceLROnPlateau(mode='min', factor, patience, threshold, threshold_mode='rel', cooldown, min_lr), fed the loss; it skips a reduction of 1e-8 or less (its eps), which the lecture convention makes",
        ),
        ScheduleInfo(
            "warmup_cosine",
            "Linear warm-up, then cosine",
            (
                Param("warmup", 50, "w, updates of linear warm-up", kind="int", low=1, high=10**6),
                Param(
                    "start_factor",
                    None,
                    "f, first rate as a fraction of η (default 1/w)",
                    low=0.0,
                    high=1.0,
                    low_open=True,
                ),
                T_MAX,
                ETA_MIN,
            ),
            r"\eta_t = \eta\left(f + (1-f)\tfrac{t}{w}\right) \ (t < w);\ "
            r"\eta_{min} + \tfrac12(\eta-\eta_{min})\left(1+\cos\frac{\pi (t-w)}{T-w}\right)\ (t \ge w)",
            "SequentialLR(LinearLR(start_factor=f, total_iters=w), CosineAnnealingLR(T_max=T−w, eta_min), milestones=[w])",
        ),
    )
}
PARAMS = {name: info.params for name, info in SCHEDULES.items()}


def check_schedule(name: str, values: dict[str, Any], steps: int) -> None:
    """Cross-parameter checks that a single key's range cannot express."""
    if name == "warmup_cosine":
        t_max = values["t_max"] or steps
        if t_max <= values["warmup"]:
            raise SpecError(f"schedule warmup_cosine: t_max={t_max} must exceed warmup={values['warmup']}")
    low, high = values.get("base_lr"), values.get("max_lr")
    if name == "cyclic" and low is not None and high is not None and high < low:
        raise SpecError("schedule cyclic: max_lr must be at least base_lr")


def rates(name: str, values: dict[str, Any], base: np.ndarray, t: np.ndarray, steps: int) -> np.ndarray:
    """η_t for every update index in ``t`` (shape (C,)) and run (base rates shape (R,)): (C, R).

    ``plateau`` starts at the base rate here; the engine lowers it as the runs' losses stall.
    """
    t = np.asarray(t, dtype=float)[:, None]
    base = np.asarray(base, dtype=float)[None, :]
    if name in ("constant", "plateau"):
        return np.broadcast_to(base, (t.shape[0], base.shape[1])).copy()
    if name == "step":
        return base * values["gamma"] ** np.floor(t / values["step_size"])
    if name == "exponential":
        return base * np.exp(-values["decay"] * t)
    if name == "cosine":
        return _cosine(base, values["eta_min"], t, values["t_max"] or steps)
    if name == "warm_restarts":
        t_cur, t_i = _restart_position(t[:, 0], values["t_0"], values["t_mult"])
        return _cosine(base, values["eta_min"], t_cur[:, None], t_i[:, None])
    if name == "cyclic":
        low = base if values["base_lr"] is None else np.full_like(base, values["base_lr"])
        high = 10.0 * base if values["max_lr"] is None else np.full_like(base, values["max_lr"])
        s = values["step_size"]
        cycle = np.floor(1 + t / (2 * s))
        x = np.abs(t / s - 2 * cycle + 1)
        if values["mode"] == "triangular":
            scale = 1.0
        elif values["mode"] == "triangular2":
            scale = 1.0 / 2.0 ** (cycle - 1)
        else:
            scale = values["gamma"] ** t
        return low + (high - low) * np.maximum(0.0, 1.0 - x) * scale
    if name == "warmup_cosine":
        w = values["warmup"]
        f = values["start_factor"] or 1.0 / w
        t_max = values["t_max"] or steps
        warm = base * (f + (1.0 - f) * np.minimum(t, w) / w)
        return np.where(t < w, warm, _cosine(base, values["eta_min"], t - w, t_max - w))
    raise KeyError(name)


def _cosine(base, eta_min, t, period):
    return eta_min + 0.5 * (base - eta_min) * (1.0 + np.cos(math.pi * t / period))


def _restart_position(t: np.ndarray, t_0: int, t_mult: int) -> tuple[np.ndarray, np.ndarray]:
    """Position inside the current cycle and the cycle's length, for each update index."""
    t_cur = t.copy()
    t_i = np.full_like(t, float(t_0))
    while True:
        past = t_cur >= t_i
        if not past.any():
            return t_cur, t_i
        t_cur = np.where(past, t_cur - t_i, t_cur)
        t_i = np.where(past, t_i * t_mult, t_i)


class PlateauState:
    """ReduceLROnPlateau for every run at once (mode min, relative threshold), fed each run's loss."""

    def __init__(self, values: dict[str, Any], base: np.ndarray, convention: str):
        # torch changes the rate only when it drops by more than its eps (1e-8); the lecture
        # convention keeps reducing down to min_lr (optimizers.md).
        self.smallest_drop = 1e-8 if convention == "pytorch" else 0.0
        self.factor = values["factor"]
        self.patience = values["patience"]
        self.threshold = values["threshold"]
        self.cooldown = values["cooldown"]
        self.min_lr = values["min_lr"]
        self.eta = np.array(base, dtype=float)
        self.best = np.full(self.eta.shape, np.inf)
        self.bad = np.zeros(self.eta.shape, dtype=int)
        self.cooldown_left = np.zeros(self.eta.shape, dtype=int)

    def update(self, loss: np.ndarray) -> np.ndarray:
        """Feed one loss per run (the loss at the point the update started from); return η."""
        better = loss < self.best * (1.0 - self.threshold)
        self.best = np.where(better, loss, self.best)
        self.bad = np.where(better, 0, self.bad + 1)
        cooling = self.cooldown_left > 0
        self.cooldown_left = np.where(cooling, self.cooldown_left - 1, self.cooldown_left)
        self.bad = np.where(cooling, 0, self.bad)
        reduce = self.bad > self.patience
        if reduce.any():
            new = np.maximum(self.eta * self.factor, self.min_lr)
            self.eta = np.where(reduce & (self.eta - new > self.smallest_drop), new, self.eta)
            self.cooldown_left = np.where(reduce, self.cooldown, self.cooldown_left)
            self.bad = np.where(reduce, 0, self.bad)
        return self.eta


def preview(name: str, values: dict[str, Any], base_lr: float, steps: int) -> np.ndarray:
    """η_t over ``steps`` updates for one base rate: the curve a page draws (open-loop schedules)."""
    if name == "plateau":
        raise SpecError("plateau has no curve of its own: it depends on the loss of each run")
    check_schedule(name, values, steps)
    return rates(name, values, np.array([base_lr]), np.arange(steps), steps)[:, 0]


def _schedules_text() -> str:
    lines = ["", "The schedules (generated from SCHEDULES, the source the Reference page renders):", ""]
    lines += [f"- {info.name}: {info.latex} (torch: {info.torch})" for info in SCHEDULES.values()]
    return "\n".join(lines)


__doc__ = (__doc__ or "") + _schedules_text()
