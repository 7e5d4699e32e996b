"""Id sequences kept ahead of the ids already in their tables: found from the catalogue, checked and repaired on open."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Database, Tx

# DuckDB writes a default as nextval('seq'), PostgreSQL as nextval('seq'::regclass); either may name the schema
_NEXTVAL = re.compile(r"^nextval\('(?:\"?[A-Za-z_]+\"?\.)?\"?([A-Za-z_][A-Za-z0-9_]*)\"?'(?:::regclass)?\)$")


@dataclass(frozen=True)
class SequenceUse:
    """One column that takes its default from a sequence: its largest value and the sequence's last one."""

    table: str
    column: str
    sequence: str
    top: int  # the largest value in the column (0 when empty)
    last: int  # the sequence's last value handed out (0 when never used)

    @property
    def behind(self) -> int:
        """How many values the sequence must step before nextval is past every row."""
        return max(0, self.top - self.last)


def sequence_uses(db: "Database | Tx") -> list[SequenceUse]:
    """Every column of every table whose default is ``nextval('…')`` (read from the catalogue, so a table added by a
    later migration is covered without being listed), with its largest value and its sequence's last value."""
    last = db.dialect.sequence_last_values(db)
    rows = db.query(
        """SELECT table_name, column_name, column_default FROM information_schema.columns
           WHERE table_catalog = current_database() AND table_schema = current_schema()
             AND column_default LIKE 'nextval(%'
           ORDER BY table_name, column_name""").rows
    uses = []
    for table, column, default in rows:
        match = _NEXTVAL.match(str(default).strip())
        if match is None or match.group(1) not in last:
            continue
        top = db.query(f'SELECT coalesce(max("{column}"), 0) FROM "{table}"').single_value()
        uses.append(SequenceUse(table, column, match.group(1), int(top), last[match.group(1)]))
    return uses


def advance(tx: "Tx", sequence: str, steps: int) -> None:
    """Step ``sequence`` forward ``steps`` times (storage/dialects.py says how). Sequences are not transactional:
    the steps stay taken even if the caller rolls back, which only leaves a gap in the ids."""
    if steps > 0:
        tx.dialect.advance_sequence(tx, sequence, steps)


def repair(db: "Database | Tx") -> list[SequenceUse]:
    """Move every sequence past the largest value in every column it feeds; returns the ones that were behind.

    Rows inserted with explicit ids (bulk loads) leave a sequence behind until it is moved on; if the process
    stopped before that, the next insert would take an id a row already has and fail on the primary key.
    """
    uses = sequence_uses(db)
    need: dict[str, int] = {}
    for use in uses:
        need[use.sequence] = max(need.get(use.sequence, 0), use.behind)
    behind = [use for use in uses if use.behind > 0]
    if not behind:
        return []
    from storage.db import Tx

    def step(tx: "Tx") -> None:
        for sequence, steps in need.items():
            advance(tx, sequence, steps)

    if isinstance(db, Tx):
        step(db)
    else:
        with db.transaction() as tx:
            step(tx)
    return behind
