"""manage.py backup and restore: a restored backup gives the same stats --json and row counts; every refusal."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import settings
from services import backups
from storage import backups as backup_store
from storage.db import open_database

ROOT = Path(__file__).resolve().parents[2]


def run(db_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MINYI_DB": str(db_path), "MINYI_SECRET": "s"}
    env.pop("MINYI_BACKUP_DIR", None)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def demo_backup(tmp_path_factory):
    """A demo district, its stats --json and row counts, and a backup of it taken by manage.py backup."""
    folder = tmp_path_factory.mktemp("source")
    source = folder / "minyi.duckdb"
    loaded = run(source, "demo", "--households", "300", "--seed", "5")
    assert loaded.returncode == 0, loaded.stderr
    stats = run(source, "stats", "--json")  # folds the rollups first, so the backup holds them folded
    assert stats.returncode == 0, stats.stderr
    counts = backup_store.file_row_counts(source)
    taken = run(source, "backup")
    assert taken.returncode == 0, taken.stderr
    [backup] = backups.list_backups(folder / "backups")
    assert str(backup.path) in taken.stdout
    return json.loads(stats.stdout), counts, backup.path


def test_a_restored_backup_has_the_sources_stats_and_row_counts(demo_backup, tmp_path):
    stats, counts, backup = demo_backup
    target = tmp_path / "new" / "minyi.duckdb"
    restored = run(target, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert counts["responses"] > 0 and counts["answers"] > 0 and counts["visits"] > 0
    assert backup_store.file_row_counts(target) == counts  # every table, the marker dropped
    again = run(target, "stats", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == stats
    assert f"{counts['responses']}" in restored.stdout
    # the restored database takes new rows: its id sequences came back past every row
    assert run(target, "unit", "add", "NEW01", "新设区").returncode == 0
    db = open_database(target)
    try:
        assert backup_store.row_counts(db)["org_units"] == counts["org_units"] + 1
    finally:
        db.close()


def test_restore_keeps_the_current_database_aside(demo_backup, tmp_path):
    _, counts, backup = demo_backup
    target = tmp_path / "minyi.duckdb"
    assert run(target, "unit", "add", "X01", "另一个区").returncode == 0
    before = digest(target)
    restored = run(target, "--lang", "en", "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    [aside] = [p for p in tmp_path.iterdir() if p.name.startswith("minyi.duckdb.before-restore-")]
    assert digest(aside) == before and str(aside) in restored.stdout
    assert backup_store.file_row_counts(target) == counts
    db = open_database(target)
    try:
        units = {r[0] for r in db.query("SELECT code FROM org_units").rows}
        markers = db.query("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [backup_store.MARKER])
    finally:
        db.close()
    assert "X01" not in units and markers.single_value() == 0


def test_restore_refuses_while_the_app_holds_the_database(demo_backup, tmp_path):
    _, _, backup = demo_backup
    target = tmp_path / "minyi.duckdb"
    assert run(target, "init").returncode == 0
    app = open_database(target)  # what the running app does: hold DuckDB's file lock
    try:
        refused = run(target, "restore", str(backup))
        locked_backup = run(target, "backup")
    finally:
        app.close()
    assert refused.returncode == 2 and "请先停止应用" in refused.stderr and "Traceback" not in refused.stderr
    assert locked_backup.returncode == 2 and "请先停止应用" in locked_backup.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("minyi.duckdb")) == ["minyi.duckdb"]
    assert backup_store.file_row_counts(target)["responses"] == 0  # not the backup's


def test_restore_refuses_what_is_not_a_minyi_backup(tmp_path):
    target = tmp_path / "minyi.duckdb"
    assert run(target, "init").returncode == 0
    before = digest(target)
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database", encoding="utf-8")
    database_not_backup = tmp_path / "other.duckdb"
    assert run(database_not_backup, "init").returncode == 0
    for path in (notes, database_not_backup, tmp_path / "missing.duckdb"):
        refused = run(target, "restore", str(path))
        assert refused.returncode == 2, refused.stdout
        assert "不是 Minyi 备份" in refused.stderr and "未做任何更改" in refused.stderr
        assert "Traceback" not in refused.stderr
    itself = run(target, "--lang", "en", "restore", str(target))
    assert itself.returncode == 2 and "current database itself" in itself.stderr
    assert digest(target) == before
    assert not [p for p in tmp_path.iterdir() if "before-restore" in p.name]


def test_a_restore_that_fails_puts_the_current_database_back(demo_backup, tmp_path, monkeypatch):
    _, _, backup = demo_backup
    target = tmp_path / "minyi.duckdb"
    open_database(target).close()
    before = digest(target)

    def broken_open(path, **kwargs):
        if Path(path) == target and not kwargs:
            raise OSError("disk gone")
        return open_database(path, **kwargs)

    monkeypatch.setattr(backups, "open_database", broken_open)
    with pytest.raises(OSError):
        backups.restore(backup, settings.load({"MINYI_DB": str(target)}))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["minyi.duckdb"]
    assert digest(target) == before


def test_backup_command_needs_a_database(tmp_path):
    missing = run(tmp_path / "none.duckdb", "--lang", "en", "backup")
    assert missing.returncode == 1 and "no database" in missing.stderr
    assert not (tmp_path / "none.duckdb").exists()


def test_a_session_signed_out_after_the_backup_does_not_come_back_with_the_restore(tmp_path):
    from auth import sessions
    from tests.conftest import build_tree, make_principal

    target = tmp_path / "minyi.duckdb"
    cfg = settings.load({"MINYI_DB": str(target)})
    db = open_database(target)
    admin = make_principal(db, "root_admin", "admin", build_tree(db).district)
    cookie = sessions.start_session(db, admin, "s", 1)
    outcome = backups.take_backup(db, cfg)
    sessions.end_session(db, cookie, "s")  # signed out after the backup was taken
    assert sessions.principal_from_cookie(db, cookie, "s") is None
    db.close()
    backups.restore(outcome.file.path, cfg)
    db = open_database(target)
    try:
        assert sessions.principal_from_cookie(db, cookie, "s") is None
        assert db.query("SELECT count(*) FROM users").single_value() == 1
    finally:
        db.close()


def test_two_restores_in_the_same_second_keep_both_databases_they_set_aside(demo_backup, tmp_path, monkeypatch):
    _, _, backup = demo_backup
    target = tmp_path / "minyi.duckdb"
    open_database(target).close()
    original = digest(target)
    at = settings.now()
    monkeypatch.setattr(backups, "now", lambda: at)
    cfg = settings.load({"MINYI_DB": str(target)})
    first = backups.restore(backup, cfg)
    second = backups.restore(backup, cfg)
    assert first.aside != second.aside
    assert digest(first.aside) == original  # the database before any restore is still there
    assert second.aside.exists()
