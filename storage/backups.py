"""Online backups of the DuckDB database: one snapshot copied into a new file, the marker that names it, the runs.

A backup is taken inside the running app without stopping anyone: the target file is attached to the app's own
connection and ``COPY FROM DATABASE`` runs inside one read transaction, so every table is read from the same
snapshot (a response is in the backup with all its answers, or not at all) while residents' submissions keep
committing beside it (DuckDB's MVCC; measured in tests/backups/). The copy carries a ``_minyi_backup`` table that
says what it is; restoring checks for it and drops it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

import duckdb

from storage.db import Database, StorageError

MARKER = "_minyi_backup"
FORMAT = "minyi-backup-1"


class NotABackup(StorageError):
    """The file is a DuckDB database, but not a backup Minyi took."""

    code = "backup.not_a_backup"


@dataclass(frozen=True)
class BackupRun:
    id: int
    started_at: dt.datetime
    finished_at: dt.datetime
    origin: str  # schedule, manual (the admin page) or cli
    actor_id: int | None
    file_name: str | None
    bytes: int | None
    ok: bool
    error: str | None


def _quoted_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _quoted_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def copy_into(db: Database, target: Path, marker: dict[str, str]) -> None:
    """Copy the whole database, as one snapshot, into the new file ``target`` (which must not exist) and add the
    marker table holding ``marker``. The file is complete and detached (checkpointed, no WAL) when this returns;
    on failure it may be left half-written and the caller removes it."""
    alias = "minyi_backup_" + secrets.token_hex(6)
    with db.cursor() as cur:
        source = cur.execute("SELECT current_database()").fetchone()[0]
        cur.execute(f"ATTACH {_quoted_path(target)} AS {alias}")
        try:
            cur.execute("BEGIN TRANSACTION")
            try:
                # one transaction: every table comes from the snapshot taken at its first read
                cur.execute(f"COPY FROM DATABASE {_quoted_name(source)} TO {alias}")
                cur.execute(f"DROP TABLE IF EXISTS {alias}.{MARKER}")
                cur.execute(f"CREATE TABLE {alias}.{MARKER} (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
                cur.executemany(f"INSERT INTO {alias}.{MARKER} VALUES (?, ?)",
                                [["format", FORMAT], *([k, v] for k, v in marker.items())])
                cur.execute("COMMIT")
            except BaseException:
                try:
                    cur.execute("ROLLBACK")
                except duckdb.Error:
                    pass  # already aborted by the failure
                raise
        finally:
            cur.execute(f"DETACH DATABASE IF EXISTS {alias}")


def read_marker(path: Path) -> dict[str, str]:
    """What the backup file ``path`` says about itself (format, taken_at, migrations …), opened read-only and
    changing nothing. NotABackup for anything else: a missing file, a file that is not DuckDB's, a database Minyi
    did not write as a backup."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise NotABackup(str(exc), path=str(path)) from exc
    if head[8:12] != b"DUCK":  # DuckDB files carry "DUCK" at byte 8 of the first block
        raise NotABackup(str(path), path=str(path))
    try:
        conn = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise NotABackup(str(exc), path=str(path)) from exc
    try:
        tables = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if MARKER not in tables or "_minyi_migrations" not in tables:
            raise NotABackup(str(path), path=str(path))
        marker = {str(k): str(v) for k, v in conn.execute(f"SELECT key, value FROM {MARKER}").fetchall()}
        if marker.get("format") != FORMAT:
            raise NotABackup(str(path), path=str(path))
        marker["applied_migrations"] = ",".join(
            r[0] for r in conn.execute("SELECT name FROM _minyi_migrations ORDER BY name").fetchall())
        return marker
    except duckdb.Error as exc:
        raise NotABackup(str(exc), path=str(path)) from exc
    finally:
        conn.close()


def drop_marker(db: Database) -> None:
    """Remove a backup's marker from a database just restored from it (the live database carries none)."""
    db.execute(f"DROP TABLE IF EXISTS {MARKER}")


def end_sessions(db: Database, at: dt.datetime) -> int:
    """End every sign-in session a restored database holds: a session signed out or revoked after the backup was
    taken would otherwise be valid again. Returns how many were ended."""
    return len(db.query("UPDATE user_sessions SET revoked_at = ? WHERE revoked_at IS NULL RETURNING 1", [at]))


def row_counts(db: Database) -> dict[str, int]:
    """Rows in every table of the database (the marker aside): how a restore is checked against its backup."""
    names = [r[0] for r in db.query(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' "
        "ORDER BY table_name").rows if r[0] != MARKER]
    return {name: int(db.query(f"SELECT count(*) FROM {_quoted_name(name)}").single_value()) for name in names}


def file_row_counts(path: Path) -> dict[str, int]:
    """row_counts of a database file opened read-only (a backup)."""
    conn = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_name").fetchall()
            if r[0] != MARKER]
        return {n: int(conn.execute(f"SELECT count(*) FROM {_quoted_name(n)}").fetchone()[0]) for n in names}
    finally:
        conn.close()


def record_run(db: Database, *, started_at: dt.datetime, finished_at: dt.datetime, origin: str,
               actor_id: int | None, file_name: str | None, size: int | None, ok: bool, error: str | None) -> None:
    """Keep one backup attempt: the file it wrote and its size, or why it failed."""
    db.execute(
        """INSERT INTO backup_runs (started_at, finished_at, origin, actor_id, file_name, bytes, ok, error)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        [started_at, finished_at, origin, actor_id, file_name, size, ok, error],
    )


def recent_runs(db: Database, limit: int = 50) -> list[BackupRun]:
    """The latest backup attempts, newest first."""
    rows = db.query(
        """SELECT id, started_at, finished_at, origin, actor_id, file_name, bytes, ok, error FROM backup_runs
           ORDER BY started_at DESC, id DESC LIMIT ?""", [limit]).rows
    return [BackupRun(*row) for row in rows]
