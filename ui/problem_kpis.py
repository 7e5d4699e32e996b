"""The problem KPIs as the overview and the problems dashboard both show them: stock figures as of now, flow
figures of the problems raised in the period with their change against the previous period."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from analytics.kpi import format_change
from analytics.problem_table import RaisedProblems, ResolutionSatisfaction
from analytics.views import problem_deltas
from storage.problems import ProblemSummary
from ui.dashboard import number, percent
from ui.session import t


def period_text(since: dt.date | None, until: dt.date | None, today: dt.date) -> str:
    return t("dash.period.all") if since is None else f"{since} – {until or today}"


def render_problem_kpis(summary: ProblemSummary, raised: RaisedProblems, previous: RaisedProblems | None,
                        resolution: ResolutionSatisfaction, today: dt.date) -> None:
    d = problem_deltas(raised, previous)
    c = st.columns(6)
    # Open and overdue are as of now: no delta (the previous period's "as of its end" needs the state history).
    c[0].metric(t("dash.problems_open"), f"{summary.open:,}", help=t("dash.problems_now_help"))
    c[1].metric(t("dash.problems_overdue"), f"{summary.overdue:,}", help=t("dash.problems_now_help"))
    c[2].metric(t("dash.problems_raised"), f"{raised.raised:,}", format_change(d["problems_raised"], digits=0),
                delta_color="off")
    c[3].metric(t("dash.resolved_rate"), percent(raised.resolved_rate),
                format_change(d["resolved_rate"], percent_points=True),
                help=t("dash.resolved_rate_help", raised=raised.raised, resolved=raised.resolved))
    c[4].metric(t("dash.median_days"), number(raised.median_days_to_close), format_change(d["median_days"]),
                delta_color="inverse", help=t("dash.median_days_help", n=raised.closed))
    # All time, no delta: the problem table keeps a rating but not the day it was given.
    c[5].metric(t("dash.resolution_sat"), percent(resolution.rate.value),
                help=t("dash.resolution_sat_help", n=resolution.rate.n, mean=number(resolution.mean, 2)))
    st.caption(t("dash.problems_period_note", period=period_text(raised.since, raised.until, today)))
