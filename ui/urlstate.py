"""A page's controls in its URL, for the pages whose state is a flat set of widgets.

Each :class:`Field` ties a URL key to a widget's session key, with a parser that checks a
value from a link (and raises ValueError with a message) and a formatter. ``restore`` runs
before the widgets are drawn: on the page's first run in a session, or when the URL is not
one this page wrote itself, it copies the link's values into the widgets and returns one
sentence per ignored part. ``store`` runs after them and writes the current values back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from spec_strings import echo


@dataclass(frozen=True)
class Field:
    url_key: str
    widget: str
    parse: Callable[[str], Any]
    format: Callable[[Any], str] = str
    default: Any = None  # left out of the URL when the widget holds it


def _history(page: str) -> list[str]:
    return st.session_state.setdefault(f"_url_written_{page}", [])


def restore(page: str, fields: Sequence[Field], others: Sequence[str] = ()) -> list[str]:
    """Seed the widgets from the URL when it is new to this page; the parts that were ignored.
    ``others``: keys the page reads itself (a tutorial link's), not unknown."""
    incoming = {key: st.query_params.get_all(key) for key in st.query_params}
    first = f"_url_seen_{page}" not in st.session_state
    st.session_state[f"_url_seen_{page}"] = True
    if not incoming or (not first and json.dumps(incoming, sort_keys=True) in _history(page)):
        return []
    known = {field.url_key: field for field in fields}
    ignored = [f"unknown parameter {echo(key, 30)}" for key in incoming if key not in known and key not in others]
    for key, values in incoming.items():
        field = known.get(key)
        if field is None:
            continue
        try:
            st.session_state[field.widget] = field.parse(values[0])
        except (ValueError, TypeError) as error:
            ignored.append(f"{key}: {error}")
    return ignored


def store(page: str, fields: Sequence[Field], keep: dict[str, str] | None = None) -> None:
    """Write the widgets' current values into the URL (and remember it as written here), with
    the parts in ``keep`` (a tutorial link's) left in it."""
    wanted = {
        field.url_key: [field.format(st.session_state[field.widget])]
        for field in fields
        if st.session_state.get(field.widget) is not None and st.session_state[field.widget] != field.default
    }
    wanted.update({key: [value] for key, value in (keep or {}).items()})
    history = _history(page)
    key = json.dumps(wanted, sort_keys=True)
    if key not in history:
        st.session_state[f"_url_written_{page}"] = [*history, key][-50:]
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    if wanted != current:
        st.query_params.from_dict(wanted)


# ----- parsers that name what is wrong and what is allowed ---------------------------------------------
def choice(options: Sequence[str]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(f"{echo(text)} is not one of {', '.join(options)}")
        return text

    return parse


def integer(low: int, high: int, step: int = 1) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{echo(text)} is not a whole number") from None
        if not low <= value <= high:
            raise ValueError(f"{value} is out of range; allowed: {low} to {high} in steps of {step}")
        if (value - low) % step:
            below = value - (value - low) % step
            raise ValueError(f"{value} is not on the control's grid of {step} (nearest: {below} or {below + step})")
        return value

    return parse


def number(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{echo(text)} is not a number") from None
        if not (low <= value <= high):
            raise ValueError(f"{value:g} is out of range; allowed: {low:g} to {high:g}")
        return value

    return parse


def member(options: Sequence[float]) -> Callable[[str], float]:
    parse_number = number(min(options), max(options))

    def parse(text: str) -> float:
        value = parse_number(text)
        if value not in options:
            raise ValueError(f"{value:g} is not one of {', '.join(f'{o:g}' for o in options)}")
        return value

    return parse


def plain_value(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def inert(text: str) -> str:
    """User text made inert for Streamlit's Markdown (no links, images, emphasis or HTML)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])", r"\\\1", text)


def warn_ignored(ignored: Sequence[str]) -> None:
    """One warning listing what a link held that was ignored (as inert text), if anything."""
    if ignored:
        st.warning(
            "Parts of the link were ignored and their defaults used instead:\n\n"
            + "\n".join(f"- {inert(item)}" for item in ignored)
        )
