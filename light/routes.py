"""Starlette routes of the light fill path: /lite?t=CODE shows a share-link survey as plain HTML, posts to itself.

The same link, rules and storage as the Streamlit fill page (pages/fill.py):
the link is resolved by ui.link_resources, answers are checked by surveys'
validate_answers and stored by services.submissions.submit through the
process's group-commit writer; only the rendering differs. It works with
JavaScript disabled: conditions are applied on the server, screen by screen,
and a screen whose answers bring up a new question is shown again with it
before moving on. Pages are rendered by Jinja2 templates with autoescaping on,
so no survey or resident text ever reaches the page unescaped, and they load
nothing from anywhere (styles inline, no fonts, images or scripts to fetch).

Cross-site posts. The survey is public: anyone holding the link may answer,
and a form on another site posting here can do no more than the person
behind it could do by opening the link themselves. No cookie grants anything
here (the language cookie and the per-browser "answered" marker are not
credentials), and single-use codes must be known to be spent. What a forged
post could still do is answer from a visitor's browser (marking it answered,
spending its rate-limit quota). So the form posts only to its own path, and a
post whose Origin header names another site is refused (a missing or "null"
Origin, which some old webviews send, is accepted: it gives an attacker
nothing the link alone does not).
"""

from __future__ import annotations

import logging
import os
import secrets
import uuid
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

import settings as settings_module
from i18n import t
from light import form as light_form
from services import drafts, submissions
from sharing.ratelimit import effective_limit
from sharing.states import LinkState
from sharing.tokens import normalize
from storage.db import StorageError
from surveys import (
    AnswerError,
    DateQuestion,
    MatrixQuestion,
    MultiChoiceQuestion,
    NoteQuestion,
    NpsQuestion,
    NumberQuestion,
    Question,
    RatingQuestion,
    Survey,
    TextQuestion,
    scale_label,
)
from surveys.constants import TEXT_MAX_LENGTH
from ui import link_resources
from ui.resources import database
from ui.survey_form import screens, visible_on_page

log = logging.getLogger("minyi.light")

PATH = "/lite"  # stable: bench/fill_weight.py and the 简洁版 switch link here
FULL_PATH = "/fill"
DONE_COOKIE = "minyi_done_"  # the same per-browser marker as pages/fill.py sets
LANG_COOKIE = "minyi_lang"
# The largest legitimate post is a few text answers of TEXT_MAX_LENGTH CJK
# characters (9 bytes each once percent-encoded) plus the choices: 256 KB
# leaves room for that and refuses a 1 MB paste before it is parsed.
MAX_BODY_BYTES = 256 * 1024
MAX_FIELDS = 2000  # a post with more values (e.g. 10,000) is refused before parsing them all
FORM_TYPE = "application/x-www-form-urlencoded"
THANKS = "fill.thanks_body"

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
                   trim_blocks=True, lstrip_blocks=True)
_template = _env.get_template("page.html")


@lru_cache(maxsize=8)
def _settings(_env_key: tuple[str | None, ...]) -> settings_module.Settings:
    return settings_module.load()


def _config() -> settings_module.Settings:
    """The settings this path reads (language, proxy trust, public address, burst limit), loaded again only when the
    environment they come from changes: settings.load() copies the environment, ~0.2 ms per call."""
    env = os.environ
    return _settings((env.get("MINYI_LANG"), env.get("MINYI_TRUST_PROXY"), env.get("MINYI_PUBLIC_URL"),
                      env.get("MINYI_LINK_BURST_PER_MINUTE")))


