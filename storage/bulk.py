"""Bulk loading through Arrow (the demo district, benchmarks) and finding or clearing demo rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from storage import sequences, visit_status

if TYPE_CHECKING:
    from storage.db import Database, Tx

DEMO_META_KEY = "demo_loaded"
DEMO_ROOT_KEY = "demo_root_unit"
# Tables with an id sequence the demo fills with explicit ids (every sequence is kept ahead: storage.sequences).
SEQUENCES = {
    "org_units": "org_units_id_seq",
    "users": "users_id_seq",
    "households": "households_id_seq",
    "campaigns": "campaigns_id_seq",
    "visits": "visits_id_seq",
    "responses": "responses_id_seq",
    "problems": "problems_id_seq",
    "problem_events": "problem_events_id_seq",
}


def insert_arrow(tx: "Tx", table: str, data: pa.Table) -> int:
    """Insert every row of `data` into `table` (columns matched by name); returns the row count.

    DuckDB scans a registered Arrow table directly, so a 4M-row chunk goes in
    as one statement instead of millions of parameter bindings; PostgreSQL takes it by COPY.
    """
    if table not in SEQUENCES and table not in {"answers", "household_tags", "campaign_units", "app_meta"}:
        raise ValueError(f"bulk insert into {table!r} is not allowed")
    tx.dialect.insert_arrow(tx, table, data)
    return data.num_rows


def id_bases(db: "Database | Tx") -> dict[str, int]:
    """For each table, the first id that neither an existing row nor its sequence has used."""
    uses = {use.table: use for use in sequences.sequence_uses(db) if use.column == "id"}
    return {table: max(uses[table].top, uses[table].last) + 1 for table in SEQUENCES}


def advance_sequences(tx: "Tx") -> None:
    """Move every id sequence past the largest id in its table, inside the bulk load's transaction, so that no
    committed state ever has rows ahead of their sequence."""
    sequences.repair(tx)


def demo_root(db: "Database | Tx") -> str | None:
    """The org path of the demo district, if a demo is loaded."""
    row = db.query("SELECT value FROM app_meta WHERE key = ?", [DEMO_ROOT_KEY]).first()
    return row[0] if row else None


def has_non_demo_data(db: "Database | Tx") -> bool:
    """Whether any org unit, user, household or response exists that the demo did not create.

    org_units has no is_demo column: units count as demo when they lie under the
    demo district recorded in app_meta.
    """
    for table in ("users", "households", "responses"):
        if db.query(f"SELECT 1 FROM {table} WHERE NOT is_demo LIMIT 1").first():
            return True
    root = demo_root(db)
    if root is None:
        return db.query("SELECT 1 FROM org_units LIMIT 1").first() is not None
    return db.query("SELECT 1 FROM org_units WHERE NOT starts_with(path, ?) LIMIT 1", [root]).first() is not None


def has_demo_data(db: "Database | Tx") -> bool:
    """Whether a demo district is loaded."""
    return db.query("SELECT 1 FROM app_meta WHERE key = ?", [DEMO_META_KEY]).first() is not None or bool(
        db.query("SELECT 1 FROM users WHERE is_demo LIMIT 1").first()
    )


def taken(db: "Database | Tx", usernames: Iterable[str], codes: Iterable[str]) -> bool:
    """Whether any of these usernames or org codes is already used by a row outside the demo."""
    hit = db.query(
        "SELECT (SELECT count(*) FROM users WHERE NOT is_demo AND list_contains(?, username))"
        " + (SELECT count(*) FROM org_units WHERE list_contains(?, code))",
        [list(usernames), list(codes)],
    ).single_value()
    return int(hit) > 0


def clear_demo_data(db: "Database") -> None:
    """Delete every demo row (and what hangs off it) in one transaction; real data is untouched."""
    root = demo_root(db)
    with db.transaction() as tx:
        tx.execute("CREATE TEMP TABLE _demo_hh AS SELECT id FROM households WHERE is_demo")
        tx.execute("CREATE TEMP TABLE _demo_users AS SELECT id, username FROM users WHERE is_demo")
        tx.execute(
            "CREATE TEMP TABLE _demo_units AS SELECT id FROM org_units WHERE ?::VARCHAR IS NOT NULL AND starts_with(path, ?)",
            [root, root],
        )
        try:
            tx.execute(
                "DELETE FROM problem_events WHERE problem_id IN (SELECT id FROM problems"
                " WHERE household_id IN (SELECT id FROM _demo_hh) OR org_unit_id IN (SELECT id FROM _demo_units))"
            )
            tx.execute(
                "DELETE FROM problems WHERE household_id IN (SELECT id FROM _demo_hh)"
                " OR org_unit_id IN (SELECT id FROM _demo_units)"
            )
            tx.execute("DELETE FROM visits WHERE household_id IN (SELECT id FROM _demo_hh)")
            tx.execute("DELETE FROM answers WHERE response_id IN (SELECT id FROM responses WHERE is_demo)")
            tx.execute("DELETE FROM responses WHERE is_demo")
            tx.execute("DELETE FROM household_tags WHERE household_id IN (SELECT id FROM _demo_hh)")
            tx.execute("DELETE FROM households WHERE is_demo")
            tx.execute(
                "DELETE FROM campaign_units WHERE campaign_id IN"
                " (SELECT id FROM campaigns WHERE created_by IN (SELECT id FROM _demo_users))"
            )
            tx.execute("DELETE FROM campaigns WHERE created_by IN (SELECT id FROM _demo_users)")
            tx.execute("DELETE FROM share_links WHERE org_unit_id IN (SELECT id FROM _demo_units)")
            tx.execute("DELETE FROM user_sessions WHERE user_id IN (SELECT id FROM _demo_users)")
            tx.execute("DELETE FROM users WHERE is_demo")
            tx.execute("DELETE FROM org_units WHERE id IN (SELECT id FROM _demo_units)")
            tx.execute("DELETE FROM app_meta WHERE key IN (?, ?)", [DEMO_META_KEY, DEMO_ROOT_KEY])
            visit_status.invalidate_all(tx)
        finally:
            for temp in ("_demo_hh", "_demo_users", "_demo_units"):
                tx.execute(f"DROP TABLE IF EXISTS {temp}")


def ensure_surveys(tx: "Tx", surveys: Mapping[str, tuple[str, str, str]], now: datetime) -> list[str]:
    """Insert (id -> (title, kind, definition JSON)) surveys that do not exist yet, open at version 1.

    Returns the ids inserted; existing surveys (installed by setup) are left alone.
    """
    inserted = []
    for survey_id, (title, kind, definition) in surveys.items():
        if tx.query("SELECT 1 FROM surveys WHERE id = ?", [survey_id]).first():
            continue
        tx.execute(
            "INSERT INTO surveys (id, title, kind, status, current_version, source, created_at, updated_at)"
            " VALUES (?, ?, ?, 'open', 1, 'template', ?, ?)",
            [survey_id, title, kind, now, now],
        )
        tx.execute(
            "INSERT INTO survey_versions (survey_id, version, definition, published_at) VALUES (?, 1, ?, ?)",
            [survey_id, definition, now],
        )
        inserted.append(survey_id)
    return inserted


def survey_version(db: "Database | Tx", survey_id: str) -> int | None:
    """The current published version of a survey (None when absent or unpublished)."""
    return db.query("SELECT current_version FROM surveys WHERE id = ?", [survey_id]).single_value()


def survey_definition(db: "Database | Tx", survey_id: str, version: int) -> str | None:
    return db.query(
        "SELECT definition FROM survey_versions WHERE survey_id = ? AND version = ?", [survey_id, version]
    ).single_value()


def set_meta(tx: "Tx", key: str, value: str, now: datetime) -> None:
    tx.execute("DELETE FROM app_meta WHERE key = ?", [key])
    tx.execute("INSERT INTO app_meta (key, value, updated_at) VALUES (?, ?, ?)", [key, value, now])


def table_counts(db: "Database | Tx", tables: Iterable[str]) -> dict[str, int]:
    """Row counts, for the loader's summary."""
    return {t: int(db.query(f"SELECT count(*) FROM {t}").single_value()) for t in tables}


def demo_counts(db: "Database | Tx") -> dict[str, int]:
    """Demo rows per table."""
    root = demo_root(db) or "\x00"
    q = {
        "org_units": ("SELECT count(*) FROM org_units WHERE starts_with(path, ?)", [root]),
        "users": ("SELECT count(*) FROM users WHERE is_demo", []),
        "households": ("SELECT count(*) FROM households WHERE is_demo", []),
        "household_tags": ("SELECT count(*) FROM household_tags WHERE household_id IN (SELECT id FROM households WHERE is_demo)", []),
        "responses": ("SELECT count(*) FROM responses WHERE is_demo", []),
        "answers": ("SELECT count(*) FROM answers WHERE response_id IN (SELECT id FROM responses WHERE is_demo)", []),
        "visits": ("SELECT count(*) FROM visits WHERE household_id IN (SELECT id FROM households WHERE is_demo)", []),
        "problems": ("SELECT count(*) FROM problems WHERE household_id IN (SELECT id FROM households WHERE is_demo)", []),
    }
    return {name: int(db.query(sql, params).single_value()) for name, (sql, params) in q.items()}
