"""The race as a file: the default scene (the Playground's first view) as a GIF and an MP4.

    python -m bench.animation

Issue #17 asks for 15 s at most on this machine. Timed in one fresh process, in order: the
first file includes starting Chromium for the background (kaleido); then each format and
slide size at 60 frames, 15 per second.
"""

from __future__ import annotations

import time

from ui.animation import race_file
from ui.state import PlaygroundState


def main() -> None:
    result = PlaygroundState().scenario().run()
    print(f"default scene: {result.surface.name}, {len(result.runs)} runs, {result.steps} steps; 60 frames")
    cases = [("gif", "1280x720", "first file (Chromium starts)"), ("gif", "1280x720", ""), ("mp4", "1280x720", ""),
             ("gif", "1920x1080", ""), ("mp4", "1920x1080", "")]  # fmt: skip
    for fmt, size, note in cases:
        start = time.perf_counter()
        data = race_file(result, fmt, size, 60, 15)
        seconds = time.perf_counter() - start
        print(f"{fmt} {size:>9}: {seconds:5.1f} s, {len(data) / 1e6:4.2f} MB {note}")


if __name__ == "__main__":
    main()
