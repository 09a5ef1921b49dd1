"""Surfaces: gradients against finite differences and sympy, minima, grids, typed functions."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from optim_core import SpecError, simulate
from surfaces import CATALOG, ExpressionError, make_surface, parse_expression
from surfaces.compiled import COMPILED, drop_stale_cache, evaluate, kernel_id, kernel_params
from surfaces.sparse import SLICE_ELEMENTS, reconstructed_data

X, Y = sp.symbols("x y", real=True)

# Independent sympy transcriptions of surfaces.md (not the code's formulas).
SYMPY_FORMULAS = {
    "rosenbrock": (1 - X) ** 2 + 100 * (Y - X**2) ** 2,
    "rosenbrock:a=0.5,b=20": (sp.Rational(1, 2) - X) ** 2 + 20 * (Y - X**2) ** 2,
    "beale": (sp.Rational(3, 2) - X + X * Y) ** 2
    + (sp.Rational(9, 4) - X + X * Y**2) ** 2
    + (sp.Rational(21, 8) - X + X * Y**3) ** 2,
    "himmelblau": (X**2 + Y - 11) ** 2 + (X + Y**2 - 7) ** 2,
    "booth": (X + 2 * Y - 7) ** 2 + (2 * X + Y - 5) ** 2,
    "rastrigin": 20 + X**2 - 10 * sp.cos(2 * sp.pi * X) + Y**2 - 10 * sp.cos(2 * sp.pi * Y),
    "ackley": -20 * sp.exp(-sp.Rational(1, 5) * sp.sqrt((X**2 + Y**2) / 2))
    - sp.exp((sp.cos(2 * sp.pi * X) + sp.cos(2 * sp.pi * Y)) / 2)
    + sp.E
    + 20,
    "goldstein_price": (1 + (X + Y + 1) ** 2 * (19 - 14 * X + 3 * X**2 - 14 * Y + 6 * X * Y + 3 * Y**2))
    * (30 + (2 * X - 3 * Y) ** 2 * (18 - 32 * X + 12 * X**2 + 48 * Y - 36 * X * Y + 27 * Y**2)),
    "three_hump_camel": 2 * X**2 - sp.Rational(105, 100) * X**4 + X**6 / 6 + X * Y + Y**2,
    "six_hump_camel": (4 - sp.Rational(21, 10) * X**2 + X**4 / 3) * X**2 + X * Y + (-4 + 4 * Y**2) * Y**2,
    "saddle": X**2 - Y**2,
    "monkey_saddle": X**3 - 3 * X * Y**2,
    "valley:kappa=10,angle=30": sp.Rational(1, 2)
    * (
        (sp.cos(sp.pi / 6) * X + sp.sin(sp.pi / 6) * Y) ** 2
        + 10 * (-sp.sin(sp.pi / 6) * X + sp.cos(sp.pi / 6) * Y) ** 2
    ),
    "custom:expr=sin(x)*exp(-y**2) + log(1 + x**2) + abs(y)**3": sp.sin(X) * sp.exp(-(Y**2))
    + sp.log(1 + X**2)
    + sp.Abs(Y) ** 3,
}


def sparse_formula(n: int, sparsity: float):
    xs, targets = reconstructed_data(n, sparsity)
    terms = [(1 / (1 + sp.exp(-(X * float(x) + Y))) - float(t)) ** 2 for x, t in zip(xs, targets, strict=True)]
    return sp.Add(*terms) / n


SYMPY_FORMULAS["sparse_dense:n=12,sparsity=0.75"] = sparse_formula(12, 0.75)


def random_points(surface, count=25, seed=0):
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = surface.domain
    return rng.uniform(x0, x1, count), rng.uniform(y0, y1, count)


ALL_SPECS = [name for name in CATALOG if name != "custom"] + [
    "rosenbrock:a=0.5,b=20",
    "valley:kappa=10,angle=30",
    "sparse_dense:n=12,sparsity=0.75",
    "custom:expr=sin(x)*exp(-y**2) + log(1 + x**2) + abs(y)**3",
]


@pytest.mark.parametrize("spec", ALL_SPECS)
def test_gradient_matches_central_finite_differences(spec):
    surface = make_surface(spec)
    xs, ys = random_points(surface)
    gx, gy = surface.grad(xs, ys)
    scale = np.maximum(1.0, np.abs(surface.value(xs, ys)))
    h = 1e-6 * np.maximum(1.0, np.abs(np.stack([xs, ys])))
    fd_x = (surface.value(xs + h[0], ys) - surface.value(xs - h[0], ys)) / (2 * h[0])
    fd_y = (surface.value(xs, ys + h[1]) - surface.value(xs, ys - h[1])) / (2 * h[1])
    for exact, numeric in ((gx, fd_x), (gy, fd_y)):
        assert np.all(np.abs(exact - numeric) <= 1e-5 * np.abs(numeric) + 1e-6 * scale)


@pytest.mark.parametrize("spec", list(SYMPY_FORMULAS))
def test_value_and_gradient_match_sympy(spec):
    surface = make_surface(spec)
    formula = SYMPY_FORMULAS[spec]
    derivatives = [sp.diff(formula, var) for var in (X, Y)]
    xs, ys = random_points(surface, count=8, seed=1)
    for x, y in zip(xs, ys, strict=True):
        at = {X: x, Y: y}
        assert float(surface.value(x, y)) == pytest.approx(float(formula.evalf(subs=at)), rel=1e-10, abs=1e-12)
        gx, gy = surface.grad(x, y)
        assert float(gx) == pytest.approx(float(derivatives[0].evalf(subs=at)), rel=1e-9, abs=1e-9)
        assert float(gy) == pytest.approx(float(derivatives[1].evalf(subs=at)), rel=1e-9, abs=1e-9)


def test_every_catalog_surface_is_checked_against_sympy():
    checked = {spec.split(":")[0] for spec in SYMPY_FORMULAS}
    assert checked == set(CATALOG)


@pytest.mark.parametrize("name", [n for n in CATALOG if n != "custom"])
def test_listed_minima_have_their_values_and_zero_gradient(name):
    surface = make_surface(name)
    if name in ("saddle", "monkey_saddle"):
        assert surface.minima == () and surface.min_value is None
        return
    assert surface.minima
    for minimum in surface.minima:
        assert float(surface.value(minimum.x, minimum.y)) == pytest.approx(minimum.value, abs=1e-12)
        gx, gy = surface.grad(minimum.x, minimum.y)
        assert abs(float(gx)) < 1e-6 and abs(float(gy)) < 1e-6
    values = [m.value for m in surface.minima if m.is_global]
    assert surface.min_value == pytest.approx(min(values))


@pytest.mark.parametrize("name", [n for n in CATALOG if CATALOG[n].saddles])
def test_listed_saddle_points_are_stationary_with_lower_and_higher_ground_around(name):
    surface = make_surface(name)
    for x, y in surface.saddles:
        gx, gy = surface.grad(x, y)
        assert abs(float(gx)) < 1e-9 and abs(float(gy)) < 1e-9
        angles = np.linspace(0, 2 * np.pi, 64, endpoint=False)
        ring = surface.value(x + 1e-3 * np.cos(angles), y + 1e-3 * np.sin(angles)) - float(surface.value(x, y))
        assert ring.min() < 0 < ring.max(), name


def test_saddles_are_listed_where_the_lectures_surfaces_have_them():
    assert make_surface("saddle").saddles == ((0.0, 0.0),)
    assert make_surface("monkey_saddle").saddles == ((0.0, 0.0),)
    assert len(make_surface("himmelblau").saddles) == 4


@pytest.mark.parametrize(
    ("expr", "minima", "saddles", "min_value"),
    [
        # one global minimum: the example gets a gap axis and a distance chart
        ("x**2 + 10*y**2", [(0.0, 0.0, 0.0)], [], 0.0),
        ("(x - 1)**2 + (y + 0.5)**2", [(1.0, -0.5, 0.0)], [], 0.0),
        # two equal minima with a saddle between them
        ("x**4 - 2*x**2 + y**2", [(-1.0, 0.0, -1.0), (1.0, 0.0, -1.0)], [(0.0, 0.0)], -1.0),
        # a local minimum of a function unbounded below: no global minimum is claimed
        ("x**3 - 3*x + y**2", [(1.0, 0.0, -2.0)], [(-1.0, 0.0)], None),
        ("x**2 - y**2", [], [(0.0, 0.0)], None),
        ("sqrt(x) + y**2", [], [], None),  # the lowest point is on the edge of where f is defined
    ],
)
def test_a_typed_function_gets_its_minima_and_saddles_from_its_gradient(expr, minima, saddles, min_value):
    surface = make_surface(f"custom:expr={expr}")
    found = [(m.x, m.y, m.value) for m in surface.minima]
    assert len(found) == len(minima)
    for (x, y, value), (ex, ey, evalue) in zip(sorted(found), sorted(minima), strict=True):
        assert (x, y, value) == pytest.approx((ex, ey, evalue), abs=1e-10)
    np.testing.assert_allclose(np.reshape(sorted(surface.saddles), (-1, 2)), np.reshape(saddles, (-1, 2)), atol=1e-10)
    assert surface.min_value == (None if min_value is None else pytest.approx(min_value, abs=1e-12))


def test_known_minimum_values_from_the_literature():
    assert make_surface("goldstein_price").min_value == 3.0
    six = make_surface("six_hump_camel")
    assert six.min_value == pytest.approx(-1.0316284534898774, abs=1e-12)
    himmelblau = make_surface("himmelblau").minima
    assert len(himmelblau) == 4 and all(abs(m.value) < 1e-20 for m in himmelblau)
    best = make_surface("rosenbrock:a=1.5").minima[0]
    assert (best.x, best.y) == (1.5, 2.25)


@pytest.mark.parametrize("spec", ALL_SPECS)
def test_grid_evaluation_equals_pointwise(spec):
    surface = make_surface(spec)
    xs, ys, z = surface.grid(resolution=9)
    for i in (0, 4, 8):
        for j in (0, 3, 8):
            assert z[i, j] == pytest.approx(float(surface.value(xs[j], ys[i])), rel=1e-13, abs=1e-13)


@pytest.mark.parametrize("spec", ALL_SPECS)
def test_start_points_lie_in_the_domain(spec):
    surface = make_surface(spec)
    (x0, x1), (y0, y1) = surface.domain
    for x, y in surface.starts:
        assert x0 <= x <= x1 and y0 <= y <= y1
        assert np.isfinite(surface.value(x, y))


def test_ackley_gradient_at_the_origin_is_zero_not_nan():
    gx, gy = make_surface("ackley").grad(0.0, 0.0)
    assert float(gx) == 0.0 and float(gy) == 0.0


def test_sparse_dense_data_have_the_requested_fraction_of_zeros():
    x, _ = reconstructed_data(200, 0.8)
    assert np.mean(x == 0) == pytest.approx(0.8)
    again, _ = reconstructed_data(200, 0.8)
    np.testing.assert_array_equal(x, again)  # fixed seed


def test_sparse_dense_minibatch_gradient_of_w_is_exactly_zero_without_a_nonzero_x():
    surface = make_surface("sparse_dense:batch=2,sparsity=0.9")
    steps = 200
    sampler = surface.gradient_sampler(steps, seed=3)
    has_signal = surface.batch_has_signal(steps, seed=3)
    assert 0.5 < np.mean(~has_signal) < 0.95  # most batches carry no sparse feature
    # Away from b* = −1, where the points with x = 0 would fit exactly and give b no gradient.
    w, b = np.array([-3.0, 1.0]), np.array([2.0, 0.5])
    for t in range(steps):
        gw, gb = sampler(w, b, t)
        if has_signal[t]:
            assert np.all(gw != 0)
        else:
            assert np.all(gw == 0.0)
        assert np.all(gb != 0)


def test_sparse_dense_full_batch_gradient_is_the_exact_mean():
    surface = make_surface("sparse_dense")
    sampler = surface.gradient_sampler(5, seed=0)
    gw, gb = sampler(np.array([0.5]), np.array([0.3]), 2)
    ew, eb = surface.grad(np.array([0.5]), np.array([0.3]))
    assert gw[0] == ew[0] and gb[0] == eb[0]


@pytest.mark.parametrize("spec", ["sparse_dense", "sparse_dense:n=1000,sparsity=0.3", "sparse_dense:n=10"])
def test_sparse_dense_compiled_formula_is_numpys_matrix_form(spec):
    """The engine runs the full batch through ``fdf`` (a sum in the data's order); the grid and
    the mini-batches through NumPy's (points × data) matrix: the same numbers, to rounding."""
    surface = make_surface(spec)
    rng = np.random.default_rng(11)
    w, b = rng.uniform(-6, 6, 200), rng.uniform(-6, 6, 200)
    compiled = np.stack(surface.fdf(w, b, surface.formula_params()))
    np.testing.assert_allclose(compiled, np.stack([surface.value(w, b), *surface.grad(w, b)]), rtol=1e-12, atol=1e-15)
    assert kernel_id(surface) >= 0 and kernel_id(make_surface(spec + ("," if ":" in spec else ":") + "batch=5")) < 0


@pytest.mark.parametrize("spec", ["sparse_dense", "sparse_dense:n=1000", "sparse_dense:batch=7"])
def test_sparse_dense_numbers_do_not_depend_on_how_many_points_are_evaluated_together(spec):
    """Points are evaluated a slice at a time (surfaces.sparse.SLICE_ELEMENTS): each point's
    value and gradient equal the same point evaluated alone, on a grid spanning many slices."""
    surface = make_surface(spec)
    rng = np.random.default_rng(5)
    w, b = rng.uniform(-6, 6, (40, 30)), rng.uniform(-6, 6, (40, 30))
    assert w.size * surface.x_data.size > 3 * SLICE_ELEMENTS
    value, (gw, gb) = surface.value(w, b), surface.gradient_sampler(4, seed=1)(w, b, 2)
    assert value.shape == gw.shape == gb.shape == w.shape
    sampler = surface.gradient_sampler(4, seed=1)
    for i, j in [(0, 0), (17, 4), (39, 29)]:
        alone = np.array([w[i, j]]), np.array([b[i, j]])
        assert value[i, j] == surface.value(*alone)[0]
        assert (gw[i, j], gb[i, j]) == tuple(float(g[0]) for g in sampler(*alone, 2))


def test_noise_is_seeded_and_shared_by_all_runs():
    surface = make_surface("booth:noise=2")
    a = surface.gradient_sampler(10, seed=4)
    b = surface.gradient_sampler(10, seed=4)
    c = surface.gradient_sampler(10, seed=5)
    x, y = np.array([0.0, 1.0]), np.array([0.0, 2.0])
    exact = surface.grad(x, y)
    ga, gb, gc = a(x, y, 3), b(x, y, 3), c(x, y, 3)
    np.testing.assert_array_equal(ga[0], gb[0])
    assert not np.array_equal(ga[0], gc[0])
    np.testing.assert_allclose(ga[0] - exact[0], ga[0][0] - exact[0][0])  # same draw for both runs


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("rosenbrock:c=1", "unknown key 'c'; allowed: a, b, noise"),
        ("rosenbrock:b=0", "b=0 is out of range"),
        ("valley:kappa=1e9", "kappa=1000000000 is out of range"),
        ("sparse_dense:batch=50,n=20", "batch=50 is larger than n=20"),
        ("custom:expr=x+y,xmin=3,xmax=1", "xmin < xmax"),
        ("nowhere", "unknown surface nowhere"),
    ],
)
def test_bad_surface_spec_names_what_is_wrong(spec, message):
    with pytest.raises(SpecError, match=re.escape(message)):
        make_surface(spec)


