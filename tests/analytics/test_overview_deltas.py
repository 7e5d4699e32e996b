"""The overview's change against the previous period for the visit and problem KPIs: the page, `stats --json`
and the problems page against figures recomputed in Python from the raw rows of the demo data."""

from __future__ import annotations

import datetime as dt
import json
import statistics

import pytest

import settings
from auth.principal import Principal
from cli.stats import stats
from i18n import t
from storage import analytics as A
from storage import campaigns, orgs
from storage.db import Database, Scope
from tests.analytics.test_visit_counts import _first_covered
from tests.analytics.conftest import principal
from tests.conftest import page_test


def _leader(db: Database) -> Principal:
    return principal(db, "leader")


def _raised(db: Database, since: dt.date, until: dt.date) -> dict:
    """Problems raised between since and until (inclusive): how many, resolved or closed now, the median days from
    raised to closed of the closed ones (raw rows, Python)."""
    rows = [r for r in db.query("SELECT raised_at, state, closed_at FROM problems").rows
            if since <= r[0].date() <= until]
    took = [(r[2] - r[0]).total_seconds() / 86400 for r in rows if r[1] == "closed" and r[2] is not None]
    return {"raised": len(rows), "resolved": sum(1 for r in rows if r[1] in ("resolved", "closed")),
            "median": round(statistics.median(took), 2) if took else None}


def _periods(today: dt.date) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """The overview's default period (the last 30 days) and the 30 days before."""
    return (today - dt.timedelta(days=29), today), (today - dt.timedelta(days=59), today - dt.timedelta(days=30))


def test_overview_page_shows_the_changes_of_visit_and_problem_kpis(demo_db) -> None:
    leader = _leader(demo_db)
    at = page_test("pages/dashboard.py", leader)
    at.run(timeout=60)
    assert not at.exception
    today = settings.now().date()
    (since, until), (p_since, p_until) = _periods(today)
    now, before = _raised(demo_db, since, until), _raised(demo_db, p_since, p_until)
    assert now["raised"] > 0 and before["raised"] > 0
    metrics = {m.label: m for m in at.metric}
    raised = metrics[t("dash.problems_raised")]
    assert (raised.value, raised.delta) == (f"{now['raised']:,}", f"{now['raised'] - before['raised']:+.0f}")
    rate, rate_before = now["resolved"] / now["raised"], before["resolved"] / before["raised"]
    resolved = metrics[t("dash.resolved_rate")]
    assert (resolved.value, resolved.delta) == (f"{rate * 100:.1f}%", f"{(rate - rate_before) * 100:+.1f} pp")
    median = metrics[t("dash.median_days")]
    assert median.value == (f"{now['median']:,.1f}" if now["median"] is not None else "—")
    if now["median"] is not None and before["median"] is not None:
        assert median.delta == f"{now['median'] - before['median']:+.1f}"
    # stock figures: no change shown
    assert not metrics[t("dash.problems_open")].delta and not metrics[t("dash.problems_overdue")].delta
    assert not metrics[t("dash.coverage")].delta
    campaign = campaigns.current_campaign(demo_db, leader.scope, today)
    assert campaign is not None
    days = _first_covered(demo_db, leader.scope, campaign)
    new_now = sum(1 for d in days if since <= d <= until)
    new_before = sum(1 for d in days if p_since <= d <= p_until)
    assert new_now > 0
    covered = metrics[t("dash.newly_covered")]
    assert (covered.value, covered.delta) == (f"{new_now:,}", f"{new_now - new_before:+.0f}")


def test_stats_json_reports_the_same_figures_and_previous_values(demo_db) -> None:
    today = settings.now().date()
    (since, until), (p_since, p_until) = _periods(today)
    root = orgs.roots(demo_db)[0]
    data = json.loads(json.dumps(stats(demo_db, Scope.everything(), None, root.id, A.Filters(since=since, until=until),
                                       today, 30), default=str))
    problems = data["problems"]
    for key, (lo, hi) in (("raised_in_period", (since, until)), ("raised_in_previous_period", (p_since, p_until))):
        want = _raised(demo_db, lo, hi)
        got = problems[key]
        assert (got["since"], got["until"]) == (str(lo), str(hi))
        assert (got["raised"], got["resolved"], got["median_days_to_close"]) == (
            want["raised"], want["resolved"], want["median"])
        assert got["resolved_rate"] == pytest.approx(want["resolved"] / want["raised"])
    open_now = demo_db.query("SELECT count(*) FROM problems WHERE state <> 'closed'").single_value()
    assert problems["open"] == open_now  # as of now, whatever the period
    campaign = campaigns.current_campaign(demo_db, Scope.everything(), today)
    assert campaign is not None
    days = _first_covered(demo_db, Scope.everything(), campaign)
    assert data["visits"]["newly_covered"] == sum(1 for d in days if since <= d <= until)
    assert data["visits"]["newly_covered_previous"] == sum(1 for d in days if p_since <= d <= p_until)


def test_problems_page_labels_flow_and_stock_figures(demo_db) -> None:
    at = page_test("pages/dashboard_problems.py", _leader(demo_db))
    at.run(timeout=60)
    assert not at.exception
    subheaders = [s.value for s in at.subheader]
    assert t("dash.by_category") in subheaders
    assert t("dash.ageing") in subheaders
    overdue = demo_db.query("SELECT count(*) FROM problems WHERE state IN ('new', 'assigned', 'in_progress')"
                            " AND due_on < ?", [settings.now().date()]).single_value()
    per_unit = at.dataframe[-1].value
    assert int(per_unit[t("dash.col.overdue")].sum()) == overdue == int(next(m for m in at.metric if m.label == t("dash.problems_overdue")).value
                                                        .replace(",", ""))
