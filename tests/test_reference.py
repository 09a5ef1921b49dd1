"""The Reference page and the docs share one formula source, complete in both conventions."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from optim_core import optimizers, schedules
from optim_core.optimizers import CONVENTIONS, OPTIMIZERS, coefficients
from optim_core.schedules import SCHEDULES

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_has_a_rule_and_an_effective_rate_in_each_convention(name):
    info = OPTIMIZERS[name]
    for convention in CONVENTIONS:
        assert info.rules[convention].strip() and info.effective_lr[convention].strip()
        assert info.rules[convention] in optimizers.__doc__  # the docstring is generated from the same source
        hp = {p.name: np.array([float(p.default)]) for p in info.params}
        if info.update is None:  # a setting of the generic update: the engine knows its coefficients
            assert coefficients(name, convention, hp, np.array([[1.0]]), np.array([[0.1]]))
        else:  # its own update, with its state and keys in the order the update takes them
            arguments = list(inspect.signature(info.update.py_func).parameters)
            state = [s.name for s, _ in info.state]
            powers = [f"{key}_k" for key in info.powers]
            assert arguments == ["g", "theta", "k", "eta", "base", "lecture", *state, *info.hyper_keys, *powers]
            assert tuple(arguments) == info.arguments


def test_every_schedule_has_a_formula_and_its_torch_equivalent():
    for info in SCHEDULES.values():
        assert info.latex.strip() and info.torch.strip()
        assert info.latex in schedules.__doc__


def test_reference_page_renders_every_rule_in_both_conventions():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/reference.py").run()
    assert not at.exception
    shown = {latex.value.strip("$\n") for latex in at.latex}  # st.latex wraps the formula in $$ … $$
    for info in OPTIMIZERS.values():
        for convention in CONVENTIONS:
            assert info.rules[convention] in shown, (info.name, convention)
    for info in SCHEDULES.values():
        assert info.latex in shown
    table = at.dataframe[0].value
    assert list(table["optimizer"]) == [info.display_name for info in OPTIMIZERS.values()]
