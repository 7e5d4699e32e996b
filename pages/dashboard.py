"""Leaders' satisfaction dashboard: overview KPIs with their change, drill-down by the org tree, trends, exports."""

import streamlit as st

from ui.session import require, t

user = require("admin", "leader")

import charts  # noqa: E402
from analytics import views  # noqa: E402
from analytics.kpi import format_change  # noqa: E402
from reports import excel  # noqa: E402
from services.survey_catalog import survey_version  # noqa: E402
from storage import analytics, orgs  # noqa: E402
from surveys import DEFAULT_SCALE, MatrixQuestion, NpsQuestion, RatingQuestion, scale_label  # noqa: E402
from ui import state  # noqa: E402
from ui.dashboard import (  # noqa: E402
    ensure_refresher, filter_bar, language, live_controls, number, percent, set_unit, updated_caption,
)
from ui.markup import plain  # noqa: E402
from ui.problem_kpis import render_problem_kpis  # noqa: E402
from ui import downloads  # noqa: E402
from ui.links import route_link  # noqa: E402
from ui.resources import database  # noqa: E402
import settings as settings_module  # noqa: E402

db = database()
ensure_refresher(db)
ctx = filter_bar(db, user, page="overview")
lang = language()
min_sample = settings_module.load().min_sample
st.title(t("dash.title"))
run_every = live_controls()


def survey_labels(survey_id: str | None, version: int | None) -> tuple[dict, dict, dict]:
    """(question/row labels, five-level names, NPS question ids) of the chosen survey version."""
    level_names = {c.value: scale_label(c, lang) for c in DEFAULT_SCALE}
    if not survey_id:
        return {}, level_names, {}
    found = survey_version(db, survey_id, version)
    if found is None:
        return {}, level_names, {}
    survey, _ = found
    labels, nps_questions = {}, {}
    for q in survey.questions:
        if isinstance(q, RatingQuestion):
            labels[(q.id, "")] = q.label
        elif isinstance(q, MatrixQuestion):
            for row in q.rows:
                labels[(q.id, row.id)] = f"{q.label} · {row.label}"
        elif isinstance(q, NpsQuestion):
            nps_questions[q.id] = q.label
    return labels, level_names, nps_questions


def render_overview(ov: views.OverviewView) -> None:
    st.subheader(t("dash.overview"))
    fig, d = ov.overview.figures, ov.deltas()
    c = st.columns(4)
    c[0].metric(t("dash.rate"), percent(fig.rate.value), format_change(d["rate"], percent_points=True),
                help=t("dash.rate_help", low=percent(fig.rate.low), high=percent(fig.rate.high), n=fig.rate.n))
    c[1].metric(t("dash.index"), number(fig.index), format_change(d["index"]))
    c[2].metric(t("dash.nps"), number(fig.nps.value), format_change(d["nps"]),
                help=t("dash.nps_help", p=fig.nps.promoters, d=fig.nps.detractors, n=fig.nps.n))
    c[3].metric(t("dash.responses"), f"{fig.responses:,}", format_change(d["responses"], digits=0))
    c = st.columns(4)
    c[0].metric(t("dash.responses_today"), f"{ov.overview.responses_today:,}")
    c[1].metric(t("dash.responses_7d"), f"{ov.overview.responses_7_days:,}")
    c[2].metric(t("dash.responses_total"), f"{ov.overview.responses_all_time:,}")
    c[3].metric(t("dash.col.n"), f"{fig.rate.n:,}")
    if ov.previous_filters is not None:
        st.caption(t("dash.delta_note", since=ov.previous_filters.since, until=ov.previous_filters.until))
    else:
        st.caption(t("dash.no_delta"))
    c = st.columns(5)
    v = ov.visits
    if v is None:
        c[0].metric(t("dash.coverage"), "—", help=t("dash.no_campaign"))
    else:
        c[0].metric(t("dash.coverage"), percent(v.coverage),
                    help=t("dash.coverage_help", covered=v.covered, households=v.households,
                           target=percent(v.coverage_target, 0)))
        pace = v.pace_needed(ov.today)
        c[1].metric(t("dash.pace"), t("dash.pace_done") if pace == 0 else t("dash.pace_over") if pace is None
                    else f"{pace:,.1f}", help=t("dash.pace_help", deadline=v.ends_on, left=v.households_left(),
                                                  days=max(0, (v.ends_on - ov.today).days + 1)))
        # Coverage, covered and households are so far / now: no delta (the stock at the previous period's end
        # would need the visit history); the households newly covered in the period are the flow that has one.
        c[2].metric(t("dash.col.covered"), f"{v.covered:,}")
        c[3].metric(t("dash.col.households"), f"{v.households:,}")
        c[4].metric(t("dash.newly_covered"), number(v.newly_covered, 0), format_change(d["newly_covered"], digits=0))
    render_problem_kpis(ov.problems, ov.raised, ov.raised_previous, ov.resolution, ov.today)


