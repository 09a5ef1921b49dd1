"""Playground: one surface, any set of optimizers side by side; every state is the page URL."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import replace

import streamlit as st

from optim_core.api import SEED, Scenario, parse_optimizer, parse_schedule, starting_rate
from optim_core.optimizers import CONVENTIONS, OPTIMIZERS
from optim_core.schedules import SCHEDULES, preview
from optim_core.scrub import current_value, parse_target, targets
from spec_strings import SpecError, format_spec, resolved
from surfaces import CATALOG, make_surface, parse_surface_spec
from ui.charts import browser_answers, draw_first, export_name, offer_race, show, show_table
from ui.compute import run_scenario, scrub_view, surface_grid, table_csv
from ui.controls import explicit, hold, keyed, param_control, prepare_control, prepare_steps, steps_control
from ui.figures import (
    animation_heads,
    animation_steps,
    contour_figure,
    distance_figure,
    effective_lr_figure,
    inspect_figure,
    loss_figure,
    presentation_contour_height,
    schedule_figure,
    surface3d_figure,
)
from ui.player import clicked_point, player, screen_height
from ui.present import PRESENT, header, on_phone, presentation_scale, tutorial_page
from ui.routing import route_through_app
from ui.scrub import describe, held_centre, released, scrub_bar
from ui.state import MAX_RUNS, PLAYGROUND_STEPS, PlaygroundState, from_query, to_query
from ui.tables import inspect_rows, summary_table, worked_rows
from ui.tutorial import HIDEABLE, TITLE_CHARS, Tutorial, clean_title
from ui.tutorial import VIEWS as TUTORIAL_VIEWS
from ui.urlstate import inert, warn_ignored

route_through_app()

ss = st.session_state
NO_SCRUB = "off"
CONTROLS = "pg_controls"  # the sidebar's controls' fragment
CONVENTION_HELP = (
    "**lecture**: the rules as the lecture notes and the original papers write them (momentum's "
    "velocity carries η: u ← βu + ηg). **pytorch**: the rules of torch.optim and its schedulers, so "
    "what you see transfers to training code (momentum keeps b ← βb + g and multiplies by η when it "
    "steps; AdaGrad and RMSprop add ε outside the square root). At a constant rate momentum's two "
    "forms agree; they part under a schedule. The Reference page lists every difference."
)
EFFECTIVE_RATE = (
    "The effective learning rate is the factor this update puts on today's gradient, per "
    "coordinate: η_t for GD, momentum and NAG, η_t/√(v+ε) for AdaGrad and RMSprop (each rule's "
    "is on the Reference page). It leaves out what momentum carries from earlier gradients: "
    "momentum's line sits at η, yet on a steady slope its steps grow to 1/(1−β) times η·g. "
    "AdaGrad's line can only fall: its sum of squared gradients only grows."
)


# ----- state <-> widgets ------------------------------------------------------------------------
def seed_widgets(state: PlaygroundState) -> None:
    """Write a state into the widgets' session keys (before the widgets are drawn)."""
    surface = parse_surface_spec(state.surface)
    ss["pg_surface"] = surface.name
    for param in CATALOG[surface.name].info.params:
        ss[f"pg_s_{surface.name}_{param.name}"] = surface.values.get(param.name, param.default)
    ss["pg_runs"] = []
    ss["pg_next_run"] = 0
    for text in state.resolved_optimizers():
        spec = parse_optimizer(text, state.convention)
        add_run(spec.name, {**spec.values}, spec.label or "")
    schedule = parse_schedule(state.schedule)
    ss["pg_schedule"] = schedule.name
    for param in SCHEDULES[schedule.name].params:
        ss[f"pg_sch_{schedule.name}_{param.name}"] = schedule.values.get(param.name, param.default)
    start = state.start or make_surface(state.surface).starts[0]
    ss["pg_start_x"], ss["pg_start_y"] = float(start[0]), float(start[1])
    ss["pg_steps"] = state.steps
    ss["pg_convention"] = state.convention
    ss["pg_seed"] = state.seed
    ss["pg_inspect"] = state.selected_step  # None: the last step, whatever the number of steps
    ss[PRESENT] = state.presentation
    ss["pg_scrub"] = state.scrub or NO_SCRUB
    ss["pg_tutorial"] = state.tutorial


