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


def compact_js(source: str) -> str:
    """``source`` as sent with every rerun that mounts its component (Streamlit sends a
    component's code inline with each mount): without comments and indentation. The player's
    code went from 4.3 to 3.5 kB of a rerun's ~100 kB. The code kept here has no template
    literal and no "  // " inside a string, which is what makes this safe (checked)."""
    if "`" in source:
        raise ValueError("compact_js: a template literal's lines must stay as written")
    lines = []
    for line in source.splitlines():
        text = line.strip()
        if not text or text.startswith("//"):
            continue
        code = text.split("  // ", 1)[0].rstrip()
        if code.count('"') % 2 or code.count("'") % 2:
            raise ValueError(f"compact_js: a comment marker inside a string? {text[:60]!r}")
        lines.append(code)
    return "\n".join(lines)


def float32_base64(values) -> str:
    """``values`` as little-endian float32, base64: what ``floats`` in :data:`FLOAT32_JS` reads."""
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f4").tobytes()).decode("ascii")


def mount(component, key: str, data: dict, **callbacks) -> None:
    """Mount ``component`` with ``data``, which its JavaScript reads as ``component.data[0]``.

    The data goes in a list: Streamlit checks each value of a dict for a DataFrame, and that
    check imports pandas (70 MB of a server's memory that a Playground session never loads)."""
    component(key=key, data=[data], **callbacks)
