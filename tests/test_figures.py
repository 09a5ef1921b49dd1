"""The figures' visual language (ui.style), checked on the figures themselves."""

from __future__ import annotations

import base64
import itertools
import json

import numpy as np
import pytest

from optim_core.api import simulate
from optim_core.optimizers import OPTIMIZERS
from surfaces import make_surface
from tools import palette
from ui import figures, style
from ui.drawn import TOLERANCE, drawn

WHITE = "#FFFFFF"


def test_every_optimizer_colour_reads_on_white_and_on_the_contours_light_end():
    light_end = style.grey(figures.SURFACE_LIGHT)
    for colour in style.PALETTE:
        assert style.contrast(colour, WHITE) >= 3.0, colour
        assert style.contrast(colour, light_end) >= 3.0, colour
    assert len(set(style.PALETTE)) == 16


def test_the_palette_is_the_one_the_search_picks_and_stays_apart_for_colour_blind_readers():
    assert list(style.PALETTE) == palette.choose(16)
    # Smallest CIELAB distance of any two colours, over normal vision and three simulated
    # dichromacies: the nine lecture optimizers at least 13, all sixteen at least 7.5.
    assert palette.smallest_distance(list(style.PALETTE[:9])) >= 13
    assert palette.smallest_distance(list(style.PALETTE)) >= 7.5


def test_each_optimizer_has_its_own_colour():
    colours = [figures.colour_of(name) for name in OPTIMIZERS]
    assert len(set(colours)) == len(colours)
    # AdaGrad and RMSprop, compared in one lesson, are far apart even for colour-blind readers.
    assert palette.distance(figures.colour_of("adagrad"), figures.colour_of("rmsprop")) >= 13


def test_wcag_contrast_matches_known_values():
    assert style.contrast("#000000", WHITE) == pytest.approx(21.0)
    assert style.contrast("#777777", WHITE) == pytest.approx(4.48, abs=0.01)
    assert style.contrast(style.TEXT, WHITE) >= 4.5 and style.contrast(style.MUTED, WHITE) >= 4.5


@pytest.fixture(autouse=True)
def checked(monkeypatch):
    """Every figure here is built with plotly's checks, which reject a misspelt property (the
    app builds them unchecked: test_app checks that both give the same JSON)."""
    monkeypatch.setattr(figures, "VALIDATE", True)


@pytest.fixture(scope="module")
def two_gd_runs():
    return simulate("rosenbrock", ["gd:lr=0.001,label=slow", "gd:lr=0.002,label=fast", "adam:lr=0.05"], steps=60)


def per_step_figures(result, font_scale=1.0):
    return {
        "loss": figures.loss_figure(result, font_scale),
        "distance": figures.distance_figure(result, font_scale),
        "effective rate": figures.effective_lr_figure(result, font_scale),
    }


def test_two_runs_of_one_optimizer_differ_by_dash_on_every_chart(two_gd_runs):
    surface = make_surface("rosenbrock")
    charts = {
        **per_step_figures(two_gd_runs),
        "contour": figures.contour_figure(surface, two_gd_runs, animate=False),
        "3d": figures.surface3d_figure(surface, two_gd_runs),
        "inspect": figures.inspect_figure(two_gd_runs, 10),
    }
    for view, fig in charts.items():
        dashes = {}
        for trace in fig.data:
            if trace.name in ("slow", "fast") and trace.line.dash is not None:
                dashes.setdefault(trace.name, set()).add(trace.line.dash)
        assert set(dashes) == {"slow", "fast"}, view
        assert dashes["slow"].isdisjoint(dashes["fast"]), view
        colours = {t.line.color for t in fig.data if t.name in ("slow", "fast")}
        assert colours == {figures.colour_of("gd")}, view