# ----- typed functions -------------------------------------------------------------------------

SENTINEL = Path("/tmp/optim-viz-pwned")

HOSTILE = [
    "__import__('os').system('touch /tmp/optim-viz-pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "x.real",
    "(lambda: 1)()",
    "[x for x in (1, 2)]",
    "{x for x in (1, 2)}",
    "{1: x}",
    "(x for x in (1,))",
    "'abc'",
    "b'abc'",
    "f'{x}'",
    "(y := 3)",
    "x[0]",
    "x[0:1]",
    "9**9**9",
    "x**100",
    "2**1000",
    "x**(10**10)",
    "exp(x)**999",
    "eval('1')",
    "exec('1')",
    "open('/etc/passwd')",
    "getattr(x, 'y')",
    "globals()",
    "sin(x, y)",
    "sin(x=1)",
    "sin(*[x])",
    "x if y else 1",
    "x and y",
    "x < y",
    "x == y",
    "not x",
    "~x",
    "x ^ 2",
    "x // 2",
    "x % 2",
    "x @ y",
    "x << 2",
    "z + 1",
    "sin",
    "__builtins__",
    "1e400 * x",
    "10000000000 * x",
    "(" * 30 + "x" + ")" * 30,
    "x" + "+x" * 150,
    "sin(" * 25 + "x" + ")" * 25,
    "import os",
    "x; y",
    "x = 1",
    "",
    "   ",
    "2x",
    "x +",
    "True + x",
    "None",
    "1j * x",
    "x / 0",
    "await x",
    "yield x",
    "[x, y]",
    "(x, y)",
    "x.__add__(y)",
    "print(x)",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_expression_is_refused_quickly_with_a_reason(text):
    start = time.perf_counter()
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.1, f"took {elapsed * 1e3:.1f} ms"
    message = str(caught.value)
    assert len(message) > 15
    assert not SENTINEL.exists()


def test_the_hostile_corpus_is_large_enough():
    assert len(HOSTILE) >= 40


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("__import__('os')", "the function '__import__' is not allowed"),
        ("x.real", "attribute access"),
        ("lambda: 1", "lambda"),
        ("9**9**9", "too large"),
        ("x ^ 2", "write powers as **"),
        ("2x", "explicit *"),
        ("z + 1", "unknown name 'z'"),
        ("x" * 201, "at most 200"),
    ],
)
def test_refusal_messages_say_why(text, reason):
    with pytest.raises(ExpressionError, match=re.escape(reason)):
        parse_expression(text)


