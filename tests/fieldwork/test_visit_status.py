"""The derived visit status (storage.visit_status) stays equal to a rebuild from the raw rows through every write."""

from __future__ import annotations

import datetime as dt

import pytest

from fieldwork import registry
from storage import campaigns, households, problems, visit_status, visits, worklists
from storage.db import Database, Scope
from storage.responses import NewResponse, void_response
from tests.fieldwork.conftest import registry_csv

ALL = Scope.everything()
D = dt.datetime


def _snapshot(db: Database) -> tuple[list[tuple], list[tuple]]:
    return (db.query("SELECT * FROM household_flags ORDER BY ALL").rows,
            db.query("SELECT * FROM campaign_households ORDER BY ALL").rows)


def _rebuilt(db: Database) -> tuple[list[tuple], list[tuple]]:
    """What a rebuild from the raw rows gives, without keeping it."""
    with db.cursor() as cur:
        cur.execute("BEGIN TRANSACTION")
        from storage.db import Tx

        visit_status.rebuild(Tx(cur))
        flags = cur.execute("SELECT * FROM household_flags ORDER BY ALL").fetchall()
        rows = cur.execute("SELECT * FROM campaign_households ORDER BY ALL").fetchall()
        cur.execute("ROLLBACK")
    return flags, rows


def _visit(w, code, at, outcome="met", key=None, **kw):
    return visits.record_visit(w.db, ALL, visits.NewVisit(key or f"{code}-{at.isoformat()}", w.hh[code],
                                                          w.admin.user_id, at, outcome, campaign_id=w.campaign_id, **kw))


def test_every_write_path_keeps_the_status_equal_to_a_rebuild(world):
    w = world
    steps = []
    _visit(w, "H101", D(2026, 11, 3, 9), "not_home")
    steps.append("attempt")
    met = _visit(w, "H102", D(2026, 11, 4, 10), response=NewResponse("r-h102", "ruhu_zoufang", 1, 0, "visit",
                                                                       D(2026, 11, 4, 10), sat_n=3, sat_ok=1),
                 problems=[problems.NewProblem("p-h102", "环境卫生", "楼道堆物")])
    steps.append("met, dissatisfied, problem")
    _visit(w, "H201", D(2026, 11, 5, 10), follow_up=True)
    steps.append("follow-up")
    visits.correct_visit(w.db, ALL, _visit(w, "H103", D(2026, 11, 6, 10), "not_home").visit_id,
                         actor_id=w.admin.user_id, changes={"outcome": "met"})
    steps.append("correction")
    pid = met.problem_ids[0]
    for action in ("assign", "start", "resolve"):
        problems.transition(w.db, ALL, pid, action, actor_id=None, assignee_user_id=w.cadre1.user_id)
    steps.append("problem resolved")
    void_response(w.db, met.response_id, "录入错误", ALL, D(2026, 11, 7))
    steps.append("response voided")
    data = registry_csv([("H102", "李四", "13900001111", "和平路9号", "T1C1G2", 2, "")]).encode("utf-8")
    parse = registry.parse_households(data, "r.csv", registry.GridLookup.of(households.grids(w.db, ALL)))
    households.upsert_households(w.db, ALL, parse.records)
    steps.append("household moved to another grid")
    campaigns.create_campaign(w.db, ALL, name="补充走访", unit_ids=[w.tree.unit("T1").id],
                              starts_on=dt.date(2026, 11, 4), ends_on=dt.date(2026, 11, 5))
    steps.append("campaign created after its visits")
    kept = _snapshot(w.db)
    assert kept == _rebuilt(w.db), steps
    flags = {r[0]: r for r in kept[0]}
    assert flags[w.hh["H102"]][1] == w.tree.unit("T1C1G2").id  # the moved household counts in its new grid
    assert {r[0] for r in kept[1]} == {w.campaign_id, w.campaign_id + 1}
    total, counts = worklists.campaign_counts(w.db, ALL, w.campaign_id)
    assert (total.covered, total.attempted, counts.make_up) == (3, 1, 2)
    assert counts.return_visits == len(worklists.return_visits(w.db, ALL, w.campaign_id)) == 2  # open problem, follow-up


def test_a_refused_visit_leaves_the_status_as_it_was(world):
    w = world
    _visit(w, "H101", D(2026, 11, 3, 9), "not_home")
    before = _snapshot(w.db)
    with pytest.raises(visits.VisitRefused):
        # a confirmation on a visit that is not a return visit is refused after the visit row was written
        _visit(w, "H102", D(2026, 11, 4, 10), problems=[problems.NewProblem("p-x", "环境卫生", "楼道堆物")],
               confirmations=[visits.Confirmation(1, 5)])
    assert _snapshot(w.db) == before == _rebuilt(w.db)


def test_the_status_survives_a_restart_and_an_upgrade_from_a_database_without_it(tmp_path, world):
    """The migration folds the visits already stored: drop the tables as an older database would lack them."""
    w = world
    _visit(w, "H101", D(2026, 11, 3, 9))
    expected = _snapshot(w.db)
    from storage import migrations

    w.db.execute("DROP TABLE household_flags")
    w.db.execute("DROP TABLE campaign_households")
    w.db.execute(f"DELETE FROM {migrations.TABLE} WHERE name LIKE 'm0400%'")
    assert [m.split('_')[0] for m in migrations.apply(w.db)] == ["m0400"]
    assert _snapshot(w.db) == expected
