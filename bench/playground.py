"""Playground responsiveness: server-side rerun time, keypress-to-redraw time, figure payload.

    python -m bench.playground

1. Server side (Streamlit's AppTest, no browser): the time of one rerun of the default
   Playground after one slider change, with a new simulation each time (a learning rate moved
   to a value not seen before) and with a cached one (the inspected step moved).
2. Browser (headless Chromium against ``streamlit run``): the time from an arrow-key press on
   the Steps slider to the contour chart holding different data.
3. The bytes of every figure of the default Playground, and what the server sends over the
   websocket for one Steps keypress (the whole rerun).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from bench.side_by_side import steps_keypresses
from tools.serve import CHROMIUM, CHROMIUM_FLAGS, ROOT, streamlit_server


def server_side(repeats: int = 8) -> tuple[list[float], list[float], list[int]]:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    payload = [len(chart.proto.spec.encode()) for chart in at.get("plotly_chart")]
    payload += [len(e.proto.bytes) for e in at.get("bidi_component") if e.proto.component_name == "optviz_chart"]
    fresh, cached = [], []
    rates = [0.001, 0.0012, 0.0015, 0.0018, 0.0022, 0.0033, 0.0039, 0.0047, 0.0056, 0.0068]
    for i in range(repeats):
        start = time.perf_counter()
        at.select_slider(key="pg_run0_lr").set_value(rates[i % len(rates)]).run()
        fresh.append(time.perf_counter() - start)
        start = time.perf_counter()
        at.slider(key="pg_step").set_value(100 + i).run()
        cached.append(time.perf_counter() - start)
    if at.exception:
        raise RuntimeError(at.exception)
    return fresh, cached, payload


def browser_side(repeats: int = 6) -> tuple[list[float], list[int]]:
    """Steps keypresses on the served app (``bench.side_by_side.steps_keypresses``)."""
    from playwright.sync_api import sync_playwright

    with (
        streamlit_server(ROOT / "bench" / "results" / "streamlit.log") as url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        timings, sizes = steps_keypresses(browser.new_page(viewport={"width": 1500, "height": 1000}), url, repeats)
        browser.close()
    return timings, sizes


def main() -> None:
    fresh, cached, payload = server_side()
    print("Playground, default scene (the sparse-feature neuron, 5 optimizers, 500 steps)")
    print(f"{'':52}{'median':>10}{'max':>10}")
    print(
        f"{'server rerun after a rate change (new simulation)':52}{statistics.median(fresh) * 1e3:>8.0f}ms{max(fresh) * 1e3:>8.0f}ms"
    )
    print(
        f"{'server rerun after a step change (cached run)':52}{statistics.median(cached) * 1e3:>8.0f}ms{max(cached) * 1e3:>8.0f}ms"
    )
    if CHROMIUM.exists():
        timings, sizes = browser_side()
        print(
            f"{'Chromium: Steps keypress -> redrawn contour':52}{statistics.median(timings) * 1e3:>8.0f}ms{max(timings) * 1e3:>8.0f}ms"
        )
        print(
            f"{'bytes the server sends for that rerun':52}{statistics.median(sizes) / 1e3:>8.0f}kB{max(sizes) / 1e3:>8.0f}kB"
        )
    else:
        print(f"(no {CHROMIUM}: browser timing skipped)")
    print(f"figure payload: {sum(payload) / 1e3:.0f} kB in {len(payload)} charts {json.dumps(payload)}")
    Path(ROOT / "bench" / "results").mkdir(exist_ok=True)


if __name__ == "__main__":
    main()
