"""The spec-string grammar shared by optimizers, schedules and surfaces.

A spec is ``name`` or ``name:key=value,key=value``, for example ``adam:lr=0.01,beta1=0.9``.
Every configurable thing declares its keys as :class:`Param` objects; :func:`parse_spec`
checks a string against those declarations and raises :class:`SpecError` with one message
naming the offending part and listing what is allowed. Nothing is silently ignored.

This module imports nothing else of the project, so ``surfaces`` can use it too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class SpecError(ValueError):
    """A spec string (or a value in it) that the grammar or a parameter's range refuses."""


@dataclass(frozen=True)
class Param:
    """One key a spec may carry: its type, default, allowed range and documentation.

    ``kind`` is one of ``float``, ``int``, ``choice``, ``bool`` or ``text``. ``low``/``high``
    bound numbers (inclusive unless ``low_open``/``high_open``). ``log`` asks the app for a
    logarithmic slider because the useful range spans decades.
    """

    name: str
    default: Any
    doc: str = ""
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    log: bool = False
    choices: tuple[str, ...] = ()
    max_length: int = 200
    pattern: str | None = None  # for text: a regular expression the whole value must match

    def allowed(self) -> str:
        """A short human description of the values this key accepts."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "bool":
            return "true or false"
        if self.kind == "text":
            if self.pattern is not None:
                return f"letters, digits, spaces and - _ . + ( ) # /, at most {self.max_length} characters"
            return f"text of at most {self.max_length} characters"
        kind = "an integer" if self.kind == "int" else "a number"
        if self.low is None and self.high is None:
            return kind
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        low = "-inf" if self.low is None else _fmt(self.low)
        high = "inf" if self.high is None else _fmt(self.high)
        return f"{kind} in {left}{low}, {high}{right}"

    def convert(self, raw: Any, where: str) -> Any:
        """Parse (from text) or check (from a Python value) one value of this key."""
        try:
            value = self._coerce(raw)
        except (TypeError, ValueError):
            raise SpecError(f"{where}: {self.name}={echo(raw)} is not {self.allowed()}") from None
        if self.kind in ("float", "int"):
            self.check_range(value, where)
        return value

    def accepts(self, value: float) -> bool:
        """Whether ``value`` lies in this key's range (check_range without the message)."""
        try:
            self.check_range(float(value), self.name)
        except SpecError:
            return False
        return True

    def check_range(self, value: float, where: str) -> None:
        bad = not math.isfinite(value)
        if self.low is not None:
            bad |= value < self.low or (self.low_open and value == self.low)
        if self.high is not None:
            bad |= value > self.high or (self.high_open and value == self.high)
        if bad:
            raise SpecError(f"{where}: {self.name}={_fmt(value)} is out of range; allowed: {self.allowed()}")

    def _coerce(self, raw: Any) -> Any:
        if self.kind == "text":
            text = str(raw)
            if len(text) > self.max_length or (self.pattern is not None and not re.fullmatch(self.pattern, text)):
                raise ValueError
            return text
        if self.kind == "choice":
            text = str(raw).strip()
            if text not in self.choices:
                raise ValueError
            return text
        if self.kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("true", "1", "yes", "on"):
                return True
            if text in ("false", "0", "no", "off"):
                return False
            raise ValueError
        if isinstance(raw, bool):
            raise ValueError
        if self.kind == "int":
            if isinstance(raw, (int,)) or (isinstance(raw, float) and raw.is_integer()):
                return int(raw)
            text = str(raw).strip()
            if not re.fullmatch(r"[+-]?\d{1,12}", text):
                raise ValueError
            return int(text)
        if isinstance(raw, (int, float)):
            return float(raw)
        text = str(raw).strip()
        if not _NUMBER.fullmatch(text):
            raise ValueError
        return float(text)


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
LABEL = Param(
    "label",
    None,
    "a name that tells two runs of one optimizer apart",
    kind="text",
    max_length=40,
    pattern=r"[\w .+\-()#/]+",
)


