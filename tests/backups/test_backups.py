"""Online backups: one consistent snapshot while residents keep submitting, rotation, failures, the schedule."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import stat
import threading
import time
from pathlib import Path

import duckdb
import pytest

import settings
from services import backups, submissions
from settings import now
from storage import backups as backup_store
from storage import orgs
from storage.db import open_database
from tests.sharing.sharing_fixtures import make_link, publish

ANSWERS = {"overall": 4, "services": {"water": 5, "power": 3}, "comment": "ok"}
ANSWERS_PER_RESPONSE = 4  # overall, two matrix rows, comment


def config(path: Path, **changes) -> settings.Settings:
    return dataclasses.replace(settings.load({"MINYI_DB": str(path)}), **changes)


@pytest.fixture
def file_db(tmp_path):
    db = open_database(tmp_path / "data" / "minyi.duckdb")
    yield db
    db.close()


def _link_world(db):
    unit = orgs.create_unit(db, "G1", "网格", 4)
    survey_id = publish(db)
    token = make_link(db, survey_id, unit.id)[0]
    return token, submissions.open_link(db, token, now())


def test_backup_taken_while_residents_submit_is_one_snapshot_and_blocks_none(file_db, tmp_path):
    db = file_db
    token, opened = _link_world(db)
    # ballast, so the copy takes long enough for residents to submit during it (about a second here)
    db.execute("CREATE TABLE ballast AS SELECT range AS i, md5(range::VARCHAR) AS s FROM range(2000000)")
    writer = submissions.GroupWriter(db)
    stop = threading.Event()
    acked: list[tuple[float, str]] = []  # (when acknowledged, client key)

    def resident(i: int) -> None:
        k = 0
        while not stop.is_set():
            key = f"r{i}-{k}"
            result = submissions.submit(db, token=token, survey=opened.survey, version=opened.version, raw=ANSWERS,
                                        client_key=key, started_at=None, at=now(), writer=writer)
            assert result.status == "stored"
            acked.append((time.perf_counter(), key))
            k += 1

    residents = [threading.Thread(target=resident, args=(i,)) for i in range(4)]
    for th in residents:
        th.start()
    while len(acked) < 20:
        time.sleep(0.01)
    began = time.perf_counter()
    outcome = backups.take_backup(db, config(Path(db.path)), origin="schedule")
    ended = time.perf_counter()
    time.sleep(0.2)
    stop.set()
    for th in residents:
        th.join(30)
    writer.close()

    assert outcome.ok, outcome.error
    during = [key for at, key in acked if began < at < ended]
    assert len(during) >= 5, "residents' submissions must keep being stored while a backup runs"
    stored = {r[0] for r in db.query("SELECT client_key FROM responses").rows}
    assert {key for _, key in acked} <= stored  # every acknowledged response is stored

    copy = duckdb.connect(str(outcome.file.path), read_only=True)
    try:
        per_response = copy.execute(
            """SELECT r.client_key, count(a.response_id) FROM responses r LEFT JOIN answers a ON a.response_id = r.id
               GROUP BY r.client_key""").fetchall()
        orphans = copy.execute(
            "SELECT count(*) FROM answers WHERE response_id NOT IN (SELECT id FROM responses)").fetchone()[0]
        marker = dict(copy.execute(f"SELECT key, value FROM {backup_store.MARKER}").fetchall())
    finally:
        copy.close()
    assert per_response and all(n == ANSWERS_PER_RESPONSE for _, n in per_response)  # no response torn from answers
    assert orphans == 0
    in_backup = {key for key, _ in per_response}
    assert {key for at, key in acked if at < began} <= in_backup  # everything acknowledged before it began
    assert in_backup <= stored
    assert marker["format"] == backup_store.FORMAT and marker["origin"] == "schedule"


def test_backup_is_a_private_complete_file_and_the_run_is_recorded(file_db):
    cfg = config(Path(file_db.path))
    outcome = backups.take_backup(file_db, cfg, origin="manual", actor_id=7)
    assert outcome.ok
    assert outcome.file.path.parent == Path(file_db.path).parent / "backups"
    assert stat.S_IMODE(outcome.file.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(outcome.file.path.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in outcome.file.path.parent.iterdir()) == [outcome.file.name]  # no partial, no WAL
    runs = backup_store.recent_runs(file_db)
    assert [(r.origin, r.actor_id, r.file_name, r.bytes, r.ok) for r in runs] == [
        ("manual", 7, outcome.file.name, outcome.file.size, True)]


def test_rotation_keeps_the_newest_n(file_db, tmp_path):
    cfg = config(Path(file_db.path), backup_dir=tmp_path / "elsewhere", backup_keep=3)
    taken = []
    for _ in range(5):
        outcome = backups.take_backup(file_db, cfg)
        assert outcome.ok
        taken.append(outcome.file.name)
    assert len(set(taken)) == 5  # two backups in the same second get their own names
    kept = [b.name for b in backups.list_backups(cfg.backup_folder)]
    assert kept == list(reversed(taken[2:]))
    rows = backups.backup_rows(file_db, cfg)
    assert [r.status for r in rows] == ["ok", "ok", "ok", "rotated", "rotated"]


def test_a_failed_backup_keeps_the_earlier_ones_and_says_why(file_db, monkeypatch, caplog):
    cfg = config(Path(file_db.path), backup_keep=2)
    first = backups.take_backup(file_db, cfg)
    assert first.ok
    before = first.file.path.read_bytes()
    at = (now() + dt.timedelta(hours=1)).replace(microsecond=0)
    monkeypatch.setattr(backups, "now", lambda: at)
    # the temporary name is taken by a folder: DuckDB cannot create the file there (a real failure of the copy)
    (cfg.backup_folder / f".minyi-{at:%Y%m%d-%H%M%S}.duckdb.partial").mkdir()
    with caplog.at_level(logging.ERROR, logger="minyi.backups"):
        failed = backups.take_backup(file_db, cfg)
    assert not failed.ok and failed.error
    assert "previous backups are kept" in caplog.text
    assert [b.name for b in backups.list_backups(cfg.backup_folder)] == [first.file.name]
    assert first.file.path.read_bytes() == before
    latest = backups.backup_rows(file_db, cfg)[0]
    assert latest.status == "failed" and latest.error == failed.error


def test_only_one_backup_runs_at_a_time(file_db, monkeypatch):
    cfg = config(Path(file_db.path))
    inside, release = threading.Event(), threading.Event()
    real_copy = backup_store.copy_into

    def slow_copy(db, target, marker):
        inside.set()
        release.wait(30)
        real_copy(db, target, marker)

    monkeypatch.setattr(backup_store, "copy_into", slow_copy)
    results = []
    first = threading.Thread(target=lambda: results.append(backups.take_backup(file_db, cfg)))
    first.start()
    assert inside.wait(30)
    assert backups.is_running(file_db)
    second = backups.take_backup(file_db, cfg)
    release.set()
    first.join(30)
    assert second.skipped == "running" and not second.ok
    assert results[0].ok
    assert len(backups.list_backups(cfg.backup_folder)) == 1


def test_the_scheduler_backs_up_when_due_and_not_again_until_the_interval_passed(file_db):
    cfg = config(Path(file_db.path), backup_every_hours=24)
    assert backups.is_due(cfg, now())  # none yet
    worker = backups.BackupScheduler(file_db, cfg, check_every=0.05, first_delay=0.0)
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while not backups.list_backups(cfg.backup_folder) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # many more checks: none may take a second backup
    finally:
        worker.stop(wait=True)
    kept = backups.list_backups(cfg.backup_folder)
    assert len(kept) == 1
    assert not backups.is_due(cfg, now())
    assert backups.is_due(cfg, kept[0].taken_at + dt.timedelta(hours=24))
    assert not backups.is_due(dataclasses.replace(cfg, backup_every_hours=0), now() + dt.timedelta(days=30))
    assert [r.origin for r in backup_store.recent_runs(file_db)] == ["schedule"]


def test_a_request_from_the_page_runs_in_the_scheduler_and_a_second_is_refused_meanwhile(file_db, monkeypatch):
    cfg = config(Path(file_db.path), backup_every_hours=0)
    inside, release = threading.Event(), threading.Event()
    real_copy = backup_store.copy_into

    def slow_copy(db, target, marker):
        inside.set()
        release.wait(30)
        real_copy(db, target, marker)

    monkeypatch.setattr(backup_store, "copy_into", slow_copy)
    worker = backups.BackupScheduler(file_db, cfg, check_every=60, first_delay=60)
    worker.start()
    try:
        assert worker.request_now(3)
        assert inside.wait(30) and worker.busy
        assert not worker.request_now(4)
        release.set()
        deadline = time.monotonic() + 30
        while worker.busy and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.stop(wait=True)
    assert worker.last_outcome.ok
    assert [(r.origin, r.actor_id) for r in backup_store.recent_runs(file_db)] == [("manual", 3)]


def test_one_scheduler_per_process_and_database(file_db):
    cfg = config(Path(file_db.path), backup_every_hours=0)
    first = backups.scheduler(file_db, cfg)
    try:
        assert backups.scheduler(file_db, cfg) is first
        assert [th.name for th in threading.enumerate()].count("minyi-backup-scheduler") == 1
    finally:
        first.stop(wait=True)


def test_a_database_without_a_file_is_not_backed_up_here(db, tmp_path, caplog):
    class ServerDatabase:  # what a PostgreSQL Database looks like to this service: a URL, no file
        path = "postgresql://minyi@db.example/minyi"

    with caplog.at_level(logging.INFO, logger="minyi.backups"):
        for database in (db, ServerDatabase()):
            assert backups.take_backup(database, config(tmp_path / "x.duckdb")).skipped == "not_duckdb"
            assert backups.scheduler(database) is None
    assert "pg_dump" in caplog.text
    assert not (tmp_path / "backups").exists()


def test_read_marker_refuses_files_that_are_not_minyi_backups(file_db, tmp_path):
    text = tmp_path / "notes.duckdb"
    text.write_text("hello", encoding="utf-8")
    plain = tmp_path / "plain.duckdb"
    duckdb.connect(str(plain)).close()
    for path in (text, plain, Path(file_db.path), tmp_path / "missing.duckdb"):
        with pytest.raises(backup_store.NotABackup):
            backup_store.read_marker(path)
    outcome = backups.take_backup(file_db, config(Path(file_db.path)))
    marker = backup_store.read_marker(outcome.file.path)
    assert marker["format"] == backup_store.FORMAT and "m0600_backup_runs" in marker["applied_migrations"]


def test_a_failing_scheduled_backup_is_not_retried_at_every_check(file_db, monkeypatch):
    cfg = config(Path(file_db.path), backup_every_hours=24)

    def full_disk(db, target, marker):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup_store, "copy_into", full_disk)
    worker = backups.BackupScheduler(file_db, cfg, check_every=0.02, first_delay=0.0)
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while not backup_store.recent_runs(file_db) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.5)  # some 25 more checks
        assert worker.request_now(None)  # an admin may still try at once
        deadline = time.monotonic() + 30
        while worker.busy and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.stop(wait=True)
    runs = backup_store.recent_runs(file_db)
    assert [(r.origin, r.ok) for r in runs] == [("manual", False), ("schedule", False)]
    assert "No space left on device" in runs[1].error


def test_the_app_start_runs_the_one_backup_thread_the_page_finds(tmp_path, monkeypatch):
    from services.startup import start_app
    from storage.db import shared_database

    path = tmp_path / "app" / "minyi.duckdb"
    monkeypatch.setenv("MINYI_DB", str(path))
    cfg = settings.load()
    start_app(cfg)
    start_app(cfg)  # a second start in the same process starts no second thread
    db = shared_database(path)
    started = [th for th in threading.enumerate() if th.name == "minyi-backup-scheduler" and th.db is db]
    try:
        assert len(started) == 1 and started[0].is_alive()
        assert backups.scheduler(db, cfg) is started[0]  # what the admin page asks for
    finally:
        for worker in started:
            worker.stop(wait=True)
        db.close()
