"""The engine seam: SQL written once runs the same on DuckDB and PostgreSQL, and the engine-specific paths agree."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from storage.dialects import postgres_sql, redacted


@pytest.mark.parametrize(("written", "sent"), [
    ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = %s AND b = %s"),
    # a percent sign is doubled everywhere (psycopg reads the whole string), a ? inside quotes is text
    ("SELECT '?%' AS q FROM t WHERE code LIKE ?", "SELECT '?%%' AS q FROM t WHERE code LIKE %s"),
    ("SELECT \"odd?name\" FROM t -- why?\nWHERE x = ?", "SELECT \"odd?name\" FROM t -- why?\nWHERE x = %s"),
    ("SELECT 'it''s ?' , ?", "SELECT 'it''s ?' , %s"),
    # DuckDB's type names spelled the PostgreSQL way, but never twice and never inside text
    ("CREATE TABLE t (x DOUBLE, y DOUBLE PRECISION, z HUGEINT, b BLOB)",
     "CREATE TABLE t (x DOUBLE PRECISION, y DOUBLE PRECISION, z NUMERIC(38, 0), b BYTEA)"),
    ("SELECT unnest(?::DOUBLE[]), 'DOUBLE'", "SELECT unnest(%s::DOUBLE PRECISION[]), 'DOUBLE'"),
])
def test_sql_is_spelled_for_postgresql(written: str, sent: str) -> None:
    assert postgres_sql(written) == sent


def test_a_password_never_shows_in_a_url_we_print() -> None:
    assert redacted("postgresql://minyi:s3cret@db.example:5432/minyi") == "postgresql://minyi:***@db.example:5432/minyi"
    assert redacted("postgresql://minyi@db/minyi") == "postgresql://minyi@db/minyi"


def test_the_duckdb_functions_our_sql_uses_mean_the_same_on_this_engine(db) -> None:
    row = db.query(
        """SELECT list_contains(?::BIGINT[], ?::BIGINT), list_contains(?::BIGINT[], ?::BIGINT),
                  epoch(CAST(? AS TIMESTAMP) - CAST(? AS TIMESTAMP)),
                  date_diff('day', DATE '1970-01-01', CAST(? AS DATE)),
                  (SELECT any_value(x) FROM (SELECT 7 AS x) s),
                  CAST(? AS DOUBLE) / 4, sum(x), count(*)
           FROM (SELECT unnest(?::BIGINT[]) AS x) v""",
        [[1, 2, 3], 2, [1, 2, 3], 9, dt.datetime(2026, 1, 2, 12), dt.datetime(2026, 1, 1), dt.date(2026, 12, 4), 3,
         [10, 20, 30]],
    ).first()
    assert row == (True, False, 129600.0, (dt.date(2026, 12, 4) - dt.date(1970, 1, 1)).days, 7, 0.75, 60, 3)
    assert type(row[6]) is int  # a sum of bigints is a plain int on both engines, never a Decimal


def test_an_arrow_table_is_staged_inserted_and_read_back_alike(db) -> None:
    data = pa.table({"key": ["A", "B"], "value": [1.5, None], "tags": [["x", "y"], []]})
    with db.transaction() as tx:
        with tx.dialect.staged(tx, data) as name:
            rows = tx.query(f"SELECT key, value FROM {name} ORDER BY key").rows
            tags = tx.query(f"SELECT key, unnest(tags) AS tag FROM {name} ORDER BY key, tag").rows
        tx.execute("CREATE TABLE staged_copy (key VARCHAR, value DOUBLE)")
        tx.dialect.insert_arrow(tx, "staged_copy", data.select(["key", "value"]))
        back = tx.dialect.arrow(tx, "SELECT key, value FROM staged_copy ORDER BY key")
    assert rows == [("A", 1.5), ("B", None)]
    assert tags == [("A", "x"), ("A", "y")]
    assert back.to_pylist() == [{"key": "A", "value": 1.5}, {"key": "B", "value": None}]


def test_the_same_row_changed_twice_at_once_is_one_conflict_retried(db) -> None:
    """Two transactions update one row: the loser's work is run again and sees the winner's value."""
    import threading

    db.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
    db.execute("INSERT INTO counter VALUES (1, 0)")
    barrier = threading.Barrier(2)
    attempts: list[int] = []

    def bump(tx) -> None:
        attempts.append(1)
        tx.query("SELECT n FROM counter WHERE id = 1")  # the snapshot is taken here
        if len(attempts) <= 2:
            barrier.wait(timeout=10)
        tx.execute("UPDATE counter SET n = n + 1 WHERE id = 1")

    threads = [threading.Thread(target=db.in_transaction, args=(bump,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert db.query("SELECT n FROM counter WHERE id = 1").single_value() == 2
    assert len(attempts) == 3  # one of the two lost and was run again


def test_a_statement_without_parameters_keeps_its_percent_signs() -> None:
    assert postgres_sql("SELECT 'a%' LIKE 'a%%', x DOUBLE", with_params=False) == \
        "SELECT 'a%' LIKE 'a%%', x DOUBLE PRECISION"
