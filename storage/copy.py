"""Copying a whole Minyi database to another engine (manage.py copy-db): opening both ends, the rows, the checks."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from storage import migrations, sequences
from storage.db import (Database, DatabaseUnsupported, StorageError, Tx, _connect, _connect_postgres, engine_errors,
                        open_database)
from storage.dialects import POSTGRES_SCHEMES, PostgresDialect, is_url, redacted, scheme_of

log = logging.getLogger("minyi.storage")
CHUNK_ROWS = 50_000  # rows read and written at a time: what bounds the copy's memory
SAMPLE_ROWS = 50  # rows per table compared field by field after the copy
MEMORY_MB = 256  # DuckDB's memory limit during a copy: a larger sort spills to disk (measured peak: ~300 MB in all)


class SameDatabase(StorageError):
    """SOURCE and TARGET name the same database."""

    code = "pgcopy.same"


class SourceMissing(StorageError):
    """The source DuckDB file does not exist (it is never created by a copy)."""

    code = "pgcopy.source_missing"


class NotMinyi(StorageError):
    """The source holds no Minyi database (no migration record)."""

    code = "pgcopy.not_minyi"


class TargetNotEmpty(StorageError):
    """The target already holds tables: a copy only fills an empty database (or finishes its own half copy)."""

    code = "pgcopy.target_not_empty"


class CopyFailed(StorageError):
    """The copy stopped part-way: the target keeps its copy mark, so nothing will start on it."""

    code = "pgcopy.failed"


class CopyMismatch(StorageError):
    """The copy finished but the target does not match the source: the mark stays."""

    code = "pgcopy.mismatch"


@dataclass(frozen=True)
class Table:
    """One table to copy: its columns in order and the columns that order its rows (primary key, else all)."""

    name: str
    columns: list[str]
    key: list[str]

    @property
    def column_list(self) -> str:
        return ", ".join(f'"{c}"' for c in self.columns)


@dataclass
class TableCopy:
    """What was copied of one table and what the checks found."""

    name: str
    source_rows: int
    target_rows: int = 0
    sampled: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)


def place(target: str) -> tuple:
    """What ``target`` points at, so two spellings of one database compare equal (a resolved file path, or the
    host, port and database name of a URL)."""
    if not is_url(target):
        return ("file", str(Path(target).expanduser().resolve()))
    from psycopg.conninfo import conninfo_to_dict

    try:
        info = conninfo_to_dict(target)
    except Exception:  # a malformed URL: compared as written, refused when it is opened
        return ("url", target)
    host = str(info.get("host") or "localhost")
    return ("url", "localhost" if host in ("127.0.0.1", "::1") else host, str(info.get("port") or "5432"),
            str(info.get("dbname") or info.get("user") or ""))


def shown(target: str) -> str:
    """``target`` as messages show it (never with its password)."""
    return redacted(target) if is_url(target) else str(target)


def check_distinct(source: str, target: str) -> None:
    if place(source) == place(target):
        raise SameDatabase(shown(target), source=shown(source), target=shown(target))


def open_source(source: str) -> Database:
    """The source, opened as every command opens it (upgraded to this code's schema if it is older); refused when
    it is missing, not a Minyi database, a half copy, or any of the refusals of storage.db.open_database."""
    if not is_url(source) and not Path(source).expanduser().is_file():
        raise SourceMissing(source, source=source)
    db = open_database(source, migrate=False)
    try:
        if migrations.TABLE not in db.table_names():
            raise NotMinyi(shown(source), source=shown(source))
        behind = bool(migrations.pending(db))
    except BaseException:
        db.close()
        raise
    if behind:
        db.close()
        db = open_database(source)
    return db


def base_tables(db: "Database | Tx") -> list[str]:
    return sorted(r[0] for r in db.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        " AND table_catalog = current_database() AND table_type = 'BASE TABLE'").rows)


def open_target(target: str) -> tuple[Database, bool]:
    """The target, connected without open_database's refusals of a half copy, and emptied when it is one (the
    second value says so); refused when it holds anything else. A new DuckDB file is created here."""
    if is_url(target):
        if scheme_of(target) not in POSTGRES_SCHEMES:
            raise DatabaseUnsupported(redacted(target), url=redacted(target), scheme=scheme_of(target))
        db = Database(None, target, PostgresDialect(), pool=_connect_postgres(target, False))
    else:
        db = Database(_connect(str(Path(target).expanduser()), False), str(Path(target).expanduser()))
    try:
        tables = base_tables(db)
        restarted = migrations.COPY_MARK in tables
        if restarted:
            _empty(db, tables)
        elif tables:
            raise TargetNotEmpty(", ".join(tables[:5]), target=shown(target), count=len(tables),
                                 tables=", ".join(tables[:5]))
    except BaseException:
        db.close()
        raise
    return db, restarted


def _empty(db: Database, tables: list[str]) -> None:
    """Drop what a half copy left (every table, then every sequence), so the copy starts again from nothing."""
    for table in tables:
        if table != migrations.COPY_MARK:
            db.execute(f'DROP TABLE IF EXISTS "{table}"')
    for sequence in db.dialect.sequence_last_values(db):
        db.execute(f'DROP SEQUENCE IF EXISTS "{sequence}"')


def begin(target: Database, source: str) -> None:
    """Mark the target as a copy in progress (before anything else is written), then give it this code's schema."""
    target.execute(f"CREATE TABLE IF NOT EXISTS {migrations.COPY_MARK} (source VARCHAR NOT NULL,"
                   " started_at TIMESTAMP NOT NULL)")
    target.execute(f"INSERT INTO {migrations.COPY_MARK} VALUES (?, ?)", [shown(source), datetime.now()])
    try:
        migrations.apply(target)
    except engine_errors() as exc:
        log.error("copy stopped while migrating the target: %s", exc, exc_info=exc)
        raise CopyFailed(str(exc), table="migrations", reason=first_line(exc)) from exc