def add_run(name: str, values: dict, label: str = "") -> None:
    rid = ss["pg_next_run"]
    ss["pg_next_run"] = rid + 1
    ss["pg_runs"] = [*ss["pg_runs"], rid]
    ss[f"pg_run{rid}_name"] = name
    ss[f"pg_run{rid}_label"] = label
    for param in OPTIMIZERS[name].params:
        ss[f"pg_run{rid}_{param.name}"] = values.get(param.name, param.default)


def state_from_widgets() -> PlaygroundState:
    surface = ss["pg_surface"]
    surface_spec = format_spec(
        surface, explicit(CATALOG[surface].info.params, lambda p: ss[f"pg_s_{surface}_{p.name}"])
    )
    convention = ss["pg_convention"]
    optimizers = []
    for rid in ss["pg_runs"]:
        name = ss[f"pg_run{rid}_name"]
        values = explicit([p for p, _ in run_params(rid, convention)], lambda p, rid=rid: ss[f"pg_run{rid}_{p.name}"])
        values.setdefault("lr", ss[f"pg_run{rid}_lr"])  # the rate is always written out
        optimizers.append(format_spec(name, values, ss[f"pg_run{rid}_label"].strip() or None))
    schedule = ss["pg_schedule"]
    schedule_spec = format_spec(
        schedule, explicit(SCHEDULES[schedule].params, lambda p: ss.get(f"pg_sch_{schedule}_{p.name}", p.default))
    )
    start = (float(ss["pg_start_x"]), float(ss["pg_start_y"]))
    default_start = tuple(float(c) for c in make_surface(surface_spec).starts[0])
    steps = int(ss["pg_steps"])
    state = PlaygroundState(
        surface=surface_spec,
        optimizers=tuple(optimizers),
        start=None if start == default_start else start,
        steps=steps,
        schedule=schedule_spec,
        convention=convention,
        seed=int(ss["pg_seed"]),
        selected_step=None if ss["pg_inspect"] is None or ss["pg_inspect"] >= steps else ss["pg_inspect"],
        presentation=bool(ss.get(PRESENT)),
        tutorial=ss.get("pg_tutorial", Tutorial()),
    )
    scrub = ss.get("pg_scrub", NO_SCRUB)
    if scrub == NO_SCRUB:
        return state
    try:  # a target of a run that was removed, or of another schedule, is no longer offered
        return replace(state, scrub=str(parse_target(scrub, state.scenario())))
    except SpecError:
        return state


# ----- callbacks (run before the script, so they may change widget values) -----------------------
# The sidebar's controls are a fragment of their own (draw_controls): a control's change reruns
# that fragment alone unless its callback says otherwise. A control that changes the sidebar
# itself (a surface, an optimizer, the convention, a run added) reruns the page (rerun_page);
# one that changes only numbers, the views (rerun_views).
def rerun_page() -> None:
    """The whole page reruns: a control changed what the sidebar shows, or a control of the
    views wrote a value into one of the sidebar (which would keep showing, and later send back,
    the old value)."""
    st.rerun()


def on_surface_change() -> None:
    surface = ss["pg_surface"]
    start = CATALOG[surface]({p.name: p.default for p in CATALOG[surface].info.params}).starts[0]
    ss["pg_start_x"], ss["pg_start_y"] = float(start[0]), float(start[1])
    for rid in ss["pg_runs"]:
        ss[f"pg_run{rid}_lr"] = starting_rate(surface, ss[f"pg_run{rid}_name"])
    rerun_page()


def on_add_run() -> None:
    name = ss["pg_add"]
    same = sum(ss[f"pg_run{rid}_name"] == name for rid in ss["pg_runs"])
    add_run(name, {"lr": starting_rate(ss["pg_surface"], name)}, f"{name} {same + 1}" if same else "")
    rerun_page()


def on_remove_run(rid: int) -> None:
    ss["pg_runs"] = [r for r in ss["pg_runs"] if r != rid]
    rerun_page()


def on_optimizer_change(rid: int) -> None:
    name = ss[f"pg_run{rid}_name"]
    for param in OPTIMIZERS[name].params:
        ss[f"pg_run{rid}_{param.name}"] = param.default
    ss[f"pg_run{rid}_lr"] = starting_rate(ss["pg_surface"], name)
    rerun_page()


def on_contour_click() -> None:
    """The runs start where the contour was clicked (4 significant digits: a short link)."""
    point = clicked_point("pg_player")
    if point is not None:
        ss["pg_start_x"], ss["pg_start_y"] = (float(f"{c:.4g}") for c in point)
        rerun_page()


