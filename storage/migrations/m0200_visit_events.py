"""Field work: the history of a visit after it was saved (author corrections within 24 h, later amendments)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Tx

STATEMENTS = [
    "CREATE SEQUENCE visit_events_id_seq START 1",
    """CREATE TABLE visit_events (
        id BIGINT PRIMARY KEY DEFAULT nextval('visit_events_id_seq'),
        visit_id BIGINT NOT NULL,
        occurred_at TIMESTAMP NOT NULL,
        actor_id BIGINT,
        action VARCHAR NOT NULL,
        before_value VARCHAR,
        after_value VARCHAR,
        note VARCHAR
    )""",
]


def up(tx: "Tx") -> None:
    for statement in STATEMENTS:
        tx.execute(statement)
