"""The app's one memory budget: entries are kept by bytes, oldest out first, and shared read-only."""

from __future__ import annotations

import numpy as np
import pytest

from optim_core.api import Scenario
from ui.cache import ByteBudgetCache, size_of


def test_size_counts_array_buffers_and_text_once():
    a = np.zeros(1000)
    assert 8000 <= size_of(a) < 8200
    assert 8000 <= size_of((a, a, a[:10])) < 8400  # one buffer, seen three times
    assert size_of("x" * 10_000) >= 10_000


def test_the_budget_evicts_the_least_recently_used_first():
    cache = ByteBudgetCache(budget=30_000)
    for key in "abc":
        cache.put(key, np.zeros(1000))  # ~8 kB each
    cache.get("a")  # a is now the most recent
    cache.put("d", np.zeros(1000))
    assert "b" not in cache and {"a", "c", "d"} <= {k for k in "abcd" if k in cache}
    assert cache.bytes <= cache.budget
    cache.put("e", np.zeros(3000))  # 24 kB: evicts until it fits
    assert cache.bytes <= cache.budget and "e" in cache


def test_a_value_larger_than_the_budget_is_returned_but_not_kept():
    cache = ByteBudgetCache(budget=1000)
    value = cache.put("big", np.zeros(1000))
    assert value.shape == (1000,) and "big" not in cache and cache.bytes == 0


def test_memoize_computes_once_per_arguments_and_shares_read_only_results():
    cache = ByteBudgetCache(budget=10**8)
    calls = []

    @cache.memoize
    def run(text):
        calls.append(text)
        return Scenario.from_json(text).run()

    text = Scenario(optimizers=["adam"], steps=50).to_json()
    first, second = run(text), run(text)
    assert first is second and calls == [text]
    with pytest.raises(ValueError, match="read-only"):
        first.positions[0, 0, 0] = 1.0  # a session cannot change what other sessions see


def test_heavy_results_stay_within_the_budget():
    """The largest Playground scene (12 runs x 5,000 steps) many times over: the cache stays in budget."""
    cache = ByteBudgetCache(budget=40_000_000)
    run = cache.memoize(lambda text: Scenario.from_json(text).run())
    sizes = []
    for seed in range(8):
        text = Scenario(optimizers=["adam"] * 12, steps=5000, seed=seed).to_json()
        sizes.append(size_of(run(text)))
        assert cache.bytes <= cache.budget
    assert min(sizes) > 7_000_000  # each is large: the budget, not a count, is what bounds them
    assert len(cache) == cache.budget // min(sizes)


def test_entries_unused_for_the_idle_time_are_dropped():
    now = [0.0]
    cache = ByteBudgetCache(budget=10**6, idle_seconds=120, sweep_every=None, clock=lambda: now[0])
    cache.put("old", np.zeros(100))
    now[0] = 100.0
    cache.put("new", np.zeros(100))
    now[0] = 150.0
    assert cache.expire() == 1 and "old" not in cache and "new" in cache
    cache.get("new")  # a use keeps it
    now[0] = 260.0
    assert cache.expire() == 0 and "new" in cache
    now[0] = 400.0
    assert cache.expire() == 1 and len(cache) == 0 and cache.bytes == 0


def test_the_background_sweep_expires_entries_by_itself():
    import time

    cache = ByteBudgetCache(budget=10**6, idle_seconds=0.05, sweep_every=0.02)
    cache.put("a", np.zeros(100))
    deadline = time.monotonic() + 5
    while "a" in cache and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "a" not in cache and cache.bytes == 0
