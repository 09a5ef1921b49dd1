"""The command line run in-process, as the tests call it."""

from __future__ import annotations

import io
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout

from optim_core.cli import main as cli_main


def run_cli(*args: str) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``python -m optim_core *args``."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = cli_main(list(args))
        except SystemExit as exit_:
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def run_module(*args: str) -> subprocess.CompletedProcess:
    """``python -m optim_core *args`` in a fresh process."""
    return subprocess.run([sys.executable, "-m", "optim_core", *args], capture_output=True, text=True, timeout=120)
