"""The two SQL engines behind Database, DuckDB (embedded, the default) and PostgreSQL: everything that differs, in one place.

Minyi's SQL is written once, with DuckDB's ``?`` placeholders and the subset of SQL both engines share. What is
not shared lives here and nowhere else:

- connecting (a file path or a ``postgresql://`` URL), and what a failure to connect means for the user;
- how a placeholder, a percent sign and three DuckDB type names (DOUBLE, HUGEINT, BLOB) are spelled;
- the few DuckDB functions the SQL uses that PostgreSQL lacks (``list_contains``, ``epoch``, ``date_diff``,
  ``any_value``, ``hash``), which the PostgreSQL engine defines (migration m0002);
- which errors are a lost race (run the work again) and which are not;
- bulk paths: an Arrow table inserted or staged for a join (DuckDB scans it in place; PostgreSQL takes it by
  COPY), and a query read back as Arrow or pandas;
- the catalogue (tables, sequences) and one lock held across processes.
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import duckdb
import pyarrow as pa

import settings

if TYPE_CHECKING:
    import pandas as pd

    from storage.db import Database, Tx

log = logging.getLogger("minyi.storage")
_names = itertools.count()

POSTGRES_SCHEMES = ("postgresql", "postgres")
POSTGRES_MIN_VERSION = 150000  # PostgreSQL 15


# ``scheme:`` at the start: a server, even when mistyped (``postgresql:/db`` must not become a folder ``postgresql:``)


def is_url(target: str) -> bool:
    """Whether MINYI_DB names a server (``scheme://…``, or anything starting ``scheme:``) rather than a file."""
    return settings.names_server(target)


def scheme_of(target: str) -> str:
    return target.split("://", 1)[0].lower()


def redacted(url: str) -> str:
    """``url`` with its password replaced, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


# --- DuckDB -----------------------------------------------------------------------------------------------------

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


class DuckDBDialect:
    """DuckDB 2.0: one connection per process, a cursor per unit of work; SQL is passed as written."""

    name = "duckdb"
    errors: tuple[type[BaseException], ...] = (duckdb.Error,)
    begin = "BEGIN TRANSACTION"

    def is_write_conflict(self, exc: BaseException) -> bool:
        text = str(exc).lower()
        if isinstance(exc, duckdb.ConstraintException):
            return _CLIENT_KEY_TAKEN in text
        return isinstance(exc, duckdb.TransactionException) and any(mark in text for mark in _CONFLICT_MARKS)

    def is_race(self, exc: BaseException) -> bool:
        """A lost write conflict or any unique-key violation: someone else claimed the same key at the same moment."""
        return isinstance(exc, (duckdb.TransactionException, duckdb.ConstraintException))

    def is_constraint(self, exc: BaseException) -> bool:
        return isinstance(exc, duckdb.ConstraintException)

    @contextmanager
    def staged(self, tx: "Tx", data: pa.Table) -> Iterator[str]:
        """``data`` visible to ``tx``'s statements under the returned name until the block ends."""
        view = f"_staged_{next(_names)}"
        tx.raw.register(view, data)
        try:
            yield view
        finally:
            tx.raw.unregister(view)

    def insert_arrow(self, tx: "Tx", table: str, data: pa.Table) -> None:
        columns = ", ".join(f'"{name}"' for name in data.column_names)
        with self.staged(tx, data) as view:
            tx.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {view}")

    def arrow(self, tx: "Tx", sql: str, params: Sequence[Any] = ()) -> pa.Table:
        return tx.raw.sql(sql, params=list(params) or None).to_arrow_table()

    def frame(self, tx: "Tx", sql: str, params: Sequence[Any] = ()) -> "pd.DataFrame":
        tx.raw.execute(sql, params)
        return tx.raw.df()

    def sequence_last_values(self, db: "Database | Tx") -> dict[str, int]:
        return {name: int(value or 0) for name, value in db.query(
            "SELECT sequence_name, last_value FROM duckdb_sequences()"
            " WHERE database_name = current_database() AND schema_name = 'main'").rows}

    def advance_sequence(self, tx: "Tx", sequence: str, steps: int) -> None:
        # DuckDB (2.0) has no ALTER SEQUENCE ... RESTART and refuses to drop a sequence a column DEFAULT depends
        # on, so the sequence is stepped with nextval over a range (about 30 ms per million steps).
        tx.query(f"SELECT max(nextval('{sequence}')) FROM range({int(steps)})")

    @contextmanager
    def exclusive_wait(self, db: "Database", key: str) -> Iterator[None]:
        """Hold ``key`` for the block, waiting for it: with DuckDB there is one process, so a thread lock."""
        with _thread_lock(key):
            yield

    @contextmanager
    def exclusive(self, db: "Database", key: str) -> Iterator[bool]:
        """One holder of ``key`` at a time across processes: with DuckDB there is one process, so a thread lock."""
        lock = _thread_lock(key)
        got = lock.acquire(blocking=False)
        try:
            yield got
        finally:
            if got:
                lock.release()

    def stream_arrow(self, tx: "Tx", sql: str, params: Sequence[Any] = (), rows: int = 50_000) -> Iterator[pa.Table]:
        """The result of ``sql`` in batches of at most ``rows`` rows, never all of it in memory (a relation read as
        an Arrow stream; an ORDER BY beyond the memory limit spills to DuckDB's temporary folder)."""
        reader = tx.raw.sql(sql, params=list(params) or None).to_arrow_reader(rows)
        for batch in reader:
            if batch.num_rows:
                yield pa.Table.from_batches([batch])

    def limit_memory(self, db: "Database", megabytes: int) -> None:
        """Keep this process's DuckDB within ``megabytes`` (big sorts spill to disk instead)."""
        db.execute(f"SET memory_limit = '{int(megabytes)}MB'")

    def analyze(self, tx: "Tx", tables: Sequence[str]) -> None:
        """Fresh planner statistics after a large change: DuckDB keeps its own as it writes."""


# --- PostgreSQL -------------------------------------------------------------------------------------------------

_TYPE_NAMES = {"DOUBLE": "DOUBLE PRECISION", "HUGEINT": "NUMERIC(38, 0)", "BLOB": "BYTEA"}
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|\?|%|\b(?:DOUBLE(?! PRECISION)|HUGEINT|BLOB)\b")


@functools.lru_cache(maxsize=4096)
def postgres_sql(sql: str, with_params: bool = True) -> str:
    """DuckDB-flavoured SQL as psycopg takes it: ``?`` → ``%s``, ``%`` → ``%%`` (in literals too: psycopg reads
    the whole string), and DuckDB's own type names spelled the PostgreSQL way. Quoted text keeps its ``?``."""

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in _TYPE_NAMES:
            return _TYPE_NAMES[token]
        if not with_params:  # psycopg reads no placeholders in a statement sent without parameters
            return token
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        if token.startswith(("'", '"')):
            return token.replace("%", "%%")
        return token  # a comment

    return _TOKEN.sub(one, sql)


# The DuckDB functions Minyi's SQL uses that PostgreSQL 15 lacks, defined with the same meaning (migration m0002).
POSTGRES_FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION list_contains(anycompatiblearray, anycompatible) RETURNS boolean
       LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT $2 = ANY($1) $$""",
    """CREATE OR REPLACE FUNCTION epoch(interval) RETURNS double precision
       LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT extract(epoch FROM $1)::double precision $$""",
    """CREATE OR REPLACE FUNCTION epoch(timestamp) RETURNS double precision
       LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT extract(epoch FROM $1)::double precision $$""",
    """CREATE OR REPLACE FUNCTION date_diff(text, date, date) RETURNS bigint
       LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
       SELECT CASE lower($1) WHEN 'day' THEN ($3 - $2)::bigint
                             WHEN 'week' THEN (($3 - $2) / 7)::bigint
                             ELSE NULL END $$""",
    """CREATE OR REPLACE FUNCTION hash(text) RETURNS bigint
       LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT hashtextextended($1, 0) $$""",
    """CREATE OR REPLACE FUNCTION _minyi_any_value(anyelement, anyelement) RETURNS anyelement
       LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce($1, $2) $$""",
    """DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'any_value') THEN
           CREATE AGGREGATE any_value(anyelement) (SFUNC = _minyi_any_value, STYPE = anyelement);
         END IF;
       END $$""",
]


class PostgresCursor:
    """A psycopg cursor that takes Minyi's SQL (see postgres_sql) and DuckDB-style parameter lists."""

    def __init__(self, cursor: Any) -> None:
        self._cur = cursor

    def execute(self, sql: str, params: Sequence[Any] | dict = ()) -> "PostgresCursor":
        if params:
            self._cur.execute(postgres_sql(sql), list(params))
        else:
            self._cur.execute(postgres_sql(sql, with_params=False))
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._cur.executemany(postgres_sql(sql), [list(r) for r in rows])

    @property
    def description(self) -> Any:
        return self._cur.description

    def fetchall(self) -> list[tuple]:
        return self._cur.fetchall()

    def fetchone(self) -> tuple | None:
        return self._cur.fetchone()

    @property
    def psycopg(self) -> Any:
        """The psycopg cursor itself, for COPY (storage/ only)."""
        return self._cur

    def close(self) -> None:
        self._cur.close()


