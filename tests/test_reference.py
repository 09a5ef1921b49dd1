"""The Reference page and the docs share one formula source, complete in both conventions."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from optim_core import optimizers, schedules
from optim_core.optimizers import CONVENTIONS, OPTIMIZERS
from optim_core.schedules import SCHEDULES

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_has_a_rule_and_an_effective_rate_in_each_convention(name):
    info = OPTIMIZERS[name]
    for convention in CONVENTIONS:
        assert info.rules[convention].strip() and info.effective_lr[convention].strip()
        assert info.rules[convention] in optimizers.__doc__  # the docstring is generated from the same source
    # its update, with its state, keys and per-update values in the order the update takes them
    arguments = list(inspect.signature(info.update.py_func).parameters)
    state = [s.name for s, _ in info.state]
    per_update = list(info.per_update.names) if info.per_update else []
    assert arguments == ["g", "theta", "k", "eta", "base", "lecture", *state, *info.hyper_keys, *per_update]
    assert tuple(arguments) == info.arguments
    if info.per_update:  # the keys it computes them from are the rule's, and it returns one value per name
        assert set(info.per_update.keys) <= set(info.hyper_keys)
        hyper = {p.name: p.default for p in info.params}
        assert len(info.per_update.values(3, hyper)) == len(info.per_update.names)


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
            # Each step of the rule on a line of its own, in order (side by side they ran past
            # their half of the page at 1280 px).
            steps = [step.strip() for step in re.split(r";\\(?:quad|qquad|\s)", info.rules[convention])]
            expected = steps[0] if len(steps) == 1 else r"\begin{gathered}" + r" \\ ".join(steps) + r"\end{gathered}"
            assert expected in shown, (info.name, convention)
            assert len(steps) > 1 or ";" not in info.rules[convention].replace(r"\;", ""), (info.name, convention)
    for info in SCHEDULES.values():
        assert info.latex in shown
    table = at.dataframe[0].value
    assert list(table["optimizer"]) == [info.display_name for info in OPTIMIZERS.values()]
    captions = " ".join(caption.value for caption in at.caption)
    for info in OPTIMIZERS.values():  # each rule's state, named, and where one convention alone keeps it
        for state, _ in info.state:
            assert f"`{state.name}`" in captions and state.meaning in captions, (info.name, state.name)
    assert "`mu_product` (pytorch convention only)" in captions
