"""Two saves of the same visit or problem at the same moment (threads on cursors of one database): the loser is run
again and sees the winner's row, or is refused with a message of the catalogue; never a raw "Conflict on update!"."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest

from fieldwork.problems import TransitionError
from storage import problems as problem_store
from storage import visit_status
from storage import visits as visit_store
from storage.db import StorageError, WriteConflict
from tests.conftest import ENGINE

AT = dt.datetime(2026, 11, 10, 10, 0)


def _engine_conflict() -> Exception:
    """What the engine under test raises when a concurrent transaction got to the same row first: DuckDB's
    write-write conflict, PostgreSQL's serialization failure under REPEATABLE READ."""
    if ENGINE == "postgres":
        import psycopg

        return psycopg.errors.SerializationFailure("could not serialize access due to concurrent update")
    import duckdb

    return duckdb.TransactionException("TransactionContext Error: Conflict on update!")


class Overlap:
    """Whether the racing transactions really met at the barrier (False: one ran before the other)."""

    def __init__(self) -> None:
        self.broken = False


def _together(monkeypatch, module: Any, name: str, parties: int = 2, *, before: bool = False) -> Overlap:
    """Make ``module.name`` (called inside the save's transaction) hold each racing thread's first call until every
    party has reached it, so both transactions have read before either writes: a real, not a lucky, overlap.
    ``before``: wait before the call rather than after it (for a call that follows the first write: PostgreSQL
    makes a second insert of the same key wait for the first transaction, which would then never reach the
    barrier). The test's own thread never waits (it reads the outcome through the same functions)."""
    real = getattr(module, name)
    barrier = threading.Barrier(parties, timeout=10)
    waited = threading.local()
    waited.done = True  # the thread that sets this up is not one of the parties
    overlap = Overlap()

    def meet() -> None:
        if not getattr(waited, "done", False):
            waited.done = True
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                overlap.broken = True

    def held(*args: Any, **kwargs: Any) -> Any:
        if before:
            meet()
        result = real(*args, **kwargs)
        meet()
        return result

    monkeypatch.setattr(module, name, held)
    return overlap


def _lost_conflicts(caplog: pytest.LogCaptureFixture) -> int:
    """How many times a save lost a write conflict and was run again (storage.db.Database.in_transaction)."""
    return sum("lost a write conflict" in r.getMessage() for r in caplog.records)


def _race(*saves: Callable[[], Any]) -> list[Any]:
    """Run the saves in threads at the same time; each one's result or the exception it raised."""
    out: list[Any] = [None] * len(saves)

    def run(i: int) -> None:
        try:
            out[i] = saves[i]()
        except Exception as exc:
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(saves))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    return out


def _visit(world, key: str, **kw: Any) -> visit_store.NewVisit:
    return visit_store.NewVisit(client_key=key, household_id=world.hh["H101"], cadre_id=world.cadre1.user_id,
                                visited_at=AT, outcome="met", campaign_id=world.campaign_id, **kw)


def test_the_same_visit_saved_twice_at_once_is_one_visit_and_neither_page_fails(world, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="minyi.storage")
    # both have looked the client key up and found nothing, neither has inserted the visit
    overlap = _together(monkeypatch, visit_store, "now", before=True)
    problems = (problem_store.NewProblem("same/p0", "环境卫生", "楼道堆物"),)
    visit = _visit(world, "same", problems=problems)
    results = _race(lambda: visit_store.record_visit(world.db, world.cadre1.scope, visit),
                    lambda: visit_store.record_visit(world.db, world.cadre1.scope, visit))
    assert all(isinstance(r, visit_store.VisitResult) for r in results), results
    assert sorted(r.created for r in results) == [False, True]
    assert len({r.visit_id for r in results}) == 1 and len({r.problem_ids for r in results}) == 1
    assert world.db.query("SELECT count(*) FROM visits WHERE client_key = 'same'").single_value() == 1
    assert world.db.query("SELECT count(*) FROM problems WHERE client_key = 'same/p0'").single_value() == 1
    assert not overlap.broken and _lost_conflicts(caplog) >= 1  # the loser hit the engine's conflict and ran again


def test_two_corrections_of_one_visit_at_once_both_land_as_events(world, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="minyi.storage")
    saved = visit_store.record_visit(world.db, world.cadre1.scope, _visit(world, "v1"))
    overlap = _together(monkeypatch, visit_store, "get_visit")
    results = _race(
        lambda: visit_store.correct_visit(world.db, world.cadre1.scope, saved.visit_id, actor_id=world.cadre1.user_id,
                                          changes={"note": "第一次更正"}, at=AT + dt.timedelta(hours=1)),
        lambda: visit_store.correct_visit(world.db, world.cadre1.scope, saved.visit_id, actor_id=world.cadre1.user_id,
                                          changes={"follow_up": True}, at=AT + dt.timedelta(hours=1)))
    assert results == [None, None]
    visit = visit_store.get_visit(world.db, world.cadre1.scope, saved.visit_id)
    assert (visit.note, visit.follow_up) == ("第一次更正", True)  # neither change was lost
    events = visit_store.visit_history(world.db, world.cadre1.scope, saved.visit_id)
    assert [e.action for e in events] == ["correct", "correct"]
    assert not overlap.broken and _lost_conflicts(caplog) >= 1


def _problem(world) -> int:
    saved = visit_store.record_visit(world.db, world.cadre1.scope, _visit(
        world, "with-problem", problems=(problem_store.NewProblem("with-problem/p0", "环境卫生", "路灯不亮"),)))
    return saved.problem_ids[0]


