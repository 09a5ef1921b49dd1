"""Figures as files for slides: SVG, PDF and a 3× PNG at a slide's size.

Plotly's static export (``plotly.io.to_image``) through kaleido, which draws the figure in a
headless Chromium: Debian's ``/usr/bin/chromium``, the browser the tests drive, never one that
kaleido or plotly would download. The first export starts one browser for the process
(about 2 s) and later ones reuse it (0.2-0.3 s each); it is closed when the process exits.
No Streamlit here, and no plotly until a file is drawn: the command line writes the same files
(``python -m optim_core --svg``) and takes its choices of size and view from here.
"""

from __future__ import annotations

import atexit
import os
import shutil
import threading
import warnings
from pathlib import Path

from spec_strings import SpecError, echo

CHROMIUM = Path("/usr/bin/chromium")
SIZES = {"1280x720": (1280, 720), "1920x1080": (1920, 1080)}
FORMATS = {"svg": "image/svg+xml", "pdf": "application/pdf", "png": "image/png"}
# The views of a result a file can be made of (ui.figures.view_figure draws them).
VIEWS = ("contour", "loss", "distance", "effective_lr", "3d", "step")
LAYOUT = (1280, 720)  # the page a figure is laid out on, then scaled to the slide
PNG_SCALE = 3  # a 1280 × 720 slide as a 3840 × 2160 picture

_lock = threading.Lock()
_drawing = threading.Lock()  # one file at a time: a restart must not cut another's drawing
_started = False
# kaleido 1.5.1 sometimes calls its script in the tab's first JavaScript context, taken before
# the tab's page has loaded: the export fails with this text (a fresh-clone CI, 2026-12-04; the
# browser test of the download panel had failed so before, unexplained).
NOT_LOADED = "kaleido_scopes is not defined"


def browser() -> Path | None:
    """The Chromium that exports draw with: $BROWSER_PATH, else Debian's, else one on the PATH."""
    for candidate in (os.environ.get("BROWSER_PATH"), str(CHROMIUM), shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def missing_browser() -> str:
    return (
        "SVG, PDF and PNG files are drawn by Chromium, which is not installed here; "
        "on Debian: sudo apt-get install chromium (make test installs it)"
    )


def require_browser() -> Path:
    """:func:`browser`, or a SpecError that says how to install one."""
    path = browser()
    if path is None:
        raise SpecError(missing_browser())
    return path


def check(fmt: str, size: str) -> tuple[int, int]:
    """The slide's width and height for ``size``; SpecError naming what is allowed."""
    if fmt not in FORMATS:
        raise SpecError(f"format {echo(fmt)} is not one of {', '.join(FORMATS)}")
    if size not in SIZES:
        raise SpecError(f"size {echo(size)} is not one of {', '.join(SIZES)}")
    return SIZES[size]


def _start() -> None:
    global _started
    import kaleido

    os.environ["BROWSER_PATH"] = str(require_browser())  # choreographer (kaleido's browser driver) reads it
    with _lock:
        if not _started:
            kaleido.start_sync_server(silence_warnings=True)
            atexit.register(kaleido.stop_sync_server, silence_warnings=True)
            _started = True


def figure_file(figure, fmt: str, size: str = "1280x720") -> bytes:
    """``figure`` (a go.Figure or a figure dict) as an SVG, PDF or PNG file's bytes at a slide's
    size. The figure is laid out on a 1280 × 720 page and scaled to the slide, so its text is
    as large on a 1920 × 1080 slide as on a 1280 × 720 one (laid out at 1920 px, the same text
    was two thirds as large); a PNG has PNG_SCALE times the slide's pixels."""
    import plotly.graph_objects as go
    import plotly.io as pio

    width, _ = check(fmt, size)
    _start()
    figure = figure if isinstance(figure, go.Figure) else go.Figure(figure)
    scale = width / LAYOUT[0] * (PNG_SCALE if fmt == "png" else 1)

    def draw() -> bytes:
        with warnings.catch_warnings():  # "kopts is ignored if using a server": the server is ours
            warnings.simplefilter("ignore", UserWarning)
            return pio.to_image(figure, format=fmt, width=LAYOUT[0], height=LAYOUT[1], scale=scale)

    with _drawing:
        try:
            return draw()
        except RuntimeError as error:  # kaleido's JavascriptError is one
            if NOT_LOADED not in str(error):
                raise
            _restart()  # a new browser and tab, once
            return draw()


def _restart() -> None:
    """kaleido's browser closed and started again (its tab had lost its page's script)."""
    import kaleido

    with _lock:
        kaleido.stop_sync_server(silence_warnings=True)
        kaleido.start_sync_server(silence_warnings=True)
