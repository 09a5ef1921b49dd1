"""Plotly figures as plain functions of data: no Streamlit calls, so tests inspect them directly."""

from __future__ import annotations

import base64
import html
import struct
import zlib
from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

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


def height_transform(z: np.ndarray, log: bool) -> tuple[Callable[[np.ndarray], np.ndarray], str]:
    """How heights are shown: log-compressed when the range spans decades; and the axis title.

    The transform is fixed by the grid ``z`` and applied alike to the surface and the paths.
    """
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return (lambda values: values), "f"
    low, high = float(finite.min()), float(np.percentile(finite, 99))
    if log and high - low > 0 and (high - low) / max(abs(np.median(finite) - low), 1e-12) > 5:
        offset = max((high - low) * 1e-5, 1e-12)

        def compress(values: np.ndarray) -> np.ndarray:
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.log10(np.maximum(np.asarray(values) - low, 0) + offset)

        return compress, "log₁₀(f − min)"
    return (lambda values: np.asarray(values)), "f"


def contour_levels(z: np.ndarray, log: bool) -> tuple[np.ndarray, str]:
    """The values to colour and a colourbar title (see :func:`height_transform`)."""
    transform, title = height_transform(z, log)
    return transform(z), title


CLICK_TARGET = "click to set the start"
MAX_FRAMES = 80


SURFACE_LEVELS = 30
SURFACE_PIXELS = 360  # per side of the surface's picture (the contour grid is resampled to it)
SURFACE_DARK, SURFACE_LIGHT = 10, 255  # grey of the lowest and the highest band


