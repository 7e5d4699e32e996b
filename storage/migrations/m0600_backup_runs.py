"""Backup runs: every online backup the app or the CLI took or tried, with its file, size and, when it failed, why.

The backup files themselves live in the backup folder (services/backups.py); this table is what the admin page
shows beside them, so a failed run's reason is still there after a restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Tx


def up(tx: "Tx") -> None:
    tx.execute("CREATE SEQUENCE backup_runs_id_seq START 1")
    tx.execute("""CREATE TABLE backup_runs (
        id BIGINT PRIMARY KEY DEFAULT nextval('backup_runs_id_seq'),
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL,
        origin VARCHAR NOT NULL CHECK (origin IN ('schedule', 'manual', 'cli')),
        actor_id BIGINT,
        file_name VARCHAR,
        bytes BIGINT,
        ok BOOLEAN NOT NULL,
        error VARCHAR
    )""")
