"""Plotly figures as plain functions of data: no Streamlit calls, so tests inspect them directly."""

from __future__ import annotations

import base64
import functools
import html
import struct
import zlib
from collections.abc import Callable

import numpy as np
import plotly.colors as pc
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from optim_core.api import Result
from optim_core.optimizers import OPTIMIZERS
from spec_strings import SpecError
from surfaces import Surface
from ui import style
from ui.drawn import drawn, span
from ui.export import VIEWS
from ui.style import DASHES

# Plotly checks every property a figure is given against its schema, and copies each array, as
# the figure is built: a quarter of the server's time in a Playground rerun (py-spy, Steps
# keypresses). These figures are fixed code, so they are built unchecked; a test builds each
# one checked too (VALIDATE = True) and finds the same JSON.
VALIDATE = False


def _unchecked(cls):
    def build(*args, **kwargs):
        return cls(*args, _validate=VALIDATE, **kwargs)

    return build


_Figure, _Scatter, _Heatmap, _Surface, _Scatter3d = map(
    _unchecked, (go.Figure, go.Scatter, go.Heatmap, go.Surface, go.Scatter3d)
)


def _subplots(rows: int, cols: int, **options) -> go.Figure:
    """``make_subplots(rows, cols, **options)`` as an unchecked figure. make_subplots checks each
    property of the layout it builds: 10 ms a figure, half of the effective-rate figure's time.
    Its layout and grid are made once per arguments."""
    frozen = tuple(sorted((key, tuple(v) if isinstance(v, list) else v) for key, v in options.items()))
    layout, grid_ref, grid_str = _subplot_grid(rows, cols, frozen)
    fig = _Figure(layout=layout)  # plotly builds its own layout objects from the dict: a copy
    # What make_subplots(figure=fig) itself sets: the grid that add_trace(row=, col=) and
    # select_xaxes(row=, col=) read. It is plain data (axis names), never changed, so shared.
    fig._grid_ref, fig._grid_str = grid_ref, grid_str
    return fig


@functools.cache
def _subplot_grid(rows: int, cols: int, options: tuple) -> tuple[dict, list, str]:
    fig = make_subplots(rows=rows, cols=cols, **{key: list(v) if isinstance(v, tuple) else v for key, v in options})
    return fig.layout.to_plotly_json(), fig._grid_ref, fig._grid_str


def _named(colorscale: str) -> list:
    """A named colour scale as its list of stops, as plotly's check writes it."""
    return pc.get_colorscale(colorscale)


KEEP_LAYOUT = ("autotypenumbers", "hovermode", "hoverlabel", "xaxis", "yaxis", "coloraxis", "title",
               "annotationdefaults", "shapedefaults")  # fmt: skip
TRACE_DEFAULTS = ("scatter3d", "contour", "heatmap", "surface")  # scatter's only default is a fill pattern


@functools.cache
def house_template(kinds: tuple[str, ...] = TRACE_DEFAULTS) -> go.layout.Template:
    """Plotly's "plotly_white" cut to what a figure of these trace ``kinds`` uses: its layout
    defaults for axes (3D ones only with a 3D trace), hover labels and annotations, and its
    defaults for the trace types drawn. The whole template (24 trace types, 7 kB of JSON) was
    copied and validated for every figure and sent with every chart (a Playground rerun 384 ->
    360 ms without it); one template for all five kinds was still 2.6 kB a chart, a line
    chart's is 0.6 kB."""
    white = pio.templates["plotly_white"]
    three_d = {"scatter3d", "surface"} & set(kinds)
    keep = (*KEEP_LAYOUT, "scene") if three_d else KEEP_LAYOUT
    return go.layout.Template(
        layout={key: white.layout[key] for key in keep},
        data={kind: white.data[kind] for kind in kinds if kind in TRACE_DEFAULTS},
    )


# Registered once, as the default every new figure starts from (applied without validating it
# again); each figure then carries the part for its own trace types (``_finish``).
HOUSE = "optviz"
pio.templates[HOUSE] = house_template()
pio.templates.default = HOUSE


def colour_of(optimizer: str) -> str:
    """One colour per optimizer on every view and page (see ``ui.style.PALETTE``)."""
    return style.optimizer_colour(optimizer, tuple(OPTIMIZERS))


def _axis_letters(surface: Surface) -> tuple[str, str]:
    """The coordinates' short names ("w", "b"), for titles that are not the contour's own."""
    return surface.info.axes[0].split()[0], surface.info.axes[1].split()[0]


def run_style(result: Result, run: int) -> dict:
    """The colour of the run's optimizer; a second label of the same optimizer gets a new dash."""
    info = result.runs[run]
    labels = list(dict.fromkeys(r.label for r in result.runs[: run + 1] if r.optimizer == info.optimizer))
    return {"color": colour_of(info.optimizer), "dash": DASHES[labels.index(info.label) % len(DASHES)]}


LOG_HEIGHT = "f − f<sub>min</sub> (log)"  # the colour bar and the loss axis say the same


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

        return compress, LOG_HEIGHT
    return (lambda values: np.asarray(values)), "f"


def contour_levels(z: np.ndarray, log: bool) -> tuple[np.ndarray, str]:
    """The values to colour and a colourbar title (see :func:`height_transform`)."""
    transform, title = height_transform(z, log)
    return transform(z), title


MAX_FRAMES = 80


SURFACE_LEVELS = 30
SURFACE_PIXELS = 360  # per side of the surface's picture (the contour grid is resampled to it)
SURFACE_DARK, SURFACE_LIGHT = 185, 255  # grey of the lowest and the highest band: light, so every
# optimizer colour reads on every band; the thin level lines between bands carry the shape


CONTOUR_HEIGHT = 590  # px: on a 1920 screen the plot keeps a third of its figure
# In presentation the contour and its play controls fit a 1280 × 720 projector's screen below the
# title and the scrub row.
CONTOUR_HEIGHT_PRESENTING = 475
CONTOUR_HEIGHT_PRESENTING_STILL = 540  # a contour without play controls (Lessons, Schedules)
# Presenting on a screen taller than a 720 px projector's, the contour grows with it: the screen
# less what stands above it (top bar, title, scrub row: 176 px at 1.5x) and its play controls.
CONTOUR_ROOM_PRESENTING = 245


def presentation_contour_height(screen: int | None) -> int:
    """The contour's height when presenting on a window ``screen`` px tall (None: not known yet)."""
    if screen is None:
        return CONTOUR_HEIGHT_PRESENTING
    return int(min(max(screen - CONTOUR_ROOM_PRESENTING, CONTOUR_HEIGHT_PRESENTING), 1400))


