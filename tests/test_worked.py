"""The worked step (optim_core/worked.py): the rule's own code, traced, lands on the recording."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from page_test import PageTest

from optim_core import simulate
from optim_core.api import rule_variants
from optim_core.worked import worked_update

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.mark.parametrize("convention", ["lecture", "pytorch"])
def test_the_worked_update_returns_the_recorded_numbers_for_every_rule(convention):
    specs = rule_variants(convention)
    result = simulate("rosenbrock", specs, steps=40, schedule="cosine", convention=convention, start=(-1.2, 1.2))
    for run in range(len(specs)):
        for k in (0, 7, 39):
            lines = {line.name: (line.x, line.y) for line in worked_update(result, run, k)}
            np.testing.assert_array_equal(lines["θ after"], result.positions[run, k + 1], err_msg=specs[run])
            np.testing.assert_array_equal(lines["effective rate"], result.effective_lr[run, k], err_msg=specs[run])
            for name, values in result.state(run).items():
                np.testing.assert_array_equal(lines[f"{name} after"], values[k + 1], err_msg=f"{specs[run]} {name}")
                np.testing.assert_array_equal(lines[f"{name} before"], values[k], err_msg=f"{specs[run]} {name}")
            np.testing.assert_array_equal(lines["g"], result.gradients[run, k])


def test_the_worked_update_is_in_the_order_the_rule_computes_it():
    result = simulate(
        "rosenbrock", ["nadam:lr=0.05", "amsgrad:lr=0.05", "adam:lr=0.05"], steps=20, convention="pytorch"
    )
    nadam = [line.name for line in worked_update(result, 0, 10)]
    order = ["g", "mu_product before", "mu", "mu_product", "m", "v", "d", "mu_product_next", "θ after"]
    assert [n for n in nadam if n in order] == order
    adam = [line.name for line in worked_update(result, 2, 10)]
    order = ["g", "m", "v", "bc1", "bc2", "d", "θ after"]
    assert [n for n in adam if n in order] == order
    amsgrad = [line.name for line in worked_update(result, 1, 10)]
    assert amsgrad.index("v") < amsgrad.index("v_max") < amsgrad.index("d") < amsgrad.index("θ after")
    assert "bc1" in amsgrad and "bc2" in amsgrad  # torch's bias corrections, by their names in the code


def test_a_coordinate_whose_code_path_differs_shows_its_own_lines():
    # Rprop: find an update where one coordinate's gradient changed sign and the other's did not.
    result = simulate("rosenbrock", ["rprop:lr=0.05"], steps=200, convention="lecture")
    g = result.gradients[0]
    flips = g[1:] * g[:-1] < 0
    k = int(np.flatnonzero(flips[:, 0] != flips[:, 1])[0]) + 1
    lines = {line.name: (line.x, line.y) for line in worked_update(result, 0, k)}
    np.testing.assert_array_equal(lines["θ after"], result.positions[0, k + 1])
    assert any(np.isnan(values).any() for values in lines.values()), "one coordinate skips a line the other computes"


def test_the_playground_works_out_the_chosen_run():
    at = PageTest.open(APP, 120)
    at.query_params["opt"] = ["adagrad:lr=0.1", "lion:lr=0.005"]
    at.query_params["surface"] = "rosenbrock"
    at.run()
    assert not at.exception
    box = at.selectbox(key="pg_worked_run")
    tables = lambda: " ".join(h.proto.body for h in at.get("html"))  # noqa: E731
    captions = lambda: " ".join(c.value for c in at.caption)  # noqa: E731
    assert "rules.adagrad.update" in captions() and "the sum of every g² so far" in tables()
    assert "lion.update" not in captions()
    box.set_value(1).run()
    assert not at.exception
    assert "rules.lion" in captions() and "weight_decay" in tables()
