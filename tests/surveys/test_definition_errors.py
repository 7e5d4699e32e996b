"""Every load-time problem is reported with its catalogue code, file, question and a message saying what to fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from surveys import DefinitionError, SurveyDefinitionError, load_survey_file, load_survey_text, load_templates
from surveys.errors import ANSWER_MESSAGES, DEFINITION_MESSAGES


def errors_of(body: str) -> list[DefinitionError]:
    with pytest.raises(SurveyDefinitionError) as info:
        load_survey_text(textwrap.dedent(body), "bad.yaml")
    return info.value.errors


def codes_of(body: str) -> list[tuple[str, str | None]]:
    return [(error.code, error.question) for error in errors_of(body)]


def test_malformed_yaml_reports_line() -> None:
    [error] = errors_of(
        """\
        id: s1
        title: 测试
        questions:
          - id: q1
            type: [rating
        """
    )
    assert (error.code, error.params["line"]) == ("yaml_syntax", 6)
    assert error.message().startswith("bad.yaml：第 6 行附近 YAML 格式错误")


def test_duplicate_yaml_key_reports_line() -> None:
    [error] = errors_of(
        """\
        id: s1
        title: 测试
        title: 再来
        questions: [{id: q1, type: nps, label: A}]
        """
    )
    assert (error.code, error.params) == ("yaml_duplicate_key", {"line": 3, "key": "title"})


def test_top_level_not_a_mapping() -> None:
    assert codes_of("- a\n- b\n") == [("not_a_mapping", None)]


def test_missing_id_and_title() -> None:
    errors = errors_of("questions: [{id: q1, type: nps, label: A}]\n")
    assert [(e.code, e.params["key"]) for e in errors] == [("missing_key", "id"), ("missing_key", "title")]


def test_invalid_survey_id() -> None:
    assert codes_of("id: Bad Id\ntitle: T\nquestions: [{id: q1, type: nps, label: A}]\n") == [("invalid_survey_id", None)]


def test_unknown_type_message_lists_valid_types() -> None:
    [error] = errors_of(
        """
        id: s1
        title: T
        questions:
          - {id: q3, type: ratng, label: A}
        """
    )
    assert error.code == "unknown_type"
    assert error.message("zh") == (
        "bad.yaml：问题 q3 的类型 “ratng” 不存在；可用类型：single_choice、multi_choice、rating、nps、"
        "matrix、text、number、date、note。"
    )
    assert error.message("en") == (
        "bad.yaml: question q3: type 'ratng' does not exist; valid types: single_choice, multi_choice, rating, "
        "nps, matrix, text, number, date, note."
    )


def test_unknown_key_on_question() -> None:
    [error] = errors_of(
        """
        id: s1
        title: T
        questions:
          - {id: q1, type: nps, label: A, requird: true}
        """
    )
    assert (error.code, error.question, error.params["key"]) == ("unknown_key", "q1", "requird")


def test_setting_not_allowed_for_type() -> None:
    assert codes_of(
        """
        id: s1
        title: T
        questions:
          - {id: q1, type: text, label: A, counts_toward_satisfaction: true}
        """
    ) == [("unknown_key", "q1")]


def test_wrong_type_for_required() -> None:
    assert codes_of(
        """
        id: s1
        title: T
        questions:
          - {id: q1, type: nps, label: A, required: "yes"}
        """
    ) == [("wrong_type", "q1")]


def test_duplicate_question_id() -> None:
    assert codes_of(
        """
        id: s1
        title: T
        questions:
          - {id: q1, type: nps, label: A}
          - {id: q1, type: nps, label: B}
        """
    ) == [("duplicate_question_id", "q1")]


def test_invalid_question_id() -> None:
    assert codes_of(
        """
        id: s1
        title: T
        questions:
          - {id: 1q, type: nps, label: A}
        """
    ) == [("invalid_identifier", "1q")]


def test_duplicate_choice_value_counts_1_and_text_1_as_same() -> None:
    assert codes_of(
        """
        id: s1
        title: T
        questions:
          - {id: q1, type: single_choice, label: A, choices: [{value: 1, label: 一}, {value: "1", label: 壹}]}
        """
    ) == [("duplicate_choice_value", "q1")]


def test_duplicate_value_in_named_list_names_the_list() -> None:
    [error] = errors_of(
        """
        id: s1
        title: T
        choice_lists:
          yn: [{value: y, label: 是}, {value: y, label: 否}]
        questions:
          - {id: q1, type: nps, label: A}
        """
    )
    assert error.message() == "bad.yaml：选项列表 yn 的选项值 “y” 重复出现；每个选项的 value 必须唯一。"


def test_missing_choice_list() -> None:
    [error] = errors_of(
        """
        id: s1
        title: T
        choice_lists:
          yes_no: [{value: y, label: 是}, {value: n, label: 否}]
        questions:
          - {id: q1, type: single_choice, label: A, choice_list: yesno}
        """
    )
    assert (error.code, error.question, error.params["name"], error.params["available"]) == (
        "missing_choice_list", "q1", "yesno", ["yes_no"]
    )


def test_choice_question_without_choices() -> None:
    assert codes_of("id: s\ntitle: T\nquestions: [{id: q1, type: single_choice, label: A}]\n") == [("missing_choices", "q1")]


def test_choices_and_choice_list_both_given() -> None:
    assert codes_of(
        """
        id: s1
        title: T
        choice_lists: {l: [{value: a, label: A}]}
        questions:
          - {id: q1, type: single_choice, label: A, choice_list: l, choices: [{value: a, label: A}]}
        """
    ) == [("choices_and_choice_list", "q1")]


def test_scale_values_must_be_integers() -> None:
    assert codes_of(
        """
        id: s1
        title: T
        choice_lists:
          bad: [{value: good, label: 好}, {value: 1, label: 差}]
        questions:
          - {id: q1, type: rating, label: A, scale: bad}
        """
    ) == [("scale_not_int", "q1")]


def test_bad_regex() -> None:
    [error] = errors_of(
        """
        id: s1
        title: T
        questions:
          - {id: q1, type: text, label: A, pattern: "[0-9"}
        """
    )
    assert (error.code, error.question) == ("bad_regex", "q1")
    assert "unterminated character set" in error.message("en")


@pytest.mark.parametrize(
    ("settings", "min_key"),
    [
        ("type: number, min: 10, max: 1", "min"),
        ("type: date, min: 2024-12-31, max: 2024-01-01", "min"),
        ("type: text, min_length: 20, max_length: 10", "min_length"),
        ("type: multi_choice, choices: [{value: a, label: A}, {value: b, label: B}], min_choices: 2, max_choices: 1", "min_choices"),
    ],
)
def test_min_greater_than_max(settings: str, min_key: str) -> None:
    [error] = errors_of(f"id: s\ntitle: T\nquestions: [{{id: q1, label: A, {settings}}}]\n")
    assert (error.code, error.question, error.params["min_key"]) == ("min_greater_than_max", "q1", min_key)


def test_text_max_length_hard_cap() -> None:
    [error] = errors_of("id: s\ntitle: T\nquestions: [{id: q1, type: text, label: A, max_length: 5000}]\n")
    assert (error.code, error.params["maximum"]) == ("value_too_large", 2000)


def test_invalid_date_setting() -> None:
    assert codes_of("id: s\ntitle: T\nquestions: [{id: q1, type: date, label: A, min: 2024-13-01}]\n") == [
        ("invalid_date_setting", "q1")
    ]


def test_condition_pointing_at_later_question() -> None:
    [error] = errors_of(
        """
        id: s1
        title: T
        questions:
          - {id: q1, type: nps, label: A, show_if: {question: q2, op: answered}}
          - {id: q2, type: nps, label: B}
        """
    )
    assert (error.code, error.question, error.params["ref"]) == ("condition_later_question", "q1", "q2")
    assert error.message() == (
        "bad.yaml：问题 q1 的显示条件引用了问题 “q2”，但它不在 q1 之前；条件只能引用前面的问题，请调整顺序。"
    )


def test_condition_pointing_at_itself_is_not_earlier() -> None:
    assert codes_of(
        "id: s\ntitle: T\nquestions: [{id: q1, type: nps, label: A, show_if: {question: q1, op: answered}}]\n"
    ) == [("condition_later_question", "q1")]


def test_condition_pointing_at_missing_question() -> None:
    assert codes_of(
        """
        id: s1
        title: T
        questions:
          - {id: q1, type: nps, label: A}
          - {id: q2, type: nps, label: B, show_if: {question: q9, op: eq, value: 1}}
        """
    ) == [("condition_unknown_question", "q2")]


def test_condition_unknown_operator() -> None:
    [error] = errors_of(
        """
        id: s1
        title: T
        questions:
          - {id: q1, type: nps, label: A}
          - {id: q2, type: nps, label: B, show_if: {question: q1, op: "==", value: 1}}
        """
    )
    assert (error.code, error.params["op"]) == ("condition_unknown_op", "==")


def test_condition_operator_not_for_type() -> None:
    assert codes_of(
        """
        id: s1
        title: T
        questions:
          - {id: q1, type: multi_choice, label: A, choices: [{value: a, label: A}]}
          - {id: q2, type: nps, label: B, show_if: {question: q1, op: eq, value: a}}
        """
    ) == [("condition_op_not_for_type", "q2")]


def test_condition_value_must_be_a_choice_value() -> None:
    [error] = errors_of(
        """
        id: s1
        title: T
        questions:
          - {id: q1, type: single_choice, label: A, choices: [{value: "yes", label: 是}, {value: "no", label: 否}]}
          - {id: q2, type: nps, label: B, show_if: {question: q1, op: eq, value: maybe}}
        """
    )
    assert error.message("en") == (
        "bad.yaml: question q2: in show_if, the value 'maybe' for question q1 does not fit: "
        "it is not one of that question's choice values; valid values: yes, no."
    )


def test_condition_rating_value_must_be_on_scale() -> None:
    assert codes_of(
        """
        id: s1
        title: T
        questions:
          - {id: q1, type: rating, label: A}
          - {id: q2, type: nps, label: B, show_if: {question: q1, op: eq, value: 7}}
        """
    ) == [("condition_bad_value", "q2")]


def test_condition_answered_takes_no_value_and_combinator_one_key() -> None:
    assert codes_of(
        """
        id: s1
        title: T
        questions:
          - {id: q1, type: nps, label: A}
          - {id: q2, type: nps, label: B, show_if: {question: q1, op: answered, value: 3}}
          - {id: q3, type: nps, label: C, show_if: {all: [], any: []}}
        """
    ) == [("condition_bad_value", "q2"), ("condition_bad_shape", "q3")]


def test_all_problems_are_reported_together() -> None:
    codes = [error.code for error in errors_of(
        """
        id: s1
        title: T
        questions:
          - {id: q1, type: ratng, label: A}
          - {id: q2, type: text, label: B, pattern: "("}
          - {id: q2, type: nps, label: C}
          - {id: q4, type: nps, label: D, show_if: {question: q5, op: answered}}
          - {id: q5, type: nps, label: E}
        """
    )]
    assert codes == ["unknown_type", "bad_regex", "duplicate_question_id", "condition_later_question"]


def test_condition_on_broken_question_is_not_reported_twice() -> None:
    assert codes_of(
        """
        id: s1
        title: T
        questions:
          - {id: q1, type: ratng, label: A}
          - {id: q2, type: nps, label: B, show_if: {question: q1, op: eq, value: 1}}
        """
    ) == [("unknown_type", "q1")]


def test_load_survey_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "my_survey.yaml"
    path.write_text("id: s\ntitle: T\nquestions: [{id: q1, type: nps}]\n", encoding="utf-8")
    with pytest.raises(SurveyDefinitionError) as info:
        load_survey_file(path)
    assert info.value.message("en") == "my_survey.yaml: question q1 is missing the required key 'label'; add it."


def test_load_templates_keeps_good_files(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text("id: good\ntitle: 好\nquestions: [{id: q1, type: nps, label: A}]\n", encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("id: bad\ntitle: 坏\nquestions: [{id: q1, type: nope, label: A}]\n", encoding="utf-8")
    (tmp_path / "zz_copy.yml").write_text("id: good\ntitle: 重复\nquestions: [{id: q1, type: nps, label: A}]\n", encoding="utf-8")
    result = load_templates(tmp_path)
    assert (list(result.surveys), [(e.file, e.code) for e in result.errors]) == (
        ["good"], [("bad.yaml", "unknown_type"), ("zz_copy.yml", "duplicate_survey_id")]
    )


def test_catalogue_has_both_languages_with_same_placeholders() -> None:
    import string

    for catalogue in (DEFINITION_MESSAGES, ANSWER_MESSAGES):
        for code, templates in catalogue.items():
            assert set(templates) == {"zh", "en"}, code
            names = [{f for _, f, _, _ in string.Formatter().parse(t) if f} for t in templates.values()]
            assert names[0] == names[1], code
