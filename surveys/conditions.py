"""Evaluating show_if conditions (data, never code) against answers, and which questions are visible."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

from surveys import constants as c
from surveys.model import AllOf, AnyOf, Comparison, Condition, Not, Question, Survey


def is_answered(value: Any) -> bool:
    """Whether an answer counts as given: None, blank text and empty lists / dicts do not."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return bool(value)
    return True


def _comparable(answer: Any, like: Any) -> Any:
    """Bring a raw answer to the type of the condition value (choice values are text, dates are dates)."""
    if isinstance(like, str) and isinstance(answer, (int, float)) and not isinstance(answer, bool):
        return str(answer)
    if isinstance(like, dt.date) and isinstance(answer, str):
        try:
            return dt.date.fromisoformat(answer.strip())
        except ValueError:
            return answer
    if isinstance(like, dt.date) and isinstance(answer, dt.datetime):
        return answer.date()
    if isinstance(like, (int, float)) and isinstance(answer, str):
        try:
            return float(answer)
        except ValueError:
            return answer
    return answer


def _compare(op: str, answer: Any, value: Any) -> bool:
    if op == c.OP_CONTAINS:
        if isinstance(answer, (list, tuple, set, frozenset)):
            return any(_comparable(item, value) == value for item in answer)
        return False
    if op in c.LIST_OPERATORS:
        inside = any(_comparable(answer, item) == item for item in value)
        return inside if op == c.OP_IN else not inside
    answer = _comparable(answer, value)
    try:
        if op == c.OP_EQ:
            return bool(answer == value)
        if op == c.OP_NE:
            return bool(answer != value)
        if op == c.OP_LT:
            return bool(answer < value)
        if op == c.OP_LE:
            return bool(answer <= value)
        if op == c.OP_GT:
            return bool(answer > value)
        if op == c.OP_GE:
            return bool(answer >= value)
    except TypeError:
        return False
    raise ValueError(f"unknown operator {op!r}")


def evaluate(condition: Condition, answers: Mapping[str, Any], hidden: Collection[str] = ()) -> bool:
    """Whether `condition` holds for `answers`.

    An unanswered question makes every comparison false (also `ne` and `not_in`);
    `not_answered` is then true. A question in `hidden` is neither answered nor
    not answered: every leaf about it is false, so whatever depends on a hidden
    question stays hidden (unless another branch of an `any` shows it).
    """
    if isinstance(condition, AllOf):
        return all(evaluate(sub, answers, hidden) for sub in condition.conditions)
    if isinstance(condition, AnyOf):
        return any(evaluate(sub, answers, hidden) for sub in condition.conditions)
    if isinstance(condition, Not):
        return not evaluate(condition.condition, answers, hidden)
    return _evaluate_comparison(condition, answers, hidden)


def _evaluate_comparison(leaf: Comparison, answers: Mapping[str, Any], hidden: Collection[str]) -> bool:
    if leaf.question in hidden:
        return False
    answer = answers.get(leaf.question)
    answered = is_answered(answer)
    if leaf.op == c.OP_ANSWERED:
        return answered
    if leaf.op == c.OP_NOT_ANSWERED:
        return not answered
    if not answered:
        return False
    return _compare(leaf.op, answer, leaf.value)


def visible_questions(survey: Survey, answers: Mapping[str, Any]) -> list[Question]:
    """The questions to show (notes included), in survey order, given the answers so far."""
    visible: list[Question] = []
    hidden: set[str] = set()
    for question in survey.questions:
        if question.show_if is None or evaluate(question.show_if, answers, hidden):
            visible.append(question)
        else:
            hidden.add(question.id)
    return visible
