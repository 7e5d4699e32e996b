"""The per-link, per-address burst counters of resident submissions, kept in the database so that every app process
on one database counts the same submissions (the in-memory windows they replace counted each process apart).

One row per (link token, client address): the start of its current one-minute window and the submissions counted
in it. Rows whose window ended are purged by services/limits.py; the table stays small (a few minutes of
addresses)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Tx


def up(tx: "Tx") -> None:
    tx.execute("""CREATE TABLE link_submit_bursts (
        token VARCHAR NOT NULL,
        address VARCHAR NOT NULL,
        window_start TIMESTAMP NOT NULL,
        hits INTEGER NOT NULL,
        PRIMARY KEY (token, address)
    )""")
