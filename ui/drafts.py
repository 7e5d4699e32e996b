"""The fill page's side of resume: this browser's draft id (the minyi_draft cookie) and the process's draft purger.

Where drafts live and why: see services/drafts.py.
"""

from __future__ import annotations

import streamlit as st

from services import drafts
from ui import state

# A constant script with one value that passed valid_draft_id ([A-Za-z0-9_-]{32}), so it cannot break out of
# the string. One year: the id doubles as the per-browser id; the answers behind it expire after
# MINYI_DRAFT_DAYS.
_COOKIE_SCRIPT = ('<script>document.cookie="' + drafts.DRAFT_COOKIE + '={draft_id}; max-age=31536000; path=/; '
                  'samesite=lax"+(location.protocol==="https:"?"; secure":"");</script>')


def cookie_draft_id() -> str | None:
    """The draft id the browser sent with this page load; None if absent or not of the right shape."""
    try:
        return drafts.valid_draft_id(st.context.cookies.get(drafts.DRAFT_COOKIE))
    except Exception:  # no browser context (AppTest)
        return None


def draft_id() -> str:
    """This browser's draft id: from its cookie, else a new one the page hands to the browser (set_cookie)."""
    known = st.session_state.get(state.FILL_DRAFT_ID)
    if known is None:
        sent = cookie_draft_id()
        known = st.session_state[state.FILL_DRAFT_ID] = sent or drafts.new_draft_id()
        st.session_state[state.FILL_DRAFT_COOKIE] = sent is None
    return known


def set_cookie_if_needed() -> None:
    """Render the one-line cookie script once per session, when the browser did not send a valid id."""
    if st.session_state.get(state.FILL_DRAFT_COOKIE):
        st.session_state[state.FILL_DRAFT_COOKIE] = False
        st.html(_COOKIE_SCRIPT.format(draft_id=draft_id()), unsafe_allow_javascript=True)


@st.cache_resource(show_spinner=False)
def purger() -> drafts.Purger:
    return drafts.Purger()