def test_the_same_step_on_one_problem_twice_at_once_is_taken_once_and_the_other_is_told(world, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="minyi.storage")
    pid = _problem(world)
    problem_store.transition(world.db, world.admin.scope, pid, "assign", actor_id=world.admin.user_id,
                             assignee_user_id=world.cadre1.user_id, at=AT)
    overlap = _together(monkeypatch, problem_store, "get_problem")
    results = _race(*[lambda: problem_store.transition(world.db, world.cadre1.scope, pid, "start",
                                                       actor_id=world.cadre1.user_id, at=AT)] * 2)
    steps = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(steps) == 1 and steps[0].to_state == "in_progress"
    # the loser ran again, found the problem already in progress, and is refused in the catalogue's words
    assert len(refused) == 1 and isinstance(refused[0], TransitionError)
    assert refused[0].code == "problems.err.not_allowed"
    events = problem_store.history(world.db, world.admin.scope, pid)
    assert [e.action for e in events] == ["create", "assign", "start"]
    assert not overlap.broken and _lost_conflicts(caplog) >= 1


def test_two_different_steps_on_one_problem_at_once_are_both_applied_in_turn(world, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="minyi.storage")
    pid = _problem(world)
    overlap = _together(monkeypatch, problem_store, "get_problem")
    results = _race(
        lambda: problem_store.transition(world.db, world.admin.scope, pid, "assign", actor_id=world.admin.user_id,
                                         assignee_user_id=world.cadre1.user_id, at=AT),
        lambda: problem_store.assign_many(world.db, world.admin.scope, [pid], actor_id=world.admin.user_id,
                                          assignee_user_id=world.cadre2.user_id, at=AT))
    assert not any(isinstance(r, Exception) and not isinstance(r, TransitionError) for r in results), results
    events = problem_store.history(world.db, world.admin.scope, pid)
    assert events[0].action == "create" and all(e.action == "assign" for e in events[1:])
    assert len(events) - 1 == sum(not isinstance(r, Exception) for r in results)
    assert not overlap.broken and _lost_conflicts(caplog) >= 1


def test_a_save_that_never_stops_conflicting_gives_up_with_a_catalogue_message(world, monkeypatch):
    calls = []

    def always_conflicts(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        raise _engine_conflict()

    monkeypatch.setattr(visit_status, "touch", always_conflicts)
    with pytest.raises(WriteConflict) as raised:
        visit_store.record_visit(world.db, world.cadre1.scope, _visit(world, "stuck"))
    assert isinstance(raised.value, StorageError) and raised.value.code == "storage.writer.conflict"
    assert 1 < len(calls) <= 10  # bounded
    assert world.db.query("SELECT count(*) FROM visits WHERE client_key = 'stuck'").single_value() == 0


# --- what the cadre sees ------------------------------------------------------------------------------------------

CONFLICT_MESSAGE = "另一位同事刚好同时修改了这条记录，暂未保存。您填写的内容仍在页面上，请查看最新状态后再保存一次。"


def _conflicting(monkeypatch, module: Any, name: str) -> list[bool]:
    """``module.name`` raises the engine's write conflict while the returned flag is set."""
    real = getattr(module, name)
    on = [True]

    def maybe(*args: Any, **kwargs: Any) -> Any:
        if on[0]:
            raise _engine_conflict()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, maybe)
    return on


def test_visit_page_says_so_in_chinese_and_keeps_the_entries_when_the_save_keeps_conflicting(app_world, monkeypatch):
    from tests.conftest import page_test
    from tests.fieldwork.test_pages import _pick, _prefix, _texts

    w = app_world
    at = page_test("pages/visits.py", w.cadre1).run()
    _pick(at, "visits.household", "H101").run()
    prefix = _prefix(at)
    at.radio(key=f"{prefix}.work_satisfaction").set_value(2)
    at.radio(key=f"{prefix}.follow_up_needed").set_value("no")
    at.number_input(key=f"{prefix}.np").set_value(1).run()
    at.text_area(key=f"{prefix}.p0.text").set_value("楼道垃圾无人清理")
    conflicting = _conflicting(monkeypatch, visit_status, "touch")
    at.button(key=f"{prefix}.save").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [CONFLICT_MESSAGE]
    assert at.text_area(key=f"{prefix}.p0.text").value == "楼道垃圾无人清理"  # nothing typed is lost
    assert w.db.query("SELECT count(*) FROM visits").single_value() == 0
    conflicting[0] = False
    at.button(key=f"{prefix}.save").click().run()
    assert not at.exception
    assert "走访记录已保存" in _texts(at)
    assert w.db.query("SELECT count(*) FROM problems WHERE description = '楼道垃圾无人清理'").single_value() == 1


def test_problems_page_says_so_in_chinese_when_a_step_keeps_conflicting(app_world, monkeypatch):
    from tests.conftest import page_test
    from tests.fieldwork.test_pages import _met_visit_with_problem
    from storage.db import Scope

    w = app_world
    pid = _met_visit_with_problem(w)
    at = page_test("pages/problems.py", w.cadre1).run()
    at.text_input(key=f"problems.reason.{pid}").input("我来处理")
    _conflicting(monkeypatch, problem_store, "_event")
    at.button(key=f"problems.take.{pid}").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [CONFLICT_MESSAGE]
    assert at.text_input(key=f"problems.reason.{pid}").value == "我来处理"
    assert problem_store.get_problem(w.db, Scope.everything(), pid).state == "new"