def surface_picture(shown: np.ndarray, levels: int = SURFACE_LEVELS) -> tuple[str, float, float]:
    """The surface as filled contour bands with a thin line between bands, as a PNG data URI
    (rows follow y upwards, like the grid); and the band range (low, high) for the colour bar.

    A picture in the layout, not a contour trace: plotly.js replots only the traces an animation
    frame names and drops the layers of the others, so a contour trace vanished while ▶ play or
    the step slider moved the heads. Undefined points are transparent.
    """
    finite = np.isfinite(shown)
    low, high = (float(shown[finite].min()), float(shown[finite].max())) if finite.any() else (0.0, 1.0)
    span = high - low if high > low else 1.0
    band = np.clip(np.floor((np.where(finite, shown, low) - low) / span * levels), 0, levels - 1)
    grey = SURFACE_DARK + (SURFACE_LIGHT - SURFACE_DARK) * (band + 0.5) / levels
    edge = np.zeros(band.shape, dtype=bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    grey = np.where(edge, grey * 0.82, grey)
    rgba = np.empty((*shown.shape, 4), dtype=np.uint8)
    rgba[..., :3] = grey[..., None].round().astype(np.uint8)
    rgba[..., 3] = np.where(finite, 255, 0)
    return png_data_uri(rgba[::-1]), low, high  # PNG rows run downwards


def png_data_uri(rgba: np.ndarray) -> str:
    """An 8-bit RGBA image (rows, columns, 4) as a PNG data URI (zlib and struct suffice)."""
    height, width, _ = rgba.shape
    raw = np.concatenate([np.zeros((height, 1), dtype=np.uint8), rgba.reshape(height, -1)], axis=1).tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _resample(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, pixels: int) -> np.ndarray:
    """``z`` on a ``pixels`` × ``pixels`` grid over the same box, bilinear (for a smooth picture)."""
    fx = np.interp(np.linspace(xs[0], xs[-1], pixels), xs, np.arange(xs.size))
    fy = np.interp(np.linspace(ys[0], ys[-1], pixels), ys, np.arange(ys.size))
    x0, y0 = np.minimum(fx.astype(int), xs.size - 2), np.minimum(fy.astype(int), ys.size - 2)
    tx, ty = fx - x0, fy - y0
    top = z[y0][:, x0] * (1 - tx) + z[y0][:, x0 + 1] * tx
    bottom = z[y0 + 1][:, x0] * (1 - tx) + z[y0 + 1][:, x0 + 1] * tx
    return top * (1 - ty[:, None]) + bottom * ty[:, None]


def contour_figure(
    surface: Surface,
    result: Result | None,
    grid: tuple | None = None,
    font_scale: float = 1.0,
    animate: bool = True,
) -> go.Figure | dict:
    """The surface as filled contours with every trajectory, its start and the known minima.

    A transparent grid of points lets a click choose a new start (the page reads the
    selection) and shows f on hover, and with ``animate`` a play button and a step slider move
    the heads of all trajectories together in the browser (the frames carry only the heads).
    """
    xs, ys, z = grid if grid is not None else surface.grid()
    shown, title = contour_levels(z, surface.log_levels)
    with np.errstate(invalid="ignore"):
        picture, low, high = surface_picture(_resample(xs, ys, shown, SURFACE_PIXELS))
    (x0, x1), (y0, y1) = surface.domain
    fig = go.Figure()
    fig.add_layout_image(
        source=picture, xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
        sizing="stretch", layer="below", name="surface",
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(  # the colour bar of the picture: one point, never seen
            x=[x0], y=[y0], mode="markers", name="surface", showlegend=False, hoverinfo="skip",
            marker={
                "size": 0.1, "opacity": 0, "color": [low], "cmin": low, "cmax": high, "showscale": True,
                "colorscale": [[0, f"rgb{(SURFACE_DARK,) * 3}"], [1, f"rgb{(SURFACE_LIGHT,) * 3}"]],
                "colorbar": {"title": {"text": title}, "thickness": 12},
            },
        )
    )  # fmt: skip
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
    targets_x, targets_y = np.meshgrid(np.linspace(x0, x1, 41), np.linspace(y0, y1, 41))
    fig.add_trace(
        go.Scatter(
            x=targets_x.ravel(),
            y=targets_y.ravel(),
            mode="markers",
            marker={"size": 9, "color": "rgba(0,0,0,0)"},
            name=CLICK_TARGET,
            showlegend=False,
            customdata=surface.value(targets_x, targets_y).ravel().astype(np.float32),
            hovertemplate="f = %{customdata:.4g}<br>click: start at (%{x:.3g}, %{y:.3g})<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis={"title": "x", "range": [x0, x1], "constrain": "domain", "showgrid": False, "zeroline": False},
        yaxis={
            "title": "y",
            "range": [y0, y1],
            "scaleanchor": "x",
            "scaleratio": 1,
            "showgrid": False,
            "zeroline": False,
        },
        clickmode="event+select",
        **_layout(font_scale, height=680),
    )
    if result is not None and animate:
        return _with_animation(fig, result)
    return fig


def _heads(result: Result, step: int) -> tuple[np.ndarray, np.ndarray]:
    rows = np.minimum(step, result.valid_rows - 1)
    points = result.positions[np.arange(len(result.runs)), rows]
    return points[:, 0], points[:, 1]


def _with_animation(fig: go.Figure, result: Result) -> dict:
    """Heads of every path, moved together by a play button and a step slider (client-side).

    Returned as a plain figure dict: building the frames as graph objects would cost Plotly's
    validation on every frame (about 100 ms for 80 frames), and they are plain data anyway.
    """
    colours = [run_style(result, i)["color"] for i in range(len(result.runs))]
    x, y = _heads(result, result.steps)
    fig.add_trace(
        go.Scatter(
            x=x, y=y, mode="markers", name="heads", showlegend=False,
            marker={"size": 13, "color": colours, "line": {"width": 2, "color": "white"}},
            hoverinfo="skip",
        )
    )  # fmt: skip
    head_index = len(fig.data) - 1
    steps = np.unique(np.linspace(0, result.steps, min(MAX_FRAMES, result.steps + 1)).round().astype(int))
    spec = fig.to_dict()
    spec["frames"] = []
    for step in steps:
        fx, fy = _heads(result, int(step))
        frame_data = [{"type": "scatter", "x": fx.tolist(), "y": fy.tolist()}]
        spec["frames"].append({"data": frame_data, "traces": [head_index], "name": str(step)})
    still = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}
    play = {"frame": {"duration": 60, "redraw": False}, "fromcurrent": True, "transition": {"duration": 0}}
    spec["layout"]["updatemenus"] = [
        {
            "type": "buttons", "direction": "left", "showactive": False,
            "x": 0.0, "y": -0.32, "xanchor": "left", "yanchor": "top", "pad": {"t": 0, "r": 10},
            "buttons": [
                {"label": "▶ play", "method": "animate", "args": [None, play]},
                {"label": "❚❚ pause", "method": "animate", "args": [[None], still]},
            ],
        }
    ]  # fmt: skip
    spec["layout"]["sliders"] = [
        {
            "active": len(steps) - 1, "x": 0.0, "y": -0.1, "len": 1.0, "currentvalue": {"prefix": "step "},
            "steps": [{"label": str(step), "method": "animate", "args": [[str(step)], still]} for step in steps],
        }
    ]  # fmt: skip
    return spec


def _path_trace(result: Result, i: int) -> go.Scatter:
    """One run's path with hover details (step, loss, η_t, effective rate)."""
    n = int(result.valid_rows[i])
    path = result.positions[i, :n]
    loss = result.loss[i, :n]
    lr = np.concatenate([[np.nan], result.lr[i, : n - 1]])
    eff = np.concatenate([np.full((1, 2), np.nan), result.effective_lr[i, : n - 1]])
    custom = np.column_stack([np.arange(n), loss, lr, eff]).astype(np.float32)  # hover text only
    info = result.runs[i]
    label = html.escape(info.label)
    status = result.status(i)
    return go.Scatter(
        x=path[:, 0],
        y=path[:, 1],
        mode="lines+markers" if n <= 60 else "lines",
        line={"width": 2.5, **run_style(result, i)},
        marker={"size": 4},
        name=label + ("" if status in ("ok", "converged") else f" — {status}"),
        customdata=custom,
        hovertemplate=(
            f"<b>{label}</b><br>step %{{customdata[0]:.0f}}<br>loss %{{customdata[1]:.4g}}"
            "<br>η<sub>t</sub> %{customdata[2]:.3g}<br>eff. rate x %{customdata[3]:.3g}, y %{customdata[4]:.3g}<extra></extra>"
        ),
    )


def _per_run_lines(fig: go.Figure, result: Result, values, row=None, col=None, dash_y=False) -> None:
    for i, info in enumerate(result.runs):
        n = int(result.valid_rows[i])
        style = run_style(result, i)
        for label, series, dash in values(i, n):
            fig.add_trace(
                go.Scatter(
                    x=np.arange(series.size) + (1 if label.endswith("·") else 0),
                    y=series,
                    mode="lines",
                    line={"width": 2, "color": style["color"], "dash": dash or style["dash"]},
                    name=f"{html.escape(info.label)}{label.rstrip('·')}",
                    legendgroup=info.label,
                    hovertemplate=f"{html.escape(info.label)}{label.rstrip('·')}<br>step %{{x}}<br>%{{y:.4g}}<extra></extra>",
                ),
                row=row,
                col=col,
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
                name=html.escape(info.label),
                hovertemplate=f"{html.escape(info.label)}<br>step %{{x}}<br>%{{y:.4g}}<extra></extra>",
            )
        )
    log = minimum is not None
    fig.update_layout(
        xaxis={"title": "step"},
        yaxis={
            "title": "f − f* (log)" if log else "f",
            "type": "log" if log else "linear",
            "exponentformat": "power",
            **(_decade_ticks(fig) if log else {}),
        },
        **_layout(font_scale, height=360),
    )
    return fig