# A phone's column is about 360 px wide: a taller figure around the square plot is empty space.
CONTOUR_HEIGHT_PHONE = 480
MINIMUM_COLOUR = "#E69F00"  # Okabe-Ito orange, outlined: a mark, not an optimizer


def _power_ticks(low: float, high: float) -> dict:
    """Colour-bar ticks at powers of ten for a bar that shows log₁₀ of heights. A bar spanning
    less than a decade has no power of ten to mark: its ticks are the heights themselves (Lion
    on the neuron, weight decay × β2: Plotly's own ticks had read "−0.3651", a log₁₀ under a
    title that promises heights)."""
    if not np.isfinite(low) or not np.isfinite(high):
        return {}
    if high - low < 1:
        values = np.linspace(low, high, 5) if high > low else np.array([low])
        for digits in range(3, 10):  # as few digits as tell the ticks apart
            text = [f"{10.0**v:.{digits}g}" for v in values]
            if len(set(text)) == len(text):
                break
        return {"tickvals": values.tolist(), "ticktext": text}
    powers = np.arange(np.ceil(low), np.floor(high) + 1)
    if powers.size > 8:
        powers = powers[:: int(np.ceil(powers.size / 8))]
    return {"tickvals": powers.tolist(), "ticktext": [f"10<sup>{int(k)}</sup>" for k in powers]}


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
    grey = np.where(edge, grey * 0.72, grey)
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
    phone: bool = False,
    height: int | None = None,
    clickable: bool = False,
    frames: bool = True,
) -> go.Figure | dict:
    """The surface as filled contours with every trajectory, its start and the known minima.

    On a ``phone`` the hover says "tap" (one tap sets the start: the heat map of f under the
    pointer gives plotly a point to click anywhere). The colour bar is left out there: it took a
    third of the width from a plot that is square (the hover still gives f).

    A transparent heat map of f shows f under the pointer anywhere on the plot; on a
    ``clickable`` contour its hover also says that a click starts the runs there (``ui.player``
    reads the click's exact point). With ``animate`` the figure carries the heads of all
    trajectories and (with ``frames``) one frame per shown step moving them; the Playground
    leaves the frames out and hands :func:`animation_heads` to ``ui.player`` instead (a third of
    the bytes).
    """
    click = ("tap" if phone else "click") if clickable else None
    if height is None:
        presenting = CONTOUR_HEIGHT_PRESENTING if animate else CONTOUR_HEIGHT_PRESENTING_STILL
        height = CONTOUR_HEIGHT_PHONE if phone else CONTOUR_HEIGHT if font_scale == 1 else presenting
    # At least a pixel of picture per pixel of plot: stretched further, its level lines turn to steps.
    pixels = max(SURFACE_PIXELS, min(800, height - 100))
    picture, low, high, title = _picture_of(surface, grid, pixels)
    (x0, x1), (y0, y1) = surface.domain
    # The traces are made first and handed to the figure at once: added one by one, each
    # addition checked the figure's list of traces again (4 of the figure's 8.6 ms).
    traces = [
        _Scatter(  # the colour bar of the picture: one point, never seen
            x=[x0], y=[y0], mode="markers", name="surface", showlegend=False, hoverinfo="skip",
            marker={
                "size": 0.1, "opacity": 0, "color": [low], "cmin": low, "cmax": high, "showscale": not phone,
                "colorscale": [[0, f"rgb{(SURFACE_DARK,) * 3}"], [1, f"rgb{(SURFACE_LIGHT,) * 3}"]],
                "colorbar": {"title": {"text": title, "side": "right"}, "thickness": 14, "xpad": 4,
                             **(_power_ticks(low, high) if title == LOG_HEIGHT else {})},
            },
        ),
        _value_under_pointer(surface, click),
    ]  # fmt: skip
    if result is not None:
        traces.extend(_path_trace(result, i, font_scale) for i in range(len(result.runs)))
        start = result.positions[:, 0]
        traces.append(
            _Scatter(
                x=start[:, 0],
                y=start[:, 1],
                mode="markers",
                marker={"symbol": "circle-open", "size": 12 * font_scale, "color": style.TEXT, "line": {"width": 2.5}},
                name="start",
                meta="start",
                showlegend=False,  # the ring: its hover and the page's caption say what it is
                hovertemplate="start (%{x:.3g}, %{y:.3g})<extra></extra>",
            )
        )
        traces.append(diverged_trace(result, font_scale))
    if surface.minima:
        traces.append(
            _Scatter(
                x=[m.x for m in surface.minima],
                y=[m.y for m in surface.minima],
                mode="markers",
                marker={
                    "symbol": "star",
                    "size": 16 * font_scale,
                    "color": MINIMUM_COLOUR,
                    "line": {"width": 1.5, "color": style.TEXT},
                },
                name="minimum",
                showlegend=False,
                text=[f"f = {m.value:.4g}" + ("" if m.is_global else " (local)") for m in surface.minima],
                hovertemplate="minimum (%{x:.4g}, %{y:.4g})<br>%{text}<extra></extra>",
            )
        )
    if surface.saddles:
        traces.append(saddle_trace(surface, font_scale))
    animated = result is not None and animate
    if animated:
        traces.append(_heads_trace(result, font_scale))
    fig = _Figure(data=traces)
    fig.add_layout_image(
        source=picture, xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
        sizing="stretch", layer="below", name="surface",
    )  # fmt: skip
    x_title, y_title = surface.info.axes
    _finish(
        fig, font_scale, height, height_scales=False,
        xaxis={"title": {"text": x_title}, "range": [x0, x1], "constrain": "domain", "showgrid": False, "zeroline": False},
        yaxis={
            "title": {"text": y_title}, "range": [y0, y1], "scaleanchor": "x", "scaleratio": 1, "constrain": "domain",
            "constraintoward": "top",  # a plot narrower than its figure is tall hugs the legend above it
            "showgrid": False, "zeroline": False,
        },
        clickmode="event",  # a click is read by ui.player; nothing is selected (or dimmed)
    )  # fmt: skip
    if animated:
        return _with_frames(fig, result, frames)
    return fig


