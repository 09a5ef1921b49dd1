"""One memory budget for every cached result of the app, shared by all sessions.

Streamlit's ``st.cache_data`` bounds a cache by its number of entries, not by their size: a
lecture hall of students opening their own heavy links (12 runs × 5,000 steps is 7.7 MB
recorded) would grow the server without bound. :class:`ByteBudgetCache` keeps entries while
their total size stays within a budget of bytes and drops the least recently used first, and
drops entries nobody has used for a while, so a server returns to its size once sessions end.

A cached value is shared, not copied (copying a recorded run on every rerun would cost more
than the run): its NumPy arrays are made read-only when it is stored, so a caller that tried to
change one fails loudly instead of changing what other sessions see. No Streamlit here, so the
tests can check the budget directly.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import functools
import gc
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

DEFAULT_BUDGET = 96_000_000  # bytes, for all sessions together
# A result unused this long is dropped: recomputing one costs milliseconds, and once a lecture's
# sessions close the server returns to its size instead of keeping their results.
IDLE_SECONDS = 120.0
SWEEP_EVERY = 20.0  # seconds between two looks for idle entries


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


def release_memory() -> None:
    """Hand freed memory back to the system: collect cycles, then ask glibc to trim its heap
    (freed blocks between live ones otherwise stay in the process). A no-op where there is no glibc."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class ByteBudgetCache:
    """A thread-safe least-recently-used map whose values' total size stays within ``budget`` bytes,
    and whose entries unused for ``idle_seconds`` are dropped (by a background sweep every
    ``sweep_every`` seconds, started with the first entry; ``None``: no sweep).

    A value larger than the whole budget is returned but not kept.
    """

    def __init__(
        self,
        budget: int = DEFAULT_BUDGET,
        idle_seconds: float = IDLE_SECONDS,
        sweep_every: float | None = SWEEP_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.budget, self.idle_seconds, self.sweep_every, self.clock = budget, idle_seconds, sweep_every, clock
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._used: dict[Hashable, float] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self._sweeper: threading.Thread | None = None

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
            self._used[key] = self.clock()
            return self._entries[key][0]

    def put(self, key: Hashable, value: Any) -> Any:
        size = size_of(value)
        freeze(value)
        with self._lock:
            if key in self._entries:
                self._drop(key)
            if size <= self.budget:
                self._entries[key] = (value, size)
                self._used[key] = self.clock()
                self._bytes += size
            while self._bytes > self.budget:
                self._drop(next(iter(self._entries)))
            if self._sweeper is None and self.sweep_every is not None:
                self._sweeper = threading.Thread(target=self._sweep, name="cache-sweep", daemon=True)
                self._sweeper.start()
        return value

    def _drop(self, key: Hashable) -> None:
        self._bytes -= self._entries.pop(key)[1]
        del self._used[key]

    def expire(self) -> int:
        """Drop the entries unused for ``idle_seconds``; how many were dropped."""
        limit = self.clock() - self.idle_seconds
        with self._lock:
            idle = [key for key, used in self._used.items() if used < limit]
            for key in idle:
                self._drop(key)
        if idle:
            release_memory()
        return len(idle)

    def _sweep(self) -> None:
        while True:
            time.sleep(self.sweep_every)
            self.expire()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._used.clear()
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
