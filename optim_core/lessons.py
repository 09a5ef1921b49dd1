"""The claims of the lectures, each measured on a preset with a plain verdict.

Every lesson names its preset runs (scenarios), the rules it is about, and a ``measure``
function that runs the presets and returns the numbers that decide the claim and whether it
held. The Lessons page draws them; the tests assert the same numbers. Where a claim does not
hold in general, a lesson carries a counter-case whose verdict says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from optim_core.api import Result, Scenario

VALLEY = "valley:kappa=25.0"
VALLEY_START = (-9.0, 3.0)


def _on_valley(optimizers: list[str], steps: int, **more) -> Scenario:
    """A preset on the elongated valley (κ = 25), started at (−9, 3) far along its floor."""
    return Scenario(surface=VALLEY, optimizers=optimizers, start=VALLEY_START, steps=steps, **more)


@dataclass(frozen=True)
class Measurement:
    numbers: dict[str, float]
    held: bool
    summary: str  # one sentence with the numbers that decide the verdict


@dataclass(frozen=True)
class Lesson:
    key: str
    title: str
    claim: str
    explanation: str
    rules: tuple[str, ...]  # optimizer names whose update rules the lesson shows
    scenarios: dict[str, Scenario]
    measure: Callable[[dict[str, Result]], Measurement]
    schedules: tuple[str, ...] = ()
    counter: Lesson | None = None
    figures: tuple[str, ...] = ("contour", "loss")  # the views that show the claim
    # The value the claim is about, scrubbed on the first scenario (optim_core.scrub), if any.
    scrub: str | None = None

    def run(self, step_scale: float = 1.0) -> dict[str, Result]:
        """Run the presets, optionally with their step counts scaled (at least 10 steps)."""
        return {
            name: replace(scenario, steps=max(10, round(scenario.steps * step_scale))).run()
            for name, scenario in self.scenarios.items()
        }


def _distance(result: Result, run: int) -> float:
    final = result.outcome.final_position[:, run]
    return float(result.surface.nearest_minimum_distance(final[0], final[1]))


def _flips_and_amplitude(result: Result, run: int, last: int = 100) -> tuple[float, float]:
    """Over the last updates: the fraction that reverse the previous step, and the RMS step length."""
    steps = np.diff(result.positions[run, -last - 1 :], axis=0)
    along = steps[:, 1] if np.abs(steps[:, 1]).sum() >= np.abs(steps[:, 0]).sum() else steps[:, 0]
    flips = float(np.mean(np.sign(along[1:]) != np.sign(along[:-1])))
    return flips, float(np.sqrt(np.mean(steps**2)))


# ----- 1. AdaGrad's decaying rate --------------------------------------------------------------
def _adagrad_measure(results: dict[str, Result]) -> Measurement:
    r = results["runs"]
    ratio = float(r.effective_lr[0, -1, 0] / r.effective_lr[0, 0, 0])
    ada, rms = _distance(r, 0), _distance(r, 1)
    held = ratio < 0.2 and ada > 10 * rms
    return Measurement(
        {
            "AdaGrad rate, last / first update": ratio,
            "AdaGrad distance to minimum": ada,
            "RMSprop distance to minimum": rms,
        },
        held,
        f"AdaGrad's effective rate fell to {ratio:.2f} of its first value and it ended {ada:.3g} from the "
        f"minimum; RMSprop ended {rms:.3g} from it.",
    )


def _adagrad_lesson(key: str, lr: float, counter: Lesson | None = None, title: str | None = None) -> Lesson:
    return Lesson(
        key=key,
        title=title or "AdaGrad's rate decays until it stalls; RMSprop gets there",
        claim="AdaGrad's effective learning rate keeps decaying, so it stalls short of the minimum, where RMSprop (which forgets old gradients) reaches it.",
        explanation=(
            "AdaGrad divides by the square root of the sum of all past squared gradients, so its "
            "effective rate can only fall. RMSprop divides by a moving average instead, so its rate "
            "recovers once the gradients get small."
        ),
        rules=("adagrad", "rmsprop"),
        scenarios={"runs": _on_valley([f"adagrad:lr={lr}", "rmsprop:lr=0.03"], 500)},
        measure=_adagrad_measure,
        counter=counter,
        figures=("contour", "effective_lr", "distance"),
        scrub="opt1.lr",  # AdaGrad's η₀: how soon it stalls
    )


ADAGRAD_COUNTER = _adagrad_lesson("adagrad-counter", 1.0, title="Where it does not hold: AdaGrad with η₀ = 1")
ADAGRAD = _adagrad_lesson("adagrad", 0.3, counter=ADAGRAD_COUNTER)


# ----- 2. Sparse features ---------------------------------------------------------------------------
TRUE_W, TRUE_B, START_W, START_B = 2.0, -1.0, -4.0, 4.0


def _progress(result: Result, run: int) -> tuple[float, float]:
    w, b = result.outcome.final_position[:, run]
    return float((w - START_W) / (TRUE_W - START_W)), float((b - START_B) / (TRUE_B - START_B))


def _sparse_measure(results: dict[str, Result]) -> Measurement:
    numbers, held, parts = {}, True, []
    for name, r in results.items():
        (gd_w, gd_b), (ada_w, ada_b) = _progress(r, 0), _progress(r, 1)
        numbers |= {f"{name}: GD progress along w": gd_w, f"{name}: GD progress along b": gd_b}
        numbers |= {f"{name}: AdaGrad progress along w": ada_w, f"{name}: AdaGrad progress along b": ada_b}
        held &= gd_w / gd_b < 0.5 and ada_w / ada_b > 0.8
        parts.append(
            f"{name}: GD covered {gd_w:.0%} of the way along w and {gd_b:.0%} along b; AdaGrad {ada_w:.0%} and {ada_b:.0%}"
        )
    return Measurement(numbers, held, "; ".join(parts) + ".")


def _rotated_measure(results: dict[str, Result]) -> Measurement:
    numbers = {}
    for name, r in results.items():
        rates = r.effective_lr[1, -1]  # AdaGrad's rate per coordinate at the last update
        numbers[f"{name}: AdaGrad's rate along x / along y (last update)"] = float(rates[0] / rates[1])
        for run, label in ((0, "GD"), (1, "AdaGrad")):
            numbers[f"{name}: {label} final loss"] = float(r.outcome.final_loss[run])
            numbers[f"{name}: {label} steps to within 1e-6 (−1: not reached)"] = int(r.outcome.steps_to_tolerance[run])

    def both(quantity: str) -> tuple[float, float]:
        return numbers[f"along the axes: {quantity}"], numbers[f"rotated by 45°: {quantity}"]

    ratio_aligned, ratio_rotated = both("AdaGrad's rate along x / along y (last update)")
    ada_aligned, ada_rotated = both("AdaGrad final loss")
    gd_aligned, gd_rotated = both("GD final loss")
    held = ada_rotated <= 2 * ada_aligned
    return Measurement(
        numbers,
        held,
        f"Along the axes AdaGrad's rate along x ends {ratio_aligned:.2f} times its rate along y and its loss "
        f"ends at {ada_aligned:.2g}; rotated by 45° the ratio is {ratio_rotated:.2f} and its loss ends at "
        f"{ada_rotated:.2g}. Gradient descent ends at {gd_aligned:.2g} and {gd_rotated:.2g}: rotation changes "
        "nothing for it.",
    )


def _rotated_start(angle: float) -> tuple[float, float]:
    """VALLEY_START in the valley's own coordinates, for the valley rotated by ``angle`` degrees."""
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    x, y = VALLEY_START
    return round(float(c * x - s * y), 3), round(float(s * x + c * y), 3)


