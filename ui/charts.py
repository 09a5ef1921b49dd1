"""Every chart is shown through :func:`show`: the house style as drawn (Streamlit's own chart
theme off) and the camera button saving a slide-sized PNG named after the page, view and scene."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

EXPORT_WIDTH, EXPORT_HEIGHT, EXPORT_SCALE = 960, 540, 2  # a 1920 × 1080 PNG with the fonts as seen


def export_name(page: str, view: str, scene: str = "") -> str:
    """``playground-contour-rosenbrock``: lower case, words joined by hyphens, no other marks."""
    words = re.sub(r"[^a-z0-9]+", "-", f"{page} {view} {scene}".lower()).strip("-")
    return words[:120] or "chart"


def chart_config(name: str) -> dict[str, Any]:
    return {
        "displaylogo": False,
        "toImageButtonOptions": {
            "format": "png", "filename": name, "width": EXPORT_WIDTH, "height": EXPORT_HEIGHT, "scale": EXPORT_SCALE,
        },
    }  # fmt: skip


def show(figure, key: str, name: str, container=None, **options):
    """Draw ``figure`` (a go.Figure or a plain figure dict) as built in ui.figures."""
    target = st if container is None else container
    return target.plotly_chart(figure, key=key, theme=None, config=chart_config(name), **options)
