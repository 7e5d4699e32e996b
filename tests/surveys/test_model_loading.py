"""Loading each question type from inline YAML into the model."""

from __future__ import annotations

import datetime as dt
import textwrap

from surveys import (
    DEFAULT_SCALE,
    AllOf,
    AnyOf,
    Choice,
    Comparison,
    DateQuestion,
    MatrixQuestion,
    MatrixRow,
    MultiChoiceQuestion,
    Not,
    NoteQuestion,
    NpsQuestion,
    NumberQuestion,
    RatingQuestion,
    SingleChoiceQuestion,
    Survey,
    TextQuestion,
    load_survey_text,
    scale_label,
)


def load(body: str) -> Survey:
    return load_survey_text(textwrap.dedent(body), "test.yaml")


def test_flat_questions_become_one_page_and_defaults_apply() -> None:
    survey = load(
        """
        id: s1
        title: 测试
        questions:
          - {id: q1, type: nps, label: 推荐}
        """
    )
    assert (survey.kind, survey.satisfied_level, survey.intro, [p.id for p in survey.pages]) == (
        "satisfaction", 3, "", ["main"]
    )


def test_pages_keep_order_and_titles() -> None:
    survey = load(
        """
        id: s1
        title: 测试
        kind: evaluation
        pages:
          - id: p1
            title: 第一页
            questions: [{id: a, type: nps, label: A}]
          - id: p2
            questions: [{id: b, type: nps, label: B}, {id: c, type: nps, label: C}]
        """
    )
    assert (survey.kind, [(p.id, p.title) for p in survey.pages], survey.question_ids()) == (
        "evaluation", [("p1", "第一页"), ("p2", "")], ["a", "b", "c"]
    )


def test_single_choice_inline_values_are_text() -> None:
    survey = load(
        """
        id: s1
        title: 测试
        questions:
          - id: q1
            type: single_choice
            label: 性别
            required: true
            hint: 单选
            choices:
              - {value: 1, label: 男}
              - {value: f, label: 女, score: 2}
        """
    )
    assert survey.question("q1") == SingleChoiceQuestion(
        id="q1", label="性别", hint="单选", required=True,
        choices=(Choice("1", "男"), Choice("f", "女", 2)),
    )


def test_multi_choice_from_named_list() -> None:
    survey = load(
        """
        id: s1
        title: 测试
        choice_lists:
          topics: [{value: a, label: 甲}, {value: b, label: 乙}, {value: c, label: 丙}]
        questions:
          - {id: q1, type: multi_choice, label: 话题, choice_list: topics, min_choices: 1, max_choices: 2}
        """
    )
    assert survey.question("q1") == MultiChoiceQuestion(
        id="q1", label="话题", choice_list="topics", min_choices=1, max_choices=2,
        choices=(Choice("a", "甲"), Choice("b", "乙"), Choice("c", "丙")),
    )


def test_rating_defaults_to_five_level_scale_and_counts() -> None:
    survey = load(
        """
        id: s1
        title: 测试
        questions:
          - {id: q1, type: rating, label: 总体}
        """
    )
    question = survey.question("q1")
    assert isinstance(question, RatingQuestion)
    assert [(ch.value, ch.label) for ch in question.scale] == [
        (5, "非常满意"), (4, "满意"), (3, "基本满意"), (2, "不满意"), (1, "非常不满意")
    ]
    assert question.counts_toward_satisfaction is True


def test_default_scale_has_english_labels() -> None:
    assert [scale_label(ch, "en") for ch in DEFAULT_SCALE] == [
        "Very satisfied", "Satisfied", "Fairly satisfied", "Dissatisfied", "Very dissatisfied"
    ]


def test_rating_with_custom_scale_list() -> None:
    survey = load(
        """
        id: s1
        title: 测试
        choice_lists:
          three: [{value: 3, label: 好}, {value: 2, label: 中}, {value: 1, label: 差}]
        questions:
          - {id: q1, type: rating, label: 评价, scale: three, counts_toward_satisfaction: false}
        """
    )
    assert survey.question("q1") == RatingQuestion(
        id="q1", label="评价", scale_list="three", counts_toward_satisfaction=False,
        scale=(Choice(3, "好"), Choice(2, "中"), Choice(1, "差")),
    )


def test_nps_and_note() -> None:
    survey = load(
        """
        id: s1
        title: 测试
        questions:
          - {id: intro, type: note, label: 请如实填写}
          - {id: q1, type: nps, label: 推荐}
        """
    )
    assert survey.questions == [NoteQuestion(id="intro", label="请如实填写"), NpsQuestion(id="q1", label="推荐")]


def test_matrix_rows_and_default_scale() -> None:
    survey = load(
        """
        id: s1
        title: 测试
        questions:
          - id: m
            type: matrix
            label: 民生
            required: true
            counts_toward_satisfaction: true
            rows: [{id: elderly, label: 养老}, {id: medical, label: 医疗}]
        """
    )
    assert survey.question("m") == MatrixQuestion(
        id="m", label="民生", required=True, counts_toward_satisfaction=True,
        rows=(MatrixRow("elderly", "养老"), MatrixRow("medical", "医疗")), scale=DEFAULT_SCALE,
    )


def test_text_settings_and_default_max_length() -> None:
    survey = load(
        """
        id: s1
        title: 测试
        questions:
          - {id: t1, type: text, label: 建议, multiline: true}
          - {id: t2, type: text, label: 电话, min_length: 7, max_length: 11, pattern: "[0-9]+"}
        """
    )
    assert survey.questions == [
        TextQuestion(id="t1", label="建议", multiline=True, max_length=2000),
        TextQuestion(id="t2", label="电话", min_length=7, max_length=11, pattern="[0-9]+"),
    ]


def test_number_and_date() -> None:
    survey = load(
        """
        id: s1
        title: 测试
        questions:
          - {id: n, type: number, label: 人口, min: 1, max: 20, integer: true}
          - {id: d, type: date, label: 日期, min: 2024-01-01, max: "2024-12-31"}
        """
    )
    assert survey.questions == [
        NumberQuestion(id="n", label="人口", min=1, max=20, integer=True),
        DateQuestion(id="d", label="日期", min=dt.date(2024, 1, 1), max=dt.date(2024, 12, 31)),
    ]


def test_conditions_are_parsed_to_data() -> None:
    survey = load(
        """
        id: s1
        title: 测试
        questions:
          - {id: q1, type: rating, label: 总体}
          - {id: q2, type: multi_choice, label: 原因, choices: [{value: a, label: A}, {value: b, label: B}]}
          - id: q3
            type: text
            label: 详情
            show_if:
              any:
                - {question: q1, op: in, value: [1, 2]}
                - all:
                    - {question: q2, op: contains, value: a}
                    - not: {question: q1, op: answered}
        """
    )
    assert survey.question("q3").show_if == AnyOf((
        Comparison("q1", "in", (1, 2)),
        AllOf((Comparison("q2", "contains", "a"), Not(Comparison("q1", "answered")))),
    ))
