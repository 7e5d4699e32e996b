"""The figure caches across processes: one rollup folder at a time, and the kept problems follow another process's writes."""

from __future__ import annotations

import threading

import pytest

from analytics import problem_table, views
from storage import analytics as A
from storage import problems
from storage.db import Database, Scope, open_database
from tests.analytics.known_data import TODAY, assert_figures, expected
from tests.analytics.test_problem_table import _raise
from tests.fieldwork.conftest import seed_world

ALL = Scope.everything()


def _check_live_figures(db: Database, data) -> None:
    """The overview equals the plain-Python recomputation of the stored rows (whatever is folded)."""
    assert_figures(A.overview(db, ALL, A.Filters(), TODAY).figures, expected(data.rows))


def test_a_fold_while_another_folder_holds_the_lock_does_nothing_and_the_figures_stay_exact(dataset):
    db = dataset.db
    A.refresh_rollups(db, settle=False)
    before = A.rollup_state(db).last_id
    for _ in range(5):
        dataset.add(dataset.tree.unit("T1C1G1"), TODAY)
    with db.dialect.exclusive(db, A.FOLD_LOCK) as held:  # another folder (process, thread) is at work
        assert held
        result = A.refresh_rollups(db, settle=False)
        assert result.held_elsewhere and result.folded == 0
        assert A.rollup_state(db).last_id == before  # nothing folded twice: the other folder's fold is the one
        _check_live_figures(db, dataset)  # the rollup as it is plus the unfolded tail
    result = A.refresh_rollups(db, settle=False)
    assert not result.held_elsewhere and result.folded == 5
    _check_live_figures(db, dataset)


@pytest.fixture
def second(db) -> Database:
    """A second app process's handle on the same PostgreSQL database: its own pool, its own sessions."""
    other = open_database(db.path)
    yield other
    other.close()


@pytest.mark.postgres
def test_a_fold_held_by_another_process_is_skipped_there_and_done_once(dataset, second):
    db = dataset.db
    A.refresh_rollups(db, settle=False)
    for _ in range(4):
        dataset.add(dataset.tree.unit("T2C1G1"), TODAY)
    with db.dialect.exclusive(db, A.FOLD_LOCK) as held:  # process 1 is folding
        assert held
        skipped = A.refresh_rollups(second, settle=False)  # process 2 finds the lock held
        assert skipped.held_elsewhere and skipped.folded == 0
        _check_live_figures(second, dataset)
    assert A.refresh_rollups(second, settle=False).folded == 4  # released: process 2 folds
    _check_live_figures(db, dataset)


@pytest.mark.postgres
def test_two_processes_folding_at_the_same_moment_fold_every_response_once_without_failing(dataset, second):
    db = dataset.db
    A.refresh_rollups(db, settle=False)
    for round_ in range(6):
        for _ in range(3):
            dataset.add(dataset.tree.unit("T1C2G1"), TODAY)
        start = threading.Barrier(2)
        results: list[A.RefreshResult] = []
        failures: list[BaseException] = []

        def fold(handle: Database) -> None:
            start.wait()
            try:
                results.append(A.refresh_rollups(handle, settle=False))
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=fold, args=(handle,)) for handle in (db, second)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=60)
        assert not failures, f"round {round_}: {failures}"
        assert sum(r.folded for r in results) == 3, f"round {round_}: {results}"
        _check_live_figures(db, dataset)
        _check_live_figures(second, dataset)
    assert A.rollup_state(db).last_id == max(s.id for s in dataset.rows)


@pytest.mark.postgres
def test_a_problem_changed_through_another_process_shows_on_the_next_problems_view(db, second):
    w = seed_world(db)
    root = w.tree.district
    first = views.problems_view(second, ALL, A.Filters(), root.id, TODAY)
    assert first.summary.total == 0
    pid = _raise(w, "H101", "p-other")  # written through the other process
    raised = views.problems_view(second, ALL, A.Filters(), root.id, TODAY)
    assert (raised.summary.total, raised.summary.by_state["new"]) == (1, 1)
    problems.transition(db, ALL, pid, "assign", actor_id=None, assignee_user_id=w.cadre1.user_id)
    assigned = views.problems_view(second, ALL, A.Filters(), root.id, TODAY)
    assert (assigned.summary.by_state["new"], assigned.summary.by_state["assigned"]) == (0, 1)
    assert problem_table.current(second).stamp == problems.change_stamp(db)
