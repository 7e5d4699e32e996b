"""The reusable renderer of one survey page: widgets per question type, conditions, errors next to questions."""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Mapping
from typing import Any

import streamlit as st

from i18n import t as translate
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
    SingleChoiceQuestion,
    Survey,
    TextQuestion,
    evaluate,
    scale_label,
)
from surveys.constants import TEXT_MAX_LENGTH
from surveys.model import condition_questions
from ui.markup import plain

# Constant CSS only (never user text): scale options as large, thumb-sized chips
# that wrap on a 360–414 px screen; widget labels, and the label element shown
# above each radio group, a little larger than default.
_FORM_CSS = """<style>
div[data-testid="stRadioGroup"]{flex-wrap:wrap;gap:.45rem .5rem}
label[data-testid="stRadioOption"]{border:1px solid #d5d7de;border-radius:10px;padding:.5rem .8rem;
  min-height:44px;min-width:3rem;margin:0;background:#fff;align-items:center;box-sizing:border-box}
label[data-testid="stRadioOption"]:has(input:checked){border-color:#c8161d;background:#fdf0f0}
label[data-testid="stRadioOption"] p{font-size:1.02rem}
div[data-testid="stRadio"]>label[data-testid="stWidgetLabel"] p{font-size:1.05rem;font-weight:600}
div[data-testid="stElementContainer"]:has(+div[data-testid="stElementContainer"] div[data-testid="stRadio"])
  div[data-testid="stMarkdown"] p{font-size:1.05rem;font-weight:600}
</style>"""

_DATE_FLOOR = dt.date(1900, 1, 1)
_DATE_CEILING = dt.date(2100, 12, 31)


def page_count(survey: Survey) -> int:
    """How many pages the survey is shown in."""
    return max(1, len(survey.pages))


# A survey with at most this many questions is answered on one screen, its
# pages shown as sections: each extra screen costs the resident a round trip
# on a mobile network and the server a script run. Longer surveys are shown
# page by page.
ONE_SCREEN_MAX_QUESTIONS = 15


def screens(survey: Survey) -> list[tuple[int, ...]]:
    """The survey's pages grouped into the screens a resident answers them on."""
    answerable = sum(1 for q in survey.questions if not isinstance(q, NoteQuestion))
    if answerable <= ONE_SCREEN_MAX_QUESTIONS:
        return [tuple(range(len(survey.pages)))]
    return [(index,) for index in range(len(survey.pages))]


def widget_key(key_prefix: str, question_id: str, row_id: str | None = None) -> str:
    """The session-state key of a question's widget (a matrix has one per row)."""
    return f"{key_prefix}.{question_id}" if row_id is None else f"{key_prefix}.{question_id}.{row_id}"


def condition_sources(survey: Survey) -> frozenset[str]:
    """Ids of questions some show_if refers to: only their widgets need a rerun on change."""
    refs: set[str] = set()
    for question in survey.questions:
        if question.show_if is not None:
            refs.update(condition_questions(question.show_if))
    return frozenset(refs)


def _earlier_pages(survey: Survey, page_index: int, answers: Mapping[str, Any]) -> tuple[set[str], int]:
    """Questions on earlier pages hidden by their condition, and how many answerable ones they show."""
    hidden: set[str] = set()
    shown = 0
    for page in survey.pages[:page_index]:
        for question in page.questions:
            if question.show_if is not None and not evaluate(question.show_if, answers, hidden):
                hidden.add(question.id)
            elif not isinstance(question, NoteQuestion):
                shown += 1
    return hidden, shown


def hidden_before(survey: Survey, page_index: int, answers: Mapping[str, Any]) -> set[str]:
    """Questions on earlier pages hidden by their condition, given ``answers``."""
    return _earlier_pages(survey, page_index, answers)[0]


def visible_on_page(survey: Survey, page_index: int, answers: Mapping[str, Any]) -> list[Question]:
    """The questions of one page that are shown, given every answer so far."""
    hidden = hidden_before(survey, page_index, answers)
    shown: list[Question] = []
    for question in survey.pages[page_index].questions:
        if question.show_if is not None and not evaluate(question.show_if, answers, hidden):
            hidden.add(question.id)
        else:
            shown.append(question)
    return shown


