r"""The nine update rules of optimizers.md, in both conventions.

Each rule is stated twice here, on purpose in one place: as LaTeX (``OptimizerInfo.rules``,
shown by the app's Reference page and kept in this module's docs) and as the coefficients of
one generic batched update that the engine runs for every run at once:

.. math::

    p_t &= \theta_t - \ell\,m_t                      && \text{(look-ahead: NAG, lecture)} \\
    g_t &= \nabla L(p_t) \\
    m_{t+1} &= a_m m_t + b_m g_t \\
    v_{t+1} &= a_v v_t + b_v g_t^2 \\
    z_{t+1} &= \max(a_z z_t,\ |g_t| + e_z)           && \text{(Adamax's } u\text{)} \\
    D_t &= \max\!\left(\sqrt{c_v v_{t+1} + e_i} + e_o,\ z_{t+1}\right)
            / \sqrt{w_t + e_w}                          && (w\text{: AdaDelta's } u) \\
    S_t &= (c_m m_{t+1} + c_g g_t) / D_t \\
    \theta_{t+1} &= \theta_t - \lambda_t S_t \\
    w_{t+1} &= a_w w_t + b_w S_t^2

With neutral coefficients (``a_m = 0, b_m = 1`` makes m = g; ``e_i = 1`` and no v makes
D = 1; ``e_z = −∞`` keeps z at 0, ...) every rule of the table is one setting of these, and the neutral operations are
exact in floating point, so a run gives the same numbers alone or in a mixed batch.
:func:`coefficients` gives each rule's setting; the tests check every rule against an
independent scalar transcription of optimizers.md.
"""

from __future__ import annotations

import numpy as np

from optim_core.rules import RULES
from optim_core.rules.base import BETA1, BETA2, CONVENTIONS, OptimizerInfo, State, same
from optim_core.rules.base import eps as _eps
from optim_core.rules.base import lr as _lr
from spec_strings import Param

__all__ = ["CONVENTIONS", "GENERIC", "NEUTRAL", "NOTES", "OPTIMIZERS", "PARAMS", "coefficients"]

BIAS_CORRECTION = Param("bias_correction", True, "divide m and v by (1 − β^k) (lecture convention only)", kind="bool")
MOMENTUM_DECAY = Param(
    "momentum_decay", 0.004, "ψ of torch's NAdam momentum schedule (pytorch convention only)", low=0.0, high=1.0
)
# The generic update's state slots (see the module docstring): m, v, z (Adamax's u), w (AdaDelta's u).
M, V, Z, W = 1, 2, 3, 4
VELOCITY = State("u", "velocity: the decayed sum of η·g", velocity=True, pytorch_name="b")
FIRST = State("m", "first moment: the average of g")
SECOND = State("v", "second moment: the average of g²")
_same = same


OPTIMIZERS: dict[str, OptimizerInfo] = {
    info.name: info
    for info in (
        OptimizerInfo(
            "adagrad",
            "AdaGrad",
            (_lr(0.5), _eps(1e-8)),
            {
                "lecture": r"v_{t+1} = v_t + g_t^2;\quad \theta_{t+1} = \theta_t - \frac{\eta_t}{\sqrt{v_{t+1} + \epsilon}}\, g_t",
                "pytorch": r"v_{t+1} = v_t + g_t^2;\quad \theta_{t+1} = \theta_t - \frac{\eta_t}{\sqrt{v_{t+1}} + \epsilon}\, g_t",
            },
            {
                "lecture": r"\eta_t / \sqrt{v_{t+1} + \epsilon}",
                "pytorch": r"\eta_t / (\sqrt{v_{t+1}} + \epsilon)",
            },
            difference="ε inside the square root (lecture) or added after it (torch).",
            state=((State("v", "the sum of every g² so far"), V),),
        ),
        OptimizerInfo(
            "nadam",
            "NAdam",
            (_lr(0.01), BETA1, BETA2, _eps(1e-8), MOMENTUM_DECAY),
            {
                "lecture": r"m, v \text{ as Adam};\quad \hat v = \frac{v_{t+1}}{1-\beta_2^k};"
                r"\quad \bar m = \frac{\beta_1 m_{t+1}}{1-\beta_1^{k+1}} + \frac{(1-\beta_1) g_t}{1-\beta_1^k};"
                r"\quad \theta_{t+1} = \theta_t - \eta_t \frac{\bar m}{\sqrt{\hat v} + \epsilon}",
                "pytorch": r"\mu_k = \beta_1\left(1 - \tfrac12 0.96^{k\psi}\right);\ \Pi_k = \Pi_{k-1}\mu_k;"
                r"\quad \theta_{t+1} = \theta_t - \eta_t\frac{1-\mu_k}{1-\Pi_k}\frac{g_t}{\sqrt{\hat v}+\epsilon}"
                r" - \eta_t\frac{\mu_{k+1}}{1-\Pi_k\mu_{k+1}}\frac{m_{t+1}}{\sqrt{\hat v}+\epsilon}",
            },
            _same(r"\eta_t / (\sqrt{\hat v} + \epsilon)"),
            pytorch_only=("momentum_decay",),
            difference="The lecture uses Dozat's rule with a constant β1; torch schedules the momentum "
            "(μ_k grows from about β1/2 towards β1, with ψ = momentum_decay).",
            state=((FIRST, M), (SECOND, V)),
        ),
    )
}
# Rules that are settings of the generic update; the others bring their own scalar update
# (optim_core/rules/). The registry lists optimizers.md's nine first, in its order.
GENERIC = tuple(OPTIMIZERS)
ORDER = ("gd", "momentum", "nag", "adagrad", "rmsprop", "adadelta", "adam", "adamax", "nadam")
OPTIMIZERS = {name: {**OPTIMIZERS, **RULES}[name] for name in (*ORDER, *(n for n in RULES if n not in ORDER))}
PARAMS = {name: info.params for name, info in OPTIMIZERS.items()}

