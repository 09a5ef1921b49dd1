r"""Every optimizer, in the order the app lists them: optimizers.md's nine, then the rules added since.

Each is one module of :mod:`optim_core.rules` (its keys, named state, LaTeX in both
conventions, effective learning rate, and its update as scalar code for one coordinate); this
module orders them and keeps the notes of optimizers.md that the Reference page shows. The
tests check every rule against an independent scalar transcription of its spec.
"""

from __future__ import annotations

from optim_core.rules import RULES
from optim_core.rules.base import CONVENTIONS, OptimizerInfo

__all__ = ["CONVENTIONS", "NOTES", "OPTIMIZERS", "ORDER", "PARAMS"]

ORDER = ("gd", "momentum", "nag", "adagrad", "rmsprop", "adadelta", "adam", "adamax", "nadam")
OPTIMIZERS: dict[str, OptimizerInfo] = {name: RULES[name] for name in (*ORDER, *(n for n in RULES if n not in ORDER))}
PARAMS = {name: info.params for name, info in OPTIMIZERS.items()}

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
