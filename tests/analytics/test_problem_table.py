"""The problems kept in memory stay equal to a fresh load through every kind of write, patched where they can be."""

from __future__ import annotations

import datetime as dt
import threading

import numpy as np
import pytest

from analytics import problem_table, views
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
    monkeypatch.setattr(problem_table, "_load", lambda db: loads.append(1) or real_load(db))
    table = problem_table.ProblemTable()

    def check() -> problem_table._Columns:
        kept = table.columns(db)
        fresh = real_load(db)
        assert kept.stamp == fresh.stamp == problems.change_stamp(db)
        assert_same(kept, fresh)
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


def _commit_start_late(w, pid: int, late_id: int, check, loads) -> None:
    """The writer that took ``late_id`` before the last patch commits its "start" now: seen, by a reload."""
    w.db.execute("UPDATE problems SET state = 'in_progress' WHERE id = ?", [pid])
    w.db.execute("""INSERT INTO problem_events (id, problem_id, occurred_at, action, from_state, to_state)
                    VALUES (?, ?, ?, 'start', 'assigned', 'in_progress')""", [late_id, pid, AT])
    loaded = len(loads)
    assert problem_table.STATES[check().state[0]] == "in_progress"
    assert len(loads) == loaded + 1


def test_an_event_committed_below_the_last_seen_id_reloads(tracked):
    w, check, loads = tracked
    pid = _raise(w, "H101", "p1")
    check()
    late_id = w.db.query("SELECT nextval('problem_events_id_seq')").single_value()  # a writer takes an id ...
    problems.transition(w.db, ALL, pid, "assign", actor_id=None, assignee_user_id=w.cadre1.user_id)
    check()  # ... another commits a higher one first and is patched in
    _commit_start_late(w, pid, late_id, check, loads)  # then the first commits


def test_a_late_commit_and_a_removal_that_cancel_in_the_counts_still_reload(tracked):
    """One event removed and one committed late below the last id: the counts agree, the id sums do not."""
    w, check, loads = tracked
    pid = _raise(w, "H101", "p1")
    late_id = w.db.query("SELECT nextval('problem_events_id_seq')").single_value()
    problems.transition(w.db, ALL, pid, "assign", actor_id=None, assignee_user_id=w.cadre1.user_id)
    check()
    first_event = w.db.query("SELECT min(id) FROM problem_events").single_value()
    w.db.execute("DELETE FROM problem_events WHERE id = ?", [first_event])
    _commit_start_late(w, pid, late_id, check, loads)


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
    assert_same(problem_table.current(db), problem_table._load(db))


def test_nothing_changed_keeps_the_same_columns_without_a_load(tracked):
    w, check, loads = tracked
    _raise(w, "H101", "p1")
    first = problem_table.current(w.db)
    loaded = len(loads)
    assert problem_table.current(w.db) is first and len(loads) == loaded
    assert first.stamp == problems.change_stamp(w.db)


def test_a_view_after_a_write_sees_it_even_when_the_problems_were_just_brought_up_to_date(db):
    """The background refresher brings the problems up to date; a write lands; the next view includes it."""
    w = seed_world(db)
    f = A.Filters(since=dt.date(2026, 11, 1), until=dt.date(2026, 11, 30))
    assert views.problems_view(db, ALL, f, w.tree.district.id, dt.date(2026, 11, 20)).summary.total == 0
    problem_table.current(db)  # what the refresher does every few seconds
    _raise(w, "H101", "p1")
    seen = views.problems_view(db, ALL, f, w.tree.district.id, dt.date(2026, 11, 20))
    assert seen.summary.total == 1
    assert views.problems_view(db, ALL, f, w.tree.district.id, dt.date(2026, 11, 20)) is seen


def test_figures_at_the_edges(db):
    """Ageing bucket bounds, the period's last day, a unit filter, no parent, and the median of real close times:
    every number worked out by hand from the rows below."""
    from tests.conftest import build_tree

    tree = build_tree(db)
    today = dt.date(2026, 11, 30)
    # (grid, state, days since raised, days from raised to closed or None)
    specs = [("T1C1G1", "new", 3, None), ("T1C1G1", "new", 4, None), ("T1C1G2", "assigned", 7, None),
             ("T1C2G1", "in_progress", 8, None), ("T1C2G1", "new", 15, None), ("T2C1G1", "new", 16, None),
             ("T2C1G1", "assigned", 30, None), ("T2C2G1", "new", 31, None), ("T2C2G1", "new", -1, None),
             ("T1C1G1", "closed", 20, 2.5), ("T1C1G2", "closed", 20, 4.0), ("T2C1G1", "closed", 20, 10.0),
             ("T2C1G1", "resolved", 2, None)]
    for i, (grid, state, ago, took) in enumerate(specs):
        raised = dt.datetime.combine(today - dt.timedelta(days=ago), dt.time(8))
        closed = raised + dt.timedelta(days=took) if took is not None else None
        db.execute("""INSERT INTO problems (client_key, org_unit_id, category, description, state, raised_at, due_on,
                      closed_at) VALUES (?, ?, '治安', 'x', ?, ?, ?, ?)""",
                   [f"e{i}", tree.unit(grid).id, state, raised, raised.date() + dt.timedelta(days=10), closed])
    everything = problem_table.problem_figures(db, ALL, A.Filters(), tree.district.id, today)
    # in hand, by age: 3 | 4, 7 | 8, 15 | 16, 30 | 31; raised "tomorrow" (-1) counts as new
    assert [n for *_, n in everything.ageing] == [2, 2, 2, 2, 1]
    assert everything.summary.median_days_to_close == 4.0
    # overdue: in hand and due (raised + 10 days) before today, i.e. raised more than 10 days ago: 15, 16, 30, 31
    assert everything.summary.overdue == 4
    assert {u.unit_code: (u.open, u.overdue) for u in everything.overdue_by_unit} == {"T1": (5, 1), "T2": (4, 3)}
    # the period runs from the day raised 30 days ago to the one raised 4 days ago: those raised 3 and 2 days ago,
    # "tomorrow" and 31 days ago fall outside; of the nine inside, the three closed ones took 2.5, 4 and 10 days
    period = problem_table.problem_figures(
        db, ALL, A.Filters(since=today - dt.timedelta(days=30), until=today - dt.timedelta(days=4)),
        tree.district.id, today)
    p = period.period
    assert (p.raised, p.resolved, p.closed, p.median_days_to_close) == (9, 3, 3, 4.0)
    # the previous period is as long (27 days) and ends the day before: only the one raised 31 days ago
    assert period.previous is not None
    assert (period.previous.since, period.previous.until) == (today - dt.timedelta(days=57), today - dt.timedelta(days=31))
    assert (period.previous.raised, period.previous.resolved, period.previous.median_days_to_close) == (1, 0, None)
    # open, overdue, ageing and per unit are as of now, whatever the period
    assert (period.summary, period.ageing, period.overdue_by_unit) == (
        everything.summary, everything.ageing, everything.overdue_by_unit)
    # a unit filter narrows everything, the summary too; no parent means no per-unit list
    t2 = problem_table.problem_figures(db, ALL, A.Filters(unit_path=tree.unit("T2").path), None, today)
    assert (t2.summary.total, t2.summary.open, t2.summary.median_days_to_close) == (6, 5, 10.0)
    assert t2.overdue_by_unit == []
