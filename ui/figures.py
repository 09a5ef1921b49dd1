"""Plotly figures as plain functions of data: no Streamlit calls, so tests inspect them directly."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from optim_core.api import Result
from surfaces import Surface

# Paul Tol's "muted" qualitative scheme: nine colours that stay distinct for the common forms
# of colour blindness. One colour per optimizer on every view and page.
OPTIMIZER_COLOURS = {
    "gd": "#332288",
    "momentum": "#CC6677",
    "nag": "#882255",
    "adagrad": "#117733",
    "rmsprop": "#44AA99",
    "adadelta": "#999933",
    "adam": "#AA4499",
    "adamax": "#DDCC77",
    "nadam": "#88CCEE",
}
# A second run of the same optimizer keeps its colour and changes its dash.
DASHES = ("solid", "dash", "dot", "dashdot", "longdash")
FONT = {"family": "Inter, Helvetica, Arial, sans-serif"}


def run_style(result: Result, run: int) -> dict:
    """The colour of the run's optimizer; a second label of the same optimizer gets a new dash."""
    info = result.runs[run]
    labels = list(dict.fromkeys(r.label for r in result.runs[: run + 1] if r.optimizer == info.optimizer))
    return {"color": OPTIMIZER_COLOURS[info.optimizer], "dash": DASHES[labels.index(info.label) % len(DASHES)]}


def contour_levels(z: np.ndarray, log: bool) -> tuple[np.ndarray, str]:
    """The values to colour (log-compressed when the range spans decades) and a colourbar title."""
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return z, "f"
    low, high = float(finite.min()), float(np.percentile(finite, 99))
    if log and high - low > 0 and (high - low) / max(abs(np.median(finite) - low), 1e-12) > 5:
        offset = max((high - low) * 1e-5, 1e-12)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log10(z - low + offset), "log₁₀(f − min)"
    return z, "f"


def contour_figure(
    surface: Surface, result: Result | None, grid: tuple | None = None, font_scale: float = 1.0
) -> go.Figure:
    """The surface as filled contours with every trajectory, its start and the known minima."""
    xs, ys, z = grid if grid is not None else surface.grid()
    shown, title = contour_levels(z, surface.log_levels)
    fig = go.Figure()
    fig.add_trace(
        go.Contour(
            x=xs,
            y=ys,
            z=shown,
            colorscale="Greys",
            reversescale=True,
            ncontours=30,
            contours={"coloring": "fill", "showlines": True},
            line={"width": 0.5, "color": "rgba(80,80,80,0.35)"},
            colorbar={"title": {"text": title}, "thickness": 12},
            hovertemplate="x=%{x:.3g}<br>y=%{y:.3g}<extra></extra>",
            name="surface",
            showlegend=False,
        )
    )
    if result is not None:
        for i in range(len(result.runs)):
            fig.add_trace(_path_trace(result, i))
        start = result.positions[:, 0]
        fig.add_trace(
            go.Scatter(
                x=start[:, 0],
                y=start[:, 1],
                mode="markers",
                marker={"symbol": "circle-open", "size": 12, "color": "black", "line": {"width": 2}},
                name="start",
                hovertemplate="start (%{x:.3g}, %{y:.3g})<extra></extra>",
            )
        )
    if surface.minima:
        fig.add_trace(
            go.Scatter(
                x=[m.x for m in surface.minima],
                y=[m.y for m in surface.minima],
                mode="markers",
                marker={"symbol": "star", "size": 14, "color": "#E69F00", "line": {"width": 1, "color": "black"}},
                name="minimum",
                text=[f"f = {m.value:.4g}" + ("" if m.is_global else " (local)") for m in surface.minima],
                hovertemplate="minimum (%{x:.4g}, %{y:.4g})<br>%{text}<extra></extra>",
            )
        )
    (x0, x1), (y0, y1) = surface.domain
    fig.update_layout(
        xaxis={"title": "x", "range": [x0, x1], "constrain": "domain"},
        yaxis={"title": "y", "range": [y0, y1], "scaleanchor": "x", "scaleratio": 1},
        **_layout(font_scale, height=560),
    )
    return fig


def _path_trace(result: Result, i: int) -> go.Scatter:
    n = int(result.valid_rows[i])
    path = result.positions[i, :n]
    loss = result.loss[i, :n]
    lr = np.concatenate([[np.nan], result.lr[i, : n - 1]])
    eff = np.concatenate([np.full((1, 2), np.nan), result.effective_lr[i, : n - 1]])
    custom = np.column_stack([np.arange(n), loss, lr, eff])
    info = result.runs[i]
    status = result.status(i)
    return go.Scatter(
        x=path[:, 0],
        y=path[:, 1],
        mode="lines+markers" if n <= 60 else "lines",
        line={"width": 2.5, **run_style(result, i)},
        marker={"size": 4},
        name=info.label + ("" if status in ("ok", "converged") else f" — {status}"),
        customdata=custom,
        hovertemplate=(
            f"<b>{info.label}</b><br>step %{{customdata[0]:.0f}}<br>loss %{{customdata[1]:.4g}}"
            "<br>η_t %{customdata[2]:.3g}<br>eff. rate x %{customdata[3]:.3g}, y %{customdata[4]:.3g}<extra></extra>"
        ),
    )


def loss_figure(result: Result, font_scale: float = 1.0) -> go.Figure:
    """Loss above the minimum (log scale) against step, one line per run."""
    fig = go.Figure()
    minimum = result.surface.min_value
    offset = 0.0 if minimum is None else minimum
    for i, info in enumerate(result.runs):
        n = int(result.valid_rows[i])
        gap = result.loss[i, :n] - offset
        fig.add_trace(
            go.Scatter(
                x=np.arange(n),
                y=np.maximum(gap, 1e-16) if minimum is not None else gap,
                mode="lines",
                line={"width": 2, **run_style(result, i)},
                name=info.label,
                hovertemplate=f"{info.label}<br>step %{{x}}<br>%{{y:.4g}}<extra></extra>",
            )
        )
    log = minimum is not None
    fig.update_layout(
        xaxis={"title": "step"},
        yaxis={
            "title": "f − f* (log)" if log else "f",
            "type": "log" if log else "linear",
            "exponentformat": "power",
            **({"dtick": 1} if log else {}),
        },
        **_layout(font_scale, height=360),
    )
    return fig


def _layout(font_scale: float, height: int) -> dict:
    return {
        "height": int(height * (1 + 0.25 * (font_scale - 1))),
        "margin": {"l": 50, "r": 20, "t": 30, "b": 45},
        "font": {**FONT, "size": round(13 * font_scale)},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0},
        "template": "plotly_white",
    }


def schedule_figure(curves: dict[str, np.ndarray], font_scale: float = 1.0) -> go.Figure:
    """η_t against t for several schedules (``curves`` maps a name to its η_t values)."""
    fig = go.Figure()
    for name, values in curves.items():
        fig.add_trace(go.Scatter(x=np.arange(values.size), y=values, mode="lines", name=name))
    fig.update_layout(xaxis={"title": "update t"}, yaxis={"title": "η_t"}, **_layout(font_scale, height=380))
    return fig
