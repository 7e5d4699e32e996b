"""Answer validation and coercion per type, visibility rules, and the stored row shape."""

from __future__ import annotations

import datetime as dt
import textwrap
from typing import Any

import pytest

from surveys import AnswerError, AnswerRow, Survey, answer_rows, load_survey_text, validate_answers

SURVEY = load_survey_text(
    textwrap.dedent(
        """
        id: answers
        title: 答案
        questions:
          - {id: note, type: note, label: 说明}
          - {id: sc, type: single_choice, label: 单选, choices: [{value: a, label: 甲}, {value: 1, label: 乙}]}
          - {id: mc, type: multi_choice, label: 多选, min_choices: 2, max_choices: 3,
             choices: [{value: a, label: A}, {value: b, label: B}, {value: c, label: C}, {value: d, label: D}]}
          - {id: rt, type: rating, label: 评分}
          - {id: np, type: nps, label: 推荐}
          - {id: mx, type: matrix, label: 矩阵, rows: [{id: r1, label: 养老}, {id: r2, label: 医疗}]}
          - {id: tx, type: text, label: 建议, max_length: 10}
          - {id: ph, type: text, label: 电话, pattern: "1[0-9]{10}", min_length: 11}
          - {id: nm, type: number, label: 人数, min: 1, max: 20, integer: true}
          - {id: fl, type: number, label: 面积, min: 0}
          - {id: dt, type: date, label: 日期, min: 2024-01-01, max: 2024-12-31}
        """
    ),
    "answers.yaml",
)


def check(question_id: str, raw: Any) -> tuple[Any, list[str]]:
    """The clean value (or None) and the error codes for one answer."""
    result = validate_answers(SURVEY, {question_id: raw})
    return result.clean.get(question_id), [e.code for e in result.errors.get(question_id, [])]


@pytest.mark.parametrize(
    ("question_id", "raw", "expected"),
    [
        ("sc", "a", ("a", [])),
        ("sc", 1, ("1", [])),
        ("sc", "z", (None, ["invalid_choice"])),
        ("mc", ["c", "a", "a"], (["a", "c"], [])),
        ("mc", ["a"], (None, ["too_few_choices"])),
        ("mc", ["a", "b", "c", "d"], (None, ["too_many_choices"])),
        ("mc", ["a", "zz"], (None, ["invalid_choice"])),
        ("rt", "4", (4, [])),
        ("rt", 5, (5, [])),
        ("rt", 6, (None, ["invalid_choice"])),
        ("rt", True, (None, ["invalid_choice"])),
        ("np", "7", (7, [])),
        ("np", 0, (0, [])),
        ("np", 11, (None, ["out_of_range"])),
        ("np", 7.5, (None, ["not_integer"])),
        ("mx", {"r1": 5, "r2": "3"}, ({"r1": 5, "r2": 3}, [])),
        ("mx", {"r2": 2}, ({"r2": 2}, [])),
        ("mx", {"r1": 9}, (None, ["invalid_choice"])),
        ("mx", {"r9": 5}, (None, ["unknown_row"])),
        ("tx", "  你好  ", ("你好", [])),
        ("tx", "一二三四五六七八九十", ("一二三四五六七八九十", [])),
        ("tx", "一二三四五六七八九十零", (None, ["too_long"])),
        ("tx", 12, (None, ["invalid_text"])),
        ("ph", "13800138000", ("13800138000", [])),
        ("ph", "1380013800x", (None, ["pattern"])),
        ("ph", "138", (None, ["too_short"])),
        ("nm", "3", (3, [])),
        ("nm", 4.0, (4, [])),
        ("nm", "3.5", (None, ["not_integer"])),
        ("nm", 0, (None, ["out_of_range"])),
        ("nm", "abc", (None, ["invalid_number"])),
        ("fl", "85.5", (85.5, [])),
        ("fl", -1, (None, ["below_min"])),
        ("fl", float("nan"), (None, ["invalid_number"])),
        ("dt", "2024-05-01", (dt.date(2024, 5, 1), [])),
        ("dt", dt.date(2024, 5, 1), (dt.date(2024, 5, 1), [])),
        ("dt", dt.datetime(2024, 5, 1, 8, 30), (dt.date(2024, 5, 1), [])),
        ("dt", "2024-02-30", (None, ["invalid_date"])),
        ("dt", "2025-01-01", (None, ["out_of_range"])),
    ],
)
def test_coercion_and_checks(question_id: str, raw: Any, expected: tuple[Any, list[str]]) -> None:
    assert check(question_id, raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<b>加粗</b> & 'quotes' \"dq\"",
        "👍🏻垃圾清运很及时🎉",
        "=HYPERLINK(\"http://x\")",
    ],
)
def test_text_is_kept_verbatim_as_plain_text(text: str) -> None:
    survey = load_survey_text("id: s\ntitle: T\nquestions: [{id: t, type: text, label: A}]\n")
    assert validate_answers(survey, {"t": text}).clean == {"t": text}