def _lang(request: Request, chosen: str | None = None) -> str:
    """The page's language: chosen in the form, else ?lang=, else the browser's last choice, else MINYI_LANG."""
    for value in (chosen, request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value in ("zh", "en"):
            return value
    return _config().lang


def _client_address(request: Request) -> str | None:
    if _config().trust_proxy:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.client.host if request.client else None


def _href(path: str, token: str | None, lang: str) -> str:
    params = {"t": token} if token else {}
    params["lang"] = lang
    return f"{path}?{urlencode(params)}"


def light_href(token: str | None, lang: str) -> str:
    """The light path's address for a (normalized) token: the 简洁版 switch of the Streamlit fill page."""
    return _href(PATH, token, lang)


def _page(lang: str, *, token: str | None = None, status: int = 200,
          cookies: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    """One light page; ``context`` fills page.html (every value is escaped by the template)."""
    other = "en" if lang == "zh" else "zh"
    values = {
        "lang": lang, "title": t("fill.nav_title", lang), "other_lang_label": t("light.switch_lang", lang),
        "other_lang_href": _href(PATH, token, other), "full_href": _href(FULL_PATH, token, lang),
        "full_label": t("light.switch_to_full", lang), "required_mark": t("light.required_mark", lang),
        "message_class": "info", **context,
    }
    return _with_cookies(HTMLResponse(_template.render(**values), status_code=status), lang, cookies)


def _with_cookies(response: HTMLResponse, lang: str, cookies: dict[str, str] | None = None) -> HTMLResponse:
    response.headers["Cache-Control"] = "no-store"  # a form with answers in it; never shared by a cache
    response.set_cookie(LANG_COOKIE, lang, max_age=31536000, samesite="lax")
    for name, value in (cookies or {}).items():
        response.set_cookie(name, value, max_age=31536000, samesite="lax", httponly=True)
    return response


def _message(lang: str, key: str, *, token: str | None = None, status: int = 200,
             again: bool = False, cookies: dict[str, str] | None = None) -> HTMLResponse:
    """A page with one catalogue message (a link state, a bad post, the thank-you)."""
    return _with_cookies(HTMLResponse(_message_text(lang, key, token, again), status_code=status), lang, cookies)


@lru_cache(maxsize=2048)
def _message_text(lang: str, key: str, token: str | None, again: bool) -> str:
    """Message pages depend only on their arguments (catalogue text, a normalized token): rendered once each."""
    extra = {"again_href": _href(PATH, token, lang), "again_label": t("light.open_again", lang)} if again else {}
    if key == THANKS:
        extra.update(title=t("fill.thanks_title", lang), message_class="ok", message=t("fill.thanks_body", lang))
    else:
        extra["message"] = t(key, lang)
    return bytes(_page(lang, token=token, **extra).body).decode()


def _open_or_refuse(lang: str, token: str | None, posted: bool = False
                    ) -> tuple[submissions.OpenedLink, None] | tuple[None, HTMLResponse]:
    """The link behind ``token`` when it can be answered, else the page that says why (unknown, storage
    unavailable, revoked, used…)."""
    if token is None:
        return None, _message(lang, LinkState.UNKNOWN.message_key, status=404)
    try:
        opened = _opened(token)
    except StorageError:
        return None, _message(lang, "fill.storage_error", token=token, status=503)
    if opened.state is not LinkState.OK or opened.link is None or opened.survey is None:
        return None, _message(lang, opened.state.message_key, token=token,
                              status=_state_status(opened.state, posted=posted))
    return opened, None


def _state_status(state: LinkState, posted: bool = False) -> int:
    """404 for an unknown code; a post the link now refuses (used, revoked, closed…) is a 409 conflict."""
    if state is LinkState.UNKNOWN:
        return 404
    return 409 if posted else 200


# --- the form as template data ---------------------------------------------------------------------------


def _options(question: Question, lang: str) -> list[tuple[str, str]]:
    if isinstance(question, RatingQuestion):
        return [(str(c.value), scale_label(c, lang)) for c in question.scale]
    if isinstance(question, NpsQuestion):
        return [(str(n), str(n)) for n in range(11)]
    return [(str(c.value), c.label) for c in question.choices]  # single and multi choice


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _item(question: Question, raw: Any, number: int | None, lang: str, errors: list[AnswerError],
          sources: frozenset[str]) -> dict[str, Any]:
    label = f"{number}. {question.label}" if number is not None else question.label
    hints = [question.hint] if question.hint else []
    item: dict[str, Any] = {"id": question.id, "label": label, "required": question.required, "hints": hints,
                            "errors": [e.message(lang) for e in errors], "src": question.id in sources,
                            "name": light_form.field_name(question.id)}
    if isinstance(question, NoteQuestion):
        return {**item, "kind": "note", "label": question.label}
    if isinstance(question, MatrixQuestion):
        kept = raw if isinstance(raw, dict) else {}
        options = [(str(c.value), scale_label(c, lang)) for c in question.scale]
        rows = [{"label": row.label, "name": light_form.field_name(question.id, row.id),
                 "options": [{"value": v, "label": lab, "checked": _text(kept.get(row.id)) == v} for v, lab in options]}
                for row in question.rows]
        return {**item, "kind": "matrix", "rows": rows}
    if isinstance(question, MultiChoiceQuestion):
        chosen = {_text(v) for v in raw} if isinstance(raw, (list, tuple)) else set()
        if question.max_choices:
            hints.append(t("light.choose_up_to", lang, n=question.max_choices))
        if question.min_choices:
            hints.append(t("light.choose_at_least", lang, n=question.min_choices))
        return {**item, "kind": "choice", "input": "checkbox",
                "options": [{"value": v, "label": lab, "checked": v in chosen} for v, lab in _options(question, lang)]}
    if isinstance(question, TextQuestion):
        limit = min(question.max_length, TEXT_MAX_LENGTH)
        hints.append(t("form.text_limit", lang, limit=limit))
        return {**item, "kind": "textarea" if question.multiline else "input", "input": "text",
                "value": _text(raw), "maxlength": limit, "min": None, "max": None}
    if isinstance(question, NumberQuestion):
        if question.min is not None and question.max is not None:
            hints.append(t("light.number_range", lang, low=question.min, high=question.max))
        return {**item, "kind": "input", "input": "number", "value": _text(raw), "maxlength": None,
                "min": question.min, "max": question.max, "step": "1" if question.integer else "any"}
    if isinstance(question, DateQuestion):
        hints.append(t("light.date_format", lang))
        return {**item, "kind": "input", "input": "date", "value": _text(raw), "maxlength": 10,
                "min": question.min.isoformat() if question.min else None,
                "max": question.max.isoformat() if question.max else None}
    value = _text(raw)  # rating, single choice, NPS
    return {**item, "kind": "choice", "input": "radio",
            "options": [{"value": v, "label": lab, "checked": value == v} for v, lab in _options(question, lang)]}


def _hidden_answers(survey: Survey, on_screen: set[int], raw: dict[str, Any]) -> list[tuple[str, str]]:
    """The answers of the other screens, carried along in hidden inputs."""
    carried: list[tuple[str, str]] = []
    for page_index, page in enumerate(survey.pages):
        if page_index in on_screen:
            continue
        for question in page.questions:
            value = raw.get(question.id)
            if isinstance(question, NoteQuestion) or value in (None, "", [], {}):
                continue
            if isinstance(value, dict):
                carried.extend((light_form.field_name(question.id, row), _text(v)) for row, v in value.items())
            elif isinstance(value, (list, tuple)):
                carried.extend((light_form.field_name(question.id), _text(v)) for v in value)
            else:
                carried.append((light_form.field_name(question.id), _text(value)))
    return carried


def _form(lang: str, token: str, survey: Survey, version: int, screen: int, raw: dict[str, Any],
          client_key: str, started: str, errors: dict[str, list[AnswerError]] | None = None,
          notice: str | None = None, status: int = 200) -> HTMLResponse:
    groups = screens(survey)
    errors = errors or {}
    sources = light_form.sources_of(survey)
    # Numbers count only the questions shown, on this screen and the ones before it.
    number = sum(1 for group in groups[:screen] for page_index in group
                 for q in visible_on_page(survey, page_index, raw) if not isinstance(q, NoteQuestion))
    items: list[dict[str, Any]] = []
    shown: list[str] = []
    for page_index in groups[screen]:
        page = survey.pages[page_index]
        if page.title and len(survey.pages) > 1:
            items.append({"kind": "section", "label": page.title})
        for question in visible_on_page(survey, page_index, raw):
            shown.append(question.id)
            if not isinstance(question, NoteQuestion):
                number += 1
            items.append(_item(question, raw.get(question.id), None if isinstance(question, NoteQuestion) else number,
                               lang, errors.get(question.id, []), sources))
    last = screen >= len(groups) - 1
    hidden = [("k", client_key), ("s", started), ("v", str(version)), ("p", str(screen)), ("shown", ",".join(shown)),
              ("lang", lang), *_hidden_answers(survey, set(groups[screen]), raw)]
    view = {
        "intro": survey.intro if screen == 0 else None,
        "progress": t("fill.progress", lang, page=screen + 1, pages=len(groups)) if len(groups) > 1 else None,
        "hidden": hidden, "questions": items, "notice": t(notice, lang) if notice else None,
        "back": t("fill.back", lang) if screen > 0 else None,
        "forward": t("fill.submit" if last else "fill.next", lang), "forward_action": "submit" if last else "next",
        "has_sources": any(item.get("src") for item in items),
    }
    return _page(lang, token=token, status=status, form=view, title=survey.title,
                 action=f"{PATH}?{urlencode({'t': token})}")


# A link's first screen, unanswered, is the same page for every resident but for the client key and start
# time: it is rendered once per (survey version, language, token) with two random markers in their place,
# and each resident's copy is that text with the markers replaced (the markers are process-random, so no
# survey text can contain them; the values put in are a UUID and digits). Rendering costs ~2 ms, the copy
# ~0.05 ms (bench/load_fill.py --light).
_MARK = secrets.token_hex(8)
_KEY_MARK, _STARTED_MARK = f"k{_MARK}", f"s{_MARK}"
_FRESH_MAX = 1024
_fresh: OrderedDict[tuple, tuple[str, int]] = OrderedDict()


def _fresh_form(lang: str, token: str, survey: Survey, version: int, client_key: str,
                started: str) -> HTMLResponse:
    key = (survey.id, version, lang, token)
    cached = _fresh.get(key)
    if cached is None:
        page = _form(lang, token, survey, version, 0, {}, _KEY_MARK, _STARTED_MARK)
        cached = (bytes(page.body).decode(), page.status_code)
        _fresh[key] = cached
        while len(_fresh) > _FRESH_MAX:
            _fresh.popitem(last=False)
    text = cached[0].replace(_KEY_MARK, client_key).replace(_STARTED_MARK, started)
    return _with_cookies(HTMLResponse(text, status_code=cached[1]), lang)


# --- GET: show the first screen (or the code entry / why the link cannot be answered) ---------------------


def _opened(token: str) -> submissions.OpenedLink:
    return link_resources.resolve(database(), token)


def light_page(request: Request) -> Response:
    lang = _lang(request)
    typed = request.query_params.get("t")
    if typed is None:
        entry = {"action": PATH, "intro": t("fill.no_code", lang), "label": t("fill.enter_code", lang),
                 "button": t("fill.enter_code_button", lang)}
        return _page(lang, code_entry=entry)
    token = normalize(typed)
    opened, refusal = _open_or_refuse(lang, token)
    if refusal is not None:
        return refusal
    if opened.link.mode == "open" and request.cookies.get(DONE_COOKIE + token) == "1":
        return _message(lang, LinkState.ANSWERED_HERE.message_key, token=token)
    at = settings_module.now()
    try:
        link_resources.open_counter().add(database(), token, at)
    except Exception:  # a lost open count must not stop a resident
        log.warning("could not count an open of link %s", token)
    # The client key is made here, when the form is first shown, and travels in a hidden field:
    # a retry, a double tap or a re-sent post is the same response.
    return _fresh_form(lang, token, opened.survey, opened.version or 0, str(uuid.uuid4()),
                       at.strftime(light_form.STARTED_FORMAT))


# --- POST: one screen's answers -----------------------------------------------------------------------------


def _foreign_origin(request: Request) -> bool:
    """Whether the post names another site as its origin (see the module docstring)."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return False
    netloc = urlsplit(origin).netloc.lower()
    ours = {request.headers.get("host", "").lower(), urlsplit(_config().public_base_url).netloc.lower()}
    return netloc not in ours


async def _read_body(request: Request) -> bytes | None:
    """The body, or None once it passes MAX_BODY_BYTES (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def light_submit(request: Request) -> Response:
    lang = _lang(request)
    token = normalize(request.query_params.get("t"))
    if _foreign_origin(request):
        return _message(lang, "light.cross_site", token=token, status=403, again=token is not None)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_TYPE:
        return _message(lang, "light.wrong_type", token=token, status=415, again=token is not None)
    body = await _read_body(request)
    if body is None:
        return _message(lang, "light.too_large", token=token, status=413)
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, max_num_fields=MAX_FIELDS,
                          encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return _message(lang, "light.bad_encoding", token=token, status=400, again=token is not None)
    except ValueError:  # more than MAX_FIELDS values
        return _message(lang, "light.too_large", token=token, status=413)
    return await run_in_threadpool(_answer, request, lang, token, pairs)


def _answer(request: Request, lang: str, token: str | None, pairs: list[tuple[str, str]]) -> Response:
    """Apply one post: re-show, move between screens, or submit."""
    chosen = dict(pairs).get("lang")
    lang = _lang(request, chosen if chosen in ("zh", "en") else None)
    opened, refusal = _open_or_refuse(lang, token, posted=True)
    if refusal is not None:
        return refusal
    survey, version = opened.survey, opened.version or 0
    at = settings_module.now()
    try:
        posted = light_form.parse(survey, version, pairs, at)
    except light_form.BadForm as bad:
        return _message(lang, bad.code, token=token, status=400, again=True)
    raw = posted.raw
    started = (posted.started_at or at).strftime(light_form.STARTED_FORMAT)

    def show(screen: int, errors=None, notice=None, status: int = 200, in_lang: str = lang) -> HTMLResponse:
        return _form(in_lang, token, survey, version, screen, raw, posted.client_key, started, errors,
                     notice, status)

    if posted.version != version:
        return show(0, notice="light.version_changed")
    screen = posted.screen
    if posted.action == "lang":
        return show(screen, in_lang="en" if lang == "zh" else "zh")
    if posted.action == "refresh":
        return show(screen)
    if posted.action == "back":
        return show(max(0, screen - 1))
    # next / submit: a question this screen's answers have just brought up is shown before moving on
    # (without JavaScript the resident could not see it appear).
    now_shown = {q.id for q in light_form.shown_on(survey, screen, raw) if not isinstance(q, NoteQuestion)}
    if now_shown - posted.shown:
        return show(screen, notice="light.more_questions")
    if screen < len(screens(survey)) - 1:
        errors = light_form.screen_errors(survey, screen, raw)
        return show(screen, errors, "fill.fix_errors") if errors else show(screen + 1)
    # the last screen: the submit validates everything (earlier screens were checked on the way here)
    return _submit(request, lang, token, opened, posted, show)


def _submit(request: Request, lang: str, token: str, opened: submissions.OpenedLink, posted: light_form.Posted,
            show) -> Response:
    link = opened.link
    assert link is not None and opened.survey is not None
    # The same burst limit as the Streamlit page (on by default), and the same per-browser id: the draft
    # cookie both paths share, made here if this browser has none, so repeats count across both paths.
    limit = effective_limit(link.rate_limit_per_minute, _config().link_burst_per_minute)
    draft_id = drafts.valid_draft_id(request.cookies.get(drafts.DRAFT_COOKIE))
    new_browser = draft_id is None
    draft_id = draft_id or drafts.new_draft_id()
    try:
        db = database()
        if not link_resources.limiter().allow(db, token, _client_address(request), limit):
            return show(posted.screen, notice="fill.rate_limited", status=429)
        result = submissions.submit(
            db, token=token, survey=opened.survey, version=opened.version or 0, raw=posted.raw,
            client_key=posted.client_key, started_at=posted.started_at, at=settings_module.now(),
            writer=link_resources.writer(db), browser_id=drafts.browser_id(draft_id),
        )
    except Exception:  # never a traceback for a resident; the answers stay in the form
        log.exception("light submit failed for link %s", token)
        return show(posted.screen, notice="fill.unavailable", status=503)
    if result.accepted:
        cookies = {DONE_COOKIE + token: "1"} if link.mode == "open" else {}
        if new_browser:
            cookies[drafts.DRAFT_COOKIE] = draft_id
        return _message(lang, THANKS, token=token, cookies=cookies)
    if result.status == "invalid":
        first = light_form.first_screen_with(opened.survey, set(result.errors))
        return show(first, dict(result.errors), "fill.fix_errors")  # stored nothing; the answers stay
    return _message(lang, result.state.message_key, token=token, status=409)


def _guarded_get(request: Request) -> Response:
    try:
        return light_page(request)
    except Exception:  # a defect here still answers with a page in the resident's language, never a traceback
        log.exception("light page failed")
        return _message(_lang(request), "fill.unavailable", status=503)


async def _guarded_post(request: Request) -> Response:
    try:
        return await light_submit(request)
    except Exception:
        log.exception("light post failed")
        return _message(_lang(request), "fill.unavailable", status=503)


ROUTES = [
    Route(PATH, _guarded_get, methods=["GET"]),
    Route(PATH, _guarded_post, methods=["POST"]),
]