def on_inspect() -> None:
    ss["pg_inspect"] = None if ss["pg_step"] >= ss["pg_steps"] else int(ss["pg_step"])


def on_scrub_release() -> None:
    """The scrub was let go: its value goes into the control it stands for (and so the URL)."""
    live = ss.get("pg_scrub_live")
    value = None if live is None else released("pg_scrub_bar", live[1])
    if value is None:
        return
    target = live[0]
    if target.kind == "start":
        ss[f"pg_start_{target.name}"] = value
    elif target.kind == "opt":
        ss[f"pg_run{ss['pg_runs'][target.run]}_{target.name}"] = value
    else:
        param = next(p for p in SCHEDULES[ss["pg_schedule"]].params if p.name == target.name)
        ss[f"pg_sch_{ss['pg_schedule']}_{target.name}"] = int(value) if param.kind == "int" else value
    rerun_page()


def on_upload() -> None:
    upload = ss.get("pg_upload")
    if upload is None:
        return
    try:
        scenario = Scenario.from_json(upload.getvalue())
        PLAYGROUND_STEPS.convert(scenario.steps, "the Playground")
    except SpecError as error:
        ss["pg_upload_error"] = f"{upload.name}: {error}"
        return
    ss.pop("pg_upload_error", None)
    seed_widgets(PlaygroundState.from_scenario(scenario, presentation=bool(ss.get(PRESENT))))


# ----- the URL is the state: read it on the first load, and whenever another page (the Sweep)
# or the browser put a different one there; an empty URL keeps the current state ------------------
incoming = {key: st.query_params.get_all(key) for key in st.query_params}
# A rerun may carry a URL this session wrote a few reruns ago (quick key presses queue reruns
# faster than the browser updates its address), so only a URL never written here is foreign.
written = ss.setdefault("pg_written_queries", [])
follow = ss.pop("pg_follow_url", False)  # set by a page that sends the user here with a link
if "pg_runs" not in ss or follow or (incoming and json.dumps(incoming, sort_keys=True) not in written):
    parsed = from_query(incoming)
    seed_widgets(parsed.state)
    ss["pg_url_ignored"] = parsed.ignored

# The page's top, filled once the contour is on its way (draw_top): what goes before the contour
# in the script goes before it to the browser, which renders it first (README, "Instant").
page_top = st.container()
font_scale = presentation_scale()
present = font_scale > 1
tutor: Tutorial = ss.get("pg_tutorial", Tutorial())


def draw_top() -> None:
    with page_top:
        header("Playground")
        tutorial_page(tutor)
        warn_ignored(ss.get("pg_url_ignored", []))


# ----- controls: every value is read first, and the controls drawn after the views ---------------
# The sidebar's controls are most of a rerun's elements. Drawn first, they went before the
# contour, to be built by the server and rendered by the browser ahead of it; the sidebar is a
# column of its own, so drawing it last moves nothing on the screen.
controls_box, link_box = st.sidebar.container(), st.sidebar.container()


def surface_params(surface: str) -> list[tuple]:
    return [(param, f"pg_s_{surface}_{param.name}") for param in CATALOG[surface].info.params]


def run_params(rid: int, convention: str) -> list[tuple]:
    """A run's controls: its optimizer's parameters that this convention has."""
    info = OPTIMIZERS[ss[f"pg_run{rid}_name"]]
    skip = info.pytorch_only if convention == "lecture" else info.lecture_only
    return [(param, f"pg_run{rid}_{param.name}") for param in info.params if param.name not in skip]


def schedule_params(schedule: str) -> list[tuple]:
    """The schedule's controls; optional keys (t_max, base_lr, ...) keep their documented defaults."""
    params = [(param, f"pg_sch_{schedule}_{param.name}") for param in SCHEDULES[schedule].params]
    return [(param, key) for param, key in params if not (param.default is None and ss.get(key) is None)]


def prepare_controls() -> None:
    """Every control's value in the session as its control will show it, before anything reads it."""
    params = [
        *surface_params(ss["pg_surface"]),
        *(pair for rid in ss["pg_runs"] for pair in run_params(rid, ss["pg_convention"])),
        *schedule_params(ss["pg_schedule"]),
    ]
    for param, key in params:
        prepare_control(param, key, param.default)
    prepare_steps(PLAYGROUND_STEPS, "pg_steps")


