"""Widgets that turn declared parameters (spec_strings.Param) into Streamlit controls."""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

import streamlit as st

from spec_strings import Param

# The argument that gives each kind of widget its default (the rest take ``value``).
DEFAULT_ARGUMENT = {"selectbox": "index", "radio": "index", "multiselect": "default", "segmented_control": "default"}


def keyed(widget: Callable, *args, key: str, **kwargs):
    """``widget(*args, key=key, **kwargs)`` (st.selectbox, a column's number_input, ...) with the
    session's value of ``key`` as its default as well.

    Streamlit sends a control's value to the browser only in the run that set it through the
    session; in other runs the element carries just its default. A browser that mounts the
    control for the first time from such an element (a second run's element arrived before it
    had mounted the first's) shows that default and reports it back as the user's choice. With
    no default given, that was the control's minimum: the Playground's first session lost every
    control to its minimum when the player's first report came right after the first run.
    ``.streamlit/config.toml`` turns off the warning about a default and a session value together.
    """
    if key not in st.session_state:
        return widget(*args, key=key, **kwargs)
    value = st.session_state[key]
    bound = _signature(widget.__name__).bind_partial(*args, **kwargs)
    name = DEFAULT_ARGUMENT.get(widget.__name__, "value")
    if name == "index":
        options = bound.arguments["options"] = list(bound.arguments["options"])
        if value not in options:
            return widget(*bound.args, key=key, **bound.kwargs)
        value = options.index(value)
    bound.arguments[name] = value
    return widget(*bound.args, key=key, **bound.kwargs)


@cache
def _signature(name: str) -> inspect.Signature:
    """The signature of Streamlit's widget ``name`` (a container's method has the same)."""
    return inspect.signature(getattr(st, name))


def log_options(low: float, high: float, per_decade: int = 6) -> list[float]:
    """Round log-spaced values from ``low`` to ``high`` (both > 0), a few per decade."""
    first, last = math.floor(math.log10(low) * per_decade), math.ceil(math.log10(high) * per_decade)
    return sorted({float(f"{10 ** (k / per_decade):.2g}") for k in range(first, last + 1)})


def snap(options: list[float], value: float) -> float:
    """The option nearest to ``value`` on a log scale (the smallest one for value ≤ 0)."""
    positive = [o for o in options if o > 0]
    if value <= 0:
        return options[0]
    return min(positive, key=lambda o: abs(math.log10(o) - math.log10(value)))


def explicit(params, read) -> dict:
    """The values that differ from the defaults (so specs and links stay short).

    ``read(param)`` gives a parameter's current value.
    """
    return {param.name: value for param in params if (value := read(param)) != param.default}


def with_value(options: list, value: float) -> list:
    """A control's grid with ``value`` joined to it: a value from a link or a file keeps its exact number."""
    return options if value in options else sorted([*options, value])


def linear_options(low: float, high: float) -> list[float]:
    """50 to 125 round values from ``low`` to ``high``, on a grid of 1, 2 or 5 times a power of
    ten (so round defaults such as a = 1 or kappa = 25 lie on it). A grid of a power of ten
    alone gave 0..0.98 a thousand stops: 7 kB sent with every rerun, too fine to aim at."""
    unit = 10.0 ** math.floor(math.log10((high - low) / 125))
    step = next(unit * m for m in (1, 2, 5, 10) if (high - low) / (unit * m) <= 125)
    count = round((high - low) / step)
    return sorted({float(f"{low + k * step:.12g}") for k in range(count + 1)} | {float(low), float(high)})


# An integer range wider than this gets a number box (a slider over a million values cannot be aimed).
MAX_SLIDER_INTEGERS = 1000


