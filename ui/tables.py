"""The Playground's tables as plain functions of a result, a list of rows each: readable
headers, no raw None, the tolerance in the header that uses it, and numbers as the core has them
(``ui.charts.show_table`` formats them). No pandas: a Playground session never loads it."""

from __future__ import annotations

from optim_core.api import Result
from ui.figures import inspected_update

NOT_REACHED = "—"


def summary_table(result: Result) -> list[dict]:
    """One row per run: where it ended, its losses, when it came within the tolerance."""
    reached = f"steps to within {result.tolerance:g}"
    names = {
        "label": "run", "final_x": "final x", "final_y": "final y", "final_loss": "final loss",
        "best_loss": "best loss", "steps_to_tolerance": reached, "diverged_at": "diverged at step", "status": "status",
    }  # fmt: skip
    rows = []
    for row in result.summary_rows():
        shown = {names[key]: row[key] for key in names}
        for column in (reached, "diverged at step"):
            shown[column] = NOT_REACHED if shown[column] is None else str(int(shown[column]))
        rows.append(shown)
    return rows


def inspect_rows(result: Result, step: int) -> list[dict]:
    """Each run at the inspected step: the update from step k to k + 1, the values it used and
    the optimizer's state after it (the same numbers as the arrows)."""
    rows = []
    for i, info in enumerate(result.runs):
        k = inspected_update(result, i, step)
        if k < 0:
            continue
        row = {"run": info.label, "update": f"{k} → {k + 1}"}
        row["x"], row["y"] = result.positions[i, k]
        row["loss"] = result.loss[i, k]
        row["g_x"], row["g_y"] = result.gradients[i, k]
        row["η_t"] = result.lr[i, k]
        row["eff_x"], row["eff_y"] = result.effective_lr[i, k]
        for name, values in result.state(i).items():
            row[f"{name}_x"], row[f"{name}_y"] = values[k + 1]  # the state after this update
        rows.append(row)
    return rows


def worked_rows(result: Result, run: int, step: int) -> list[dict]:
    """The update of ``run`` shown at ``step``, worked out value by value in the order the
    rule's code computes it (:func:`optim_core.worked.worked_update`); [] if it has none."""
    from optim_core.worked import worked_update

    k = inspected_update(result, run, step)
    if k < 0:
        return []
    return [
        {"value": line.name, "x": line.x, "y": line.y, "what it is": line.meaning}
        for line in worked_update(result, run, k)
    ]