@st.fragment(key=CONTROLS)
def draw_controls() -> None:
    """The sidebar's controls, a fragment: a control's change reruns what it changes (the
    callbacks above), and a run of the views alone is one run (a callback's rerun of a fragment
    ends the run the change began: a run of the page began, the browser marked every element of
    the page as changing, and drew the contour ~10 ms later)."""
    with controls_box, st.container(key="tut-surface"):
        keyed(
            st.selectbox,
            "Surface",
            list(CATALOG),
            key="pg_surface",
            on_change=on_surface_change,
            format_func=lambda name: CATALOG[name].info.display_name,
        )
        with st.expander(
            "Surface parameters", expanded=surface_name == "custom", key=f"pg_s_{surface_name}_panel", on_change="rerun"
        ) as panel:
            if drawn(panel):
                for param, key in surface_params(surface_name):
                    param_control(param, key, param.default, label=f"{param.name}: {param.doc}", on_change=rerun_views,
                                  persist_state="page")  # fmt: skip
    with controls_box, st.container(key="tut-start"):
        st.caption("Start point (or click the contour)")
        sx, sy = st.columns(2)
        keyed(sx.number_input, "x₀", key="pg_start_x", format="%.4g", on_change=rerun_views)
        keyed(sy.number_input, "y₀", key="pg_start_y", format="%.4g", on_change=rerun_views)
    with controls_box, st.container(key="tut-steps"):
        steps_control(PLAYGROUND_STEPS, "pg_steps", "Steps", on_change=rerun_views)
    with controls_box, st.container(key="tut-convention"):
        keyed(st.radio, "Convention", CONVENTIONS, key="pg_convention", horizontal=True, help=CONVENTION_HELP,
              on_change=rerun_page)  # fmt: skip

    with controls_box, st.container(key="tut-optimizers"):
        st.subheader("Optimizers")
        for rid in ss["pg_runs"]:
            name = ss[f"pg_run{rid}_name"]
            label = ss[f"pg_run{rid}_label"] or OPTIMIZERS[name].display_name
            # The title holds no value a control inside changes: a new title is a new (closed) panel.
            with st.expander(label, key=f"pg_run{rid}_panel", on_change="rerun") as panel:
                if drawn(panel):
                    run_panel(rid, name)
        if len(ss["pg_runs"]) < MAX_RUNS:
            add_col, button_col = st.columns([3, 2], vertical_alignment="bottom")
            keyed(
                add_col.selectbox,
                "Add",
                list(OPTIMIZERS),
                key="pg_add",
                format_func=lambda n: OPTIMIZERS[n].display_name,
            )
            button_col.button("Add run", on_click=on_add_run)

    with controls_box, st.container(key="tut-schedule"):
        st.subheader("Schedule")
        keyed(
            st.selectbox,
            r"Schedule of $\eta_t$",
            list(SCHEDULES),
            key="pg_schedule",
            format_func=lambda n: SCHEDULES[n].display_name,
            on_change=rerun_page,
        )
        for param, key in schedule_params(schedule_name):
            param_control(param, key, param.default, label=f"{param.name}: {param.doc}", on_change=rerun_views)
        keyed(
            st.number_input, "Seed (noise, mini-batches)", int(SEED.low), int(SEED.high), key="pg_seed", step=1,
            on_change=rerun_views,
        )  # fmt: skip


def drawn(panel) -> bool:
    """Whether a panel of the sidebar's draws its controls: only while open. A closed panel's
    controls were a third of the page's elements, and the browser renders every element again
    whenever a run begins or ends (keypress to redrawn contour 5 ms faster without them). Their
    values stay in the session meanwhile (``persist_state``). Without a browser (AppTest) every
    panel draws its controls, as a page drawn for a test has no one to open them."""
    return panel.open or not browser_answers()


def run_panel(rid: int, name: str) -> None:
    """The controls of run ``rid`` (optimizer ``name``), in its panel."""
    keyed(
        st.selectbox,
        "optimizer",
        list(OPTIMIZERS),
        key=f"pg_run{rid}_name",
        on_change=on_optimizer_change,
        args=(rid,),
        format_func=lambda n: OPTIMIZERS[n].display_name,
        persist_state="page",
    )
    if OPTIMIZERS[name].note:
        st.caption(OPTIMIZERS[name].note)
    for param, key in run_params(rid, convention):
        param_control(param, key, param.default, label=param.doc, on_change=rerun_views, persist_state="page")
    keyed(
        st.text_input,
        "label",
        key=f"pg_run{rid}_label",
        max_chars=40,
        on_change=rerun_page,
        help="tells two runs of one optimizer apart",
        persist_state="page",
    )
    st.button("Remove", key=f"pg_remove{rid}", on_click=on_remove_run, args=(rid,))


