"""Public fill page: a resident answers a survey from a share link or QR code (/fill?t=TOKEN)."""

# Public page: no ui.session.require(); the token in the URL is the credential.
# Per-browser "already answered" marker for open links: Streamlit scripts
# cannot set cookies, so the thank-you view runs a constant two-line script
# (st.html, unsafe_allow_javascript) that sets `minyi_done_<token>`; the
# token passed sharing.tokens.normalize, so it is [2-9a-z]{10} and cannot
# break out of the string. The next page load sees it in st.context.cookies.
# It is a courtesy for honest residents, not a security boundary: single-use
# tokens are what make "one answer per household" hold. What bounds and shows
# ballot-stuffing on open links: the per-address burst limit, on for every
# link (services/limits.py: counted in the database, so every app process
# shares it), and the per-browser id stored on each response
# (services/drafts.py), counted per link on the links page.
# Resume (断点续答): every answer is sent as it is given and kept as a draft
# server-side under this browser's random draft id (cookie); where drafts live
# and why is in services/drafts.py. The price: each tap reruns the page.
# Measured on the 14-question template over websockets: ~500 ms of server CPU
# per resident who taps each answer, against ~62 ms when every answer rode on
# the Submit press. Per-question fragments (a tap reruns one question) cut it
# to ~285 ms but dropped a Submit tap that arrived while a fragment ran, so
# whole-page reruns stay until that is solved.

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

import streamlit as st

import settings as settings_module
from light.routes import light_href
from services import drafts, submissions
from sharing.ratelimit import effective_limit
from sharing.states import LinkState
from sharing.tokens import normalize
from storage.db import Database, StorageError
from surveys import validate_answers
from ui import drafts as browser_drafts
from ui import link_resources, state
from ui.resources import database
from ui.links import route_link
from ui.session import lang, t
from ui.survey_form import page_values, plain, render_page, screens, visible_on_page

log = logging.getLogger("minyi.fill")
DONE_COOKIE = "minyi_done_"
_COOKIE_SCRIPT = ('<script>document.cookie="' + DONE_COOKIE + '{token}=1; max-age=31536000; path=/; samesite=lax";'
                  "</script>")


def _sessions() -> dict[str, dict[str, Any]]:
    """Fill state per token for this browser session."""
    return st.session_state.setdefault(state.FILL, {})


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


def _prune_answered_errors(fs: dict[str, Any]) -> None:
    """Drop the message of every question answered since it was shown (each answer reruns the page)."""
    if not fs["errors"]:
        return
    _merge_current_page(fs)
    still = _page_errors(fs)
    fs["errors"] = {qid: still[qid] for qid in fs["errors"] if qid in still}
    if not fs["errors"] and fs["notice"] == "fill.fix_errors":
        fs["notice"] = None


def _submit(token: str) -> None:
    fs = _sessions()[token]
    _merge_current_page(fs)
    fs["errors"], fs["notice"] = {}, None
    try:
        db = database()
        if not link_resources.limiter().allow(db, token, link_resources.client_address(), fs["burst_limit"]):
            fs["notice"] = "fill.rate_limited"
            return
        result = submissions.submit(
            db, token=token, survey=fs["survey"], version=fs["version"], raw=fs["answers"],
            client_key=fs["client_key"], started_at=fs["started_at"], at=settings_module.now(),
            writer=link_resources.writer(db), browser_id=drafts.browser_id(fs["draft_id"]),
        )
    except Exception:  # never a traceback for a resident; answers stay in the form
        log.exception("submit failed for link %s", token)
        fs["notice"] = "fill.unavailable"
        return
    if result.accepted or result.status == "refused":
        _discard_draft(fs)
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
    settings = settings_module.load()
    survey_screens = screens(opened.survey)
    draft_id = browser_drafts.draft_id()
    resumed = _resume(db, draft_id, token, opened.survey.id, opened.version, len(survey_screens), at)
    fs = {
        "token": token, "survey": opened.survey, "version": opened.version, "mode": link.mode,
        "burst_limit": effective_limit(link.rate_limit_per_minute, settings.link_burst_per_minute),
        "unit_name": link.unit_name, "answers": dict(resumed.answers),
        "screens": survey_screens, "page": resumed.screen,  # index into screens
        "errors": {}, "notice": None, "refused": None, "done": False,
        "banner": {"resumed": "fill.draft_resumed", "outdated": "fill.draft_outdated"}.get(resumed.status),
        # Created when the form is first shown (or kept in the draft): a retry, a double tap or a resumed
        # submit is the same response.
        "client_key": resumed.client_key or str(uuid.uuid4()), "started_at": resumed.started_at or at,
        "draft_id": draft_id, "draft_days": settings.draft_days,
    }
    fs["saved"] = _snapshot(fs)  # what the draft holds already: nothing is written for a resident who only looks
    _sessions()[token] = fs
    return fs