ROTATED_COUNTER = Lesson(
    key="rotated",
    title="Where it does not hold: the valley rotated by 45°",
    claim="Per-coordinate rates adapt to any elongated valley, so AdaGrad does as well on a rotated valley as on one along the axes.",
    explanation=(
        "AdaGrad rescales each coordinate on its own, so it can only undo curvature that lies along "
        "the axes. Rotated by 45°, both coordinates see the same mix of steep and flat gradients, "
        "their rates stay alike, and AdaGrad is left with gradient descent's problem. Gradient descent "
        "itself does not depend on the rotation. Same valley (κ = 25), same start in the valley's own "
        "coordinates, GD with η = 0.07 and AdaGrad with η = 1."
    ),
    rules=("gd", "adagrad"),
    scenarios={
        name: Scenario(
            surface=f"valley:kappa=25.0,angle={angle}",
            optimizers=["gd:lr=0.07", "adagrad:lr=1.0"],
            start=_rotated_start(angle),
            steps=300,
        )
        for name, angle in (("rotated by 45°", 45.0), ("along the axes", 0.0))
    },
    measure=_rotated_measure,
    figures=("contour", "effective_lr"),
)


SPARSE = Lesson(
    key="sparse",
    title="Sparse features: GD barely moves along w, AdaGrad moves in proportion",
    claim="With a sparse feature, plain gradient descent barely moves the weight of that feature, while AdaGrad moves both parameters in proportion.",
    explanation=(
        "The input behind w is zero for 80 % of the points, so w's gradient is small (full batch) "
        "or exactly zero on most mini-batches. GD's step is proportional to the gradient; AdaGrad "
        "divides each coordinate by its own gradient history, so the rarely updated w gets a large "
        "effective rate. The data are reconstructed (the lecture shows only plots)."
    ),
    rules=("gd", "adagrad"),
    scenarios={
        "full batch": Scenario(surface="sparse_dense", optimizers=["gd:lr=0.3", "adagrad:lr=0.3"], steps=300, seed=1),
        "mini-batches of 5": Scenario(
            surface="sparse_dense:batch=5", optimizers=["gd:lr=0.3", "adagrad:lr=0.3"], steps=300, seed=1
        ),
    },
    measure=_sparse_measure,
    counter=ROTATED_COUNTER,
    figures=("contour", "effective_lr"),
)


