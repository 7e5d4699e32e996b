"""Answer validation and coercion, and the row shape answers are stored in.

Clean answer values, by question type (answers are always stored by value, never by label):

- single_choice → str, the choice value
- multi_choice  → list[str], selected choice values in definition order, no duplicates
- rating        → int, a value of the question's scale
- nps           → int, 0–10
- matrix        → dict[row_id, int], scale value per answered row
- text          → str, verbatim plain text with surrounding whitespace stripped
                  (never HTML-processed here; escaping is the renderer's job)
- number        → int | float (int when the question is `integer`)
- date          → datetime.date (ISO 'YYYY-MM-DD' strings are accepted on input)
- note          → never answered; anything sent for it is dropped

None, blank strings and empty lists / dicts count as unanswered. Answers to
questions that are hidden by their show_if, to notes and to unknown ids are
dropped from `clean`, so they are never stored.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from surveys.conditions import evaluate, is_answered
from surveys.errors import AnswerError
from surveys.loader import coerce_date
from surveys.model import (
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
)
from surveys import constants as c

_CONTROL = re.compile(c.CONTROL_CHARACTERS)


@dataclass(frozen=True)
class AnswerCheck:
    """The outcome of validating one response: clean values to store, and errors per question id."""

    clean: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[AnswerError]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when there are no errors."""
        return not self.errors


@dataclass(frozen=True)
class AnswerRow:
    """One stored answer value: choices and text in value_text, numbers in value_num; row_id is '' unless matrix."""

    question_id: str
    row_id: str
    value_num: float | None
    value_text: str | None


class _Invalid(Exception):
    """Raised inside a coercer to report one AnswerError."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.error = AnswerError(code, params)


def _to_int(raw: Any) -> int:
    """An integer from an int, an integral float or a numeric string."""
    if isinstance(raw, bool):
        raise _Invalid("invalid_number")
    if isinstance(raw, int):
        return raw
    number = _to_number(raw)
    if number != int(number):
        raise _Invalid("not_integer")
    return int(number)


def _to_number(raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise _Invalid("invalid_number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        number = raw
    elif isinstance(raw, str):
        try:
            number = float(raw.strip())
        except ValueError:
            raise _Invalid("invalid_number") from None
        if re.fullmatch(r"[+-]?\d+", raw.strip()):
            return int(raw.strip())
    else:
        raise _Invalid("invalid_number")
    if math.isnan(number) or math.isinf(number):
        raise _Invalid("invalid_number")
    return number


def _check_range(value: Any, low: Any, high: Any) -> None:
    if low is not None and high is not None and not low <= value <= high:
        raise _Invalid("out_of_range", min=low, max=high)
    if low is not None and value < low:
        raise _Invalid("below_min", min=low)
    if high is not None and value > high:
        raise _Invalid("above_max", max=high)


def _scale_value(raw: Any, allowed: list[Any]) -> int:
    try:
        value = _to_int(raw)
    except _Invalid:
        raise _Invalid("invalid_choice", value=raw) from None
    if value not in allowed:
        raise _Invalid("invalid_choice", value=raw)
    return value


def _coerce_single_choice(question: SingleChoiceQuestion, raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise _Invalid("invalid_choice", value=raw)
    value = str(raw).strip()
    if value not in [choice.value for choice in question.choices]:
        raise _Invalid("invalid_choice", value=value)
    return value


def _coerce_multi_choice(question: MultiChoiceQuestion, raw: Any) -> list[str]:
    items = [raw] if isinstance(raw, (str, int)) else raw
    if not isinstance(items, (list, tuple, set, frozenset)):
        raise _Invalid("invalid_choice", value=raw)
    order = [str(choice.value) for choice in question.choices]
    selected: set[str] = set()
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int)) or str(item).strip() not in order:
            raise _Invalid("invalid_choice", value=item)
        selected.add(str(item).strip())
    count = len(selected)
    if question.min_choices is not None and count < question.min_choices:
        raise _Invalid("too_few_choices", min_choices=question.min_choices, count=count)
    if question.max_choices is not None and count > question.max_choices:
        raise _Invalid("too_many_choices", max_choices=question.max_choices, count=count)
    return [value for value in order if value in selected]


def _coerce_rating(question: RatingQuestion, raw: Any) -> int:
    return _scale_value(raw, [choice.value for choice in question.scale])


def _coerce_nps(question: NpsQuestion, raw: Any) -> int:
    value = _to_int(raw)
    _check_range(value, c.NPS_MIN, c.NPS_MAX)
    return value


def _coerce_text(question: TextQuestion, raw: Any) -> str:
    if not isinstance(raw, str):
        raise _Invalid("invalid_text")
    text = raw.strip()
    if _CONTROL.search(text):  # a NUL from a scripted client is refused, never stored or stripped
        raise _Invalid("control_char")
    # Length in characters (code points), as a resident counts them. Over-long text is refused, never cut.
    limit = min(question.max_length, c.TEXT_MAX_LENGTH)
    if len(text) > limit:
        raise _Invalid("too_long", max_length=limit, length=len(text))
    if question.min_length is not None and len(text) < question.min_length:
        raise _Invalid("too_short", min_length=question.min_length, length=len(text))
    if question.pattern is not None and not re.fullmatch(question.pattern, text):
        raise _Invalid("pattern")
    return text


def _coerce_number(question: NumberQuestion, raw: Any) -> int | float:
    value = _to_int(raw) if question.integer else _to_number(raw)
    _check_range(value, question.min, question.max)
    return value


def _coerce_date(question: DateQuestion, raw: Any) -> dt.date:
    value = coerce_date(raw)
    if value is None:
        raise _Invalid("invalid_date")
    _check_range(value, question.min, question.max)
    return value


def _coerce_scalar(question: Question, raw: Any) -> Any:
    if isinstance(question, SingleChoiceQuestion):
        return _coerce_single_choice(question, raw)
    if isinstance(question, MultiChoiceQuestion):
        return _coerce_multi_choice(question, raw)
    if isinstance(question, RatingQuestion):
        return _coerce_rating(question, raw)
    if isinstance(question, NpsQuestion):
        return _coerce_nps(question, raw)
    if isinstance(question, TextQuestion):
        return _coerce_text(question, raw)
    if isinstance(question, NumberQuestion):
        return _coerce_number(question, raw)
    if isinstance(question, DateQuestion):
        return _coerce_date(question, raw)
    raise TypeError(f"no coercion for {question.type}")


def _check_matrix(question: MatrixQuestion, raw: Any) -> tuple[dict[str, int], list[AnswerError]]:
    """Matrix rows are checked one by one so one bad row does not hide the others' errors."""
    if not isinstance(raw, Mapping):
        return {}, [AnswerError("invalid_choice", {"value": raw})]
    allowed = [choice.value for choice in question.scale]
    row_ids = [row.id for row in question.rows]
    clean: dict[str, int] = {}
    errors: list[AnswerError] = []
    for row_id, value in raw.items():
        if row_id not in row_ids:
            errors.append(AnswerError("unknown_row", {"row": row_id}))
        elif is_answered(value):
            try:
                clean[row_id] = _scale_value(value, allowed)
            except _Invalid as exc:
                errors.append(AnswerError(exc.error.code, {**exc.error.params, "row": row_id}))
    if question.required and not errors:
        missing = [row.label for row in question.rows if row.id not in clean]
        if missing:
            errors.append(AnswerError("incomplete_rows", {"rows": missing}))
    # Keep definition order so the stored rows are in a stable order.
    return {row_id: clean[row_id] for row_id in row_ids if row_id in clean}, errors