def test_typed_function_is_differentiated_symbolically():
    surface = make_surface("custom:expr=x**3 + 2*x*y + exp(y)")
    gx, gy = surface.grad(np.array([1.0, -2.0]), np.array([0.5, 1.0]))
    np.testing.assert_allclose(gx, [3 + 1.0, 12 + 2.0])
    np.testing.assert_allclose(gy, [2 + np.exp(0.5), -4 + np.e])


def test_typed_function_runs_end_to_end_and_flags_undefined_points():
    ok = simulate("custom:expr=(x - 1)**2 + 3*(y + 0.5)**2", ["adam:lr=0.1"], start=(-2.0, 2.0), steps=300)
    assert np.allclose(ok.outcome.final_position[:, 0], [1.0, -0.5], atol=1e-2)
    undefined = simulate("custom:expr=sqrt(x) + y**2", ["gd:lr=2"], start=(0.2, 1.0), steps=30)
    assert undefined.status(0).startswith("diverged")


def test_typed_surface_survives_pickling_as_the_app_cache_does():
    import pickle

    surface = make_surface("custom:expr=x**2 + sin(y)")
    again = pickle.loads(pickle.dumps(surface))
    assert float(again.value(1.0, 0.0)) == 1.0 and again.values == surface.values


def test_every_surface_with_a_minimum_carries_suggested_rates_that_do_not_diverge():
    from tools.suggest_hyperparameters import measured

    for name, cls in CATALOG.items():
        surface = make_surface(name)
        if surface.min_value is None or name == "custom":
            continue
        suggested = cls.info.suggested
        assert suggested, name
        # As tools/suggest_hyperparameters.py measured them: the defaults, weight decay off.
        specs = [measured(optimizer, hp["lr"]) for optimizer, hp in suggested.items()]
        result = simulate(name, specs, steps=500, record=False)
        assert (result.outcome.diverged_at < 0).all(), name
        assert (result.outcome.final_loss < float(surface.value(*surface.starts[0]))).all(), name