# ----- 3. RMSprop oscillates with a constant rate ---------------------------------------------------------
def _rmsprop_measure(results: dict[str, Result]) -> Measurement:
    flips, amp = _flips_and_amplitude(results["constant"], 0)
    _, cos_amp = _flips_and_amplitude(results["cosine"], 0)
    finals = results["η₀ sweep"].outcome.final_loss
    spread = float(np.log10(finals.max() / finals.min()))
    held = flips > 0.9 and amp > 0.05 and cos_amp < 0.1 * amp and spread > 2
    return Measurement(
        {
            "constant rate: reversing steps (last 100)": flips,
            "constant rate: RMS step (last 100)": amp,
            "cosine: RMS step (last 100)": cos_amp,
            "final loss spread over η₀ (decades)": spread,
        },
        held,
        f"At a constant η = 0.1, {flips:.0%} of the last 100 steps reverse the one before, with an RMS step "
        f"of {amp:.3g}; under a cosine schedule the RMS step is {cos_amp:.2g}. Over η₀ from 0.001 to 0.3 the "
        f"final loss spans {spread:.1f} decades.",
    )


RMSPROP = Lesson(
    key="rmsprop",
    title="RMSprop oscillates around the minimum at a constant rate, and depends on η₀",
    claim="With a constant rate RMSprop keeps bouncing around the minimum (a decaying schedule stops it), and its result depends strongly on η₀.",
    explanation=(
        "Near the minimum the gradients shrink, but so does their moving average, so RMSprop's "
        "step g/√v stays about η in size: it cannot settle. A schedule that lowers η lets it settle."
    ),
    rules=("rmsprop",),
    scenarios={
        "constant": _on_valley(["rmsprop:lr=0.1"], 500),
        "cosine": _on_valley(["rmsprop:lr=0.1"], 500, schedule="cosine"),
        "η₀ sweep": _on_valley([f"rmsprop:lr={lr},label=eta {lr}" for lr in (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)], 500),
    },
    measure=_rmsprop_measure,
    schedules=("cosine",),
    figures=("contour", "loss"),
    scrub="opt1.lr",  # RMSprop's η₀ at a constant rate: the size of its bounce
)


# ----- 4. AdaDelta without a learning rate ----------------------------------------------------------------
def _adadelta_measure(results: dict[str, Result]) -> Measurement:
    r = results["runs"]
    steps = np.linalg.norm(np.diff(r.positions[0], axis=0), axis=1)
    first, later = float(steps[0]), float(steps[50:150].mean())
    start, final = float(r.loss[0, 0]), float(r.outcome.final_loss[0])
    held = final < 0.01 * start and later > 2 * first
    return Measurement(
        {
            "loss at start": start,
            "loss after 500 updates": final,
            "first step": first,
            "mean step, updates 50-150": later,
        },
        held,
        f"With η = 1 (no learning rate) the loss fell from {start:.4g} to {final:.4g}; its first step was "
        f"{first:.2g} long, against {later:.2g} on average between updates 50 and 150.",
    )


