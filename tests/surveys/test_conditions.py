"""Conditions: every operator, all/any/not nesting, and hidden chains."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from surveys import AllOf, AnyOf, Comparison, Not, Survey, evaluate, load_survey_text, visible_questions


def load(body: str) -> Survey:
    return load_survey_text(textwrap.dedent(body), "test.yaml")


@pytest.mark.parametrize(
    ("op", "value", "answer", "expected"),
    [
        ("eq", 2, 2, True),
        ("eq", 2, 3, False),
        ("eq", "a", "a", True),
        ("ne", 2, 3, True),
        ("ne", 2, 2, False),
        ("lt", 3, 2, True),
        ("lt", 3, 3, False),
        ("le", 3, 3, True),
        ("le", 3, 4, False),
        ("gt", 3, 4, True),
        ("gt", 3, 3, False),
        ("ge", 3, 3, True),
        ("ge", 3, 2, False),
        ("in", (1, 2), 2, True),
        ("in", (1, 2), 3, False),
        ("not_in", (1, 2), 3, True),
        ("not_in", (1, 2), 1, False),
        ("contains", "b", ["a", "b"], True),
        ("contains", "c", ["a", "b"], False),
        ("answered", None, "x", True),
        ("answered", None, "  ", False),
        ("not_answered", None, [], True),
        ("not_answered", None, 0, False),
        ("ge", dt.date(2024, 1, 1), "2024-06-01", True),
        ("lt", dt.date(2024, 1, 1), dt.date(2024, 6, 1), False),
        ("eq", "1", 1, True),  # a choice value sent as a number still matches
    ],
)
def test_each_operator(op: str, value: object, answer: object, expected: bool) -> None:
    assert evaluate(Comparison("q", op, value), {"q": answer}) is expected


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "contains"])
def test_unanswered_makes_comparisons_false(op: str) -> None:
    value = (1,) if op in ("in", "not_in") else 1
    assert evaluate(Comparison("q", op, value), {}) is False


def test_not_answered_true_when_missing() -> None:
    assert evaluate(Comparison("q", "not_answered"), {"q": None}) is True


def test_all_any_not_nesting() -> None:
    condition = AllOf((
        Comparison("a", "ge", 3),
        AnyOf((Comparison("b", "eq", "x"), Not(Comparison("c", "answered")))),
    ))
    assert [
        evaluate(condition, {"a": 3, "b": "x", "c": "t"}),
        evaluate(condition, {"a": 3, "b": "y", "c": "t"}),
        evaluate(condition, {"a": 3, "b": "y"}),
        evaluate(condition, {"a": 2, "b": "x"}),
    ] == [True, False, True, False]


CHAIN = """
id: chain
title: 链
questions:
  - {id: q1, type: rating, label: 总体}
  - {id: q2, type: single_choice, label: 是否反映, choices: [{value: "yes", label: 是}, {value: "no", label: 否}],
     show_if: {question: q1, op: le, value: 2}}
  - {id: q3, type: text, label: 详情, show_if: {question: q2, op: eq, value: "yes"}}
  - {id: q4, type: text, label: 未反映原因, show_if: {question: q2, op: not_answered}}
  - {id: q5, type: nps, label: 推荐}
"""


def ids(survey: Survey, answers: dict[str, object]) -> list[str]:
    return [q.id for q in visible_questions(survey, answers)]


def test_visible_when_condition_holds() -> None:
    assert ids(load(CHAIN), {"q1": 1, "q2": "yes"}) == ["q1", "q2", "q3", "q5"]


def test_not_answered_on_visible_question_shows() -> None:
    assert ids(load(CHAIN), {"q1": 2}) == ["q1", "q2", "q4", "q5"]


def test_hidden_chain_stays_hidden_even_with_stale_answer() -> None:
    # q2 is hidden (q1 = 5), so its stale answer "yes" must not show q3,
    # and "not answered" about a hidden question is not true either.
    assert ids(load(CHAIN), {"q1": 5, "q2": "yes"}) == ["q1", "q5"]


def test_any_branch_can_still_show_when_other_branch_is_hidden() -> None:
    survey = load(
        CHAIN
        + "  - {id: q6, type: nps, label: X, show_if: {any: [{question: q3, op: answered}, {question: q5, op: le, value: 6}]}}\n"
    )
    assert ids(survey, {"q1": 5, "q5": 3}) == ["q1", "q5", "q6"]