def _decade_ticks(fig: go.Figure) -> dict:
    """A tick per power of ten on a log y axis whose data span a decade or more; else Plotly's
    own ticks, which label values inside the decade (a tick per power alone would show none)."""
    values = np.concatenate(
        [np.asarray(trace.y, dtype=float).ravel() for trace in fig.data if trace.y is not None] or [[]]
    )
    values = values[np.isfinite(values) & (values > 0)]
    return {"dtick": 1} if values.size and np.log10(values.max()) - np.log10(values.min()) >= 1 else {}


def _layout(font_scale: float, height: int) -> dict:
    return {
        "height": int(height * (1 + 0.25 * (font_scale - 1))),
        "margin": {"l": 50, "r": 20, "t": 30, "b": 45},
        "font": {**FONT, "size": round(13 * font_scale)},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0},
    }


def schedule_figure(curves: dict[str, np.ndarray], font_scale: float = 1.0) -> go.Figure:
    """η_t against t for several schedules (``curves`` maps a name to its η_t values)."""
    fig = go.Figure()
    for name, values in curves.items():
        fig.add_trace(go.Scatter(x=np.arange(values.size), y=values, mode="lines", name=name))
    fig.update_layout(
        xaxis={"title": "update t"},
        yaxis={"title": "η<sub>t</sub>", "rangemode": "tozero"},
        **_layout(font_scale, height=380),
    )
    return fig


