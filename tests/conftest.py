"""Shared fixtures: a Streamlit server for the browser tests and Playwright on Debian's Chromium."""

from __future__ import annotations

import os

import pytest

from tools.serve import CHROMIUM, CHROMIUM_FLAGS, ROOT, streamlit_server

ARTIFACTS = ROOT / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    # Under pytest-xdist (`make test`: two workers) the browser tests stay on one worker, which
    # starts the one Streamlit server they share; the other worker takes the rest meanwhile.
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.xdist_group("browser"))
    # In CI a missing browser fails the run; on a developer's machine it skips with the fix named.
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"{CHROMIUM} is missing: the browser tests cannot run (make test installs it)")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing; `make test` installs Debian's chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Never `playwright install`: drive the system Chromium.
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "headless": True, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1500, "height": 1000}}


@pytest.fixture(scope="session")
def app_url():
    """``streamlit run app.py`` on a free loopback port, healthy before the first test."""
    with streamlit_server(ARTIFACTS / "streamlit.log") as url:
        yield url