ADADELTA = Lesson(
    key="adadelta",
    title="AdaDelta makes progress with no learning rate, starting slowly",
    claim="AdaDelta needs no learning rate: its step size comes from the running average of its own past steps, which starts near √ε, so it starts slowly.",
    explanation=(
        "AdaDelta's update is √(u+ε)/√(v+ε)·g, where u averages the squares of its past updates. At "
        "the start u = 0, so the first steps have the size √ε/√v·g, then they grow with u."
    ),
    rules=("adadelta",),
    scenarios={"runs": Scenario(surface="himmelblau", optimizers=["adadelta"], start=(0.0, 0.0), steps=500)},
    measure=_adadelta_measure,
)


# ----- 5. Adam's bias correction ---------------------------------------------------------------------------
def _bias_measure(results: dict[str, Result]) -> Measurement:
    r = results["runs"]
    steps = np.abs(np.diff(r.positions[:, :4], axis=1))
    corrected, uncorrected = float(steps[0, 0].mean() / 0.1), float(steps[1, 0].mean() / 0.1)
    expected = (1 - 0.9) / np.sqrt(1 - 0.999)
    held = abs(corrected - 1) < 1e-3 and abs(uncorrected - expected) < 1e-2
    return Measurement(
        {
            "first step / η, corrected": corrected,
            "first step / η, uncorrected": uncorrected,
            "(1 − β1)/√(1 − β2)": float(expected),
        },
        held,
        f"With bias correction the first step moves each coordinate by {corrected:.3f} η; without it by "
        f"{uncorrected:.3f} η, which is (1 − β1)/√(1 − β2) = {expected:.3f} for β1 = 0.9, β2 = 0.999.",
    )


ADAM_BIAS = Lesson(
    key="adam-bias",
    title="Adam's bias correction: the first steps with and without it",
    claim="Adam's moments start at 0; bias correction divides them by (1 − βᵏ) so the first steps have the intended size η.",
    explanation=(
        "After one update m = (1−β1)g and v = (1−β2)g². Uncorrected, the step is η(1−β1)/√(1−β2) "
        "≈ 3.2 η for the default betas, not η; the correction removes this start-up bias and fades "
        "as βᵏ goes to 0."
    ),
    rules=("adam",),
    scenarios={
        "runs": _on_valley(["adam:lr=0.1,label=corrected", "adam:lr=0.1,bias_correction=false,label=uncorrected"], 60)
    },
    measure=_bias_measure,
)


# ----- 6. Adamax's L∞ rule ------------------------------------------------------------------------------
ADAMAX_SURFACE = "sparse_dense:sparsity=0.9,batch=2"


def _adamax_measure(results: dict[str, Result]) -> Measurement:
    from surfaces import make_surface

    r = results["runs"]
    signal = make_surface(ADAMAX_SURFACE).batch_has_signal(r.steps, r.seed)
    variation = []
    for run in range(2):
        w_steps = np.abs(np.diff(r.positions[run, :, 0]))[signal]
        variation.append(float(w_steps.std() / w_steps.mean()))
    held = variation[1] < variation[0]
    return Measurement(
        {"Adam: variation of w's steps": variation[0], "Adamax: variation of w's steps": variation[1]},
        held,
        f"On the mini-batches that carry the sparse feature, the size of w's step varies by {variation[0]:.2f} "
        f"(standard deviation / mean) under Adam and by {variation[1]:.2f} under Adamax.",
    )


ADAMAX = Lesson(
    key="adamax",
    title="Adamax keeps its rate steady where gradients alternate between large and zero",
    claim="Adamax's L∞ rule u = max(β2 u, |g|) keeps the step steady when gradients alternate between large and zero.",
    explanation=(
        "Between two large gradients of the sparse feature, Adam's average v is dragged down by the "
        "zeros and the next step is too large; Adamax's maximum remembers the last large gradient, "
        "decaying only by β2 per update, so its steps on w are more even."
    ),
    rules=("adam", "adamax"),
    scenarios={
        "runs": Scenario(surface=ADAMAX_SURFACE, optimizers=["adam:lr=0.05", "adamax:lr=0.05"], steps=400, seed=2)
    },
    measure=_adamax_measure,
    figures=("contour", "effective_lr"),
)