def param_control(
    param: Param, key: str, default, label: str | None = None, container=st, on_change=None, persist_state=None
):
    """One control for ``param``; its current value comes from st.session_state[key].

    The control holds every value that the parameter's own range allows (the range the spec
    parser, links and files are checked against), so no accepted value can break it.
    ``on_change``: a callback, as Streamlit's widgets take it; ``persist_state``: how long the
    value outlives runs that do not draw the control (Streamlit's option of that name).
    """
    label = label or param.name
    options = prepare_control(param, key, default)
    common = {"key": key, "help": param.doc, "on_change": on_change, "persist_state": persist_state}
    if param.kind == "bool":
        return keyed(container.checkbox, label, **common)
    if param.kind == "choice":
        return keyed(container.selectbox, label, param.choices, **common)
    if param.kind == "text":
        return keyed(container.text_input, label, max_chars=param.max_length, **common)
    if param.kind == "int":
        low, high = int(param.low), int(param.high)
        if high - low > MAX_SLIDER_INTEGERS:
            return keyed(container.number_input, label, low, high, step=1, **common)
        return keyed(container.slider, label, low, high, **common)
    return keyed(container.select_slider, label, options, format_func=lambda v: f"{v:g}", **common)


def prepare_control(param: Param, key: str, default) -> list[float] | None:
    """Give ``param_control``'s control its value in st.session_state[key], as it will show it,
    without drawing it (a page may read every value first and draw the controls last); the
    options of a slider of stops, None for other controls. Calling it again changes nothing."""
    if key not in st.session_state:
        st.session_state[key] = default
    if param.kind in ("bool", "choice", "text"):
        return None
    if param.low is None or param.high is None:
        raise ValueError(f"parameter {param.name} needs both bounds to have a control")
    if param.kind == "int":
        return None
    value = float(st.session_state[key] or 0.0)
    if param.log:
        low = param.low if param.low > 0 else 1e-8
        options = log_options(low if param.name != "lr" else 1e-5, param.high if param.name != "lr" else 10.0)
        if param.name == "eps":
            options = log_options(1e-10, 1e-1)
        if param.low == 0 and not param.low_open:
            options = [0.0, *options]  # ε = 0 is allowed: the slider's first stop
        options = with_value(options, value) if value > 0 else options
        shown = value if value in options else snap(options, value)
    else:
        options = with_value(linear_options(float(param.low), float(param.high)), value)
        shown = value
    options = [o for o in options if param.accepts(o)]  # an open end (gamma in (0, 1]) is not a stop
    hold(key, float(shown), options)
    return options


def hold(key: str, value, signature) -> None:
    """Give a control ``value`` through its session key, before it is drawn.

    Written only when the value differs or the control is made anew (its ``signature``, the
    options or range, changed: Streamlit then gives it a new identity that forgets the value). A
    write on every run would drop the key presses the browser has queued meanwhile.
    """
    mark = hash(tuple(signature) if isinstance(signature, list) else signature)
    if st.session_state.get(key) != value or st.session_state.get(f"_signature_{key}") != mark:
        st.session_state[key] = value
        st.session_state[f"_signature_{key}"] = mark


def steps_control(param: Param, key: str, label: str, grid: int = 10, container=st, on_change=None):
    """A number of steps: a slider whose arrows move on a grid of ``grid`` and that holds any
    value of ``param``'s range exactly (a link's 733 shows as 733; → then gives 740).

    A slider, not a slider of stops: the Playground's 500 stops were 3 kB, sent again with
    every change of the value (measured in Chromium: st.slider keeps 733 on arrival, and its
    arrows go to 740 and 730, as the stops did)."""
    low = prepare_steps(param, key, grid)
    return keyed(container.slider, label, low, int(param.high), step=grid, key=key, help=param.doc, on_change=on_change)


def prepare_steps(param: Param, key: str, grid: int = 10) -> int:
    """``steps_control``'s value in st.session_state[key] before it is drawn; its slider's low end."""
    value = int(st.session_state.get(key, param.default))
    # A link's value under the grid's first stop (5) keeps it: Streamlit would lower the slider's
    # low end to it by itself; lowering it here keeps hold's signature (min, max and step: the
    # slider's identity) in step with the slider.
    low = min(value, max(grid, int(param.low)))
    hold(key, value, (low, int(param.high), grid))
    return low


@contextmanager
def progress_bar(text: str, after: float = 0.5) -> Iterator[Callable[[float], None]]:
    """A ``progress`` callback for the core that shows a bar once the work has run ``after``
    seconds (quick work shows none, rather than a flash), and removes it at the end."""
    slot, start = st.empty(), time.monotonic()

    def report(done: float) -> None:
        if time.monotonic() - start >= after:
            slot.progress(min(done, 1.0), text=text)

    try:
        yield report
    finally:
        slot.empty()
