"""Storage: migrations, idempotent response writes, scoped queries and open failures."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from storage import migrations, orgs, responses
from storage.db import DatabaseTooNew, NotADatabase, Scope, StorageLocationError, open_database
from surveys import AnswerRow

ROOT = Path(__file__).resolve().parents[2]


def _response(unit_id: int, key: str | None = None, n_answers: int = 3) -> responses.NewResponse:
    return responses.NewResponse(
        client_key=key or str(uuid.uuid4()), survey_id="qunzhong_manyidu", survey_version=1, org_unit_id=unit_id,
        channel="link", submitted_at=datetime(2026, 11, 1, 10, 0),
        answers=[AnswerRow(f"q{i}", "", float(i), None) for i in range(n_answers)], sat_n=2, sat_ok=1, sat_index_sum=75.0,
    )


def test_fresh_database_records_every_migration(db):
    assert migrations.applied(db) == [m.name for m in migrations.known()]
    assert migrations.pending(db) == []


def test_the_unused_login_failures_table_is_gone_and_clearing_demo_data_still_works(db):
    from storage import bulk

    tables = {r[0] for r in db.query("SELECT table_name FROM information_schema.tables").rows}
    assert "login_throttle" in tables and "login_failures" not in tables
    bulk.clear_demo_data(db)  # it no longer clears the dropped table


def test_old_database_is_upgraded_on_open(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    first = migrations.known()[0]
    monkeypatch.setattr(migrations, "known", lambda: [first])
    open_database(path).close()
    monkeypatch.undo()
    db = open_database(path)
    try:
        assert migrations.applied(db) == [m.name for m in migrations.known()]
    finally:
        db.close()


def test_database_from_newer_code_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "new.duckdb"
    db = open_database(path)
    db.execute("INSERT INTO _minyi_migrations VALUES ('m9999_future', now())")
    db.close()
    with pytest.raises(DatabaseTooNew) as info:
        open_database(path)
    assert "m9999_future" in info.value.params["migrations"]
    import duckdb

    con = duckdb.connect(str(path))
    assert con.execute("SELECT count(*) FROM _minyi_migrations WHERE name = 'm9999_future'").fetchone()[0] == 1
    con.close()


def test_file_that_is_not_duckdb_is_refused_unchanged(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_text("这不是数据库 — just a text file\n" * 20, encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(NotADatabase):
        open_database(path)
    assert path.read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_folder_gives_location_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(StorageLocationError):
            open_database(folder / "sub" / "m.duckdb")
    finally:
        folder.chmod(0o700)


def test_read_only_folder_as_root_gives_location_error(tmp_path):
    # As root permissions are not enforced, so use a path under a regular file.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageLocationError):
        open_database(blocker / "m.duckdb")


def test_second_process_is_told_the_file_is_locked(tmp_path):
    path = tmp_path / "locked.duckdb"
    db = open_database(path)
    try:
        code = (
            "import sys; sys.path.insert(0, %r)\n"
            "from storage.db import open_database, DatabaseLocked\n"
            "try:\n    open_database(%r)\nexcept DatabaseLocked:\n    print('LOCKED')\n" % (str(ROOT), str(path))
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert out.stdout.strip() == "LOCKED", out.stderr
    finally:
        db.close()


def test_writing_the_same_response_twice_stores_it_once(db, tree):
    grid = tree.grids[0]
    r = _response(grid.id, key="client-key-1")
    first = responses.write_response(db, r)
    second = responses.write_response(db, r)
    assert first.created and not second.created
    assert first.response_id == second.response_id
    assert db.query("SELECT count(*) FROM responses").single_value() == 1
    assert db.query("SELECT count(*) FROM answers").single_value() == 3


def test_failed_write_leaves_nothing(db, tree):
    bad = responses.NewResponse(
        client_key="k", survey_id="s", survey_version=1, org_unit_id=tree.grids[0].id, channel="link",
        submitted_at=datetime(2026, 11, 1), answers=[AnswerRow("q", "", "not a number", None)],  # type: ignore[arg-type]
    )
    with pytest.raises(Exception):
        responses.write_response(db, bad)
    assert db.query("SELECT count(*) FROM responses").single_value() == 0


def test_concurrent_writers_each_on_their_own_cursor(tmp_path):
    db = open_database(tmp_path / "c.duckdb")
    unit = orgs.create_unit(db, "D", "区", 1)
    errors: list[Exception] = []

    def work(i: int) -> None:
        try:
            responses.write_response(db, _response(unit.id, key=f"k{i}"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(50)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert db.query("SELECT count(*) FROM responses").single_value() == 50
    assert db.query("SELECT count(*) FROM answers").single_value() == 150
    db.close()


def test_scope_limits_units_and_responses(db, tree):
    t1, t2 = tree.towns
    g1 = tree.unit("T1C1G1")
    g2 = tree.unit("T2C1G1")
    responses.write_response(db, _response(g1.id))
    responses.write_response(db, _response(g2.id))
    assert {u.code for u in orgs.list_units(db, t1.scope)} == {"T1", "T1C1", "T1C2", "T1C1G1", "T1C1G2", "T1C2G1", "T1C2G2"}
    assert responses.count_responses(db, t1.scope) == 1
    assert responses.count_responses(db, g1.scope) == 1
    assert responses.count_responses(db, tree.unit("T1C1G2").scope) == 0
    assert responses.count_responses(db, Scope.everything()) == 2


def test_grid_cadre_cannot_read_or_void_another_grids_response(db, tree):
    mine, other = tree.unit("T1C1G1"), tree.unit("T1C1G2")
    theirs = responses.write_response(db, _response(other.id)).response_id
    assert responses.answers_of(db, theirs, mine.scope) == []
    assert len(responses.answers_of(db, theirs, other.scope)) == 3
    assert responses.void_response(db, theirs, "test", mine.scope, datetime(2026, 11, 2)) is False
    assert db.query("SELECT voided_at FROM responses WHERE id = ?", [theirs]).single_value() is None


def test_scope_prefix_does_not_leak_to_sibling_with_longer_id(db, tree):
    # Paths end with '/', so unit /1/2/ never matches /1/23/.
    assert Scope("/1/2/").covers("/1/2/5/")
    assert not Scope("/1/2/").covers("/1/23/")


def test_unit_paths_follow_the_parent_chain(db, tree):
    grid = tree.unit("T2C2G1")
    chain = orgs.ancestors(db, grid)
    assert [u.code for u in chain] == ["D01", "T2", "T2C2", "T2C2G1"]
    assert grid.path == "/" + "/".join(str(u.id) for u in chain) + "/"


def test_duckdb_threads_follow_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("MINYI_DB_THREADS", "3")
    db = open_database(tmp_path / "three.duckdb")
    assert int(db.query("SELECT current_setting('threads')").single_value()) == 3
    db.close()
    monkeypatch.setenv("MINYI_DB_THREADS", "many")  # not a number: the default, half the cores
    db = open_database(tmp_path / "default.duckdb")
    assert int(db.query("SELECT current_setting('threads')").single_value()) == max(1, (os.cpu_count() or 2) // 2)
    db.close()


def test_a_database_opens_read_only_for_reading(tmp_path):
    """Reports and benchmarks may open a copy read-only: nothing is created, the data reads as written."""
    path = tmp_path / "m.duckdb"
    db = open_database(path)
    unit = orgs.create_unit(db, "D01", "城关区", 1)
    db.close()
    ro = open_database(path, migrate=False, read_only=True)
    try:
        assert orgs.get_unit(ro, unit.id) == unit
        assert migrations.applied(ro) == [m.name for m in migrations.known()]
    finally:
        ro.close()
    empty = tmp_path / "empty.duckdb"
    open_database(empty, migrate=False).close()  # a DuckDB file with no tables yet
    ro = open_database(empty, migrate=False, read_only=True)
    try:
        assert migrations.applied(ro) == []
    finally:
        ro.close()
