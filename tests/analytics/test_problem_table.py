"""The problems kept in memory stay equal to a fresh load through every kind of write, patched where they can be."""

from __future__ import annotations

import datetime as dt
import threading

import numpy as np
import pytest

from analytics import problem_table
from fieldwork.registry import UnitRecord
from storage import analytics as A
from storage import households, problems, visits
from storage.db import Scope
from tests.fieldwork.conftest import seed_world

ALL = Scope.everything()
AT = dt.datetime(2026, 11, 3, 10)


def assert_same(kept: problem_table._Columns, fresh: problem_table._Columns) -> None:
    for name in ("ids", "unit_ids", "unit_index", "state", "raised_day", "due_day", "rating", "rated"):
        np.testing.assert_array_equal(getattr(kept, name), getattr(fresh, name), err_msg=name)
    np.testing.assert_array_equal(kept.close_days, fresh.close_days)  # NaN where not closed, in both
    assert [kept.categories[i] for i in kept.category] == [fresh.categories[i] for i in fresh.category]
    assert kept.units == fresh.units


@pytest.fixture
def tracked(db, monkeypatch):
    """A world, its kept problems, and how many times they were loaded whole (not patched)."""
    w = seed_world(db)
    loads = []
    real_load = problem_table._load
    monkeypatch.setattr(problem_table, "_load", lambda db, stamp: loads.append(stamp) or real_load(db, stamp))
    table = problem_table.ProblemTable()

    def check() -> problem_table._Columns:
        stamp = problems.change_stamp(db)
        kept = table.columns(db, stamp)
        assert kept.stamp == stamp
        assert_same(kept, real_load(db, stamp))
        return kept

    return w, check, loads


def _raise(w, code: str, key: str, category: str = "环境卫生", at: dt.datetime = AT) -> int:
    result = visits.record_visit(w.db, ALL, visits.NewVisit(
        key, w.hh[code], w.admin.user_id, at, "met", campaign_id=w.campaign_id,
        problems=[problems.NewProblem(key, category, "楼道堆物")]))
    return result.problem_ids[0]


def test_every_write_is_patched_in_and_equals_a_fresh_load(tracked):
    w, check, loads = tracked
    assert len(check().ids) == 0 and len(loads) == 1
    first = _raise(w, "H101", "p1")
    assert list(check().ids) == [first]
    for action, extra in (("assign", {"assignee_user_id": w.cadre1.user_id}), ("start", {}), ("resolve", {})):
        problems.transition(w.db, ALL, first, action, actor_id=None, **extra)
        assert problem_table.STATES[check().state[0]] == problems.get_problem(w.db, ALL, first).state
    visits.record_visit(w.db, ALL, visits.NewVisit(
        "r1", w.hh["H101"], w.admin.user_id, dt.datetime(2026, 11, 6, 10), "met", campaign_id=w.campaign_id,
        is_return_visit=True, confirmations=[visits.Confirmation(first, 4)]))
    kept = check()
    assert (problem_table.STATES[kept.state[0]], int(kept.rating[0]), bool(kept.rated[0])) == ("closed", 4, True)
    assert kept.close_days[0] == pytest.approx(3.0)  # raised 3 Nov 10:00, closed 6 Nov 10:00
    second = _raise(w, "H301", "p2", category="新类别")
    assert "新类别" in check().categories
    town = w.tree.unit("T1")
    households.import_units(w.db, [UnitRecord(2, town.code, "新名字街道", w.tree.district.code, town.level)], ALL)
    assert "新名字街道" in [u.name for u in check().units]
    assert len(loads) == 1, "writes that add events are patched in, not loaded again"
    # clearing (demo) data removes problems with their events: the counts disagree and everything is loaded
    w.db.execute("DELETE FROM problem_events WHERE problem_id = ?", [second])
    w.db.execute("DELETE FROM problems WHERE id = ?", [second])
    assert list(check().ids) == [first] and len(loads) == 2


def test_an_event_committed_below_the_last_seen_id_reloads(tracked):
    w, check, loads = tracked
    pid = _raise(w, "H101", "p1")
    check()
    late_id = w.db.query("SELECT nextval('problem_events_id_seq')").single_value()  # a writer takes an id ...
    problems.transition(w.db, ALL, pid, "assign", actor_id=None, assignee_user_id=w.cadre1.user_id)
    check()  # ... another commits a higher one first and is patched in
    w.db.execute("UPDATE problems SET state = 'in_progress' WHERE id = ?", [pid])  # then the first commits
    w.db.execute("""INSERT INTO problem_events (id, problem_id, occurred_at, action, from_state, to_state)
                    VALUES (?, ?, ?, 'start', 'assigned', 'in_progress')""", [late_id, pid, AT])
    loaded = len(loads)
    assert problem_table.STATES[check().state[0]] == "in_progress"
    assert len(loads) == loaded + 1


def test_problems_added_without_an_event_are_still_seen(tracked):
    """Imports and tests may insert problems directly: the stamp counts problems too."""
    w, check, loads = tracked
    _raise(w, "H101", "p1")
    check()
    w.db.execute("""INSERT INTO problems (client_key, org_unit_id, category, description, raised_at, due_on)
                    VALUES ('raw', ?, '治安', 'x', ?, ?)""", [w.tree.unit("T2C1G1").id, AT, dt.date(2026, 11, 24)])
    assert len(check().ids) == 2


def test_readers_and_writers_at_once_end_equal_to_a_fresh_load(db):
    w = seed_world(db)
    ids = [_raise(w, code, f"p{code}") for code in ("H101", "H102", "H103", "H201", "H301")]
    f = A.Filters(since=dt.date(2026, 11, 1), until=dt.date(2026, 11, 30))
    failures: list[BaseException] = []
    done = threading.Event()

    def write(pid: int) -> None:
        try:
            for action in ("assign", "start", "resolve"):
                extra = {"assignee_user_id": w.cadre1.user_id} if action == "assign" else {}
                problems.transition(db, ALL, pid, action, actor_id=None, **extra)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    def read() -> None:
        try:
            while not done.is_set():
                problem_table.problem_figures(db, ALL, f, w.tree.district.id, dt.date(2026, 11, 20))
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    writers = [threading.Thread(target=write, args=(pid,)) for pid in ids]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    for t in readers:
        t.join()
    assert not failures
    figures = problem_table.problem_figures(db, ALL, f, w.tree.district.id, dt.date(2026, 11, 20))
    assert figures.summary.by_state["resolved"] == 5 and figures.summary.total == 5
    stamp = problems.change_stamp(db)
    assert_same(problem_table._table(db).columns(db, stamp), problem_table._load(db, stamp))


def test_a_caller_with_an_older_stamp_gets_the_newer_problems_without_a_load(tracked):
    w, check, loads = tracked
    pid = _raise(w, "H101", "p1")
    table = problem_table.ProblemTable()
    older = problems.change_stamp(w.db)
    problems.transition(w.db, ALL, pid, "assign", actor_id=None, assignee_user_id=w.cadre1.user_id)
    newer = problems.change_stamp(w.db)
    assert table.columns(w.db, newer).stamp == newer
    loaded = len(loads)
    kept = table.columns(w.db, older)  # a refresh that read its stamp before the change, arriving late
    assert kept.stamp == newer and problem_table.STATES[kept.state[0]] == "assigned" and len(loads) == loaded
