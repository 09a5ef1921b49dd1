"""The app's one visual language: colours, fonts, lines and the layout every figure starts from.

Plotly only (no Streamlit): the pages show figures with Streamlit's own chart theme turned off
(``ui.charts.show``), so what is set here is what a user and a slide see.
"""

from __future__ import annotations

import numpy as np

# Sixteen optimizer colours, each 3:1 or more against white (the page and the contour's light
# end), chosen by ``tools/palette.py`` from Paul Tol's and Okabe & Ito's colour-blind-safe sets:
# the farthest apart (CIELAB) as seen with normal vision and with simulated protanopia,
# deuteranopia and tritanopia. Greys, black and the red of divergence are left to other marks.
PALETTE = (
    "#0077BB", "#D55E00", "#663333", "#CC79A7", "#666633", "#AA3377", "#004488", "#009E73",
    "#999933", "#882255", "#6699CC", "#AA4499", "#EE6677", "#994455", "#225522", "#228833",
)  # fmt: skip
# The lecture's optimizers take the most distinct colours first, in the order they are shown together.
FIRST_COLOURED = ("gd", "momentum", "adam", "rmsprop", "adagrad", "nag", "nadam", "adamax", "adadelta")
# A second run of the same optimizer keeps its colour and changes its dash (every chart).
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")

TEXT = "#1F2328"  # 15:1 on white
MUTED = "#57606A"  # secondary text, 6.3:1 on white
GRID = "#E4E7EB"
AXIS_LINE = "#57606A"
BACKGROUND = "#FFFFFF"
FONT_FAMILY = "Inter, Helvetica, Arial, sans-serif"
FONT_SIZE = 14  # px at font_scale 1; presentation mode uses PRESENTATION_SCALE
PRESENTATION_SCALE = 1.5
LINE_WIDTH = 2.5  # px at font_scale 1, 3.5 in presentation mode


def optimizer_colour(name: str, order: tuple[str, ...] = ()) -> str:
    """The colour of an optimizer, the same on every chart and page.

    ``order`` lists every optimizer the app knows (registry order): those not in
    FIRST_COLOURED take the remaining colours in that order."""
    rest = [n for n in order if n not in FIRST_COLOURED]
    ranked = [*FIRST_COLOURED, *rest]
    index = ranked.index(name) if name in ranked else len(ranked)
    return PALETTE[index % len(PALETTE)]


def linear_rgb(colour: str) -> np.ndarray:
    """The linear-light RGB of a ``#RRGGBB`` colour (the sRGB transfer curve undone)."""
    srgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a ``#RRGGBB`` colour."""
    return float(np.array([0.2126, 0.7152, 0.0722]) @ linear_rgb(colour))


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def grey(level: float) -> str:
    value = round(level)
    return f"#{value:02X}{value:02X}{value:02X}"


def line_width(font_scale: float) -> float:
    return LINE_WIDTH + 2.0 * (font_scale - 1.0)


def axis(**overrides) -> dict:
    """An axis in the house style: dark ticks and line, light grid."""
    return {
        "color": TEXT,
        "linecolor": AXIS_LINE,
        "showline": True,
        "ticks": "outside",
        "tickcolor": AXIS_LINE,
        "gridcolor": GRID,
        "zerolinecolor": GRID,
        "automargin": True,
        **overrides,
    }


def layout(font_scale: float, height: int, legend: str = "top", height_scales: bool = True) -> dict:
    """The base of every figure's layout; ``legend`` is "top" (rows above the plot, which keep
    its full width: charts sit in columns, and on phones) or "right" (one entry per line)."""
    size = round(FONT_SIZE * font_scale)
    legends = {
        "top": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "xanchor": "left"},
        "right": {"orientation": "v", "yanchor": "top", "y": 1.0, "x": 1.02, "xanchor": "left"},
    }
    return {
        "height": int(height * (1 + 0.25 * (font_scale - 1))) if height_scales else height,
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "font": {"family": FONT_FAMILY, "size": size, "color": TEXT},
        "paper_bgcolor": BACKGROUND,
        "plot_bgcolor": BACKGROUND,
        "legend": {**legends[legend], "font": {"size": size, "color": TEXT}, "bgcolor": "rgba(255,255,255,0.85)"},
        "hoverlabel": {"font": {"size": size}},
        "xaxis": axis(),
        "yaxis": axis(),
    }
