"""The signed-in principal for a script run, the page guard, and the language switch."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import streamlit as st

import settings as settings_module
from auth import sessions
from auth.principal import Principal
from i18n import t as translate
from storage.db import StorageError
from ui import state
from ui.links import route_link
from ui.resources import database

LANGS = ("zh", "en")
LANG_COOKIE = "minyi_lang"  # the last language chosen with the switch in this browser
# Streamlit scripts cannot set cookies: the run after a switch sends this constant script once ({lang} is
# "zh" or "en", never user text).
_LANG_COOKIE_SCRIPT = ('<script>document.cookie="' + LANG_COOKIE + '={lang}; max-age=31536000; path=/; samesite=lax";'
                       "</script>")


def lang() -> str:
    """The session's language: chosen in the UI, else ?lang=, else the browser's last choice (a cookie), else
    MINYI_LANG (default zh)."""
    chosen = st.session_state.get(state.LANG)  # one session-state lookup: lang() runs for every t()
    if chosen is None:
        query = st.query_params.get("lang")
        if query not in LANGS:
            query = _lang_cookie()
        chosen = st.session_state[state.LANG] = query if query in LANGS else settings_module.load().lang
    return chosen


def _lang_cookie() -> str | None:
    try:
        value = st.context.cookies.get(LANG_COOKIE)
    except Exception:  # no browser context (bare script run)
        return None
    return value if isinstance(value, str) else None


def t(key: str, **params: object) -> str:
    return translate(key, lang(), **params)


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(sessions.COOKIE_NAME)
    except Exception:  # no browser context (bare script run)
        return None
    return value if isinstance(value, str) else None  # AppTest hands out mocks


def current_user() -> Principal | None:
    """The signed-in principal, checked against the session store on every script run, so that a sign-out in
    another tab, a password change elsewhere or a disabled account ends access at the next interaction (one
    indexed lookup per run)."""
    principal = st.session_state.get(state.USER)
    cookie = _cookie()
    if cookie is None:
        # No session cookie: only a principal seeded by tests (AppTest cannot send cookies) is honoured.
        return principal
    try:
        principal = sessions.principal_from_cookie(
            database(), cookie, settings_module.cookie_secret(settings_module.load())
        )
    except StorageError:
        principal = None
    if principal is None:
        st.session_state.pop(state.USER, None)
        return None
    st.session_state[state.USER] = principal
    return principal


def session_token_hash() -> str | None:
    """The stored name of this browser's session (to keep it when the user's other sessions end), if any."""
    return sessions.token_hash(_cookie(), settings_module.cookie_secret(settings_module.load()))


def _current_path() -> str:
    """The path of the page being shown, to come back to after signing in."""
    try:
        url = st.context.url
    except Exception:
        url = None
    return urlsplit(url).path or "/" if isinstance(url, str) else "/"


def require(*roles: str) -> Principal:
    """The guard at the top of every non-public page: stop the script unless a
    signed-in user with one of ``roles`` (any staff role when empty) is here.

    Streamlit may run a pages/ file without the router on the first request
    after a start, so each page calls this itself.
    """
    principal = current_user()
    if principal is None:
        st.warning(t("app.sign_in_required"))
        route_link(t("app.sign_in"), f"/login?lang={lang()}&next={quote(_current_path(), safe='/')}", primary=True)
        st.stop()
    if roles and principal.role not in roles:
        st.error(t("app.forbidden"))
        st.stop()
    return principal


def language_switch(where=None) -> None:
    """A 中文 / English switch, remembered for the session and, by a cookie, for the next visit from this browser."""
    target = where or st.sidebar
    remember = st.session_state.pop(state.LANG_REMEMBER, None)
    if remember in LANGS:
        with target:
            st.html(_LANG_COOKIE_SCRIPT.format(lang=remember), unsafe_allow_javascript=True)
    current = lang()
    choice = target.radio(
        translate("app.language", current), ["zh", "en"], index=0 if current == "zh" else 1,
        format_func=lambda code: "中文" if code == "zh" else "English", horizontal=True, key="minyi.lang_switch",
    )
    if choice != current:
        st.session_state[state.LANG] = st.session_state[state.LANG_REMEMBER] = choice
        st.rerun()
