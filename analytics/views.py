"""What each dashboard view shows, assembled from storage results: used by the pages, `stats --json`, the report and the bench."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from analytics import problem_table
from analytics.cache import VersionedCache
from analytics.filters import previous_period
from analytics.kpi import Delta, delta
from analytics.ranking import RankedUnit, rank_units, red_black_lists
from storage import analytics as A
from storage import campaigns, worklists
from storage.db import Database, Scope
from storage.orgs import OrgUnit, get_unit
from storage.problems import ProblemSummary

NOWHERE = Scope("/nowhere/")  # a scope that matches no unit


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


def visit_summary(db: Database, scope: Scope, campaign_id: int | None, today: dt.date,
                  group_level: int | None = None) -> VisitSummary | None:
    """Coverage and the make-up / return-visit counts of the chosen (else the current) campaign, from
    storage.worklists (the same figures the worklist pages list); with ``group_level``, coverage per unit at that
    level too, from the same read."""
    campaign = campaigns.get_campaign(db, campaign_id) if campaign_id else campaigns.current_campaign(db, scope, today)
    if campaign is None:
        return None
    by_unit: list[worklists.CoverageRow] = []
    if group_level is None:
        total, counts = worklists.campaign_counts(db, scope, campaign.id)
    else:
        total, counts, by_unit = worklists.campaign_counts_by_unit(db, scope, campaign.id, group_level)
    return VisitSummary(campaign.id, campaign.name, campaign.starts_on, campaign.ends_on, campaign.coverage_target,
                        total.households, total.covered, total.attempted, counts.make_up, counts.return_visits,
                        by_unit)


@dataclass(frozen=True)
class OverviewView:
    filters: A.Filters
    today: dt.date
    overview: A.Overview
    previous_filters: A.Filters | None
    previous: A.Figures | None
    visits: VisitSummary | None
    problems: ProblemSummary
    resolution: problem_table.ResolutionSatisfaction

    def deltas(self) -> dict[str, Delta]:
        cur = self.overview.figures
        prev = self.previous
        return {
            "rate": delta(cur.rate.value, prev.rate.value if prev else None),
            "index": delta(cur.index, prev.index if prev else None),
            "nps": delta(cur.nps.value, prev.nps.value if prev else None),
            "responses": delta(cur.responses, prev.responses if prev else None),
        }


def overview_view(db: Database, scope: Scope, f: A.Filters, today: dt.date) -> OverviewView:
    previous_filters = previous_period(f, today)
    narrowed = view_scope(scope, f)
    problem_figures = problems_view(db, scope, f, None, today)  # all-time summary and ratings: shared and kept
    overview = A.overview(db, scope, f, today,
                          (previous_filters.since, previous_filters.until) if previous_filters else None)
    return OverviewView(
        filters=f,
        today=today,
        overview=overview,
        previous_filters=previous_filters,
        previous=overview.previous,
        visits=visit_summary(db, narrowed, f.campaign_id, today),
        problems=problem_figures.summary,
        resolution=problem_figures.resolution,
    )


_problem_views: VersionedCache[problem_table.ProblemFigures] = VersionedCache()


def forget_cached() -> None:
    """Drop every kept view (benchmarks time the first computation this way); the problems stay in memory."""
    _problem_views.clear()


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
        "return_visits": v.return_visits,
    }
    p = ov.problems
    out["problems"] = {
        "by_state": dict(p.by_state), "open": p.open, "overdue": p.overdue, "resolved": p.resolved, "total": p.total,
        "resolution_rate": p.resolved / p.total if p.total else None, "median_days_to_close": p.median_days_to_close,
        "resolution_satisfaction": _rate_json(ov.resolution.rate),
    }
    return out