def _fmt(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}"


def echo(value: Any, limit: int = 40) -> str:
    """A value quoted back in a message: repr'd, non-printable characters replaced, shortened to ``limit``."""
    text = repr(value) if isinstance(value, str) else str(value)
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Spec:
    """A parsed spec: the name, the values given explicitly, and an optional label."""

    name: str
    values: Mapping[str, Any] = field(default_factory=dict)
    label: str | None = None

    def __str__(self) -> str:
        return format_spec(self.name, self.values, self.label)


def format_spec(name: str, values: Mapping[str, Any], label: str | None = None) -> str:
    """The canonical text of a spec; :func:`parse_spec` reads it back to the same values."""
    parts = [f"{key}={_format_value(value)}" for key, value in values.items()]
    if label:
        parts.append(f"label={label}")
    return name + (":" + ",".join(parts) if parts else "")


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def parse_spec(
    text: str,
    what: str,
    catalog: Mapping[str, Sequence[Param]],
    *,
    allow_label: bool = False,
) -> Spec:
    """Parse ``name:key=value,...`` against ``catalog`` (name -> its declared params).

    ``what`` names the kind of thing ("optimizer", "surface", ...) for the messages.
    Raises :class:`SpecError` with one message naming the offending part.
    """
    if not isinstance(text, str):
        raise SpecError(f"{what} spec must be text, got {type(text).__name__}")
    text = text.strip()
    if len(text) > 1000:
        raise SpecError(f"{what} spec is {len(text)} characters long; at most 1000 are allowed")
    name, _, rest = text.partition(":")
    name = name.strip()
    if name not in catalog:
        shown = name if _NAME.fullmatch(name or "-") and len(name) <= 40 else echo(name)
        raise SpecError(f"unknown {what} {shown!s}; allowed: {', '.join(catalog)}")
    pairs: list[tuple[str, str]] = []
    if rest.strip():
        for item in _split_items(rest, what, name):
            key, eq, raw = item.partition("=")
            key = key.strip()
            if not eq or not key:
                raise SpecError(f"{what} {name}: {echo(item.strip())} is not key=value")
            pairs.append((key, raw.strip()))
    return build_spec(name, pairs, what, catalog[name], allow_label=allow_label)


def _split_items(rest: str, what: str, name: str) -> list[str]:
    # An expression (custom surface) may hold commas inside parentheses: split on top-level ones.
    items, depth, current = [], 0, []
    for char in rest:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    if any(not item.strip() for item in items):
        raise SpecError(f"{what} {name}: empty item in {echo(rest)}")
    return items


def build_spec(
    name: str,
    pairs: Sequence[tuple[str, Any]] | Mapping[str, Any],
    what: str,
    params: Sequence[Param],
    *,
    allow_label: bool = False,
) -> Spec:
    """Check ``key -> value`` pairs (text or Python values) against declared ``params``."""
    declared = {param.name: param for param in params}
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    values: dict[str, Any] = {}
    label, seen_label = None, False
    for key, raw in items:
        where = f"{what} {name}"
        if key == "label" and allow_label:
            if seen_label:
                raise SpecError(f"{where}: key 'label' is given twice")
            seen_label = True
            label = LABEL.convert(raw, where) if raw not in (None, "") else None
            continue
        if key not in declared:
            allowed = list(declared) + (["label"] if allow_label else [])
            listing = ", ".join(allowed) if allowed else "no keys"
            raise SpecError(f"{where}: unknown key {echo(key)}; allowed: {listing}")
        if key in values:
            raise SpecError(f"{where}: key {key!r} is given twice")
        values[key] = declared[key].convert(raw, where)
    return Spec(name, values, label)


def resolved(spec: Spec, params: Sequence[Param]) -> dict[str, Any]:
    """Every declared key of ``spec``: the explicit values over the defaults."""
    return {param.name: spec.values.get(param.name, param.default) for param in params}