def test_effective_rate_has_one_legend_entry_per_run_and_a_panel_per_coordinate(two_gd_runs):
    fig = figures.effective_lr_figure(two_gd_runs)
    shown = [t.name for t in fig.data if t.showlegend is not False]
    assert shown == ["slow", "fast", "adam"]
    assert {t.xaxis for t in fig.data} == {"x", "x2"}  # x and y coordinates in two panels


def test_presentation_scale_gives_every_chart_18_px_text_and_thicker_lines(two_gd_runs):
    for scale, smallest in ((1.0, 14), (style.PRESENTATION_SCALE, 18)):
        for view, fig in per_step_figures(two_gd_runs, scale).items():
            assert fig.layout.font.size >= smallest, view
            assert fig.layout.font.color == style.TEXT, view
            widths = {t.line.width for t in fig.data}
            assert min(widths) >= (2.5 if scale == 1 else 3.5), view


def test_log_axes_inside_one_decade_write_values_in_full():
    result = simulate("booth", ["gd:lr=1e-4"], steps=5)  # the loss barely moves: one decade
    axis = figures.loss_figure(result).layout.yaxis
    assert axis.type == "log" and axis.exponentformat == "none" and axis.dtick is None


def test_inspect_view_fits_the_updates_and_cuts_long_reference_arrows():
    # AdaGrad's first −η g is far longer than its update (the lecture's η = 1 on a steep start).
    result = simulate("rosenbrock", ["adagrad:lr=1.0", "gd:lr=0.001"], start=(-1.5, 2.5), steps=5)
    fig = figures.inspect_figure(result, 0)
    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    for i in range(2):
        here, after = result.positions[i, 0], result.positions[i, 1]
        for point in (here, after):
            assert x0 <= point[0] <= x1 and y0 <= point[1] <= y1
    long = np.hypot(*(result.lr[0, 0] * result.gradients[0, 0]))
    assert long > 10 * (x1 - x0)  # the reference arrow is long...
    labels = [a.text for a in fig.layout.annotations if a.text]
    assert any("length" in text for text in labels)  # ...so it is cut and its length written
    for a in fig.layout.annotations:
        assert x0 <= a.x <= x1 and y0 <= a.y <= y1
    assert fig.layout.images  # the surface behind the arrows


def test_only_a_rule_with_a_velocity_draws_a_velocity_arrow():
    # Adamax's and AdaDelta's u is a running maximum and an average of Δ², no velocity: drawn as one,
    # Adamax's (−214, −87) on Rosenbrock at step 10 against an update of (−0.003, −0.005).
    for convention in ("lecture", "pytorch"):
        result = simulate(
            "rosenbrock", ["adamax:lr=0.01", "adadelta:lr=1", "momentum:lr=0.001", "nag:lr=0.001"],
            steps=20, convention=convention,
        )  # fmt: skip
        fig = figures.inspect_figure(result, 10)
        kinds = {(t.name, t.hovertemplate.split(" — ")[1].split("<")[0]) for t in fig.data}
        drawn = {name for name, kind in kinds if kind == "velocity"}
        assert drawn == {result.runs[2].label, result.runs[3].label}, convention
        velocity = next(t for t in fig.data if t.name == result.runs[2].label and "velocity" in t.hovertemplate)
        state = result.state(2)["u"][10] if convention == "lecture" else result.lr[2, 10] * result.state(2)["b"][10]
        np.testing.assert_allclose(velocity.customdata[0], -state)


def test_divergence_map_uses_its_colour_scale_and_basins_have_a_legend():
    from optim_core.api import basin_map, sweep

    grid = sweep("rosenbrock", "momentum", "lr", np.geomspace(1e-4, 1e-1, 6), "beta", [0.0, 0.9], steps=100)
    maps = figures.sweep_figures(grid, 0.0)
    assert maps["divergence"].data[1].visible is False  # no flat overlay over its own colours
    assert maps["final loss"].data[1].visible is not False
    surface = make_surface("himmelblau")
    basins = basin_map(surface, "gd:lr=0.01", 12, 200)
    fig = figures.basin_figure(surface, basins.xs, basins.ys, basins.basin)
    entries = [t.name for t in fig.data if t.showlegend is not False and t.name != "basins"]
    assert sum(name.startswith("minimum") for name in entries) == 4
    assert not set(figures.BASIN_COLOURS) & set(style.PALETTE)


