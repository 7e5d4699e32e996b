"""The built-in templates load cleanly, have the promised shape, and round-trip exactly through YAML."""

from __future__ import annotations

import textwrap

import pytest

from surveys import (
    MatrixQuestion,
    MultiChoiceQuestion,
    RatingQuestion,
    SingleChoiceQuestion,
    TextQuestion,
    dump_survey_yaml,
    load_survey_text,
    load_templates,
    survey_from_dict,
    survey_to_dict,
)

TEMPLATES = load_templates()


def test_templates_load_without_errors() -> None:
    assert (sorted(TEMPLATES.surveys), TEMPLATES.errors) == (
        ["jiguan_bumen_manyidu", "minzhu_pingyi_dangyuan", "qunzhong_manyidu", "ruhu_zoufang"], []
    )


@pytest.mark.parametrize("survey_id", ["qunzhong_manyidu", "ruhu_zoufang", "minzhu_pingyi_dangyuan", "jiguan_bumen_manyidu"])
def test_template_round_trip_is_exact(survey_id: str) -> None:
    survey = TEMPLATES.surveys[survey_id]
    assert load_survey_text(dump_survey_yaml(survey), "dump.yaml") == survey
    assert survey_from_dict(survey_to_dict(survey)) == survey


def test_manyidu_shape() -> None:
    survey = TEMPLATES.surveys["qunzhong_manyidu"]
    ratings = [q for q in survey.questions if isinstance(q, RatingQuestion)]
    suggestions = survey.question("suggestions")
    reasons = survey.question("dissatisfied_reasons")
    assert survey.title == "群众满意度测评"
    assert 12 <= len(survey.questions) <= 20
    assert len(ratings) >= 7  # overall + six dimensions
    assert sum(isinstance(q, MatrixQuestion) for q in survey.questions) == 1
    assert isinstance(suggestions, TextQuestion) and suggestions.max_length == 500
    assert isinstance(reasons, MultiChoiceQuestion) and reasons.show_if is not None


def test_zoufang_shape() -> None:
    survey = TEMPLATES.surveys["ruhu_zoufang"]
    categories = survey.question("problem_categories")
    assert (survey.title, survey.kind) == ("入户走访记录表", "visit")
    assert isinstance(categories, MultiChoiceQuestion)
    assert [c.label for c in categories.choices] == ["环境卫生", "道路交通", "社会保障", "医疗卫生", "治安", "就业", "住房", "其他"]
    follow_up = survey.question("follow_up_needed")
    assert isinstance(follow_up, SingleChoiceQuestion)
    assert [c.value for c in follow_up.choices] == ["yes", "no"]


def test_round_trip_of_every_setting() -> None:
    survey = load_survey_text(
        textwrap.dedent(
            """
            id: all-settings
            title: 全部设置
            intro: 说明
            kind: evaluation
            satisfied_level: 4
            choice_lists:
              three: [{value: 3, label: 好, score: 10}, {value: 2, label: 中}, {value: 1, label: 差, score: 0}]
              yn: [{value: "1", label: 是}, {value: 0, label: 否}]
            pages:
              - id: p1
                title: 一
                questions:
                  - {id: n0, type: note, label: 说明, hint: 提示}
                  - {id: q1, type: single_choice, label: A, choice_list: yn, required: true}
                  - {id: q2, type: multi_choice, label: B, choices: [{value: x, label: X}, {value: y, label: Y}], min_choices: 1, max_choices: 2}
                  - {id: q3, type: rating, label: C, scale: three, counts_toward_satisfaction: false}
                  - {id: q4, type: rating, label: D, scale: [{value: 2, label: 是}, {value: 1, label: 否}]}
              - id: p2
                questions:
                  - {id: q5, type: nps, label: E, show_if: {not: {question: q1, op: in, value: ["1"]}}}
                  - {id: q6, type: matrix, label: F, rows: [{id: r1, label: R1}], counts_toward_satisfaction: true}
                  - {id: q7, type: text, label: G, min_length: 1, max_length: 10, pattern: "\\\\d+", multiline: true}
                  - {id: q8, type: number, label: H, min: 0.5, max: 9, integer: false}
                  - id: q9
                    type: date
                    label: I
                    min: 2024-01-01
                    show_if: {all: [{question: q8, op: ge, value: 1}, {any: [{question: q2, op: contains, value: x}, {question: q7, op: not_answered}]}]}
            """
        ),
        "all.yaml",
    )
    assert load_survey_text(dump_survey_yaml(survey)) == survey