def drill_table(drill: views.DrillView) -> list[dict]:
    rows = []
    for u in drill.ranked:
        f = u.row.figures
        rows.append({
            t("dash.col.rank"): str(u.rank) if u.ranked else t("dash.unranked"),
            t("dash.col.unit"): t("dash.direct", name=u.row.unit_name) if u.row.direct else u.row.unit_name,
            t("dash.col.responses"): f.responses,
            t("dash.col.rate"): percent(f.rate.value),
            t("dash.col.low"): percent(f.rate.low) if f.rate.n else "—",
            t("dash.col.high"): percent(f.rate.high) if f.rate.n else "—",
            t("dash.col.n"): f.rate.n,
            t("dash.col.index"): number(f.index),
            t("dash.col.nps"): number(f.nps.value),
        })
    return rows


def render_drill(drill: views.DrillView) -> None:
    parent = drill.parent
    st.subheader(t("dash.drill_level", name=plain(parent.name)))
    if parent.id != user.unit_id and parent.parent_id is not None:
        up = orgs.get_unit(db, parent.parent_id)
        if up is not None and user.can_see(up.path):
            if st.button(t("dash.drill_up", name=plain(up.name)), key="dash.drill.up", icon=":material/arrow_upward:"):
                set_unit(up.id)
                st.rerun()
    if not drill.ranked:
        st.info(t("dash.no_children"))
        return
    st.caption(t("dash.min_sample_note", n=drill.min_sample))
    left, right = st.columns([3, 2])
    with left:
        event = st.plotly_chart(charts.ranked_bars(drill.ranked, lang, t("dash.direct", name="{name}")),
                                width="stretch", on_select="rerun", selection_mode="points",
                                key=f"dash.drill_chart.{parent.id}")
        picked = [p.get("customdata") for p in (event.selection.points if event and event.selection else [])]
        targets = {u.row.unit_id for u in drill.ranked if u.row.has_children}
        if picked and picked[0] in targets:
            set_unit(int(picked[0]))
            st.rerun()
    with right:
        st.dataframe(drill_table(drill), hide_index=True, width="stretch")
    openable = [u.row for u in drill.ranked if u.row.has_children]
    if openable:
        st.caption(t("dash.drill_into"))
        cols = st.columns(min(6, len(openable)))
        for i, row in enumerate(sorted(openable, key=lambda r: r.unit_code)):
            if cols[i % len(cols)].button(plain(row.unit_name), key=f"dash.drill.{row.unit_id}"):
                set_unit(row.unit_id)
                st.rerun()
    red_col, black_col = st.columns(2)
    if not drill.red:
        st.caption(t("dash.lists_empty"))
    else:
        red_col.markdown(f"**{t('dash.red_list')}**")
        red_col.dataframe(drill_table(views.DrillView(parent, drill.red, [], [], drill.min_sample)), hide_index=True)
        black_col.markdown(f"**{t('dash.black_list')}**")
        black_col.dataframe(drill_table(views.DrillView(parent, drill.black, [], [], drill.min_sample)),
                            hide_index=True)


