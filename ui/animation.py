"""The race as a file for slides: an animated GIF (Pillow) or an MP4 (ffmpeg).

The surface, its minima, the start and the axes are drawn once by Plotly (kaleido, as the
static exports of ``ui.export``), on a page whose plot box is fixed: margins that do not
grow, axes that do not move them, equal units on x and y as on screen. Each frame then
draws the paths up to its step and the heads over that picture with Pillow, in the runs'
colours and dashes, with the legend and the step counter beside the plot: one browser
drawing instead of one per frame (0.2-0.3 s each).

GIF: Pillow, which Streamlit already brings, quantized to one palette taken from the last
frame (every run's colour is in it). MP4: H.264 by the ffmpeg binary that the
imageio-ffmpeg wheel ships (no system ffmpeg needed; Debian's is not installed here), fed
raw frames through a pipe.
"""

from __future__ import annotations

import io
import itertools
import math
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from optim_core.api import Result
from spec_strings import SpecError
from ui import style
from ui.export import LAYOUT, SIZES, check, figure_file
from ui.figures import contour_figure, path_points, run_style

FRAMES = (10, 300)  # the frames a file may have, first and last step included
FPS = (2, 60)
HOLD = 1.5  # seconds the last frame stays before a GIF loops (an MP4 ends on it)
ANIMATIONS = {"gif": "image/gif", "mp4": "video/mp4"}
FONT_SCALE = style.PRESENTATION_SCALE  # the background is drawn as in presentation mode
# Plotly's dash names as on/off lengths in px of a 1280 x 720 page
DASH_PATTERNS = {
    "dash": (14, 9), "dot": (3, 7), "dashdot": (14, 7, 3, 7), "longdash": (24, 9), "longdashdot": (24, 7, 3, 7),
}  # fmt: skip


def check_animation(fmt: str, size: str, frames: int, fps: float) -> None:
    if fmt not in ANIMATIONS:
        raise SpecError(f"animation format {fmt!r} is not one of {', '.join(ANIMATIONS)}")
    check("png", size)
    if not FRAMES[0] <= frames <= FRAMES[1]:
        raise SpecError(f"frames={frames} is out of range; allowed: {FRAMES[0]} to {FRAMES[1]}")
    if not FPS[0] <= fps <= FPS[1]:
        raise SpecError(f"fps={fps:g} is out of range; allowed: {FPS[0]} to {FPS[1]}")


def frame_steps(result: Result, frames: int) -> list[int]:
    """The step each frame shows: evenly spread, the first and the last included."""
    return np.unique(np.linspace(0, result.steps, min(frames, result.steps + 1)).round().astype(int)).tolist()


class _Page:
    """The fixed page of the race: the plot box in pixels of the 1280 x 720 layout."""

    def __init__(self, x_range, y_range):
        width, height = LAYOUT
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range
        left, top, bottom, panel = 84, 26, 66, 330  # panel: the legend and step counter on the right
        box_h = height - top - bottom
        box_w = box_h * (self.x1 - self.x0) / (self.y1 - self.y0)  # equal units, as on screen
        if box_w > width - left - panel:
            box_w = width - left - panel
            box_h = box_w * (self.y1 - self.y0) / (self.x1 - self.x0)
            top = (height - bottom - box_h + top) / 2
        self.left, self.top, self.w, self.h = left, top, box_w, box_h
        self.margin = {"l": left, "t": top, "r": width - left - box_w, "b": height - top - box_h, "autoexpand": False}

    def pixels(self, points: np.ndarray, scale: float) -> np.ndarray:
        """Data points (n, 2) as pixel positions of a file ``scale`` times the layout."""
        px = self.left + (points[:, 0] - self.x0) / (self.x1 - self.x0) * self.w
        py = self.top + (self.y1 - points[:, 1]) / (self.y1 - self.y0) * self.h
        return np.column_stack([px, py]) * scale


def _background(result: Result, page_of: Callable) -> tuple[dict, _Page]:
    """The contour as the app draws it without paths, heads and colour bar, on a fixed page."""
    spec = contour_figure(result.surface, result, font_scale=FONT_SCALE, animate=False)
    spec = spec if isinstance(spec, dict) else spec.to_dict()
    layout = spec["layout"]
    page = page_of(layout["xaxis"]["range"], layout["yaxis"]["range"])
    drawn_per_frame = {"f", "diverged"}
    spec["data"] = [
        t for t in spec["data"]
        if not str(t.get("meta", "")).startswith("path") and t.get("name") not in drawn_per_frame
    ]  # fmt: skip
    for trace in spec["data"]:
        if isinstance(trace.get("marker"), dict):
            trace["marker"]["showscale"] = False
        trace["showlegend"] = False
    for axis in ("xaxis", "yaxis"):
        for key in ("scaleanchor", "scaleratio", "constrain", "constraintoward"):
            layout[axis].pop(key, None)
        layout[axis].update(automargin=False, domain=[0, 1])
    layout.update(width=LAYOUT[0], height=LAYOUT[1], margin=page.margin, showlegend=False, title=None)
    return spec, page


def _font(size: float) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=max(8, round(size)))