def draw_scenario() -> None:
    """Restoring a scenario, outside the controls' fragment: a file restored reruns the page (a
    rerun asked for by the uploader's callback itself was seen to leave a browser test's page
    running for a minute, two runs in three of the suite)."""
    with controls_box, st.container(key="tut-scenario"):
        st.subheader("Scenario")
        st.file_uploader("Restore a scenario (JSON)", type=["json"], key="pg_upload", on_change=on_upload)
        if ss.get("pg_upload_error"):
            st.error(inert(ss["pg_upload_error"]))


prepare_controls()
surface_name, convention, schedule_name = ss["pg_surface"], ss["pg_convention"], ss["pg_schedule"]
schedule_preview = schedule_name != "constant" and not present  # η_t's curve in the sidebar
surface_info = CATALOG[surface_name].info

# ----- run ---------------------------------------------------------------------------------------
if not ss["pg_runs"]:
    draw_top()
    draw_controls()
    draw_scenario()
    st.info("Add at least one optimizer in the sidebar to see its path.")
    st.stop()


def valid_state() -> tuple[tuple[PlaygroundState, str] | None, str | None]:
    """The controls' scene, checked and run, and its scenario; kept as the last valid one. Bad
    input changes nothing: the last valid scene stays (None before there is one), and the
    second value says what is wrong (None if nothing is)."""
    try:
        state = state_from_widgets()
        scenario_json = state.scenario().validate().to_json()
        run_scenario(scenario_json)  # whatever the core refuses at run time is refused here, before it is kept
        ss["pg_last_valid"] = (state, scenario_json)
    except SpecError as error:
        return ss.get("pg_last_valid"), f"Not applied: {inert(str(error))}"
    return ss["pg_last_valid"], None


def write_url(state: PlaygroundState) -> None:
    """Put ``state`` in the page's URL, remembering it as written here (so it is never taken
    for a link from elsewhere, which would seed the widgets anew)."""
    wanted = to_query(state)
    wanted_lists = {k: v if isinstance(v, list) else [v] for k, v in wanted.items()}
    key = json.dumps(wanted_lists, sort_keys=True)
    if key not in ss["pg_written_queries"]:
        ss["pg_written_queries"] = [*ss["pg_written_queries"], key][-50:]
    if wanted_lists != {k: st.query_params.get_all(k) for k in st.query_params}:
        st.query_params.from_dict(wanted)


def link_for_students(state: PlaygroundState) -> None:
    """A link to this scene for students: a title line, controls hidden, one view alone. Drawn
    by the views (the link holds the scene), its controls only while it is open."""
    with (
        link_box,
        st.expander("Copy link for students", icon=":material/link:", key="pg_link_open", on_change="rerun") as panel,
    ):
        if not panel.open:
            return
        hide = keyed(st.multiselect, "Hide", list(HIDEABLE), format_func=HIDEABLE.get, key="pg_tut_hide")
        only = keyed(st.selectbox,
            "Show", [None, *TUTORIAL_VIEWS], key="pg_tut_view",
            format_func=lambda v: "every view" if v is None else f"{TUTORIAL_VIEWS[v]} alone",
        )  # fmt: skip
        title = keyed(st.text_input, "Title line (plain text)", max_chars=TITLE_CHARS, key="pg_tut_title")
        tutor = Tutorial(clean_title(title) or None, tuple(hide), only)
        query = urllib.parse.urlencode(to_query(replace(state, tutorial=tutor)), doseq=True)
        st.code(f"{st.context.url or ''}?{query}", language=None, wrap_lines=True)
        st.caption(
            "Copy it with the button at its corner. The link opens this scene; a page with one view alone has no navigation."
        )


# ----- views -------------------------------------------------------------------------------------
CHARTS = (("contour", "pg_contour"), ("loss", "pg_loss"), ("distance", "pg_distance"), ("effective", "pg_eff"))