@pytest.mark.parametrize("name", [cls.info.name for cls in COMPILED])
def test_compiled_formula_matches_numpy(name):
    """The engine's compiled evaluation picks the right formula and gives NumPy's numbers."""
    surface = make_surface(name)
    rng = np.random.default_rng(3)
    (x0, x1), (y0, y1) = surface.domain
    px, py = rng.uniform(x0, x1, 50), rng.uniform(y0, y1, 50)
    points = np.zeros((2, 3, 2, 50))  # laid out as the engine's state: row 1, slot 0 is θ
    points[1, 0] = px, py
    loss, grad = np.full((3, 50), np.nan), np.full((2, 2, 50), np.nan)
    evaluate(kernel_id(surface), points, 1, kernel_params(surface), loss, 2, grad, 1)
    expected = np.stack(surface.fdf(px, py, surface.formula_params()))
    np.testing.assert_allclose(np.vstack([loss[2], grad[1]]), expected, rtol=1e-12, atol=1e-12)
    assert np.isnan(loss[:2]).all() and np.isnan(grad[0]).all()  # the other rows untouched


def test_numba_cache_is_dropped_when_an_inlined_source_changes(tmp_path):
    """numba checks a cached loop against its own file only; the loop inlines the formulas."""
    sources = ("surfaces/classic.py", "optim_core/kernel.py")
    for name in sources:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    cached = [tmp_path / "surfaces/__pycache__/classic.f-1.py311.nbi", tmp_path / "optim_core/__pycache__/k.nbc"]

    def write_cache():
        for path in cached:
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(b"compiled")

    write_cache()
    assert drop_stale_cache(tmp_path, sources)  # no fingerprint yet
    assert not any(path.exists() for path in cached)
    write_cache()
    assert not drop_stale_cache(tmp_path, sources)  # unchanged sources keep the cache
    assert all(path.exists() for path in cached)
    (tmp_path / "surfaces/classic.py").write_text("x = 2\n")
    assert drop_stale_cache(tmp_path, sources)
    assert not any(path.exists() for path in cached)


