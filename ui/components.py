"""What the page's own browser components share (``ui.player``, ``ui.scrub``): float32 arrays
sent as base64 and read back in JavaScript, and the way their data is handed to Streamlit."""

from __future__ import annotations

import base64

import numpy as np

# JavaScript: base64 of little-endian float32 values (from :func:`float32_base64`) to a Float32Array.
FLOAT32_JS = """
function floats(text) {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let k = 0; k < bin.length; k++) bytes[k] = bin.charCodeAt(k);
  return new Float32Array(bytes.buffer);
}
"""


def float32_base64(values) -> str:
    """``values`` as little-endian float32, base64: what ``floats`` in :data:`FLOAT32_JS` reads."""
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f4").tobytes()).decode("ascii")


def mount(component, key: str, data: dict, **callbacks) -> None:
    """Mount ``component`` with ``data``, which its JavaScript reads as ``component.data[0]``.

    The data goes in a list: Streamlit checks each value of a dict for a DataFrame, and that
    check imports pandas (70 MB of a server's memory that a Playground session never loads)."""
    component(key=key, data=[data], **callbacks)
