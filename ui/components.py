"""What the page's own browser components share (``ui.player``, ``ui.scrub``, ``ui.charts``):
float32 arrays sent as base64 and read back in JavaScript, their code served once per page,
and the way their data is handed to Streamlit."""

from __future__ import annotations

import base64
import functools

import numpy as np
import streamlit as st
from streamlit import runtime

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


# Streamlit sends a component's code with every mount, that is with every rerun that changes
# its data: the player's 3.5 kB, and 0.9 kB for each chart. Each component's code is instead a
# module on Streamlit's media server (code_url), which the page imports once, and what
# Streamlit sends with each mount is this loader: it imports the module named in the data and
# hands it the component, its data as an object (``component.data``).
LOADER_JS = """
export default function (component) {
  const raw = component.data;
  const data = raw instanceof Uint8Array ? JSON.parse(new TextDecoder().decode(raw)) : raw[0];
  const url = new URL(data.code, document.baseURI).href, got = (window.optvizModules ||= {});
  let gone = false, cleanup = null;
  const run = (m) => { got[url] = m; if (!gone) cleanup = m.default({ ...component, data }); };
  const failed = (e) => component.parentElement.append("This part of the page could not load: " + e);
  // A module imported before runs at once: import() of it again waited a task or more (0-19 ms).
  if (got[url]) { try { run(got[url]); } catch (e) { failed(e); } } else import(url).then(run).catch(failed);
  return () => { gone = true; if (typeof cleanup === "function") cleanup(); };
}
"""


@functools.cache
def _module(source: str) -> bytes:
    """``source`` as served: compacted once per server, not at every mount."""
    return compact_js(source).encode()


def code_url(name: str, source: str) -> str:
    """The URL of ``source`` as a JavaScript module on Streamlit's media server, added again in
    each run that mounts the component (the server keeps a file while a run refers to it).
    The URL names the code's content, so the browser imports a module once per page and a
    new version under a new URL. Without Streamlit's runtime (a script) nothing is served: ""."""
    if not runtime.exists():
        return ""
    return runtime.get_instance().media_file_mgr.add(_module(source), "text/javascript", f"optviz.code.{name}")


@functools.cache
def component(name: str, html: str, css: str, **options):
    """The v2 component ``name`` whose code is :data:`LOADER_JS`; registered on first use,
    inside a script run (at import, outside one, Streamlit warns)."""
    return st.components.v2.component(name, html=html, css=css, js=compact_js(LOADER_JS), **options)


def mount(component, key: str, data: dict, code: str, **callbacks) -> None:
    """Mount ``component`` with ``data`` and the URL of its code (:func:`code_url`); the
    code's default export gets the data as ``component.data``.

    The data goes in a list: Streamlit checks each value of a dict for a DataFrame, and that
    check imports pandas (70 MB of a server's memory that a Playground session never loads)."""
    component(key=key, data=[{**data, "code": code}], **callbacks)
