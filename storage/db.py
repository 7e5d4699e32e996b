"""The database gateway: one DuckDB connection per process, a cursor per unit of work."""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb

import settings

log = logging.getLogger("minyi.storage")
T = TypeVar("T")
# A write that lost a write-write conflict is run again from the start this many times in all.
CONFLICT_ATTEMPTS = 5


class StorageError(Exception):
    """A storage failure with a catalogue code the UI and CLI translate."""

    code = "storage.error"

    def __init__(self, detail: str = "", **params: Any) -> None:
        super().__init__(detail or self.code)
        self.detail = detail
        self.params = params


class DatabaseLocked(StorageError):
    """Another process (usually the running app) holds DuckDB's file lock."""

    code = "storage.locked"


class NotADatabase(StorageError):
    """The file exists but is not a DuckDB database."""

    code = "storage.not_duckdb"


class StorageLocationError(StorageError):
    """The database file or its folder cannot be created or written."""

    code = "storage.location"


class DatabaseTooNew(StorageError):
    """The file was written by a newer Minyi than this code knows."""

    code = "storage.too_new"


class WriteConflict(StorageError):
    """Someone else changed the same row at the same moment, every time this write was tried."""

    code = "storage.writer.conflict"


class StorageUnavailable(StorageError):
    """A write failed for a reason other than a conflict (a full disk, a broken file): nothing was stored."""

    code = "storage.writer.unavailable"


# How DuckDB reports that a concurrent transaction got to the same row first: at the statement ("Conflict on
# update!", "Conflict on tuple deletion!", a catalog write-write conflict) or at COMMIT, when both inserted the same
# unique key ("Failed to commit: PRIMARY KEY or UNIQUE constraint violation"). Running the work again sees the
# winner's row. Everything else (e.g. "Failed to commit: Could not write file ...: No space left on device") is not
# a conflict and is never retried as one. A duplicate *client key* at the statement is a race too: the same form
# (double tap, second tab) committed by a transaction that began after this one's snapshot, so the NOT EXISTS check
# missed it; run again, the work finds it stored. A duplicate of any other key (an id a sequence handed out again)
# is not a race and is not retried.
_CONFLICT_MARKS = ("conflict on ", "write-write conflict", "failed to commit: primary key or unique constraint")
_CLIENT_KEY_TAKEN = 'duplicate key "client_key:'