def _resume(db: Database, draft_id: str, token: str, survey_id: str, version: int, screen_count: int,
            at: datetime) -> drafts.Resumed:
    """This browser's draft for the link; nothing when it cannot be read (the resident starts afresh)."""
    try:
        return drafts.resume(db, draft_id, token, survey_id, version, screen_count, at)
    except Exception:
        log.warning("could not read a draft for link %s", token, exc_info=True)
        return drafts.NOTHING


def _snapshot(fs: dict[str, Any]) -> tuple[str, int]:
    """The answers given so far (not the empty values of questions merely shown) and the screen."""
    given = {qid: value for qid, value in fs["answers"].items() if value not in (None, "", [], {})}
    return drafts.encode_answers(given), fs["page"]


def _save_draft(fs: dict[str, Any]) -> None:
    """Keep the answers and screen as they stand, when they changed since the last save."""
    snapshot = _snapshot(fs)
    if snapshot == fs["saved"]:
        return
    try:
        db = database()
        at = settings_module.now()
        drafts.save(db, draft_id=fs["draft_id"], token=fs["token"], survey_id=fs["survey"].id,
                    version=fs["version"], client_key=fs["client_key"], answers_json=snapshot[0], screen=fs["page"],
                    started_at=fs["started_at"], at=at, days=fs["draft_days"])
        fs["saved"] = snapshot
        browser_drafts.purger().maybe_purge(db, at)
    except Exception:  # a draft is a convenience: the answers are still in this session
        log.warning("could not keep a draft for link %s", fs["token"], exc_info=True)


def _discard_draft(fs: dict[str, Any]) -> None:
    try:
        drafts.discard(database(), fs["draft_id"], fs["token"])
    except Exception:  # an orphan draft expires on its own
        log.warning("could not delete the draft for link %s", fs["token"], exc_info=True)


def _thank_you(fs: dict[str, Any]) -> None:
    # one element: each costs the server a message on every resident's last run
    st.success(t("fill.thanks_title") + "\n\n" + t("fill.thanks_body"))
    if fs["mode"] == "open":
        st.html(_COOKIE_SCRIPT.format(token=fs["token"]), unsafe_allow_javascript=True)


def _form(fs: dict[str, Any]) -> None:
    survey = fs["survey"]
    pages = len(fs["screens"])
    browser_drafts.set_cookie_if_needed()
    _prune_answered_errors(fs)
    st.title(plain(survey.title), anchor=False)
    if fs["banner"]:  # shown once, on the first view after resuming
        st.info(t(fs["banner"]), icon=":material/history:")
        fs["banner"] = None
    if fs["page"] == 0 and survey.intro:
        st.text(survey.intro)
    if pages > 1:
        st.progress((fs["page"] + 1) / pages, text=t("fill.progress", page=fs["page"] + 1, pages=pages))
    for position, page_index in enumerate(fs["screens"][fs["page"]]):
        values = render_page(survey, page_index, fs["answers"], lang=lang(), key_prefix=_prefix(fs["token"]),
                             errors=fs["errors"], context={"css": "off" if position else "on", "rerun": "all"})
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
    _save_draft(fs)


# No icons on this page: each would cost a resident a font download (ui/icons.py).
st.button(t("fill.lang_other"), on_click=_toggle_lang, type="tertiary", key="fill.lang")
token = normalize(st.query_params.get("t"))
route_link(t("light.switch_to_light"), light_href(token, lang()))  # 简洁版: plain HTML, for old phones and weak links
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
