"""Sweep page benchmark: the default grid (50 x 50 cells, 500 steps) from the core to the figures.

    python -m bench.sweep

Measures, in one process: the grid in the core's summary mode, the basin map of 40 x 40 start
points, building the figures, and one whole run of the Sweep page script (AppTest, no browser).
"""

from __future__ import annotations

import resource
import statistics
import time

from streamlit.testing.v1 import AppTest

from optim_core.api import basin_map, sweep, sweep_axis
from surfaces import make_surface
from tools.serve import ROOT
from ui.figures import basin_figure, sweep_figures


def timed(fn, repeats: int = 5) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def main() -> None:
    surface = make_surface("himmelblau")
    lrs, betas = sweep_axis(1.9e-05, 0.057, 50), sweep_axis(0.0, 0.99, 50)
    grid_time, grid = timed(lambda: sweep(surface, "momentum", "lr", lrs, "beta", betas, steps=500))
    basin_time, basins = timed(lambda: basin_map(surface, "momentum:lr=1.9e-05", 40, 500))
    figure_time, _ = timed(
        lambda: (sweep_figures(grid, 0.0), basin_figure(surface, basins.xs, basins.ys, basins.basin))
    )
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    start = time.perf_counter()
    at.switch_page("pages/sweep.py").run()
    page_time = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(at.exception)
    rerun_time, _ = timed(lambda: at.run())  # the page again, its grid and maps from the cache
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("Sweep page, default grid: momentum on Himmelblau, 50 x 50 cells (lr x beta), 500 steps")
    print(f"{'grid in the core (2,500 runs, summary mode)':48}{grid_time * 1e3:>8.0f} ms")
    print(f"{'basin map (40 x 40 start points)':48}{basin_time * 1e3:>8.0f} ms")
    print(f"{'heat maps and basin figure':48}{figure_time * 1e3:>8.0f} ms")
    print(f"{'whole page script, first run (AppTest)':48}{page_time * 1e3:>8.0f} ms")
    print(f"{'the page run again (median)':48}{rerun_time * 1e3:>8.0f} ms")
    print(f"peak memory of this process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
