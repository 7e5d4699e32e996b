"""The derived visit status (storage.visit_status) stays equal to a rebuild from the raw rows through every write,
including overlapping writers, a campaign created mid-save, and a database reopened after a stop."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from fieldwork import registry
from storage import campaigns, households, problems, visit_status, visits, worklists
from storage.db import Database, Scope, Tx, open_database
from storage.responses import NewResponse, void_response
from tests.fieldwork.conftest import registry_csv, seed_world

ALL = Scope.everything()
D = dt.datetime


def _snapshot(db: Database) -> tuple[list[tuple], list[tuple]]:
    return (db.query("SELECT * FROM household_flags ORDER BY 1").rows,
            db.query("SELECT * FROM campaign_households ORDER BY 1, 2").rows)


def _rebuilt(db: Database) -> tuple[list[tuple], list[tuple]]:
    """What a rebuild from the raw rows gives, without keeping it."""
    with db.cursor() as cur:
        cur.execute(db.dialect.begin)
        visit_status.rebuild(Tx(cur, db.dialect))
        flags = cur.execute("SELECT * FROM household_flags ORDER BY 1").fetchall()
        rows = cur.execute("SELECT * FROM campaign_households ORDER BY 1, 2").fetchall()
        cur.execute("ROLLBACK")
    return flags, rows


def _new_visit(w, code, at, outcome="met", key=None, **kw) -> visits.NewVisit:
    return visits.NewVisit(key or f"{code}-{at.isoformat()}", w.hh[code], w.admin.user_id, at, outcome,
                           campaign_id=w.campaign_id, **kw)


def _visit(w, code, at, outcome="met", key=None, **kw):
    return visits.record_visit(w.db, ALL, _new_visit(w, code, at, outcome, key, **kw))


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
    assert w.db.query("SELECT count(*) FROM visit_status_dirty").single_value() == 0  # everything settled
    flags = {r[0]: r for r in kept[0]}
    assert flags[w.hh["H102"]][1] == w.tree.unit("T1C1G2").id  # the moved household counts in its new grid
    assert {r[0] for r in kept[1]} == {w.campaign_id, w.campaign_id + 1}
    # independent of the SQL: H102, H103 and H201 were met; H101 only attempted; H301 never visited.
    total, counts = worklists.campaign_counts(w.db, ALL, w.campaign_id)
    assert (total.households, total.covered, total.attempted, counts.make_up) == (5, 3, 1, 2)
    # H102's problem is resolved but not closed (still open), its dissatisfied answer voided; H201 asked to return.
    assert [i.code for i in worklists.return_visits(w.db, ALL, w.campaign_id)] == ["H102", "H201"]
    assert counts.return_visits == 2


def test_overlapping_writers_neither_fail_nor_leave_duplicates(world):
    """Two transactions save visits to the same never-visited household at once, while a third works a problem of
    another household that both touch: all commit, and the status is one row per household, as a rebuild gives."""
    w = world
    pid = _visit(w, "H102", D(2026, 11, 2, 9), problems=[problems.NewProblem("p0", "治安", "门禁坏了")]).problem_ids[0]
    with w.db.transaction() as t1, w.db.transaction() as t2, w.db.transaction() as t3:
        visits.record_visit_tx(t1, ALL, _new_visit(w, "H101", D(2026, 11, 3, 9), "not_home"))
        visits.record_visit_tx(t2, ALL, _new_visit(w, "H101", D(2026, 11, 3, 18), follow_up=True))
        visits.record_visit_tx(t3, ALL, _new_visit(w, "H102", D(2026, 11, 4, 9), is_return_visit=True,
                                                   confirmations=[]))
        problems.transition_tx(t3, ALL, pid, "assign", actor_id=None, at=D(2026, 11, 4),
                               assignee_user_id=w.cadre1.user_id)
    kept = _snapshot(w.db)
    assert kept == _rebuilt(w.db)
    rows = [r for r in kept[1] if r[1] == w.hh["H101"]]
    assert len(rows) == 1 and rows[0][4:6] == (2, True)  # two attempts, covered by the evening visit
    total, counts = worklists.campaign_counts(w.db, ALL, w.campaign_id)
    assert (total.covered, counts.make_up) == (2, 3)
    assert [i.code for i in worklists.make_up_visits(w.db, ALL, w.campaign_id)] == ["H103", "H201", "H301"]


def test_a_campaign_created_while_a_visit_is_being_saved_counts_that_visit(world):
    w = world
    with w.db.transaction() as saving:
        visits.record_visit_tx(saving, ALL, _new_visit(w, "H103", D(2026, 11, 4, 10)))
        late = campaigns.create_campaign(w.db, ALL, name="十一月走访", unit_ids=[w.tree.district.id],
                                         starts_on=dt.date(2026, 11, 1), ends_on=dt.date(2026, 11, 30))
    total, _ = worklists.campaign_counts(w.db, ALL, late)
    assert total.covered == 1
    assert _snapshot(w.db) == _rebuilt(w.db)


def test_a_database_reopened_after_a_stop_settles_what_was_left(tmp_path):
    """A write committed but not yet reflected (the process stopped in between) is settled at the next open; an
    older database gets the status built from the visits it already has."""
    path = tmp_path / "minyi.duckdb"
    db = open_database(path)
    w = seed_world(db)
    _visit(w, "H101", D(2026, 11, 3, 9))
    expected = _snapshot(db)
    # as if the process stopped after a commit: the marks are there, the derived rows are not
    db.execute("DELETE FROM household_flags")
    db.execute("DELETE FROM campaign_households")
    db.execute("INSERT INTO visit_status_dirty (household_id) VALUES (?)", [w.hh["H101"]])
    db.close()
    db = open_database(path)
    assert _snapshot(db) == expected and expected[1]
    # an older database: no status tables and no record of m0400
    db.execute("DROP TABLE household_flags")
    db.execute("DROP TABLE campaign_households")
    db.execute("DROP TABLE visit_status_dirty")
    db.execute("DROP SEQUENCE visit_status_dirty_seq")
    db.execute("DELETE FROM _minyi_migrations WHERE name LIKE 'm0400%'")
    db.close()
    db = open_database(path)
    assert _snapshot(db) == expected
    db.close()



def test_the_kept_visit_summary_follows_every_write_that_changes_the_counts(world):
    """analytics.views keeps the overview's coverage counts until storage.visit_status.generation moves on: after
    each kind of write the kept summary equals a fresh read, and a refresh with nothing written keeps it."""
    from analytics import views

    w = world
    today = dt.date(2026, 11, 20)
    periods = ((dt.date(2026, 11, 1), today), (dt.date(2026, 10, 1), dt.date(2026, 10, 31)))

    scopes = (ALL, Scope(w.tree.unit("T1C1G1").path))  # the district, and one grid a household leaves

    def kept():
        out = []
        for scope in scopes:
            s = views.visit_summary(w.db, scope, w.campaign_id, today, period=periods[0], previous=periods[1])
            out.append((s.households, s.covered, s.attempted, s.make_up, s.return_visits, s.newly_covered,
                        s.newly_covered_previous))
        return out

    def fresh():
        out = []
        for scope in scopes:
            total, counts = worklists.campaign_counts(w.db, scope, w.campaign_id, periods)
            out.append((total.households, total.covered, total.attempted, counts.make_up, counts.return_visits,
                        *total.newly_covered))
        return out

    def registry_row(code, grid):
        data = registry_csv([(code, "住户", "13900009999", "和平路99号", grid, 3, "")]).encode("utf-8")
        parse = registry.parse_households(data, "r.csv", registry.GridLookup.of(households.grids(w.db, ALL)))
        households.upsert_households(w.db, ALL, parse.records)

    first = kept()
    assert first == fresh()
    number = visit_status.generation(w.db)
    assert kept() == first and visit_status.generation(w.db) == number  # nothing written: kept, nothing settled
    writes = [
        ("covered", lambda: _visit(w, "H101", D(2026, 11, 3, 9))),
        ("attempted", lambda: _visit(w, "H102", D(2026, 11, 4, 9), "not_home")),
        ("follow-up asked", lambda: _visit(w, "H201", D(2026, 11, 5, 10), follow_up=True)),
        ("household added", lambda: registry_row("H901", "T1C1G1")),
        ("household moved", lambda: registry_row("H101", "T1C1G2")),
    ]
    for step, write in writes:
        before = kept()
        write()
        assert kept() == fresh(), step
        assert kept() != before, step  # each write changes a count here, so a stale summary would show


# --- several processes on one PostgreSQL --------------------------------------------------------------------------


@pytest.mark.postgres
def test_two_processes_writing_visits_at_once_refresh_one_at_a_time_and_end_equal_to_a_rebuild(
        fresh_target, monkeypatch, caplog):
    """Two Database objects on one PostgreSQL database (two pools: as two app processes) save visits, problems and
    problem steps to the same households from several threads at once. Their refreshes never overlap (one at a
    time across pools: an advisory lock, not a lock of one Database), none fails, nothing is left unsettled, and
    the status equals a rebuild from the raw rows, read through either. Each pool has fewer connections than
    writers: threads waiting for the refresh must not hold them all while the one refreshing needs one."""
    import threading
    import time

    caplog.set_level(logging.INFO)
    monkeypatch.setenv("MINYI_DB_POOL", "3")
    first, second = open_database(fresh_target), open_database(fresh_target)
    try:
        w = seed_world(first)
        inside, most = [0], [0]
        guard = threading.Lock()
        real_build = visit_status._build

        def build(tx, household_ids):
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            try:
                time.sleep(0.01)  # widen the window in which a second refresh could slip in
                return real_build(tx, household_ids)
            finally:
                with guard:
                    inside[0] -= 1

        monkeypatch.setattr(visit_status, "_build", build)
        codes = ["H101", "H102", "H201"]
        failures: list[BaseException] = []

        def writer(db: Database, name: str) -> None:
            try:
                for i in range(6):
                    code = codes[i % len(codes)]
                    at = D(2026, 11, 3 + i, 9)  # the same moment in every writer: ties broken by visit id
                    saved = visits.record_visit(db, ALL, _new_visit(
                        w, code, at, "met" if i % 2 else "not_home", key=f"{name}-{i}", follow_up=i % 3 == 0,
                        problems=[problems.NewProblem(f"{name}-{i}/p", "环境卫生", "楼道堆物")] if i % 2 else []))
                    for pid in saved.problem_ids:
                        problems.transition(db, ALL, pid, "assign", actor_id=None, assignee_user_id=w.cadre1.user_id)
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=writer, args=(db, f"{tag}{n}"))
                   for tag, db in (("a", first), ("b", second)) for n in range(4)]
        for th in threads:
            th.start()
        deadline = time.monotonic() + 120
        for th in threads:
            th.join(max(0.0, deadline - time.monotonic()))
        assert not any(th.is_alive() for th in threads), "writers stuck (pool exhausted by waiting refreshes?)"
        assert not failures, failures
        assert most[0] == 1  # never two refreshes at once, although two pools wrote at once
        assert not [r for r in caplog.records if "visit status refresh failed" in r.getMessage()]
        assert first.query("SELECT count(*) FROM visit_status_dirty").single_value() == 0
        assert first.query("SELECT count(*) FROM visits").single_value() == 48
        kept = _snapshot(first)
        assert kept == _rebuilt(first) == _snapshot(second)
        total, _ = worklists.campaign_counts(second, ALL, w.campaign_id)
        assert (total.households, total.covered, total.attempted) == (5, 3, 0)
    finally:
        first.close()
        second.close()


_WRITE_A_VISIT = """
import datetime as dt, sys
from storage import visits
from storage.db import Scope, open_database
url, household, cadre, campaign = sys.argv[1:5]
db = open_database(url)
visits.record_visit(db, Scope.everything(), visits.NewVisit("other-process", int(household), int(cadre),
                    dt.datetime(2026, 11, 3, 9), "met", campaign_id=int(campaign)))