def _value_under_pointer(surface: Surface, click: str | None, points: int = 33) -> go.Heatmap:
    """f on a ``points`` × ``points`` grid as a heat map that is never seen: its hover gives f
    (≈, the nearest cell's) anywhere on the plot, and on a contour that takes clicks it says so
    (``click``: "click" or "tap"; the click's own point starts the runs). Cells from x0 and dx
    (no coordinates sent): 5.8 kB with every rerun of the Playground (41 points took 9 kB, and
    a grid of transparent markers 27 kB, which also rounded a click to its nearest point)."""
    (x0, x1), (y0, y1) = surface.domain
    xs, ys = np.linspace(x0, x1, points), np.linspace(y0, y1, points)

    def make() -> np.ndarray:  # kept (:func:`_kept`): up to 7 ms a rerun for the neuron at n = 1,000
        with np.errstate(all="ignore"):
            values = np.asarray(surface.value(*np.meshgrid(xs, ys)), dtype=float)
        values[~np.isfinite(values)] = np.nan  # no hover where f is not defined
        return _compact(values)

    return _Heatmap(
        z=_kept(surface, ("f under the pointer", points), make), x0=x0, dx=xs[1] - xs[0], y0=y0, dy=ys[1] - ys[0], zmin=0, zmax=1,
        opacity=0, showscale=False, hoverongaps=False, name="f",
        hovertemplate="f ≈ %{z:.4g}" + (f"<br>{click}: start here" if click else "") + "<extra></extra>",
    )  # fmt: skip


KEPT: dict[tuple, object] = {}  # what was drawn of the last few surfaces, shared by sessions
KEPT_LIMIT = 32


def _kept(surface: Surface, what: tuple, make: Callable[[], object]):
    """``make()``, made once per surface (name and values) and ``what``, and kept (the last
    KEPT_LIMIT): a rerun that changes a run leaves the surface as it was."""
    key = (surface.info.name, tuple(sorted((k, repr(v)) for k, v in surface.values.items())), what)
    value = KEPT.get(key)
    if value is None:
        value = KEPT[key] = make()
        while len(KEPT) > KEPT_LIMIT:  # sessions share it: another may drop the same one
            KEPT.pop(next(iter(KEPT), None), None)
    return value


def _picture_of(surface: Surface, grid: tuple | None, pixels: int) -> tuple[str, float, float, str]:
    """The surface's picture at ``pixels`` a side (PNG data URI), its colour range and the colour
    bar's title, kept (:func:`_kept`). Resampling and drawing it was a third of a served
    Playground rerun (py-spy: about 100 ms of 400 on loaded cores)."""

    def make():
        xs, ys, z = grid if grid is not None else surface.grid()
        shown, title = contour_levels(z, surface.log_levels)
        with np.errstate(invalid="ignore"):
            return (*surface_picture(_resample(xs, ys, shown, pixels)), title)

    return _kept(surface, ("picture", pixels), make)


def saddle_trace(surface: Surface, font_scale: float = 1.0) -> go.Scatter:
    """The surface's saddle points: open diamonds (a run slows down there, then turns away)."""
    xs, ys = [p[0] for p in surface.saddles], [p[1] for p in surface.saddles]
    return _Scatter(
        x=xs, y=ys, mode="markers", name="saddle point", meta="saddle", showlegend=False,
        marker={"symbol": "diamond-open", "size": 14 * font_scale, "color": style.TEXT, "line": {"width": 2.5}},
        text=[f"f = {v:.4g}" for v in np.atleast_1d(surface.value(np.array(xs), np.array(ys)))],
        hovertemplate="saddle point (%{x:.4g}, %{y:.4g})<br>%{text}<extra></extra>",
    )  # fmt: skip


def diverged_trace(result: Result, font_scale: float = 1.0) -> go.Scatter:
    """A red cross where each diverged run left the followed region (its path is cut there)."""
    x, y = diverged_marks(result)
    return _Scatter(
        x=x, y=y, mode="markers", name="diverged", meta="diverged", showlegend=False,
        marker={"symbol": "x-thin", "size": 16 * font_scale, "color": DIVERGED_COLOUR,
                "line": {"width": 3.5 * font_scale, "color": DIVERGED_COLOUR}},
        hovertemplate="diverged after (%{x:.3g}, %{y:.3g})<extra></extra>",
    )  # fmt: skip


def _short(values: np.ndarray) -> list[float]:
    """Plain numbers to 6 significant digits: what a head's position needs on screen, in a third
    of the characters of a full float."""
    return [float(f"{v:.6g}") for v in values.tolist()]


def animation_steps(result: Result) -> list[int]:
    """The steps the animation shows (at most MAX_FRAMES, the first and the last included);
    each is the name of its frame."""
    count = min(MAX_FRAMES, result.steps + 1)
    return np.unique(np.linspace(0, result.steps, count).round().astype(int)).tolist()


def animation_heads(result: Result) -> np.ndarray:
    """Every run's head at each of :func:`animation_steps`: shape (steps, runs, 2)."""
    steps = np.asarray(animation_steps(result))
    rows = np.minimum(steps[:, None], result.valid_rows[None, :] - 1)
    return result.positions[np.arange(len(result.runs))[None, :], rows]


def _heads_trace(result: Result, font_scale: float = 1.0) -> go.Scatter:
    """Every path's head at the last step: what the animation (:func:`_with_frames`, ``ui.player``) moves."""
    x, y = animation_heads(result)[-1].T  # the last shown step is the last step
    return _Scatter(
        x=x, y=y, mode="markers", name="heads", meta="heads", showlegend=False,
        marker={"size": 13 * font_scale, "color": [run_style(result, i)["color"] for i in range(len(result.runs))],
                "line": {"width": 2, "color": "white"}},
        hoverinfo="skip",
    )  # fmt: skip


def _with_frames(fig: go.Figure, result: Result, frames: bool = True) -> dict:
    """The figure, whose last trace is :func:`_heads_trace`, as a plain figure dict, and with
    ``frames`` one frame per shown step moving the heads (the controls are not in the figure,
    so an exported image holds the chart alone).

    A plain figure dict: building the frames as graph objects would cost Plotly's validation on
    every frame (about 100 ms for 80 frames), and they are plain data anyway.
    """
    head_index = len(fig.data) - 1
    spec = fig.to_dict()
    if not frames:
        return spec
    spec["frames"] = []
    heads = animation_heads(result)
    for step, (fx, fy) in zip(animation_steps(result), heads.transpose(0, 2, 1), strict=True):
        frame_data = [{"x": _short(fx), "y": _short(fy)}]  # merged into the heads trace, its type kept
        spec["frames"].append({"data": frame_data, "traces": [head_index], "name": str(step)})
    return spec


def path_points(result: Result, i: int) -> np.ndarray:
    """Run ``i``'s positions up to where it diverged, shape (n, 2)."""
    return result.positions[i, : int(result.valid_rows[i])]


LOSS_FLOOR = 1e-16  # where a loss gap of 0 is drawn on the log axis


