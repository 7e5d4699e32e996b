"""Resume (断点续答): where a resident's unfinished answers live, how they come back, and the per-browser id.

Where drafts live, and why there: the answers are held server-side in the
``fill_drafts`` table (storage/drafts.py), under a random draft id that only
the resident's browser knows, as the ``minyi_draft`` cookie (path /, one
year, SameSite=Lax, Secure on https). Streamlit scripts cannot set cookies,
so the fill page sets it with a constant one-line script the first time a
browser arrives without one (ui/drafts.py); the next page load, reload or
reopened tab carries it in the websocket handshake (st.context.cookies).
Server-side rather than in the browser's own storage because a Streamlit
page cannot read localStorage back into its widgets without a custom
component; so each answer is sent as it is given (a rerun per tap, see
pages/fill.py for its measured cost) and kept here. A draft is found
only by (draft id, link token); no staff page reads the table; it expires
after MINYI_DRAFT_DAYS (7) and is deleted once its response is stored.

The same cookie is the per-browser id of issue 20: a response stores
``browser_id(draft_id)``, a one-way hash, so repeats from one browser can be
counted per link while nothing stored can be replayed as the cookie.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from storage import drafts as draft_store
from storage.db import Database

log = logging.getLogger("minyi.drafts")

DRAFT_COOKIE = "minyi_draft"
_DRAFT_ID = re.compile(r"[A-Za-z0-9_-]{32}")  # secrets.token_urlsafe(24)
# Answers are bounded by validation far below this (text fields 2,000 characters); a bigger draft is
# not kept rather than stored half.
MAX_DRAFT_CHARS = 200_000


def new_draft_id() -> str:
    return secrets.token_urlsafe(24)


def valid_draft_id(value: object) -> str | None:
    """The draft id if ``value`` has its exact shape (a tampered or truncated cookie is None)."""
    return value if isinstance(value, str) and _DRAFT_ID.fullmatch(value) else None


def browser_id(draft_id: str) -> str:
    """The per-browser id stored on a response: a one-way hash of the draft id."""
    return hashlib.sha256(("minyi-browser:" + draft_id).encode()).hexdigest()[:32]


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"not kept in a draft: {type(value).__name__}")


def encode_answers(answers: Mapping[str, Any]) -> str:
    return json.dumps(dict(answers), default=_jsonable, ensure_ascii=False, separators=(",", ":"))


def decode_answers(text: str) -> dict[str, Any] | None:
    """The answers of a stored draft; None if the text is not a JSON object (never raises)."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        return None
    return value


@dataclass(frozen=True)
class Resumed:
    """What the fill page restores: 'resumed' with the kept state, 'outdated' when
    the survey has a new version since (the old draft is dropped), or 'none'."""

    status: str
    answers: dict[str, Any]
    screen: int = 0
    client_key: str | None = None
    started_at: datetime | None = None


NOTHING = Resumed("none", {})


def resume(db: Database, draft_id: str | None, token: str, survey_id: str, version: int, screens: int,
           at: datetime) -> Resumed:
    """The draft this browser kept for this link, checked against the version shown now."""
    if draft_id is None:
        return NOTHING
    draft = draft_store.load_draft(db, draft_id, token, at)
    if draft is None:
        return NOTHING
    answers = decode_answers(draft.answers_json)
    if draft.survey_id != survey_id or draft.survey_version != version or answers is None:
        draft_store.delete_draft(db, draft_id, token)
        return Resumed("outdated", {}) if answers is not None else NOTHING
    screen = draft.screen if 0 <= draft.screen < screens else 0
    return Resumed("resumed", answers, screen, draft.client_key, draft.started_at)


def save(db: Database, *, draft_id: str, token: str, survey_id: str, version: int, client_key: str,
         answers_json: str, screen: int, started_at: datetime | None, at: datetime, days: int) -> bool:
    """Keep the answers so far (encode_answers) for ``days``; False when they are not kept (too big)."""
    text = answers_json
    if len(text) > MAX_DRAFT_CHARS:
        return False
    draft_store.save_draft(db, draft_store.Draft(draft_id, token, survey_id, version, client_key, text, screen,
                                                 started_at, at, at + timedelta(days=days)))
    return True


def discard(db: Database, draft_id: str, token: str) -> None:
    draft_store.delete_draft(db, draft_id, token)


class Purger:
    """Deletes expired drafts at most once per ``every`` seconds per process (thread-safe)."""

    def __init__(self, every: float = 3600.0) -> None:
        self._every = every
        self._lock = threading.Lock()
        self._last: float | None = None

    def maybe_purge(self, db: Database, at: datetime) -> int:
        with self._lock:
            now = time.monotonic()
            if self._last is not None and now - self._last < self._every:
                return 0
            self._last = now
        try:
            return draft_store.purge_expired(db, at)
        except Exception:  # a missed purge is retried next time; never stops a resident
            log.warning("could not purge expired drafts", exc_info=True)
            return 0