db.close()
"""


@pytest.mark.postgres
def test_coverage_kept_in_one_process_follows_a_visit_saved_by_another(fresh_target):
    """The overview keeps its coverage counts until the visit status generation moves on: a visit saved by another
    process (a real one) moves it in the database, so this process's kept summary shows the visit."""
    import subprocess
    import sys
    from pathlib import Path

    from analytics import views

    db = open_database(fresh_target)
    try:
        w = seed_world(db)
        today = dt.date(2026, 11, 20)
        before = views.visit_summary(db, ALL, w.campaign_id, today)
        assert before.covered == 0
        number = visit_status.generation(db)
        subprocess.run([sys.executable, "-c", _WRITE_A_VISIT, fresh_target, str(w.hh["H101"]),
                        str(w.admin.user_id), str(w.campaign_id)],
                       cwd=Path(__file__).resolve().parents[2], check=True, timeout=120)
        assert visit_status.generation(db) > number
        after = views.visit_summary(db, ALL, w.campaign_id, today)
        assert (after.covered, after.make_up) == (1, before.make_up - 1)
    finally:
        db.close()


_WRITE_VISITS = """
import datetime as dt, logging, sys, time
from storage import visits
from storage.db import Scope, open_database
url, name, start, cadre, campaign, *homes = sys.argv[1:]
failed = []
class Count(logging.Handler):
    def emit(self, record):
        failed.append(record)
logging.getLogger("storage.visit_status").addHandler(Count(logging.ERROR))
db = open_database(url)
time.sleep(max(0.0, float(start) - time.time()))  # both processes begin together
for i in range(15):
    visits.record_visit(db, Scope.everything(), visits.NewVisit(
        f"{name}-{i}", int(homes[i % len(homes)]), int(cadre), dt.datetime(2026, 11, 3 + i, 9),
        "met" if i % 2 else "not_home", campaign_id=int(campaign), follow_up=i % 3 == 0))
db.close()
sys.exit(3 if failed else 0)
"""


@pytest.mark.postgres
def test_two_real_processes_saving_visits_at_once_never_fail_a_refresh(fresh_target):
    """Two app processes (real ones) save visits to the same households at the same time: no refresh fails in
    either (two refreshes at once would conflict on the same status rows), nothing is left unsettled, and the
    status equals a rebuild from the raw rows."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    db = open_database(fresh_target)
    try:
        w = seed_world(db)
        start = str(time.time() + 3)
        homes = [str(w.hh[c]) for c in ("H101", "H102", "H201")]
        procs = [subprocess.Popen([sys.executable, "-c", _WRITE_VISITS, fresh_target, name, start,
                                   str(w.admin.user_id), str(w.campaign_id), *homes],
                                  cwd=Path(__file__).resolve().parents[2], stderr=subprocess.PIPE, text=True)
                 for name in ("p1", "p2")]
        outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
        assert [code for code, _ in outcomes] == [0, 0], outcomes
        assert db.query("SELECT count(*) FROM visits").single_value() == 30
        assert db.query("SELECT count(*) FROM visit_status_dirty").single_value() == 0
        assert _snapshot(db) == _rebuilt(db)
    finally:
        db.close()