def _polyline(draw: ImageDraw.ImageDraw, points: np.ndarray, colour: str, width: int, dash: str) -> None:
    """A line through ``points`` (pixels), solid or with one of Plotly's dash patterns."""
    if len(points) < 2:
        return
    pattern = DASH_PATTERNS.get(dash)
    if pattern is None:
        draw.line([tuple(p) for p in points], fill=colour, width=width, joint="curve")
        return
    scale = width / 4
    lengths = [v * scale for v in pattern]
    index, left, on = 0, lengths[0], True
    for a, b in itertools.pairwise(points):
        segment = float(np.hypot(*(b - a)))
        start = 0.0
        while segment - start > 1e-9:
            step = min(left, segment - start)
            if on:
                p, q = a + (b - a) * (start / segment), a + (b - a) * ((start + step) / segment)
                draw.line([tuple(p), tuple(q)], fill=colour, width=width)
            start += step
            left -= step
            if left <= 1e-9:
                index = (index + 1) % len(lengths)
                left, on = lengths[index], not on


def race_frames(
    result: Result, size: str = "1280x720", frames: int = 60, progress: Callable[[float], None] | None = None
):
    """Yield the race's frames as RGB pictures (PIL images) of the slide's size."""
    width, _ = SIZES[size]
    scale = width / LAYOUT[0]
    spec, page = _background(result, _Page)
    background = Image.open(io.BytesIO(figure_file(spec, "png", size))).convert("RGB")
    background = background.resize((round(LAYOUT[0] * scale), round(LAYOUT[1] * scale)))
    line = max(2, round(style.line_width(FONT_SCALE) * scale))
    radius = 9 * scale
    label_font, step_font, small_font = _font(22 * scale), _font(40 * scale), _font(18 * scale)
    runs = range(len(result.runs))
    paths = [page.pixels(path_points(result, i), scale) for i in runs]
    looks = [run_style(result, i) for i in runs]
    diverged = result.outcome.diverged_at
    steps = frame_steps(result, frames)
    panel_x = (page.left + page.w + 36) * scale
    box = tuple(round(v * scale) for v in (page.left, page.top, page.left + page.w, page.top + page.h))
    for n, step in enumerate(steps):
        frame = background.copy()
        layer = background.copy()  # paths and heads, clipped to the plot box as on screen
        draw = ImageDraw.Draw(layer)
        for i in runs:
            shown = paths[i][: min(step, len(paths[i]) - 1) + 1]
            _polyline(draw, shown, looks[i]["color"], line, looks[i]["dash"])
        for i in runs:
            x, y = paths[i][min(step, len(paths[i]) - 1)]
            if 0 <= diverged[i] <= step:  # stopped where it left: a cross, as on screen
                arm = radius * 1.1
                for sx in (-1, 1):
                    draw.line([(x - arm, y - sx * arm), (x + arm, y + sx * arm)], fill=style.TEXT, width=line + 2)
                    draw.line([(x - arm, y - sx * arm), (x + arm, y + sx * arm)], fill=looks[i]["color"], width=line)
            else:
                draw.ellipse(
                    [x - radius, y - radius, x + radius, y + radius], fill=looks[i]["color"], outline="white",
                    width=max(2, round(2 * scale)),
                )  # fmt: skip
        frame.paste(layer.crop(box), box[:2])
        draw = ImageDraw.Draw(frame)
        y = page.top * scale
        draw.text((panel_x, y), f"step {step}", font=step_font, fill=style.TEXT)
        draw.text((panel_x, y + 50 * scale), f"of {result.steps}", font=small_font, fill=style.TEXT)
        y += 100 * scale
        for i in runs:
            sample = np.array([[panel_x, y + 12 * scale], [panel_x + 44 * scale, y + 12 * scale]])
            _polyline(draw, sample, looks[i]["color"], line, looks[i]["dash"])
            label = result.runs[i].label + (" (diverged)" if 0 <= diverged[i] <= step else "")
            draw.text((panel_x + 56 * scale, y), label, font=label_font, fill=style.TEXT)
            y += 36 * scale
        if progress is not None:
            progress((n + 1) / len(steps))
        yield frame


def race_file(
    result: Result, fmt: str = "gif", size: str = "1280x720", frames: int = 60, fps: float = 15,
    progress: Callable[[float], None] | None = None,
) -> bytes:  # fmt: skip
    """The race as an animated GIF or an MP4 file's bytes; ``progress`` gets 0 … 1."""
    check_animation(fmt, size, frames, fps)
    drawing = 0.8 if fmt == "gif" else 0.9  # of the time; the rest is encoding

    def drawn(fraction: float) -> None:
        if progress is not None:
            progress(drawing * fraction)

    pictures = race_frames(result, size, frames, drawn)
    data = _gif(pictures, fps) if fmt == "gif" else _mp4(pictures, fps, SIZES[size])
    if progress is not None:
        progress(1.0)
    return data


def _gif(pictures, fps: float) -> bytes:
    frames = list(pictures)
    palette = frames[-1].quantize(colors=255, method=Image.Quantize.MEDIANCUT)  # the last frame has every colour
    indexed = [frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in frames]
    delay = round(1000 / fps)
    durations = [delay] * (len(indexed) - 1) + [max(delay, round(HOLD * 1000))]
    out = io.BytesIO()
    indexed[0].save(out, "GIF", save_all=True, append_images=indexed[1:], duration=durations, loop=0)
    return out.getvalue()


def _mp4(pictures, fps: float, size: tuple[int, int]) -> bytes:
    import imageio_ffmpeg

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "race.mp4"
        writer = imageio_ffmpeg.write_frames(
            str(path), size, fps=fps, codec="libx264", pix_fmt_out="yuv420p", quality=8,
            macro_block_size=8, ffmpeg_log_level="error",
        )  # fmt: skip
        writer.send(None)
        last = None
        for picture in pictures:
            last = np.asarray(picture, dtype=np.uint8)
            writer.send(last.tobytes())
        for _ in range(math.ceil(HOLD * fps)):  # hold the end, as the GIF does
            writer.send(last.tobytes())
        writer.close()
        return path.read_bytes()
