"""Links a lecturer prepares for students: a title line, controls hidden, a page locked.

    ?…&title=Week 3: momentum&hide=surface,schedule      the Playground, two groups of controls hidden
    ?…&hide=sidebar&view=contour                          no sidebar, the contour alone
    /lessons?lesson=adam_bias&title=Why bias correction   one lesson alone

The title is shown as plain text (never Markdown or HTML), at most TITLE_CHARS characters. A
hidden control is still on the page, out of sight (its value, from the link, goes on applying
and staying in the URL); a locked page hides the navigation between pages too. Unknown or
tampered parts are ignored and named, as every part of a link is (``ui.state``, ``ui.urlstate``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from spec_strings import echo

TITLE_CHARS = 120
# The Playground's groups of controls a link can hide, and what a lecturer reads for each.
HIDEABLE = {
    "sidebar": "the whole sidebar",
    "surface": "surface and its parameters",
    "start": "start point",
    "steps": "steps",
    "convention": "convention",
    "optimizers": "optimizers (add, remove, change)",
    "schedule": "schedule and seed",
    "scenario": "scenario upload",
    "scrub": "scrub slider",
    "downloads": "downloads and the export panel",
}
VIEWS = {
    "contour": "the contour",
    "loss": "the loss",
    "distance": "the distance to the minimum",
    "effective": "the effective learning rate",
    "3d": "the surface in 3D",
    "step": "at one step",
}
KEYS = ("title", "hide", "view", "lesson")  # app.py reads the ones that lock a page from any of them
PLAYGROUND_KEYS = ("title", "hide", "view")  # a lesson locks the Lessons page, a view the Playground
LESSON_KEYS = ("title", "hide", "lesson")


@dataclass(frozen=True)
class Tutorial:
    title: str | None = None
    hide: tuple[str, ...] = ()
    view: str | None = None  # the Playground shows this view alone
    lesson: str | None = None  # the Lessons page shows this lesson alone

    @property
    def locked(self) -> bool:
        """Whether the page is locked: no navigation to the other pages."""
        return self.view is not None or self.lesson is not None

    def hides(self, group: str) -> bool:
        return group in self.hide

    def query(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.title:
            out["title"] = self.title
        if self.hide:
            out["hide"] = ",".join(self.hide)
        if self.view:
            out["view"] = self.view
        if self.lesson:
            out["lesson"] = self.lesson
        return out


def clean_title(text: str) -> str:
    """A title as one line of plain text: control characters dropped, spaces collapsed, cut."""
    printable = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)
    return " ".join(printable.split())[:TITLE_CHARS]


def first_value(params: dict[str, list[str]], key: str, ignored: list[str]) -> str | None:
    """A link's value of ``key``: its first (a repeat is named in ``ignored``), or None."""
    values = params.get(key) or []
    if len(values) > 1:
        ignored.append(f"{key}: given {len(values)} times, used the first")
    return values[0] if values else None


def parse(params: dict[str, list[str]], lessons: tuple[str, ...] = ()) -> tuple[Tutorial, list[str]]:
    """The tutorial parts of a link (each key -> all its values), and one sentence per part ignored."""
    ignored: list[str] = []

    def single(key: str) -> str | None:
        return first_value(params, key, ignored)

    title = single("title")
    if title is not None:
        title = clean_title(title) or None
    hide = []
    for name in filter(None, (single("hide") or "").split(",")):
        if name in HIDEABLE and name not in hide:
            hide.append(name)
        elif name not in HIDEABLE:
            ignored.append(f"hide: {echo(name)} is not one of {', '.join(HIDEABLE)}")
    view = single("view")
    if view is not None and view not in VIEWS:
        ignored.append(f"view: {echo(view)} is not one of {', '.join(VIEWS)}")
        view = None
    lesson = single("lesson")
    if lesson is not None and lesson not in lessons:
        ignored.append(
            f"lesson: {echo(lesson)} is not one of {', '.join(lessons)}" if lessons else "lesson: no lessons here"
        )
        lesson = None
    return Tutorial(title, tuple(hide), view, lesson), ignored
