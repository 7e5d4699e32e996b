"""The problems view is kept between live refreshes only while no problem and no unit changed."""

from __future__ import annotations

import datetime as dt

from analytics import views
from fieldwork.registry import UnitRecord
from storage import analytics as A
from storage import households, problems, visits
from storage.db import Scope
from tests.fieldwork.conftest import seed_world

ALL = Scope.everything()
TODAY = dt.date(2026, 11, 20)
F = A.Filters(since=dt.date(2026, 11, 1), until=TODAY)


def _raise_problem(w, code: str, key: str) -> int:
    result = visits.record_visit(w.db, ALL, visits.NewVisit(
        key, w.hh[code], w.admin.user_id, dt.datetime(2026, 11, 3, 10), "met", campaign_id=w.campaign_id,
        problems=[problems.NewProblem(key, "环境卫生", "楼道堆物")]))
    return result.problem_ids[0]


def test_a_refresh_sees_every_problem_change_and_a_renamed_unit(db):
    w = seed_world(db)
    district = w.tree.district
    first = views.problems_view(db, ALL, F, district.id, TODAY)
    assert first.summary.total == 0
    pid = _raise_problem(w, "H101", "p1")
    seen = views.problems_view(db, ALL, F, district.id, TODAY)
    assert (seen.summary.total, seen.summary.by_state["new"], seen.by_category_state) == (1, 1, {"环境卫生": {"new": 1}})
    assert views.problems_view(db, ALL, F, district.id, TODAY) is seen  # nothing changed: the same result object
    problems.transition(db, ALL, pid, "assign", actor_id=None, assignee_user_id=w.cadre1.user_id)
    after = views.problems_view(db, ALL, F, district.id, TODAY)
    assert after.summary.by_state["assigned"] == 1 and after.summary.by_state["new"] == 0
    # the due date passes: a later day is another key, overdue counted on it
    late = views.problems_view(db, ALL, F.with_period(F.since, dt.date(2027, 1, 31)), district.id, dt.date(2027, 1, 31))
    assert late.summary.overdue == 1 and sum(u.overdue for u in late.overdue_by_unit) == 1
    town = w.tree.unit("T1")
    households.import_units(db, [UnitRecord(2, town.code, "新名字街道", w.tree.district.code, town.level)], ALL)
    renamed = views.problems_view(db, ALL, F, district.id, TODAY)
    assert "新名字街道" in [u.unit_name for u in renamed.overdue_by_unit]


def test_each_scope_has_its_own_figures(db):
    w = seed_world(db)
    _raise_problem(w, "H101", "p1")  # town T1
    t1, t2 = Scope(w.tree.unit("T1").path), Scope(w.tree.unit("T2").path)
    assert views.problems_view(db, t1, F, w.tree.unit("T1").id, TODAY).summary.total == 1
    assert views.problems_view(db, t2, F, w.tree.unit("T2").id, TODAY).summary.total == 0