def test_tables_name_their_columns_and_show_no_raw_none():
    from ui.tables import NOT_REACHED, inspect_rows, summary_table

    result = simulate("booth", ["gd:lr=0.1", "gd:lr=2.0,label=too fast"], steps=50)
    table = summary_table(result)
    columns = list(table[0])
    assert "steps to within 1e-06" in columns and "diverged at step" in columns
    assert not any("_" in column for column in columns)
    assert table[0]["diverged at step"] == NOT_REACHED and table[1]["diverged at step"] != NOT_REACHED
    assert "None" not in str(table) and "nan" not in str(table).lower()
    rows = inspect_rows(result, 50)
    assert rows[0]["update"] == "49 → 50"  # the slider's step 50 is the update that ends there
    assert rows[0]["η_t"] == 0.1


def test_relayout_sets_what_plotlys_update_layout_sets(two_gd_runs):
    props = {
        "height": 300, "legend": {"x": 0.5, "font": {"size": 20}}, "xaxis2": {"title": {"text": "b"}, "type": "log"},
        "yaxis": {"range": [0, 1]}, "margin": {"t": 40},
    }  # fmt: skip
    fast, plotly = figures.effective_lr_figure(two_gd_runs), figures.effective_lr_figure(two_gd_runs)
    figures._relayout(fast, **props)
    plotly.update_layout(**props)
    assert fast.layout.to_plotly_json() == plotly.layout.to_plotly_json()
    assert fast.layout.xaxis2.anchor == "y2" and fast.layout.xaxis2.title.text == "b"  # merged, not replaced


@pytest.mark.parametrize(
    "rows, cols, options",
    [
        (1, 2, {"shared_yaxes": True, "horizontal_spacing": 0.05}),
        (2, 1, {"shared_xaxes": True, "vertical_spacing": 0.08}),
        (2, 3, {"subplot_titles": ["a", "b", "c", "d"], "shared_xaxes": True, "vertical_spacing": 0.14}),
    ],
)
def test_subplots_are_what_make_subplots_makes_and_traces_land_on_their_panel(rows, cols, options):
    from plotly.subplots import make_subplots

    ours, plotlys = figures._subplots(rows, cols, **options), make_subplots(rows=rows, cols=cols, **options)
    for fig in (ours, plotlys):
        fig.add_trace(figures.go.Scatter(y=[1, 2]), row=rows, col=cols)
        figures._update_axes(fig, "y", row=rows, col=1, title={"text": "y"})
    assert ours.to_plotly_json() == plotlys.to_plotly_json()
    assert ours.data[0].xaxis == f"x{rows * cols}"


def test_figures_carry_plotly_whites_defaults_only_for_what_they_draw(two_gd_runs):
    import plotly.io as pio

    white = pio.templates["plotly_white"]
    fig = figures.contour_figure(make_surface("rosenbrock"), two_gd_runs, animate=False)
    template = fig.layout.template
    assert set(template.data.to_plotly_json()) == {"heatmap"}  # the one kind with defaults drawn here
    assert template.data.heatmap == white.data.heatmap and template.layout.xaxis == white.layout.xaxis
    assert "scene" not in template.layout.to_plotly_json()
    lines = figures.loss_figure(two_gd_runs).layout.template
    assert len(json.dumps(lines.to_plotly_json())) < 700  # all of plotly_white: 7151
    three_d = figures.surface3d_figure(make_surface("rosenbrock"), two_gd_runs).layout.template
    assert set(three_d.data.to_plotly_json()) == {"surface", "scatter3d"} and three_d.layout.scene == white.layout.scene


