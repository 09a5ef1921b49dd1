"""Presentation mode, one switch for every page: larger fonts and lines, no sidebar, and the
page navigation moved to the top bar (so a lecturer can still change page on the projector).

The choice lives in ``st.session_state[PRESENT]`` (kept across pages) and in each page's URL
as ``present=1``; every page's header draws the same toggle through :func:`header`.
"""

from __future__ import annotations

import streamlit as st

from ui.controls import hold, keyed
from ui.style import PRESENTATION_SCALE
from ui.tutorial import HIDEABLE
from ui.urlstate import Field, inert

PRESENT = "presentation"
TOGGLE = "present_toggle"


def _flag(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError(f"{text[:10]!r} is not 0 or 1")
    return text == "1"


# For the pages whose URL is written by ui.urlstate.
URL_FIELD = Field("present", PRESENT, _flag, lambda on: "1" if on else "0", default=False)


def presenting() -> bool:
    """Read once per session from the URL (app.py calls this before the navigation)."""
    ss = st.session_state
    if PRESENT not in ss:
        ss[PRESENT] = st.query_params.get("present") == "1"
    return bool(ss[PRESENT])


def on_phone() -> bool:
    """Whether the browser says it is a phone (its User-Agent holds "Mobi", as every phone
    browser's does): there the contour is shorter, without a colour bar, and its hover says
    "tap" where a mouse "clicks"."""
    return "Mobi" in (st.context.headers.get("User-Agent") or "")


def _flip() -> None:
    st.session_state[PRESENT] = bool(st.session_state[TOGGLE])


def header(title: str) -> float:
    """The page's title with the presentation toggle beside it; the font scale to draw with."""
    on = presenting()
    left, right = st.columns([5, 1], vertical_alignment="bottom")
    left.title(title)
    hold(TOGGLE, on, title)  # each page's toggle is a new widget: give it the value on arrival
    keyed(
        right.toggle, "Presentation", key=TOGGLE, on_change=_flip,
        help="Larger text and lines for a projector; the controls are hidden and the pages move to the top bar",
    )  # fmt: skip
    if on:
        # A fixed style rule (no user text): no sidebar, and a slim title so the charts start high.
        st.markdown(
            "<style>[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'],"
            " [data-testid='stExpandSidebarButton'] {display: none;}"
            " [data-testid='stMainBlockContainer'] {padding-top: 3.5rem; padding-bottom: 1rem;}"
            " [data-testid='stMainBlockContainer'] h1 {font-size: 1.75rem; padding: 0;}</style>",
            unsafe_allow_html=True,
        )
    return presentation_scale()


def presentation_scale() -> float:
    """The font scale to draw with: larger while presenting."""
    return PRESENTATION_SCALE if presenting() else 1.0


# The sidebar and its collapse control (presentation mode hides them the same way).
SIDEBAR_CSS = (
    "[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], [data-testid='stExpandSidebarButton']"
)


def tutorial_page(tutor) -> None:
    """A lecturer's link (``ui.tutorial.Tutorial``): its title line as plain text, and the groups
    of controls it hides out of sight (each group is a container keyed ``tut-<group>``)."""
    if tutor.title:
        st.markdown(f"#### {inert(tutor.title)}")  # every mark of the title escaped: text, never markup
    hidden = [group for group in HIDEABLE if tutor.hides(group)]
    rules = [f"[class*='st-key-tut-{group}']" for group in hidden if group != "sidebar"]
    if "sidebar" in tutor.hide:
        rules.append(SIDEBAR_CSS)
    if rules:
        # Fixed names only (checked against HIDEABLE), no text from the link.
        st.markdown(f"<style>{', '.join(rules)} {{display: none;}}</style>", unsafe_allow_html=True)