_ARROW_TYPES = [
    (pa.types.is_string, "VARCHAR"), (pa.types.is_large_string, "VARCHAR"), (pa.types.is_boolean, "BOOLEAN"),
    (pa.types.is_integer, "BIGINT"), (pa.types.is_floating, "DOUBLE PRECISION"), (pa.types.is_date, "DATE"),
    (pa.types.is_timestamp, "TIMESTAMP"),
]


# PostgreSQL result column types (by oid) as Arrow types for stream_arrow; others are inferred from the values.
# NUMERIC is only ever a whole number here (how DuckDB's HUGEINT is spelled on PostgreSQL).
_ARROW_FROM_OID = {
    16: pa.bool_(), 17: pa.binary(), 20: pa.int64(), 21: pa.int16(), 23: pa.int32(), 25: pa.string(),
    700: pa.float32(), 701: pa.float64(), 1043: pa.string(), 1082: pa.date32(), 1114: pa.timestamp("us"),
    1700: pa.decimal128(38, 0), 1016: pa.list_(pa.int64()), 1007: pa.list_(pa.int32()), 1009: pa.list_(pa.string()),
}

def _csv_ready(data: pa.Table) -> pa.Table | None:
    """``data`` with dictionary columns decoded, when every column is a kind whose CSV text PostgreSQL reads back
    the same (strings, numbers, booleans, dates, naive timestamps); None otherwise (lists, bytes, time zones)."""
    columns = []
    for column in data.columns:
        kind = column.type
        if pa.types.is_dictionary(kind):
            column, kind = column.cast(kind.value_type), kind.value_type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_integer(kind)
                or pa.types.is_floating(kind) or pa.types.is_boolean(kind) or pa.types.is_date(kind)
                or (pa.types.is_timestamp(kind) and kind.tz is None) or pa.types.is_null(kind)):
            return None
        columns.append(column)
    return pa.table(columns, names=data.column_names)


