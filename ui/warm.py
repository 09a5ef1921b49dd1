"""What a server does around its first pages: wait for the engine's first loop, compile the
rest of the engine's loops, and freeze the objects of the modules they loaded.

``make run`` (``ui.launch``) compiles the loop the Playground's first view needs in a process
beside the starting server (``optim_core.api.warm_up(first_page=True)``) and passes its pid in
``OPTVIZ_WARMING_PID``: a page's script waits for it (:func:`wait_for_engine`) instead of
compiling the same loop a second time. It also sets ``OPTVIZ_WARM_UP_LATER``; the first script
run to finish then starts one process, at idle priority, that compiles every other loop (each
rule's own, for sweeps and larger batches, and the fused loop of the Sweep page's first
start-point map) into numba's cache (:func:`warm_everything`). Started beside the first page
at normal priority, it took the CPU that page needed (fresh clone: first chart 16 s after the
server answered, against 8 s).

Streamlit runs ``gc.collect(2)`` after every script run (``runner.postScriptGC``). That scanned
the ~176,000 objects of numpy, plotly, numba, Streamlit and the app on every rerun: 107-120 ms
of a Playground rerun with the GIL held, during which the server neither sent nor received.
``gc.freeze`` after a run that loaded modules puts what is alive then out of the collector's
way (0.2-2 ms a collection after it); reference counting still frees it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_lock = threading.Lock()
_started = False


def _running(pid: int) -> bool:
    """Whether process ``pid`` (a child of this server, or not) is still running."""
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)  # reaps our child once it exits
        return finished == 0
    except ChildProcessError:  # reaped already (by another session's wait), or not our child
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True


def wait_for_engine(timeout: float = 300.0) -> bool:
    """Wait, with a spinner, while the first loop of the engine compiles (``OPTVIZ_WARMING_PID``);
    True if this call waited."""
    global _engine_ready
    pid = os.environ.get("OPTVIZ_WARMING_PID")
    if _engine_ready or not pid or not pid.isdigit() or not _running(int(pid)):
        _engine_ready = True
        return False
    import streamlit as st

    deadline = time.monotonic() + timeout
    with st.spinner("Preparing the engine: compiled once on a new install, then cached (about 20 s)..."):
        while time.monotonic() < deadline and _running(int(pid)):
            time.sleep(0.1)
    _engine_ready = True
    return True


_engine_ready = False


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
    command = [sys.executable, "-c", "from ui.warm import warm_everything; warm_everything()"]
    nice = shutil.which("nice")
    subprocess.Popen(
        [nice, "-n", "19", *command] if nice else command,
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    return True


def warm_everything() -> None:
    """What the process started after a server's first page compiles (:func:`after_first_page`):
    every loop of the engine (``warm_up``), then the fused loop that the Sweep page's first
    start-point map needs (one rule, one surface, one convention: compiled when first needed,
    it made that page's first view wait 0.96 s longer on a fresh install, measured)."""
    from optim_core.api import basin_map, suggested_spec, warm_up
    from ui.state import SWEEP_DEFAULTS as first

    warm_up()
    spec = suggested_spec(first["sw_surface"], first["sw_optimizer"])
    basin_map(
        first["sw_surface"], spec, first["sw_basin_resolution"], first["sw_steps"], convention=first["sw_convention"]
    )


_modules_frozen = 0


def freeze_what_is_loaded() -> bool:
    """After a script run that imported modules: collect, then move every object alive to the
    permanent generation that the cyclic collector skips (``gc.freeze``); True if it froze."""
    global _modules_frozen
    import gc

    with _lock:
        if len(sys.modules) <= _modules_frozen:
            return False
        _modules_frozen = len(sys.modules)
        gc.collect()
        gc.freeze()
    return True
