"""Credibility flags: rows a signal found suspicious, kept until an admin confirms (voids the rows) or dismisses them.

A flag names the unit it belongs to, the signal (``kind``), the reason as a catalogue key with its parameters, and
the rows behind it (visit or response ids). ``fingerprint`` (kind, unit, rows) makes re-running the signals
idempotent: a flag already stored — open, confirmed or dismissed — is never raised a second time. Nothing is voided
automatically; the decision (who, when, why) is kept on the flag and in the audit log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Tx


def up(tx: "Tx") -> None:
    tx.execute("CREATE SEQUENCE credibility_flags_id_seq START 1")
    tx.execute("""CREATE TABLE credibility_flags (
        id BIGINT PRIMARY KEY DEFAULT nextval('credibility_flags_id_seq'),
        fingerprint VARCHAR NOT NULL UNIQUE,
        kind VARCHAR NOT NULL,
        org_unit_id BIGINT NOT NULL,
        row_kind VARCHAR NOT NULL CHECK (row_kind IN ('visit', 'response')),
        row_ids BIGINT[] NOT NULL,
        reason VARCHAR NOT NULL,
        params VARCHAR NOT NULL,
        n_rows INTEGER NOT NULL,
        state VARCHAR NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'confirmed', 'dismissed')),
        detected_at TIMESTAMP NOT NULL,
        decided_by BIGINT,
        decided_at TIMESTAMP,
        decision_reason VARCHAR
    )""")