def is_write_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` says a concurrent transaction won a race for the same row (so the work may simply be redone)."""
    text = str(exc).lower()
    if isinstance(exc, duckdb.ConstraintException):
        return _CLIENT_KEY_TAKEN in text
    return isinstance(exc, duckdb.TransactionException) and any(mark in text for mark in _CONFLICT_MARKS)


@dataclass(frozen=True)
class Scope:
    """The part of the org tree a caller may see: a materialized-path prefix.

    Every unit has a ``path`` like ``/1/4/17/``; a unit's subtree is every unit
    whose path starts with it. Storage functions that return unit-scoped data
    take a Scope and filter in SQL, so access is enforced in the query itself.
    """

    path: str

    @classmethod
    def everything(cls) -> "Scope":
        return cls("/")

    def covers(self, unit_path: str) -> bool:
        return unit_path.startswith(self.path)

    @property
    def is_top(self) -> bool:
        """The whole tree or a root unit's subtree (paths like ``/1/``): what owns the unowned built-in surveys,
        the tree-wide settings and the audit entries of no unit."""
        return self.path.count("/") <= 2

    @property
    def like(self) -> str:
        """The LIKE pattern matching this subtree (paths never contain % or _)."""
        return self.path + "%"


@dataclass(frozen=True)
class Result:
    """Rows of one query; pages never hold a raw cursor."""

    columns: list[str]
    rows: list[tuple]

    def first(self) -> tuple | None:
        return self.rows[0] if self.rows else None

    def single_value(self) -> Any:
        return self.rows[0][0] if self.rows else None

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]

    def first_dict(self) -> dict[str, Any] | None:
        return dict(zip(self.columns, self.rows[0])) if self.rows else None

    def __len__(self) -> int:
        return len(self.rows)


class Tx:
    """A transaction on its own cursor; commit on success, rollback on error."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self._cur = cursor
        self.committed = False
        self.after_commit_hooks: dict[str, Callable[[Database], None]] = {}

    def after_commit(self, key: str, hook: Callable[["Database"], None]) -> None:
        """Run ``hook(db)`` once after this transaction has committed (not at all if it rolls back): how derived
        tables catch up with committed data, outside the writer's transaction so writers never conflict on them."""
        self.after_commit_hooks.setdefault(key, hook)

    def query(self, sql: str, params: Sequence[Any] | dict = ()) -> Result:
        self._cur.execute(sql, params)
        if self._cur.description is None:
            return Result([], [])
        return Result([d[0] for d in self._cur.description], self._cur.fetchall())

    def execute(self, sql: str, params: Sequence[Any] | dict = ()) -> None:
        self._cur.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._cur.executemany(sql, rows)

    @property
    def raw(self) -> duckdb.DuckDBPyConnection:
        """The underlying cursor, for bulk paths inside storage/ only (appender, Arrow)."""
        return self._cur


class Database:
    """One process-wide DuckDB connection. Thread-safe: every call uses a fresh
    ``cursor()``, because a DuckDB connection shared across threads loses writes
    (measured: 1,500 of 4,000 rows with 'connection is busy')."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, path: str) -> None:
        self._conn = conn
        self.path = path
        self._closed = False

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._conn.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def query(self, sql: str, params: Sequence[Any] | dict = ()) -> Result:
        with self.cursor() as cur:
            return Tx(cur).query(sql, params)

    def execute(self, sql: str, params: Sequence[Any] | dict = ()) -> None:
        with self.cursor() as cur:
            cur.execute(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                tx = Tx(cur)
                yield tx
            except BaseException:
                try:
                    cur.execute("ROLLBACK")
                except duckdb.Error:
                    pass  # the transaction was already aborted by the failure
                raise
            else:
                cur.execute("COMMIT")  # a failed COMMIT (a full disk) raises: nothing was stored
                tx.committed = True
        for hook in tx.after_commit_hooks.values():
            hook(self)

    def in_transaction(self, work: Callable[[Tx], T], *, attempts: int = CONFLICT_ATTEMPTS, what: str = "write") -> T:
        """Run ``work(tx)`` in a transaction and return its result; when it loses a write-write conflict to a
        concurrent transaction (two saves of the same row at the same moment), run it again from the start, up to
        ``attempts`` times in all, then raise WriteConflict. ``work`` must only act through ``tx``: a retry re-reads
        what the winner committed, so a second save of the same thing finds it saved, and a state change finds the
        new state and is re-checked against it. Any other DuckDB failure (a full disk) is logged with its cause and
        raised as StorageUnavailable: nothing was stored. The work's own exceptions (refusals) pass through."""
        for attempt in range(1, attempts + 1):
            began: list[Tx] = []
            try:
                with self.transaction() as tx:
                    began.append(tx)
                    return work(tx)
            except duckdb.Error as exc:
                if began and began[0].committed:  # raised by a hook after COMMIT: the work is done, not redone
                    raise
                if not is_write_conflict(exc):
                    log.error("%s failed, nothing stored: %s", what, exc, exc_info=exc)
                    raise StorageUnavailable(str(exc)) from exc
                log.info("%s lost a write conflict (attempt %d of %d): %s", what, attempt, attempts, exc)
                if attempt == attempts:
                    log.warning("%s still conflicting after %d attempts: %s", what, attempts, exc)
                    raise WriteConflict(str(exc)) from exc
            time.sleep(0.005 * attempt)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if not self._closed:
            self._conn.close()
            self._closed = True


PRIVATE_FILES = ("{db}", "{db}.wal", "secret.key", "setup-code.txt")  # in the data folder; {db} is the file's name


def _keep_private(file: Path) -> None:
    """Residents' answers and the keys beside them are for this service's account only: from now on this process
    creates files 0600 and folders 0700 (the umask also covers the WAL, which DuckDB recreates after every
    checkpoint, and any backup or spill file); the data folder is made 0700 and the data files already there
    0600. A folder we do not own, a shared one (sticky, like /tmp), the home folder and / are left as they are."""
    old = os.umask(0o077)
    os.umask(old | 0o077)
    folder = file.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.stat()
    shared = info.st_mode & stat.S_ISVTX or folder == Path(os.path.expanduser("~")) or folder.parent == folder
    if info.st_uid == os.geteuid() and not shared:
        folder.chmod(0o700)
    for name in PRIVATE_FILES:
        member = folder / name.format(db=file.name)
        try:
            if member.is_file() and member.stat().st_uid == os.geteuid():
                member.chmod(0o600)
        except OSError:
            pass  # vanished meanwhile (a checkpoint removed the WAL)


def _connect(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    if path != ":memory:":
        file = Path(path)
        try:
            _keep_private(file)
        except OSError as exc:
            raise StorageLocationError(str(exc), path=str(file.parent)) from exc
        if file.exists() and file.is_file() and file.stat().st_size > 0:
            with file.open("rb") as fh:
                head = fh.read(16)
            # DuckDB files carry the magic "DUCK" at byte 8 of the first block.
            if head[8:12] != b"DUCK":
                raise NotADatabase(path, path=path)
    try:
        return duckdb.connect(path, read_only=read_only, config={"threads": settings.load().db_threads})
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise DatabaseLocked(text, path=path) from exc
        if "not a valid DuckDB" in text or "Corrupt" in text or "magic" in text.lower():
            raise NotADatabase(text, path=path) from exc
        raise StorageLocationError(text, path=path) from exc
    except duckdb.Error as exc:
        if "not a valid DuckDB" in str(exc):
            raise NotADatabase(str(exc), path=path) from exc
        raise


def open_database(path: str | Path, *, migrate: bool = True, read_only: bool = False) -> Database:
    """Open (creating it with its folder if needed) and upgrade the database.

    Raises DatabaseLocked, NotADatabase, StorageLocationError or DatabaseTooNew
    with a message the caller translates; nothing is changed on failure.
    """
    from storage import migrations

    conn = _connect(str(path), read_only)
    db = Database(conn, str(path))
    try:
        if migrate and not read_only:  # a read-only open can only read what is there
            migrations.apply(db)
            from storage import sequences, visit_status

            # before any insert: rows ahead of their sequence (a bulk load stopped before it moved them on) would
            # make every insert into that table fail on its primary key
            for use in sequences.repair(db):
                log.warning("id sequence %s was %d behind %s.%s (largest %d): moved past it", use.sequence,
                            use.behind, use.table, use.column, use.top)
            visit_status.settle(db)  # derived rows left behind by a stopped process or a migration
        else:
            migrations.check_not_newer(db)
    except BaseException:
        db.close()
        raise
    return db


_shared_lock = threading.Lock()
_shared: dict[str, Database] = {}


def shared_database(path: str | Path) -> Database:
    """The process-wide Database for ``path``, opened once (the app and its
    HTTP routes live in one process and must share DuckDB's single file lock)."""
    key = str(Path(path).resolve()) if str(path) != ":memory:" else ":memory:"
    with _shared_lock:
        db = _shared.get(key)
        if db is None or db._closed:
            db = open_database(path)
            _shared[key] = db
        return db