def schedule_grid_figure(curves: dict[str, np.ndarray], columns: int = 3, font_scale: float = 1.0) -> go.Figure:
    """η_t against t, one small panel per schedule, each with its own η axis from 0.

    One shared axis would be dominated by the largest curve (cyclic reaches 10 η by default)."""
    rows = -(-len(curves) // columns)
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=list(curves), shared_xaxes=True, vertical_spacing=0.12)
    for index, (name, values) in enumerate(curves.items()):
        row, col = divmod(index, columns)
        fig.add_trace(
            go.Scatter(x=np.arange(values.size), y=values, mode="lines", name=name, showlegend=False),
            row=row + 1,
            col=col + 1,
        )
    fig.update_yaxes(rangemode="tozero")
    fig.update_xaxes(title_text="update t", row=rows)
    fig.update_yaxes(title_text="η<sub>t</sub>", col=1)
    fig.update_layout(**_layout(font_scale, height=230 * rows))
    return fig


def distance_figure(result: Result, font_scale: float = 1.0) -> go.Figure | None:
    """Distance to the nearest known minimum against step (None when none is known)."""
    surface = result.surface
    if not surface.minima:
        return None
    fig = go.Figure()

    def series(i, n):
        path = result.positions[i, :n]
        return [("", surface.nearest_minimum_distance(path[:, 0], path[:, 1]), None)]

    _per_run_lines(fig, result, series)
    fig.update_layout(
        xaxis={"title": "step"},
        yaxis={"title": "distance to the nearest minimum", "type": "log", "exponentformat": "power"},
        **_layout(font_scale, height=320),
    )
    return fig


def effective_lr_figure(result: Result, font_scale: float = 1.0) -> go.Figure:
    """The effective learning rate per coordinate against step, log scale (x solid, y dotted)."""
    fig = go.Figure()

    def series(i, n):
        eff = result.effective_lr[i, : max(n - 1, 0)]
        return [(" (x)·", eff[:, 0], "solid"), (" (y)·", eff[:, 1], "dot")]

    _per_run_lines(fig, result, series)
    fig.update_layout(
        xaxis={"title": "update"},
        yaxis={
            "title": "effective learning rate (log)",
            "type": "log",
            "exponentformat": "power",
            **_decade_ticks(fig),
        },
        **_layout(font_scale, height=360),
    )
    return fig