def markers_caption(surface, result) -> str:
    """What each mark on the contour is (only the marks drawn)."""
    parts = ["○ start"]
    if surface.minima:
        parts.append("★ minimum")
    if surface.saddles:
        parts.append("◇ saddle point")
    if (result.outcome.diverged_at >= 0).any():
        parts.append("red ✕ where a run diverged")
    return " · ".join(parts) + ". Click the contour to start from there."


@st.fragment
def at_one_step(state: PlaygroundState, scenario_json: str, font_scale: float, scene: str) -> None:
    """The arrows and state at the inspected step. A fragment: moving its slider reruns this
    section alone (the server sends it, not the whole page again), and writes the step into the URL."""
    result = run_scenario(scenario_json)
    st.subheader("At one step")
    # The slider is made anew when its range changes; its value comes from the durable choice.
    inspected = ss.get("pg_inspect")
    hold("pg_step", state.steps if inspected is None else min(inspected, state.steps), state.steps)
    keyed(st.slider, "Inspect step", 0, state.steps, key="pg_step", on_change=on_inspect)
    step = int(ss["pg_step"])
    left, right = st.columns([3, 2])
    with left:
        show(inspect_figure(result, step, font_scale), "pg_inspect", export_name("playground", f"step-{step}", scene))
    with right:
        st.caption(
            r"Thick arrow: the update made at this step. Thin arrows: the plain gradient step $-\eta_t g$ and "
            "the velocity of momentum and Nesterov. The table holds each run's values at the step and its state after the update."
        )
        show_table(inspect_rows(result, step))
    runs = list(range(len(result.runs)))
    if ss.get("pg_worked_run") not in runs:
        ss["pg_worked_run"] = 0
    # The labels, not the result: Streamlit keeps a widget's format_func with the session.
    labels = [info.label for info in result.runs]
    run = keyed(st.selectbox, "Work out the update of", runs, key="pg_worked_run", format_func=labels.__getitem__)
    info = OPTIMIZERS[result.runs[run].optimizer]
    st.caption(
        f"Every value `{info.module}.update` computes for this update, in its order, with this run's numbers; "
        "the last lines are what it returns, the recorded numbers."
    )
    show_table(worked_rows(result, run, step))
    chosen = ss.get("pg_inspect")
    write_url(replace(state, selected_step=None if chosen is None or chosen >= state.steps else int(chosen)))


CONTOUR, VIEWS = "pg_contour_view", "pg_views"  # the views' two fragments
CHAIN = "pg_chain"  # session state: the number of the last contour sent with a chain
VIEWS_WAIT = "pg_views_wait"  # session state: this run's other views follow the contour's drawing
VIEWS_DRAWN = "pg_views_drawn"  # session state: the other views have been drawn in this session


def shown(view: str, only: str | None) -> bool:
    """Whether a page showing ``only`` (a student's link's one view; None: every view) shows ``view``."""
    return only is None or only == view


def contour_wanted() -> bool:
    return shown("contour", ss.get("pg_tutorial", Tutorial()).view)


def rerun_views() -> None:
    """The callback of a control whose change leaves the sidebar as it is (a rate, β, the steps,
    the start): the views rerun alone, the contour first. Its fragment reruns alone and is sent
    on its own; once the browser shows it, :func:`on_contour_drawn` reruns the other views. One
    run of them all sent the contour with 40-odd other elements, and the browser drew it only
    after the last of them (README, "Instant"). A page without the contour reruns them together."""
    if not contour_wanted():
        st.rerun([CONTOUR, VIEWS])
    next_chain()
    ss["pg_chain_pending"] = True
    st.rerun(CONTOUR)


def next_chain() -> int:
    """A new chain number (:func:`ui.charts.show`): the browser answers each number once."""
    ss[CHAIN] = ss.get(CHAIN, 0) + 1
    return ss[CHAIN]


def first_view_chain() -> int:
    """The chain number of a session's first view of the page, drawn by a browser: the page's
    run sends the contour and the other views' places, and the views follow once the browser
    shows it (as after a keypress). In that first run the browser also loads and starts Plotly
    (0.8 s of one core here) while the server builds; each element more the run sends is one
    more the browser renders before it. Without a browser to answer (AppTest) every view is
    drawn in the page's run."""
    if ss.get(VIEWS_DRAWN) or not contour_wanted() or not browser_answers():
        return 0
    ss[VIEWS_WAIT] = True
    return next_chain()


def on_contour_drawn() -> None:
    """The browser shows the contour of a run of its fragment alone: the other views now."""
    st.rerun(VIEWS)


