"""Screenshots of every page at a projector's and a desktop's size, normal and presentation
mode, with what a reader of the figures meets measured on the page:

    python -m tools.screenshots [--out test-artifacts/screens/after] [--pages playground,sweep]

For each chart: the tick and axis-title font sizes (px), the plot area's share of its figure,
the legend's rows, and the colour of each trace (the contrast check is in the tests).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tools.serve import CHROMIUM, CHROMIUM_FLAGS, ROOT, streamlit_server

PAGES = {
    "playground": "/",
    "lessons": "/lessons",
    "schedules": "/schedules",
    "sweep": "/sweep",
    "reference": "/reference",
}
SIZES = {"1920x1080": (1920, 1080), "1280x720": (1280, 720), "390x844": (390, 844)}

# One record per chart on the page, read from the SVG plotly drew.
MEASURE_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].filter(gd => gd.checkVisibility()).map(gd => {
  const box = gd.getBoundingClientRect();
  const size = sel => [...gd.querySelectorAll(sel)].map(t => parseFloat(getComputedStyle(t).fontSize)).filter(v => v > 0);
  const fills = [...gd.querySelectorAll('.xtick text, .ytick text')].map(t => getComputedStyle(t).fill);
  const areas = [...gd.querySelectorAll('.draglayer .nsewdrag')].map(d => { const r = d.getBoundingClientRect(); return r.width * r.height; });
  const rows = new Set([...gd.querySelectorAll('.legend .traces')].map(t => Math.round(t.getBoundingClientRect().top)));
  const scene = gd.querySelector('.gl-container, .svg-container');
  return {
    top: box.top, width: box.width, height: box.height,
    ticks: size('.xtick text, .ytick text'), titles: size('.g-xtitle text, .g-ytitle text'),
    legend: size('.legend .legendtext'), tick_fill: fills[0] || null,
    plot_share: box.width * box.height > 0 ? areas.reduce((a, b) => a + b, 0) / (box.width * box.height) : 0,
    legend_rows: rows.size,
    colours: (gd.data || []).filter(t => t.showlegend !== false && t.name && (t.mode || 'lines').includes('lines')).map(t => [t.name, (t.line && t.line.color) || null]),
  };
})"""
# The phone size is shot as a phone: touch, and a phone's User-Agent (the Playground adapts to it).
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36"
)
IDLE = '[data-testid="stStatusWidgetRunningIcon"]'


def wait_idle(page, timeout: float = 120_000) -> None:
    page.wait_for_function(
        f"() => !document.querySelector('{IDLE}') && !document.querySelector('[data-stale=true]')"
        " && !document.querySelector('[data-optviz-pending]')"
        " && document.querySelectorAll('.js-plotly-plot').length > 0",
        timeout=timeout,
    )
    page.wait_for_timeout(800)


def shoot(url: str, out: Path, pages: list[str]) -> dict:
    from playwright.sync_api import sync_playwright

    report = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        for name in pages:
            for size, (width, height) in SIZES.items():
                for mode in ("normal", "present"):
                    if size == "390x844" and mode == "present":
                        continue
                    phone = {"is_mobile": True, "has_touch": True, "user_agent": PHONE_AGENT} if width < 500 else {}
                    page = browser.new_page(viewport={"width": width, "height": height}, **phone)
                    query = "?present=1" if mode == "present" else ""
                    page.goto(f"{url}{PAGES[name]}{query}", timeout=180_000)
                    try:
                        wait_idle(page, 240_000)
                        wait_idle(page, 240_000)  # presenting, the Playground reruns once it knows the screen
                    except Exception as error:  # a shot of what is there says more than none
                        print(f"{name} {size} {mode}: {type(error).__name__}")
                    shot = out / f"{name}-{size}-{mode}.png"
                    page.screenshot(path=str(shot))
                    report[shot.stem] = page.evaluate(MEASURE_JS)
                    page.close()
        browser.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "test-artifacts" / "screens" / "after"))
    parser.add_argument("--pages", default=",".join(PAGES))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with streamlit_server(out / "streamlit.log") as url:
        report = shoot(url, out, args.pages.split(","))
    (out / "measurements.json").write_text(json.dumps(report, indent=1))
    for shot, charts in report.items():
        first = charts[0] if charts else {}
        print(
            f"{shot:32s} charts {len(charts):2d}  first: top {first.get('top', 0):4.0f} px, ticks "
            f"{min(first.get('ticks') or [0]):.0f} px, plot {100 * first.get('plot_share', 0):3.0f} %, "
            f"legend rows {first.get('legend_rows', 0)}"
        )


if __name__ == "__main__":
    main()
