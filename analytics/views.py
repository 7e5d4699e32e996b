"""What each dashboard view shows, assembled from storage results: used by the pages, `stats --json`, the report and the bench."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import Any

from analytics import problem_table
from analytics.cache import VersionedCache
from analytics.filters import previous_period
from analytics.kpi import Delta, delta
from analytics.ranking import RankedUnit, rank_units, red_black_lists
from storage import analytics as A
from storage import campaigns, visit_status, worklists
from storage.db import Database, Scope
from storage.orgs import OrgUnit, get_unit
from storage.problems import ProblemSummary

NOWHERE = Scope("/nowhere/")  # a scope that matches no unit


def questionnaire_order(rows: Sequence[A.QuestionCounts],
                        labels: dict[tuple[str, str], str]) -> list[A.QuestionCounts]:
    """``rows`` in the order of ``labels`` (built from the survey definition, so the questionnaire's order, matrix
    rows in their order); rows without a label keep their order after the rest."""
    position = {key: i for i, key in enumerate(labels)}
    return sorted(rows, key=lambda q: position.get((q.question_id, q.row_id), len(position)))


def view_scope(scope: Scope, f: A.Filters) -> Scope:
    """The caller's scope narrowed to the unit filter (never widened: a unit outside the scope sees nothing)."""
    if f.unit_path is None:
        return scope
    if scope.covers(f.unit_path):
        return Scope(f.unit_path)
    if f.unit_path and Scope(f.unit_path).covers(scope.path):
        return scope
    return NOWHERE


