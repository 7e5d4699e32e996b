"""The few DuckDB functions Minyi's SQL uses, defined on PostgreSQL with the same meaning (nothing on DuckDB)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.dialects import POSTGRES_FUNCTIONS

if TYPE_CHECKING:
    from storage.db import Tx


def up(tx: "Tx") -> None:
    if tx.dialect.name == "postgres":
        for statement in POSTGRES_FUNCTIONS:
            tx.execute(statement)