def scene_name(state: PlaygroundState, result) -> str:
    return " ".join([state.surface.split(":")[0], *(r.optimizer for r in result.runs)])


def charts_shown(state: PlaygroundState) -> tuple:
    return tuple((view, key) for view, key in CHARTS if shown(view, state.tutorial.view))


@st.fragment(key=CONTOUR)
def contour_view(head, left) -> None:
    """The scene checked (a message above the views if it is not), the contour and the URL:
    the views' first fragment, in the page's containers ``head`` and ``left``. It holds the
    contour alone: each element a run sends after it is one more message the browser takes in
    before it draws the contour. What the views are built from stays local: Streamlit keeps a
    closed session for a while, and through its callbacks this script's globals, so a result
    held there would outlive the cache's budget and idle expiry."""
    current, problem = valid_state()
    alone = ss.pop("pg_chain_pending", False)  # a run of the contour alone (rerun_views)
    chain = ss[CHAIN] if alone else first_view_chain() if current else 0
    # A fragment may write in a container of the page only where it wrote in the page's last
    # run: the contour's place and the messages' are written in every run.
    if current is not None:
        draw_contour(left, *current, chain)
        if alone and contour_wanted():
            draw_first()  # the URL's change and the run's end wait until the browser draws it
        write_url(current[0])
    elif contour_wanted():
        left.empty()
    box = head.empty()  # nothing on the screen while nothing is wrong
    if problem:
        with box.container():
            st.error(problem)
            if current is not None:
                st.caption("Showing the last valid settings.")


def draw_contour(left, state: PlaygroundState, scenario_json: str, chain: int) -> None:
    result = run_scenario(scenario_json)
    scene = scene_name(state, result)
    # The race is offered with the contour: a first view's other views come in a later run, and
    # the export panel, drawn in the page's run, names the race in its title.
    offer_race(export_name("playground", "race", scene), lambda: run_scenario(scenario_json), scenario_json)
    if contour_wanted():
        with left:
            show(
                contour_figure(
                    # The run's own surface, cached with it: a surface built anew would find a typed
                    # function's minima and saddles again (surfaces.stationary, up to 22 ms) per rerun.
                    result.surface, result, grid=surface_grid(state.surface), font_scale=font_scale, phone=on_phone(),
                    height=presentation_contour_height(screen_height("pg_player")) if present else None,
                    clickable=True, frames=False,
                ),
                "pg_contour", export_name("playground", "contour", scene),
                chain=chain, on_drawn=on_contour_drawn,
            )  # fmt: skip


def scrub_row(place, state: PlaygroundState, scenario_json: str, labels: list[str]) -> dict:
    """The scrub's choice and bar in ``place``: one quantity at many values, moved in the
    browser. The axis extents the charts hold while it moves them ({} without a scrub)."""
    choices = {NO_SCRUB: "Scrub: off", **{str(t): f"Scrub {describe(t, labels)}" for t in targets(state.scenario())}}
    if ss.get("pg_scrub") not in choices:
        ss["pg_scrub"] = NO_SCRUB
    scrub_col, bar_col = place.columns([1, 3], vertical_alignment="bottom")
    keyed(scrub_col.selectbox,
        "Scrub", list(choices), key="pg_scrub", format_func=choices.__getitem__, label_visibility="collapsed",
        help="Pick a value to drag: every path, loss and rate moves while you drag (41 values or "
        "more, computed at once). Letting go sets the value.", on_change=rerun_views,
    )  # fmt: skip
    if state.scrub is None or not charts_shown(state):
        return {}
    try:
        scenario = state.scenario()
        target = parse_target(state.scrub, scenario)
        centre = held_centre("pg_scrub_centres", state.scrub, current_value(scenario, target))
        view, extent = scrub_view(scenario_json, state.scrub, describe(target, labels), charts_shown(state), centre)
    except SpecError as error:
        bar_col.warning(f"No scrub: {inert(str(error))}")
        return {}
    ss["pg_scrub_live"] = (target, [*view["values"]])
    with bar_col:
        scrub_bar(view, "pg_scrub_bar", on_scrub_release, font_scale)
    return extent