@dataclass(frozen=True)
class VisitSummary:
    campaign_id: int
    campaign_name: str
    starts_on: dt.date
    ends_on: dt.date
    coverage_target: float
    households: int
    covered: int
    attempted: int
    make_up: int
    return_visits: int
    by_unit: list[worklists.CoverageRow] = field(default_factory=list)  # per unit at the level asked for, if any
    newly_covered: int | None = None  # households first covered in the period asked for, if any
    newly_covered_previous: int | None = None  # the same in the previous period, if asked for

    @property
    def coverage(self) -> float | None:
        return self.covered / self.households if self.households else None

    def pace_needed(self, today: dt.date) -> float | None:
        """Households a day still needed to reach the target by the deadline (0 when reached, None when past)."""
        left = max(0.0, self.households * self.coverage_target - self.covered)
        if left == 0:
            return 0.0
        days = (self.ends_on - today).days + 1
        return left / days if days > 0 else None

    def households_left(self) -> int:
        return max(0, int(-(-(self.households * self.coverage_target - self.covered) // 1)))


_campaign_counts: VersionedCache[tuple[worklists.CoverageRow, worklists.WorklistCounts]] = VersionedCache()


def visit_summary(db: Database, scope: Scope, campaign_id: int | None, today: dt.date,
                  group_level: int | None = None, period: worklists.Period | None = None,
                  previous: worklists.Period | None = None) -> VisitSummary | None:
    """Coverage and the make-up / return-visit counts of the chosen (else the current) campaign, from
    storage.worklists (the same figures the worklist pages list); with ``group_level``, coverage per unit at that
    level too, from the same read; with ``period`` (and ``previous``), the households first covered in it (them),
    from the same read (without ``group_level`` only)."""
    campaign = campaigns.get_campaign(db, campaign_id) if campaign_id else campaigns.current_campaign(db, scope, today)
    if campaign is None:
        return None
    by_unit: list[worklists.CoverageRow] = []
    periods = [p for p in (period, previous) if p is not None]
    if group_level is None:
        # Kept until the visit status next changes: leaders' live refreshes with no visit saved in between share
        # one read (~40 ms at 416k households). The number is read before computing (analytics.cache).
        total, counts = _campaign_counts.get(db, (scope.path, campaign, tuple(periods)), visit_status.generation(db),
                                             lambda: worklists.campaign_counts(db, scope, campaign, periods))
    else:
        total, counts, by_unit = worklists.campaign_counts_by_unit(db, scope, campaign, group_level)
    new = iter(total.newly_covered)
    newly = next(new, None) if period is not None else None
    newly_previous = next(new, None) if previous is not None else None
    return VisitSummary(campaign.id, campaign.name, campaign.starts_on, campaign.ends_on, campaign.coverage_target,
                        total.households, total.covered, total.attempted, counts.make_up, counts.return_visits,
                        by_unit, newly, newly_previous)


@dataclass(frozen=True)
class OverviewView:
    filters: A.Filters
    today: dt.date
    overview: A.Overview
    previous_filters: A.Filters | None
    previous: A.Figures | None
    visits: VisitSummary | None
    problems: ProblemSummary  # as of now: open, overdue (its resolved, total and median are all time: not shown)
    resolution: problem_table.ResolutionSatisfaction  # all time
    raised: problem_table.RaisedProblems  # raised in the period: resolved rate, median days to close
    raised_previous: problem_table.RaisedProblems | None  # the same in the previous period

    def deltas(self) -> dict[str, Delta]:
        """Each KPI that has a previous value against it. None are given for the stock figures: open and overdue
        problems and coverage so far are as of now, and the previous period's "as of its end" would need the
        problems' state history (problem events) or the visit history, which the overview does not read; nor for
        resolution satisfaction: the problem table keeps a rating but not the day it was given."""
        cur = self.overview.figures
        prev = self.previous
        v = self.visits
        return {
            "rate": delta(cur.rate.value, prev.rate.value if prev else None),
            "index": delta(cur.index, prev.index if prev else None),
            "nps": delta(cur.nps.value, prev.nps.value if prev else None),
            "responses": delta(cur.responses, prev.responses if prev else None),
            **problem_deltas(self.raised, self.raised_previous),
            "newly_covered": delta(v.newly_covered if v else None, v.newly_covered_previous if v else None),
        }


def problem_deltas(raised: problem_table.RaisedProblems,
                   before: problem_table.RaisedProblems | None) -> dict[str, Delta]:
    """The problem KPIs raised in the period against the previous period (the overview and the problems page)."""
    return {
        "problems_raised": delta(raised.raised, before.raised if before else None),
        "resolved_rate": delta(raised.resolved_rate, before.resolved_rate if before else None),
        "median_days": delta(raised.median_days_to_close, before.median_days_to_close if before else None),
    }


def overview_view(db: Database, scope: Scope, f: A.Filters, today: dt.date) -> OverviewView:
    previous_filters = previous_period(f, today)
    before = (previous_filters.since, previous_filters.until) if previous_filters else None
    narrowed = view_scope(scope, f)
    problem_figures = problems_view(db, scope, f, None, today)  # shared with the problems page and kept
    overview = A.overview(db, scope, f, today, before)
    return OverviewView(
        filters=f,
        today=today,
        overview=overview,
        previous_filters=previous_filters,
        previous=overview.previous,
        visits=visit_summary(db, narrowed, f.campaign_id, today, period=(f.since, f.until or today), previous=before),
        problems=problem_figures.summary,
        resolution=problem_figures.resolution,
        raised=problem_figures.period,
        raised_previous=problem_figures.previous,
    )


_problem_views: VersionedCache[problem_table.ProblemFigures] = VersionedCache()


def forget_cached() -> None:
    """Drop every kept view (benchmarks time the first computation this way); the problems stay in memory."""
    _problem_views.clear()
    _campaign_counts.clear()


def problems_view(db: Database, scope: Scope, f: A.Filters, parent_id: int | None,
                  today: dt.date) -> problem_table.ProblemFigures:
    """The problems dashboard's figures, from the problems kept in memory (analytics.problem_table, brought up to
    date in one snapshot) and kept per filter until a problem or a unit changes, so leaders' live refreshes
    share one computation per change."""
    columns = problem_table.current(db)
    return _problem_views.get(db, (scope.path, f, parent_id, today), columns.stamp,
                              lambda: problem_table.figures(columns, scope, f, parent_id, today))


@dataclass(frozen=True)
class DrillView:
    parent: OrgUnit
    ranked: list[RankedUnit]
    red: list[RankedUnit]
    black: list[RankedUnit]
    min_sample: int


def drill_parent(db: Database, scope: Scope, f: A.Filters, root_unit_id: int) -> OrgUnit:
    """The unit whose children the drill-down shows: the unit filter, else the caller's own unit."""
    if f.unit_path:
        unit_id = int(f.unit_path.strip("/").split("/")[-1])
        unit = get_unit(db, unit_id)
        if unit is not None and scope.covers(unit.path):
            return unit
    unit = get_unit(db, root_unit_id)
    assert unit is not None
    return unit


def drill_view(db: Database, scope: Scope, f: A.Filters, parent: OrgUnit, min_sample: int) -> DrillView:
    ranked = rank_units(A.drill_down(db, scope, f, parent.id), min_sample)
    red, black = red_black_lists(ranked)
    return DrillView(parent, ranked, red, black, min_sample)


def _rate_json(rate) -> dict[str, Any]:
    return {"k": rate.k, "n": rate.n, "value": rate.value, "low": rate.low, "high": rate.high}


def figures_json(fig: A.Figures) -> dict[str, Any]:
    return {
        "responses": fig.responses,
        "satisfaction_rate": _rate_json(fig.rate),
        "satisfaction_index": fig.index,
        "nps": {"value": fig.nps.value, "n": fig.nps.n, "promoters": fig.nps.promoters,
                "detractors": fig.nps.detractors},
    }


def raised_json(r: problem_table.RaisedProblems) -> dict[str, Any]:
    return {"since": r.since, "until": r.until, "raised": r.raised, "resolved": r.resolved,
            "resolved_rate": r.resolved_rate, "closed": r.closed, "median_days_to_close": r.median_days_to_close}


def stats_json(ov: OverviewView, drill: DrillView) -> dict[str, Any]:
    """The overview and one drill-down level as plain JSON data (what `stats --json` prints)."""
    f = ov.filters
    out: dict[str, Any] = {
        "filters": {"survey": f.survey_id, "version": f.survey_version, "campaign": f.campaign_id,
                    "since": f.since, "until": f.until, "channel": f.channel, "unit": drill.parent.code},
        "today": ov.today,
        **figures_json(ov.overview.figures),
        "responses_today": ov.overview.responses_today,
        "responses_7_days": ov.overview.responses_7_days,
        "responses_all_time": ov.overview.responses_all_time,
        "previous_period": None if ov.previous is None else {
            "since": ov.previous_filters.since, "until": ov.previous_filters.until, **figures_json(ov.previous)},
        "units": [
            {"code": r.row.unit_code, "name": r.row.unit_name, "direct": r.row.direct, "rank": r.rank,
             **figures_json(r.row.figures)}
            for r in drill.ranked
        ],
        "min_sample": drill.min_sample,
        "red_list": [r.row.unit_code for r in drill.red],
        "black_list": [r.row.unit_code for r in drill.black],
    }
    v = ov.visits
    out["visits"] = None if v is None else {
        "campaign": v.campaign_id, "campaign_name": v.campaign_name, "deadline": v.ends_on,
        "households": v.households, "covered": v.covered, "attempted": v.attempted, "coverage": v.coverage,
        "target": v.coverage_target, "needed_per_day": v.pace_needed(ov.today), "make_up": v.make_up,
        "return_visits": v.return_visits, "newly_covered": v.newly_covered,
        "newly_covered_previous": v.newly_covered_previous,
    }
    p = ov.problems
    out["problems"] = {
        # as of now, whatever the period
        "by_state": dict(p.by_state), "open": p.open, "overdue": p.overdue, "total": p.total,
        # raised in the period (and the previous one): resolved rate and median days to close among them
        "raised_in_period": raised_json(ov.raised),
        "raised_in_previous_period": None if ov.raised_previous is None else raised_json(ov.raised_previous),
        # all time: the day a rating was given is not kept
        "resolution_satisfaction": _rate_json(ov.resolution.rate),
    }
    return out
