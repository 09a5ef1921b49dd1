"""The scrub: its bank on the server, its drag in the browser, and what the page sends.

    python -m bench.scrub

1. Server side, in one process: computing the bank of η of the first run of the default
   Playground (41 values and more) and building what the browser receives, from a cold cache;
   the same for β2 of Adam, the start's x (every run moves) and a schedule parameter. Then the
   whole page rerun (AppTest) that chooses the scrub, bank computed, against one without it.
2. Browser (headless Chromium, software rendering, 1280 × 720): the page opened with
   ``scrub=opt1.lr``; the bytes the server sent over the websocket until the page was drawn
   (the whole page, bank included); then the scrub slider stepped through its values one
   input event at a time, each time waiting until every chart it moves has been redrawn
   (the component's ``optviz-scrub-drawn`` event), and the websocket frames the browser sent
   meanwhile (there should be none).

Issue #15's targets: drag step <= 50 ms median, bank <= 300 ms, page <= 1.5 MB.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import replace

from optim_core.api import Scenario
from optim_core.scrub import compute_bank, parse_target
from tools.serve import CHROMIUM, CHROMIUM_FLAGS, ROOT, streamlit_server
from ui.scrub import describe, extents, payload
from ui.state import PlaygroundState

CHARTS = {"contour": "pg_contour", "loss": "pg_loss", "distance": "pg_distance", "effective": "pg_eff"}
DRAWN = """(index) => new Promise((resolve) => {
  const input = document.querySelector('.scrub input[type=range]')
    || [...document.querySelectorAll('*')].map(e => e.shadowRoot).filter(Boolean)
         .map(r => r.querySelector('.scrub input[type=range]')).find(Boolean);
  const done = (event) => { window.removeEventListener('optviz-scrub-drawn', done); resolve(event.detail); };
  window.addEventListener('optviz-scrub-drawn', done);
  const began = performance.now();
  input.value = String(index);
  input.dispatchEvent(new Event('input', { bubbles: true }));
  window.__began = began;
})"""


def server_side() -> list[tuple[str, int, float, float, int]]:
    """(target, values, bank seconds, payload seconds, payload bytes) for a few targets."""
    base = PlaygroundState().scenario()
    scenes = [
        (base, "opt1.lr"),
        (base, "opt5.beta2"),
        (base, "start.x"),
        (replace(base, schedule="step:gamma=0.5,step_size=100"), "schedule.gamma"),
    ]
    rows = []
    for scenario, text in scenes:
        scenario = Scenario.from_json(scenario.to_json())
        result = scenario.run()
        target = parse_target(text, scenario)
        start = time.perf_counter()
        bank = compute_bank(scenario, target)
        computed = time.perf_counter() - start
        start = time.perf_counter()
        data = payload(bank, result, describe(target, [r.label for r in result.runs]), CHARTS)
        extents(bank)
        size = len(json.dumps(data))
        built = time.perf_counter() - start
        rows.append((text, bank.values.size, computed, built, size))
    return rows


def page_reruns(repeats: int = 5) -> tuple[list[float], list[float]]:
    """AppTest reruns of the Playground: choosing the scrub (its bank not yet cached, so computed,
    built and serialized by this rerun) against a rerun that changes nothing new."""
    from streamlit.testing.v1 import AppTest

    from ui.cache import CACHE

    with_bank, plain = [], []
    for _ in range(repeats):
        at = AppTest.from_file(str(ROOT / "pages" / "playground.py"), default_timeout=120)
        at.run()
        CACHE.clear()
        at.run()  # the scene itself cached again
        start = time.perf_counter()
        at.selectbox(key="pg_scrub").set_value("opt1.lr").run()
        with_bank.append(time.perf_counter() - start)
        start = time.perf_counter()
        at.selectbox(key="pg_scrub").set_value("off").run()
        plain.append(time.perf_counter() - start)
        assert not at.exception
    return with_bank, plain


def browser_side(viewport=(1280, 720)) -> dict:
    from playwright.sync_api import sync_playwright

    received, sent = [], []
    with (
        streamlit_server(ROOT / "bench" / "results" / "streamlit-scrub.log") as url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})

        def on_socket(socket) -> None:
            socket.on("framereceived", lambda payload: received.append(len(payload)))
            socket.on("framesent", lambda payload: sent.append(len(payload)))

        page.on("websocket", on_socket)
        page.goto(f"{url}/?scrub=opt1.lr")
        page.locator(".scrub input[type=range]").wait_for(timeout=120_000)
        page.wait_for_timeout(3000)  # the rest of the page drawn
        page_bytes = sum(received)
        count = int(page.locator(".scrub input[type=range]").get_attribute("max")) + 1
        page.evaluate(DRAWN, 0)  # the first draw decodes nothing twice
        before = len(sent)
        steps = []
        for index in [*range(count), *range(count - 1, -1, -1)]:
            detail = page.evaluate(DRAWN, index)
            steps.append(detail["ms"])
        frames = len(sent) - before
        browser.close()
    return {"page_bytes": page_bytes, "steps_ms": steps, "frames_sent": frames, "members": count}


def main() -> None:
    print("server side: bank and payload, cold")
    for text, values, computed, built, size in server_side():
        print(
            f"  {text:16s} {values:3d} values  bank {computed * 1e3:6.1f} ms  payload {built * 1e3:6.1f} ms"
            f"  {size / 1e3:7.1f} kB"
        )
    with_bank, plain = page_reruns()
    print(
        f"  page rerun choosing the scrub (bank computed): median {statistics.median(with_bank) * 1e3:.0f} ms;"
        f" a rerun without it: {statistics.median(plain) * 1e3:.0f} ms"
    )
    out = browser_side()
    ordered = sorted(out["steps_ms"])
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    print(f"\nbrowser, 1280 x 720, scrub=opt1.lr ({out['members']} values, stepped across and back)")
    print(f"  page sent by the server until drawn: {out['page_bytes'] / 1e6:.2f} MB")
    print(f"  input -> redrawn (4 charts): median {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms")
    print(f"  websocket frames sent by the browser while scrubbing: {out['frames_sent']}")


if __name__ == "__main__":
    main()