@st.fragment(key=VIEWS)
def other_views(head, left, right) -> None:
    """Every view but the contour, from the scene the contour's fragment checked (it runs
    first): the loss and distance in the page's container ``right`` (beside the contour), the
    rest below. A fragment:
    a control that changes only numbers reruns it after the contour (:func:`rerun_views`); a
    change of the sidebar's own controls (a surface, an optimizer, a run added) reruns the page."""
    current = ss.get("pg_last_valid")
    if current is None or ss.pop(VIEWS_WAIT, False):  # the places it writes in, kept (see contour_view)
        for place in (head, left, right, link_box):
            place.empty()
        if current is not None and schedule_preview:
            st.sidebar.empty()  # the schedule's preview
        return
    ss[VIEWS_DRAWN] = True
    state, scenario_json = current
    result = run_scenario(scenario_json)
    surface = result.surface
    scene = scene_name(state, result)

    def name(view: str) -> str:
        """Export file name: page, view and scene (surface and optimizers)."""
        return export_name("playground", view, scene)

    only = state.tutorial.view  # a student's link may show one view alone

    def wanted(view: str) -> bool:
        return shown(view, only)

    link_for_students(state)
    if schedule_preview:
        with st.sidebar:
            try:
                sched = parse_schedule(state.schedule)
                values = resolved(sched, SCHEDULES[sched.name].params)
                curve = preview(sched.name, values, 1.0, state.steps)
                show(
                    schedule_figure({"η<sub>t</sub> / η": curve}, font_scale=0.85, height=260),
                    "pg_schedule_preview",
                    "playground-schedule",
                )
            except SpecError as error:
                st.caption(inert(str(error)))

    extent = scrub_row(head.container(key="tut-scrub"), state, scenario_json, [run.label for run in result.runs])
    if wanted("contour"):
        with left:
            player(
                "pg_contour", animation_steps(result), animation_heads(result), "pg_player", font_scale, scene=scenario_json,
                report_height=present, on_click=on_contour_click, on_report=rerun_views,
            )  # fmt: skip
            st.caption(markers_caption(surface, result))
    with right:
        if wanted("loss"):
            show(loss_figure(result, font_scale, extent.get("loss")), "pg_loss", name("loss"))
        distance = distance_figure(result, font_scale, extent.get("distance")) if wanted("distance") else None
        if distance is not None:
            show(distance, "pg_distance", name("distance"))
        if only is None:
            st.caption(inert(surface_info.notes))

    left, right = (st.container(), st.container()) if only else st.columns(2)
    if wanted("effective"):
        with left:
            show(effective_lr_figure(result, font_scale, extent.get("effective")), "pg_eff", name("effective-rate"))
            st.caption(EFFECTIVE_RATE)
    grid = surface_grid(state.surface)
    if only == "3d":
        show(surface3d_figure(surface, result, grid=grid, font_scale=font_scale), "pg_3d", name("3d"))
    elif only is None:
        # Built and drawn only while open: in software rendering the 3D surface was most of a
        # rerun's drawing time, below the first screen.
        with right, st.expander("The surface in 3D", key="pg_3d_open", on_change="rerun") as panel:
            if panel.open:
                show(surface3d_figure(surface, result, grid=grid, font_scale=font_scale), "pg_3d", name("3d"))

    if wanted("step"):
        at_one_step(state, scenario_json, font_scale, scene)
    if only is not None:
        return

    st.subheader("Summary")
    show_table(summary_table(result))
    download_csv, download_json = st.container(key="tut-downloads").columns(2)
    # A download reruns nothing ("ignore"): a rerun cost a round trip for nothing, and its
    # end let Streamlit collect the CSV it had just generated before the browser fetched it.
    download_csv.download_button(
        "Download the table (CSV)",
        lambda: table_csv(scenario_json),
        "optimizer-runs.csv",
        "text/csv",
        key="pg_csv",
        on_click="ignore",
    )
    download_json.download_button(
        "Download the scenario (JSON)",
        scenario_json,
        "scenario.json",
        "application/json",
        key="pg_json",
        on_click="ignore",
    )


# The views' places: the scene's messages and the scrub's row, the contour beside the loss and
# distance, the rest below (in the views' own fragment). Presenting, the sidebar is hidden and
# the page is wide: a square plot in three fifths of it left most of its figure empty at
# 1920 px (23 %), half of it leaves less. One view alone takes the page's width.
head = st.container()
left, right = (st.container(), st.container()) if tutor.view else st.columns([1, 1] if present else [3, 2])
contour_view(head, left)  # the contour first: what a run sends first, the browser renders first
other_views(head, left, right)
draw_top()
draw_controls()
draw_scenario()