def validate_answers(survey: Survey, raw: Mapping[str, Any]) -> AnswerCheck:
    """Check and coerce one response's raw answers (question id → value).

    Visibility is decided in order from the clean answers of earlier visible
    questions; `required` applies only to visible questions.
    """
    clean: dict[str, Any] = {}
    errors: dict[str, list[AnswerError]] = {}
    hidden: set[str] = set()
    for question in survey.questions:
        if question.show_if is not None and not evaluate(question.show_if, clean, hidden):
            hidden.add(question.id)
            continue
        if isinstance(question, NoteQuestion):
            continue
        value = raw.get(question.id)
        if not is_answered(value):
            if question.required:
                errors[question.id] = [AnswerError("required")]
            continue
        if isinstance(question, MatrixQuestion):
            rows, row_errors = _check_matrix(question, value)
            if row_errors:
                errors[question.id] = row_errors
            elif rows:
                clean[question.id] = rows
            elif question.required:
                errors[question.id] = [AnswerError("required")]
            continue
        try:
            clean[question.id] = _coerce_scalar(question, value)
        except _Invalid as exc:
            errors[question.id] = [exc.error]
    return AnswerCheck(clean=clean, errors=errors)


def answer_rows(survey: Survey, clean: Mapping[str, Any]) -> list[AnswerRow]:
    """The storage rows for a clean response, in survey order (see AnswerRow)."""
    rows: list[AnswerRow] = []
    for question in survey.questions:
        if question.id not in clean:
            continue
        value = clean[question.id]
        qid = question.id
        if isinstance(question, MultiChoiceQuestion):
            rows.extend(AnswerRow(qid, "", None, str(item)) for item in value)
        elif isinstance(question, MatrixQuestion):
            rows.extend(AnswerRow(qid, row_id, float(score), None) for row_id, score in value.items())
        elif isinstance(question, (SingleChoiceQuestion, TextQuestion)):
            rows.append(AnswerRow(qid, "", None, str(value)))
        elif isinstance(question, DateQuestion):
            rows.append(AnswerRow(qid, "", None, value.isoformat()))
        elif isinstance(question, (RatingQuestion, NpsQuestion, NumberQuestion)):
            rows.append(AnswerRow(qid, "", float(value), None))
    return rows