def surface3d_figure(surface: Surface, result: Result, grid: tuple | None = None, font_scale: float = 1.0) -> go.Figure:
    """The surface in 3D with every path on it (heights log-compressed like the contour)."""
    xs, ys, z = grid if grid is not None else surface.grid(60)
    step = max(1, len(xs) // 60)
    xs, ys, z = xs[::step], ys[::step], z[::step, ::step]
    transform, title = height_transform(z, surface.log_levels)
    shown = transform(z)
    fig = go.Figure(
        go.Surface(
            x=xs, y=ys, z=shown.astype(np.float32), colorscale="Greys", reversescale=True, showscale=False, opacity=0.85
        )
    )
    finite = shown[np.isfinite(shown)]
    lift = 0.01 * float(np.ptp(finite)) if finite.size else 0.0  # keeps the paths above the surface
    for i, info in enumerate(result.runs):
        n = int(result.valid_rows[i])
        path = result.positions[i, :n]
        fig.add_trace(
            go.Scatter3d(
                x=path[:, 0], y=path[:, 1], z=transform(result.loss[i, :n]) + lift,
                mode="lines", line={"width": 5, "color": run_style(result, i)["color"]}, name=html.escape(info.label),
            )
        )  # fmt: skip
    (x0, x1), (y0, y1) = surface.domain
    fig.update_layout(
        scene={
            "xaxis": {"title": "x", "range": [x0, x1]},
            "yaxis": {"title": "y", "range": [y0, y1]},
            "zaxis": {"title": title},
        },
        **_layout(font_scale, height=460),
    )
    return fig


def inspected_update(result: Result, run: int, step: int) -> int:
    """The update shown for a chosen step: that step's, or the run's last one (−1: none)."""
    return min(step, int(result.valid_rows[run]) - 2)


def inspect_figure(result: Result, step: int, font_scale: float = 1.0) -> go.Figure:
    """At one step: each run's update, the plain gradient step −η_t g and its velocity, as arrows."""
    fig = go.Figure()
    points, ends, annotations = [], [], []
    for i, info in enumerate(result.runs):
        k = inspected_update(result, i, step)
        if k < 0:
            continue
        here = result.positions[i, k]
        colour = run_style(result, i)["color"]
        arrows = {
            "update": result.positions[i, k + 1] - here,
            "−η_t g": -result.lr[i, k] * result.gradients[i, k],
        }
        velocity = {"u": 1.0, "b": result.lr[i, k]}
        for name, scale in velocity.items():
            if name in result.state(i):
                arrows["velocity"] = -scale * result.state(i)[name][k]
        for kind, delta in arrows.items():
            end = here + delta
            points.append(here)
            ends.append(end)
            annotations.append(
                {
                    "x": end[0], "y": end[1], "ax": here[0], "ay": here[1], "xref": "x", "yref": "y",
                    "axref": "x", "ayref": "y", "showarrow": True, "arrowhead": 2, "arrowcolor": colour,
                    "arrowwidth": 2.5 if kind == "update" else 1.5, "opacity": 1.0 if kind == "update" else 0.6,
                }
            )  # fmt: skip
            fig.add_trace(
                go.Scatter(
                    x=[here[0], end[0]], y=[here[1], end[1]], mode="lines", showlegend=kind == "update",
                    line={"color": colour, "width": 0.1}, name=f"{html.escape(info.label)}: {kind}", legendgroup=info.label,
                    hovertemplate=f"{html.escape(info.label)} — {kind}<br>Δx %{{customdata[0]:.3g}}, Δy %{{customdata[1]:.3g}}<extra></extra>",
                    customdata=[delta, delta],
                )
            )  # fmt: skip
    if points:
        box = np.vstack(points + ends)
        pad = 0.15 * max(np.ptp(box[:, 0]), np.ptp(box[:, 1]), 1e-9)
        fig.update_layout(
            xaxis={"title": "x", "range": [box[:, 0].min() - pad, box[:, 0].max() + pad]},
            yaxis={"title": "y", "range": [box[:, 1].min() - pad, box[:, 1].max() + pad], "scaleanchor": "x"},
        )
    fig.update_layout(annotations=annotations, **_layout(font_scale, height=420))
    return fig


def add_paths(fig: go.Figure, result: Result, suffix: str = "", dash: str | None = None) -> None:
    """Add the paths of ``result`` to a contour (for comparisons of two results)."""
    for i in range(len(result.runs)):
        trace = _path_trace(result, i)
        trace.name = f"{trace.name}{suffix}"
        if dash:
            trace.line.dash = dash
        fig.add_trace(trace)


def comparison_loss_figure(results: dict[str, Result], font_scale: float = 1.0) -> go.Figure:
    """Loss gap (log) and η_t of one optimizer under several schedules; one row each."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    for n, (name, result) in enumerate(results.items()):
        minimum = result.surface.min_value
        rows = int(result.valid_rows[0])
        gap = result.loss[0, :rows] - (minimum or 0.0)
        style = {"color": OPTIMIZER_COLOURS[result.runs[0].optimizer], "dash": DASHES[n % len(DASHES)]}
        fig.add_trace(
            go.Scatter(y=np.maximum(gap, 1e-16) if minimum is not None else gap, mode="lines", line=style, name=name),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                y=result.lr[0, : max(rows - 1, 1)], mode="lines", line=style, name=f"{name}: η_t", showlegend=False
            ),
            row=2,
            col=1,
        )
    fig.update_yaxes(title_text="f − f* (log)", type="log", exponentformat="power", row=1, col=1)
    fig.update_yaxes(title_text="η<sub>t</sub>", row=2, col=1)
    fig.update_xaxes(title_text="step", row=2, col=1)
    fig.update_layout(**_layout(font_scale, height=520))
    return fig


DIVERGED_COLOUR = "#CC3311"  # Tol's vibrant red, apart from the greyscale heat maps


def _log_axis(values: np.ndarray) -> bool:
    return bool(np.all(values > 0) and values.max() / values.min() >= 50)


def sweep_figures(grid, min_value: float | None, font_scale: float = 1.0) -> dict[str, go.Figure]:
    """Heat maps of a sweep: final loss (log colour), steps to converge, divergence.

    Diverged cells are never coloured by their (meaningless) numbers: they are blank in the
    loss and convergence maps and drawn in one flat colour by an overlay, with the step at
    which they diverged in the hover text. A transparent point on every cell makes it
    clickable.
    """
    xs, ys = grid.x_values, grid.y_values
    diverged = grid.diverged_at >= 0
    overlay = go.Heatmap(
        x=xs, y=ys, z=np.where(diverged, 1.0, np.nan), colorscale=[[0, DIVERGED_COLOUR], [1, DIVERGED_COLOUR]],
        showscale=False, customdata=grid.diverged_at, name="diverged",
        hovertemplate=f"{grid.x_key}=%{{x:.3g}}, {grid.y_key}=%{{y:.3g}}<br>diverged at step %{{customdata}}<extra></extra>",
    )  # fmt: skip
    gap = grid.final_loss - (min_value if min_value is not None else 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        shown_loss = np.where(diverged, np.nan, np.log10(np.maximum(gap, 1e-16)) if min_value is not None else gap)
    reached = np.where(diverged | (grid.steps_to_tolerance < 0), np.nan, grid.steps_to_tolerance.astype(float))
    hover = f"{grid.x_key}=%{{x:.3g}}, {grid.y_key}=%{{y:.3g}}<br>"
    maps = {
        "final loss": go.Heatmap(
            x=xs, y=ys, z=shown_loss, colorscale="Viridis", customdata=grid.final_loss,
            colorbar={"title": {"text": "log₁₀(f − f*)" if min_value is not None else "f", "side": "right"}, "thickness": 10},
            hovertemplate=hover + "final loss %{customdata:.4g}<extra></extra>",
        ),
        "steps to converge": go.Heatmap(
            x=xs, y=ys, z=reached, colorscale="Viridis", reversescale=True,
            colorbar={"title": {"text": "steps", "side": "right"}, "thickness": 10},
            hovertemplate=hover + "within tolerance after %{z:.0f} steps<extra></extra>",
        ),
        "divergence": go.Heatmap(
            x=xs, y=ys, z=np.where(diverged, grid.diverged_at, np.nan).astype(float), colorscale="Reds",
            reversescale=True, colorbar={"title": {"text": "diverged at step", "side": "right"}, "thickness": 10},
            hovertemplate=hover + "diverged at step %{z:.0f}<extra></extra>",
        ),
    }  # fmt: skip
    cell_x, cell_y = np.meshgrid(xs, ys)
    figures = {}
    for title, heatmap in maps.items():
        fig = go.Figure([heatmap, overlay])
        fig.add_trace(
            go.Scatter(
                x=cell_x.ravel(), y=cell_y.ravel(), mode="markers", marker={"size": 8, "color": "rgba(0,0,0,0)"},
                showlegend=False, name="cells", hovertemplate=hover + "click: open in the Playground<extra></extra>",
            )
        )  # fmt: skip
        fig.update_layout(
            title={"text": title},
            xaxis={"title": grid.x_key, "type": "log" if _log_axis(xs) else "linear"},
            yaxis={"title": grid.y_key, "type": "log" if _log_axis(ys) else "linear"},
            clickmode="event+select",
            **_layout(font_scale, height=430),
        )
        figures[title] = fig
    return figures


def basin_figure(
    surface: Surface, xs: np.ndarray, ys: np.ndarray, basin: np.ndarray, font_scale: float = 1.0
) -> go.Figure:
    """Start points coloured by the minimum their run reaches (−1: none of them, −2: diverged)."""
    palette = list(OPTIMIZER_COLOURS.values())
    count = len(surface.minima)
    # A discrete scale: −2 diverged (red), −1 no listed minimum (light grey), k → palette colour.
    colours = [DIVERGED_COLOUR, "#DDDDDD"] + [palette[k % len(palette)] for k in range(count)]
    scale = []
    for index, colour in enumerate(colours):
        low, high = index / len(colours), (index + 1) / len(colours)
        scale += [[low, colour], [high, colour]]
    names = ["diverged", "no listed minimum"] + [
        f"minimum {k + 1} ({m.x:.3g}, {m.y:.3g})" for k, m in enumerate(surface.minima)
    ]
    label = np.vectorize(lambda v: names[int(v) + 2])(basin)
    fig = go.Figure(
        go.Heatmap(
            x=xs, y=ys, z=basin, zmin=-2.5, zmax=count - 0.5, colorscale=scale, showscale=False, customdata=label,
            hovertemplate="start (%{x:.3g}, %{y:.3g})<br>%{customdata}<extra></extra>",
        )
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=[m.x for m in surface.minima], y=[m.y for m in surface.minima], mode="markers+text",
            text=[str(k + 1) for k in range(count)], textposition="top center", name="minima",
            marker={"symbol": "star", "size": 14, "color": "#E69F00", "line": {"width": 1, "color": "black"}},
        )
    )  # fmt: skip
    fig.update_layout(
        xaxis={"title": "x₀", "range": list(surface.domain[0])},
        yaxis={"title": "y₀", "range": list(surface.domain[1]), "scaleanchor": "x"},
        **_layout(font_scale, height=480),
    )
    return fig