# PostgreSQL type oids -> the pandas dtype DuckDB's .df() gives the same column, so code reading a frame (``.dt``,
# arithmetic) works the same on both engines, also on an empty result or a column of NULLs.
_FRAME_TYPES = {16: "bool", 20: "int64", 21: "int16", 23: "int32", 700: "float64", 701: "float64",
                1082: "datetime64[us]", 1114: "datetime64[us]"}


def _typed(column: "pd.Series", kind: str) -> "pd.Series":
    import pandas as pd

    if kind.startswith("datetime"):
        return pd.to_datetime(column).astype(kind)
    if column.isna().any():  # DuckDB: nullable integers and booleans; floats keep NaN
        return column.astype({"bool": "boolean", "int64": "Int64", "int16": "Int16", "int32": "Int32"}.get(kind, kind))
    return column.astype(kind)


def _column_type(kind: pa.DataType) -> str:
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _column_type(kind.value_type) + "[]"
    for test, name in _ARROW_TYPES:
        if test(kind):
            return name
    raise TypeError(f"no PostgreSQL column type for Arrow type {kind}")


class PostgresDialect:
    """PostgreSQL 15+ through psycopg 3: a connection pool, REPEATABLE READ transactions (DuckDB's snapshot
    semantics: a concurrent change of the same row is a serialization failure, and the work is run again)."""

    name = "postgres"
    begin = "BEGIN ISOLATION LEVEL REPEATABLE READ"

    def __init__(self) -> None:
        import psycopg

        self.psycopg = psycopg
        self.errors = (psycopg.Error,)

    def is_write_conflict(self, exc: BaseException) -> bool:
        errors = self.psycopg.errors
        if isinstance(exc, (errors.SerializationFailure, errors.DeadlockDetected)):
            return True
        if isinstance(exc, errors.UniqueViolation):  # the same form stored meanwhile: see the DuckDB note above
            return "(client_key)" in (exc.diag.message_detail or "")
        return False

    def is_race(self, exc: BaseException) -> bool:
        errors = self.psycopg.errors
        return isinstance(exc, (errors.SerializationFailure, errors.DeadlockDetected, errors.UniqueViolation))

    def is_constraint(self, exc: BaseException) -> bool:
        return isinstance(exc, self.psycopg.errors.IntegrityError)

    def _copy(self, tx: "Tx", table: str, data: pa.Table) -> None:
        columns = ", ".join(f'"{name}"' for name in data.column_names)
        as_csv = _csv_ready(data)
        if as_csv is not None:
            # Arrow writes CSV in C (every string quoted, NULL unquoted and empty: what COPY's CSV format reads):
            # ~1M answer rows a second, where a Python tuple per row through write_row managed ~150k.
            import pyarrow.csv as pa_csv

            options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
            with tx.raw.psycopg.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy:
                for batch in as_csv.to_batches(max_chunksize=200_000):
                    sink = pa.BufferOutputStream()
                    pa_csv.write_csv(batch, sink, options)
                    copy.write(sink.getvalue())
            return
        with tx.raw.psycopg.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for batch in data.to_batches(max_chunksize=50_000):
                for row in zip(*(column.to_pylist() for column in batch.columns)):
                    copy.write_row(row)

    @contextmanager
    def staged(self, tx: "Tx", data: pa.Table) -> Iterator[str]:
        name = f"_staged_{next(_names)}"
        columns = ", ".join(f'"{field.name}" {_column_type(field.type)}' for field in data.schema)
        tx.execute(f"CREATE TEMPORARY TABLE {name} ({columns}) ON COMMIT DROP")
        self._copy(tx, name, data)
        tx.execute(f"ANALYZE {name}")
        try:
            yield name
        finally:
            if not tx.raw.psycopg.closed:
                try:
                    tx.execute(f"DROP TABLE IF EXISTS {name}")
                except self.psycopg.Error:
                    pass  # the transaction failed: ON COMMIT DROP / rollback removes it

    def insert_arrow(self, tx: "Tx", table: str, data: pa.Table) -> None:
        self._copy(tx, table, data)
        # A bulk load changes a table's size by orders of magnitude before autovacuum looks at it (a minute or
        # more): without fresh statistics the planner takes the loaded tables for empty and picks nested loops
        # (measured: the credibility visit rows of a 3,000-household demo, 0.14 s with them, over 300 s without).
        tx.execute(f"ANALYZE {table}")

    def arrow(self, tx: "Tx", sql: str, params: Sequence[Any] = ()) -> pa.Table:
        result = tx.query(sql, params)
        columns = list(zip(*result.rows)) if result.rows else [[] for _ in result.columns]
        return pa.table({name: pa.array(list(values)) for name, values in zip(result.columns, columns)})

    def frame(self, tx: "Tx", sql: str, params: Sequence[Any] = ()) -> "pd.DataFrame":
        import pandas as pd

        result = tx.query(sql, params)
        frame = pd.DataFrame.from_records(result.rows, columns=result.columns)
        for name, description in zip(result.columns, tx.raw.description or ()):
            kind = _FRAME_TYPES.get(description.type_code)
            if kind is not None:
                frame[name] = _typed(frame[name], kind)
        return frame

    def sequence_last_values(self, db: "Database | Tx") -> dict[str, int]:
        return {name: int(value or 0) for name, value in db.query(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema()").rows}

    def advance_sequence(self, tx: "Tx", sequence: str, steps: int) -> None:
        tx.query("SELECT setval(?, coalesce((SELECT last_value FROM pg_sequences WHERE schemaname = current_schema()"
                 " AND sequencename = ?), 0) + ?)", [sequence, sequence, int(steps)])

    @contextmanager
    def exclusive_wait(self, db: "Database", key: str) -> Iterator[None]:
        """Hold ``key`` for the block across every process on this database, waiting for it (an advisory lock on a
        connection of its own)."""
        lock_id = _lock_id(key)
        with db.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(?)", [lock_id])
            try:
                yield
            finally:
                cur.execute("SELECT pg_advisory_unlock(?)", [lock_id])

    @contextmanager
    def exclusive(self, db: "Database", key: str) -> Iterator[bool]:
        """One holder of ``key`` at a time across every process on this database: a session advisory lock on a
        connection of its own, taken without waiting (False: another process holds it)."""
        lock_id = _lock_id(key)
        with db.cursor() as cur:
            got = bool(cur.execute("SELECT pg_try_advisory_lock(?)", [lock_id]).fetchone()[0])
            try:
                yield got
            finally:
                if got:
                    cur.execute("SELECT pg_advisory_unlock(?)", [lock_id])

    def stream_arrow(self, tx: "Tx", sql: str, params: Sequence[Any] = (), rows: int = 50_000) -> Iterator[pa.Table]:
        """The result of ``sql`` in batches of at most ``rows`` rows through a server-side cursor inside ``tx``
        (the server sorts within work_mem and spills the rest), typed from the result's column types."""
        cursor = tx.raw.psycopg.connection.cursor(name=f"_minyi_stream_{next(_names)}")
        try:
            cursor.execute(postgres_sql(sql), list(params) or None)
            while True:
                chunk = cursor.fetchmany(rows)
                if not chunk:
                    break
                names = [d.name for d in cursor.description]
                kinds = [_ARROW_FROM_OID.get(d.type_code) for d in cursor.description]
                columns = list(zip(*chunk))
                yield pa.table({name: pa.array(list(values), type=kind)
                                for name, values, kind in zip(names, columns, kinds)})
        finally:
            cursor.close()

    def limit_memory(self, db: "Database", megabytes: int) -> None:
        """Nothing to do: the server bounds its own memory (work_mem), and results are read through cursors."""

    def analyze(self, tx: "Tx", tables: Sequence[str]) -> None:
        """Fresh planner statistics after a large change (a bulk load, a big fold), before autovacuum's next look a
        minute or more later: planned on stale counts, the figures' aggregates took 15 s instead of 0.5 s."""
        for table in tables:
            tx.execute(f"ANALYZE {table}")


def _lock_id(key: str) -> int:
    import zlib

    return zlib.crc32(("minyi:" + key).encode())


_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


def _thread_lock(key: str) -> threading.Lock:
    with _thread_locks_guard:
        return _thread_locks.setdefault(key, threading.Lock())