def test_sympy_is_loaded_by_the_first_typed_function_and_pandas_by_no_playground_table():
    """sympy (about 40 MB of a server's memory) comes with the first typed function only, and
    pandas (70 MB with pyarrow) with no table the Playground shows."""

    code = (
        "import sys, surfaces, optim_core.api, ui.figures, ui.compute, ui.state, ui.charts, ui.tables\n"
        "result = optim_core.api.simulate('booth', ['gd:lr=0.01', 'adam:lr=0.1'], steps=20)\n"
        "ui.charts.table_html(ui.tables.summary_table(result) + ui.tables.inspect_rows(result, 5))\n"
        "before = 'sympy' in sys.modules\n"
        "surfaces.make_surface('custom:expr=x**2+y**2')\n"
        "print(before, 'sympy' in sys.modules, 'pandas' in sys.modules)"
    )
    assert in_fresh_python(code).split() == ["False", "True", "False"]


def test_make_run_compiles_the_rest_of_the_engine_once_after_the_first_page(monkeypatch):
    """ui.warm starts one warm-up process per server, at idle priority, only when make run asks."""
    import subprocess

    from ui import warm

    started: list[list[str]] = []
    monkeypatch.setattr(subprocess, "Popen", lambda command, **_: started.append(command))
    monkeypatch.setattr(warm, "_started", False)
    monkeypatch.delenv("OPTVIZ_WARM_UP_LATER", raising=False)
    assert not warm.after_first_page() and not started
    monkeypatch.setenv("OPTVIZ_WARM_UP_LATER", "1")
    assert warm.after_first_page() and not warm.after_first_page()
    (command,) = started
    assert command[1:3] == ["-n", "19"] and command[-1].endswith("warm_everything()")


