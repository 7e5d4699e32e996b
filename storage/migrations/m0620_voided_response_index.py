"""PostgreSQL: an index of the voided responses, so the figures' "voided since the last fold" part reads a few rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Tx

# Every figure reads the rollup plus the unfolded tail minus the folded responses voided since the last fold
# (storage.analytics._response_source, _pending_void_ids). DuckDB answers "id <= ? AND voided_at IS NOT NULL" from its
# column scan in a few ms; PostgreSQL scanned every response for it (45 ms at 312k responses, measured by
# bench/dashboard.py). Voided responses are a few in a thousand, so a partial index on them is small. DuckDB has no
# partial indexes and does not need one: nothing is created there.
STATEMENT = "CREATE INDEX IF NOT EXISTS responses_voided_id ON responses (id) WHERE voided_at IS NOT NULL"


def up(tx: "Tx") -> None:
    if tx.dialect.name == "postgres":
        tx.execute(STATEMENT)
