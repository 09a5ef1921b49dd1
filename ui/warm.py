"""The rest of the engine's compiled loops, compiled after the server's first page.

``make run`` compiles the loop the Playground's first view needs before it starts the server
(``optim_core.api.warm_up(first_page=True)``) and sets ``OPTVIZ_WARM_UP_LATER``; the first
script run to finish then starts one process, at idle priority, that compiles every other copy
(sweeps, scrubs, summary mode) into numba's cache. Started beside the first page at normal
priority, it took the CPU that page needed (fresh clone: first chart 16 s after the server
answered, against 8 s).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_lock = threading.Lock()
_started = False


def after_first_page() -> bool:
    """Start the warm-up process once per server, if ``make run`` asked for it; True if started now."""
    global _started
    if not os.environ.get("OPTVIZ_WARM_UP_LATER"):
        return False
    with _lock:
        if _started:
            return False
        _started = True
    # Idle priority through nice(1), not preexec_fn (unsafe in a process with threads, as the server is).
    command = [sys.executable, "-c", "from optim_core.api import warm_up; warm_up()"]
    nice = shutil.which("nice")
    subprocess.Popen(
        [nice, "-n", "19", *command] if nice else command,
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    return True