def test_a_page_waits_for_the_first_loop_compiling_beside_the_starting_server(monkeypatch):
    """make run starts the server and, beside it, the process compiling the first page's loop; a
    page's script waits for that process (its pid in OPTVIZ_WARMING_PID), once per server."""
    import os
    import subprocess

    from ui import launch, warm

    monkeypatch.setattr(warm, "_engine_ready", False)
    monkeypatch.delenv("OPTVIZ_WARMING_PID", raising=False)
    assert not warm.wait_for_engine()  # not started by make run: nothing to wait for
    monkeypatch.setattr(warm, "_engine_ready", False)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.6)"])
    monkeypatch.setenv("OPTVIZ_WARMING_PID", str(child.pid))
    start = time.monotonic()
    assert warm.wait_for_engine() and time.monotonic() - start >= 0.5 and child.poll() is not None
    assert not warm.wait_for_engine()  # once per server

    started = []
    monkeypatch.setattr(
        subprocess, "Popen", lambda command, **_: started.append(command) or type("P", (), {"pid": 4321})()
    )
    monkeypatch.delenv("OPTVIZ_WARM_UP_LATER", raising=False)
    launch.start_first_page_warm_up()
    (command,) = started
    assert command[-1] == "from optim_core.api import warm_up; warm_up(first_page=True)"
    assert os.environ["OPTVIZ_WARMING_PID"] == "4321" and os.environ["OPTVIZ_WARM_UP_LATER"] == "1"


