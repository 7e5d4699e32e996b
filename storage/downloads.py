"""Single-use download tickets for exports of personal data (served by reports/routes.py, never by /media)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from settings import now
from storage.db import Database

TICKET_MINUTES = 5


@dataclass(frozen=True)
class Download:
    filename: str
    mime: str
    data: bytes
    path: str | None = None  # a file served in place of ``data`` (issue_file_ticket); left where it is


def _hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def issue_ticket(db: Database, user_id: int, filename: str, mime: str, data: bytes,
                 minutes: int = TICKET_MINUTES) -> str:
    """Keep an export for ``user_id`` and return the ticket (from ``secrets``; only its hash is stored).
    Tickets past their time are dropped here, so no export lingers in the database."""
    ticket = secrets.token_urlsafe(32)
    at = now()
    with db.transaction() as tx:
        tx.execute("DELETE FROM download_tickets WHERE expires_at <= ?", [at])
        tx.execute(
            """INSERT INTO download_tickets (ticket_hash, user_id, filename, mime, data, created_at, expires_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [_hash(ticket), user_id, filename, mime, data, at, at + dt.timedelta(minutes=minutes)],
        )
    return ticket


def issue_file_ticket(db: Database, user_id: int, filename: str, mime: str, path: str,
                      minutes: int = TICKET_MINUTES) -> str:
    """Like issue_ticket for a file too large to keep in the database (a backup): the ticket names ``path``, which
    the caller has checked; /download serves the file once to ``user_id`` and leaves it in place."""
    ticket = secrets.token_urlsafe(32)
    at = now()
    with db.transaction() as tx:
        tx.execute("DELETE FROM download_tickets WHERE expires_at <= ?", [at])
        tx.execute(
            """INSERT INTO download_tickets (ticket_hash, user_id, filename, mime, data, created_at, expires_at,
                                             file_path)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [_hash(ticket), user_id, filename, mime, b"", at, at + dt.timedelta(minutes=minutes), path],
        )
    return ticket


def claim_ticket(db: Database, ticket: str, user_id: int) -> Download | None:
    """The export behind ``ticket`` if it was issued to ``user_id`` and has not expired; it is deleted in the same
    statement, so a ticket is used once (None for anything else: unknown, used, expired or another user's)."""
    at = now()
    row = db.query(
        """DELETE FROM download_tickets WHERE ticket_hash = ? AND user_id = ? AND expires_at > ?
           RETURNING filename, mime, data, file_path""",
        [_hash(ticket), user_id, at],
    ).first()
    db.execute("DELETE FROM download_tickets WHERE expires_at <= ?", [at])  # no export outlives its ticket
    return Download(str(row[0]), str(row[1]), bytes(row[2]), row[3]) if row else None
