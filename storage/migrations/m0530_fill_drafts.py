"""Residents' unfinished answers (fill drafts) and the per-browser id on link responses.

``fill_drafts`` holds one row per (draft id, link token): the answers so far,
the screen the resident was on and the client key the eventual submit uses.
The draft id is a random value kept in the resident's own browser as a cookie
(see services/drafts.py); nothing else leads to a row, and rows past
``expires_at`` are purged. ``responses.browser_id`` is a one-way hash of that
draft id, so repeats from one browser can be counted per link without the
stored value ever being usable as the cookie.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Tx


def up(tx: "Tx") -> None:
    tx.execute("""CREATE TABLE fill_drafts (
        draft_id VARCHAR NOT NULL,
        token VARCHAR NOT NULL,
        survey_id VARCHAR NOT NULL,
        survey_version INTEGER NOT NULL,
        client_key VARCHAR NOT NULL,
        answers VARCHAR NOT NULL,
        screen INTEGER NOT NULL DEFAULT 0,
        started_at TIMESTAMP,
        updated_at TIMESTAMP NOT NULL,
        expires_at TIMESTAMP NOT NULL,
        PRIMARY KEY (draft_id, token)
    )""")
    tx.execute("ALTER TABLE responses ADD COLUMN browser_id VARCHAR")
