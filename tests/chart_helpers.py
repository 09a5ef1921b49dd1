"""The charts of a page run in Streamlit's AppTest, whichever element draws them: the page's
chart component (``ui.charts.show``) or Streamlit's plotly_chart (a chart that reports a
selection)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from streamlit.testing.v1 import AppTest


@dataclass
class Chart:
    key: str  # the chart's Streamlit key
    figure: dict  # plotly's figure: data and layout
    config: dict  # plotly's config
    size: int  # bytes sent for the chart's figure (and, for the component, its config)


def walk(node):
    """``node`` of an AppTest tree and every element under it, depth first (``walk(at._tree)``:
    the whole page, the sidebar's too)."""
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def charts(at: AppTest) -> list[Chart]:
    """Every chart on the page, in the page's order."""
    found = []
    for node in walk(at._tree):
        if node.type == "bidi_component" and node.proto.component_name == "optviz_chart":
            payload = json.loads(node.proto.bytes)
            found.append(
                Chart(node.proto.id.rsplit("-", 1)[-1], payload["figure"], payload["config"], len(node.proto.bytes))
            )
        elif node.type == "plotly_chart":
            spec = node.proto.spec
            found.append(
                Chart(
                    node.proto.id.rsplit("-", 1)[-1],
                    json.loads(spec),
                    json.loads(node.proto.config),
                    len(spec.encode()),
                )
            )
    return found