# The generic coefficients and their neutral values (see the module docstring).
NEUTRAL = {
    "lookahead": 0.0,
    "a_m": 0.0,
    "b_m": 1.0,
    "a_v": 0.0,
    "b_v": 0.0,
    "c_v": 0.0,
    "e_i": 1.0,
    "e_o": 0.0,
    "a_z": 0.0,
    # −∞ keeps z at 0 for every other rule, and max(D, 0) = D: no separate switch is needed.
    "e_z": -np.inf,
    "e_w": 1.0,
    "a_w": 0.0,
    "b_w": 0.0,
    "c_m": 1.0,
    "c_g": 0.0,
    "step": None,  # λ_t: η_t unless the rule puts η_t into m
    "eff": None,  # η_t × (the factor of the effective learning rate beyond 1/D)
}


def coefficients(
    name: str, convention: str, hp: dict[str, np.ndarray], k: np.ndarray, eta: np.ndarray
) -> dict[str, np.ndarray | float]:
    """The generic coefficients of rule ``name`` for runs with hyperparameters ``hp``.

    ``hp`` maps keys to arrays shaped (runs,); ``k`` is the 1-based update count shaped
    (steps, 1); ``eta`` is η_t shaped (steps, runs). Time-varying results are (steps, runs),
    the others (runs,) or scalars; keys left out take their NEUTRAL value.
    """
    lecture = convention == "lecture"
    if name == "adagrad":
        eps = hp["eps"]
        return {"c_v": 1.0, "e_i": eps if lecture else 0.0, "e_o": 0.0 if lecture else eps, "step": eta, "eff": eta,
                "a_v": 1.0, "b_v": 1.0}  # fmt: skip
    # β1 and β2 are usually the same for every run of a sweep: powers of one value are cheaper.
    beta1, beta2, eps = _compact(hp["beta1"]), _compact(hp["beta2"]), hp["eps"]
    moments = {"a_m": beta1, "b_m": 1.0 - beta1, "a_v": beta2, "b_v": 1.0 - beta2, "e_i": 0.0, "e_o": eps}
    if name == "nadam":
        c_v = 1.0 / (1.0 - beta2**k)
        if lecture:
            c_m = beta1 / (1.0 - beta1 ** (k + 1))
            c_g = (1.0 - beta1) / (1.0 - beta1**k)
        else:
            c_m, c_g = _torch_nadam_factors(beta1, _compact(hp["momentum_decay"]), k)
        return {**moments, "c_v": c_v, "c_m": c_m, "c_g": c_g, "step": eta, "eff": eta}
    raise KeyError(name)


def _compact(values: np.ndarray) -> np.ndarray:
    """One value instead of many equal ones (it broadcasts to the same result)."""
    values = np.asarray(values, dtype=float)
    return values[:1] if values.size > 1 and np.all(values == values[0]) else values


def _torch_nadam_factors(beta1: np.ndarray, psi: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """torch.optim.NAdam's factors on m and g: μ_{k+1}/(1 − Π_k μ_{k+1}) and (1 − μ_k)/(1 − Π_k)."""
    steps = int(k.max())
    counts = np.arange(1, steps + 2, dtype=float)[:, None]
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (counts * psi))  # μ_1 … μ_{steps+1}, shape (steps+1, runs)
    product = np.cumprod(mu[:-1], axis=0)  # Π_1 … Π_steps
    rows = k[:, 0].astype(int) - 1
    mu_k, mu_next, prod_k = mu[rows], mu[rows + 1], product[rows]
    return mu_next / (1.0 - prod_k * mu_next), (1.0 - mu_k) / (1.0 - prod_k)


# Notes of optimizers.md that matter to a student; the app shows them where it shows the rules.
NOTES = (
    "Lecture momentum equals torch momentum while η is constant (u = η b); with a schedule they "
    "differ, because torch rescales the whole velocity by today's rate.",
    "The seed text writes Adamax's second moment as an L2-style average of ‖g‖∞²; the rule here is "
    "Kingma & Ba's Algorithm 2 (the max of β2-decayed history and |g|), with torch's ε inside the max.",
    "torch's NAdam starts with an effective momentum near β1/2 (μ₁ ≈ 0.45 for β1 = 0.9).",
    "RMSprop has no bias correction: its first update moves each coordinate by about η/√(1−β).",
)


def _rules_text() -> str:
    lines = ["", "The update rules (generated from OPTIMIZERS, the source the Reference page renders):", ""]
    for info in OPTIMIZERS.values():
        for convention in CONVENTIONS:
            lines.append(f"- {info.name} ({convention}): {info.rules[convention]}")
            lines.append(f"  effective learning rate: {info.effective_lr[convention]}")
    return "\n".join(lines)


__doc__ = (__doc__ or "") + _rules_text()