def _array(value) -> np.ndarray:
    """A figure dict's array: a list, or Plotly's base64 form {dtype, bdata}."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value, dtype=float)


def test_a_diverged_run_is_cut_and_crossed_where_it_left_and_every_moved_trace_is_named():
    result = simulate("rosenbrock", ["gd:lr=0.02", "adam:lr=0.05"], steps=60)
    assert result.status(0).startswith("diverged") and result.status(1) == "ok"
    contour = figures.contour_figure(make_surface("rosenbrock"), result)
    by_name = {t.get("meta"): t for t in contour["data"] if t.get("meta")}
    n = int(result.valid_rows[0])
    assert _array(by_name["path0"]["x"]).size == n  # the path stops where the run left the followed region
    cross = by_name["diverged"]
    assert _array(cross["x"]).tolist() == [result.positions[0, n - 1, 0]] and cross["marker"]["symbol"] == "x-thin"
    assert set(by_name) == {"path0", "path1", "start", "diverged", "heads"}
    loss = figures.loss_figure(result)
    assert [t.meta for t in loss.data] == ["loss0", "loss1"]
    assert [t.meta for t in figures.effective_lr_figure(result).data] == ["eff0x", "eff0y", "eff1x", "eff1y"]
    # no diverged run: an empty cross trace, kept so that a scrub can fill it
    calm = simulate("rosenbrock", ["adam:lr=0.05"], steps=20)
    kept = next(
        t for t in figures.contour_figure(make_surface("rosenbrock"), calm)["data"] if t.get("meta") == "diverged"
    )
    assert _array(kept["x"]).size == 0


def test_an_extent_holds_the_axes_over_what_a_scrub_will_draw():
    result = simulate("rosenbrock", ["adam:lr=0.05"], steps=50)
    free = figures.loss_figure(result)
    assert "range" not in free.layout.yaxis.to_plotly_json()
    held = figures.loss_figure(result, extent=(1e-9, 1e5))
    low, high = held.layout.yaxis.range
    assert low < -9 and high > 5 and held.layout.yaxis.autorange is False
    assert held.layout.yaxis.dtick == 2  # fourteen decades: a label at every second power of ten
    eff = figures.effective_lr_figure(result, extent=(1e-6, 1.0))
    assert eff.layout.yaxis.range[0] < -6 and eff.layout.yaxis2.range[1] > 0


def test_saddle_points_are_marked_on_the_contour_and_a_typed_bowl_gets_the_gap_charts():
    saddle = make_surface("saddle")
    result = simulate("saddle", ["gd:lr=0.05"], steps=20)
    marks = [t for t in figures.contour_figure(saddle, result, animate=False).data if t.meta == "saddle"]
    assert len(marks) == 1 and (list(marks[0].x), list(marks[0].y)) == ([0.0], [0.0])
    assert not [
        t for t in figures.contour_figure(make_surface("booth"), None, animate=False).data if t.meta == "saddle"
    ]
    bowl = simulate("custom:expr=x**2 + 10*y**2", ["gd:lr=0.05"], steps=200)
    assert bowl.status(0) == "converged"
    assert figures.loss_figure(bowl).layout.yaxis.type == "log"
    distance = figures.distance_figure(bowl)
    assert distance is not None and distance.data[0].y[-1] < 1e-3
    unbounded = simulate("custom:expr=x**3 - 3*x + y**2", ["gd:lr=0.05"], steps=20)
    assert figures.loss_figure(unbounded).layout.yaxis.type == "linear"  # f itself: no gap to a minimum it lacks


def test_presenting_the_contour_grows_with_the_screen_and_its_picture_with_it():
    assert figures.presentation_contour_height(None) == figures.CONTOUR_HEIGHT_PRESENTING  # not reported yet
    assert figures.presentation_contour_height(720) == figures.CONTOUR_HEIGHT_PRESENTING  # a projector's 720 px
    assert figures.presentation_contour_height(1080) == 1080 - figures.CONTOUR_ROOM_PRESENTING
    assert figures.presentation_contour_height(100_000) == 1400
    surface = make_surface("booth")
    small, large = (figures.contour_figure(surface, None, animate=False, height=h) for h in (475, 835))
    assert (small.layout.height, large.layout.height) == (475, 835)

    def picture_side(fig) -> int:  # the PNG's width, from its IHDR chunk
        png = base64.b64decode(fig.layout.images[0].source.split(",", 1)[1])
        return int.from_bytes(png[16:20], "big")

    assert picture_side(small) == 375 and picture_side(large) == 735  # a pixel of picture per pixel of plot


def test_lines_are_sent_as_float32_only_where_float32_holds_every_value():
    assert figures._compact([1e-16, 0.5, 3e5, np.nan, 0.0]).dtype == np.float32
    assert figures._compact([1e-40, 1.0]).dtype == np.float64  # would turn to 0 on a log axis
    assert figures._compact([1.0, 1e38]).dtype == np.float64  # would turn to inf
    result = simulate("booth", ["gd:lr=0.01", "adam:lr=0.3"], steps=50)
    loss = figures.loss_figure(result).to_plotly_json()["data"][0]
    assert loss["y"]["dtype"] == "f4"
    steps = _array(loss["x"]).astype(int)
    np.testing.assert_array_equal(_array(loss["y"]), figures.loss_line(result, 0)[steps].astype(np.float32))
    path = figures.contour_figure(make_surface("booth"), result, animate=False).to_plotly_json()["data"][2]
    assert path["meta"] == "path0" and path["x"]["dtype"] == "f4" and path["customdata"]["dtype"] == "f4"
    assert "step %{customdata[0]}" in path["hovertemplate"]


def _farthest_left_out(u, v, keep) -> float:
    """How far the points left out lie from the line drawn through the kept ones."""
    worst = 0.0
    for a, b in itertools.pairwise(keep):
        du, dv = u[b] - u[a], v[b] - v[a]
        pu, pv = u[a + 1 : b] - u[a], v[a + 1 : b] - v[a]
        if pu.size:
            worst = max(worst, float(np.max(np.abs(pu * dv - pv * du) / np.hypot(du, dv))))
    return worst


def test_a_line_is_sent_with_the_points_its_drawing_needs_and_none_moves_by_more_than_the_tolerance():
    t = np.linspace(0, 1, 501)
    assert drawn(t, 0.3 * t + 0.1).tolist() == [0, 500]  # a straight line: its two ends
    zigzag = np.where(np.arange(501) % 2, 0.6, 0.4) * np.exp(-t)  # every corner is needed
    assert drawn(t, zigzag).size == 501
    assert drawn(t, np.r_[np.nan, t[1:]]).size == 501  # a value that is not finite: kept whole
    result = simulate("sparse_dense", ["gd:lr=2", "momentum:lr=2", "adagrad:lr=0.2", "rmsprop:lr=0.02"], steps=500)
    (x0, x1), (y0, y1) = result.surface.domain
    contour = figures.contour_figure(result.surface, result, animate=False).to_plotly_json()["data"]
    sent = drawn_points = 0
    for i, trace in enumerate(t for t in contour if str(t.get("meta", "")).startswith("path")):
        path = figures.path_points(result, i)
        steps = _array(trace["customdata"]).reshape(-1, 5)[:, 0].astype(int)  # the hover's step is the point's
        assert steps[0] == 0 and steps[-1] == path.shape[0] - 1 and np.all(np.diff(steps) > 0)
        np.testing.assert_array_equal(_array(trace["x"]), path[steps, 0].astype(np.float32))
        u, v = (path[:, 0] - x0) / (x1 - x0), (path[:, 1] - y0) / (y1 - y0)
        assert _farthest_left_out(u, v, steps) <= TOLERANCE
        sent, drawn_points = sent + steps.size, drawn_points + path.shape[0]
    assert sent < drawn_points / 4  # 2,004 points of paths, 369 sent
    for trace in figures.loss_figure(result).to_plotly_json()["data"]:
        steps, y = _array(trace["x"]).astype(int), _array(trace["y"])
        line = figures.loss_line(result, int(trace["meta"][4:]))
        np.testing.assert_array_equal(y, line[steps].astype(np.float32))
        u, v = steps / (line.size - 1), np.log10(line)
        full = (np.arange(line.size) / (line.size - 1), (v - v.min()) / (v.max() - v.min()))
        assert _farthest_left_out(*full, steps) <= TOLERANCE


def test_a_click_reported_by_the_browser_is_taken_only_as_two_finite_numbers(monkeypatch):
    import streamlit as st

    from ui.player import clicked_point

    for sent, taken in [
        ([-5.0, 4], (-5.0, 4.0)),
        (None, None),
        ([1.0], None),
        ([1.0, float("nan")], None),
        (["1", 2.0], None),
        ([True, 2.0], None),
        ({"x": 1}, None),
    ]:
        monkeypatch.setattr(st, "session_state", {"pg_player": {"start": sent}})
        assert clicked_point("pg_player") == taken, sent


def test_f_shows_under_the_pointer_anywhere_and_only_a_clickable_contour_offers_the_click():
    surface = make_surface("booth")
    for clickable, phone, action in [(False, False, None), (True, False, "click"), (True, True, "tap")]:
        spec = figures.contour_figure(surface, None, clickable=clickable, phone=phone).to_plotly_json()
        layer = next(t for t in spec["data"] if t["type"] == "heatmap")
        assert layer["opacity"] == 0 and "x" not in layer and layer["x0"] == -10 and layer["dx"] == 0.625
        assert _array(layer["z"]).reshape(33, 33)[32, 0] == surface.value(-10.0, 10.0)  # row: y, column: x
        assert (action is None) == ("start here" not in layer["hovertemplate"])
        if action:
            assert f"{action}: start here" in layer["hovertemplate"]
        assert spec["layout"]["clickmode"] == "event"  # nothing is selected or dimmed by a click


def test_the_animation_heads_are_each_runs_position_at_the_shown_steps():
    result = simulate("rosenbrock", ["gd:lr=0.02", "adam:lr=0.05"], steps=60)  # gd diverges
    heads, steps = figures.animation_heads(result), figures.animation_steps(result)
    assert heads.shape == (len(steps), 2, 2)
    for k, step in enumerate(steps):
        for i in range(2):
            row = min(step, int(result.valid_rows[i]) - 1)  # a diverged run's head stays where it left
            assert heads[k, i].tolist() == result.positions[i, row].tolist()
    spec = figures.contour_figure(result.surface, result, frames=False)
    assert "frames" not in spec and any(t.get("meta") == "heads" for t in spec["data"])


def test_a_table_is_html_with_four_digit_numbers_and_escaped_text():
    from ui import charts

    page = charts.table_html([{"run": "<b>x</b> & y", "η_t": 0.00027, "steps": 12, "loss": float("nan")}])
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt; &amp; y" in page
    cells = [part.split(">", 1)[1].split("<", 1)[0] for part in page.split("<td")[1:]]
    assert cells == ["&lt;b&gt;x&lt;/b&gt; &amp; y", "0.00027", "12", "—"]
    assert page.count('class="n"') == 6 and "overflow-x:auto" in page  # 3 numeric columns x 2 rows


def test_a_surface_picture_is_drawn_once_per_surface_and_size(monkeypatch):
    from surfaces.base import Surface

    calls, evaluated = [], []
    real, value = figures._resample, Surface.value
    monkeypatch.setattr(figures, "_resample", lambda *a: calls.append(1) or real(*a))
    monkeypatch.setattr(Surface, "value", lambda self, x, y: evaluated.append(np.size(x)) or value(self, x, y))
    monkeypatch.setattr(figures, "KEPT", {})
    picture = lambda fig: fig.layout.images[0].source  # noqa: E731
    first = figures.contour_figure(make_surface("rosenbrock"), None, animate=False)
    again = figures.contour_figure(make_surface("rosenbrock"), None, animate=False)
    assert len(calls) == 1 and picture(first) == picture(again)
    assert evaluated.count(33 * 33) == 1  # f under the pointer: evaluated once too
    assert first.data[1].z.tobytes() == again.data[1].z.tobytes()
    other = figures.contour_figure(make_surface("rosenbrock:b=10"), None, animate=False)
    taller = figures.contour_figure(make_surface("rosenbrock"), None, animate=False, height=800)
    assert len(calls) == 3 and len({picture(first), picture(other), picture(taller)}) == 3


def test_schedule_figures_draw_each_curve_as_given():
    from optim_core.schedules import SCHEDULES, preview

    curves = {
        name: preview(name, {p.name: p.default for p in SCHEDULES[name].params}, 0.1, 120)
        for name in ("step", "exponential", "cosine", "cyclic")
    }
    fig = figures.schedule_figure(curves)
    assert [t.name for t in fig.data] == list(curves) and fig.layout.showlegend
    for trace, values in zip(fig.data, curves.values(), strict=True):
        np.testing.assert_array_equal(_array(trace.y), values)
        np.testing.assert_array_equal(_array(trace.x), np.arange(120))
    assert len({(t.line.color, t.line.dash) for t in fig.data}) == 4  # four curves, four looks
    assert not figures.schedule_figure({"step": curves["step"]}).layout.showlegend  # one curve: no legend

    grid = figures.schedule_grid_figure(curves, columns=3)
    assert [a.text for a in grid.layout.annotations] == list(curves)  # one titled panel each
    assert len({t.yaxis for t in grid.data}) == 4 and grid.layout.height == 2 * 230  # two rows of three
    for trace, values in zip(grid.data, curves.values(), strict=True):
        np.testing.assert_array_equal(_array(trace.y), values)
        assert grid.layout[trace.yaxis.replace("y", "yaxis")].rangemode == "tozero"  # each from 0


def test_comparison_loss_figure_puts_each_schedule_on_both_rows_in_one_colour():
    results = {
        name: simulate("rosenbrock", ["adam:lr=0.05"], steps=80, schedule=schedule)
        for name, schedule in (("constant", None), ("cosine", "cosine"), ("step", "step:step_size=20"))
    }
    fig = figures.comparison_loss_figure(results)
    assert [t.meta for t in fig.data] == [f"c{n}:{kind}0" for n in range(3) for kind in ("loss", "rate")]
    minimum = make_surface("rosenbrock").min_value
    for n, result in enumerate(results.values()):
        loss, rate = fig.data[2 * n], fig.data[2 * n + 1]
        np.testing.assert_allclose(_array(loss.y), np.maximum(result.loss[0] - minimum, figures.LOSS_FLOOR))
        np.testing.assert_array_equal(_array(rate.y), result.lr[0])
        assert (loss.xaxis, loss.yaxis, rate.yaxis) == ("x", "y", "y2")
        assert loss.line.color == rate.line.color == figures.colour_of("adam") and loss.line.dash == rate.line.dash
    assert len({t.line.dash for t in fig.data}) == 3
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.type != "log"


def test_result_figure_gives_the_apps_figure_of_each_view_and_names_a_bad_one():
    from spec_strings import SpecError

    result = simulate("rosenbrock", ["gd:lr=0.001", "adam:lr=0.05"], steps=60)
    for view in figures.VIEWS:
        fig = result.figure(view)
        assert fig.data, view
    np.testing.assert_array_equal(  # the loss view is the Playground's loss figure
        _array(result.figure("loss").data[1].y), _array(figures.loss_figure(result).data[1].y)
    )
    paths = [t for t in result.figure("contour").data if t.name == result.runs[1].label and t.mode == "lines"]
    assert paths and _array(paths[0].x)[-1] == pytest.approx(result.positions[1, -1, 0])  # adam's path ends there
    step = result.figure("step", step=20)
    update = next(t for t in step.data if "update" in t.hovertemplate and t.name == result.runs[0].label)
    np.testing.assert_allclose(update.customdata[0], result.positions[0, 21] - result.positions[0, 20])
    with pytest.raises(SpecError, match="allowed: contour, loss, distance, effective_lr, 3d, step"):
        result.figure("heatmap")
    with pytest.raises(SpecError, match="step=60 is out of range; allowed: 0 to 59"):
        result.figure("step", step=60)
    with pytest.raises(SpecError, match="no known minimum"):
        simulate("custom:expr=x*y", ["gd:lr=0.01"], start=(1.0, 2.0), steps=5).figure("distance")


def test_result_animation_has_a_frame_per_shown_step_and_its_own_controls():
    result = simulate("booth", ["gd:lr=0.01", "momentum:lr=0.01"], steps=200)
    fig = result.animation()
    steps = figures.animation_steps(result)
    assert [frame.name for frame in fig.frames] == [str(s) for s in steps]
    heads = figures.animation_heads(result)
    np.testing.assert_allclose(fig.frames[10].data[0].x, heads[10][:, 0], rtol=1e-5)
    (slider,) = fig.layout.sliders
    assert [s.label for s in slider.steps] == [frame.name for frame in fig.frames] and slider.active == len(steps) - 1
    assert [b.method for b in fig.layout.updatemenus[0].buttons] == ["animate", "animate"]


def test_component_code_goes_without_comments_and_indentation():
    """Streamlit sends a component's code with every mount: comments and indentation go, code
    stays (the player and the scrub run it in the browser tests), and a line it cannot read
    safely is refused rather than cut."""
    from ui import player, scrub
    from ui.components import compact_js

    source = 'function f(a) {\n  // a comment\n  return a + "x";  // why\n}\n'
    assert compact_js(source) == 'function f(a) {\nreturn a + "x";\n}'
    for code in (player.PLAYER_JS, scrub.SCRUB_JS):
        compact = compact_js(code)
        assert len(compact) < 0.9 * len(code) and "  //" not in compact
        assert [w for w in compact.split() if w.isidentifier()] == [
            w for line in code.splitlines() for w in line.split("  // ")[0].split()
            if w.isidentifier() and not line.strip().startswith("//")
        ]  # fmt: skip
    for unsafe in ("const s = `a\n  b`;", 'const u = "http:  // x";'):
        with pytest.raises(ValueError):
            compact_js(unsafe)


def test_a_log_colour_bar_spanning_less_than_a_decade_reads_heights_not_their_logarithms():
    """Lion on the neuron, weight decay × β2: every cell's f − f_min lies within 0.4307–0.4312.
    The bar's ticks are those heights, told apart, not Plotly's own ticks of log₁₀ (−0.3651)."""
    ticks = figures._power_ticks(-0.36565, -0.36514)
    assert ticks["tickvals"][0] == -0.36565 and ticks["tickvals"][-1] == -0.36514
    assert [float(t) for t in ticks["ticktext"]] == pytest.approx([10**v for v in ticks["tickvals"]], rel=1e-3)
    assert len(set(ticks["ticktext"])) == len(ticks["ticktext"])
    assert figures._power_ticks(-2.0, -2.0) == {"tickvals": [-2.0], "ticktext": ["0.01"]}
    wide = figures._power_ticks(-3.2, 1.5)  # a decade or more: powers of ten, as before
    assert wide["tickvals"] == [-3.0, -2.0, -1.0, 0.0, 1.0] and wide["ticktext"][0] == "10<sup>-3</sup>"
