"""Reading a light-path form post into raw answers, and which questions a screen shows (pure Python).

A light-path form carries every answer given so far: the questions of the
current screen as inputs, the answers of the other screens as hidden inputs.
So the server keeps no state between screens and each post is the whole
response so far. Field names: ``a.<question>`` (repeated for a multi-choice),
``a.<question>.<row>`` for a matrix row, plus the meta fields in META.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from surveys import AnswerError, MatrixQuestion, MultiChoiceQuestion, NoteQuestion, Question, Survey, validate_answers
from ui.survey_form import condition_sources, screens, visible_on_page

# k: client key (made when the form is first shown; a retry is the same response)
# s: when the form was first shown (local YYYYmmddHHMMSS; only for the duration statistic)
# v: survey version the form shows; p: screen index; shown: question ids the screen showed
# go: the button pressed (next / back / submit / refresh / lang); lang: zh or en
META = ("k", "s", "v", "p", "shown", "go", "lang")
ACTIONS = ("next", "back", "submit", "refresh", "lang")
_CLIENT_KEY = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
_STARTED_WINDOW = dt.timedelta(days=31)
STARTED_FORMAT = "%Y%m%d%H%M%S"  # naive local time, as settings.now() gives it


class BadForm(Exception):
    """The post is not a form this survey's light page produced (missing, extra or repeated fields)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # i18n key


@dataclass(frozen=True)
class Posted:
    """One parsed light-path post."""

    client_key: str
    started_at: dt.datetime | None
    version: int
    screen: int
    shown: frozenset[str]
    action: str
    lang: str | None
    raw: dict[str, Any]


def field_name(question_id: str, row_id: str | None = None) -> str:
    return f"a.{question_id}" if row_id is None else f"a.{question_id}.{row_id}"


def _single(fields: Mapping[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise BadForm("light.bad_form")
    return values[0]


def parse(survey: Survey, version: int, pairs: Sequence[tuple[str, str]], at: dt.datetime) -> Posted:
    """The post as raw answers and meta values; BadForm when it is not this survey's form.

    A post for another version of the survey (it changed while the resident
    answered) keeps what fits the current version and drops the rest."""
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    client_key = _single(fields, "k")
    screen_text = _single(fields, "p")
    version_text = _single(fields, "v")
    if client_key is None or screen_text is None or version_text is None:
        raise BadForm("light.incomplete_form")
    if not _CLIENT_KEY.fullmatch(client_key) or not screen_text.isdigit() or not version_text.isdigit():
        raise BadForm("light.bad_form")
    posted_version = int(version_text)
    count = len(screens(survey))
    screen = int(screen_text) if posted_version == version else 0
    if screen >= count:
        raise BadForm("light.bad_form")
    action = _single(fields, "go") or "next"
    if action not in ACTIONS:
        raise BadForm("light.bad_form")
    lang = _single(fields, "lang")
    started_at = None
    started_text = _single(fields, "s")
    if started_text is not None and len(started_text) == 14 and started_text.isdigit():
        try:
            started = dt.datetime.strptime(started_text, STARTED_FORMAT)
        except ValueError:
            started = None
        if started is not None and at - _STARTED_WINDOW <= started <= at:
            started_at = started
    shown = frozenset(filter(None, (_single(fields, "shown") or "").split(",")))
    raw: dict[str, Any] = {}
    allowed = set(META)
    for question in survey.questions:
        if isinstance(question, NoteQuestion):
            continue
        if isinstance(question, MatrixQuestion):
            rows = {}
            for row in question.rows:
                name = field_name(question.id, row.id)
                allowed.add(name)
                value = _single(fields, name)
                if value:
                    rows[row.id] = value
            raw[question.id] = rows or None
            continue
        name = field_name(question.id)
        allowed.add(name)
        values = [v for v in fields.get(name, []) if v != ""]
        if isinstance(question, MultiChoiceQuestion):
            if len(values) > len(question.choices):
                raise BadForm("light.bad_form")
            raw[question.id] = values
        else:
            if len(values) > 1:
                raise BadForm("light.bad_form")
            raw[question.id] = values[0] if values else None
    if posted_version == version and any(name not in allowed for name in fields):
        raise BadForm("light.bad_form")
    if posted_version != version:
        shown = frozenset()
    return Posted(client_key, started_at, posted_version, screen, shown, action,
                  lang if lang in ("zh", "en") else None, raw)


def shown_on(survey: Survey, screen: int, raw: Mapping[str, Any]) -> list[Question]:
    """The questions (notes included) one screen shows, given the answers so far."""
    return [q for page_index in screens(survey)[screen] for q in visible_on_page(survey, page_index, raw)]


def screen_errors(survey: Survey, screen: int, raw: Mapping[str, Any]) -> dict[str, list[AnswerError]]:
    """Validation errors of the questions one screen shows (the same rules as the submit)."""
    errors = validate_answers(survey, raw).errors
    ids = {q.id for q in shown_on(survey, screen, raw)}
    return {qid: errs for qid, errs in errors.items() if qid in ids}


def first_screen_with(survey: Survey, question_ids: set[str]) -> int:
    """The first screen holding one of ``question_ids`` (0 if none)."""
    for index, group in enumerate(screens(survey)):
        if any(q.id in question_ids for page_index in group for q in survey.pages[page_index].questions):
            return index
    return 0


def sources_of(survey: Survey) -> frozenset[str]:
    """Questions some condition depends on (their inputs re-render the screen when changed, with JavaScript)."""
    return condition_sources(survey)
