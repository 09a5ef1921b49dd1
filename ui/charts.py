"""Every chart is shown through :func:`show` (and a table through :func:`show_table`): the house style as drawn (Streamlit's own chart
theme off) and the camera button saving a slide-sized PNG named after the page, view and scene."""

from __future__ import annotations

import base64
import re
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st
from streamlit import runtime

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


PNG_DATA = "data:image/png;base64,"


def served_pictures(figure, key: str) -> None:
    """Put the figure's pictures (the surface's PNG, a layout image as a data URI: 4-12 kB) on
    Streamlit's media server and name them by URL, in place. A rerun then sends the URL, and
    the browser fetches an unchanged picture from its cache instead of receiving it again.

    Plotly turns a picture it loads into a data URI itself, so the camera's PNG still holds
    it. Outside a running server (a script, a notebook) the data URIs stay."""
    if not runtime.exists():
        return
    images = figure.get("layout", {}).get("images", []) if isinstance(figure, dict) else figure.layout.images
    for index, image in enumerate(images):
        source = image.get("source") if isinstance(image, dict) else image.source
        if isinstance(source, str) and source.startswith(PNG_DATA):
            data = base64.b64decode(source[len(PNG_DATA) :])
            url = runtime.get_instance().media_file_mgr.add(data, "image/png", f"optviz.{key}.{index}")
            if isinstance(image, dict):
                image["source"] = url
            else:
                image.source = url


def show_table(table: pd.DataFrame | list[dict], formats: dict) -> None:
    """A table (or its rows) as Arrow without pandas' own metadata (1.3 kB of the 3.1 kB of a
    five-row table, sent with every rerun), with the ``formats`` (column configs) of its own
    columns only."""
    table = pd.DataFrame(table)
    arrow = pa.Table.from_pandas(table, preserve_index=False).replace_schema_metadata(None)
    config = {name: format for name, format in formats.items() if name in table.columns}
    st.dataframe(arrow, hide_index=True, column_config=config)


def show(figure, key: str, name: str, container=None, **options):
    """Draw ``figure`` (a go.Figure or a plain figure dict) as built in ui.figures."""
    served_pictures(figure, key)
    target = st if container is None else container
    return target.plotly_chart(figure, key=key, theme=None, config=chart_config(name), **options)