# ----- 7. Momentum overshoots, NAG less ------------------------------------------------------------------------
def _nag_measure(results: dict[str, Result]) -> Measurement:
    r = results["runs"]
    overshoot = [float(max(0.0, r.positions[run, : int(r.valid_rows[run]), 0].max())) for run in range(2)]
    held = overshoot[1] < overshoot[0]
    return Measurement(
        {"momentum: overshoot past the minimum": overshoot[0], "NAG: overshoot past the minimum": overshoot[1]},
        held,
        f"Along the valley, momentum ran {overshoot[0]:.3g} past the minimum and NAG {overshoot[1]:.3g}.",
    )


NAG = Lesson(
    key="nag",
    title="Momentum overshoots in a valley; NAG looks ahead and overshoots less",
    claim="Momentum builds up speed and overshoots the minimum; Nesterov's look-ahead gradient brakes earlier and overshoots less.",
    explanation=(
        "NAG evaluates the gradient at θ − βu, where momentum is about to carry it. Near the bottom "
        "that gradient already points back, so the velocity shrinks one step earlier."
    ),
    rules=("momentum", "nag"),
    scenarios={"runs": _on_valley(["momentum:lr=0.02,beta=0.9", "nag:lr=0.02,beta=0.9"], 300)},
    measure=_nag_measure,
    figures=("contour", "distance"),
)


# ----- 8. Schedules ------------------------------------------------------------------------------------------
SCHEDULE_PRESETS = {
    "constant": "constant",
    "step": "step:step_size=100,gamma=0.5",
    "exponential": "exponential:decay=0.01",
    "cyclic": "cyclic:step_size=50",
    "cosine": "cosine",
    "warm restarts": "warm_restarts:t_0=100,t_mult=2",
}


def _schedules_measure(results: dict[str, Result]) -> Measurement:
    numbers = {}
    for name, r in results.items():
        _, amp = _flips_and_amplitude(r, 0)
        numbers[f"{name}: final loss"] = float(r.outcome.final_loss[0])
        numbers[f"{name}: RMS step (last 100)"] = amp
    constant = numbers["constant: RMS step (last 100)"]
    decaying = ("step", "exponential", "cosine")
    held = all(numbers[f"{name}: RMS step (last 100)"] < 0.1 * constant for name in decaying)
    cyclic = numbers["cyclic: RMS step (last 100)"]
    return Measurement(
        numbers,
        held,
        f"At a constant η RMSprop still steps {constant:.3g} per update at the end; the decaying schedules "
        f"(step, exponential, cosine) end at "
        + ", ".join(f"{numbers[f'{name}: RMS step (last 100)']:.2g}" for name in decaying)
        + f". The cyclic schedule ends at {cyclic:.2g}: it raises η again by design, as warm restarts do.",
    )


SCHEDULES_LESSON = Lesson(
    key="schedules",
    title="Schedules: what step, exponential, cyclic, cosine and warm restarts change",
    claim="Lowering η over time lets an optimizer that bounces at a constant rate settle; cyclic schedules and warm restarts raise it again on purpose.",
    explanation=(
        "The same RMSprop run (η = 0.1 on the valley) under each schedule. Step, exponential and "
        "cosine decay η and the bouncing dies out; cyclic and warm restarts periodically raise it, "
        "which helps escape (not shown here) but keeps the steps large."
    ),
    rules=("rmsprop",),
    scenarios={name: _on_valley(["rmsprop:lr=0.1"], 500, schedule=spec) for name, spec in SCHEDULE_PRESETS.items()},
    measure=_schedules_measure,
    schedules=("step", "exponential", "cyclic", "cosine", "warm_restarts"),
    figures=("loss",),
)

LESSONS: tuple[Lesson, ...] = (ADAGRAD, SPARSE, RMSPROP, ADADELTA, ADAM_BIAS, ADAMAX, NAG, SCHEDULES_LESSON)
