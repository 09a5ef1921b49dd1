"""Schedules: the η_t curve of every schedule, and one optimizer run with a schedule against the constant rate."""

from __future__ import annotations

import streamlit as st

from optim_core.api import Scenario
from optim_core.optimizers import OPTIMIZERS
from optim_core.schedules import SCHEDULES, preview
from optim_core.scrub import current_value, parse_target, targets
from spec_strings import SpecError, format_spec
from surfaces import CATALOG, make_surface
from ui import charts, urlstate
from ui.compute import run_scenario, scrub_view, surface_grid
from ui.controls import explicit, keyed, log_options, param_control
from ui.figures import add_paths, comparison_loss_figure, contour_figure, schedule_figure
from ui.present import URL_FIELD, header
from ui.routing import route_through_app
from ui.scrub import held_centre, released, scrub_bar

route_through_app()

ss = st.session_state
OPEN_LOOP = [name for name in SCHEDULES if name != "plateau"]
SURFACES = [name for name in CATALOG if name != "custom"]
NO_SCRUB = "off"
SCRUBBED = sorted({p.name for info in SCHEDULES.values() for p in info.params if p.kind in ("float", "int")})
BASE_RATES = log_options(1e-4, 10.0)
DEFAULTS = {
    "sch_base": 0.1, "sch_updates": 500, "sch_surface": "valley", "sch_optimizer": "rmsprop", "sch_compare": "cosine",
}  # fmt: skip


def comparison_lr() -> float:
    """Five times the gentle rate suggested for the surface: large enough for a constant rate to
    keep bouncing, which is where a decaying schedule shows what it is for."""
    optimizer = ss["sch_optimizer"]
    suggested = CATALOG[ss["sch_surface"]].info.suggested_lr(optimizer)
    return float(f"{5 * suggested:.2g}") if suggested else OPTIMIZERS[optimizer].default("lr")


def reset_lr() -> None:
    ss["sch_lr"] = comparison_lr()


def _param_field(name, param) -> urlstate.Field:
    return urlstate.Field(
        f"{name}.{param.name}",
        f"sch_{name}_{param.name}",
        lambda text, param=param, name=name: param.convert(text, f"schedule {name}"),
        urlstate.plain_value,
        default=param.default,
    )


URL_FIELDS = (
    [
        urlstate.Field("base", "sch_base", urlstate.member(BASE_RATES), urlstate.plain_value, default=0.1),
        urlstate.Field("updates", "sch_updates", urlstate.integer(50, 2000, 50), default=500),
        urlstate.Field("surface", "sch_surface", urlstate.choice(SURFACES)),
        urlstate.Field("opt", "sch_optimizer", urlstate.choice(list(OPTIMIZERS))),
        urlstate.Field("scrub", "sch_scrub", urlstate.choice([NO_SCRUB, *SCRUBBED]), default=NO_SCRUB),
        urlstate.Field("compare", "sch_compare", urlstate.choice(list(SCHEDULES))),
        urlstate.Field(
            "lr", "sch_lr", lambda text: OPTIMIZERS["gd"].params[0].convert(text, "lr"), urlstate.plain_value
        ),
    ]
    + [
        _param_field(name, param)
        for name, info in SCHEDULES.items()
        for param in info.params
        if param.default is not None
    ]
    + [URL_FIELD]
)

for widget, value in DEFAULTS.items():
    ss.setdefault(widget, value)
ignored = urlstate.restore("schedules", URL_FIELDS)
if ss.get("sch_lr") is None:
    reset_lr()


def on_scrub_release() -> None:
    """The scrub was let go: the schedule's control takes the value (and so the URL)."""
    live = ss.get("sch_scrub_live")
    value = None if live is None else released("sch_scrub_bar", live[2])
    if value is not None:
        name, param, _ = live
        ss[f"sch_{name}_{param.name}"] = int(value) if param.kind == "int" else value


def scrub(scenario: Scenario, name: str) -> dict:
    """A slider over one parameter of the compared schedule: the scheduled path, its loss and
    its η_t move in the browser while it is dragged. Returns the extents the charts hold."""
    offered = [t.name for t in targets(scenario) if t.kind == "schedule"]
    if ss.get("sch_scrub") not in [NO_SCRUB, *offered]:
        ss["sch_scrub"] = NO_SCRUB
    pick, bar = st.columns([1, 3], vertical_alignment="bottom")
    labels = {NO_SCRUB: "Scrub: off", **{key: f"Scrub {SCHEDULES[name].display_name}: {key}" for key in offered}}
    keyed(pick.selectbox,
        "Scrub", list(labels), key="sch_scrub", label_visibility="collapsed", format_func=labels.__getitem__,
        help="Drag one parameter of the schedule: the scheduled path, its loss and η_t move while you drag.",
    )  # fmt: skip
    if ss["sch_scrub"] == NO_SCRUB:
        return {}
    text = f"schedule.{ss['sch_scrub']}"
    target = parse_target(text, scenario)
    centre = held_centre("sch_scrub_centres", text, current_value(scenario, target))
    views = (("contour", ("sch_contour", "s:")), ("loss", ("sch_loss", "c0:")), ("rate", ("sch_loss", "c0:")))
    try:
        data, extent = scrub_view(scenario.to_json(), text, f"{name}: {target.name}", views, centre)
    except SpecError as error:
        bar.warning(f"No scrub: {urlstate.inert(str(error))}")
        return {}
    param = next(p for p in SCHEDULES[name].params if p.name == target.name)
    ss["sch_scrub_live"] = (name, param, data["values"])
    with bar:
        scrub_bar(data, "sch_scrub_bar", on_scrub_release, font_scale)
    return extent