def render_trends(f: analytics.Filters) -> None:
    st.subheader(t("dash.trends"))
    grain = st.segmented_control(t("dash.grain"), ["day", "week"], default="day", key="dash.grain",
                                 format_func=lambda g: t(f"dash.grain.{g}")) or "day"
    points = analytics.trend(db, user.scope, f, grain)
    if points:
        st.plotly_chart(charts.trend(points, lang), width="stretch", key="dash.trend_chart")
    else:
        st.info(t("dash.no_data"))
    st.subheader(t("dash.questions"))
    if not f.survey_id:
        st.info(t("dash.questions_pick_survey"))
        return
    labels, level_names, nps_questions = survey_labels(f.survey_id, f.survey_version)
    counts = analytics.question_counts(db, user.scope, f)
    scale_rows = [q for q in counts if (q.question_id, q.row_id) in labels]
    if scale_rows:
        st.plotly_chart(charts.level_distribution(scale_rows, labels, level_names, lang), width="stretch",
                        key="dash.levels_chart")
    for qid, label in nps_questions.items():
        q = next((q for q in counts if q.question_id == qid), None)
        if q is None:
            continue
        promoters = sum(n for v, n in q.counts.items() if v >= 9)
        detractors = sum(n for v, n in q.counts.items() if v <= 6)
        score = analytics.nps(promoters, detractors, q.n)
        st.markdown(f"**{t('dash.nps_title')}** · {number(score.value)} (n={q.n})")
        st.caption(plain(label))
        st.plotly_chart(charts.nps_bar(promoters, q.n - promoters - detractors, detractors, lang),
                        width="stretch", key=f"dash.nps.{qid}")


@st.fragment(run_every=run_every)
def live_view() -> None:
    require("admin", "leader")  # a live refresh is a script run too: a signed-out session stops here
    updated_caption()
    ov = views.overview_view(db, user.scope, ctx.filters, ctx.today)
    render_overview(ov)
    drill = views.drill_view(db, user.scope, ctx.filters, ctx.unit, min_sample)
    render_drill(drill)
    render_trends(ctx.filters)


live_view()

with st.expander(t("dash.export"), icon=":material/download:"):
    if st.button(t("dash.export_prepare"), key="dash.export.prepare"):
        titles = {v.survey_id: v.title for v in analytics.surveys_answered(db, user.scope)}
        line = ctx.filter_text(titles)
        ov = views.overview_view(db, user.scope, ctx.filters, ctx.today)
        drill = views.drill_view(db, user.scope, ctx.filters, ctx.unit, min_sample)
        labels, level_names, _ = survey_labels(ctx.filters.survey_id, ctx.filters.survey_version)
        files = {"report.xlsx": excel.view_report(
            db, user, line, ov, drill, analytics.trend(db, user.scope, ctx.filters, "day"),
            analytics.question_counts(db, user.scope, ctx.filters) if ctx.filters.survey_id else [], labels,
            level_names, lang)}
        if ctx.filters.survey_id:
            found = survey_version(db, ctx.filters.survey_id, ctx.filters.survey_version)
            raw = analytics.raw_responses(db, user.scope, ctx.filters, limit=excel.RAW_LIMIT + 1)
            if len(raw) > excel.RAW_LIMIT:
                st.warning(t("dash.export_capped", n=f"{excel.RAW_LIMIT:,}"))
            elif found is not None:
                files["responses.csv"] = excel.raw_responses_csv(db, user, found[0], raw, line, lang)
                files["responses.xlsx"] = excel.raw_responses_xlsx(db, user, found[0], raw, line, lang)
        else:
            st.info(t("dash.export_pick_survey"))
        # each file behind a single-use link for this user only (never st.download_button: /media is public)
        st.session_state[state.DASH_EXPORT] = {
            name: downloads.ticket_link(user, f"minyi-{ctx.today}-{name}",
                                        downloads.CSV if name.endswith(".csv") else downloads.XLSX, data)
            for name, data in files.items()}
    links = st.session_state.get(state.DASH_EXPORT, {})
    labels_by_file = {"report.xlsx": "dash.export_report", "responses.csv": "dash.export_raw_csv",
                      "responses.xlsx": "dash.export_raw_xlsx"}
    if links:
        st.caption(t("download.ready"))
    for name, url in links.items():
        route_link(t(labels_by_file[name]), url)