def loss_line(result: Result, i: int) -> np.ndarray:
    """Run ``i``'s loss above the surface's minimum (floored at LOSS_FLOOR for the log axis), or f."""
    minimum = result.surface.min_value
    gap = result.loss[i, : int(result.valid_rows[i])] - (0.0 if minimum is None else minimum)
    return np.maximum(gap, LOSS_FLOOR) if minimum is not None else gap


def distance_line(result: Result, i: int) -> np.ndarray:
    path = path_points(result, i)
    return result.surface.nearest_minimum_distance(path[:, 0], path[:, 1])


def effective_lines(result: Result, i: int) -> np.ndarray:
    """Run ``i``'s effective rate per coordinate, one row per update from update 1: (n − 1, 2)."""
    return result.effective_lr[i, : max(int(result.valid_rows[i]) - 1, 0)]


def rate_line(result: Result, i: int) -> np.ndarray:
    """Run ``i``'s η_t per update (at least one value)."""
    return result.lr[i, : max(int(result.valid_rows[i]) - 1, 1)]


def diverged_marks(result: Result) -> tuple[list[float], list[float]]:
    """Where each diverged run was last inside the followed region (its path ends there)."""
    xs, ys = [], []
    for i in range(len(result.runs)):
        if result.outcome.diverged_at[i] >= 0:
            x, y = path_points(result, i)[-1]
            xs.append(float(x))
            ys.append(float(y))
    return xs, ys


def _path_trace(result: Result, i: int, font_scale: float = 1.0) -> go.Scatter:
    """One run's path with hover details (step, loss, η_t, effective rate)."""
    path = path_points(result, i)
    n = path.shape[0]
    loss = result.loss[i, :n]
    lr = np.concatenate([[np.nan], result.lr[i, : n - 1]])
    eff = np.concatenate([np.full((1, 2), np.nan), result.effective_lr[i, : n - 1]])
    marked = n <= 60  # a marker on every step: every point is drawn
    (x0, x1), (y0, y1) = result.surface.domain
    keep = np.arange(n) if marked else drawn((path[:, 0] - x0) / (x1 - x0), (path[:, 1] - y0) / (y1 - y0))
    custom = np.column_stack([keep, loss[keep], lr[keep], eff[keep]]).astype(np.float32)  # hover text only
    info = result.runs[i]
    label = html.escape(info.label)
    status = result.status(i)
    return _Scatter(
        x=path[keep, 0].astype(np.float32),  # drawn, not computed with: half the bytes of float64
        y=path[keep, 1].astype(np.float32),
        meta=f"path{i}",
        mode="lines+markers" if marked else "lines",
        line={"width": style.line_width(font_scale), **run_style(result, i)},
        marker={"size": 5 * font_scale},
        name=label + ("" if status in ("ok", "converged") else f" — {status}"),
        customdata=custom,
        hovertemplate=(
            f"<b>{label}</b><br>step %{{customdata[0]}}<br>loss %{{customdata[1]:.4g}}"
            "<br>η<sub>t</sub> %{customdata[2]:.3g}<br>eff. rate x %{customdata[3]:.3g}, y %{customdata[4]:.3g}<extra></extra>"
        ),
    )


def _steps(index: np.ndarray) -> np.ndarray:
    """Step numbers to send: 2 bytes each where they fit."""
    return index.astype(np.uint16 if index.size and index.max() < 2**16 else np.int32)


def _compact(values) -> np.ndarray:
    """Values to draw as float32 (half the bytes sent) when float32 holds every one of them to
    its 7 digits; a line with a value beyond its range (below 1e-37 or above 1e37 in size) stays
    float64, so no point of it turns to 0 or inf on the way to the screen."""
    values = np.asarray(values, dtype=float)
    sizes = np.abs(values[np.isfinite(values) & (values != 0)])
    if sizes.size and (sizes.min() < 1e-37 or sizes.max() > 1e37):
        return values
    return values.astype(np.float32)


