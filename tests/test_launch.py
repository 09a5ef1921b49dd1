"""How the server is started: glibc's arenas shared by its threads (ui/launch.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench.load import server_pid
from ui import launch


def test_make_run_limits_the_allocator_before_streamlit_starts(monkeypatch):
    """`make run` (ui.launch.main) sets the arenas first: glibc's limit holds for arenas made
    after it, so set once the server's threads have run it changes nothing."""
    calls = []
    monkeypatch.setattr(launch, "share_allocator_arenas", lambda: calls.append("arenas"))
    monkeypatch.setattr(launch, "start_first_page_warm_up", lambda: calls.append("warm-up"))
    monkeypatch.chdir(Path.cwd())  # main changes into the app's folder
    monkeypatch.setattr(sys, "argv", list(sys.argv))  # and hands Streamlit its own

    def serve():
        calls.append("streamlit")
        return 0

    monkeypatch.setattr("streamlit.web.cli.main", serve)
    with pytest.raises(SystemExit):
        launch.main([])
    assert calls == ["arenas", "warm-up", "streamlit"]


def test_glibc_takes_the_limit():
    """mallopt accepts the parameter (it returns 1 on success): a wrong number would be ignored."""
    import ctypes

    assert ctypes.CDLL("libc.so.6").mallopt(launch.M_ARENA_MAX, launch.MALLOC_ARENAS) == 1


@pytest.mark.browser
def test_the_served_app_has_the_same_limit(app_url):
    """The tests' and benches' server (tools/serve.py) runs with the limit `make run` sets."""
    environ = Path(f"/proc/{server_pid(app_url)}/environ").read_bytes().split(b"\0")
    assert f"MALLOC_ARENA_MAX={launch.MALLOC_ARENAS}".encode() in environ
