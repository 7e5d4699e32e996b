"""Visits dashboard: coverage against the target, the burn-up to the deadline, make-up and return-visit counts."""

import streamlit as st

from ui.session import require, t

user = require("admin", "leader")

import charts  # noqa: E402
from analytics import views  # noqa: E402
from storage import analytics  # noqa: E402
from ui.dashboard import (  # noqa: E402
    ensure_refresher, filter_bar, language, live_controls, percent, updated_caption,
)
from ui.markup import plain  # noqa: E402
from ui.resources import database  # noqa: E402

db = database()
ensure_refresher(db)
ctx = filter_bar(db, user, page="visits", survey=False, channel=False, period=False)
lang = language()
st.title(t("dash.visits_title"))
run_every = live_controls()
scope = views.view_scope(user.scope, ctx.filters)


@st.fragment(run_every=run_every)
def live_view() -> None:
    require("admin", "leader")  # a live refresh is a script run too: a signed-out session stops here
    updated_caption()
    summary = views.visit_summary(db, scope, ctx.filters.campaign_id, ctx.today, group_level=ctx.unit.level + 1)
    if summary is None:
        st.info(t("dash.no_campaign"))
        return
    st.subheader(plain(summary.campaign_name))
    c = st.columns(4)
    c[0].metric(t("dash.coverage"), percent(summary.coverage),
                help=t("dash.coverage_help", covered=summary.covered, households=summary.households,
                       target=percent(summary.coverage_target, 0)))
    pace = summary.pace_needed(ctx.today)
    c[1].metric(t("dash.pace"), t("dash.pace_done") if pace == 0 else t("dash.pace_over") if pace is None
                else f"{pace:,.1f}")
    c[2].metric(t("dash.make_up"), f"{summary.make_up:,}")
    c[3].metric(t("dash.return_visits"), f"{summary.return_visits:,}")
    st.subheader(t("dash.burnup"))
    points = analytics.coverage_burnup(db, scope, summary.campaign_id)
    st.plotly_chart(charts.burnup(points, summary.households, summary.coverage_target, summary.starts_on,
                                  summary.ends_on, lang), width="stretch", key="dash.burnup_chart")
    st.subheader(t("dash.coverage_by_unit"))
    st.dataframe([{t("dash.col.code"): r.unit_code, t("dash.col.unit"): r.unit_name,
                   t("dash.col.households"): r.households, t("dash.col.covered"): r.covered,
                   t("dash.col.attempted"): r.attempted,
                   t("dash.col.coverage"): percent(r.covered / r.households if r.households else None)}
                  for r in summary.by_unit], hide_index=True, width="stretch")


live_view()
