"""Versioned schema migrations, each applied in one transaction with its record.

The sqlite-utils shape for DuckDB: every module ``mNNNN_name.py`` in this
package defines ``up(tx)``; they are applied in name order and recorded in
``_minyi_migrations``. Opening an old database upgrades it; a database that
records a migration this code does not know was written by a newer Minyi and is
refused rather than guessed at.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Database, Tx

TABLE = "_minyi_migrations"
# Present while manage.py copy-db fills this database; dropped as the copy's last step (storage.db refuses to open
# a database that has it).
COPY_MARK = "_minyi_copy_in_progress"


@dataclass(frozen=True)
class Migration:
    name: str
    up: Callable[["Tx"], None]


def known() -> list[Migration]:
    """Every migration in this package, in the order it is applied."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("m") and info.name[1:5].isdigit():
            module = importlib.import_module(f"{__name__}.{info.name}")
            found.append(Migration(info.name, module.up))
    return sorted(found, key=lambda m: m.name)


def _ensure_table(db: "Database") -> None:
    db.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
    )


def applied(db: "Database") -> list[str]:
    if TABLE not in db.table_names():
        return []  # a new database, or one opened read-only before its first migration
    return [r[0] for r in db.query(f"SELECT name FROM {TABLE} ORDER BY name").rows]


def pending(db: "Database") -> list[Migration]:
    done = set(applied(db))
    return [m for m in known() if m.name not in done]


def check_not_newer(db: "Database") -> None:
    from storage.db import DatabaseTooNew

    names = {m.name for m in known()}
    unknown = [name for name in applied(db) if name not in names]
    if unknown:
        raise DatabaseTooNew(", ".join(unknown), migrations=", ".join(unknown))


def apply(db: "Database") -> list[str]:
    """Apply every pending migration; return the names applied."""
    check_not_newer(db)
    _ensure_table(db)
    done = []
    for migration in pending(db):
        with db.transaction() as tx:
            migration.up(tx)
            tx.execute(f"INSERT INTO {TABLE} (name, applied_at) VALUES (?, ?)", [migration.name, datetime.now()])
        done.append(migration.name)
    return done
