"""Many users on one server: concurrent sessions, and heavy links one after another.

    python -m bench.load                 # both scenes
    python -m bench.load --sessions 10   # (a) only, with 10 browser contexts
    python -m bench.load --heavy 50      # (b) only, with 50 links

(a) ``--sessions N`` browser contexts (headless Chromium, one server on loopback) at once: each
    opens the Playground, moves the Steps slider ten times and changes the surface once,
    waiting after each action until the contour holds new data. Reported: failed sessions,
    p50/p95 of action -> redraw, and whether any session saw another's state.
(b) ``--heavy N`` distinct links asking for the largest Playground scene (12 runs x 5,000
    steps), opened one after another in fresh contexts that are closed again.

For both: the server's resident memory before (after one first visit of each scene, which loads
what a server loads once), at its peak (sampled every 0.2 s) and after the sessions closed
(Streamlit drops a session's state a little after its browser leaves).
Everything stays on 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
import urllib.parse
from pathlib import Path

from tools.serve import CHROMIUM, CHROMIUM_FLAGS, ROOT, streamlit_server

DIGEST = """() => { const el = document.querySelector('.js-plotly-plot');
  return el && el.data ? JSON.stringify(el.data.map(t => [t.name, t.x && (t.x.bdata || t.x.length)])) : ''; }"""
RUNNING = '[data-testid="stStatusWidgetRunningIcon"]'
ACTION_TIMEOUT = 120.0


def server_pid(url: str) -> int:
    port = urllib.parse.urlparse(url).port
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"streamlit" in b" ".join(cmdline) and str(port).encode() in cmdline:
                return int(proc.name)
    raise RuntimeError(f"no streamlit process on port {port}")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class MemorySampler:
    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, rss_mb(pid), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, rss_mb(self.pid))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


async def wait_new_contour(page, before: str, timeout: float = ACTION_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = await page.evaluate(DIGEST)
        if now and now != before and not await page.query_selector(RUNNING):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("the contour did not change")


async def one_session(browser, url: str, index: int, timings: list[float]) -> str | None:
    """Returns None, or what went wrong."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = await context.new_page()
        surface = ["booth", "himmelblau", "beale", "three_hump_camel", "valley"][index % 5]
        await page.goto(f"{url}/?surface=rosenbrock&seed={index}", timeout=ACTION_TIMEOUT * 1000)
        await page.wait_for_function(
            "() => { const el = document.querySelector('.js-plotly-plot');"
            " return el && el.data && el.data.length > 0; }",
            timeout=ACTION_TIMEOUT * 1000,
        )
        thumb = page.locator('[data-testid="stSlider"]').filter(has_text="Steps").first.locator('input[type="range"]')
        for _ in range(10):
            before = await page.evaluate(DIGEST)
            start = time.perf_counter()
            await thumb.focus()
            await thumb.press("ArrowRight")
            await wait_new_contour(page, before)
            timings.append(time.perf_counter() - start)
        before = await page.evaluate(DIGEST)
        start = time.perf_counter()
        await page.goto(f"{url}/?surface={surface}&seed={index}", timeout=ACTION_TIMEOUT * 1000)
        await wait_new_contour(page, before)
        timings.append(time.perf_counter() - start)
        query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
        if query.get("seed") != [str(index)] and index:
            return f"session {index} shows another session's state: {page.url}"
        return None
    except Exception as error:  # a failed session is what this counts
        return f"session {index}: {type(error).__name__}: {str(error)[:120]}"
    finally:
        await context.close()


async def concurrent(url: str, sessions: int) -> tuple[list[str], list[float]]:
    from playwright.async_api import async_playwright

    timings: list[float] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        results = await asyncio.gather(*(one_session(browser, url, i, timings) for i in range(sessions)))
        await browser.close()
    return [r for r in results if r], timings


async def heavy_links(url: str, links: int) -> tuple[list[str], list[float]]:
    from playwright.async_api import async_playwright

    failures, timings = [], []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        for i in range(links):
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            opts = [f"adam:lr={0.001 * (1 + i)!r},label=a{k}" for k in range(12)]
            query = urllib.parse.urlencode({"surface": "rosenbrock", "opt": opts, "steps": "5000"}, doseq=True)
            start = time.perf_counter()
            try:
                await page.goto(f"{url}/?{query}", timeout=ACTION_TIMEOUT * 1000)
                await wait_new_contour(page, "")
                timings.append(time.perf_counter() - start)
            except Exception as error:
                failures.append(f"link {i}: {type(error).__name__}")
            await context.close()
        await browser.close()
    return failures, timings


def settle(pid: int, seconds: float = 180.0) -> float:
    """Memory once the closed sessions are dropped (Streamlit keeps a disconnected session for
    server.disconnectedSessionTTL, 120 s): the lowest sample over three minutes."""
    low, deadline = rss_mb(pid), time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(2)
        low = min(low, rss_mb(pid))
    return low


def report(name: str, failures: list[str], timings: list[float], before: float, peak: float, after: float) -> None:
    ordered = sorted(timings) or [float("nan")]
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    print(f"\n{name}")
    print(f"  failed: {len(failures)}" + "".join(f"\n    {f}" for f in failures))
    print(f"  action -> redraw: p50 {statistics.median(ordered):.2f} s, p95 {p95:.2f} s ({len(timings)} actions)")
    print(f"  server memory: {before:.0f} MB before, {peak:.0f} MB at peak, {after:.0f} MB after "
          f"({100 * (after - before) / before:+.0f} %)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=None, help="concurrent browser sessions (scene a)")
    parser.add_argument("--heavy", type=int, default=None, help="heavy links opened in turn (scene b)")
    args = parser.parse_args()
    if args.sessions is None and args.heavy is None:
        args.sessions, args.heavy = 10, 50
    with streamlit_server(ROOT / "test-artifacts" / "streamlit-load.log") as url:
        pid = server_pid(url)
        # First visits, so that "before" includes what every server loads once (compiled code,
        # the figures' machinery for every surface the scenes draw): one heavy link and one
        # session of scene (a).
        asyncio.run(heavy_links(url, 1))
        if args.sessions:
            asyncio.run(concurrent(url, 1))
        before = settle(pid, 10)
        if args.sessions:
            with MemorySampler(pid) as sampler:
                failures, timings = asyncio.run(concurrent(url, args.sessions))
            report(f"(a) {args.sessions} concurrent sessions", failures, timings, before, sampler.peak, settle(pid))
        if args.heavy:
            start = settle(pid, 10)
            with MemorySampler(pid) as sampler:
                failures, timings = asyncio.run(heavy_links(url, args.heavy))
            report(f"(b) {args.heavy} heavy links in turn", failures, timings, start, sampler.peak, settle(pid))


if __name__ == "__main__":
    main()
