"""The Playground against a trivial Streamlit app, in one run on this machine (issue #15's targets).

    python -m bench.side_by_side [--repeats 6]

Each app is served by its own ``streamlit run`` and driven by headless Chromium, one after the
other, the same way:

1. first chart: a fresh browser context opens the page (the server has already served it once,
   so what is cached is cached), until the first chart holds data; median of 5 (3 moved the
   ratio by 0.1-0.2 between runs);
2. keypress: an arrow key on the "Steps" slider until the first chart holds different data;
3. bytes: what the server sends over the websocket for that rerun (after the first keypress,
   so that Streamlit's references to unchanged elements the browser holds are in play);
4. memory: the server's resident memory after that session closed (10 s later).

The trivial app (``bench/trivial_app.py``) has one slider and one small Plotly line chart.
Ratios are what to read: both apps run on the same loaded cores in the same minutes.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.load import rss_mb, server_pid
from tools.serve import CHROMIUM, CHROMIUM_FLAGS, ROOT, streamlit_server

DIGEST = """() => { const el = document.querySelector('.js-plotly-plot');
  const part = (v) => !v ? '' : v.bdata ? v.bdata.length + v.bdata.slice(-40) : v.length + ':' + Array.from(v).slice(-3).join(',');
  return el && el.data ? JSON.stringify(el.data.map(t => [t.name, part(t.x), part(t.y)])) : ''; }"""
APPS = {"trivial app": "bench/trivial_app.py", "Playground": "app.py"}
FIRST_VIEWS = 5  # timed first views of each app


def steps_keypresses(page, url: str, repeats: int) -> tuple[list[float], list[int]]:
    """Open ``url`` and press the right arrow on its "Steps" slider ``repeats`` + 1 times: the
    seconds from each keypress after the first (the session's first rerun) to the first chart
    holding different data, and the websocket bytes the server sent for each of those reruns."""
    received: list[int] = []
    page.on("websocket", lambda socket: socket.on("framereceived", lambda frame: received.append(len(frame))))
    page.goto(url)
    page.wait_for_function(f"() => ({DIGEST})().length > 2", timeout=120_000)
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text="Steps").first.locator("input")
    keypress, sizes = [], []
    for k in range(repeats + 1):
        page.wait_for_timeout(1000)
        if k > 1:
            sizes.append(sum(received))  # the last rerun's messages, once it settled
        received.clear()
        before = page.evaluate(DIGEST)
        thumb.focus()
        start = time.perf_counter()
        thumb.press("ArrowRight")
        page.wait_for_function(f"(b) => ({DIGEST})() !== b && ({DIGEST})().length > 2", arg=before)
        if k:
            keypress.append(time.perf_counter() - start)
    page.wait_for_timeout(1000)
    sizes.append(sum(received))
    return keypress, sizes


def measure(script: str, repeats: int) -> dict:
    from playwright.sync_api import sync_playwright

    log = ROOT / "bench" / "results" / f"streamlit-{script.replace('/', '-')}.log"
    with streamlit_server(log, script=script) as url, sync_playwright() as playwright:
        pid = server_pid(url)
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        first: list[float] = []
        for attempt in range(FIRST_VIEWS + 1):  # the first visit warms the server's caches
            context = browser.new_context(viewport={"width": 1500, "height": 1000})
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_function(f"() => ({DIGEST})().length > 2", timeout=120_000)
            if attempt:
                first.append(time.perf_counter() - start)
            context.close()
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        keypress, sizes = steps_keypresses(context.new_page(), url, repeats)
        context.close()
        browser.close()
        time.sleep(10)
        memory = rss_mb(pid)
    return {"first": first, "keypress": keypress, "bytes": sizes, "memory": memory}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    found = {name: measure(script, args.repeats) for name, script in APPS.items()}
    trivial, playground = found["trivial app"], found["Playground"]
    rows = [
        (f"first page view: first chart (median of {FIRST_VIEWS})", "first", 1e3, "ms"),
        ("Steps keypress -> redrawn chart (median)", "keypress", 1e3, "ms"),
        ("bytes sent for that rerun (median)", "bytes", 1e-3, "kB"),
    ]
    print(f"{'':46}{'trivial app':>14}{'Playground':>14}{'ratio':>8}")
    for label, key, scale, unit in rows:
        a, b = statistics.median(trivial[key]) * scale, statistics.median(playground[key]) * scale
        print(f"{label:46}{a:>11.0f} {unit}{b:>11.0f} {unit}{b / a:>7.1f}x")
    print(
        f"{'server memory after one session':46}{trivial['memory']:>11.0f} MB{playground['memory']:>11.0f} MB"
        f"{playground['memory'] / trivial['memory']:>7.1f}x"
    )


if __name__ == "__main__":
    main()
