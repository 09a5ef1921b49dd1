"""Entry point: declares the pages and routes to them (the page scripts live in pages/)."""

import streamlit as st

from optim_core.lessons import LESSONS
from ui import tutorial
from ui.charts import begin_page, export_panel, page_scripts
from ui.present import presenting
from ui.warm import after_first_page, freeze_what_is_loaded, wait_for_engine

st.set_page_config(page_title="Optimizer playground", page_icon=":material/ssid_chart:", layout="wide")

PAGES = [
    st.Page("pages/playground.py", title="Playground", icon=":material/landscape:", default=True),
    st.Page("pages/lessons.py", title="Lessons", icon=":material/school:", url_path="lessons"),
    st.Page("pages/schedules.py", title="Schedules", icon=":material/trending_down:", url_path="schedules"),
    st.Page("pages/sweep.py", title="Sweep", icon=":material/grid_on:", url_path="sweep"),
    st.Page("pages/reference.py", title="Reference", icon=":material/menu_book:", url_path="reference"),
]

# In presentation mode the sidebar is hidden, so the pages move to the top bar. A student's link
# that locks the page to one view or lesson, or hides the sidebar, shows no navigation at all.
link = {key: st.query_params.get_all(key) for key in tutorial.KEYS if key in st.query_params}
tutor, _ = tutorial.parse(link, lessons=tuple(lesson.key for lesson in LESSONS))
locked = tutor.locked or "sidebar" in tutor.hide
page = st.navigation(PAGES, position="hidden" if locked else "top" if presenting() else "sidebar")
begin_page()
# The page, then what every page has below it. The foot's scripts are sent first and the
# downloads panel last, yet both sit below the page.
body, foot = st.container(), st.container()
panel = foot.container(key="tut-downloads-panel")  # a student's link may hide it with the downloads
with foot:
    page_scripts()  # legends back in place after a resize; Plotly loaded while the page runs
with body:
    wait_for_engine()  # make run: the first loop compiles beside the starting server (ui/warm.py)
    page.run()
with panel:
    export_panel()  # any chart of the page as a file for slides
after_first_page()  # make run: the engine's other loops compile now, after the first page
# Streamlit collects garbage after every run: frozen, the loaded modules' objects are not rescanned.
freeze_what_is_loaded()
