"""DuckDB's ``list_position(list, element)`` (1-based index, NULL when absent), defined on PostgreSQL with the same
meaning (nothing on DuckDB): the problem-category lookup orders the scope's unit chain by it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Tx


def up(tx: "Tx") -> None:
    if tx.dialect.name == "postgres":
        tx.execute("""CREATE OR REPLACE FUNCTION list_position(anycompatiblearray, anycompatible) RETURNS bigint
                      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT array_position($1, $2)::bigint $$""")
