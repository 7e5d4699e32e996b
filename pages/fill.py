"""Public fill page: a resident answers a survey from a share link or QR code (/fill?t=TOKEN)."""

# Public page: no ui.session.require(); the token in the URL is the credential.
# Per-browser "already answered" marker for open links: Streamlit scripts
# cannot set cookies, so the thank-you view runs a constant two-line script
# (st.html, unsafe_allow_javascript) that sets `minyi_done_<token>`; the
# token passed sharing.tokens.normalize, so it is [2-9a-z]{10} and cannot
# break out of the string. The next page load sees it in st.context.cookies.
# It is a courtesy for honest residents, not a security boundary: single-use
# tokens are what make "one answer per household" hold.

from __future__ import annotations

import logging
import uuid
from typing import Any

import streamlit as st

import settings as settings_module
from services import submissions
from sharing.states import LinkState
from sharing.tokens import normalize
from storage.db import StorageError
from surveys import validate_answers
from ui import link_resources, state
from ui.resources import database
from ui.session import lang, t
from ui.survey_form import page_values, plain, render_page, screens, visible_on_page

log = logging.getLogger("minyi.fill")
DONE_COOKIE = "minyi_done_"
_COOKIE_SCRIPT = ('<script>document.cookie="' + DONE_COOKIE + '{token}=1; max-age=31536000; path=/; samesite=lax";'
                  "</script>")


def _sessions() -> dict[str, dict[str, Any]]:
    """Fill state per token for this browser session."""
    return st.session_state.setdefault(state.FILL, {})


def _client_address() -> str | None:
    """The resident's address for the optional rate limit; X-Forwarded-For only
    when MINYI_TRUST_PROXY is set (AppTest has no real context: None)."""
    try:
        if settings_module.load().trust_proxy:
            forwarded = st.context.headers.get("x-forwarded-for")
            if isinstance(forwarded, str) and forwarded:
                return forwarded.split(",")[0].strip()
        address = st.context.ip_address
        return address if isinstance(address, str) else None
    except Exception:
        return None


def _answered_in_this_browser(token: str) -> bool:
    try:
        return st.context.cookies.get(DONE_COOKIE + token) == "1"
    except Exception:  # no browser context (AppTest)
        return False


def _toggle_lang() -> None:
    st.session_state[state.LANG] = "en" if lang() == "zh" else "zh"


def _prefix(token: str) -> str:
    return f"fill.{token}"


def _merge_current_page(fs: dict[str, Any]) -> None:
    """Copy the widget values of the current screen into the kept answers."""
    for page_index in fs["screens"][fs["page"]]:
        fs["answers"].update(page_values(fs["survey"], page_index, fs["answers"], key_prefix=_prefix(fs["token"])))


def _page_errors(fs: dict[str, Any]) -> dict:
    errors = validate_answers(fs["survey"], fs["answers"]).errors
    shown = {q.id for page_index in fs["screens"][fs["page"]]
             for q in visible_on_page(fs["survey"], page_index, fs["answers"])}
    return {qid: errs for qid, errs in errors.items() if qid in shown}


def _go_next(token: str) -> None:
    fs = _sessions()[token]
    _merge_current_page(fs)
    fs["errors"] = _page_errors(fs)
    fs["notice"] = "fill.fix_errors" if fs["errors"] else None
    if not fs["errors"]:
        fs["page"] += 1


def _go_back(token: str) -> None:
    fs = _sessions()[token]
    _merge_current_page(fs)
    fs["errors"], fs["notice"] = {}, None
    fs["page"] = max(0, fs["page"] - 1)


def _submit(token: str) -> None:
    fs = _sessions()[token]
    _merge_current_page(fs)
    fs["errors"], fs["notice"] = {}, None
    # only a link with a limit needs the address (reading it re-reads the settings)
    if fs["rate_limit"] and not link_resources.limiter().allow(token, _client_address(), fs["rate_limit"]):
        fs["notice"] = "fill.rate_limited"
        return
    try:
        db = database()
        result = submissions.submit(
            db, token=token, survey=fs["survey"], version=fs["version"], raw=fs["answers"],
            client_key=fs["client_key"], started_at=fs["started_at"], at=settings_module.now(),
            writer=link_resources.writer(db),
        )
    except Exception:  # never a traceback for a resident; answers stay in the form
        log.exception("submit failed for link %s", token)
        fs["notice"] = "fill.unavailable"
        return
    if result.accepted:
        fs["done"] = True  # only the thank-you is rendered from now on (Streamlit drops the widgets' state)
    elif result.status == "invalid":
        fs["errors"] = dict(result.errors)
        fs["notice"] = "fill.fix_errors"
        for index, group in enumerate(fs["screens"]):
            if any(q.id in result.errors for page_index in group for q in fs["survey"].pages[page_index].questions):
                fs["page"] = index
                break
    else:
        fs["refused"] = result.state


