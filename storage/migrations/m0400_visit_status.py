"""Per-household visit status: campaign coverage and return-visit flags, derived and kept current on every write.

The reasoning (and the one definition of the figures) is in storage/visit_status.py. No primary keys: rows are
deleted and re-inserted for the households a transaction touched, and a scan of these narrow tables is cheaper
than an ART index on every write. Existing visits, problems and responses are folded in when this is applied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Tx

STATEMENTS = [
    """CREATE TABLE household_flags (
        household_id BIGINT NOT NULL,
        grid_id BIGINT NOT NULL,
        active BOOLEAN NOT NULL,
        n_open INTEGER NOT NULL,
        due DATE,
        urg SMALLINT,
        dissatisfied BOOLEAN NOT NULL,
        follow BOOLEAN NOT NULL,
        lr_at TIMESTAMP,
        lf_at TIMESTAMP,
        last_at TIMESTAMP
    )""",
    """CREATE TABLE campaign_households (
        campaign_id BIGINT NOT NULL,
        household_id BIGINT NOT NULL,
        grid_id BIGINT NOT NULL,
        active BOOLEAN NOT NULL,
        attempts INTEGER NOT NULL,
        covered BOOLEAN NOT NULL,
        first_covered_on DATE,
        last_at TIMESTAMP NOT NULL,
        last_outcome VARCHAR NOT NULL
    )""",
]


def up(tx: "Tx") -> None:
    from storage import visit_status

    for statement in STATEMENTS:
        tx.execute(statement)
    visit_status.rebuild(tx)