# Render work that depends only on a survey's definition (escaped labels,
# option formatters, condition sources) is done once per Survey object: the
# fill page shares one parsed Survey among all residents of a link and renders
# it on every script run (bench/load_fill.py). Survey is immutable; entries go
# when their Survey is garbage-collected.
_MEMOS: dict[int, tuple[weakref.ref, dict[Any, Any]]] = {}


def _memo(survey: Survey) -> dict[Any, Any]:
    entry = _MEMOS.get(id(survey))
    if entry is not None and entry[0]() is survey:
        return entry[1]
    key = id(survey)
    memo: dict[Any, Any] = {}
    _MEMOS[key] = (weakref.ref(survey, lambda _ref: _MEMOS.pop(key, None)), memo)
    return memo


def _label(question: Question, number: int | None, memo: dict[Any, Any] | None = None) -> str:
    """The visible label: markdown, staff text escaped, a red star when required."""
    cached = memo.get(("label", question.id, number)) if memo is not None else None
    if cached is not None:
        return cached
    text = plain(question.label)
    prefix = f"{number}\\. " if number is not None else ""
    suffix = " :red[\\*]" if question.required and not isinstance(question, NoteQuestion) else ""
    label = prefix + text + suffix
    if memo is not None:
        memo[("label", question.id, number)] = label
    return label


# Markdown-active ASCII punctuation -> its full-width form (U+FF01-FF5E): read
# out the same by screen readers, inert as markdown, and no backslashes.
_TO_FULL_WIDTH = {ord(ch): ord(ch) + 0xFEE0 for ch in "\\`*_{}[]()<>#+-.!|~$:"}


def spoken_label(question: Question, number: int | None, lang: str) -> str:
    """The accessible name of a question's radio group: text a screen reader
    reads out as written ("3．总体评价（必答）"), never markup. Streamlit uses a
    widget's label string as its aria-label and also renders it (hidden, when
    collapsed) as markdown, so it is made inert without escapes."""
    prefix = f"{number}." if number is not None else ""
    suffix = translate("form.required_spoken", lang) if question.required else ""
    return (prefix + question.label).translate(_TO_FULL_WIDTH) + suffix


def _seed(key: str, value: Any) -> None:
    """Give a widget the answer kept from an earlier visit of the page (Streamlit
    drops a widget's state once it is not rendered, e.g. on another page)."""
    if value is not None and key not in st.session_state:
        st.session_state[key] = value


def _as_option(value: Any, options: list[Any]) -> Any:
    if value in options:
        return value
    for option in options:
        if str(option) == str(value):
            return option
    return None


def _scale_format(scale: tuple, lang: str):
    labels = {choice.value: plain(scale_label(choice, lang)) for choice in scale}
    return lambda value: labels.get(value, str(value))


def _choice_widget_args(question: Question, lang: str, memo: dict[Any, Any]) -> tuple[list[Any], Any]:
    """Options and format function of a rating, single choice or NPS question (memoized per survey and language)."""
    cached = memo.get(("options", question.id, lang))
    if cached is not None:
        return cached
    if isinstance(question, RatingQuestion):
        options = [choice.value for choice in question.scale]
        fmt = _scale_format(question.scale, lang)
    elif isinstance(question, NpsQuestion):
        options = list(range(0, 11))
        fmt = str
    else:
        options = [choice.value for choice in question.choices]
        labels = {choice.value: plain(choice.label) for choice in question.choices}
        fmt = lambda value: labels.get(value, str(value))  # noqa: E731
    memo[("options", question.id, lang)] = options, fmt
    return options, fmt


