"""Problems dashboard: the problem KPIs, problems raised in the period by category and state, and as of now the
ageing of those in hand and open / overdue per unit."""

import streamlit as st

from ui.session import require, t

user = require("admin", "leader")

import charts  # noqa: E402
from analytics import views  # noqa: E402
from fieldwork.problems import STATES  # noqa: E402
from ui.dashboard import ensure_refresher, filter_bar, language, live_controls, updated_caption  # noqa: E402
from ui.problem_kpis import render_problem_kpis  # noqa: E402
from ui.resources import database  # noqa: E402

db = database()
ensure_refresher(db)
ctx = filter_bar(db, user, page="problems", survey=False, channel=False)
lang = language()
st.title(t("dash.problems_title"))
run_every = live_controls()
state_names = {s: t(f"dash.state.{s}") for s in STATES}


def bucket_label(low: int, high: int | None) -> str:
    return t("dash.ageing_bucket_open", low=low - 1) if high is None else t("dash.ageing_bucket", low=low, high=high)


@st.fragment(run_every=run_every)
def live_view() -> None:
    require("admin", "leader")  # a live refresh is a script run too: a signed-out session stops here
    updated_caption()
    view = views.problems_view(db, user.scope, ctx.filters, ctx.unit.id, ctx.today)
    render_problem_kpis(view.summary, view.period, view.previous, view.resolution, ctx.today)
    left, right = st.columns(2)
    with left:
        st.subheader(t("dash.by_category"))
        by = view.by_category_state
        if by:
            st.plotly_chart(charts.category_states(by, STATES, state_names, lang),
                            width="stretch", key="dash.category_chart")
            st.dataframe([{t("dash.col.category"): cat, **{state_names[s]: by[cat].get(s, 0)
                                                          for s in STATES}} for cat in sorted(by)],
                         hide_index=True, width="stretch")
        else:
            st.info(t("dash.no_data"))
    with right:
        st.subheader(t("dash.ageing"))
        ageing = view.ageing
        st.plotly_chart(charts.ageing([bucket_label(lo, hi) for lo, hi, _ in ageing], [n for *_, n in ageing], lang),
                        width="stretch", key="dash.ageing_chart")
    st.subheader(t("dash.overdue_by_unit"))
    rows = view.overdue_by_unit
    if rows:
        st.dataframe([{t("dash.col.code"): r.unit_code, t("dash.col.unit"): r.unit_name, t("dash.col.open"): r.open,
                       t("dash.col.overdue"): r.overdue} for r in rows], hide_index=True, width="stretch")
    else:
        st.info(t("dash.no_children"))


live_view()
