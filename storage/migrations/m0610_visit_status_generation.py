"""The visit status's generation in the database: one number that every settle which changed something moves on,
so a process keeping coverage figures sees another process's settles (storage.visit_status.generation)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Tx


def up(tx: Tx) -> None:
    tx.execute("CREATE TABLE visit_status_generation (n BIGINT NOT NULL)")
    tx.execute("INSERT INTO visit_status_generation (n) VALUES (0)")
