"""The database gateway: one DuckDB connection per process, a cursor per unit of work."""

from __future__ import annotations

import functools
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
from storage.dialects import DuckDBDialect, PostgresDialect, PostgresCursor, is_url, redacted, scheme_of

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


class DatabaseUnsupported(StorageError):
    """MINYI_DB names a server of a kind Minyi does not speak (only file paths and postgresql:// URLs)."""

    code = "storage.pg.scheme"


class DatabaseUnreachable(StorageError):
    """The PostgreSQL server cannot be reached (wrong host or port, not running, a firewall)."""

    code = "storage.pg.unreachable"


class DatabaseRefused(StorageError):
    """The PostgreSQL server refused the user, the password or the database name."""

    code = "storage.pg.refused"


class DatabaseTooOld(StorageError):
    """The PostgreSQL server is older than the oldest Minyi supports (15)."""

    code = "storage.pg.too_old"


class ForeignDatabase(StorageError):
    """The PostgreSQL database already holds another application's tables: Minyi will not write beside them."""

    code = "storage.pg.foreign"


class IncompleteCopy(StorageError):
    """The database is the target of a copy (manage.py copy-db) that has not finished: starting on it would serve
    half a district."""

    code = "storage.copy.incomplete"


def is_write_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` says a concurrent transaction won a race for the same row (so the work may simply be redone)."""
    return any(dialect.is_write_conflict(exc) for dialect in _dialects())


def is_race(exc: BaseException) -> bool:
    """A lost write conflict or a unique key claimed by someone else at the same moment, on either engine."""
    return any(dialect.is_race(exc) for dialect in _dialects())


@functools.cache
def _dialects() -> tuple:
    return (DuckDBDialect(), PostgresDialect())


def engine_errors() -> tuple[type[BaseException], ...]:
    """Every exception class either engine raises for a failed statement (catch these, never duckdb's alone)."""
    return tuple(cls for dialect in _dialects() for cls in dialect.errors)


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

    def __init__(self, cursor: Any, dialect: Any) -> None:
        self._cur = cursor
        self.dialect = dialect
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
    def raw(self) -> Any:
        """The underlying cursor, for the bulk paths of storage/dialects.py only."""
        return self._cur


class Database:
    """One process-wide handle on the database: a DuckDB connection (thread-safe: every call uses a fresh
    ``cursor()``, because a DuckDB connection shared across threads loses writes, measured: 1,500 of 4,000 rows
    with 'connection is busy'), or a pool of PostgreSQL connections (every call borrows one)."""

    def __init__(self, conn: Any, path: str, dialect: Any = None, pool: Any = None) -> None:
        self._conn = conn
        self._pool = pool
        self.path = path
        self.dialect = dialect or DuckDBDialect()
        self._closed = False

    @property
    def engine(self) -> str:
        """'duckdb' or 'postgres'."""
        return self.dialect.name

    @property
    def file(self) -> Path | None:
        """The DuckDB file, or None (in memory, or on a server)."""
        if self.engine != "duckdb" or self.path == ":memory:":
            return None
        return Path(self.path)

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        if self._pool is not None:
            with self._pool.connection() as conn:
                cur = PostgresCursor(conn.cursor())
                try:
                    yield cur
                finally:
                    cur.close()
            return
        cur = self._conn.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def query(self, sql: str, params: Sequence[Any] | dict = ()) -> Result:
        with self.cursor() as cur:
            return Tx(cur, self.dialect).query(sql, params)

    def execute(self, sql: str, params: Sequence[Any] | dict = ()) -> None:
        with self.cursor() as cur:
            cur.execute(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self.cursor() as cur:
            cur.execute(self.dialect.begin)
            try:
                tx = Tx(cur, self.dialect)
                yield tx
            except BaseException:
                try:
                    cur.execute("ROLLBACK")
                except self.dialect.errors:
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
        new state and is re-checked against it. Any other engine failure (a full disk) is logged with its cause and
        raised as StorageUnavailable: nothing was stored. The work's own exceptions (refusals) pass through."""
        for attempt in range(1, attempts + 1):
            began: list[Tx] = []
            try:
                with self.transaction() as tx:
                    began.append(tx)
                    return work(tx)
            except self.dialect.errors as exc:
                if began and began[0].committed:  # raised by a hook after COMMIT: the work is done, not redone
                    raise
                if not self.dialect.is_write_conflict(exc):
                    log.error("%s failed, nothing stored: %s", what, exc, exc_info=exc)
                    raise StorageUnavailable(str(exc)) from exc
                log.info("%s lost a write conflict (attempt %d of %d): %s", what, attempt, attempts, exc)
                if attempt == attempts:
                    log.warning("%s still conflicting after %d attempts: %s", what, attempts, exc)
                    raise WriteConflict(str(exc)) from exc
            time.sleep(0.005 * attempt)
        raise AssertionError("unreachable")

    def table_names(self) -> list[str]:
        """The names of the tables in this database's own schema."""
        return [r[0] for r in self.query("SELECT table_name FROM information_schema.tables WHERE table_schema ="
                                         " current_schema() AND table_catalog = current_database()").rows]

    def close(self) -> None:
        if not self._closed:
            if self._pool is not None:
                self._pool.close()
            else:
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


def _configure_postgres(conn: Any) -> None:
    """Every pooled connection: numbers come back as int or float (never Decimal), in the machine's time zone."""
    import psycopg

    class Number(psycopg.adapt.Loader):
        def load(self, data: Any) -> Any:
            text = bytes(data)
            return int(text) if text.lstrip(b"-").isdigit() else float(text)

    conn.adapters.register_loader("numeric", Number)
    conn.autocommit = True


def _connect_postgres(url: str, read_only: bool) -> Any:
    """A psycopg pool on ``url``, after one direct connection that tells an unreachable server, a refused login and
    a server older than 15 apart (nothing is created in any of these cases)."""
    import psycopg
    from psycopg_pool import ConnectionPool

    from storage.dialects import POSTGRES_MIN_VERSION

    shown = redacted(url)
    options = f"-c TimeZone={settings.load().timezone}" + (" -c default_transaction_read_only=on" if read_only else "")
    kwargs = {"options": options, "application_name": "minyi", "connect_timeout": 10}
    try:
        with psycopg.connect(url, **kwargs) as probe:
            version = probe.info.server_version
    except psycopg.OperationalError as exc:
        text = str(exc)
        lowered = text.lower()
        refused = ("authentication" in lowered or "does not exist" in lowered or "pg_hba.conf" in lowered
                   or "permission denied" in lowered or "password" in lowered)
        error = DatabaseRefused if refused else DatabaseUnreachable
        raise error(_scrubbed(text, url), url=shown, reason=_scrubbed(_reason(text), url)) from exc
    except psycopg.ProgrammingError as exc:  # a malformed URL
        raise DatabaseUnreachable(_scrubbed(str(exc), url), url=shown, reason=_scrubbed(_reason(str(exc)), url)) from exc
    if version < POSTGRES_MIN_VERSION:
        raise DatabaseTooOld(str(version), url=shown, version=f"{version // 10000}.{version % 10000}")
    size = settings.load().db_pool_size
    pool = ConnectionPool(url, min_size=1, max_size=size, kwargs=kwargs, configure=_configure_postgres,
                          open=False, name="minyi", timeout=30)
    pool.open(wait=True, timeout=30)
    return pool


def _reason(text: str) -> str:
    """What libpq says went wrong, without its framing: 'connection to server at "h", port 1 failed: Connection
    refused' (then a hint line) gives 'Connection refused'; 'FATAL:  role "x" does not exist' loses its FATAL."""
    line = next((part.strip() for part in text.strip().splitlines() if part.strip()), "")
    if " failed: " in line:
        line = line.rsplit(" failed: ", 1)[1]
    return line.removeprefix("FATAL:").strip()


def _scrubbed(text: str, url: str) -> str:
    """``text`` without the URL's password, whole or in the pieces libpq may quote when the URL is malformed (an
    unescaped @ in the password makes its tail part of the host name)."""
    from urllib.parse import urlsplit

    text = text.replace(url, redacted(url))
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        for piece in sorted({password, *password.replace(":", "@").split("@")}, key=len, reverse=True):
            if len(piece) >= 3:
                text = text.replace(piece, "***")
    return text


def _check_owner(db: Database) -> None:
    """Refuse a PostgreSQL database that holds another application's tables, and a copy target left half-done."""
    from storage import migrations

    tables = set(db.table_names())
    if migrations.COPY_MARK in tables:  # a copy stopped before it had migrated the target: not another app's
        raise IncompleteCopy(redacted(db.path), target=redacted(db.path))
    if migrations.TABLE not in tables and tables:
        shown = sorted(tables)[:5]
        raise ForeignDatabase(", ".join(shown), url=redacted(db.path), tables=", ".join(shown))


def open_database(path: str | Path, *, migrate: bool = True, read_only: bool = False) -> Database:
    """Open (creating it with its folder if needed) and upgrade the database: a DuckDB file path, or a
    ``postgresql://`` URL of an existing PostgreSQL 15+ database.

    Raises DatabaseLocked, NotADatabase, StorageLocationError, DatabaseTooNew, DatabaseUnsupported,
    DatabaseUnreachable, DatabaseRefused, DatabaseTooOld, ForeignDatabase or IncompleteCopy with a message the
    caller translates; nothing is changed on failure.
    """
    from storage import migrations

    target = str(path)
    if is_url(target):
        if scheme_of(target) not in ("postgresql", "postgres"):
            raise DatabaseUnsupported(redacted(target), url=redacted(target), scheme=scheme_of(target))
        db = Database(None, target, PostgresDialect(), pool=_connect_postgres(target, read_only))
    else:
        db = Database(_connect(target, read_only), target)
    try:
        if db.engine != "duckdb":
            _check_owner(db)
        if migrations.COPY_MARK in db.table_names():
            raise IncompleteCopy(redacted(target), target=redacted(target))
        if migrate and not read_only:  # a read-only open can only read what is there
            with db.dialect.exclusive_wait(db, "migrations"):  # several processes starting at once: one migrates
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
    HTTP routes live in one process and must share DuckDB's single file lock, or one PostgreSQL pool)."""
    key = str(path) if str(path) == ":memory:" or is_url(str(path)) else str(Path(path).resolve())
    with _shared_lock:
        db = _shared.get(key)
        if db is None or db._closed:
            db = open_database(path)
            _shared[key] = db
        return db