def _render_question(question: Question, raw: Any, key_prefix: str, lang: str, number: int | None,
                     rerun_on_change: bool, memo: dict[Any, Any] | None = None) -> Any:
    """One question's widget(s); returns its raw value (None when unanswered)."""
    memo = {} if memo is None else memo
    key = widget_key(key_prefix, question.id)
    label = _label(question, number, memo)
    on_change = "rerun" if rerun_on_change else "ignore"
    if isinstance(question, NoteQuestion):
        st.text(question.label)
        if question.hint:
            st.caption(plain(question.hint))
        return None
    if isinstance(question, (RatingQuestion, SingleChoiceQuestion, NpsQuestion)):
        options, fmt = _choice_widget_args(question, lang, memo)
        _seed(key, _as_option(raw, options))
        # The visible label is its own element so that the group's accessible
        # name (Streamlit uses the label string as aria-label) is plain text.
        st.markdown(label)
        value = st.radio(spoken_label(question, number, lang), options, index=None, format_func=fmt, key=key,
                         horizontal=True, on_change=on_change, label_visibility="collapsed")
        _hint(question)
        return value
    if isinstance(question, MultiChoiceQuestion):
        options = [choice.value for choice in question.choices]
        labels = {choice.value: plain(choice.label) for choice in question.choices}
        if isinstance(raw, (list, tuple)):
            _seed(key, [v for v in (_as_option(item, options) for item in raw) if v is not None])
        limit = question.max_choices
        value = st.pills(label, options, selection_mode="multi", format_func=lambda v: labels.get(v, str(v)),
                         key=key, on_change=_hold_max if limit else on_change, args=(key, limit) if limit else None)
        chosen = list(value or [])
        if limit:
            st.session_state[_kept_key(key)] = chosen  # what a tap past the maximum falls back to
            if st.session_state.pop(_over_key(key), False):
                st.warning(translate("form.max_choices_reached", lang, max_choices=limit), icon=":material/block:")
        _hint(question)
        return chosen
    if isinstance(question, MatrixQuestion):
        return _render_matrix(question, raw, key_prefix, lang, label, on_change, memo)
    if isinstance(question, TextQuestion):
        limit = min(question.max_length, TEXT_MAX_LENGTH)
        _seed(key, raw if isinstance(raw, str) else None)
        widget = st.text_area if question.multiline else st.text_input
        # No max_chars: Streamlit would cut a longer value from a scripted client silently; validate_answers
        # refuses it instead (too_long), and the placeholder states the limit.
        value = widget(label, key=key, on_change=on_change,
                       placeholder=translate("form.text_limit", lang, limit=limit))
        _hint(question)
        return value
    if isinstance(question, NumberQuestion):
        if question.integer:
            low = int(question.min) if question.min is not None else None
            high = int(question.max) if question.max is not None else None
            step: int | float | None = 1
        else:
            low = float(question.min) if question.min is not None else None
            high = float(question.max) if question.max is not None else None
            step = None
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            _seed(key, int(raw) if question.integer else float(raw))
        value = st.number_input(label, value=None, min_value=low, max_value=high, step=step, key=key,
                                on_change=on_change)
        _hint(question)
        return value
    if isinstance(question, DateQuestion):
        if isinstance(raw, str):
            try:
                raw = dt.date.fromisoformat(raw)
            except ValueError:
                raw = None
        _seed(key, raw if isinstance(raw, dt.date) else None)
        value = st.date_input(label, value=None, min_value=question.min or _DATE_FLOOR,
                              max_value=question.max or _DATE_CEILING, key=key, on_change=on_change,
                              format="YYYY-MM-DD")
        _hint(question)
        return value
    raise TypeError(f"no widget for question type {question.type}")


def _kept_key(key: str) -> str:
    return key + "#kept"


def _over_key(key: str) -> str:
    return key + "#over"


def _hold_max(key: str, limit: int) -> None:
    """On a tap past a multi-choice maximum, undo that tap and say why, at once
    (the submit's validation would say it too, but only after the resident finished)."""
    chosen = list(st.session_state.get(key) or [])
    if len(chosen) > limit:
        kept = st.session_state.get(_kept_key(key))
        st.session_state[key] = list(kept) if isinstance(kept, list) and len(kept) <= limit else chosen[:limit]
        st.session_state[_over_key(key)] = True


def _hint(question: Question) -> None:
    if question.hint:
        st.caption(plain(question.hint))


