"""Every page goes through app.py's st.navigation, even on a fresh server.

Streamlit starts in its legacy multipage mode because a pages/ folder exists: until some
session has run app.py (whose st.navigation switches the server to the declared pages for
everyone), a first visitor who opens a page's URL directly gets that page file run alone,
with a navigation made of file names. Each page therefore calls ``route_through_app`` first:
in legacy mode it runs app.py instead (which runs the requested page through st.navigation)
and stops.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx


def route_through_app() -> None:
    if PagesManager.uses_pages_directory:
        # The script the server was started with: app.py, in a checkout or where pip put it.
        runpy.run_path(str(Path(get_script_run_ctx().main_script_path)), run_name="__main__")
        st.stop()