def _message(key: str) -> None:
    st.info(t(key))


def _code_entry() -> None:
    """No token in the address: let the resident type the code from a card."""
    st.caption(t("fill.no_code"))
    typed = st.text_input(t("fill.enter_code"), max_chars=24)
    if st.button(t("fill.enter_code_button"), type="primary"):
        token = normalize(typed)
        if token is None:
            st.error(t("fill.state.unknown"))
        else:
            st.query_params["t"] = token
            st.rerun()


def _start(token: str) -> dict[str, Any] | None:
    """Resolve the link on the first view in this session; None after showing why it cannot be answered."""
    at = settings_module.now()
    try:
        db = database()
        opened = link_resources.resolve(db, token)
    except StorageError:
        st.error(t("fill.storage_error"))
        return None
    if opened.state is not LinkState.OK or opened.link is None or opened.survey is None:
        _message(opened.state.message_key)
        return None
    link = opened.link
    if link.mode == "open" and _answered_in_this_browser(token):
        _message(LinkState.ANSWERED_HERE.message_key)
        return None
    try:
        link_resources.open_counter().add(db, token, at)
    except Exception:  # a lost open count must not stop a resident
        log.warning("could not count an open of link %s", token)
    fs = {
        "token": token, "survey": opened.survey, "version": opened.version, "mode": link.mode,
        "rate_limit": link.rate_limit_per_minute, "unit_name": link.unit_name, "answers": {},
        "screens": screens(opened.survey), "page": 0,  # index into screens
        "errors": {}, "notice": None, "refused": None, "done": False,
        # Created when the form is first shown: a retry or double tap is the same response.
        "client_key": str(uuid.uuid4()), "started_at": at,
    }
    _sessions()[token] = fs
    return fs


def _thank_you(fs: dict[str, Any]) -> None:
    # one element: each costs the server a message on every resident's last run
    st.success(t("fill.thanks_title") + "\n\n" + t("fill.thanks_body"))
    if fs["mode"] == "open":
        st.html(_COOKIE_SCRIPT.format(token=fs["token"]), unsafe_allow_javascript=True)


def _form(fs: dict[str, Any]) -> None:
    survey = fs["survey"]
    pages = len(fs["screens"])
    st.title(plain(survey.title), anchor=False)
    if fs["page"] == 0 and survey.intro:
        st.text(survey.intro)
    if pages > 1:
        st.progress((fs["page"] + 1) / pages, text=t("fill.progress", page=fs["page"] + 1, pages=pages))
    for position, page_index in enumerate(fs["screens"][fs["page"]]):
        values = render_page(survey, page_index, fs["answers"], lang=lang(), key_prefix=_prefix(fs["token"]),
                             errors=fs["errors"], context={"css": "off"} if position else None)
        fs["answers"].update(values)
    if fs["notice"]:
        st.warning(t(fs["notice"]))
    last = fs["page"] >= pages - 1
    forward_label, forward = (t("fill.submit"), _submit) if last else (t("fill.next"), _go_next)
    if fs["page"] > 0:
        back_col, next_col = st.columns(2)
        back_col.button(t("fill.back"), on_click=_go_back, args=(fs["token"],), width="stretch")
        next_col.button(forward_label, on_click=forward, args=(fs["token"],), type="primary", width="stretch",
                        key="fill.forward")
    else:
        st.button(forward_label, on_click=forward, args=(fs["token"],), type="primary", width="stretch",
                  key="fill.forward")


# No icons on this page: each would cost a resident a font download (ui/icons.py).
st.button(t("fill.lang_other"), on_click=_toggle_lang, type="tertiary", key="fill.lang")
token = normalize(st.query_params.get("t"))
if st.query_params.get("t") is None:
    _code_entry()
elif token is None:
    _message(LinkState.UNKNOWN.message_key)
else:
    fs = _sessions().get(token) or _start(token)
    if fs is not None:
        if fs["done"]:
            _thank_you(fs)
        elif fs["refused"] is not None:
            _message(fs["refused"].message_key)
        else:
            _form(fs)