def test_text_over_hard_cap_rejected_with_message() -> None:
    survey = load_survey_text("id: s\ntitle: T\nquestions: [{id: t, type: text, label: A}]\n")
    [error] = validate_answers(survey, {"t": "字" * 2001}).errors["t"]
    assert (error.message("zh"), error.message("en")) == (
        "最多填写 2000 个字（当前 2001 个），请精简。",
        "At most 2000 characters allowed (currently 2001); please shorten it.",
    )


def test_empty_values_count_as_unanswered() -> None:
    result = validate_answers(SURVEY, {"sc": "", "mc": [], "tx": "   ", "mx": {}, "np": None, "note": "x"})
    assert (result.clean, result.errors) == ({}, {})


REQUIRED = load_survey_text(
    textwrap.dedent(
        """
        id: req
        title: 必答
        questions:
          - {id: overall, type: rating, label: 总体, required: true}
          - {id: reasons, type: multi_choice, label: 原因, required: true,
             choices: [{value: slow, label: 慢}, {value: rude, label: 态度差}],
             show_if: {question: overall, op: le, value: 2}}
          - {id: detail, type: text, label: 详情, required: true, show_if: {question: reasons, op: contains, value: rude}}
          - {id: mx, type: matrix, label: 矩阵, required: true, rows: [{id: r1, label: 养老}, {id: r2, label: 医疗}]}
        """
    ),
    "req.yaml",
)


def test_required_reported_only_for_visible_questions() -> None:
    result = validate_answers(REQUIRED, {"overall": 5, "mx": {"r1": 4, "r2": 4}})
    assert (result.ok, result.clean) == (True, {"overall": 5, "mx": {"r1": 4, "r2": 4}})


def test_required_when_condition_shows_question() -> None:
    result = validate_answers(REQUIRED, {"overall": 1, "reasons": ["rude"], "mx": {"r1": 4, "r2": 4}})
    assert {qid: [e.code for e in errs] for qid, errs in result.errors.items()} == {"detail": ["required"]}


def test_required_matrix_needs_every_row() -> None:
    result = validate_answers(REQUIRED, {"overall": 4, "mx": {"r1": 4}})
    [error] = result.errors["mx"]
    assert (error.code, error.message("zh")) == ("incomplete_rows", "请为每一项都选择评价，尚未作答：医疗。")


def test_missing_required_answers() -> None:
    result = validate_answers(REQUIRED, {})
    assert sorted(result.errors) == ["mx", "overall"]


def test_answers_to_hidden_questions_are_dropped() -> None:
    result = validate_answers(
        REQUIRED, {"overall": 4, "reasons": ["slow"], "detail": "旧答案", "mx": {"r1": 4, "r2": 3}, "bogus": 1}
    )
    assert (result.errors, result.clean) == ({}, {"overall": 4, "mx": {"r1": 4, "r2": 3}})


def test_answer_error_message_in_both_languages() -> None:
    error = AnswerError("too_few_choices", {"min_choices": 2, "count": 1})
    assert (error.message(), error.message("en")) == (
        "请至少选择 2 项（当前 1 项）。",
        "Please choose at least 2 options (currently 1).",
    )


def test_answer_rows_shapes() -> None:
    result = validate_answers(
        SURVEY,
        {
            "sc": "a",
            "mc": ["d", "b"],
            "rt": 4,
            "np": 9,
            "mx": {"r2": 1, "r1": 5},
            "tx": "好",
            "nm": 3,
            "fl": 85.5,
            "dt": "2024-05-01",
        },
    )
    assert result.ok
    assert answer_rows(SURVEY, result.clean) == [
        AnswerRow("sc", "", None, "a"),
        AnswerRow("mc", "", None, "b"),
        AnswerRow("mc", "", None, "d"),
        AnswerRow("rt", "", 4.0, None),
        AnswerRow("np", "", 9.0, None),
        AnswerRow("mx", "r1", 5.0, None),
        AnswerRow("mx", "r2", 1.0, None),
        AnswerRow("tx", "", None, "好"),
        AnswerRow("nm", "", 3.0, None),
        AnswerRow("fl", "", 85.5, None),
        AnswerRow("dt", "", None, "2024-05-01"),
    ]


def test_visit_template_requires_details_when_problems_raised() -> None:
    from surveys import load_templates

    survey: Survey = load_templates().surveys["ruhu_zoufang"]
    result = validate_answers(
        survey, {"work_satisfaction": 2, "problem_categories": ["housing"], "follow_up_needed": "yes"}
    )
    assert [e.code for e in result.errors["problem_details"]] == ["required"]
