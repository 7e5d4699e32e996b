"""Process-wide resources of the public fill page: link resolution cache, open counter, burst limiter, client address.

They live in an imported module rather than in pages/fill.py because a page
file is executed on every script run, and re-creating st.cache_resource
wrappers each run costs more than the rest of a small page.
"""

from __future__ import annotations

import streamlit as st

import settings as settings_module
from services import submissions
from services.limits import SubmitLimiter
from storage.db import Database
from ui.resources import database


def client_address() -> str | None:
    """The resident's address for the burst limit; X-Forwarded-For only when
    MINYI_TRUST_PROXY is set (AppTest has no real context: None)."""
    try:
        if settings_module.load().trust_proxy:
            forwarded = st.context.headers.get("x-forwarded-for")
            if isinstance(forwarded, str) and forwarded:
                return forwarded.split(",")[0].strip()
        address = st.context.ip_address
        return address if isinstance(address, str) else None
    except Exception:
        return None


@st.cache_resource(show_spinner=False)
def limiter() -> SubmitLimiter:
    """The process's burst limiter (its counts are in the database, shared by every process)."""
    return SubmitLimiter()


@st.cache_resource(show_spinner=False)
def open_counter() -> submissions.OpenCounter:
    return submissions.OpenCounter()


# A QR code sent to a community brings hundreds of sessions to one token:
# its resolution (link, state, parsed survey) is shared for a few seconds.
# The frozen result is never mutated; the submit re-checks the link's state
# inside its own transaction, so a revocation is never missed there.
@st.cache_resource(ttl=10, max_entries=5000, show_spinner=False)
def _resolve(db_path: str, token: str) -> submissions.OpenedLink:
    return submissions.open_link(database(), token, settings_module.now())


def resolve(db: Database, token: str) -> submissions.OpenedLink:
    """The state, link and survey version of a token, shared by sessions for up to 10 s
    -- except a single-use code, read fresh every time: it is opened by one
    household, so sharing saves nothing, and a code just used must read "used"
    at once in any browser."""
    opened = _resolve(db.path, token)
    if opened.link is not None and opened.link.mode == "single_use":
        return submissions.open_link(db, token, settings_module.now())
    return opened


@st.cache_resource(show_spinner=False)
def _writer(db_path: str) -> submissions.GroupWriter:
    return submissions.GroupWriter(database())


_writers: dict[str, submissions.GroupWriter] = {}  # a dict lookup; st.cache_resource hashes its argument per call


def writer(db: Database) -> submissions.GroupWriter:
    """The process's group-commit writer for resident responses."""
    found = _writers.get(db.path)
    if found is None:
        found = _writers[db.path] = _writer(db.path)
    return found
