"""``optim-viz``: start the app, as ``make run`` does, from a checkout or a pip installation.

``pip install .`` puts the packages in site-packages and the app's scripts (``app.py``,
``pages/``, ``.streamlit/config.toml``) in ``<prefix>/share/optim-viz`` (pyproject.toml's
data-files): the scripts are not modules to import, and Streamlit runs them by path. In a
checkout, or after ``pip install -e .``, they are beside the packages.

    optim-viz                          # serves on 127.0.0.1:8501
    optim-viz --server.port 8600       # any other `streamlit run` option goes through
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

SHARED = Path("share") / "optim-viz"
# glibc's arenas that the server's threads allocate from. Streamlit runs each script run in a
# thread of its own, and glibc gives threads arenas of their own (up to eight per core): memory
# freed in one stayed with the process, in fragments malloc_trim could not return. After a
# session of bench.side_by_side the server held 249-252 MB with glibc's default and 219 MB with
# two (same hour). The script's thread holds Python's lock while it allocates, so threads
# rarely wait for an arena. Set before the server's threads start: here for `make run`, and in
# tools/serve.py for the tests and benches (as MALLOC_ARENA_MAX); later it changes nothing.
MALLOC_ARENAS = 2
M_ARENA_MAX = -8  # glibc's mallopt parameter


def share_allocator_arenas() -> None:
    """Limit this process to :data:`MALLOC_ARENAS` of glibc's arenas (a no-op without glibc)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, MALLOC_ARENAS)


def app_dir() -> Path:
    """The folder that holds app.py, pages/ and .streamlit/ (FileNotFoundError if none does)."""
    here = Path(__file__).resolve()
    candidates = [here.parent.parent]  # a checkout, or an editable install
    if len(here.parents) > 4:  # <prefix>/lib/pythonX.Y/site-packages/ui/launch.py
        candidates.append(here.parents[4] / SHARED)
    candidates += [Path(sysconfig.get_path("data")) / SHARED, Path(sys.prefix) / SHARED]
    for folder in candidates:
        if (folder / "app.py").is_file() and (folder / "pages").is_dir():
            return folder
    raise FileNotFoundError(f"app.py and pages/ were found in none of: {', '.join(map(str, candidates))}")


def start_first_page_warm_up() -> subprocess.Popen:
    """Compile the loop the Playground's first view runs in a process of its own, beside the
    starting server, and tell the server its pid: a page waits for it (ui.warm.wait_for_engine).
    The browser spends most of a first view loading Streamlit's code, so the compiling and the
    loading overlap instead of following each other (fresh clone: first chart 68 s after
    ``make run`` when the server started after the compiling)."""
    command = [sys.executable, "-c", "from optim_core.api import warm_up; warm_up(first_page=True)"]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    os.environ["OPTVIZ_WARMING_PID"] = str(process.pid)
    os.environ["OPTVIZ_WARM_UP_LATER"] = "1"  # the rest compiles after the first page (ui/warm.py)
    return process


def main(argv: list[str] | None = None) -> None:
    share_allocator_arenas()  # first: before any thread of the server allocates
    folder = app_dir()
    print("Preparing the engine (compiled once, then cached) while the server starts...", flush=True)
    start_first_page_warm_up()
    os.chdir(folder)  # Streamlit reads .streamlit/config.toml from the working folder
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(folder / "app.py"), *(sys.argv[1:] if argv is None else argv)]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