def test_the_server_freezes_what_a_page_loaded_so_that_a_rerun_collects_only_its_own_objects():
    """Streamlit collects garbage (gc.collect(2)) after every script run. Without the freeze that
    scanned every object of every loaded module: 107-120 ms of a Playground rerun, GIL held."""

    code = (
        "import gc\n"
        "from streamlit.testing.v1 import AppTest\n"
        "app = AppTest.from_file('app.py', default_timeout=120)\n"
        "app.run()\n"
        "app.run()\n"
        "frozen = gc.get_freeze_count()\n"
        "app.run()\n"
        "print(frozen, gc.get_freeze_count(), len(gc.get_objects()))"
    )
    frozen, frozen_later, tracked = map(int, in_fresh_python(code).split())
    assert frozen > 100_000  # the modules of the first page: numpy, plotly, streamlit, the app
    assert frozen_later <= frozen  # a rerun that loaded nothing new freezes nothing more (freed ones leave)
    assert tracked < frozen / 10  # what a rerun's collection still scans


def test_freezing_happens_again_only_when_modules_were_loaded(monkeypatch):
    import gc

    from ui import warm

    frozen: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1))
    monkeypatch.setattr(gc, "collect", lambda *_: 0)
    monkeypatch.setattr(warm, "_modules_frozen", 0)
    assert warm.freeze_what_is_loaded() and not warm.freeze_what_is_loaded()
    monkeypatch.setitem(sys.modules, "a_module_loaded_later", object())
    assert warm.freeze_what_is_loaded() and len(frozen) == 2


def test_the_packages_import_in_any_order_without_a_cycle():
    """The spec grammar is a leaf: surfaces loads without the optimizer core, and the core loads
    eagerly (no lazy names left to hide a cycle)."""

    for code in (
        "import surfaces, sys; print('optim_core' in sys.modules)",
        "import optim_core, surfaces; print(optim_core.simulate.__module__ == 'optim_core.api')",
        "import spec_strings, sys; print(sorted(m for m in sys.modules if m.split('.')[0] in ('optim_core', 'surfaces', 'ui')) == [])",
    ):
        assert in_fresh_python(code).strip() == ("False" if code.startswith("import surfaces") else "True"), code


def test_one_lookup_each_for_a_suggested_and_a_default_rate():
    from optim_core.optimizers import OPTIMIZERS

    assert OPTIMIZERS["adam"].default("lr") == 0.01 and OPTIMIZERS["adagrad"].param("eps").default == 1e-8
    with pytest.raises(KeyError):
        OPTIMIZERS["gd"].param("beta")
    info = CATALOG["rosenbrock"].info
    assert info.suggested_lr("adam") == info.suggested["adam"]["lr"] > 0
    assert info.suggested_lr("no such optimizer") is None


def in_fresh_python(code: str) -> str:
    """What ``python -c code`` prints, run from the checkout in a new interpreter."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True).stdout


def test_a_run_starts_from_the_rate_suggested_for_its_surface_or_its_default():
    from optim_core.api import starting_rate, suggested_spec

    assert starting_rate("rosenbrock", "adam") == 0.052 and starting_rate("rosenbrock:a=2", "adam") == 0.052
    assert starting_rate("rosenbrock", "rprop") == 0.01  # none suggested: η is only its first step
    assert suggested_spec("rosenbrock", "lion") == "lion:lr=0.0052" and suggested_spec("rosenbrock", "rprop") == "rprop"
    assert suggested_spec("custom:expr=x**2+y**2", "gd") == "gd:lr=0.001"