def _run_line(
    result: Result, i: int, first: int, y, font_scale: float, meta: str, log: bool = True, **extra
) -> go.Scatter:
    """One run's line on a chart against step (``y`` from step ``first`` on), with the points
    drawing it needs (:func:`drawn`, on the ``log`` axis's scale): its optimizer's colour and its
    own dash (``meta`` names it for the scrub, which moves it in the browser)."""
    label = html.escape(result.runs[i].label)
    y = np.asarray(y, dtype=float)
    steps = np.arange(y.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = drawn(span(steps), span(np.log10(y) if log else y))
    return _Scatter(
        x=_steps(keep + first), y=_compact(y[keep]), mode="lines", name=label, legendgroup=label, meta=meta,
        line={"width": style.line_width(font_scale), **run_style(result, i)},
        hovertemplate=f"{label}<br>step %{{x}}<br>%{{y:.4g}}<extra></extra>", **extra,
    )  # fmt: skip


def loss_figure(result: Result, font_scale: float = 1.0, extent: tuple[float, float] | None = None) -> go.Figure:
    """Loss above the minimum (log scale) against step, one line per run.

    ``extent`` (low, high), when given, is held in view as well: a scrub's bank moves the
    lines in the browser within fixed axes."""
    fig = _Figure()
    for i in range(len(result.runs)):
        gap = loss_line(result, i)
        fig.add_trace(_run_line(result, i, 0, gap, font_scale, f"loss{i}", log=result.surface.min_value is not None))
    log = result.surface.min_value is not None
    return _finish(
        fig, font_scale, 360,
        xaxis={"title": {"text": "step"}},
        yaxis={
            "title": {"text": LOG_HEIGHT if log else "f"}, "type": "log" if log else "linear",
            **(_log_ticks(fig.data, extent) if log else {}), **_held_range(fig.data, extent, log),
        },
    )  # fmt: skip


def _held_range(traces, extent: tuple[float, float] | None, log: bool) -> dict:
    """A fixed y range covering the traces and ``extent`` (nothing without an extent)."""
    if extent is None:
        return {}
    values = _values(traces, extent)
    if log:
        values = np.log10(values[values > 0])
    if not values.size:
        return {}
    low, high = float(values.min()), float(values.max())
    pad = 0.04 * (high - low or 1.0)
    return {"range": [low - pad, high + pad], "autorange": False}


def _values(traces, extent=None) -> np.ndarray:
    values = np.concatenate(
        [np.asarray(trace.y, dtype=float).ravel() for trace in traces if trace.y is not None]
        + ([np.asarray(extent, dtype=float)] if extent is not None else [])
        or [[]]
    )
    return values[np.isfinite(values)]


def _log_ticks(traces, extent: tuple[float, float] | None = None) -> dict:
    """Ticks of a log axis: at powers of ten (written 10ⁿ) when the data span a decade or more,
    every one up to eight decades, else every second, third...; inside one decade, Plotly's own
    ticks written in full (0.5, not "5")."""
    values = _values(traces, extent)
    values = values[values > 0]
    span = np.log10(values.max()) - np.log10(values.min()) if values.size else 0.0
    if span >= 1:  # at most about eight labels: every power of ten, or every second, third...
        return {"dtick": max(1, int(np.ceil(span / 8))), "exponentformat": "power"}
    return {"exponentformat": "none", "tickformat": ".3~g", "minorloglabels": "none"}


def _finish(
    fig: go.Figure, font_scale: float, height: int, legend: str = "top", height_scales: bool = True, **layout
) -> go.Figure:
    """The house style (``ui.style``) under the figure's own layout; every axis styled alike."""
    # Importing Streamlit after this module makes its own template the default: set ours anyway.
    fig.layout.template = house_template(tuple(sorted({trace.type for trace in fig.data} & set(TRACE_DEFAULTS))))
    base = style.layout(font_scale, height, legend, height_scales)
    for axis in [*fig.select_xaxes(), *fig.select_yaxes()]:
        base[axis.plotly_name] = style.axis()
    return _relayout(fig, **_merged(base, layout))


def _merged(base: dict, extra: dict) -> dict:
    """``base`` updated by ``extra`` as Plotly updates a layout: dicts merge, other values replace."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _relayout(fig: go.Figure, **props) -> go.Figure:
    """``fig.update_layout(**props)`` for nested props (no "a_b" paths), at a tenth of its cost.

    Plotly's update_layout replays every leaf through its relayout machinery, about 1 ms a key
    (a Playground rerun 360 -> 153 ms without it). Setting each top-level part whole, merged
    here first, validates the same values once."""
    for key, value in props.items():
        if isinstance(value, dict):
            value = _merged(fig.layout[key].to_plotly_json(), value)
        fig.layout[key] = value
    return fig


def _update_axes(fig: go.Figure, letter: str, row: int | None = None, col: int | None = None, **props) -> None:
    """``fig.update_xaxes`` / ``update_yaxes`` (``letter`` "x" or "y") by way of :func:`_relayout`."""
    select = fig.select_xaxes if letter == "x" else fig.select_yaxes
    _relayout(fig, **{axis.plotly_name: props for axis in select(row=row, col=col)})


# Schedules have no optimizer: their own colours from the same set, with a dash as a second cue.
def _schedule_style(index: int, font_scale: float) -> dict:
    return {"color": style.PALETTE[index % len(style.PALETTE)], "dash": DASHES[index % len(DASHES)],
            "width": style.line_width(font_scale)}  # fmt: skip


def schedule_figure(curves: dict[str, np.ndarray], font_scale: float = 1.0, height: int = 380) -> go.Figure:
    """η_t against t for several schedules (``curves`` maps a name to its η_t values)."""
    fig = _Figure()
    for index, (name, values) in enumerate(curves.items()):
        fig.add_trace(
            _Scatter(
                x=np.arange(values.size), y=values, mode="lines", name=name, line=_schedule_style(index, font_scale)
            )
        )
    return _finish(
        fig, font_scale, height, xaxis={"title": {"text": "update t"}}, yaxis={"title": {"text": "η<sub>t</sub>"}, "rangemode": "tozero"},
        showlegend=len(curves) > 1,
    )  # fmt: skip


def schedule_grid_figure(curves: dict[str, np.ndarray], columns: int = 3, font_scale: float = 1.0) -> go.Figure:
    """η_t against t, one small panel per schedule, each with its own η axis from 0.

    One shared axis would be dominated by the largest curve (cyclic reaches 10 η by default)."""
    rows = -(-len(curves) // columns)
    fig = _subplots(rows, columns, subplot_titles=list(curves), shared_xaxes=True, vertical_spacing=0.14)
    for index, (name, values) in enumerate(curves.items()):
        row, col = divmod(index, columns)
        fig.add_trace(
            _Scatter(
                x=np.arange(values.size), y=values, mode="lines", name=name, showlegend=False,
                line={**_schedule_style(index, font_scale), "dash": "solid"},
            ),
            row=row + 1, col=col + 1,
        )  # fmt: skip
    _finish(fig, font_scale, 230 * rows)
    _update_axes(fig, "y", rangemode="tozero")
    _update_axes(fig, "x", row=rows, title={"text": "update t"})
    _update_axes(fig, "y", col=1, title={"text": "η<sub>t</sub>"})
    fig.update_annotations(font={"size": round(style.FONT_SIZE * font_scale), "color": style.TEXT})
    return fig


def distance_figure(
    result: Result, font_scale: float = 1.0, extent: tuple[float, float] | None = None
) -> go.Figure | None:
    """Distance to the nearest known minimum against step (None when none is known)."""
    surface = result.surface
    if not surface.minima:
        return None
    fig = _Figure()
    for i in range(len(result.runs)):
        distance = distance_line(result, i)
        fig.add_trace(_run_line(result, i, 0, distance, font_scale, f"dist{i}"))
    return _finish(
        fig, font_scale, 320, xaxis={"title": {"text": "step"}},
        yaxis={
            "title": {"text": "distance to nearest min."}, "type": "log", **_log_ticks(fig.data, extent),
            **_held_range(fig.data, extent, True),
        },
    )  # fmt: skip


def effective_lr_figure(
    result: Result, font_scale: float = 1.0, extent: tuple[float, float] | None = None
) -> go.Figure:
    """The effective learning rate per coordinate against update, log scale: one panel per
    coordinate, one line (and legend entry) per run, runs told apart by colour and dash."""
    axes = _axis_letters(result.surface)
    fig = _subplots(1, 2, shared_yaxes=True, horizontal_spacing=0.05)
    for i in range(len(result.runs)):
        eff = effective_lines(result, i)
        for col in (0, 1):
            fig.add_trace(
                _run_line(
                    result, i, 1, eff[:, col], font_scale, f"eff{i}{'xy'[col]}",
                    showlegend=col == 0,
                ),
                row=1, col=col + 1,
            )  # fmt: skip
    _finish(fig, font_scale, 360)
    for col in (0, 1):
        _update_axes(fig, "x", row=1, col=col + 1, title={"text": f"update · along {axes[col]}"})
    _update_axes(fig, "y", type="log", **_log_ticks(fig.data, extent), **_held_range(fig.data, extent, True))
    _update_axes(fig, "y", col=1, title={"text": "effective learning rate"})
    return fig


def surface3d_figure(surface: Surface, result: Result, grid: tuple | None = None, font_scale: float = 1.0) -> go.Figure:
    """The surface in 3D with every path drawn over it (heights log-compressed like the contour).

    The surface is a half-transparent light sheet with level lines, and the paths are lifted a
    little above it, so no valley floor hides them."""
    xs, ys, z = grid if grid is not None else surface.grid(60)
    step = max(1, round(len(xs) / 60))  # 60 x 60: WebGL drawn in software costs seconds beyond that
    xs, ys, z = xs[::step], ys[::step], z[::step, ::step]
    transform, title = height_transform(z, surface.log_levels)
    shown = transform(z)
    finite = shown[np.isfinite(shown)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    light = [[0, style.grey(SURFACE_DARK - 40)], [1, style.grey(SURFACE_LIGHT)]]
    fig = _Figure(
        _Surface(
            x=xs, y=ys, z=shown.astype(np.float32), colorscale=light, showscale=False, opacity=0.7,
            contours={"z": {"show": True, "color": style.grey(120), "width": 1, "start": low, "end": high,
                            "size": (high - low) / 15 or 1.0}},
            hoverinfo="skip", name="surface",
        )
    )  # fmt: skip
    lift = 0.02 * (high - low)  # keeps the paths above the surface
    for i, info in enumerate(result.runs):
        n = int(result.valid_rows[i])
        path = result.positions[i, :n]
        fig.add_trace(
            _Scatter3d(
                x=path[:, 0], y=path[:, 1], z=transform(result.loss[i, :n]) + lift, mode="lines",
                line={"width": 2 * style.line_width(font_scale), **run_style(result, i)}, name=html.escape(info.label),
            )
        )  # fmt: skip
    (x0, x1), (y0, y1) = surface.domain
    tick = {"size": round(0.85 * style.FONT_SIZE * font_scale), "color": style.TEXT}
    scene_axis = {
        "tickfont": tick,
        "nticks": 5,
        "color": style.TEXT,
        "gridcolor": style.GRID,
        "backgroundcolor": "white",
    }
    _finish(
        fig, font_scale, 460,
        scene={
            "xaxis": {"title": {"text": _axis_letters(surface)[0]}, "range": [x0, x1], **scene_axis},
            "yaxis": {"title": {"text": _axis_letters(surface)[1]}, "range": [y0, y1], **scene_axis},
            "zaxis": {"title": {"text": title}, **scene_axis, "nticks": 4},
            "camera": {"eye": {"x": 1.5, "y": -1.5, "z": 1.1}},
        },
    )  # fmt: skip
    return fig


def inspected_update(result: Result, run: int, step: int) -> int:
    """The update shown for a chosen step: that step's, or the run's last one (−1: none)."""
    return min(step, int(result.valid_rows[run]) - 2)


def inspect_figure(result: Result, step: int, font_scale: float = 1.0) -> go.Figure:
    """At one step: each run's update, the plain gradient step −η_t g and its velocity, as
    arrows over the surface around them.

    The view fits the updates (the thick arrows), so a small real step is never lost beside a
    long reference arrow: a thin arrow that leaves the view is cut at its edge and labelled
    with its length."""
    fig = _Figure()
    arrows = []
    for i, info in enumerate(result.runs):
        k = inspected_update(result, i, step)
        if k < 0:
            continue
        here = result.positions[i, k]
        kinds = {"update": result.positions[i, k + 1] - here, "−η_t g": -result.lr[i, k] * result.gradients[i, k]}
        velocity = OPTIMIZERS[info.optimizer].velocity(result.convention)  # AdaDelta's u is none, nor Adamax's
        if velocity is not None:
            lecture = result.convention == "lecture"  # the lecture's u holds η·g; torch's b is scaled by η_t
            kinds["velocity"] = -(1.0 if lecture else result.lr[i, k]) * result.state(i)[velocity][k]
        arrows += [(i, info, kind, here, delta) for kind, delta in kinds.items()]
    if not arrows:
        return _finish(fig, font_scale, 420)
    core = np.vstack([p for _, _, kind, here, delta in arrows for p in (here, here + delta) if kind == "update"])
    half = 0.6 * max(np.ptp(core[:, 0]), np.ptp(core[:, 1]), 1e-3 * max(1.0, float(np.abs(core).max())))
    centre = (core.min(axis=0) + core.max(axis=0)) / 2
    (x0, y0), (x1, y1) = centre - half, centre + half
    # f on 80 x 80 points, smoothed to a 240-pixel picture: 160 x 160 evaluations cost the
    # sparse neuron's rerun 123 ms at n = 1,000 points of data, every time the step moved.
    xs, ys = np.linspace(x0, x1, 80), np.linspace(y0, y1, 80)
    with np.errstate(all="ignore"):
        z = result.surface.value(*np.meshgrid(xs, ys))
        shown = _resample(xs, ys, contour_levels(z, result.surface.log_levels)[0], 240)
        picture, _, _ = surface_picture(shown, levels=16)
    fig.add_layout_image(
        source=picture, xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0, sizing="stretch", layer="below"
    )
    annotations = []
    width = style.line_width(font_scale)
    for i, info, kind, here, delta in arrows:
        colour = run_style(result, i)["color"]
        end, note = here + delta, ""
        if kind != "update" and np.abs(end - centre).max() > half:  # cut at the view's edge, with its length
            with np.errstate(divide="ignore", invalid="ignore"):
                room = np.where(delta > 0, centre + 0.95 * half - here, centre - 0.95 * half - here) / delta
            end, note = here + delta * float(np.clip(np.nanmin(room), 0, 1)), f"{kind}: length {np.hypot(*delta):.3g}"
        annotations.append(
            {
                "x": end[0], "y": end[1], "ax": here[0], "ay": here[1], "xref": "x", "yref": "y", "axref": "x",
                "ayref": "y", "showarrow": True, "arrowhead": 2, "arrowcolor": colour, "text": "",
                "arrowwidth": width if kind == "update" else width / 2, "opacity": 1.0 if kind == "update" else 0.7,
            }
        )  # fmt: skip
        if note:
            annotations.append(
                {"x": end[0], "y": end[1], "xref": "x", "yref": "y", "text": html.escape(note), "showarrow": False,
                 "font": {"color": colour, "size": round(0.85 * style.FONT_SIZE * font_scale)}, "bgcolor": "rgba(255,255,255,0.8)"}
            )  # fmt: skip
        fig.add_trace(
            _Scatter(
                x=[here[0], end[0]], y=[here[1], end[1]], mode="lines", showlegend=kind == "update",
                line={"color": colour, "width": width if kind == "update" else 0.5, "dash": run_style(result, i)["dash"]},
                name=html.escape(info.label), legendgroup=info.label,
                hovertemplate=f"{html.escape(info.label)} — {kind}<br>Δx %{{customdata[0]:.3g}}, Δy %{{customdata[1]:.3g}}<extra></extra>",
                customdata=[delta, delta],
            )
        )  # fmt: skip
    axes = _axis_letters(result.surface)
    return _finish(
        fig, font_scale, 420, annotations=annotations,
        xaxis={"title": {"text": axes[0]}, "range": [x0, x1], "showgrid": False, "zeroline": False, "constrain": "domain"},
        yaxis={"title": {"text": axes[1]}, "range": [y0, y1], "scaleanchor": "x", "showgrid": False, "zeroline": False,
               "constrain": "domain"},
    )  # fmt: skip


def add_paths(fig: go.Figure, result: Result, suffix: str = "", dash: str | None = None, tag: str = "") -> None:
    """Add the paths of ``result`` to a contour (for comparisons of two results); ``tag``
    tells their names apart from the contour's own (``tag`` + "path0") for a scrub."""
    for i in range(len(result.runs)):
        trace = _path_trace(result, i)
        trace.meta = f"{tag}path{i}"
        trace.name = f"{trace.name}{suffix}"
        if dash:
            trace.line.dash = dash
        fig.add_trace(trace)


def comparison_loss_figure(
    results: dict[str, Result], font_scale: float = 1.0, extent: dict | None = None
) -> go.Figure:
    """Loss gap (log) and η_t of one optimizer under several schedules; one row each, the
    schedules told apart by dash (the optimizer keeps its colour). The n-th result's lines are
    named "c{n}:loss0" and "c{n}:rate0" for a scrub; ``extent`` ("loss", "rate") holds the axes."""
    fig = _subplots(2, 1, shared_xaxes=True, vertical_spacing=0.08)
    width = style.line_width(font_scale)
    for n, (name, result) in enumerate(results.items()):
        line = {"color": colour_of(result.runs[0].optimizer), "dash": DASHES[n % len(DASHES)], "width": width}
        fig.add_trace(
            _Scatter(y=loss_line(result, 0), mode="lines", line=line, name=name, meta=f"c{n}:loss0"),
            row=1, col=1,
        )  # fmt: skip
        fig.add_trace(
            _Scatter(
                y=rate_line(result, 0), mode="lines", line=line, name=f"{name}: η_t", showlegend=False,
                meta=f"c{n}:rate0",
            ),
            row=2, col=1,
        )  # fmt: skip
    _finish(fig, font_scale, 520)
    loss, rate = (extent or {}).get("loss"), (extent or {}).get("rate")
    _update_axes(
        fig, "y", row=1, col=1, title={"text": LOG_HEIGHT}, type="log", **_log_ticks(fig.data[::2], loss),
        **_held_range(fig.data[::2], loss, True),
    )  # fmt: skip
    _update_axes(fig, "y", row=2, col=1, title={"text": "η<sub>t</sub>"}, **_held_range(fig.data[1::2], rate, False))
    _update_axes(fig, "x", row=2, col=1, title={"text": "step"})
    return fig


DIVERGED_COLOUR = "#CC3311"  # Tol's vibrant red, apart from the heat maps' Viridis
# Basins are areas, not lines: Tol's "light" scheme, apart from the optimizers' colours.
BASIN_COLOURS = ("#77AADD", "#EE8866", "#EEDD88", "#FFAABB", "#99DDFF", "#44BB99", "#BBCC33", "#AAAA00")


def _log_axis(values: np.ndarray) -> bool:
    return bool(np.all(values > 0) and values.max() / values.min() >= 50)


def _sweep_axis(values: np.ndarray) -> dict:
    """A log axis labelled at powers of ten only (no minor labels in a smaller font)."""
    if not _log_axis(values):
        return {"type": "linear"}
    return {"type": "log", "dtick": 1, "exponentformat": "power", "minorloglabels": "none"}


def sweep_figures(grid, min_value: float | None, font_scale: float = 1.0) -> dict[str, go.Figure]:
    """Heat maps of a sweep: final loss (log colour), steps to converge, divergence.

    Diverged cells are never coloured by their (meaningless) numbers: they are blank in the
    loss and convergence maps and drawn in one flat colour by an overlay, with the step at
    which they diverged in the hover text; the divergence map colours them by that step
    (early: dark) and leaves the others blank. A transparent point on every cell makes it
    clickable.
    """
    xs, ys = grid.x_values, grid.y_values
    diverged = grid.diverged_at >= 0
    overlay = _Heatmap(
        x=xs, y=ys, z=np.where(diverged, 1.0, np.nan), colorscale=[[0, DIVERGED_COLOUR], [1, DIVERGED_COLOUR]],
        showscale=False, customdata=grid.diverged_at, name="diverged",
        hovertemplate=f"{grid.x_key}=%{{x:.3g}}, {grid.y_key}=%{{y:.3g}}<br>diverged at step %{{customdata}}<extra></extra>",
    )  # fmt: skip
    gap = grid.final_loss - (min_value if min_value is not None else 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        shown_loss = np.where(diverged, np.nan, np.log10(np.maximum(gap, LOSS_FLOOR)) if min_value is not None else gap)
    reached = np.where(diverged | (grid.steps_to_tolerance < 0), np.nan, grid.steps_to_tolerance.astype(float))
    hover = f"{grid.x_key}=%{{x:.3g}}, {grid.y_key}=%{{y:.3g}}<br>"
    bar = {"thickness": 14, "tickfont": {"color": style.TEXT}}
    finite_loss = shown_loss[np.isfinite(shown_loss)]
    loss_ticks = (
        _power_ticks(float(finite_loss.min()), float(finite_loss.max()))
        if finite_loss.size and min_value is not None
        else {}
    )
    maps = {
        "final loss": _Heatmap(
            x=xs, y=ys, z=shown_loss, colorscale=_named("Viridis"), customdata=grid.final_loss,
            colorbar={**bar, "title": {"text": LOG_HEIGHT if min_value is not None else "f", "side": "right"}, **loss_ticks},
            hovertemplate=hover + "final loss %{customdata:.4g}<extra></extra>",
        ),
        "steps to converge": _Heatmap(
            x=xs, y=ys, z=reached, colorscale=_named("Viridis"), reversescale=True,
            colorbar={**bar, "title": {"text": "steps", "side": "right"}},
            hovertemplate=hover + "within tolerance after %{z:.0f} steps<extra></extra>",
        ),
        "divergence": _Heatmap(
            x=xs, y=ys, z=np.where(diverged, grid.diverged_at, np.nan).astype(float), colorscale=_named("Reds"),
            reversescale=True, zmin=0, zmax=max(1, int(grid.diverged_at.max())) if diverged.any() else 1,
            colorbar={**bar, "title": {"text": "diverged at step", "side": "right"}},
            hovertemplate=hover + "diverged at step %{z:.0f}<extra></extra>",
        ),
    }  # fmt: skip
    cell_x, cell_y = np.meshgrid(xs, ys)
    figures = {}
    for title, heatmap in maps.items():
        fig = _Figure([heatmap, overlay])
        if title == "divergence":
            fig.data[1].visible = False  # its own colours say where and when
        fig.add_trace(
            _Scatter(
                x=cell_x.ravel(), y=cell_y.ravel(), mode="markers", marker={"size": 8, "color": "rgba(0,0,0,0)"},
                showlegend=False, name="cells", hovertemplate=hover + "click: open in the Playground<extra></extra>",
            )
        )  # fmt: skip
        _finish(
            fig, font_scale, 430, title={"text": title, "x": 0, "xanchor": "left", "y": 0.98},
            margin={"t": round(40 * font_scale)},
            xaxis={"title": {"text": grid.x_key}, "showgrid": False, **_sweep_axis(xs)},
            yaxis={"title": {"text": grid.y_key}, "showgrid": False, **_sweep_axis(ys)},
            clickmode="event+select",
        )  # fmt: skip
        figures[title] = fig
    return figures


def basin_figure(
    surface: Surface, xs: np.ndarray, ys: np.ndarray, basin: np.ndarray, font_scale: float = 1.0
) -> go.Figure:
    """Start points coloured by the minimum their run reaches (−1: none of them, −2: diverged),
    with a legend of what each colour means."""
    count = len(surface.minima)
    colours = [DIVERGED_COLOUR, "#DDDDDD"] + [BASIN_COLOURS[k % len(BASIN_COLOURS)] for k in range(count)]
    scale = []
    for index, colour in enumerate(colours):
        low, high = index / len(colours), (index + 1) / len(colours)
        scale += [[low, colour], [high, colour]]
    names = ["diverged", "no listed minimum"] + [
        f"minimum {k + 1} ({m.x:.3g}, {m.y:.3g})" for k, m in enumerate(surface.minima)
    ]
    label = np.vectorize(lambda v: names[int(v) + 2])(basin)
    fig = _Figure(
        _Heatmap(
            x=xs, y=ys, z=basin, zmin=-2.5, zmax=count - 0.5, colorscale=scale, showscale=False, customdata=label,
            hovertemplate="start (%{x:.3g}, %{y:.3g})<br>%{customdata}<extra></extra>", name="basins",
        )
    )  # fmt: skip
    present = set(np.unique(basin).astype(int).tolist())
    for index, (name, colour) in enumerate(zip(names, colours, strict=True)):
        if index - 2 in present:  # a legend entry for each colour on the map
            fig.add_trace(
                _Scatter(
                    x=[None], y=[None], mode="markers", name=name,
                    marker={"symbol": "square", "size": 14, "color": colour, "line": {"width": 1, "color": style.MUTED}},
                )
            )  # fmt: skip
    fig.add_trace(
        _Scatter(
            x=[m.x for m in surface.minima], y=[m.y for m in surface.minima], mode="markers+text",
            text=[str(k + 1) for k in range(count)], textposition="top center", name="minima", showlegend=False,
            textfont={"color": style.TEXT},
            marker={"symbol": "star", "size": 16 * font_scale, "color": MINIMUM_COLOUR, "line": {"width": 1.5, "color": style.TEXT}},
        )
    )  # fmt: skip
    axes = _axis_letters(surface)
    return _finish(
        fig, font_scale, 520, "top",
        xaxis={"title": {"text": f"start {axes[0]}₀"}, "range": list(surface.domain[0]), "constrain": "domain", "showgrid": False},
        yaxis={"title": {"text": f"start {axes[1]}₀"}, "range": list(surface.domain[1]), "scaleanchor": "x",
               "constrain": "domain", "showgrid": False},
    )  # fmt: skip


# ----- the app's figures from Python (Result.figure, Result.animation) --------------------------


def view_figure(result: Result, view: str = "contour", font_scale: float = 1.0, step: int | None = None) -> go.Figure:
    """The figure the Playground draws for ``view`` (one of VIEWS); ``step`` is the update
    "step" shows (default: the last). ``font_scale`` 1.5 is the app's presentation mode."""
    if view not in VIEWS:
        raise SpecError(f"unknown view {view!r}; allowed: {', '.join(VIEWS)}")
    if view == "contour":
        return _Figure(contour_figure(result.surface, result, font_scale=font_scale, animate=False))
    if view == "loss":
        return loss_figure(result, font_scale)
    if view == "distance":
        distance = distance_figure(result, font_scale)
        if distance is None:
            raise SpecError(f"{result.surface.name} has no known minimum, so no distance to draw")
        return distance
    if view == "effective_lr":
        return effective_lr_figure(result, font_scale)
    if view == "3d":
        return surface3d_figure(result.surface, result, font_scale=font_scale)
    last = result.steps - 1
    if step is not None and not 0 <= step <= last:
        raise SpecError(f"step={step} is out of range; allowed: 0 to {last}")
    return inspect_figure(result, last if step is None else step, font_scale)


def animation_figure(result: Result, font_scale: float = 1.0, duration: int = 60) -> go.Figure:
    """The contour with the race: a frame per shown step, and a play button and step slider of
    Plotly's own (the app's player is a browser component; a notebook has none)."""
    spec = contour_figure(result.surface, result, font_scale=font_scale, animate=True, frames=True)
    fig = _Figure(spec)
    play = {"frame": {"duration": duration, "redraw": False}, "transition": {"duration": 0}, "fromcurrent": True}
    still = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate", "transition": {"duration": 0}}
    fig.update_layout(
        updatemenus=[{
            "type": "buttons", "direction": "left", "x": 0.0, "y": -0.08, "xanchor": "left", "yanchor": "top",
            "buttons": [
                {"label": "▶ play", "method": "animate", "args": [None, play]},
                {"label": "❚❚ pause", "method": "animate", "args": [[None], still]},
            ],
        }],
        sliders=[{
            "x": 0.25, "len": 0.75, "y": -0.05, "currentvalue": {"prefix": "step "}, "active": len(fig.frames) - 1,
            "steps": [{"label": frame.name, "method": "animate", "args": [[frame.name], still]} for frame in fig.frames],
        }],
    )  # fmt: skip
    return fig