font_scale = header("Schedules")
st.caption(
    r"How each learning-rate schedule shapes $\eta_t$, and what one changes for an optimizer. The rules "
    "match torch.optim.lr_scheduler stepped once per update (see Reference)."
)
urlstate.warn_ignored(ignored)


def schedule_values(name: str) -> dict:
    """The explicit values of a schedule's controls (optional keys keep their defaults)."""
    return explicit(SCHEDULES[name].params, lambda p: ss.get(f"sch_{name}_{p.name}", p.default))


def controls(name: str, container) -> None:
    for param in SCHEDULES[name].params:
        if param.default is None:
            continue  # t_max, base_lr, ... keep their documented defaults (see the caption)
        param_control(
            param, f"sch_{name}_{param.name}", param.default, label=f"{param.name}: {param.doc}", container=container
        )


top = st.columns([2, 2, 3])
base = keyed(top[0].select_slider, "Base rate η", BASE_RATES, key="sch_base", format_func=lambda v: f"{v:g}")
updates = keyed(top[1].slider, "Updates shown", 50, 2000, step=50, key="sch_updates")
top[2].caption(
    "Optional keys keep their defaults here: t_max is the number of updates, cyclic runs from η to "
    "10 η, warm-up starts at η / warmup. Reduce-on-plateau has no curve of its own: it depends on "
    "the loss, so it appears in the comparison below."
)

st.header(r"$\eta_t$ of every schedule")
columns = st.columns(2)
for index, name in enumerate(OPEN_LOOP):
    with columns[index % 2]:
        info = SCHEDULES[name]
        st.subheader(info.display_name)
        with st.expander("parameters"):
            controls(name, st)
        try:
            values = {p.name: ss.get(f"sch_{name}_{p.name}", p.default) for p in info.params}
            curve = preview(name, values, base, updates)
            charts.show(
                schedule_figure({name: curve}, font_scale=font_scale, height=300), f"sch_curve_{name}",
                charts.export_name("schedules", name, f"eta {base:g} {updates} updates"),
            )  # fmt: skip
        except SpecError as error:
            st.error(str(error))
        st.caption(f"torch: {info.torch}")

st.header("One optimizer: a schedule against the constant rate")
left, middle, right = st.columns(3)
surface_name = keyed(
    left.selectbox,
    "Surface",
    SURFACES,
    key="sch_surface",
    on_change=reset_lr,
    format_func=lambda name: CATALOG[name].info.display_name,
)
optimizer = keyed(middle.selectbox,
    "Optimizer", list(OPTIMIZERS), key="sch_optimizer", on_change=reset_lr,
    format_func=lambda n: OPTIMIZERS[n].display_name,
)  # fmt: skip
schedule = keyed(
    right.selectbox, "Schedule", list(SCHEDULES), key="sch_compare", format_func=lambda n: SCHEDULES[n].display_name
)
if schedule == "plateau":
    with st.expander("Reduce-on-plateau parameters"):
        controls("plateau", st)
lr_param = OPTIMIZERS[optimizer].param("lr")
lr = param_control(lr_param, "sch_lr", comparison_lr(), label="η of the optimizer")
st.caption("η starts at five times the rate suggested for this surface, where a constant rate tends to keep bouncing.")
spec = format_spec(optimizer, {"lr": lr})
schedule_spec = format_spec(schedule, schedule_values(schedule))
try:
    scheduled = Scenario(surface=surface_name, optimizers=[spec], steps=updates, schedule=schedule_spec).validate()
    constant = Scenario(surface=surface_name, optimizers=[spec], steps=updates).validate()
except SpecError as error:
    st.error(f"Not run: {urlstate.inert(str(error))}")
    st.stop()  # the link keeps the last state that ran: a link is never a link to an error
with_schedule = run_scenario(scheduled.to_json())
without = run_scenario(constant.to_json())
extent = scrub(scheduled, schedule)
surface = make_surface(surface_name)
figure = contour_figure(surface, without, grid=surface_grid(surface_name), font_scale=font_scale, animate=False)
for trace in figure.data:
    if trace.name and trace.name.startswith(optimizer):
        trace.name = f"{trace.name}, constant η"
        trace.line.dash = "dot"
add_paths(figure, with_schedule, suffix=f", {SCHEDULES[schedule].display_name.lower()}", tag="s:")
left, right = st.columns([3, 2])
scene = f"{surface_name} {optimizer} {schedule}"
charts.show(figure, "sch_contour", charts.export_name("schedules", "contour", scene), left)
charts.show(
    comparison_loss_figure({f"{schedule}": with_schedule, "constant η": without}, font_scale, extent), "sch_loss",
    charts.export_name("schedules", "loss", scene), right,
)  # fmt: skip
gap_with = with_schedule.outcome.final_loss[0] - (surface.min_value or 0.0)
gap_without = without.outcome.final_loss[0] - (surface.min_value or 0.0)
st.markdown(
    f"After {updates} updates: final loss **{with_schedule.outcome.final_loss[0]:.4g}** with the "
    f"schedule ({with_schedule.status(0)}) and **{without.outcome.final_loss[0]:.4g}** at the constant "
    f"rate ({without.status(0)})."
    + (
        f" The schedule ends {'closer to' if gap_with < gap_without else 'farther from'} the minimum."
        if surface.min_value is not None
        else ""
    )
)
urlstate.store("schedules", URL_FIELDS)
