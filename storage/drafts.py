"""Fill drafts: a resident's unfinished answers to one link, kept under a random browser-held id until they expire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database


@dataclass(frozen=True)
class Draft:
    draft_id: str
    token: str
    survey_id: str
    survey_version: int
    client_key: str
    answers_json: str  # services.drafts encodes and decodes it
    screen: int
    started_at: datetime | None
    updated_at: datetime
    expires_at: datetime


_COLUMNS = ("draft_id, token, survey_id, survey_version, client_key, answers, screen, started_at, updated_at,"
            " expires_at")


def save_draft(db: Database, draft: Draft) -> None:
    """Insert or replace the draft of (draft id, token).

    No Scope: the draft id is the resident's own secret (public fill page),
    and no staff page reads drafts."""
    db.execute(f"INSERT INTO fill_drafts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
               " ON CONFLICT (draft_id, token) DO UPDATE SET survey_id = excluded.survey_id,"
               " survey_version = excluded.survey_version, client_key = excluded.client_key,"
               " answers = excluded.answers, screen = excluded.screen, started_at = excluded.started_at,"
               " updated_at = excluded.updated_at, expires_at = excluded.expires_at",
               [draft.draft_id, draft.token, draft.survey_id, draft.survey_version, draft.client_key,
                draft.answers_json, draft.screen, draft.started_at, draft.updated_at, draft.expires_at])


def load_draft(db: Database, draft_id: str, token: str, at: datetime) -> Draft | None:
    """The unexpired draft of this browser for this link, if any."""
    row = db.query(f"SELECT {_COLUMNS} FROM fill_drafts WHERE draft_id = ? AND token = ? AND expires_at > ?",
                   [draft_id, token, at]).first()
    return Draft(*row) if row else None


def delete_draft(db: Database, draft_id: str, token: str) -> None:
    db.execute("DELETE FROM fill_drafts WHERE draft_id = ? AND token = ?", [draft_id, token])


def purge_expired(db: Database, at: datetime) -> int:
    """Delete every draft past its expiry; returns how many."""
    return len(db.query("DELETE FROM fill_drafts WHERE expires_at <= ? RETURNING 1", [at]))
