"""Per-household visit status: campaign coverage and return-visit flags, derived and kept current after every write.

The reasoning (and the one definition of the figures) is in storage/visit_status.py. No primary keys: rows are
deleted and re-inserted for the households that changed, one refresh at a time, and a scan of these narrow tables
is cheaper than an ART index on every write. ``visit_status_dirty`` is the append-only list of what changed and
is not yet reflected; this migration leaves one "everything" mark, so the rows for the visits, problems and
responses already stored are built when the database is opened (the code that builds them may evolve; this
migration stays plain SQL).
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
    "CREATE SEQUENCE visit_status_dirty_seq START 1",
    """CREATE TABLE visit_status_dirty (
        seq BIGINT NOT NULL DEFAULT nextval('visit_status_dirty_seq'),
        household_id BIGINT,
        everything BOOLEAN NOT NULL DEFAULT FALSE
    )""",
    "INSERT INTO visit_status_dirty (everything) VALUES (TRUE)",
]


def up(tx: "Tx") -> None:
    for statement in STATEMENTS:
        tx.execute(statement)