def finish(target: Database) -> None:
    """The copy's last step: without the mark the app and the CLI open the target."""
    target.execute(f"DROP TABLE {migrations.COPY_MARK}")


def tables(db: "Database | Tx") -> list[Table]:
    """Every table of the schema except the copy mark, with its columns and the columns that order it."""
    found = []
    for name in base_tables(db):
        if name == migrations.COPY_MARK:
            continue
        columns = [r[0] for r in db.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_catalog = current_database() AND table_name = ? ORDER BY ordinal_position", [name]).rows]
        key = [r[0] for r in db.query(
            """SELECT k.column_name FROM information_schema.table_constraints c
               JOIN information_schema.key_column_usage k
                 ON k.constraint_name = c.constraint_name AND k.table_name = c.table_name
                AND k.table_schema = c.table_schema
               WHERE c.table_schema = current_schema() AND c.table_name = ? AND c.constraint_type = 'PRIMARY KEY'
               ORDER BY k.ordinal_position""", [name]).rows]
        found.append(Table(name, columns, key or columns))
    return found


def check_same_schema(source: list[Table], target: list[Table]) -> None:
    theirs = {t.name: t.columns for t in target}
    for table in source:
        if theirs.get(table.name) is None or set(theirs[table.name]) != set(table.columns):
            raise CopyMismatch(table.name, table=table.name, what="schema")
    extra = sorted(set(theirs) - {t.name for t in source})
    if extra:
        raise CopyMismatch(extra[0], table=extra[0], what="schema")


def copy_table(stx: Tx, target: Database, table: Table, *, chunk_rows: int = CHUNK_ROWS,
               sample_rows: int = SAMPLE_ROWS, rng: random.Random | None = None) -> TableCopy:
    """Copy every row of ``table`` from the source transaction ``stx`` into ``target`` in key order, ``chunk_rows``
    at a time (each chunk its own transaction: the copy mark, not a transaction, says the whole is unfinished).
    Rows the migrations put in the target (seed rows) are replaced by the source's. Keeps a random sample of the
    source rows for the field-by-field check."""
    rng = rng or random.Random()
    total = int(stx.query(f'SELECT count(*) FROM "{table.name}"').single_value())
    picks = sorted(rng.sample(range(total), min(sample_rows, total)))
    done = TableCopy(table.name, total)
    target.execute(f'DELETE FROM "{table.name}"')
    order = ", ".join(f'"{c}"' for c in table.key)
    offset = 0
    next_pick = 0
    for chunk in stx.dialect.stream_arrow(stx, f'SELECT {table.column_list} FROM "{table.name}" ORDER BY {order}',
                                          (), chunk_rows):
        with target.transaction() as ttx:
            ttx.dialect.insert_arrow(ttx, f'"{table.name}"', chunk)
        while next_pick < len(picks) and picks[next_pick] < offset + chunk.num_rows:
            done.samples.append(chunk.slice(picks[next_pick] - offset, 1).to_pylist()[0])
            next_pick += 1
        offset += chunk.num_rows
    if offset != total:
        raise CopyMismatch(table.name, table=table.name, what=f"read {offset} of {total} rows")
    return done


def copy_sequences(source: Database, target: Database) -> None:
    """Every sequence of the target at least as far as the source's (ids handed out there are never handed out
    again, even those of deleted rows), then past every id in its tables."""
    theirs = source.dialect.sequence_last_values(source)
    ours = target.dialect.sequence_last_values(target)
    with target.transaction() as tx:
        for name, last in theirs.items():
            if name in ours and last > ours[name]:
                sequences.advance(tx, name, last - ours[name])
    sequences.repair(target)


def _value(value: Any) -> Any:
    """A field as both engines' drivers compare: whole Decimals as ints, buffers as bytes, lists as tuples."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (memoryview, bytearray)):
        return bytes(value)
    if isinstance(value, (list, tuple)):
        return tuple(_value(v) for v in value)
    return value


def _rows_with(db: "Database | Tx", table: Table, row: dict[str, Any]) -> list[tuple]:
    where, params = [], []
    for column in table.key:
        if row[column] is None:
            where.append(f'"{column}" IS NULL')
        else:
            where.append(f'"{column}" = ?')
            params.append(row[column])
    rows = db.query(f'SELECT {table.column_list} FROM "{table.name}" WHERE {" AND ".join(where)}', params).rows
    return sorted((tuple(_value(v) for v in r) for r in rows), key=repr)


def check_table(stx: Tx, target: Database, table: Table, done: TableCopy) -> None:
    """Equal row counts, and each sampled row equal field by field in the source and the target."""
    done.target_rows = int(target.query(f'SELECT count(*) FROM "{table.name}"').single_value())
    if done.target_rows != done.source_rows:
        raise CopyMismatch(table.name, table=table.name,
                           what=f"rows: source {done.source_rows}, target {done.target_rows}")
    for row in done.samples:
        theirs, ours = _rows_with(stx, table, row), _rows_with(target, table, row)
        if not theirs or len(theirs) != len(ours):
            raise CopyMismatch(table.name, table=table.name, what=f"row {row}: {len(theirs)} vs {len(ours)}")
        for a, b in zip(theirs, ours):
            for column, x, y in zip(table.columns, a, b):
                if x != y:
                    raise CopyMismatch(table.name, table=table.name, what=f"{column}: {x!r} != {y!r}")
        done.sampled += 1


def copy_all(source: Database, target: Database, *, chunk_rows: int = CHUNK_ROWS,
             progress: Callable[[TableCopy], None] = lambda _: None) -> list[TableCopy]:
    """Copy every table from one snapshot of ``source`` (one read transaction) into ``target`` and check each;
    then the sequences. Any engine failure is raised as CopyFailed naming the table (the mark stays)."""
    for db in (source, target):
        db.dialect.limit_memory(db, MEMORY_MB)
    current = "-"
    try:
        with source.transaction() as stx:
            theirs = tables(stx)
            check_same_schema(theirs, tables(target))
            copied = []
            for table in theirs:
                current = table.name
                done = copy_table(stx, target, table, chunk_rows=chunk_rows)
                check_table(stx, target, table, done)
                copied.append(done)
                progress(done)
        current = "sequences"
        copy_sequences(source, target)
    except engine_errors() as exc:
        log.error("copy stopped at %s: %s", current, exc, exc_info=exc)
        raise CopyFailed(str(exc), table=current, reason=first_line(exc)) from exc
    return copied


def first_line(exc: BaseException) -> str:
    """The first line of an engine's error (the rest is context for the log)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def iter_differences(a: Any, b: Any, path: str = "") -> Iterator[str]:
    """Where two JSON documents differ (floats equal within rounding: the engines sum in different orders)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            yield from iter_differences(a.get(key), b.get(key), f"{path}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            yield f"{path}: {len(a)} items vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            yield from iter_differences(x, y, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        if not (isinstance(a, (int, float)) and isinstance(b, (int, float))
                and abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))):
            yield f"{path}: {a!r} vs {b!r}"
    elif a != b:
        yield f"{path}: {a!r} vs {b!r}"
