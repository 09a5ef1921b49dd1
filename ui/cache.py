"""One memory budget for every cached result of the app, shared by all sessions.

Streamlit's ``st.cache_data`` bounds a cache by its number of entries, not by their size: a
lecture hall of students opening their own heavy links (12 runs × 5,000 steps is about 9 MB
recorded) would grow the server without bound. :class:`ByteBudgetCache` keeps entries while
their total size stays within a budget of bytes and drops the least recently used first.

A cached value is shared, not copied (copying a recorded run on every rerun would cost more
than the run): its NumPy arrays are made read-only when it is stored, so a caller that tried to
change one fails loudly instead of changing what other sessions see. No Streamlit here, so the
tests can check the budget directly.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

DEFAULT_BUDGET = 160_000_000  # bytes, for all sessions together


def size_of(value: Any) -> int:
    """The bytes ``value`` holds: arrays by their buffers, text by its length, containers and
    objects by what they hold (each array or object counted once)."""
    seen: set[int] = set()

    def walk(item: Any, depth: int) -> int:
        if id(item) in seen or depth > 12:
            return 0
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            base = item if item.base is None else item.base
            if base is not item and id(base) in seen:
                return 0
            seen.add(id(base))
            return int(base.nbytes) if isinstance(base, np.ndarray) else int(item.nbytes)
        if isinstance(item, (str, bytes, bytearray)):
            return sys.getsizeof(item)
        if isinstance(item, dict):
            return sys.getsizeof(item) + sum(walk(k, depth + 1) + walk(v, depth + 1) for k, v in item.items())
        if isinstance(item, (list, tuple, set, frozenset)):
            return sys.getsizeof(item) + sum(walk(v, depth + 1) for v in item)
        attributes = getattr(item, "__dict__", None)
        if attributes is not None and not isinstance(item, type):
            return sys.getsizeof(item) + sum(walk(v, depth + 1) for v in attributes.values())
        return sys.getsizeof(item)

    return walk(value, 0)


def freeze(value: Any) -> Any:
    """Make every NumPy array reachable from ``value`` read-only (in place); returns ``value``."""
    seen: set[int] = set()

    def walk(item: Any, depth: int) -> None:
        if id(item) in seen or depth > 12:
            return
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            item.flags.writeable = False
        elif isinstance(item, dict):
            for v in item.values():
                walk(v, depth + 1)
        elif isinstance(item, (list, tuple)):
            for v in item:
                walk(v, depth + 1)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            for f in dataclasses.fields(item):
                walk(getattr(item, f.name), depth + 1)

    walk(value, 0)
    return value


class ByteBudgetCache:
    """A thread-safe least-recently-used map whose values' total size stays within ``budget`` bytes.

    A value larger than the whole budget is returned but not kept.
    """

    def __init__(self, budget: int = DEFAULT_BUDGET):
        self.budget = budget
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            if key not in self._entries:
                return default
            self._entries.move_to_end(key)
            return self._entries[key][0]

    def put(self, key: Hashable, value: Any) -> Any:
        size = size_of(value)
        freeze(value)
        with self._lock:
            if key in self._entries:
                self._bytes -= self._entries.pop(key)[1]
            if size <= self.budget:
                self._entries[key] = (value, size)
                self._bytes += size
            while self._bytes > self.budget:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def memoize(self, function: Callable) -> Callable:
        """``function`` of hashable arguments, its results kept in this cache."""
        missing = object()

        @functools.wraps(function)
        def cached(*args: Hashable) -> Any:
            key = (function.__qualname__, args)
            value = self.get(key, missing)
            if value is missing:
                value = self.put(key, function(*args))
            return value

        cached.cache = self
        return cached


CACHE = ByteBudgetCache()
