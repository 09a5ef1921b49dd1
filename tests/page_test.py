"""AppTest as a browser sees a page whose parts rerun alone (Streamlit fragments).

A control of the Playground that changes only numbers (a rate, the steps, the start) reruns the
views' fragment alone: the browser keeps the rest of the page (the title, the sidebar) as it
was. AppTest's tree holds only what the last run drew, so after a run of fragments alone a
test would find no sidebar. :class:`PageTest` then runs the page again whole, with the same
values: its tree is the page the browser shows. ``fragment_runs`` counts the runs of fragments
alone (a test can check that a control took that path).
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

from streamlit.runtime.scriptrunner import ScriptRunnerEvent
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as _app_test
from streamlit.testing.v1.local_script_runner import LocalScriptRunner


class _Runner(LocalScriptRunner):
    """The runner AppTest makes for each run, noting whether the run drew fragments alone."""

    fragment_only = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.on_event.connect(self._note, weak=False)

    def _note(self, sender, event, **kwargs) -> None:
        if event == ScriptRunnerEvent.SCRIPT_STARTED:
            _Runner.fragment_only = bool(kwargs.get("fragment_ids_this_run"))


class PageTest(AppTest):
    fragment_runs = 0

    @classmethod
    def open(cls, path: str | Path, timeout: float) -> PageTest:
        """``AppTest.from_file`` for an absolute ``path`` (which gives an AppTest, not this class)."""
        return cls(str(Path(path).resolve()), default_timeout=timeout)

    def _run(self, widget_state=None, timeout=None) -> PageTest:
        with mock.patch.object(_app_test, "LocalScriptRunner", _Runner):
            _Runner.fragment_only = False
            super()._run(widget_state, timeout)
            if _Runner.fragment_only:
                self.fragment_runs += 1
                super()._run(None, timeout)  # the values are in the session already
        return self