def _render_matrix(question: MatrixQuestion, raw: Any, key_prefix: str, lang: str, label: str,
                   on_change: str, memo: dict[Any, Any]) -> dict[str, Any]:
    """A matrix on a phone: the question as a heading, then one radio group per row, stacked."""
    # heading and hint in one element: every element costs a websocket frame
    st.markdown(label + (f"  \n:gray[{plain(question.hint)}]" if question.hint else ""))
    cached = memo.get(("matrix", question.id, lang))
    if cached is None:
        cached = memo[("matrix", question.id, lang)] = (
            [choice.value for choice in question.scale], _scale_format(question.scale, lang),
            [(row, plain(row.label)) for row in question.rows])
    options, fmt, rows = cached
    kept = raw if isinstance(raw, Mapping) else {}
    values: dict[str, Any] = {}
    for row, row_label in rows:
        key = widget_key(key_prefix, question.id, row.id)
        _seed(key, _as_option(kept.get(row.id), options))
        value = st.radio(row_label, options, index=None, format_func=fmt, key=key, horizontal=True,
                         on_change=on_change)
        if value is not None:
            values[row.id] = value
    return values


def render_page(
    survey: Survey,
    page_index: int,
    answers: dict[str, Any],
    *,
    lang: str,
    key_prefix: str,
    errors: Mapping[str, list[AnswerError]] | None = None,
    context: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Render the visible questions of one page and return their raw values.

    Conditions are evaluated against ``answers`` updated with each value just
    entered on this page, so a question shown by an earlier answer appears at
    once. ``errors`` (question id -> AnswerError) are shown under their
    question. Widgets keep the answers of earlier visits of the page (seeded
    from ``answers``). Only widgets some condition depends on rerun the script
    on change; the rest send their values with the next button press.
    ``context`` may carry ``"numbering": "off"`` to hide question numbers,
    ``"css": "off"`` when an earlier call in the same run already styled the form,
    and ``"rerun": "all"`` to send every answer to the server as it is given
    (the fill page keeps a draft of each). Questions are numbered among the
    questions shown, so a hidden follow-up leaves no gap.
    """
    errors = errors or {}
    context = context or {}
    if context.get("css") != "off":
        st.html(_FORM_CSS)
    page = survey.pages[page_index]
    if page.title and page_count(survey) > 1:
        st.subheader(plain(page.title), anchor=False)
    memo = _memo(survey)
    sources = memo.get("sources")
    if sources is None:
        sources = memo["sources"] = condition_sources(survey)
    current: dict[str, Any] = dict(answers)
    hidden, number = _earlier_pages(survey, page_index, current)  # numbers count the questions shown
    numbered = context.get("numbering") != "off"
    rerun_all = context.get("rerun") == "all"
    values: dict[str, Any] = {}
    for question in page.questions:
        if question.show_if is not None and not evaluate(question.show_if, current, hidden):
            hidden.add(question.id)
            continue
        if not isinstance(question, NoteQuestion):
            number += 1
        value = _render_question(question, answers.get(question.id), key_prefix, lang,
                                 number if numbered and not isinstance(question, NoteQuestion) else None,
                                 rerun_all or question.id in sources, memo)
        for error in errors.get(question.id, ()):
            st.error(plain(error.message(lang)))
        if not isinstance(question, NoteQuestion):
            values[question.id] = value
            current[question.id] = value
    return values


def page_values(survey: Survey, page_index: int, answers: Mapping[str, Any], *, key_prefix: str) -> dict[str, Any]:
    """The raw values of one page's visible questions as they stand in
    session state now — for button callbacks, which run before the script and
    so before render_page returns (widgets that do not rerun on change send
    their latest values with the button press)."""
    current: dict[str, Any] = dict(answers)
    hidden = hidden_before(survey, page_index, current)
    values: dict[str, Any] = {}
    for question in survey.pages[page_index].questions:
        if question.show_if is not None and not evaluate(question.show_if, current, hidden):
            hidden.add(question.id)
            continue
        if isinstance(question, NoteQuestion):
            continue
        if isinstance(question, MatrixQuestion):
            keys = {row.id: widget_key(key_prefix, question.id, row.id) for row in question.rows}
            if any(key in st.session_state for key in keys.values()):
                value: Any = {row_id: st.session_state[key] for row_id, key in keys.items()
                              if st.session_state.get(key) is not None}
            else:
                value = answers.get(question.id)
        else:
            key = widget_key(key_prefix, question.id)
            value = st.session_state[key] if key in st.session_state else answers.get(question.id)
            if isinstance(question, MultiChoiceQuestion):
                value = list(value or [])
        values[question.id] = value
        current[question.id] = value
    return values
